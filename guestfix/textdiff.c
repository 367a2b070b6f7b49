/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: line diff for the change report, and the small text helpers
 * shared by the guest file rewriters (see the end of rewrite.h).
 */

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <sys/types.h>
#include <string.h>
#include <errno.h>

#include "rewrite.h"

int
split_lines (const char *text, struct textline **lines, size_t *nr)
{
  struct textline *v;
  size_t n = 0, cap = 64;
  const char *p = text;

  v = malloc (cap * sizeof *v);
  if (v == NULL)
    return -1;

  while (*p) {
    const char *nl = strchr (p, '\n');
    struct textline l;

    if (n == cap) {
      struct textline *nv;

      if (cap > SIZE_MAX / 2 / sizeof *v) {
        free (v);
        errno = ENOMEM;
        return -1;
      }
      nv = realloc (v, 2 * cap * sizeof *v);
      if (nv == NULL) {
        free (v);
        return -1;
      }
      v = nv;
      cap *= 2;
    }

    l.p = p;
    if (nl == NULL) {
      l.len = strlen (p);
      l.eollen = 0;
      p += l.len;
    }
    else {
      l.len = nl - p;
      l.eollen = 1;
      /* Keep a CR out of the content so that token matching at the end
       * of a line works on files edited on Windows.
       */
      if (l.len > 0 && p[l.len - 1] == '\r') {
        l.len--;
        l.eollen++;
      }
      p = nl + 1;
    }
    v[n++] = l;
  }

  *lines = v;
  *nr = n;
  return 0;
}

int
strbuf_splice (struct sbuf *sb, const struct textline *l,
               size_t off, size_t len, const char *repl)
{
  if (sbuf_add (sb, l->p, off) == -1 ||
      strbuf_adds (sb, repl) == -1 ||
      sbuf_add (sb, l->p + off + len, l->len - off - len + l->eollen) == -1)
    return -1;
  return 0;
}

char *
rewrite_each_line (const char *text, line_rewriter fn,
                   const void *map, size_t nr_map, int *changes)
{
  struct sbuf out = SBUF_INIT;
  struct textline *lines;
  size_t nr, i;
  int n = 0;

  if (changes)
    *changes = 0;
  if (split_lines (text, &lines, &nr) == -1)
    return NULL;
  for (i = 0; i < nr; ++i) {
    int r = fn (&out, &lines[i], map, nr_map);
    if (r == -1) {
      free (lines);
      free (out.s);
      errno = ENOMEM;
      return NULL;
    }
    n += r;
  }
  free (lines);
  if (changes)
    *changes = n;
  return sbuf_take (&out);
}

/* Above this many cells the LCS table is not worth it (16 bits a cell,
 * so 8 MB), and a config file that different is better shown whole.
 */
#define MAX_LCS_CELLS 4000000

enum op_kind { OP_EQ, OP_DEL, OP_INS };

struct op {
  enum op_kind kind;
  size_t a;                     /* index in before (for OP_INS: the
                                 * before line it is inserted ahead of) */
  size_t b;                     /* index in after */
};

static int
line_eq (const struct textline *x, const struct textline *y)
{
  return x->len == y->len && x->eollen == y->eollen &&
    memcmp (x->p, y->p, x->len + x->eollen) == 0;
}

/* Compute an edit script turning a[0..na) into b[0..nb).  ops must have
 * room for na + nb entries.  Returns the number of ops, or -1.
 */
static ssize_t
edit_script (const struct textline *a, size_t na,
             const struct textline *b, size_t nb, struct op *ops)
{
  size_t pre = 0, suf = 0, ma, mb, i, j, n = 0;
  uint16_t *t = NULL;

  /* Real config edits touch a few lines, so trimming the common ends
   * first keeps the quadratic part tiny in practice.
   */
  while (pre < na && pre < nb && line_eq (&a[pre], &b[pre]))
    pre++;
  while (suf < na - pre && suf < nb - pre &&
         line_eq (&a[na - 1 - suf], &b[nb - 1 - suf]))
    suf++;
  ma = na - pre - suf;
  mb = nb - pre - suf;

  for (i = 0; i < pre; ++i)
    ops[n++] = (struct op) { OP_EQ, i, i };

  /* min (ma, mb) <= 2000 under the cell limit, so uint16_t is enough. */
  if (ma > 0 && mb > 0 && ma <= MAX_LCS_CELLS / mb) {
    const size_t w = mb + 1;

    t = calloc ((ma + 1) * w, sizeof *t);
    if (t == NULL)
      return -1;
    for (i = ma; i-- > 0;)
      for (j = mb; j-- > 0;) {
        if (line_eq (&a[pre + i], &b[pre + j]))
          t[i * w + j] = t[(i + 1) * w + j + 1] + 1;
        else if (t[(i + 1) * w + j] >= t[i * w + j + 1])
          t[i * w + j] = t[(i + 1) * w + j];
        else
          t[i * w + j] = t[i * w + j + 1];
      }

    i = j = 0;
    while (i < ma || j < mb) {
      if (i < ma && j < mb && line_eq (&a[pre + i], &b[pre + j])) {
        ops[n++] = (struct op) { OP_EQ, pre + i, pre + j };
        i++, j++;
      }
      else if (j == mb || (i < ma && t[(i + 1) * w + j] >= t[i * w + j + 1])) {
        ops[n++] = (struct op) { OP_DEL, pre + i, pre + j };
        i++;
      }
      else {
        ops[n++] = (struct op) { OP_INS, pre + i, pre + j };
        j++;
      }
    }
    free (t);
  }
  else {
    /* Too big (or one side empty): show it as a wholesale replacement. */
    for (i = 0; i < ma; ++i)
      ops[n++] = (struct op) { OP_DEL, pre + i, pre };
    for (j = 0; j < mb; ++j)
      ops[n++] = (struct op) { OP_INS, pre + ma, pre + j };
  }

  for (i = 0; i < suf; ++i)
    ops[n++] = (struct op) { OP_EQ, na - suf + i, nb - suf + i };

  return n;
}

