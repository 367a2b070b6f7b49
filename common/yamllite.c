/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: the subset of YAML that OpenStack's clouds.yaml and
 * secure.yaml are written in, read into the tree of jsonparse.h.
 *
 * Block mappings and sequences by indentation (spaces only), plain,
 * single- and double-quoted scalars (which may continue on more
 * indented lines), literal and folded block scalars, one-line flow
 * collections, comments, an optional "---" and "...".  Everything YAML
 * has beyond that (anchors, aliases, tags, directives, complex keys,
 * several documents) is refused with a message naming the line, rather
 * than read differently from what the user meant.  Scalars are all
 * strings: the caller decides what "3" or "false" means.
 */

#include <config.h>

#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "jsonparse.h"

#define MAX_DEPTH 64

struct yline {
  const char *b;                /* beginning of the line */
  const char *s;                /* first character after the indentation */
  const char *e;                /* end of the line, before any "\r\n" */
  size_t indent;                /* spaces before s */
  bool blank;                   /* only whitespace, maybe a comment */
};

struct yp {
  const char *label;
  struct yline *lines;
  size_t nr_lines;
  size_t i;                     /* next line to read */
  int depth;
};

static int __attribute__ ((format (printf, 3, 4)))
yp_error (const struct yp *y, const struct yline *l, const char *fs, ...)
{
  va_list args;
  char msg[512];

  va_start (args, fs);
  vsnprintf (msg, sizeof msg, fs, args);
  va_end (args);
  error ("parse YAML \"%s\" line %zu: %s", y->label,
         (size_t) (l - y->lines) + 1, msg);
  return -1;
}

static int
yp_nomem (const struct yp *y)
{
  error ("parse YAML \"%s\": %m", y->label);
  return -1;
}

static int
add_newlines (struct sbuf *b, size_t n)
{
  for (; n > 0; n--)
    if (sbuf_add (b, "\n", 1) == -1)
      return -1;
  return 0;
}

static bool is_ws (char c) { return c == ' ' || c == '\t'; }

static const char *
skip_ws (const char *q, const char *e)
{
  while (q < e && is_ws (*q))
    q++;
  return q;
}

/* Nothing but whitespace on the line. */
static bool
is_empty (const struct yline *l)
{
  return skip_ws (l->s, l->e) == l->e;
}

/* Is q..e only whitespace and maybe a comment (after whitespace)? */
static bool
rest_blank (const char *q, const char *e)
{
  const char *r = skip_ws (q, e);

  return r == e || (*r == '#' && r > q);
}

/* "---" or "..." at the start of a line, alone or before whitespace. */
static bool
is_marker (const struct yline *l, const char *m)
{
  return l->s == l->b && l->e - l->s >= 3 && memcmp (l->s, m, 3) == 0 &&
    (l->e - l->s == 3 || is_ws (l->s[3]));
}

static bool
is_doc_end (const struct yline *l)
{
  return is_marker (l, "---") || is_marker (l, "...");
}

static bool
is_seq_entry (const struct yline *l)
{
  return l->s < l->e && *l->s == '-' && (l->s + 1 == l->e || is_ws (l->s[1]));
}

static int
split_lines (struct yp *y, const char *text, size_t len)
{
  const char *p = text, *end = text + len;
  size_t n = 1;

  if (len >= 3 && memcmp (text, "\xef\xbb\xbf", 3) == 0)
    p += 3;
  for (const char *q = p; (q = memchr (q, '\n', end - q)) != NULL; q++)
    n++;
  y->lines = calloc (n, sizeof *y->lines);
  if (y->lines == NULL)
    return yp_nomem (y);
  while (p < end) {
    const char *eol = memchr (p, '\n', end - p);
    struct yline *l = &y->lines[y->nr_lines++];
    const char *q;

    l->b = p;
    l->e = eol ? eol : end;
    if (l->e > p && l->e[-1] == '\r')
      l->e--;
    for (q = p; q < l->e; ) {
      unsigned char c = *q;
      size_t k = utf8_seq_len (q, l->e);

      if (c == 0)
        return yp_error (y, l, "the file contains a NUL byte");
      if ((c < 0x20 && c != '\t') || c == 0x7f)
        return yp_error (y, l, "control character 0x%02x", c);
      if (k == 0)
        return yp_error (y, l, "invalid UTF-8");
      q += k;
    }
    for (q = p; q < l->e && *q == ' '; q++)
      ;
    l->s = q;
    l->indent = q - p;
    while (q < l->e && is_ws (*q))
      q++;
    l->blank = q == l->e || *q == '#';
    p = eol ? eol + 1 : end;
  }
  return 0;
}

