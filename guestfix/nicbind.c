/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: the NIC bindings of the guest's files (which names they give,
 * by which MAC), and the guest's own naming rules moved to the
 * target's NIC: .link files and udev rules (see rewrite.h).  The
 * parsers are nicname.c's.
 */

#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rewrite.h"

/*----------------------------------------------------------------------
 * Bindings: the literal names files give, and the MACs they go by.
 */

static int
add_binding (struct nic_binding **b, size_t *nr, const char *name,
             size_t nlen, const char *mac, size_t mlen)
{
  struct nic_binding *v = realloc (*b, (*nr + 1) * sizeof *v);

  if (v == NULL)
    return -1;
  *b = v;
  v[*nr].name = strndup (name, nlen);
  v[*nr].mac = mac ? strndup (mac, mlen) : NULL;
  if (v[*nr].name == NULL || (mac && v[*nr].mac == NULL)) {
    free (v[*nr].name);
    free (v[*nr].mac);
    return -1;
  }
  for (char *m = v[*nr].mac; m && *m; m++)
    if (*m >= 'A' && *m <= 'F')
      *m = (char) (*m - 'A' + 'a');
  (*nr)++;
  return 0;
}

static int
link_bindings (const char *text, struct nic_binding **b, size_t *nr)
{
  struct textline *lines;
  struct ini_line *il;
  const struct ini_line *nm;
  const char *mac = NULL;
  size_t n;
  int r = 0;

  if (ini_parse (text, &lines, &il, &n) == -1)
    return -1;
  nm = ini_link_value (il, n, "Name");
  for (size_t k = 0; k < n && mac == NULL; k++)
    if (ini_is (&il[k], "Match", "MACAddress") ||
        ini_is (&il[k], "Match", "PermanentMACAddress")) {
      const char *s = il[k].val, *end = s + il[k].vallen, *t;
      size_t len;
      if (nic_next_tok (&s, end, &t, &len) && nic_is_mac (t, len))
        mac = t;
    }
  if (nm && nic_valid_name (nm->val, nm->vallen))
    r = add_binding (b, nr, nm->val, nm->vallen, mac, 17);
  free (lines);
  free (il);
  return r;
}

static int
udev_bindings (const char *text, struct nic_binding **b, size_t *nr)
{
  struct textline *lines;
  struct udev_rule r = { 0 };
  size_t n;
  int ret = 0;

  if (split_lines (text, &lines, &n) == -1)
    return -1;
  for (size_t k = 0; k < n && ret == 0; k = r.end) {
    const struct udev_tok *nm = NULL, *addr = NULL;

    if (udev_parse_rule (lines, n, k, &r) == -1) {
      ret = -1;
      break;
    }
    for (size_t i = 0; i < r.nr; i++) {
      if (udev_assigns_name (&r.t[i]))
        nm = &r.t[i];
      else if ((udev_attr_is (&r.t[i], "ATTR", "address") ||
                udev_attr_is (&r.t[i], "ATTRS", "address")) &&
               strcmp (r.t[i].op, "==") == 0 && nic_is_mac (r.t[i].val, r.t[i].vallen))
        addr = &r.t[i];
    }
    if (!r.comment && !r.bad && nm && nic_valid_name (nm->val, nm->vallen))
      ret = add_binding (b, nr, nm->val, nm->vallen,
                         addr ? addr->val : NULL, 17);
  }
  free (lines);
  free (r.t);
  return ret;
}

/* One YAML line: indentation, "key: value" (unquoted), "- " items. */
struct yline {
  size_t indent;
  const char *key, *val;
  size_t keylen, vallen;
  bool content;
};

