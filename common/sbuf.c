/* ferry: growable strings and a small JSON writer. */

#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "common.h"

int
sbuf_add (struct sbuf *b, const char *s, size_t n)
{
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    char *p;

    while (cap < b->len + n + 1)
      cap *= 2;
    p = realloc (b->s, cap);
    if (p == NULL)
      return -1;
    b->s = p;
    b->cap = cap;
  }
  memcpy (b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
  return 0;
}

int
sbuf_puts (struct sbuf *b, const char *s)
{
  return sbuf_add (b, s, strlen (s));
}

int
sbuf_printf (struct sbuf *b, const char *fs, ...)
{
  va_list args;
  char *p = NULL;
  int n, r;

  va_start (args, fs);
  n = vasprintf (&p, fs, args);
  va_end (args);
  if (n < 0)
    return -1;
  r = sbuf_add (b, p, n);
  free (p);
  return r;
}

char *
sbuf_take (struct sbuf *b)
{
  char *s = b->s;

  if (s == NULL)
    s = strdup ("");
  b->s = NULL;
  b->len = b->cap = 0;
  return s;
}

void
sbuf_free (struct sbuf *b)
{
  free (b->s);
  b->s = NULL;
  b->len = b->cap = 0;
}

int
json_escape (struct sbuf *b, const char *s)
{
  const unsigned char *p;

  for (p = (const unsigned char *) s; *p; p++) {
    int r;

    switch (*p) {
    case '"': r = sbuf_puts (b, "\\\""); break;
    case '\\': r = sbuf_puts (b, "\\\\"); break;
    case '\n': r = sbuf_puts (b, "\\n"); break;
    case '\r': r = sbuf_puts (b, "\\r"); break;
    case '\t': r = sbuf_puts (b, "\\t"); break;
    default:
      if (*p < 0x20)
        r = sbuf_printf (b, "\\u%04x", *p);
      else
        r = sbuf_add (b, (const char *) p, 1);
    }
    if (r == -1)
      return -1;
  }
  return 0;
}

void
json_init (struct json *j, bool pretty)
{
  memset (j, 0, sizeof *j);
  j->pretty = pretty;
}

/* Start a value: the comma, the newline and indentation, the key. */
static void
json_prefix (struct json *j, const char *key)
{
  if (j->depth > 0 && j->need_comma[j->depth])
    sbuf_puts (&j->buf, ",");
  if (j->depth > 0) {
    j->need_comma[j->depth] = true;
    if (j->pretty) {
      sbuf_puts (&j->buf, "\n");
      for (int i = 0; i < j->depth; i++)
        sbuf_puts (&j->buf, "  ");
    }
  }
  if (key) {
    sbuf_puts (&j->buf, "\"");
    json_escape (&j->buf, key);
    sbuf_puts (&j->buf, j->pretty ? "\": " : "\":");
  }
}

static void
json_open (struct json *j, const char *key, const char *c)
{
  json_prefix (j, key);
  sbuf_puts (&j->buf, c);
  if (j->depth < 31)
    j->depth++;
  j->need_comma[j->depth] = false;
}

static void
json_close (struct json *j, const char *c)
{
  bool had = j->need_comma[j->depth];

  if (j->depth > 0)
    j->depth--;
  if (j->pretty && had) {
    sbuf_puts (&j->buf, "\n");
    for (int i = 0; i < j->depth; i++)
      sbuf_puts (&j->buf, "  ");
  }
  sbuf_puts (&j->buf, c);
}

void json_begin_object (struct json *j, const char *key) { json_open (j, key, "{"); }
void json_end_object (struct json *j) { json_close (j, "}"); }
void json_begin_array (struct json *j, const char *key) { json_open (j, key, "["); }
void json_end_array (struct json *j) { json_close (j, "]"); }

void
json_string (struct json *j, const char *key, const char *v)
{
  if (v == NULL) {
    json_null (j, key);
    return;
  }
  json_prefix (j, key);
  sbuf_puts (&j->buf, "\"");
  json_escape (&j->buf, v);
  sbuf_puts (&j->buf, "\"");
}

void
json_int (struct json *j, const char *key, int64_t v)
{
  json_prefix (j, key);
  sbuf_printf (&j->buf, "%" PRIi64, v);
}

void
json_bool (struct json *j, const char *key, bool v)
{
  json_prefix (j, key);
  sbuf_puts (&j->buf, v ? "true" : "false");
}

void
json_null (struct json *j, const char *key)
{
  json_prefix (j, key);
  sbuf_puts (&j->buf, "null");
}

char *
json_take (struct json *j)
{
  return sbuf_take (&j->buf);
}
