/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: a small JSON parser (RFC 8259) for OpenStack API responses.
 *
 * Strict: no comments, trailing commas, leading zeros, NaN or
 * Infinity, unescaped control characters, invalid UTF-8, lone
 * surrogates, or anything after the document.  Strings are C strings,
 * so \u0000 is refused.  Integers are kept exactly when they fit int64.
 */

#include <config.h>

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "jsonparse.h"

#define MAX_DEPTH 64

struct jp {
  const char *start, *p, *end;
  const char *label;
  int depth;
};

/* ---------------------------------------------------------------- */
/* Trees. */

void
jv_clear (struct jv *v)
{
  if (v == NULL)
    return;
  free (v->s);
  for (size_t i = 0; i < v->nr; i++) {
    jv_clear (&v->items[i]);
    if (v->keys)
      free (v->keys[i]);
  }
  free (v->items);
  free (v->keys);
  memset (v, 0, sizeof *v);
}

void
jv_free (struct jv *v)
{
  jv_clear (v);
  free (v);
}

int
jv_push (struct jv *c, char *key, struct jv *item)
{
  size_t nr = c->nr;

  /* The capacity is not stored: it is 4, then doubles at each power of
   * two from 4 on.
   */
  if (nr == 0 || (nr >= 4 && (nr & (nr - 1)) == 0)) {
    size_t cap = nr == 0 ? 4 : nr * 2;
    struct jv *items;

    if (cap > SIZE_MAX / sizeof *items) {
      errno = ENOMEM;
      goto fail;
    }
    items = realloc (c->items, cap * sizeof *items);
    if (items == NULL)
      goto fail;
    c->items = items;
    if (c->type == JV_OBJECT) {
      char **keys = realloc (c->keys, cap * sizeof *keys);
      if (keys == NULL)
        goto fail;
      c->keys = keys;
    }
  }
  c->items[nr] = *item;
  if (c->type == JV_OBJECT)
    c->keys[nr] = key;
  else
    free (key);
  c->nr++;
  memset (item, 0, sizeof *item);
  return 0;
 fail:
  free (key);
  jv_clear (item);
  return -1;
}

/* The last member called key[0..len) of obj. */
static const struct jv *
get_n (const struct jv *obj, const char *key, size_t len)
{
  if (obj == NULL || obj->type != JV_OBJECT)
    return NULL;
  for (size_t i = obj->nr; i > 0; i--) {
    const char *k = obj->keys[i - 1];
    if (strncmp (k, key, len) == 0 && k[len] == '\0')
      return &obj->items[i - 1];
  }
  return NULL;
}

const struct jv *
jv_get (const struct jv *obj, const char *key)
{
  return key ? get_n (obj, key, strlen (key)) : NULL;
}

const struct jv *
jv_path (const struct jv *v, const char *path)
{
  if (path == NULL)
    return NULL;
  if (*path == '\0')
    return v;
  for (;;) {
    const char *dot = strchrnul (path, '.');

    v = get_n (v, path, dot - path);
    if (v == NULL || *dot == '\0')
      return v;
    path = dot + 1;
  }
}

const char *
jv_str (const struct jv *obj, const char *key)
{
  const struct jv *v = jv_get (obj, key);

  return v && v->type == JV_STRING ? v->s : NULL;
}

bool
jv_int (const struct jv *obj, const char *key, int64_t *out)
{
  const struct jv *v = jv_get (obj, key);

  if (v == NULL || v->type != JV_NUMBER || !v->is_int)
    return false;
  *out = v->i;
  return true;
}

bool
jv_bool (const struct jv *obj, const char *key, bool *out)
{
  const struct jv *v = jv_get (obj, key);

  if (v == NULL || v->type != JV_BOOL)
    return false;
  *out = v->b;
  return true;
}

const char *
jv_type_name (enum jv_type t)
{
  switch (t) {
  case JV_NULL: return "null";
  case JV_BOOL: return "boolean";
  case JV_NUMBER: return "number";
  case JV_STRING: return "string";
  case JV_ARRAY: return "array";
  case JV_OBJECT: return "object";
  }
  return "?";
}

