/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: kernel command line arguments in bootloader configuration,
 * and swap entries in /etc/fstab.
 *
 * A target platform may need arguments on the kernel command line (a
 * serial console, longer disk timeouts) and may not want swap on the
 * OS disk.  Everything here is a pure text transform (see rewrite.h).
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>

#include "rewrite.h"

/* Length of the key of a token: the text before '=', or all of it. */
static size_t
key_len (const char *tok, size_t len)
{
  const char *eq = memchr (tok, '=', len);

  return eq ? (size_t) (eq - tok) : len;
}

static int
tok_is (const char *tok, size_t len, const char *s)
{
  return strlen (s) == len && memcmp (tok, s, len) == 0;
}

static int
tok_has_key (const char *tok, size_t len, const char *key, size_t klen)
{
  return key_len (tok, len) == klen && memcmp (tok, key, klen) == 0;
}

static int
in_list (const char *tok, size_t len, const char *const *list)
{
  for (; list && *list; ++list)
    if (tok_is (tok, len, *list))
      return 1;
  return 0;
}

/* A console= argument: the device is the value up to the first ','. */
static int
is_console (const char *tok, size_t len)
{
  return len > 8 && memcmp (tok, "console=", 8) == 0;
}

static size_t
console_dev_len (const char *tok, size_t len)
{
  const char *comma = memchr (tok + 8, ',', len - 8);

  return comma ? (size_t) (comma - tok) : len;
}

static int
same_console_dev (const char *a, size_t alen, const char *b, size_t blen)
{
  size_t da = console_dev_len (a, alen), db = console_dev_len (b, blen);

  return da == db && memcmp (a, b, da) == 0;
}

struct token {
  size_t off, len;              /* in the region */
  const char *repl;             /* replacement, or NULL */
  int del;
};

struct argspec {
  const char *const *add;
  const char *const *remove;
};

/* Decide, for each add argument, what happens to the tokens t[0..nt)
 * of region p, and collect the arguments to append in app.
 */
static void
plan_args (const char *p, struct token *t, size_t nt,
           const struct argspec *spec, const char **app, size_t *na)
{
  size_t i, j, k;

  for (j = 0; spec->remove && spec->remove[j]; ++j) {
    size_t klen = strlen (spec->remove[j]);

    for (i = 0; i < nt; ++i)
      if (!t[i].del &&
          tok_has_key (p + t[i].off, t[i].len, spec->remove[j], klen) &&
          !in_list (p + t[i].off, t[i].len, spec->add))
        t[i].del = 1;
  }

  for (j = 0; spec->add && spec->add[j]; ++j) {
    const char *a = spec->add[j];
    size_t alen = strlen (a), klen = key_len (a, alen);
    size_t found = 0, others = 0, first = nt;

    if (klen == 0)
      continue;
    for (k = 0; k < *na; ++k)
      if (strcmp (app[k], a) == 0)
        break;
    if (k < *na)
      continue;

    if (is_console (a, alen)) {
      for (i = 0; i < nt; ++i)
        if (!t[i].del && tok_is (p + t[i].off, t[i].len, a))
          found++;
      if (found)
        continue;
      for (i = 0; i < nt; ++i)
        if (!t[i].del && is_console (p + t[i].off, t[i].len) &&
            same_console_dev (p + t[i].off, t[i].len, a, alen))
          t[i].del = 1;
      app[(*na)++] = a;
      continue;
    }

    for (i = 0; i < nt; ++i) {
      if (t[i].del || !tok_has_key (p + t[i].off, t[i].len, a, klen))
        continue;
      if (tok_is (p + t[i].off, t[i].len, a))
        found++;
      else
        others++;
      if (first == nt)
        first = i;
    }
    if (found > 0 && others == 0)
      continue;
    if (first == nt) {
      app[(*na)++] = a;
      continue;
    }
    t[first].repl = a;
    for (i = first + 1; i < nt; ++i)
      if (!t[i].del && tok_has_key (p + t[i].off, t[i].len, a, klen))
        t[i].del = 1;
  }
}

