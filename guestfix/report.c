/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: the change report (NAME.changes.json) and its summary. */

#include <config.h>

#include <stdarg.h>
#include <string.h>

#include "guestfix.h"

static struct change *
new_change (struct report *r, const char *path, const char *action,
            const char *reason)
{
  struct change *c = realloc (r->changes, (r->nr_changes + 1) * sizeof *c);

  if (c == NULL)
    return NULL;
  r->changes = c;
  c = &c[r->nr_changes];
  memset (c, 0, sizeof *c);
  c->path = strdup (path);
  c->action = action;
  c->reason = strdup (reason);
  if (c->path == NULL || c->reason == NULL) {
    free (c->path);
    free (c->reason);
    return NULL;
  }
  r->nr_changes++;
  return c;
}

int
report_file (struct report *r, const char *path, const char *before,
             const char *after, const char *reason)
{
  struct change *c = NULL;
  const char *action;

  /* Several steps may edit one file (device names, then kernel
   * arguments): the report shows it once, from its original content to
   * its final one, with every reason.  Not in a dry run: nothing is
   * written, so each step started from the original content again and
   * its "after" lacks the earlier steps' edits.
   */
  for (size_t i = 0; i < r->nr_changes && !r->dry_run; i++)
    if (strcmp (r->changes[i].path, path) == 0 && r->changes[i].diff)
      c = &r->changes[i];
  if (c) {
    char *why = NULL;
    before = c->orig;
    if (strstr (c->reason, reason) == NULL) {
      if (asprintf (&why, "%s; %s", c->reason, reason) == -1) {
        error ("record change to \"%s\": %m", path);
        return -1;
      }
      free (c->reason);
      c->reason = why;
    }
    free (c->diff);
  }
  action = before == NULL ? "created" : after == NULL ? "deleted" : "modified";
  if (c == NULL) {
    c = new_change (r, path, action, reason);
    if (c == NULL || (before && (c->orig = strdup (before)) == NULL)) {
      error ("record change to \"%s\": %m", path);
      return -1;
    }
    if (before)
      sha256_buf (before, strlen (before), c->before);
  }
  c->action = action;
  c->after[0] = '\0';
  if (after)
    sha256_buf (after, strlen (after), c->after);
  c->diff = text_diff (before ? before : "", after ? after : "", 1, 40);
  if (c->diff == NULL) {
    error ("record change to \"%s\": %m", path);
    return -1;
  }
  return 0;
}

int
report_action (struct report *r, const char *path, const char *action,
               const char *reason)
{
  if (new_change (r, path, action, reason) == NULL) {
    error ("record change to \"%s\": %m", path);
    return -1;
  }
  return 0;
}

int
report_warning (struct report *r, const char *fs, ...)
{
  va_list args;
  char *msg = NULL;
  int ret;

  va_start (args, fs);
  ret = vasprintf (&msg, fs, args);
  va_end (args);
  if (ret == -1) {
    error ("record a warning: %m");
    return -1;
  }
  warning ("%s", msg);
  ret = string_list_push (&r->warnings, msg);
  free (msg);
  if (ret == -1)
    error ("record a warning: %m");
  return ret;
}

int
report_initramfs (struct report *r, const char *kernel, const char *file,
                  const char *method, const char *tool, const char *reason)
{
  struct initramfs_choice *v = realloc (r->initramfs,
                                        (r->nr_initramfs + 1) * sizeof *v);
  struct initramfs_choice *c;

  if (v == NULL)
    goto nomem;
  r->initramfs = v;
  c = &v[r->nr_initramfs];
  c->kernel = strdup (kernel);
  c->file = strdup (file);
  c->method = strdup (method);
  c->tool = strdup (tool);
  c->reason = strdup (reason);
  r->nr_initramfs++;
  if (c->kernel && c->file && c->method && c->tool && c->reason)
    return 0;
 nomem:
  error ("record how the initramfs of %s was made: %m", kernel);
  return -1;
}