struct keyix {
  const char *k;
  size_t i;
};

static int
key_cmp (const void *a, const void *b)
{
  const struct keyix *x = a, *z = b;
  int r = strcmp (x->k, z->k);

  return r ? r : x->i < z->i ? -1 : 1;
}

int
jv_dedupe (struct jv *obj)
{
  struct keyix *ix;
  size_t w = 0;

  if (obj->type != JV_OBJECT || obj->nr < 2)
    return 0;
  /* Sort (key, position) pairs to find the runs of one key. */
  ix = malloc (obj->nr * sizeof *ix);
  if (ix == NULL)
    return -1;
  for (size_t i = 0; i < obj->nr; i++) {
    ix[i].k = obj->keys[i];
    ix[i].i = i;
  }
  qsort (ix, obj->nr, sizeof *ix, key_cmp);
  for (size_t r = 0, n; r < obj->nr; r += n) {
    size_t first = ix[r].i, last;

    for (n = 1; r + n < obj->nr && strcmp (ix[r].k, ix[r + n].k) == 0; n++)
      ;
    if (n == 1)
      continue;
    last = ix[r + n - 1].i;
    jv_clear (&obj->items[first]);
    obj->items[first] = obj->items[last];
    memset (&obj->items[last], 0, sizeof obj->items[last]);
    for (size_t k = 1; k < n; k++) {
      size_t d = ix[r + k].i;
      jv_clear (&obj->items[d]);
      free (obj->keys[d]);
      obj->keys[d] = NULL;
    }
  }
  free (ix);
  for (size_t r = 0; r < obj->nr; r++)
    if (obj->keys[r]) {
      obj->keys[w] = obj->keys[r];
      obj->items[w++] = obj->items[r];
    }
  obj->nr = w;
  return 0;
}

/* ---------------------------------------------------------------- */
/* UTF-8. */

size_t
utf8_seq_len (const char *p, const char *end)
{
  const unsigned char *s = (const unsigned char *) p;
  size_t avail = end - p, n;

  if (avail == 0)
    return 0;
  if (s[0] < 0x80)
    return 1;
  if (s[0] < 0xc2)
    return 0;                   /* continuation byte, or overlong */
  n = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : s[0] < 0xf5 ? 4 : 0;
  if (n == 0 || avail < n)
    return 0;
  for (size_t k = 1; k < n; k++)
    if ((s[k] & 0xc0) != 0x80)
      return 0;
  if ((s[0] == 0xe0 && s[1] < 0xa0) ||  /* overlong */
      (s[0] == 0xed && s[1] >= 0xa0) || /* surrogate */
      (s[0] == 0xf0 && s[1] < 0x90) ||  /* overlong */
      (s[0] == 0xf4 && s[1] >= 0x90))   /* beyond U+10FFFF */
    return 0;
  return n;
}

int
hex_digits (const char *q, const char *end, int n, uint32_t *out)
{
  uint32_t v = 0;

  if (end - q < n)
    return -1;
  for (int k = 0; k < n; k++) {
    char c = q[k];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= c - '0';
    else if (c >= 'a' && c <= 'f')
      v |= c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      v |= c - 'A' + 10;
    else
      return -1;
  }
  *out = v;
  return 0;
}

int
utf8_put (struct sbuf *b, uint32_t cp)
{
  char u[4];
  size_t n;

  if (cp < 0x80) {
    u[0] = cp;
    n = 1;
  }
  else if (cp < 0x800) {
    u[0] = 0xc0 | cp >> 6;
    u[1] = 0x80 | (cp & 0x3f);
    n = 2;
  }
  else if (cp < 0x10000) {
    u[0] = 0xe0 | cp >> 12;
    u[1] = 0x80 | (cp >> 6 & 0x3f);
    u[2] = 0x80 | (cp & 0x3f);
    n = 3;
  }
  else {
    u[0] = 0xf0 | cp >> 18;
    u[1] = 0x80 | (cp >> 12 & 0x3f);
    u[2] = 0x80 | (cp >> 6 & 0x3f);
    u[3] = 0x80 | (cp & 0x3f);
    n = 4;
  }
  return sbuf_add (b, u, n);
}