/* Edit the arguments in p[0..len) and append the new region to out.
 * need_sep: the region directly follows a word (a kernel path or a
 * keyword), so a first argument needs a blank before it.
 */
static int
edit_args (struct sbuf *out, const char *p, size_t len, int need_sep,
           const struct argspec *spec)
{
  struct token *t = NULL;
  const char **app = NULL;
  size_t nt = 0, na = 0, nadd = 0, i, lead, trail, kept = 0;
  int emitted = 0, r = -1;

  for (i = 0; i < len;) {
    while (i < len && is_blank (p[i]))
      i++;
    if (i == len)
      break;
    nt++;
    while (i < len && !is_blank (p[i]))
      i++;
  }
  while (spec->add && spec->add[nadd])
    nadd++;
  t = calloc (nt + 1, sizeof *t);
  app = calloc (nadd + 1, sizeof *app);
  if (t == NULL || app == NULL)
    goto out;
  nt = 0;
  for (i = 0; i < len;) {
    while (i < len && is_blank (p[i]))
      i++;
    if (i == len)
      break;
    t[nt].off = i;
    while (i < len && !is_blank (p[i]))
      i++;
    t[nt].len = i - t[nt].off;
    nt++;
  }

  plan_args (p, t, nt, spec, app, &na);

  for (i = 0; i < nt; ++i)
    kept += !t[i].del;
  if (nt > 0 && kept == 0 && na == 0) {
    r = 0;                      /* every argument went, and the blanks */
    goto out;
  }
  lead = nt ? t[0].off : len;
  trail = nt ? len - (t[nt - 1].off + t[nt - 1].len) : 0;
  if (sbuf_add (out, p, lead) == -1)
    goto out;
  for (i = 0; i < nt; ++i) {
    size_t prev_end;

    if (t[i].del)
      continue;
    if (emitted) {
      prev_end = t[i - 1].off + t[i - 1].len;
      if (sbuf_add (out, p + prev_end, t[i].off - prev_end) == -1)
        goto out;
    }
    if ((t[i].repl ? strbuf_adds (out, t[i].repl)
         : sbuf_add (out, p + t[i].off, t[i].len)) == -1)
      goto out;
    emitted = 1;
  }
  for (i = 0; i < na; ++i) {
    if ((emitted || (need_sep && lead == 0)) && strbuf_adds (out, " ") == -1)
      goto out;
    if (strbuf_adds (out, app[i]) == -1)
      goto out;
    emitted = 1;
  }
  if (sbuf_add (out, p + len - trail, trail) == -1)
    goto out;
  r = 0;

 out:
  free (t);
  free (app);
  return r;
}

/* Where the command line of one line is. */
struct region {
  size_t start, end;
  int need_sep;                 /* see edit_args */
  int unquoted;                 /* a shell value without quotes */
};

/* A shell assignment's value starting at v.  Returns 1, or 2 for a
 * double-quoted value that goes on to the next line (left alone).
 */
static int
shell_value (const struct textline *l, size_t v, struct region *r)
{
  const char *p = l->p;
  size_t k;

  r->need_sep = 0;
  r->unquoted = 0;
  if (v < l->len && p[v] == '"') {
    for (k = v + 1; k < l->len; ++k) {
      if (p[k] == '\\')
        k++;
      else if (p[k] == '"')
        break;
    }
    if (k >= l->len)
      return 2;
    r->start = v + 1;
    r->end = k;
    return 1;
  }
  if (v < l->len && p[v] == '\'') {
    const char *q = memchr (p + v + 1, '\'', l->len - v - 1);

    if (q == NULL)
      return 2;
    r->start = v + 1;
    r->end = q - p;
    return 1;
  }
  for (k = v; k < l->len && !is_blank (p[k]) && p[k] != ';'; ++k)
    ;
  r->start = v;
  r->end = k;
  r->unquoted = 1;
  return 1;
}

