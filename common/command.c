/* ferry: running child processes from an argv vector. */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

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
static int
collect (int outfd, int errfd, struct sbuf *out, struct sbuf *err)
{
  char buf[65536];

  while (outfd >= 0 || errfd >= 0) {
    struct pollfd fds[2];
    int n = 0;

    if (outfd >= 0) { fds[n].fd = outfd; fds[n].events = POLLIN; n++; }
    if (errfd >= 0) { fds[n].fd = errfd; fds[n].events = POLLIN; n++; }
    if (poll (fds, n, -1) == -1) {
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
  int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
  struct sbuf ob = SBUF_INIT, eb = SBUF_INIT;
  pid_t pid;
  int status;
  CLEANUP_FREE char *cmd = argv_to_string (argv);

  debug ("run: %s", cmd);
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
    signal (SIGINT, SIG_DFL);
    signal (SIGTERM, SIG_DFL);
    signal (SIGPIPE, SIG_DFL);
    if (devnull >= 0)
      dup2 (devnull, 0);
    dup2 (outp[1], 1);
    dup2 (errp[1], 2);
    execvp (argv[0], (char *const *) argv);
    fprintf (stderr, "exec %s: %s\n", argv[0], strerror (errno));
    _exit (127);
  }
  close (outp[1]);
  close (errp[1]);
  collect (outp[0], errp[0], &ob, &eb);
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