static void
parse_yline (const struct textline *l, struct yline *y)
{
  const char *s = l->p, *end = l->p + l->len, *q;

  memset (y, 0, sizeof *y);
  while (s < end && *s == ' ')
    s++;
  y->indent = s - l->p;
  if (s == end || *s == '#')
    return;
  y->content = true;
  for (q = s; q < end && !(*q == ':' && (q + 1 == end || is_blank (q[1]))); q++)
    ;
  if (q == end)
    return;
  y->key = s;
  y->keylen = q - s;
  if (y->keylen >= 2 && (*s == '"' || *s == '\'') && s[y->keylen - 1] == *s)
    y->key++, y->keylen -= 2;
  for (s = q + 1; s < end && is_blank (*s); s++)
    ;
  if (s < end && (*s == '"' || *s == '\'') &&
      (q = memchr (s + 1, *s, end - s - 1)) != NULL) {
    y->val = s + 1;
    y->vallen = q - s - 1;
    return;
  }
  y->val = s;
  for (q = s; q < end && !(*q == '#' && q > s && is_blank (q[-1])); q++)
    ;
  while (q > s && is_blank (q[-1]))
    q--;
  y->vallen = q - s;
}

static int
netplan_bindings (const char *text, struct nic_binding **b, size_t *nr)
{
  struct textline *lines;
  size_t n, eth = SIZE_MAX, child = SIZE_MAX, match = SIZE_MAX;
  const struct yline *setname = NULL, *mac = NULL;
  struct yline *y;
  int ret = 0;

  if (split_lines (text, &lines, &n) == -1)
    return -1;
  y = calloc (n + 1, sizeof *y);
  if (y == NULL) {
    free (lines);
    return -1;
  }
  for (size_t k = 0; k <= n && ret == 0; k++) {
    const struct yline *p = &y[k];
    bool flush = k == n;

    if (k < n)
      parse_yline (&lines[k], &y[k]);
    if (k < n && !p->content)
      continue;
    if (k < n && eth != SIZE_MAX && p->indent <= eth) {
      flush = true;
      eth = SIZE_MAX;
    }
    else if (k < n && eth != SIZE_MAX && (child == SIZE_MAX || p->indent <= child)) {
      flush = child != SIZE_MAX;
      child = p->indent;
    }
    if (flush && setname && nic_valid_name (setname->val, setname->vallen))
      ret = add_binding (b, nr, setname->val, setname->vallen,
                         mac ? mac->val : NULL, 17);
    if (flush)
      setname = mac = NULL, match = SIZE_MAX;
    if (k == n)
      break;
    if (eth == SIZE_MAX) {
      if (span_is (p->key, p->keylen, "ethernets") && p->vallen == 0)
        eth = p->indent, child = SIZE_MAX;
      continue;
    }
    if (p->indent == child)
      continue;
    if (match != SIZE_MAX && p->indent > match) {
      if (span_is (p->key, p->keylen, "macaddress") && nic_is_mac (p->val, p->vallen))
        mac = p;
      continue;
    }
    match = SIZE_MAX;
    if (span_is (p->key, p->keylen, "match") && p->vallen == 0)
      match = p->indent;
    else if (span_is (p->key, p->keylen, "set-name"))
      setname = p;
  }
  free (y);
  free (lines);
  return ret;
}

int
nic_bindings (const char *text, char kind, struct nic_binding **b, size_t *nr)
{
  int r;

  *b = calloc (1, sizeof **b);
  *nr = 0;
  if (*b == NULL) {
    errno = ENOMEM;
    return -1;
  }
  r = kind == 'l' ? link_bindings (text, b, nr)
    : kind == 'u' ? udev_bindings (text, b, nr)
    : netplan_bindings (text, b, nr);
  if (r == -1) {
    nic_bindings_free (*b, *nr);
    *b = NULL;
    *nr = 0;
    errno = ENOMEM;
  }
  return r;
}

void
nic_bindings_free (struct nic_binding *b, size_t nr)
{
  for (size_t i = 0; b && i < nr; i++) {
    free (b[i].name);
    free (b[i].mac);
  }
  free (b);
}

/*----------------------------------------------------------------------
 * The guest's names tied to the source's NICs.
 */

