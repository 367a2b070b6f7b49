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
  bool tab;                     /* a tab before the content */
};

struct yp {
  const char *label;
  struct yline *lines;
  size_t nr_lines;
  size_t i;                     /* next line to read */
  int depth;
};

static void __attribute__ ((format (printf, 3, 4)))
yp_error (const struct yp *y, const struct yline *l, const char *fs, ...)
{
  va_list args;
  char msg[512];

  va_start (args, fs);
  vsnprintf (msg, sizeof msg, fs, args);
  va_end (args);
  error ("parse YAML \"%s\" line %zu: %s", y->label,
         l ? (size_t) (l - y->lines) + 1 : y->nr_lines, msg);
}

static void
yp_nomem (const struct yp *y)
{
  error ("parse YAML \"%s\": %m", y->label);
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

/* Is q..e only whitespace and maybe a comment?  A comment needs
 * whitespace before it unless it starts the line (at_start).
 */
static bool
rest_blank (const char *q, const char *e, bool at_start)
{
  const char *r = q;

  while (r < e && is_ws (*r))
    r++;
  return r == e || (*r == '#' && (r > q || at_start));
}

/* "---" or "..." at the start of a line, alone or before whitespace. */
static bool
is_marker (const struct yline *l, const char *m)
{
  return l->s == l->b && l->e - l->s >= 3 && memcmp (l->s, m, 3) == 0 &&
    (l->e - l->s == 3 || is_ws (l->s[3]));
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
  if (y->lines == NULL) {
    yp_nomem (y);
    return -1;
  }
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

      if (c == 0) {
        yp_error (y, l, "the file contains a NUL byte");
        return -1;
      }
      if ((c < 0x20 && c != '\t') || c == 0x7f) {
        yp_error (y, l, "control character 0x%02x", c);
        return -1;
      }
      if (k == 0) {
        yp_error (y, l, "invalid UTF-8");
        return -1;
      }
      q += k;
    }
    for (q = p; q < l->e && *q == ' '; q++)
      ;
    l->s = q;
    l->indent = q - p;
    while (q < l->e && is_ws (*q))
      q++;
    l->blank = q == l->e || *q == '#';
    l->tab = !l->blank && q > l->s;
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
  if (is_marker (l, "---") || is_marker (l, "..."))
    return 0;
  if (l->tab) {
    yp_error (y, l, "tabs are not allowed in indentation");
    return -1;
  }
  *out = l;
  return 0;
}

/* ---------------------------------------------------------------- */
/* Scalars. */

static int
hexn (const char *q, const char *e, int n, uint32_t *out)
{
  uint32_t v = 0;

  if (e - q < n)
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

/* The escape at q (after a backslash, before e) of a double-quoted
 * scalar; returns the position after it or NULL after error().
 */
static const char *
parse_escape (struct yp *y, const struct yline *l, const char *q,
              const char *e, struct sbuf *b)
{
  static const char simple[] =
    "a\ab\bt\t\t\tn\nv\vf\fr\re\033  \"\"//\\\\";
  uint32_t cp = 0, lo;
  int n;

  for (const char *s = simple; *s; s += 2) {
    if (*q != s[0])
      continue;
    if (sbuf_add (b, s + 1, 1) == -1) {
      yp_nomem (y);
      return NULL;
    }
    return q + 1;
  }
  switch (*q) {
  case 'N': cp = 0x85; n = 0; break;
  case '_': cp = 0xa0; n = 0; break;
  case 'L': cp = 0x2028; n = 0; break;
  case 'P': cp = 0x2029; n = 0; break;
  case 'x': n = 2; break;
  case 'u': n = 4; break;
  case 'U': n = 8; break;
  case '0':
    yp_error (y, l, "\\0 (a NUL character) in a string is not supported");
    return NULL;
  default:
    if ((unsigned char) *q > 0x20 && (unsigned char) *q < 0x7f)
      yp_error (y, l, "invalid escape \"\\%c\" in a double-quoted string", *q);
    else
      yp_error (y, l, "invalid escape in a double-quoted string");
    return NULL;
  }
  if (n > 0 && hexn (q + 1, e, n, &cp) == -1) {
    yp_error (y, l, "invalid escape \"\\%c\" (%d hex digits must follow)",
              *q, n);
    return NULL;
  }
  q += 1 + n;
  if (cp >= 0xd800 && cp <= 0xdbff && n == 4 && e - q >= 6 &&
      q[0] == '\\' && q[1] == 'u' && hexn (q + 2, e, 4, &lo) == 0 &&
      lo >= 0xdc00 && lo <= 0xdfff) {
    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
    q += 6;
  }
  if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
    yp_error (y, l, "escape of an invalid character U+%04X (a NUL, a lone "
              "surrogate or beyond U+10FFFF)", cp);
    return NULL;
  }
  if (utf8_put (b, cp) == -1) {
    yp_nomem (y);
    return NULL;
  }
  return q;
}

