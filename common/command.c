/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: running child processes from an argv vector. */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

extern char **environ;

/* Variables that hold credentials: ferry reads them itself, and no
 * child (qemu, qemu-img, bubblewrap) has any use for them.
 */
static bool
is_secret_var (const char *kv)
{
  static const char *const prefixes[] = {
    "OS_", "AWS_", "AZURE_", "AZCOPY_", "ARM_", "GOOGLE_", NULL
  };
  static const char *const words[] = {
    "SECRET", "TOKEN", "PASSWORD", "PASSWD", "CREDENTIAL", NULL
  };
  char name[256];
  size_t n = strcspn (kv, "=");

  if (n >= sizeof name)
    return false;
  memcpy (name, kv, n);
  name[n] = '\0';
  for (size_t i = 0; prefixes[i]; i++)
    if (strncmp (name, prefixes[i], strlen (prefixes[i])) == 0)
      return true;
  for (size_t i = 0; words[i]; i++)
    if (strstr (name, words[i]))
      return true;
  return n > 4 && strcmp (name + n - 4, "_KEY") == 0;
}

/* The environment for a child: ours without credentials (owned
 * vector, the strings are environ's).
 */
static char **
child_environ (void)
{
  size_t n = 0, k = 0;
  char **v;

  while (environ && environ[n])
    n++;
  v = calloc (n + 1, sizeof *v);
  if (v == NULL)
    return NULL;
  for (size_t i = 0; i < n; i++)
    if (!is_secret_var (environ[i]))
      v[k++] = environ[i];
  return v;
}