static int
starts_with (const struct textline *l, size_t i, const char *s)
{
  size_t n = strlen (s);

  return l->len - i >= n && memcmp (l->p + i, s, n) == 0;
}

static int
find_region (const struct textline *l, enum cmdline_kind kind,
             struct region *r)
{
  const char *p = l->p;
  size_t i = 0, w, k;

  while (i < l->len && is_blank (p[i]))
    i++;
  if (i == l->len || p[i] == '#')
    return 0;
  for (w = i; w < l->len && !is_blank (p[w]); ++w)
    ;
  r->need_sep = 1;
  r->unquoted = 0;
  r->end = l->len;

  switch (kind) {
  case CMDLINE_GRUB_DEFAULT:
    if (!starts_with (l, i, "GRUB_CMDLINE_LINUX="))
      return 0;
    return shell_value (l, i + 19, r);
  case CMDLINE_UPDATE_EXTLINUX:
    if (!starts_with (l, i, "default_kernel_opts="))
      return 0;
    return shell_value (l, i + 20, r);
  case CMDLINE_GRUB_CFG:
    if (!((w - i == 5 && memcmp (p + i, "linux", 5) == 0) ||
          (w - i == 7 && memcmp (p + i, "linux16", 7) == 0) ||
          (w - i == 8 && memcmp (p + i, "linuxefi", 8) == 0)))
      return 0;
    for (k = w; k < l->len && is_blank (p[k]); ++k)
      ;
    if (k == l->len)
      return 0;                 /* no kernel */
    while (k < l->len && !is_blank (p[k]))
      k++;
    r->start = k;
    return 1;
  case CMDLINE_BLS:
    if (w - i != 7 || memcmp (p + i, "options", 7) != 0)
      return 0;
    r->start = w;
    return 1;
  case CMDLINE_EXTLINUX:
    if (w - i != 6 || strncasecmp (p + i, "append", 6) != 0)
      return 0;
    r->start = w;
    return 1;
  case CMDLINE_GRUBENV:
    if (i != 0 || !starts_with (l, 0, "kernelopts="))
      return 0;
    r->start = 11;
    r->need_sep = 0;
    return 1;
  }
  return 0;
}

#define GRUBENV_HEADER "# GRUB Environment Block"

/* Pad a grubenv back to 'size' bytes with '#'.  -1 with ENOSPC if the
 * variables no longer fit.
 */
static int
grubenv_repad (struct sbuf *out, size_t size)
{
  size_t body = out->len;

  while (body > 0 && out->s[body - 1] == '#')
    body--;
  if (body == 0 || out->s[body - 1] != '\n')
    body = out->len;            /* no padding: the last line is a variable */
  if (body > size) {
    errno = ENOSPC;
    return -1;
  }
  out->len = body;
  while (out->len < size)
    if (strbuf_adds (out, "#") == -1)
      return -1;
  return 0;
}

