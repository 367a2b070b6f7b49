/* SPDX-License-Identifier: GPL-2.0-or-later */
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
static __thread bool capturing;   /* error() keeps its message, unprinted */
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

void
error_capture (bool on)
{
  capturing = on;
  if (on)
    last_err[0] = '\0';
}

const char *
last_error (void)
{
  return last_err[0] ? last_err : NULL;
}

/* Length of the valid UTF-8 sequence at p, or 0. */
static size_t
utf8_len (const unsigned char *p)
{
  unsigned c = p[0];
  size_t n;
  uint32_t cp;

  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf) { n = 2; cp = c & 0x1f; }
  else if (c >= 0xe0 && c <= 0xef) { n = 3; cp = c & 0x0f; }
  else if (c >= 0xf0 && c <= 0xf4) { n = 4; cp = c & 0x07; }
  else
    return 0;
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xc0) != 0x80)
      return 0;
    cp = cp << 6 | (p[i] & 0x3f);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
      (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
    return 0;                   /* overlong, surrogate, beyond, C1 control */
  return n;
}

/* Messages carry untrusted strings (file names, VMX values, tar member
 * names, guest files): make each one line of printable UTF-8.  Tabs
 * and newlines become spaces; any other control character (ESC starts
 * a terminal escape sequence), C1 control or invalid byte becomes '?'.
 */
static void
sanitise (char *msg)
{
  unsigned char *p = (unsigned char *) msg;

  while (*p) {
    size_t n = utf8_len (p);
    if (n == 1 && (*p == '\n' || *p == '\t' || *p == '\r'))
      *p = ' ';
    else if (n == 1 && (*p < 0x20 || *p == 0x7f))
      *p = '?';
    else if (n == 0) {
      *p = '?';
      n = 1;
    }
    p += n;
  }
}

static void
emit_json_line (const char *type, const char *msg)
{
  struct json j;

  json_init (&j, false);
  json_begin_object (&j, NULL);
  json_add_string (&j, "type", type);
  json_add_string (&j, "message", msg);
  json_end_object (&j);
  json_print_line (&j);
}

void
error (const char *fs, ...)
{
  va_list args;
  char msg[sizeof last_err];

  /* Into a buffer of its own first: an argument may be last_error(). */
  va_start (args, fs);
  vsnprintf (msg, sizeof msg, fs, args);
  va_end (args);
  memcpy (last_err, msg, sizeof msg);
  sanitise (last_err);
  if (capturing)
    return;
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
  sanitise (msg);
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
  sanitise (msg);
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

  char *msg = NULL;
  int r;

  if (!settings.verbose)
    return;
  va_start (args, fs);
  r = vasprintf (&msg, fs, args);
  va_end (args);
  if (r == -1)
    return;
  sanitise (msg);
  fprintf (stderr, "ferry: debug: %s\n", msg);
  free (msg);
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
  /* Processes our children leave behind (libguestfs' recovery
   * process, a daemonising helper) become ours to reap: no zombies, and
   * nothing outlives a run unseen.
   */
  prctl (PR_SET_CHILD_SUBREAPER, 1);
}

bool
interrupted (void)
{
  return got_signal != 0;
}
