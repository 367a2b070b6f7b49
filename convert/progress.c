/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: stage messages and the copy progress bar, for people on a
 * terminal or as JSON lines with --machine-readable.
 */

#include <config.h>

#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "convert.h"

/* Progress state lives with the one progress bar on the screen. */
static struct {
  double last;
  bool bar_shown;
  const char *what;
} pg;

void
progress_stage (const char *stage, const char *fs, ...)
{
  va_list args;
  char msg[512];

  va_start (args, fs);
  vsnprintf (msg, sizeof msg, fs, args);
  va_end (args);
  if (log_get ()->machine_readable) {
    struct json j;
    json_init (&j, false);
    json_begin_object (&j, NULL);
    json_add_string (&j, "type", "stage");
    json_add_string (&j, "stage", stage);
    json_add_string (&j, "message", msg);
    json_end_object (&j);
    json_print_line (&j);
  }
  else
    info ("[%s] %s", stage, msg);
  pg.what = stage;
}

void
progress_copy (void *data, uint64_t done, uint64_t total)
{
  const char *label = data;
  double t = now_seconds ();
  const struct log_settings *ls = log_get ();

  if (ls->machine_readable) {
    struct json j;
    if (t - pg.last < 1.0 && done < total)
      return;
    pg.last = t;
    json_init (&j, false);
    json_begin_object (&j, NULL);
    json_add_string (&j, "type", "progress");
    json_add_string (&j, "stage", "copy");
    json_add_string (&j, "disk", label);
    json_add_int (&j, "bytes_done", (int64_t) done);
    json_add_int (&j, "bytes_total", (int64_t) total);
    json_end_object (&j);
    json_print_line (&j);
    return;
  }
  if (ls->quiet || !isatty (2))
    return;
  {
    int pct = total ? (int) (done * 100 / total) : 100;
    int width = 30, fill = pct * width / 100;
    char a[32], b[32], bar[64];
    memset (bar, '#', fill);
    memset (bar + fill, ' ', width - fill);
    bar[width] = '\0';
    fprintf (stderr, "\r  [%s] %3d%%  %s of %s ", bar, pct,
             human_size (done, a), human_size (total, b));
    pg.bar_shown = true;
  }
}

void
progress_end (void)
{
  if (pg.bar_shown) {
    fprintf (stderr, "\n");
    pg.bar_shown = false;
  }
}