/* Skip blank lines; *out is the next content line of this document,
 * or NULL at the end or at a "---" or "...".
 */
static int
peek (struct yp *y, struct yline **out)
{
  struct yline *l;

  *out = NULL;
  while (y->i < y->nr_lines && y->lines[y->i].blank)
    y->i++;
  if (y->i >= y->nr_lines)
    return 0;
  l = &y->lines[y->i];
  if (is_doc_end (l))
    return 0;
  if (*l->s == '\t')
    return yp_error (y, l, "tabs are not allowed in indentation");
  *out = l;
  return 0;
}

/* ---------------------------------------------------------------- */
/* Scalars. */

/* The escape at *qp (after a backslash, before e) of a double-quoted
 * scalar: appends its character to b and moves *qp past it.
 */
static int
parse_escape (struct yp *y, const struct yline *l, const char **qp,
              const char *e, struct sbuf *b)
{
  static const struct { char c; uint16_t cp; } esc[] = {
    { 'a', 7 }, { 'b', 8 }, { 't', 9 }, { '\t', 9 }, { 'n', 10 }, { 'v', 11 },
    { 'f', 12 }, { 'r', 13 }, { 'e', 27 }, { ' ', ' ' }, { '"', '"' },
    { '/', '/' }, { '\\', '\\' }, { 'N', 0x85 }, { '_', 0xa0 },
    { 'L', 0x2028 }, { 'P', 0x2029 },
  };
  const char *q = *qp;
  uint32_t cp = 0, lo;
  int n = *q == 'x' ? 2 : *q == 'u' ? 4 : *q == 'U' ? 8 : 0;

  for (size_t i = 0; n == 0 && i < sizeof esc / sizeof esc[0]; i++)
    if (*q == esc[i].c) {
      cp = esc[i].cp;
      n = -1;
    }
  if (n == 0 && *q == '0')
    return yp_error (y, l, "\\0 (a NUL character) in a string is not "
                     "supported");
  if (n == 0)
    return yp_error (y, l, "invalid escape \"\\%c\" in a double-quoted "
                     "string", *q > ' ' && *q < 0x7f ? *q : '?');
  if (n > 0 && hex_digits (q + 1, e, n, &cp) == -1)
    return yp_error (y, l, "invalid escape \"\\%c\" (%d hex digits must "
                     "follow)", *q, n);
  q += n > 0 ? 1 + n : 1;
  if (cp >= 0xd800 && cp <= 0xdbff && n == 4 && e - q >= 6 &&
      q[0] == '\\' && q[1] == 'u' && hex_digits (q + 2, e, 4, &lo) == 0 &&
      lo >= 0xdc00 && lo <= 0xdfff) {
    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
    q += 6;
  }
  if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
    return yp_error (y, l, "escape of an invalid character U+%04X (a NUL, "
                     "a lone surrogate or beyond U+10FFFF)", cp);
  *qp = q;
  return utf8_put (b, cp) == 0 ? 0 : yp_nomem (y);
}

/* A quoted scalar whose opening quote is at v on line li, into *out
 * (owned).  If 'multi', it may go on over the following lines (folded
 * as YAML says), which must be indented at least min; otherwise it
 * returns 0 with *out and *endp NULL if it does not end on its line.
 * On success *endp is after the closing quote and *end_li its line.
 */