char *
rewrite_cmdline_args (const char *text, enum cmdline_kind kind,
                      const char *const *add, const char *const *remove,
                      int *changes)
{
  struct argspec spec = { add, remove };
  struct sbuf out = SBUF_INIT, reg = SBUF_INIT;
  struct textline *lines;
  size_t nr, i;
  int n = 0, found = 0, saved;

  if (changes)
    *changes = 0;
  if (split_lines (text, &lines, &nr) == -1)
    return NULL;

  for (i = 0; i < nr; ++i) {
    const struct textline *l = &lines[i];
    struct region r;
    size_t rlen;
    int f = find_region (l, kind, &r);

    found |= f != 0;
    if (f != 1) {
      if (strbuf_addline (&out, l) == -1)
        goto err;
      continue;
    }
    rlen = r.end - r.start;
    reg.len = 0;
    if (sbuf_add (&reg, "", 0) == -1 ||
        edit_args (&reg, l->p + r.start, rlen, r.need_sep, &spec) == -1)
      goto err;
    if (reg.len == rlen && memcmp (reg.s, l->p + r.start, rlen) == 0) {
      if (strbuf_addline (&out, l) == -1)
        goto err;
      continue;
    }
    n++;
    if (sbuf_add (&out, l->p, r.start) == -1 ||
        (r.unquoted && strbuf_adds (&out, "\"") == -1) ||
        sbuf_add (&out, reg.s, reg.len) == -1 ||
        (r.unquoted && strbuf_adds (&out, "\"") == -1) ||
        sbuf_add (&out, l->p + r.end, l->len - r.end + l->eollen) == -1)
      goto err;
  }

  if (kind == CMDLINE_GRUB_DEFAULT && !found && add && add[0]) {
    const char *eol = "\n";
    int final_nl = nr == 0 || lines[nr - 1].eollen > 0;

    for (i = 0; i < nr; ++i)
      if (lines[i].eollen > 0) {
        eol = lines[i].eollen == 2 ? "\r\n" : "\n";
        break;
      }
    reg.len = 0;
    if ((!final_nl && strbuf_adds (&out, eol) == -1) ||
        strbuf_adds (&out, "GRUB_CMDLINE_LINUX=\"") == -1 ||
        sbuf_add (&reg, "", 0) == -1 ||
        edit_args (&reg, "", 0, 0, &spec) == -1 ||
        sbuf_add (&out, reg.s, reg.len) == -1 ||
        strbuf_adds (&out, "\"") == -1 ||
        (final_nl && strbuf_adds (&out, eol) == -1))
      goto err;
    n++;
  }

  if (kind == CMDLINE_GRUBENV && n > 0 &&
      strncmp (text, GRUBENV_HEADER, strlen (GRUBENV_HEADER)) == 0) {
    size_t size = strlen (text);
    const struct textline *last = &lines[nr - 1];
    int padded = last->eollen == 0 && last->len > 0 &&
      strspn (last->p, "#") == last->len;

    if ((size == 1024 || padded) && grubenv_repad (&out, size) == -1)
      goto err;
  }

  free (lines);
  sbuf_free (&reg);
  if (changes)
    *changes = n;
  return sbuf_take (&out);

 err:
  saved = errno == ENOSPC ? ENOSPC : ENOMEM;
  free (lines);
  sbuf_free (&reg);
  sbuf_free (&out);
  errno = saved;
  return NULL;
}

/* ---------------------------------------------------------------- */

static int
swap_line (struct sbuf *out, const struct textline *l,
           const void *vdevices, size_t unused)
{
  const char *const *devices = vdevices;
  size_t start[3], len[3], nf = 0, i = 0;

  (void) unused;
  while (i < l->len && is_blank (l->p[i]))
    i++;
  if (i == l->len || l->p[i] == '#')
    goto keep;
  while (nf < 3 && i < l->len) {
    start[nf] = i;
    while (i < l->len && !is_blank (l->p[i]))
      i++;
    len[nf] = i - start[nf];
    nf++;
    while (i < l->len && is_blank (l->p[i]))
      i++;
  }
  if (nf < 3 || !tok_is (l->p + start[2], len[2], "swap"))
    goto keep;
  if (devices) {
    const char *dev = l->p + start[0];

    /* A swap file lives on whatever disk holds its filesystem. */
    if (dev[0] == '/' && (len[0] < 5 || memcmp (dev, "/dev/", 5) != 0))
      goto keep;
    if (!in_list (dev, len[0], devices))
      goto keep;
  }
  if (strbuf_adds (out, "# ferry: ") == -1 || strbuf_addline (out, l) == -1)
    return -1;
  return 1;

 keep:
  return strbuf_addline (out, l) == -1 ? -1 : 0;
}

char *
rewrite_fstab_drop_swap (const char *text, const char *const *devices,
                         int *changes)
{
  return rewrite_each_line (text, swap_line, devices, 0, changes);
}