/* ---------------------------------------------------------------- */
/* The parser. */

/* Report "MESSAGE at line L column C" for position q.  Columns count
 * characters, not bytes.
 */
static void __attribute__ ((format (printf, 3, 4)))
jp_error (const struct jp *j, const char *q, const char *fs, ...)
{
  va_list args;
  char msg[512];
  size_t line = 1, col = 1;

  va_start (args, fs);
  vsnprintf (msg, sizeof msg, fs, args);
  va_end (args);
  for (const char *r = j->start; r < q; r++) {
    if (*r == '\n') {
      line++;
      col = 1;
    }
    else if ((*r & 0xc0) != 0x80)
      col++;
  }
  error ("parse JSON \"%s\": %s at line %zu column %zu",
         j->label, msg, line, col);
}

static void
jp_nomem (const struct jp *j)
{
  error ("parse JSON \"%s\": %m", j->label);
}

static void
unexpected (const struct jp *j, const char *q, const char *where)
{
  unsigned char c = q < j->end ? *q : 0;

  if (q >= j->end)
    jp_error (j, q, "unexpected end of input%s", where);
  else if (c >= 0x20 && c < 0x7f)
    jp_error (j, q, "unexpected character '%c'%s", c, where);
  else
    jp_error (j, q, "unexpected byte 0x%02x%s", c, where);
}