static int
parse_quoted (struct yp *y, size_t li, const char *v, size_t min, bool multi,
              char **out, size_t *end_li, const char **endp)
{
  char quote = *v;
  const char *q = v + 1;
  size_t start_li = li;
  struct sbuf sb = SBUF_INIT, *b = &sb;

  *out = NULL;
  *endp = NULL;
  for (;;) {
    const struct yline *l = &y->lines[li];
    size_t hard = b->len;       /* escaped whitespace is never trimmed */
    bool escaped_break = false;
    size_t empties = 0;

    while (q < l->e) {
      const char *run = q;

      while (q < l->e && *q != quote && !(quote == '"' && *q == '\\'))
        q++;
      if (sbuf_add (b, run, q - run) == -1)
        goto nomem;
      if (q == l->e)
        break;
      if (quote == '\'' && q + 1 < l->e && q[1] == '\'') {
        if (sbuf_add (b, "'", 1) == -1)
          goto nomem;
        q += 2;
        hard = b->len;
      }
      else if (*q == quote) {
        *endp = q + 1;
        *end_li = li;
        *out = sbuf_take (b);
        return *out ? 0 : yp_nomem (y);
      }
      else if (q + 1 == l->e) {
        escaped_break = true;
        q++;
      }
      else {
        q++;
        if (parse_escape (y, l, &q, l->e, b) == -1)
          goto fail;
        hard = b->len;
      }
    }
    if (!multi) {
      sbuf_free (b);
      return 0;
    }
    if (!escaped_break)
      while (b->len > hard && is_ws (b->s[b->len - 1]))
        b->s[--b->len] = '\0';

    /* Fold the line break with the empty lines that follow. */
    for (li++; li < y->nr_lines && is_empty (&y->lines[li]); li++)
      empties++;
    if (li >= y->nr_lines || is_doc_end (&y->lines[li]) ||
        y->lines[li].indent < min) {
      yp_error (y, &y->lines[start_li], "unterminated quoted string%s",
                li < y->nr_lines && y->lines[li].indent < min
                ? " (or its next lines are not indented)" : "");
      goto fail;
    }
    l = &y->lines[li];
    if ((empties == 0 && !escaped_break && sbuf_add (b, " ", 1) == -1) ||
        add_newlines (b, empties) == -1)
      goto nomem;
    q = skip_ws (l->s, l->e);
  }
 nomem:
  yp_nomem (y);
 fail:
  sbuf_free (b);
  return -1;
}

/* A plain scalar starting at v on the current line, continued on the
 * lines indented at least min that follow, up to a comment.
 */
static int
parse_plain (struct yp *y, const char *v, size_t min, struct jv *out)
{
  struct sbuf b = SBUF_INIT;
  const struct yline *l = &y->lines[y->i];

  for (bool first = true; ; first = false) {
    const char *q;
    size_t j, empties = 0;

    for (q = v; q < l->e && !(*q == '#' && q > v && is_ws (q[-1])); q++)
      if (*q == ':' && (q + 1 == l->e || is_ws (q[1]))) {
        sbuf_free (&b);
        return yp_error (y, l, first ? "\": \" is not allowed in a plain "
                         "value (quote the value)"
                         : "bad indentation of a mapping entry");
      }
    for (j = q - v; j > 0 && is_ws (v[j - 1]); j--)
      ;
    if (sbuf_add (&b, v, j) == -1)
      goto nomem;
    y->i++;
    if (q < l->e)
      break;                    /* a comment ends it */
    for (j = y->i; j < y->nr_lines && is_empty (&y->lines[j]); j++)
      empties++;
    if (j >= y->nr_lines)
      break;
    l = &y->lines[j];
    if (l->indent < min || l->blank || is_doc_end (l))
      break;
    y->i = j;
    v = skip_ws (l->s, l->e);
    if ((empties == 0 && sbuf_add (&b, " ", 1) == -1) ||
        add_newlines (&b, empties) == -1)
      goto nomem;
  }
  out->s = sbuf_take (&b);
  if (out->s == NULL)
    goto nomem;
  out->type = JV_STRING;
  return 0;
 nomem:
  sbuf_free (&b);
  return yp_nomem (y);
}