/* A quoted scalar whose opening quote is at v on line li.  If 'multi',
 * it may go on over the following lines (folded as YAML says), which
 * must be indented at least min; otherwise returns 0 with *endp NULL
 * if it does not end on its line.  On success *endp is after the
 * closing quote and *end_li its line.
 */
static int
parse_quoted (struct yp *y, size_t li, const char *v, size_t min, bool multi,
              struct sbuf *b, size_t *end_li, const char **endp)
{
  char quote = *v;
  const char *q = v + 1;
  size_t start_li = li;

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
        return 0;
      }
      else if (q + 1 == l->e) {
        escaped_break = true;
        q++;
      }
      else {
        q = parse_escape (y, l, q + 1, l->e, b);
        if (q == NULL)
          return -1;
        hard = b->len;
      }
    }
    if (!multi)
      return 0;
    if (!escaped_break)
      while (b->len > hard && is_ws (b->s[b->len - 1]))
        b->s[--b->len] = '\0';

    /* Fold the line break with the empty lines that follow. */
    for (li++; li < y->nr_lines && is_empty (&y->lines[li]); li++)
      empties++;
    if (li >= y->nr_lines || is_marker (&y->lines[li], "---") ||
        is_marker (&y->lines[li], "...")) {
      yp_error (y, &y->lines[start_li], "unterminated quoted string");
      return -1;
    }
    l = &y->lines[li];
    if (l->indent < min) {
      yp_error (y, l, "bad indentation in a quoted string (its lines must "
                "be indented more than its key)");
      return -1;
    }
    if (empties == 0 && !escaped_break) {
      if (sbuf_add (b, " ", 1) == -1)
        goto nomem;
    }
    while (empties-- > 0)
      if (sbuf_add (b, "\n", 1) == -1)
        goto nomem;
    for (q = l->s; q < l->e && is_ws (*q); q++)
      ;
  }
 nomem:
  yp_nomem (y);
  return -1;
}

/* The end of the plain scalar at v on line l (trailing whitespace
 * removed), or NULL after error().  *comment: a comment follows.
 */
static const char *
plain_end (struct yp *y, const struct yline *l, const char *v, bool *comment)
{
  const char *q;

  *comment = false;
  for (q = v; q < l->e; q++) {
    if (*q == '#' && q > v && is_ws (q[-1])) {
      *comment = true;
      break;
    }
    if (*q == ':' && (q + 1 == l->e || is_ws (q[1]))) {
      yp_error (y, l, "\": \" is not allowed in a plain value here (quote "
                "the value, or check the indentation)");
      return NULL;
    }
  }
  while (q > v && is_ws (q[-1]))
    q--;
  return q;
}

/* A plain scalar starting at v on the current line, continued on the
 * lines indented at least min that follow.
 */
