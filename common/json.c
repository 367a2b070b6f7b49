/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: writing JSON (the change report, inspect output, the
 * --machine-readable events, request bodies) with jansson.
 *
 * The one thing of our own here is making strings valid UTF-8 first
 * (utf8_sanitise in sbuf.c): jansson refuses a string that is not,
 * and guest files, file names and messages are often not.
 */

#include <config.h>

#include <string.h>

#include "common.h"

void
json_init (struct json *j, bool pretty)
{
  memset (j, 0, sizeof *j);
  j->pretty = pretty;
}

/* Put v (a new reference, or NULL if it could not be made) where the
 * writer is: under 'key' in the open object, at the end of the open
 * array, or as the document.  Containers are also pushed.
 */
static void
json_put (struct json *j, const char *key, json_t *v, bool container)
{
  json_t *top = j->depth > 0 ? j->stack[j->depth - 1] : NULL;

  if (v == NULL || j->failed) {
    json_decref (v);
    j->failed = true;
    return;
  }
  if (top == NULL) {
    if (j->root) {              /* a second document: a misuse */
      json_decref (v);
      j->failed = true;
      return;
    }
    j->root = v;
  }
  else if (json_is_object (top)) {
    CLEANUP_FREE char *k = utf8_sanitise (key ? key : "");
    if (k == NULL || json_object_set_new (top, k, v) == -1) {
      j->failed = true;
      return;
    }
  }
  else if (json_array_append_new (top, v) == -1) {
    j->failed = true;
    return;
  }
  if (container) {
    if (j->depth >= (int) (sizeof j->stack / sizeof j->stack[0])) {
      j->failed = true;
      return;
    }
    j->stack[j->depth++] = v;   /* borrowed: the parent holds it */
  }
}

void json_begin_object (struct json *j, const char *key) { json_put (j, key, json_object (), true); }
void json_begin_array (struct json *j, const char *key) { json_put (j, key, json_array (), true); }

static void
json_pop (struct json *j)
{
  if (j->depth > 0)
    j->depth--;
  else
    j->failed = true;
}

void json_end_object (struct json *j) { json_pop (j); }
void json_end_array (struct json *j) { json_pop (j); }

void
json_add_string (struct json *j, const char *key, const char *v)
{
  CLEANUP_FREE char *s = v ? utf8_sanitise (v) : NULL;

  if (v && s == NULL) {
    j->failed = true;
    return;
  }
  json_put (j, key, s ? json_string (s) : json_null (), false);
}

void
json_add_int (struct json *j, const char *key, int64_t v)
{
  json_put (j, key, json_integer (v), false);
}

void
json_add_bool (struct json *j, const char *key, bool v)
{
  json_put (j, key, json_boolean (v), false);
}

void
json_add_null (struct json *j, const char *key)
{
  json_put (j, key, json_null (), false);
}

int
json_add_document (struct json *j, const char *key, const char *text)
{
  json_t *v = json_loads (text, JSON_REJECT_DUPLICATES, NULL);

  json_put (j, key, v, false);
  return v ? 0 : -1;
}

char *
json_take (struct json *j)
{
  char *s = NULL;

  if (!j->failed && j->root && j->depth == 0)
    s = json_dumps (j->root, JSON_PRESERVE_ORDER |
                    (j->pretty ? JSON_INDENT (2) : JSON_COMPACT));
  json_decref (j->root);
  memset (j, 0, sizeof *j);
  return s;
}

int
json_print_line (struct json *j)
{
  char *s = json_take (j);

  if (s == NULL)
    return -1;
  printf ("%s\n", s);
  fflush (stdout);
  free (s);
  return 0;
}