/* A literal (|) or folded (>) block scalar whose header is at v on the
 * current line; its lines must be indented at least min.
 */
static int
parse_block_scalar (struct yp *y, const char *v, size_t min, struct jv *out)
{
  const struct yline *l = &y->lines[y->i];
  bool folded = *v == '>', more = false, content = false, explicit = false;
  int chomp = 0;                /* -1 strip, 0 clip, 1 keep */
  size_t ci = 0, empties = 0;
  const char *q = v + 1;
  struct sbuf b = SBUF_INIT;

  for (int k = 0; k < 2 && q < l->e; k++, q++) {
    if ((*q == '-' || *q == '+') && chomp == 0)
      chomp = *q == '-' ? -1 : 1;
    else if (*q >= '1' && *q <= '9' && !explicit) {
      /* Relative to the parent's indentation, min - 1. */
      explicit = true;
      ci = min + (*q - '0') - 1;
    }
    else
      break;
  }
  if (!rest_blank (q, l->e))
    return yp_error (y, l, "unexpected text after the block scalar header "
                     "\"%.*s\"", (int) (q - v), v);
  y->i++;

  for (; y->i < y->nr_lines; y->i++) {
    const struct yline *m = &y->lines[y->i];
    const char *r = m->b;

    while (r < m->e && *r == ' ')
      r++;
    if (!explicit && r < m->e) {
      /* The indentation of the first non-empty line. */
      explicit = true;
      ci = (size_t) (r - m->b) > min ? (size_t) (r - m->b) : min;
    }
    if (r == m->e && (!explicit || (size_t) (r - m->b) <= ci)) {
      empties++;
      continue;
    }
    if ((size_t) (r - m->b) < ci || (ci == 0 && is_doc_end (m)))
      break;                    /* less indented: the scalar ends */
    r = m->b + ci;
    if (folded && is_ws (*r)) {
      more = true;
      empties += content;
    }
    else if (folded && more) {
      more = false;
      empties++;
    }
    else if (folded && empties == 0) {
      if (content && sbuf_add (&b, " ", 1) == -1)
        goto nomem;
    }
    else if (!folded)
      empties += content;
    if (add_newlines (&b, empties) == -1 || sbuf_add (&b, r, m->e - r) == -1)
      goto nomem;
    empties = 0;
    content = true;
  }
  empties = chomp == 1 ? empties + content : chomp == 0 ? content : 0;
  if (add_newlines (&b, empties) == -1)
    goto nomem;
  out->s = sbuf_take (&b);
  if (out->s == NULL)
    goto nomem;
  out->type = JV_STRING;
  return 0;
 nomem:
  sbuf_free (&b);
  return yp_nomem (y);
}

/* ---------------------------------------------------------------- */
/* Flow collections, on one line. */

static int
refuse_indicator (struct yp *y, const struct yline *l, char c)
{
  if (c == '&' || c == '*')
    return yp_error (y, l, "anchors and aliases are not supported");
  if (c == '!')
    return yp_error (y, l, "tags are not supported");
  return yp_error (y, l, "a plain value cannot start with '%c' (quote it)", c);
}

static int parse_flow (struct yp *y, const struct yline *l, const char **pp,
                       struct jv *out);

/* A flow scalar at *pp: quoted on this line, or plain up to one of
 * ",[]{}", ": " or " #".
 */
static int
flow_scalar (struct yp *y, const struct yline *l, const char **pp,
             struct jv *out)
{
  const char *q = *pp, *start = q;

  if (*q == '"' || *q == '\'') {
    size_t end_li;
    if (parse_quoted (y, l - y->lines, q, 0, false, &out->s, &end_li, &q) == -1)
      return -1;
    if (q == NULL)
      return yp_error (y, l, "a quoted string in a flow collection must end "
                       "on its line");
  }
  else {
    if (strchr ("&*!|>%@`#,[]{}", *q) ||
        ((*q == '-' || *q == '?' || *q == ':') &&
         (q + 1 == l->e || strchr (" \t,[]{}", q[1]))))
      return refuse_indicator (y, l, *q);
    for (; q < l->e; q++) {
      if (strchr (",[]{}", *q) ||
          (*q == ':' && (q + 1 == l->e || strchr (" \t,[]{}", q[1]))) ||
          (*q == '#' && is_ws (q[-1])))
        break;
    }
    *pp = q;
    while (q > start && is_ws (q[-1]))
      q--;
    out->s = strndup (start, q - start);
    q = *pp;
  }
  if (out->s == NULL)
    return yp_nomem (y);
  out->type = JV_STRING;
  *pp = q;
  return 0;
}