/* Output with a line budget: lines past the budget are only counted. */
struct diffout {
  struct sbuf sb;
  long count;
  long max;                     /* <= 0: no limit */
};

static int
emit (struct diffout *o, const char *prefix, const char *s, size_t len)
{
  o->count++;
  if (o->max > 0 && o->count > o->max)
    return 0;
  if (strbuf_adds (&o->sb, prefix) == -1 ||
      sbuf_add (&o->sb, s, len) == -1 ||
      sbuf_add (&o->sb, "\n", 1) == -1)
    return -1;
  return 0;
}

static int
emit_line (struct diffout *o, const char *prefix, const struct textline *l)
{
  if (emit (o, prefix, l->p, l->len) == -1)
    return -1;
  /* Otherwise a lost trailing newline would show as "-x" "+x". */
  if (l->eollen == 0) {
    static const char msg[] = "\\ No newline at end of file";
    if (emit (o, "", msg, sizeof msg - 1) == -1)
      return -1;
  }
  return 0;
}

char *
text_diff (const char *before, const char *after, int context, int max_lines)
{
  struct textline *a = NULL, *b = NULL;
  size_t na, nb, k;
  struct op *ops = NULL;
  ssize_t nops;
  struct diffout o = { .sb = SBUF_INIT, .count = 0, .max = max_lines };
  size_t ctx = context > 0 ? (size_t) context : 0;

  if (split_lines (before, &a, &na) == -1)
    goto err;
  if (split_lines (after, &b, &nb) == -1)
    goto err;
  ops = malloc ((na + nb + 1) * sizeof *ops);
  if (ops == NULL)
    goto err;
  nops = edit_script (a, na, b, nb, ops);
  if (nops == -1)
    goto err;

  k = 0;
  for (;;) {
    size_t first, last, start, end, i;
    char hdr[64];

    /* Find the next change, then extend the hunk over any further
     * changes whose context would touch or overlap this one's.
     */
    while (k < (size_t) nops && ops[k].kind == OP_EQ)
      k++;
    if (k == (size_t) nops)
      break;
    first = last = k;
    for (i = k + 1; i < (size_t) nops; ++i) {
      if (ops[i].kind != OP_EQ) {
        if (i - last - 1 > 2 * ctx)
          break;
        last = i;
      }
    }
    start = first > ctx ? first - ctx : 0;
    end = last + 1 + ctx < (size_t) nops ? last + 1 + ctx : (size_t) nops;

    snprintf (hdr, sizeof hdr, "@@ line %zu @@", ops[start].a + 1);
    if (emit (&o, "", hdr, strlen (hdr)) == -1)
      goto err;
    for (i = start; i < end; ++i) {
      int r;

      switch (ops[i].kind) {
      case OP_EQ:  r = emit_line (&o, " ", &a[ops[i].a]); break;
      case OP_DEL: r = emit_line (&o, "-", &a[ops[i].a]); break;
      default:     r = emit_line (&o, "+", &b[ops[i].b]); break;
      }
      if (r == -1)
        goto err;
    }
    k = end;
  }

  if (o.max > 0 && o.count > o.max) {
    char more[64];

    snprintf (more, sizeof more, "... (%ld more lines)\n", o.count - o.max);
    if (strbuf_adds (&o.sb, more) == -1)
      goto err;
  }

  free (a);
  free (b);
  free (ops);
  return sbuf_take (&o.sb);

 err:
  free (a);
  free (b);
  free (ops);
  free (o.sb.s);
  errno = ENOMEM;
  return NULL;
}