static bool
in_names (char *const *list, const char *s)
{
  for (size_t i = 0; list && list[i]; i++)
    if (strcmp (list[i], s) == 0)
      return true;
  return false;
}

static bool
name_tied (const struct nic_tie *tie, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (tie[i].name && strcmp (tie[i].name, name) == 0)
      return true;
  return false;
}

/* Add the MACs written in text (lowercase) to *macs, *nr of them. */
static int
scan_macs (const char *text, char (**macs)[18], size_t *nr)
{
  for (const char *q = text; q && *q; q++) {
    char m[18];
    bool dup = false;

    if ((q > text && (strchr ("0123456789abcdefABCDEF:", q[-1]))) ||
        strnlen (q, 17) < 17 || !nic_is_mac (q, 17) ||
        (q[17] && strchr ("0123456789abcdefABCDEF:", q[17])))
      continue;
    for (size_t k = 0; k < 17; k++)
      m[k] = (char) (q[k] >= 'A' && q[k] <= 'F' ? q[k] - 'A' + 'a' : q[k]);
    m[17] = '\0';
    for (size_t k = 0; k < *nr && !dup; k++)
      dup = strcmp ((*macs)[k], m) == 0;
    if (!dup) {
      char (*v)[18] = realloc (*macs, (*nr + 1) * sizeof *v);
      if (v == NULL)
        return -1;
      *macs = v;
      memcpy (v[(*nr)++], m, 18);
    }
    q += 16;
  }
  return 0;
}

int
nic_tie_names (char *const *names, size_t nr_used,
               const struct nic_binding *b, size_t nb,
               const char *const *macs, size_t nr_nics,
               const char *const *texts, char **const *text_names,
               size_t nr_texts, struct nic_tie *tie)
{
  char (*seen)[18] = NULL;
  size_t nseen = 0, free_nics = 0, free_names = 0, k = 0;

  memset (tie, 0, nr_nics * sizeof *tie);
  /* By MAC: a binding of it, else the one name of a config naming it. */
  for (size_t i = 0; i < nr_nics; i++) {
    const char *mac = macs[i];
    for (size_t j = 0; mac && j < nb && !tie[i].name; j++)
      if (b[j].mac && strcasecmp (b[j].mac, mac) == 0 &&
          in_names (names, b[j].name) && !name_tied (tie, nr_nics, b[j].name))
        for (size_t o = 0; names[o] && !tie[i].name; o++)
          if (strcmp (names[o], b[j].name) == 0)
            tie[i].name = names[o];
    for (size_t f = 0; mac && f < nr_texts && !tie[i].name; f++) {
      char *const *tn = text_names[f];
      if (!strcasestr (texts[f], mac) || !tn || !tn[0] || tn[1] ||
          name_tied (tie, nr_nics, tn[0]))
        continue;
      for (size_t o = 0; names[o] && !tie[i].name; o++)
        if (strcmp (names[o], tn[0]) == 0)
          tie[i].name = names[o];
    }
    if (tie[i].name && (tie[i].mac = strdup (mac)) == NULL)
      goto nomem;
  }
  /* The rest of the names configs use, in order. */
  for (size_t i = 0; i < nr_nics; i++)
    free_nics += tie[i].name == NULL;
  for (size_t o = 0; o < nr_used && names[o]; o++)
    free_names += !name_tied (tie, nr_nics, names[o]);
  for (size_t o = 0; o < nr_used && names[o]; o++) {
    if (name_tied (tie, nr_nics, names[o]))
      continue;
    while (k < nr_nics && tie[k].name)
      k++;
    if (k == nr_nics)
      break;
    tie[k].name = names[o];
    tie[k].by_order = 1;
  }
  /* The MAC of each name: a binding's, or with one NIC the only MAC
   * the guest's files name.
   */
  for (size_t f = 0; f < nr_texts; f++)
    if (scan_macs (texts[f], &seen, &nseen) == -1)
      goto nomem;
  for (size_t j = 0; j < nb; j++)
    if (b[j].mac && scan_macs (b[j].mac, &seen, &nseen) == -1)
      goto nomem;
  for (size_t i = 0; i < nr_nics; i++) {
    for (size_t j = 0; j < nb && tie[i].name && !tie[i].mac; j++)
      if (b[j].mac && strcmp (b[j].name, tie[i].name) == 0 &&
          (tie[i].mac = strdup (b[j].mac)) == NULL)
        goto nomem;
    if (nr_nics == 1 && tie[i].name && !tie[i].mac && nseen == 1 &&
        (tie[i].mac = strdup (seen[0])) == NULL)
      goto nomem;
    for (size_t j = 0; j < nb && tie[i].name; j++)
      tie[i].bound |= strcmp (b[j].name, tie[i].name) == 0;
  }
  free (seen);
  return nr_nics > 1 && free_nics >= 1 && free_names >= 1 &&
    (free_nics >= 2 || free_names >= 2);
 nomem:
  free (seen);
  for (size_t i = 0; i < nr_nics; i++) {
    free (tie[i].mac);
    tie[i].mac = NULL;
  }
  errno = ENOMEM;
  return -1;
}