static int
flow_node (struct yp *y, const struct yline *l, const char **pp,
           struct jv *out)
{
  *pp = skip_ws (*pp, l->e);
  if (*pp == l->e || **pp == '#')
    return yp_error (y, l, "a flow collection (\"[...]\" or \"{...}\") "
                     "must end on its line");
  if (**pp == '[' || **pp == '{')
    return parse_flow (y, l, pp, out);
  return flow_scalar (y, l, pp, out);
}

/* Append an empty value to container c (and key, taken over) and
 * return it, for the caller to fill in place: whatever is parsed hangs
 * from the root at once, so a failure anywhere needs only the root
 * freed.
 */
static struct jv *
slot (struct yp *y, struct jv *c, char *key)
{
  struct jv item = { 0 };

  if (jv_push (c, key, &item) == -1) {
    yp_nomem (y);
    return NULL;
  }
  return &c->items[c->nr - 1];
}

static int
parse_flow (struct yp *y, const struct yline *l, const char **pp,
            struct jv *out)
{
  bool map = **pp == '{';
  char close = map ? '}' : ']';
  const char *q = *pp + 1;

  if (++y->depth > MAX_DEPTH)
    return yp_error (y, l, "nesting deeper than %d levels", MAX_DEPTH);
  out->type = map ? JV_OBJECT : JV_ARRAY;
  for (;;) {
    struct jv key = { 0 }, *item;

    q = skip_ws (q, l->e);
    if (q < l->e && *q == close)
      break;
    if (map) {
      if (flow_node (y, l, &q, &key) == -1 || key.type != JV_STRING) {
        bool complex = key.type != JV_NULL;
        jv_clear (&key);
        return complex ? yp_error (y, l, "complex keys are not supported") : -1;
      }
      if ((item = slot (y, out, key.s)) == NULL)
        return -1;
      q = skip_ws (q, l->e);
      if (q < l->e && *q == ':') {
        q = skip_ws (q + 1, l->e);
        if (q < l->e && *q != ',' && *q != '}' &&
            flow_node (y, l, &q, item) == -1)
          return -1;
      }
    }
    else if ((item = slot (y, out, NULL)) == NULL ||
             flow_node (y, l, &q, item) == -1)
      return -1;
    q = skip_ws (q, l->e);
    if (q < l->e && *q == close)
      break;
    if (q < l->e && *q == ':' && !map)
      return yp_error (y, l, "mappings inside flow sequences are not "
                       "supported");
    if (q == l->e || *q == '#')
      return yp_error (y, l, "a flow collection (\"[...]\" or \"{...}\") "
                       "must end on its line");
    if (*q != ',')
      return yp_error (y, l, "expected ',' or '%c' in a flow collection, "
                       "not '%c'", close, *q);
    q++;
  }
  *pp = q + 1;
  y->depth--;
  return jv_dedupe (out) == 0 ? 0 : yp_nomem (y);
}

/* ---------------------------------------------------------------- */
/* Block structure. */

static int parse_node (struct yp *y, size_t min, struct jv *out);

