/* ferry: qemu-nbd servers on unix sockets in the temp dir. */

#include <config.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libnbd.h>

#include "common.h"

int
nbd_server_start (struct nbd_server *srv, const char *tag,
                  const char *file, const char *format,
                  const char *image_opts, bool readonly,
                  const char *const *extra_args)
{
  const char *tmpdir = tmpdir_create ();
  CLEANUP_FREE char *pidfile = NULL, *fmtarg = NULL, *sockarg = NULL,
    *pidarg = NULL, *out = NULL, *err = NULL, *pidtext = NULL;
  const char *argv[32];
  size_t i = 0;
  int r;
  FILE *fp;

  memset (srv, 0, sizeof *srv);
  srv->pid = -1;
  srv->readonly = readonly;
  if (tmpdir == NULL)
    return -1;
  if (asprintf (&srv->socket, "%s/%s.sock", tmpdir, tag) == -1 ||
      asprintf (&pidfile, "%s/%s.pid", tmpdir, tag) == -1 ||
      asprintf (&srv->uri, "nbd+unix:///?socket=%s", srv->socket) == -1 ||
      asprintf (&sockarg, "--socket=%s", srv->socket) == -1 ||
      asprintf (&pidarg, "--pid-file=%s", pidfile) == -1) {
    error ("start NBD server: %m");
    return -1;
  }

  /* --fork returns once the socket is listening, so there is no race
   * with the first client.  --persistent keeps it up between clients
   * (the appliance, then the copy engine).  --shared=0 allows any
   * number of clients (libnbd multi-conn).
   */
  argv[i++] = QEMU_NBD;
  argv[i++] = "--fork";
  argv[i++] = "--persistent";
  argv[i++] = "--shared=0";
  argv[i++] = sockarg;
  argv[i++] = pidarg;
  if (readonly)
    argv[i++] = "--read-only";
  for (size_t j = 0; extra_args && extra_args[j] && i < 28; j++)
    argv[i++] = extra_args[j];
  if (image_opts) {
    argv[i++] = "--image-opts";
    argv[i++] = image_opts;
  }
  else {
    if (asprintf (&fmtarg, "--format=%s", format) == -1) {
      error ("start NBD server: %m");
      return -1;
    }
    argv[i++] = fmtarg;
    argv[i++] = file;
  }
  argv[i] = NULL;

  r = run_command (argv, &out, &err);
  if (r != 0) {
    char *nl;
    if (r > 0) {
      /* qemu-nbd's own message is the useful part: keep its first line. */
      if (err && (nl = strchr (err, '\n')) != NULL)
        *nl = '\0';
      error ("open \"%s\" as %s: %s", image_opts ? tag : file,
             image_opts ? "image" : format,
             err && *err ? err : "qemu-nbd failed");
    }
    unlink (pidfile);
    free (srv->socket); free (srv->uri);
    srv->socket = srv->uri = NULL;
    return -1;
  }

  fp = fopen (pidfile, "r");
  if (fp == NULL || fscanf (fp, "%d", &srv->pid) != 1) {
    error ("start NBD server: cannot read pid file \"%s\"", pidfile);
    if (fp) fclose (fp);
    return -1;
  }
  fclose (fp);
  debug ("qemu-nbd %s: pid %d, %s", tag, (int) srv->pid, srv->uri);
  return 0;
}

/* Alive and not a zombie waiting for init to reap it. */
static bool
process_alive (pid_t pid)
{
  char path[64], buf[256];
  ssize_t n;
  const char *p;

  if (kill (pid, 0) == -1)
    return false;
  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  n = read_at (path, buf, sizeof buf - 1, 0);
  if (n <= 0)
    return true;
  buf[n] = '\0';
  p = strrchr (buf, ')');
  return !(p && p[1] == ' ' && p[2] == 'Z');
}

int
nbd_server_stop (struct nbd_server *srv)
{
  if (srv->pid > 0) {
    /* A read-only server has nothing to write back: SIGKILL is
     * immediate, where qemu-nbd's orderly SIGTERM exit takes more than
     * a second.  The forked server is not our child (it daemonised),
     * so poll for it to go away rather than waitpid.
     */
    kill (srv->pid, srv->readonly ? SIGKILL : SIGTERM);
    for (int i = 0; i < 1000; i++) {
      /* main() made us a child subreaper, so the daemonised server is
       * our child again once its parent has exited: reap it.
       */
      pid_t r = waitpid (srv->pid, NULL, WNOHANG);
      if (r == srv->pid || (r == -1 && errno == ECHILD && !process_alive (srv->pid)))
        break;
      usleep (5000);
    }
    if (process_alive (srv->pid))
      kill (srv->pid, SIGKILL);
    srv->pid = -1;
  }
  if (srv->socket)
    unlink (srv->socket);
  free (srv->socket);
  free (srv->uri);
  srv->socket = srv->uri = NULL;
  return 0;
}

int
nbd_uri_size (const char *uri, uint64_t *size)
{
  struct nbd_handle *nbd = nbd_create ();
  int64_t r;

  if (nbd == NULL || nbd_connect_uri (nbd, uri) == -1) {
    error ("connect to NBD server: %s", nbd_get_error ());
    if (nbd)
      nbd_close (nbd);
    return -1;
  }
  r = nbd_get_size (nbd);
  if (r == -1)
    error ("get NBD export size: %s", nbd_get_error ());
  else
    *size = r;
  nbd_shutdown (nbd, 0);
  nbd_close (nbd);
  return r == -1 ? -1 : 0;
}