/*----------------------------------------------------------------------
 * Rewriters.
 */

/* Does the name survive on the target (see struct nicmap)? */
static bool
survives (const struct nicmap *e)
{
  return e->new_name && strcmp (e->new_name, e->old_name) == 0;
}


char *
rewrite_link_file (const char *text, const struct nicmap *map,
                   const struct nic_props *props, size_t nr_map, int *changes)
{
  struct textline *lines;
  struct ini_line *il;
  struct textout o;
  const struct ini_line *nm;
  const struct nicmap *e = NULL;
  const struct nic_props *nic = NULL;
  size_t nr, at = SIZE_MAX;

  if (changes)
    *changes = 0;
  if (ini_parse (text, &lines, &il, &nr) == -1)
    return NULL;
  textout_init (&o, lines, nr);
  nm = ini_link_value (il, nr, "Name");
  for (size_t i = 0; nm && i < nr_map && e == NULL; i++)
    if (map[i].old_name && span_is (nm->val, nm->vallen, map[i].old_name))
      e = &map[i], nic = &props[i];
  if (e && !e->new_mac && !survives (e))
    e = NULL;
  /* Rebound, the file must still pick this NIC alone (Driver= fits all
   * the target's NICs): by its PCI path, or off PCI its kernel name.
   * That line goes where the first MAC was, else first in [Match].
   */
  if (e && !e->new_mac &&
      ini_key_start (il, nr, nic->path ? "Path" : "OriginalName") < 0) {
    for (size_t k = 0; k < nr && at == SIZE_MAX; k++)
      if ((ini_is (&il[k], "Match", "MACAddress") ||
           ini_is (&il[k], "Match", "PermanentMACAddress")) && il[k].vallen)
        at = k;
    for (size_t k = 0; k < nr && at == SIZE_MAX; k++)
      if (il[k].is_sect && span_is (il[k].sect, il[k].sectlen, "Match"))
        at = k + 1;
  }

  for (size_t k = 0; k <= nr; k++) {
    const struct ini_line *l = &il[k];
    const char *repl = NULL;
    int r = 0;

    if (k == at && textout_new (&o, nic->path ? "Path=%s" : "OriginalName=%s",
                                nic->path ? nic->path : nic->kernel_name) == -1)
      goto err;
    if (k == nr)
      break;
    if (e && (ini_is (l, "Match", "MACAddress") ||
              ini_is (l, "Match", "PermanentMACAddress")) && l->vallen) {
      const char *s = l->val, *end = s + l->vallen, *t;
      size_t len;

      if (e->new_mac == NULL)
        continue;               /* it will not be on the target */
      while (nic_next_tok (&s, end, &t, &len) && r == 0)
        if (nic_mac_eq (t, len, e->old_mac) && !nic_mac_eq (t, len, e->new_mac))
          r = textout_splice (&o, &lines[k], t - lines[k].p, len, e->new_mac) == -1 ? -1 : 1;
      if (r == -1)
        goto err;
      if (r == 1)
        continue;
    }
    else if (e && ini_is (l, "Match", "Path") && l->vallen && nic->path == NULL)
      continue;                 /* no PCI path there */
    else if (e && ini_is (l, "Match", "Path") && l->vallen &&
             !ini_line_fits (l->val, l->vallen, nic->path))
      repl = nic->path;
    else if (e && ini_is (l, "Match", "Driver") && l->vallen &&
             nic->driver && !ini_line_fits (l->val, l->vallen, nic->driver))
      repl = nic->driver;
    else if (e && ini_is (l, "Match", "OriginalName") && l->vallen &&
             !ini_line_fits (l->val, l->vallen, nic->kernel_name))
      repl = nic->kernel_name;
    if ((repl ? textout_splice (&o, &lines[k], l->val - lines[k].p, l->vallen, repl)
         : textout_line (&o, &lines[k])) == -1)
      goto err;
  }
  free (il);
  free (lines);
  return textout_finish (&o, text, changes);
 err:
  free (il);
  return textout_fail (&o, lines);
}