static void
skip_ws (struct jp *j)
{
  while (j->p < j->end &&
         (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
    j->p++;
}

static bool
at (const struct jp *j, char c)
{
  return j->p < j->end && *j->p == c;
}

static bool
is_digit (const struct jp *j, const char *q)
{
  return q < j->end && *q >= '0' && *q <= '9';
}

/* The escape at q (a backslash); appends its character to b and
 * returns the position after it, or NULL after error().
 */
static const char *
parse_escape (const struct jp *j, const char *q, struct sbuf *b)
{
  const char *simple = "\"\"\\\\//b\bf\fn\nr\rt\t";
  uint32_t cp, lo;

  if (q + 1 >= j->end) {
    unexpected (j, q + 1, " in a string");
    return NULL;
  }
  if (q[1] != 'u') {
    for (const char *s = simple; *s; s += 2) {
      if (q[1] != s[0])
        continue;
      if (sbuf_add (b, s + 1, 1) == -1) {
        jp_nomem (j);
        return NULL;
      }
      return q + 2;
    }
    if ((unsigned char) q[1] >= 0x20 && (unsigned char) q[1] < 0x7f)
      jp_error (j, q, "invalid escape '\\%c' in a string", q[1]);
    else
      jp_error (j, q, "invalid escape in a string");
    return NULL;
  }
  if (hex_digits (q + 2, j->end, 4, &cp) == -1) {
    jp_error (j, q, "invalid \\u escape (four hex digits must follow)");
    return NULL;
  }
  if (cp == 0) {
    jp_error (j, q, "\\u0000 in a string is not supported");
    return NULL;
  }
  if (cp >= 0xdc00 && cp <= 0xdfff) {
    jp_error (j, q, "lone surrogate \\u%04x in a string", cp);
    return NULL;
  }
  if (cp >= 0xd800 && cp <= 0xdbff) {
    if (j->end - q < 12 || q[6] != '\\' || q[7] != 'u' ||
        hex_digits (q + 8, j->end, 4, &lo) == -1 || lo < 0xdc00 || lo > 0xdfff) {
      jp_error (j, q, "lone surrogate \\u%04x in a string", cp);
      return NULL;
    }
    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
    q += 6;
  }
  if (utf8_put (b, cp) == -1) {
    jp_nomem (j);
    return NULL;
  }
  return q + 6;
}

/* A string at j->p (the opening quote) into *out (owned). */
static int
parse_string (struct jp *j, char **out)
{
  struct sbuf b = SBUF_INIT;
  const char *q = j->p + 1;

  for (;;) {
    unsigned char c;
    const char *run = q;

    while (q < j->end && (c = *q) >= 0x20 && c < 0x80 && c != '"' && c != '\\')
      q++;
    if (q > run && sbuf_add (&b, run, q - run) == -1)
      goto nomem;
    if (q >= j->end) {
      jp_error (j, j->p, "unterminated string");
      goto fail;
    }
    c = *q;
    if (c == '"')
      break;
    if (c == '\\') {
      q = parse_escape (j, q, &b);
      if (q == NULL)
        goto fail;
    }
    else if (c < 0x20) {
      jp_error (j, q, "control character 0x%02x in a string (it must be "
                "escaped)", c);
      goto fail;
    }
    else {
      size_t n = utf8_seq_len (q, j->end);
      if (n == 0) {
        jp_error (j, q, "invalid UTF-8 in a string");
        goto fail;
      }
      if (sbuf_add (&b, q, n) == -1)
        goto nomem;
      q += n;
    }
  }
  *out = sbuf_take (&b);
  if (*out == NULL)
    goto nomem;
  j->p = q + 1;
  return 0;
 nomem:
  jp_nomem (j);
 fail:
  sbuf_free (&b);
  return -1;
}

/* strtod in the C locale, whatever setlocale() said. */
static double
c_strtod (const char *s)
{
  static locale_t c_locale;

  if (c_locale == (locale_t) 0)
    c_locale = newlocale (LC_NUMERIC_MASK, "C", (locale_t) 0);
  if (c_locale != (locale_t) 0)
    return strtod_l (s, NULL, c_locale);
  return strtod (s, NULL);
}

static int
parse_number (struct jp *j, struct jv *out)
{
  const char *s = j->p, *q = s, *digits;
  bool neg = false, integer = true, fits = true;
  uint64_t u = 0, limit;
  CLEANUP_FREE char *copy = NULL;

  if (*q == '-') {
    neg = true;
    q++;
  }
  if (!is_digit (j, q)) {
    if (q < j->end && *q == 'I')
      jp_error (j, s, "NaN and Infinity are not valid JSON");
    else
      unexpected (j, q, "");
    return -1;
  }
  digits = q;
  if (*q == '0') {
    q++;
    if (is_digit (j, q)) {
      jp_error (j, s, "leading zeros are not allowed in numbers");
      return -1;
    }
  }
  while (is_digit (j, q))
    q++;
  if (q < j->end && *q == '.') {
    integer = false;
    q++;
    if (!is_digit (j, q)) {
      unexpected (j, q, " in a number");
      return -1;
    }
    while (is_digit (j, q))
      q++;
  }
  if (q < j->end && (*q == 'e' || *q == 'E')) {
    integer = false;
    q++;
    if (q < j->end && (*q == '+' || *q == '-'))
      q++;
    if (!is_digit (j, q)) {
      unexpected (j, q, " in a number");
      return -1;
    }
    while (is_digit (j, q))
      q++;
  }

  copy = strndup (s, q - s);
  if (copy == NULL) {
    jp_nomem (j);
    return -1;
  }
  out->type = JV_NUMBER;
  out->n = c_strtod (copy);
  if (isinf (out->n)) {
    out->type = JV_NULL;
    jp_error (j, s, "number out of range");
    return -1;
  }

  /* Integers exactly, from the digits. */
  limit = neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
  for (const char *d = digits; integer && fits && d < q; d++) {
    unsigned v = *d - '0';
    if (u > (limit - v) / 10)
      fits = false;
    else
      u = u * 10 + v;
  }
  out->is_int = integer && fits;
  if (out->is_int)
    out->i = !neg ? (int64_t) u
      : u == (uint64_t) INT64_MAX + 1 ? INT64_MIN : -(int64_t) u;
  j->p = q;
  return 0;
}

/* One of the words true, false, null. */
static int
parse_word (struct jp *j, const char *word)
{
  for (size_t k = 0; word[k]; k++)
    if (j->p + k >= j->end || j->p[k] != word[k]) {
      unexpected (j, j->p + k, "");
      return -1;
    }
  j->p += strlen (word);
  return 0;
}

static int parse_value (struct jp *j, struct jv *out);

static int
parse_container (struct jp *j, struct jv *out)
{
  bool object = *j->p == '{';
  char close = object ? '}' : ']';

  if (++j->depth > MAX_DEPTH) {
    jp_error (j, j->p, "nesting deeper than %d levels", MAX_DEPTH);
    return -1;
  }
  out->type = object ? JV_OBJECT : JV_ARRAY;
  j->p++;
  skip_ws (j);
  if (at (j, close)) {
    j->p++;
    j->depth--;
    return 0;
  }
  for (;;) {
    struct jv item = { 0 };
    char *key = NULL;

    if (object) {
      if (!at (j, '"')) {
        unexpected (j, j->p, " (expected a member name)");
        goto fail;
      }
      if (parse_string (j, &key) == -1)
        goto fail;
      skip_ws (j);
      if (!at (j, ':')) {
        free (key);
        unexpected (j, j->p, " (expected ':')");
        goto fail;
      }
      j->p++;
    }
    if (parse_value (j, &item) == -1) {
      free (key);
      goto fail;
    }
    if (jv_push (out, key, &item) == -1) {
      jp_nomem (j);
      goto fail;
    }
    skip_ws (j);
    if (at (j, close))
      break;
    if (!at (j, ',')) {
      unexpected (j, j->p, object ? " (expected ',' or '}')"
                  : " (expected ',' or ']')");
      goto fail;
    }
    j->p++;
    skip_ws (j);
    if (at (j, close)) {
      jp_error (j, j->p, "trailing comma before '%c'", close);
      goto fail;
    }
  }
  j->p++;
  j->depth--;
  return 0;
 fail:
  jv_clear (out);
  return -1;
}

/* A value at j->p (after whitespace) into *out, which is JV_NULL and
 * empty on entry and on failure.
 */
static int
parse_value (struct jp *j, struct jv *out)
{
  skip_ws (j);
  if (j->p >= j->end) {
    unexpected (j, j->p, "");
    return -1;
  }
  switch (*j->p) {
  case '{': case '[':
    return parse_container (j, out);
  case '"':
    if (parse_string (j, &out->s) == -1)
      return -1;
    out->type = JV_STRING;
    return 0;
  case 't': case 'f':
    {
      bool b = *j->p == 't';
      if (parse_word (j, b ? "true" : "false") == -1)
        return -1;
      out->type = JV_BOOL;
      out->b = b;
    }
    return 0;
  case 'n':
    return parse_word (j, "null");
  case 'N': case 'I':
    if (j->end - j->p >= 3 &&
        (memcmp (j->p, "NaN", 3) == 0 || memcmp (j->p, "Inf", 3) == 0)) {
      jp_error (j, j->p, "NaN and Infinity are not valid JSON");
      return -1;
    }
    break;
  default:
    if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'))
      return parse_number (j, out);
  }
  unexpected (j, j->p, "");
  return -1;
}

struct jv *
jv_parse (const char *text, size_t len, const char *label)
{
  struct jp j = { .start = text, .p = text, .end = text + len,
                  .label = label };
  struct jv *v;

  /* RFC 8259 lets a parser ignore a byte order mark. */
  if (len >= 3 && memcmp (text, "\xef\xbb\xbf", 3) == 0)
    j.start = j.p = text + 3;
  v = calloc (1, sizeof *v);
  if (v == NULL) {
    jp_nomem (&j);
    return NULL;
  }
  if (parse_value (&j, v) == -1) {
    free (v);
    return NULL;
  }
  skip_ws (&j);
  if (j.p < j.end) {
    unexpected (&j, j.p, " after the document");
    jv_free (v);
    return NULL;
  }
  return v;
}