/* The value starting at v (not blank) on the current line. */
static int
parse_inline (struct yp *y, const char *v, size_t min, struct jv *out)
{
  const struct yline *l = &y->lines[y->i];
  const char *q = v;

  switch (*v) {
  case '|': case '>':
    return parse_block_scalar (y, v, min, out);
  case '[': case '{':
    if (parse_flow (y, l, &q, out) == -1)
      return -1;
    break;
  case '"': case '\'': {
    size_t li;
    if (parse_quoted (y, y->i, v, min, true, &out->s, &li, &q) == -1)
      return -1;
    out->type = JV_STRING;
    y->i = li;
    l = &y->lines[li];
    break;
  }
  case '-': case '?': case ':':
    if (v + 1 == l->e || is_ws (v[1]))
      return yp_error (y, l, *v == '-' ? "a sequence entry is not allowed here"
                       : *v == '?' ? "complex keys are not supported"
                       : "unexpected \":\"");
    return parse_plain (y, v, min, out);
  default:
    if (strchr ("&*!%@`,]}", *v))
      return refuse_indicator (y, l, *v);
    return parse_plain (y, v, min, out);
  }
  if (!rest_blank (q, l->e))
    return yp_error (y, l, "unexpected text after the value");
  y->i++;
  return 0;
}

/* If line l is "KEY: ...": 1 with *key (owned) and *after set. */
static int
scan_key (struct yp *y, const struct yline *l, char **key, const char **after)
{
  const char *q = l->s;

  *key = NULL;
  if (*q == '"' || *q == '\'') {
    size_t li;
    if (parse_quoted (y, l - y->lines, q, 0, false, key, &li, &q) == -1)
      return -1;
    if (q != NULL) {
      q = skip_ws (q, l->e);
      if (q < l->e && *q == ':' && (q + 1 == l->e || is_ws (q[1]))) {
        *after = q + 1;
        return 1;
      }
    }
    free (*key);
    *key = NULL;
    return 0;
  }
  if (strchr ("&*!", *q))
    return refuse_indicator (y, l, *q);
  if ((*q == '?' || *q == ':') && (q + 1 == l->e || is_ws (q[1])))
    return yp_error (y, l, *q == '?' ? "complex keys are not supported"
                     : "a key is missing before \":\"");
  if (strchr ("|>%@`,[]{}", *q))
    return 0;
  for (; q < l->e; q++) {
    if (*q == '#' && q > l->s && is_ws (q[-1]))
      return 0;
    if (*q == ':' && (q + 1 == l->e || is_ws (q[1]))) {
      const char *k = q;
      while (is_ws (k[-1]))
        k--;
      *key = strndup (l->s, k - l->s);
      *after = q + 1;
      return *key ? 1 : yp_nomem (y);
    }
  }
  return 0;
}

/* A block sequence whose entries ("- ") are indented n. */
static int
parse_seq (struct yp *y, size_t n, struct jv *out)
{
  struct yline *l, *m;

  out->type = JV_ARRAY;
  for (;;) {
    struct jv *item;
    const char *r;

    if (peek (y, &l) == -1)
      return -1;
    if (l == NULL || l->indent < n)
      return 0;
    if (l->indent > n)
      return yp_error (y, l, "bad indentation of a sequence entry");
    if (!is_seq_entry (l))
      return 0;                 /* the parent's next key, or an error */
    for (r = l->s + 1; r < l->e && *r == ' '; r++)
      ;
    if (r < l->e && *r == '\t')
      return yp_error (y, l, "tabs are not allowed in indentation");
    if ((item = slot (y, out, NULL)) == NULL)
      return -1;
    if (rest_blank (l->s + 1, l->e)) {
      y->i++;
      if (peek (y, &m) == -1 ||
          (m && m->indent > n && parse_node (y, n + 1, item) == -1))
        return -1;
    }
    else {
      /* "- key: value", "- - x", "- x": the rest as if on a line of
       * its own, indented to where it starts.
       */
      l->indent += r - l->s;
      l->s = r;
      if (parse_node (y, n + 1, item) == -1)
        return -1;
    }
  }
}