/* A rule's physical line with edits: tokens replaced (repl) or removed
 * (repl NULL).
 */
struct edit {
  const struct udev_tok *t;
  const char *repl;
};

static int
emit_rule_line (struct textout *o, const struct textline *l, size_t k,
                const struct edit *ed, size_t ned)
{
  struct sbuf s = SBUF_INIT;
  size_t copied = 0;
  bool edited = false;
  int r;

  for (size_t i = 0; i < ned; i++) {
    const struct udev_tok *t = ed[i].t;
    size_t start = t->start, end = t->start + t->len;

    if (t->line != k)
      continue;
    edited = true;
    if (ed[i].repl == NULL) {
      /* The token and the separator after it, or before it at the end. */
      size_t e2 = end;
      while (e2 < l->len && (is_blank (l->p[e2]) || l->p[e2] == ','))
        e2++;
      if (e2 < l->len && l->p[e2] != '\\')
        end = e2;
      else
        while (start > copied && (is_blank (l->p[start - 1]) || l->p[start - 1] == ','))
          start--;
    }
    if (sbuf_add (&s, l->p + copied, start - copied) == -1 ||
        (ed[i].repl && sbuf_puts (&s, ed[i].repl) == -1))
      goto err;
    copied = end;
  }
  if (!edited)
    return textout_line (o, l);
  if (sbuf_add (&s, l->p + copied, l->len - copied) == -1 ||
      sbuf_add (&s, "", 0) == -1)
    goto err;
  r = textout_splice (o, l, 0, l->len, s.s);
  sbuf_free (&s);
  return r;
 err:
  sbuf_free (&s);
  return -1;
}

static int
cmp_edit (const void *a, const void *b)
{
  const struct edit *x = a, *y = b;
  return x->t->line != y->t->line ? (x->t->line < y->t->line ? -1 : 1)
    : x->t->start < y->t->start ? -1 : x->t->start > y->t->start;
}