/* In the child, before exec: default signals, die with ferry. */
static void
child_setup (void)
{
  signal (SIGINT, SIG_DFL);
  signal (SIGTERM, SIG_DFL);
  signal (SIGHUP, SIG_DFL);
  signal (SIGPIPE, SIG_DFL);
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

char *
argv_to_string (const char *const *argv)
{
  struct sbuf b = SBUF_INIT;

  for (size_t i = 0; argv[i]; i++) {
    if (i > 0)
      sbuf_puts (&b, " ");
    if (strpbrk (argv[i], " \t'\"$\\") || argv[i][0] == '\0')
      sbuf_printf (&b, "'%s'", argv[i]);
    else
      sbuf_puts (&b, argv[i]);
  }
  return sbuf_take (&b);
}

/* Drain both pipes until the child closes them. */
/* Drain both pipes until the child closes them, or until 'deadline'
 * (monotonic seconds, 0 = none) passes: then 1.
 */
static int
collect (int outfd, int errfd, struct sbuf *out, struct sbuf *err,
         double deadline)
{
  char buf[65536];

  while (outfd >= 0 || errfd >= 0) {
    struct pollfd fds[2];
    int n = 0, ms = -1, pr;

    if (outfd >= 0) { fds[n].fd = outfd; fds[n].events = POLLIN; n++; }
    if (errfd >= 0) { fds[n].fd = errfd; fds[n].events = POLLIN; n++; }
    if (deadline > 0) {
      double left = deadline - now_seconds ();
      if (left <= 0) {
        if (outfd >= 0) close (outfd);
        if (errfd >= 0) close (errfd);
        return 1;
      }
      ms = (int) (left * 1000) + 1;
    }
    pr = poll (fds, n, ms);
    if (pr == -1) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    for (int i = 0; i < n; i++) {
      ssize_t r;
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      r = read (fds[i].fd, buf, sizeof buf);
      if (r == -1 && errno == EINTR)
        continue;
      if (r <= 0) {
        close (fds[i].fd);
        if (fds[i].fd == outfd) outfd = -1; else errfd = -1;
        continue;
      }
      if (sbuf_add (fds[i].fd == outfd ? out : err, buf, r) == -1)
        return -1;
    }
  }
  return 0;
}

int
run_command (const char *const *argv, char **out, char **err)
{
  return run_command_timeout (argv, out, err, 0);
}

int
run_command_timeout (const char *const *argv, char **out, char **err,
                     int seconds)
{
  int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
  struct sbuf ob = SBUF_INIT, eb = SBUF_INIT;
  pid_t pid;
  int status, cr;
  CLEANUP_FREE char *cmd = argv_to_string (argv);
  CLEANUP_FREE char **envp = child_environ ();

  debug ("run: %s", cmd);
  if (envp == NULL) {
    error ("run \"%s\": %m", argv[0]);
    return -1;
  }
  if (pipe2 (outp, O_CLOEXEC) == -1 || pipe2 (errp, O_CLOEXEC) == -1) {
    error ("run \"%s\": pipe: %m", argv[0]);
    return -1;
  }
  pid = fork ();
  if (pid == -1) {
    error ("run \"%s\": fork: %m", argv[0]);
    close (outp[0]); close (outp[1]); close (errp[0]); close (errp[1]);
    return -1;
  }
  if (pid == 0) {
    int devnull = open ("/dev/null", O_RDONLY);
    /* Children must not see our SIGINT handler; they die with the
     * default disposition and we clean up after them.
     */
    child_setup ();
    if (devnull >= 0)
      dup2 (devnull, 0);
    dup2 (outp[1], 1);
    dup2 (errp[1], 2);
    /* Nothing else of ours (sockets to the clouds, open images,
     * whatever the caller inherited) crosses into the child.
     */
    closefrom (3);
    execvpe (argv[0], (char *const *) argv, envp);
    fprintf (stderr, "exec %s: %s\n", argv[0], strerror (errno));
    _exit (127);
  }
  close (outp[1]);
  close (errp[1]);
  cr = collect (outp[0], errp[0], &ob, &eb,
                seconds > 0 ? now_seconds () + seconds : 0);
  if (cr == 1) {
    kill (pid, SIGKILL);
    while (waitpid (pid, &status, 0) == -1 && errno == EINTR)
      ;
    sbuf_free (&ob);
    sbuf_free (&eb);
    error ("\"%s\" did not finish within %d s: stopped it", argv[0], seconds);
    return -1;
  }
  while (waitpid (pid, &status, 0) == -1) {
    if (errno != EINTR) {
      error ("wait for \"%s\": %m", argv[0]);
      sbuf_free (&ob); sbuf_free (&eb);
      return -1;
    }
  }
  if (eb.len && log_get ()->verbose)
    fprintf (stderr, "%s", eb.s);
  if (out) *out = sbuf_take (&ob); else sbuf_free (&ob);
  if (err) *err = sbuf_take (&eb); else sbuf_free (&eb);
  if (WIFEXITED (status)) {
    if (WEXITSTATUS (status) == 127)
      debug ("%s: could not be executed", argv[0]);
    return WEXITSTATUS (status);
  }
  error ("\"%s\" was killed by signal %d", argv[0], WTERMSIG (status));
  return -1;
}

pid_t
spawn_command (const char *const *argv, int errfd)
{
  CLEANUP_FREE char *cmd = argv_to_string (argv);
  CLEANUP_FREE char **envp = child_environ ();
  pid_t pid;

  debug ("spawn: %s", cmd);
  if (envp == NULL) {
    error ("run \"%s\": %m", argv[0]);
    return -1;
  }
  pid = fork ();
  if (pid == -1) {
    error ("run \"%s\": fork: %m", argv[0]);
    return -1;
  }
  if (pid == 0) {
    int devnull = open ("/dev/null", O_RDWR);

    child_setup ();
    if (devnull >= 0) {
      dup2 (devnull, 0);
      dup2 (devnull, 1);
    }
    if (errfd >= 0)
      dup2 (errfd, 2);
    closefrom (3);
    execvpe (argv[0], (char *const *) argv, envp);
    fprintf (stderr, "exec %s: %s\n", argv[0], strerror (errno));
    _exit (127);
  }
  return pid;
}