/* A block mapping whose keys are indented n. */
static int
parse_map (struct yp *y, size_t n, struct jv *out)
{
  struct yline *l, *m;

  out->type = JV_OBJECT;
  for (;;) {
    struct jv *item;
    char *key;
    const char *v;
    int r;

    if (peek (y, &l) == -1)
      return -1;
    if (l == NULL || l->indent < n)
      break;
    if (l->indent > n)
      return yp_error (y, l, "bad indentation of a mapping entry");
    if (is_seq_entry (l))
      return yp_error (y, l, "a sequence entry is not allowed here (check "
                       "the indentation)");
    r = scan_key (y, l, &key, &v);
    if (r == 0)
      return yp_error (y, l, "expected \"key: value\"%s",
                       memchr (l->s, ':', l->e - l->s)
                       ? " (a space must follow the colon)" : "");
    if (r == -1 || (item = slot (y, out, key)) == NULL)
      return -1;
    if (!rest_blank (v, l->e))
      r = parse_inline (y, skip_ws (v, l->e), n + 1, item);
    else {
      y->i++;
      if (peek (y, &m) == -1)
        return -1;
      if (m && m->indent > n)
        r = parse_node (y, n + 1, item);
      else if (m && m->indent == n && is_seq_entry (m))
        r = parse_seq (y, n, item);     /* "key:\n- a\n- b" */
    }
    if (r == -1)
      return -1;
  }
  return jv_dedupe (out) == 0 ? 0 : yp_nomem (y);
}

/* The node that starts on the next content line, which is indented at
 * least min (else the node is empty: null).
 */
static int
parse_node (struct yp *y, size_t min, struct jv *out)
{
  struct yline *l;
  char *key;
  const char *v;
  int r;

  if (peek (y, &l) == -1)
    return -1;
  if (l == NULL || l->indent < min)
    return 0;
  if (++y->depth > MAX_DEPTH)
    return yp_error (y, l, "nesting deeper than %d levels", MAX_DEPTH);
  if (is_seq_entry (l))
    r = parse_seq (y, l->indent, out);
  else {
    r = scan_key (y, l, &key, &v);
    free (key);
    if (r == 1)
      r = parse_map (y, l->indent, out);
    else if (r == 0)
      r = parse_inline (y, l->s, min, out);
  }
  y->depth--;
  return r;
}

/* The document: an optional "---", one node, an optional "...". */
static int
parse_document (struct yp *y, struct jv *root)
{
  struct yline *l;

  while (y->i < y->nr_lines && y->lines[y->i].blank)
    y->i++;
  l = &y->lines[y->i];
  if (y->i < y->nr_lines && *l->b == '%')
    return yp_error (y, l, "directives are not supported");
  if (y->i < y->nr_lines && is_marker (l, "---")) {
    if (!rest_blank (l->s + 3, l->e))
      return yp_error (y, l, "content on the \"---\" line is not supported");
    y->i++;
  }
  if (parse_node (y, 0, root) == -1 || peek (y, &l) == -1)
    return -1;
  if (l)
    return yp_error (y, l, root->type == JV_ARRAY && l->indent == 0
                     ? "expected a sequence entry (\"- \")"
                     : "bad indentation");
  l = &y->lines[y->i];
  if (y->i < y->nr_lines && is_marker (l, "...")) {
    if (!rest_blank (l->s + 3, l->e))
      return yp_error (y, l, "unexpected text after \"...\"");
    for (y->i++; y->i < y->nr_lines && y->lines[y->i].blank; y->i++)
      ;
  }
  if (y->i < y->nr_lines)
    return yp_error (y, &y->lines[y->i], "multiple documents are not "
                     "supported");
  return 0;
}

struct jv *
yaml_lite_parse (const char *text, size_t len, const char *label)
{
  struct yp y = { .label = label };
  struct jv *root = calloc (1, sizeof *root);

  if (root == NULL)
    yp_nomem (&y);
  else if (split_lines (&y, text, len) == 0 && parse_document (&y, root) == 0) {
    free (y.lines);
    return root;
  }
  free (y.lines);
  jv_free (root);
  return NULL;
}

bool
yaml_truthy (const char *s, bool *out)
{
  static const char *const words[] = {
    "false", "true", "no", "yes", "off", "on"
  };

  for (size_t i = 0; s && i < 6; i++)
    if (strcasecmp (s, words[i]) == 0) {
      *out = i & 1;
      return true;
    }
  return false;
}