char *
rewrite_udev_rules (const char *text, const struct nicmap *map,
                    const struct nic_props *props, size_t nr_map, int *changes)
{
  struct textline *lines;
  struct textout o;
  struct udev_rule r = { 0 };
  struct sbuf strs[8];
  size_t nr;

  if (changes)
    *changes = 0;
  if (split_lines (text, &lines, &nr) == -1)
    return NULL;
  textout_init (&o, lines, nr);
  for (size_t k = 0; k < nr; k = r.end) {
    const struct udev_tok *nm = NULL, *addr = NULL, *kernels = NULL, *kernel = NULL;
    const struct nicmap *e = NULL;
    const struct nic_props *nic = NULL;
    struct edit ed[8];
    size_t ned = 0, ns = 0;
    bool keep = true;

    if (udev_parse_rule (lines, nr, k, &r) == -1)
      goto err;
    for (size_t i = 0; i < r.nr; i++) {
      const struct udev_tok *t = &r.t[i];
      if (udev_assigns_name (t))
        nm = t;
      else if ((udev_attr_is (t, "ATTR", "address") || udev_attr_is (t, "ATTRS", "address")) &&
               strcmp (t->op, "==") == 0)
        addr = t;
      else if (udev_key_is (t, "KERNELS") && udev_is_match (t))
        kernels = t;
      else if (udev_key_is (t, "KERNEL") && udev_is_match (t))
        kernel = t;
    }
    if (!r.comment && !r.bad && nm) {
      for (size_t i = 0; addr && i < nr_map && e == NULL; i++)
        if (nic_mac_eq (addr->val, addr->vallen, map[i].old_mac))
          e = &map[i], nic = &props[i];
      for (size_t i = 0; i < nr_map && e == NULL; i++)
        if (map[i].old_name && span_is (nm->val, nm->vallen, map[i].old_name))
          e = &map[i], nic = &props[i];
      if (e && !e->new_mac &&
          !(survives (e) && span_is (nm->val, nm->vallen, e->old_name)))
        e = NULL;
      keep = e || addr == NULL;
    }
    /* Edits: each replacement value is a token of its own. */
    for (size_t i = 0; e && i < r.nr && ned < 6; i++) {
      const struct udev_tok *t = &r.t[i];
      const char *tv[2] = { NULL, NULL };
      const char *key = NULL, *val = NULL;

      if (t == addr && e->new_mac) {
        if (!nic_mac_eq (t->val, t->vallen, e->new_mac))
          key = "ATTR{address}==", val = e->new_mac;
      }
      else if (t == addr) {
        if (nic->pci && !kernels)
          key = "KERNELS==", val = nic->pci;
        else if (!nic->pci && !kernel)
          key = "KERNEL==", val = nic->kernel_name;
        else {
          ed[ned++] = (struct edit) { t, NULL };
          continue;
        }
      }
      else if (t == kernels || t == kernel ||
               (udev_key_is (t, "DRIVERS") && udev_is_match (t))) {
        tv[0] = t == kernel ? nic->kernel_name : t == kernels ?
          (nic->pci ? nic->pci : nic->kernel_name) : nic->driver;
        tv[1] = t == kernels ? nic->kernel_name :
          t == kernel ? NULL : nic->parent_driver;
        if (tv[0] && strcmp (t->op, "==") == 0 && !udev_fits_any (t, tv, 2))
          key = t == kernel ? "KERNEL==" : t == kernels ? "KERNELS==" : "DRIVERS==",
            val = tv[0];
      }
      if (key == NULL)
        continue;
      strs[ns] = (struct sbuf) SBUF_INIT;
      if (sbuf_printf (&strs[ns], "%s\"%s\"", key, val) == -1) {
        sbuf_free (&strs[ns]);
        goto err_strs;
      }
      ed[ned++] = (struct edit) { t, strs[ns++].s };
    }
    qsort (ed, ned, sizeof ed[0], cmp_edit);
    for (size_t j = r.first; keep && j < r.end; j++)
      if (emit_rule_line (&o, &lines[j], j, ed, ned) == -1)
        goto err_strs;
    for (size_t i = 0; i < ns; i++)
      sbuf_free (&strs[i]);
    continue;
  err_strs:
    for (size_t i = 0; i < ns; i++)
      sbuf_free (&strs[i]);
    goto err;
  }
  free (r.t);
  free (lines);
  return textout_finish (&o, text, changes);
 err:
  free (r.t);
  return textout_fail (&o, lines);
}

char *
rewrite_persistent_net_rules (const char *text, int *changes)
{
  return rewrite_udev_rules (text, NULL, NULL, 0, changes);
}
