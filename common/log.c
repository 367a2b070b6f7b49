/* ferry: messages, errors and interruption. */

#include <config.h>

#include <signal.h>
#include <sys/prctl.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

/* The logger's state: how chatty to be, set once by main().  The last
 * error is kept so that a machine-readable result can carry it.
 */
static struct log_settings settings;
/* Per thread: the upload threads of the outputs report through error() too. */
static __thread char last_err[1024];
static volatile sig_atomic_t got_signal;

void
log_configure (const struct log_settings *s)
{
  settings = *s;
}

const struct log_settings *
log_get (void)
{
  return &settings;
}

const char *
last_error (void)
{
  return last_err[0] ? last_err : NULL;
}

static void
emit_json_line (const char *type, const char *msg)
{
  struct sbuf b = SBUF_INIT;

  sbuf_printf (&b, "{\"type\":\"%s\",\"message\":\"", type);
  json_escape (&b, msg);
  sbuf_puts (&b, "\"}\n");
  if (b.s) {
    fputs (b.s, stdout);
    fflush (stdout);
  }
  sbuf_free (&b);
}

void
error (const char *fs, ...)
{
  va_list args;

  va_start (args, fs);
  vsnprintf (last_err, sizeof last_err, fs, args);
  va_end (args);
  fprintf (stderr, "ferry: %s\n", last_err);
  fflush (stderr);
}

void
warning (const char *fs, ...)
{
  va_list args;
  char msg[1024];

  va_start (args, fs);
  vsnprintf (msg, sizeof msg, fs, args);
  va_end (args);
  if (settings.machine_readable)
    emit_json_line ("warning", msg);
  fprintf (stderr, "ferry: warning: %s\n", msg);
}

void
info (const char *fs, ...)
{
  va_list args;
  char msg[1024];

  if (settings.quiet)
    return;
  va_start (args, fs);
  vsnprintf (msg, sizeof msg, fs, args);
  va_end (args);
  if (settings.machine_readable)
    emit_json_line ("info", msg);
  else {
    /* stderr: stdout carries documents (inspect's JSON). */
    fprintf (stderr, "%s\n", msg);
  }
}

void
debug (const char *fs, ...)
{
  va_list args;

  if (!settings.verbose)
    return;
  va_start (args, fs);
  fprintf (stderr, "ferry: debug: ");
  vfprintf (stderr, fs, args);
  fprintf (stderr, "\n");
  va_end (args);
}

static void
on_signal (int sig)
{
  got_signal = sig;
}

void
signals_install (void)
{
  struct sigaction sa;

  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset (&sa.sa_mask);
  /* No SA_RESTART: blocking calls return EINTR so loops notice. */
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGHUP, &sa, NULL);
  signal (SIGPIPE, SIG_IGN);
  /* qemu-nbd --fork daemonises; as a subreaper we get its process back
   * as our child, can wait for it, and leave no zombies behind.
   */
  prctl (PR_SET_CHILD_SUBREAPER, 1);
}

bool
interrupted (void)
{
  return got_signal != 0;
}
