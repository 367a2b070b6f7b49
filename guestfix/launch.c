/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: guestfs_launch with a deadline.
 *
 * Under TCG an appliance very occasionally hangs in early boot, spinning
 * both vCPUs; libguestfs would wait 20 minutes for it.  A watchdog
 * thread kills the appliance's qemu (ferry's child qemu-system process)
 * when the deadline passes, so that guestfs_launch fails and the caller
 * can try again.  Under KVM the same deadline, much shorter, is how a
 * KVM that hangs is found.
 */

#include <config.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guestfix.h"

struct watchdog {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  bool done;                    /* the launch returned */
  bool fired;                   /* the deadline passed first */
  int timeout;                  /* seconds from qemu's start */
};

/* Signal (sig 0: just count) every child of this process whose name
 * starts "qemu-system"; returns how many there are.
 */
static int
signal_appliance_qemu (int sig)
{
  int found = 0;
  DIR *d = opendir ("/proc");
  struct dirent *e;
  pid_t me = getpid ();

  if (d == NULL)
    return 0;
  while ((e = readdir (d)) != NULL) {
    char path[300], buf[512], *open_paren, *close_paren;
    FILE *fp;
    int ppid;
    size_t n;

    if (!isdigit ((unsigned char) e->d_name[0]))
      continue;
    snprintf (path, sizeof path, "/proc/%s/stat", e->d_name);
    fp = fopen (path, "re");
    if (fp == NULL)
      continue;
    n = fread (buf, 1, sizeof buf - 1, fp);
    fclose (fp);
    buf[n] = '\0';
    /* "pid (comm) state ppid ...": comm may hold spaces and parens. */
    open_paren = strchr (buf, '(');
    close_paren = strrchr (buf, ')');
    if (open_paren == NULL || close_paren == NULL || close_paren < open_paren ||
        sscanf (close_paren + 1, " %*c %d", &ppid) != 1 || ppid != me)
      continue;
    if (strncmp (open_paren + 1, "qemu-system", 11) == 0) {
      found++;
      if (sig)
        kill ((pid_t) atoi (e->d_name), sig);
    }
  }
  closedir (d);
  return found;
}

/* The limit counts from the moment the appliance's qemu exists: the
 * first launch on a machine builds the appliance (supermin) before
 * that, which takes as long as it takes.
 */
static void *
watchdog_thread (void *arg)
{
  struct watchdog *w = arg;
  double started = 0;

  pthread_mutex_lock (&w->lock);
  while (!w->done) {
    struct timespec tick;

    clock_gettime (CLOCK_REALTIME, &tick);
    tick.tv_nsec += 250 * 1000 * 1000;
    if (tick.tv_nsec >= 1000 * 1000 * 1000) {
      tick.tv_sec++;
      tick.tv_nsec -= 1000 * 1000 * 1000;
    }
    if (pthread_cond_timedwait (&w->cond, &w->lock, &tick) != ETIMEDOUT ||
        w->done)
      continue;
    if (started == 0) {
      if (signal_appliance_qemu (0) > 0)
        started = now_seconds ();
      continue;
    }
    if (now_seconds () - started > w->timeout) {
      w->fired = true;
      signal_appliance_qemu (SIGKILL);
      break;
    }
  }
  pthread_mutex_unlock (&w->lock);
  return NULL;
}

int
appliance_launch (guestfs_h *g, int timeout, bool *timed_out)
{
  struct watchdog w = {
    .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER,
  };
  pthread_t th;
  bool watching;
  int r;

  *timed_out = false;
  w.timeout = timeout;
  watching = timeout > 0 && pthread_create (&th, NULL, watchdog_thread, &w) == 0;
  r = guestfs_launch (g);
  if (watching) {
    pthread_mutex_lock (&w.lock);
    w.done = true;
    pthread_cond_signal (&w.cond);
    pthread_mutex_unlock (&w.lock);
    pthread_join (th, NULL);
    *timed_out = w.fired && r == -1;
  }
  return r;
}