void
report_free (struct report *r)
{
  for (size_t i = 0; i < r->nr_initramfs; i++) {
    struct initramfs_choice *c = &r->initramfs[i];
    free (c->kernel);
    free (c->file);
    free (c->method);
    free (c->tool);
    free (c->reason);
  }
  free (r->initramfs);
  for (size_t i = 0; i < r->nr_changes; i++) {
    free (r->changes[i].path);
    free (r->changes[i].reason);
    free (r->changes[i].diff);
    free (r->changes[i].orig);
  }
  free (r->changes);
  free_string_list (r->packages_removed);
  free_string_list (r->warnings);
  free_string_list (r->nic_names);
  memset (r, 0, sizeof *r);
}

char *
report_json (const struct report *r, const struct source *src,
             const struct guest *gu, const struct target *t)
{
  struct json j;

  json_init (&j, true);
  json_begin_object (&j, NULL);
  json_add_string (&j, "name", src->name);
  json_add_string (&j, "target", t->name);
  json_add_bool (&j, "dry_run", r->dry_run);
  json_add_string (&j, "os", gu->product_name);
  json_add_string (&j, "distro", gu->distro);
  json_begin_array (&j, "changes");
  for (size_t i = 0; i < r->nr_changes; i++) {
    const struct change *c = &r->changes[i];
    json_begin_object (&j, NULL);
    json_add_string (&j, "file", c->path);
    json_add_string (&j, "action", c->action);
    json_add_string (&j, "reason", c->reason);
    if (c->before[0]) json_add_string (&j, "sha256_before", c->before);
    if (c->after[0]) json_add_string (&j, "sha256_after", c->after);
    if (c->diff) json_add_string (&j, "diff", c->diff);
    json_end_object (&j);
  }
  json_end_array (&j);
  json_begin_array (&j, "initramfs");
  for (size_t i = 0; i < r->nr_initramfs; i++) {
    const struct initramfs_choice *c = &r->initramfs[i];
    json_begin_object (&j, NULL);
    json_add_string (&j, "kernel", c->kernel);
    json_add_string (&j, "file", c->file);
    json_add_string (&j, "method", c->method);
    json_add_string (&j, "tool", c->tool);
    json_add_string (&j, "reason", c->reason);
    json_end_object (&j);
  }
  json_end_array (&j);
  json_begin_array (&j, "packages_removed");
  for (size_t i = 0; r->packages_removed && r->packages_removed[i]; i++)
    json_add_string (&j, NULL, r->packages_removed[i]);
  json_end_array (&j);
  json_begin_array (&j, "target_nics");
  for (size_t i = 0; r->nic_names && r->nic_names[i]; i++)
    json_add_string (&j, NULL, r->nic_names[i]);
  json_end_array (&j);
  json_begin_array (&j, "warnings");
  for (size_t i = 0; r->warnings && r->warnings[i]; i++)
    json_add_string (&j, NULL, r->warnings[i]);
  json_end_array (&j);
  json_end_object (&j);
  {
    /* A file ends with a newline. */
    CLEANUP_FREE char *doc = json_take (&j);
    char *s;
    if (doc == NULL || asprintf (&s, "%s\n", doc) == -1)
      return NULL;
    return s;
  }
}

void
report_print_summary (const struct report *r)
{
  const char *verb = r->dry_run ? "would be " : "";

  if (r->nr_changes == 0 && r->packages_removed == NULL)
    info ("guest: no changes %sneeded", r->dry_run ? "would be " : "");
  for (size_t i = 0; i < r->nr_changes; i++)
    info ("guest: %s%s %s (%s)", verb, r->changes[i].action,
          r->changes[i].path, r->changes[i].reason);
  for (size_t i = 0; r->packages_removed && r->packages_removed[i]; i++)
    info ("guest: %sremoved package %s", verb, r->packages_removed[i]);
}