static int
parse_plain (struct yp *y, const char *v, size_t min, struct jv *out)
{
  struct sbuf b = SBUF_INIT;
  const struct yline *l = &y->lines[y->i];
  const char *e = NULL;
  bool comment;

  for (;;) {
    size_t j, empties = 0;

    e = plain_end (y, l, v, &comment);
    if (e == NULL || sbuf_add (&b, v, e - v) == -1)
      goto fail;
    y->i++;
    if (comment)
      break;
    for (j = y->i; j < y->nr_lines && is_empty (&y->lines[j]); j++)
      empties++;
    if (j >= y->nr_lines)
      break;
    l = &y->lines[j];
    if (l->indent < min || l->blank || is_marker (l, "---") ||
        is_marker (l, "..."))
      break;
    y->i = j;
    for (v = l->s; is_ws (*v); v++)
      ;
    if (empties == 0 && sbuf_add (&b, " ", 1) == -1)
      goto fail;
    while (empties-- > 0)
      if (sbuf_add (&b, "\n", 1) == -1)
        goto fail;
  }
  out->s = sbuf_take (&b);
  if (out->s == NULL)
    goto fail;
  out->type = JV_STRING;
  return 0;
 fail:
  if (e != NULL)
    yp_nomem (y);
  sbuf_free (&b);
  return -1;
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
  if (!rest_blank (q, l->e, false)) {
    yp_error (y, l, "unexpected text after the block scalar header \"%.*s\"",
              (int) (q - v), v);
    return -1;
  }
  y->i++;

  if (!explicit) {
    /* The indentation of the first non-empty line. */
    ci = min;
    for (size_t j = y->i; j < y->nr_lines; j++) {
      const char *r = y->lines[j].b;
      while (r < y->lines[j].e && *r == ' ')
        r++;
      if (r < y->lines[j].e) {
        if ((size_t) (r - y->lines[j].b) > ci)
          ci = r - y->lines[j].b;
        break;
      }
    }
  }

  for (; y->i < y->nr_lines; y->i++) {
    const struct yline *m = &y->lines[y->i];
    const char *r = m->b;

    while (r < m->e && *r == ' ' && (size_t) (r - m->b) < ci)
      r++;
    if (r == m->e) {
      empties++;
      continue;
    }
    if ((size_t) (r - m->b) < ci ||
        (ci == 0 && (is_marker (m, "---") || is_marker (m, "..."))))
      break;                    /* less indented: the scalar ends */
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
    for (; empties > 0; empties--)
      if (sbuf_add (&b, "\n", 1) == -1)
        goto nomem;
    if (sbuf_add (&b, r, m->e - r) == -1)
      goto nomem;
    content = true;
  }
  if (chomp == 1)
    empties += content;
  else if (chomp == 0)
    empties = content;
  else
    empties = 0;
  for (; empties > 0; empties--)
    if (sbuf_add (&b, "\n", 1) == -1)
      goto nomem;
  out->s = sbuf_take (&b);
  if (out->s == NULL)
    goto nomem;
  out->type = JV_STRING;
  return 0;
 nomem:
  yp_nomem (y);
  sbuf_free (&b);
  return -1;
}

/* ---------------------------------------------------------------- */
/* Flow collections, on one line. */

static int
refuse_indicator (struct yp *y, const struct yline *l, char c)
{
  if (c == '&' || c == '*')
    yp_error (y, l, "anchors and aliases are not supported");
  else if (c == '!')
    yp_error (y, l, "tags are not supported");
  else
    yp_error (y, l, "a plain value cannot start with '%c' (quote it)", c);
  return -1;
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
  struct sbuf b = SBUF_INIT;

  if (*q == '"' || *q == '\'') {
    size_t end_li;
    if (parse_quoted (y, l - y->lines, q, 0, false, &b, &end_li, &q) == -1) {
      sbuf_free (&b);
      return -1;
    }
    if (q == NULL) {
      sbuf_free (&b);
      yp_error (y, l, "a quoted string in a flow collection must end on "
                "its line");
      return -1;
    }
    out->s = sbuf_take (&b);
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
  if (out->s == NULL) {
    yp_nomem (y);
    return -1;
  }
  out->type = JV_STRING;
  *pp = q;
  return 0;
}

static int
flow_node (struct yp *y, const struct yline *l, const char **pp,
           struct jv *out)
{
  *pp = skip_ws (*pp, l->e);
  if (*pp == l->e || **pp == '#') {
    yp_error (y, l, "a flow collection (\"[...]\" or \"{...}\") must end "
              "on its line");
    return -1;
  }
  if (**pp == '[' || **pp == '{')
    return parse_flow (y, l, pp, out);
  return flow_scalar (y, l, pp, out);
}

static int
parse_flow (struct yp *y, const struct yline *l, const char **pp,
            struct jv *out)
{
  bool map = **pp == '{';
  char close = map ? '}' : ']';
  const char *q = *pp + 1;

  if (++y->depth > MAX_DEPTH) {
    yp_error (y, l, "nesting deeper than %d levels", MAX_DEPTH);
    return -1;
  }
  out->type = map ? JV_OBJECT : JV_ARRAY;
  for (;;) {
    struct jv key = { 0 }, item = { 0 };

    q = skip_ws (q, l->e);
    if (q < l->e && *q == close)
      break;
    if (map) {
      if (flow_node (y, l, &q, &key) == -1)
        goto fail;
      if (key.type != JV_STRING) {
        jv_clear (&key);
        yp_error (y, l, "complex keys are not supported");
        goto fail;
      }
      q = skip_ws (q, l->e);
      if (q < l->e && *q == ':') {
        q = skip_ws (q + 1, l->e);
        if (q < l->e && *q != ',' && *q != '}' &&
            flow_node (y, l, &q, &item) == -1) {
          jv_clear (&key);
          goto fail;
        }
      }
    }
    else if (flow_node (y, l, &q, &item) == -1)
      goto fail;
    if (jv_push (out, key.s, &item) == -1) {
      yp_nomem (y);
      goto fail;
    }
    q = skip_ws (q, l->e);
    if (q < l->e && *q == close)
      break;
    if (q < l->e && *q == ':' && !map) {
      yp_error (y, l, "mappings inside flow sequences are not supported");
      goto fail;
    }
    if (q == l->e || *q == '#') {
      yp_error (y, l, "a flow collection (\"[...]\" or \"{...}\") must end "
                "on its line");
      goto fail;
    }
    if (*q != ',') {
      yp_error (y, l, "expected ',' or '%c' in a flow collection, not '%c'",
                close, *q);
      goto fail;
    }
    q++;
  }
  *pp = q + 1;
  y->depth--;
  return 0;
 fail:
  jv_clear (out);
  return -1;
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
    struct sbuf b = SBUF_INIT;
    size_t li;
    if (parse_quoted (y, y->i, v, min, true, &b, &li, &q) == -1) {
      sbuf_free (&b);
      return -1;
    }
    out->s = sbuf_take (&b);
    if (out->s == NULL) {
      yp_nomem (y);
      return -1;
    }
    out->type = JV_STRING;
    y->i = li;
    l = &y->lines[li];
    break;
  }
  case '-': case '?': case ':':
    if (v + 1 == l->e || is_ws (v[1])) {
      yp_error (y, l, *v == '-' ? "a sequence entry is not allowed here" :
                *v == '?' ? "complex keys are not supported" :
                "unexpected \":\"");
      return -1;
    }
    return parse_plain (y, v, min, out);
  default:
    if (strchr ("&*!%@`,]}", *v))
      return refuse_indicator (y, l, *v);
    return parse_plain (y, v, min, out);
  }
  if (!rest_blank (q, l->e, false)) {
    jv_clear (out);
    yp_error (y, l, "unexpected text after the value");
    return -1;
  }
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
    struct sbuf b = SBUF_INIT;
    size_t li;
    if (parse_quoted (y, l - y->lines, q, 0, false, &b, &li, &q) == -1) {
      sbuf_free (&b);
      return -1;
    }
    if (q != NULL) {
      q = skip_ws (q, l->e);
      if (q < l->e && *q == ':' && (q + 1 == l->e || is_ws (q[1]))) {
        *key = sbuf_take (&b);
        *after = q + 1;
        goto got_key;
      }
    }
    sbuf_free (&b);
    return 0;
  }
  if (strchr ("&*!", *q))
    return refuse_indicator (y, l, *q);
  if ((*q == '?' || *q == ':') && (q + 1 == l->e || is_ws (q[1]))) {
    yp_error (y, l, *q == '?' ? "complex keys are not supported"
              : "a key is missing before \":\"");
    return -1;
  }
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
      goto got_key;
    }
  }
  return 0;
 got_key:
  if (*key == NULL) {
    yp_nomem (y);
    return -1;
  }
  return 1;
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

