/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: qemu-nbd servers on unix sockets in the temp dir. */

#include <config.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libnbd.h>

#include "common.h"

/* Wait until the server accepts connections on its socket, or exits.
 * 0: listening.  -1: it exited or did not listen in time (error()
 * called, with the first line of its stderr from errpath).
 */
static int
wait_listening (struct nbd_server *srv, const char *what, const char *errpath)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  double deadline = now_seconds () + 60;
  int status;

  if (strlen (srv->socket) >= sizeof sa.sun_path) {
    error ("start NBD server: socket path \"%s\" is too long", srv->socket);
    return -1;
  }
  strcpy (sa.sun_path, srv->socket);
  for (;;) {
    pid_t r = waitpid (srv->pid, &status, WNOHANG);
    int fd;

    if (r == srv->pid) {
      char buf[1024];
      ssize_t n = read_at (errpath, buf, sizeof buf - 1, 0);
      srv->pid = -1;
      buf[n > 0 ? n : 0] = '\0';
      buf[strcspn (buf, "\n")] = '\0';
      /* qemu-nbd's own message is the useful part. */
      error ("open %s: %s", what, buf[0] ? buf :
             WIFEXITED (status) ? "qemu-nbd failed" : "qemu-nbd was killed");
      return -1;
    }
    fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect (fd, (struct sockaddr *) &sa, sizeof sa) == 0) {
      close (fd);
      return 0;
    }
    if (fd >= 0)
      close (fd);
    if (interrupted ()) {
      error ("open %s: interrupted", what);
      return -1;
    }
    if (now_seconds () > deadline) {
      error ("open %s: qemu-nbd did not listen within 60 s", what);
      return -1;
    }
    usleep (2000);
  }
}

int
nbd_server_start (struct nbd_server *srv, const char *tag,
                  const char *file, const char *format,
                  const char *image_opts, bool readonly,
                  const char *const *extra_args,
                  const struct confine *confine)
{
  const char *tmpdir = tmpdir_create ();
  CLEANUP_FREE char *fmtarg = NULL, *sockarg = NULL, *errpath = NULL,
    *sockdir = NULL, *what = NULL;
  struct confine c = { 0 };
  struct confined_argv ca;
  const char *argv[32];
  size_t i = 0;
  int errfd, r;

  memset (srv, 0, sizeof *srv);
  srv->pid = -1;
  srv->readonly = readonly;
  if (tmpdir == NULL)
    return -1;
  if (confine && !confine->off && !readonly) {
    error ("start NBD server \"%s\": a confined server is read-only", tag);
    return -1;
  }
  /* Sockets live in a directory of their own: a confined qemu may
   * write there and nowhere else.
   */
  if (asprintf (&sockdir, "%s/sock", tmpdir) == -1 ||
      (mkdir (sockdir, 0700) == -1 && errno != EEXIST) ||
      asprintf (&srv->socket, "%s/%s.sock", sockdir, tag) == -1 ||
      asprintf (&srv->uri, "nbd+unix:///?socket=%s", srv->socket) == -1 ||
      asprintf (&sockarg, "--socket=%s", srv->socket) == -1 ||
      asprintf (&errpath, "%s/%s.err", tmpdir, tag) == -1 ||
      asprintf (&what, image_opts ? "\"%s\" as image" : "\"%s\" as %s",
                image_opts ? tag : file, format) == -1) {
    error ("start NBD server: %m");
    goto fail;
  }

  /* A direct child (no --fork), so that it dies with ferry.
   * --persistent keeps it up between clients (the appliance, then the
   * copy engine).  --shared=0 allows any number of clients (libnbd
   * multi-conn).
   */
  argv[i++] = QEMU_NBD;
  argv[i++] = "--persistent";
  argv[i++] = "--shared=0";
  argv[i++] = sockarg;
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
      goto fail;
    }
    argv[i++] = fmtarg;
    argv[i++] = file;
  }
  argv[i] = NULL;

  if (confine && !confine->off) {
    for (size_t k = 0; confine->ro && confine->ro[k]; k++)
      if (confine_allow (&c, confine->ro[k], false) == -1)
        goto fail;
    if (confine_allow (&c, sockdir, true) == -1)
      goto fail;
  }
  if (confine_argv (confine && !confine->off ? &c : NULL, argv, &ca) == -1)
    goto fail;
  errfd = open (errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (errfd == -1) {
    error ("start NBD server: create \"%s\": %m", errpath);
    confined_argv_free (&ca);
    goto fail;
  }
  srv->pid = spawn_command (ca.argv, errfd);
  close (errfd);
  confined_argv_free (&ca);
  if (srv->pid == -1)
    goto fail;
  r = wait_listening (srv, what, errpath);
  if (r == -1)
    goto fail;
  confine_free (&c);
  debug ("qemu-nbd %s: pid %d, %s%s", tag, (int) srv->pid, srv->uri,
         confine && !confine->off ? " (confined)" : "");
  return 0;

 fail:
  confine_free (&c);
  nbd_server_stop (srv);
  return -1;
}

int
nbd_server_stop (struct nbd_server *srv)
{
  if (srv->pid > 0) {
    /* A read-only server has nothing to write back: SIGKILL is
     * immediate, where qemu-nbd's orderly SIGTERM exit takes more than
     * a second.  Killing bubblewrap takes its sandbox with it.
     */
    pid_t r = 0;

    kill (srv->pid, srv->readonly ? SIGKILL : SIGTERM);
    for (int i = 0; i < 2000 && r == 0; i++) {
      r = waitpid (srv->pid, NULL, WNOHANG);
      if (r == 0)
        usleep (5000);
    }
    if (r == 0) {
      kill (srv->pid, SIGKILL);
      while (waitpid (srv->pid, NULL, 0) == -1 && errno == EINTR)
        ;
    }
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