/* Duplicate keys: the last value, in the place of the first key. */
static int
dedupe (struct yp *y, struct jv *obj)
{
  struct keyix *ix;
  size_t w = 0;

  if (obj->nr < 2)
    return 0;
  ix = malloc (obj->nr * sizeof *ix);
  if (ix == NULL) {
    yp_nomem (y);
    return -1;
  }
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

/* A block sequence whose entries ("- ") are indented n. */
static int
parse_seq (struct yp *y, size_t n, struct jv *out)
{
  struct yline *l;

  out->type = JV_ARRAY;
  for (;;) {
    struct jv item = { 0 };
    const char *r;

    if (peek (y, &l) == -1)
      goto fail;
    if (l == NULL || l->indent < n)
      break;
    if (l->indent > n) {
      yp_error (y, l, "bad indentation of a sequence entry");
      goto fail;
    }
    if (!is_seq_entry (l))
      break;                    /* the parent's next key, or an error */
    for (r = l->s + 1; r < l->e && *r == ' '; r++)
      ;
    if (r < l->e && *r == '\t') {
      yp_error (y, l, "tabs are not allowed in indentation");
      goto fail;
    }
    if (rest_blank (l->s + 1, l->e, false)) {
      struct yline *m;
      y->i++;
      if (peek (y, &m) == -1)
        goto fail;
      if (m && m->indent > n && parse_node (y, n + 1, &item) == -1)
        goto fail;
    }
    else {
      /* "- key: value", "- - x", "- x": the rest as if on a line of
       * its own, indented to where it starts.
       */
      l->indent += r - l->s;
      l->s = r;
      if (parse_node (y, n + 1, &item) == -1)
        goto fail;
    }
    if (jv_push (out, NULL, &item) == -1) {
      yp_nomem (y);
      goto fail;
    }
  }
  return 0;
 fail:
  jv_clear (out);
  return -1;
}

/* A block mapping whose keys are indented n. */
static int
parse_map (struct yp *y, size_t n, struct jv *out)
{
  struct yline *l;

  out->type = JV_OBJECT;
  for (;;) {
    struct jv item = { 0 };
    char *key;
    const char *v;
    int r;

    if (peek (y, &l) == -1)
      goto fail;
    if (l == NULL || l->indent < n)
      break;
    if (l->indent > n) {
      yp_error (y, l, "bad indentation of a mapping entry");
      goto fail;
    }
    if (is_seq_entry (l)) {
      yp_error (y, l, "a sequence entry is not allowed here (check the "
                "indentation)");
      goto fail;
    }
    r = scan_key (y, l, &key, &v);
    if (r == -1)
      goto fail;
    if (r == 0) {
      yp_error (y, l, "expected \"key: value\"%s", memchr (l->s, ':', l->e - l->s)
                ? " (a space must follow the colon)" : "");
      goto fail;
    }
    if (rest_blank (v, l->e, false)) {
      struct yline *m;
      y->i++;
      if (peek (y, &m) == -1)
        r = -1;
      else if (m && m->indent > n)
        r = parse_node (y, n + 1, &item);
      else if (m && m->indent == n && is_seq_entry (m))
        r = parse_seq (y, n, &item);   /* "key:\n- a\n- b" */
    }
    else
      r = parse_inline (y, skip_ws (v, l->e), n + 1, &item);
    if (r == -1) {
      free (key);
      goto fail;
    }
    if (jv_push (out, key, &item) == -1) {
      yp_nomem (y);
      goto fail;
    }
  }
  if (dedupe (y, out) == 0)
    return 0;
 fail:
  jv_clear (out);
  return -1;
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
  if (++y->depth > MAX_DEPTH) {
    yp_error (y, l, "nesting deeper than %d levels", MAX_DEPTH);
    return -1;
  }
  if (is_seq_entry (l))
    r = parse_seq (y, l->indent, out);
  else {
    r = scan_key (y, l, &key, &v);
    if (r == 1) {
      free (key);
      r = parse_map (y, l->indent, out);
    }
    else if (r == 0)
      r = parse_inline (y, l->s, min, out);
  }
  y->depth--;
  return r;
}

struct jv *
yaml_lite_parse (const char *text, size_t len, const char *label)
{
  struct yp y = { .label = label };
  struct jv *root = NULL;
  struct yline *l;

  if (split_lines (&y, text, len) == -1)
    goto fail;
  root = calloc (1, sizeof *root);
  if (root == NULL) {
    yp_nomem (&y);
    goto fail;
  }

  while (y.i < y.nr_lines && y.lines[y.i].blank)
    y.i++;
  if (y.i < y.nr_lines && *y.lines[y.i].b == '%') {
    yp_error (&y, &y.lines[y.i], "directives are not supported");
    goto fail;
  }
  if (y.i < y.nr_lines && is_marker (&y.lines[y.i], "---")) {
    l = &y.lines[y.i];
    if (!rest_blank (l->s + 3, l->e, false)) {
      yp_error (&y, l, "content on the \"---\" line is not supported");
      goto fail;
    }
    y.i++;
  }

  if (parse_node (&y, 0, root) == -1)
    goto fail;

  if (peek (&y, &l) == -1)
    goto fail;
  if (l) {
    yp_error (&y, l, root->type == JV_ARRAY && l->indent == 0
              ? "expected a sequence entry (\"- \")" : "bad indentation");
    goto fail;
  }
  if (y.i < y.nr_lines && is_marker (&y.lines[y.i], "...")) {
    if (!rest_blank (y.lines[y.i].s + 3, y.lines[y.i].e, false)) {
      yp_error (&y, &y.lines[y.i], "unexpected text after \"...\"");
      goto fail;
    }
    for (y.i++; y.i < y.nr_lines && y.lines[y.i].blank; y.i++)
      ;
  }
  if (y.i < y.nr_lines) {
    yp_error (&y, &y.lines[y.i], "multiple documents are not supported");
    goto fail;
  }
  free (y.lines);
  return root;
 fail:
  free (y.lines);
  jv_free (root);
  return NULL;
}

bool
yaml_truthy (const char *s, bool *out)
{
  static const char *const yes[] = { "true", "yes", "on" };
  static const char *const no[] = { "false", "no", "off" };

  for (size_t i = 0; s && i < 3; i++) {
    if (strcasecmp (s, yes[i]) == 0) {
      *out = true;
      return true;
    }
    if (strcasecmp (s, no[i]) == 0) {
      *out = false;
      return true;
    }
  }
  return false;
}
