/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: rename network interfaces in guest configuration files.
 *
 * A VMware vmxnet3 or e1000 NIC called ens192 or ens160 in the source
 * becomes a virtio-net NIC in a different PCI slot, hence with a
 * different predictable name (ens3 ...) and, usually, a different MAC.
 * Every config that names the old interface or pins its MAC would leave
 * the converted guest without network, so each format is rewritten here
 * as plain text, keeping the admin's layout and comments.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdint.h>
#include <errno.h>

#include "rewrite.h"

static int
span_eq (const char *p, size_t len, const char *s)
{
  return p != NULL && s != NULL && strlen (s) == len &&
    memcmp (p, s, len) == 0;
}

static int
mac_eq (const char *p, size_t len, const char *mac)
{
  return p != NULL && mac != NULL && strlen (mac) == len &&
    strncasecmp (p, mac, len) == 0;
}

/* Find the map entry for an interface name.  With allow_suffix, also
 * "OLD:alias" and "OLD.vlan", which in ifupdown derive from the
 * physical device by name; "OLD0" never matches.
 */
static const struct nicmap *
find_name (const struct nicmap *map, size_t nr_map,
           const char *p, size_t len, int allow_suffix)
{
  size_t i, olen;

  for (i = 0; p != NULL && i < nr_map; ++i) {
    if (map[i].old_name == NULL || map[i].new_name == NULL)
      continue;
    olen = strlen (map[i].old_name);
    if (olen == 0 || olen > len || memcmp (p, map[i].old_name, olen) != 0)
      continue;
    if (olen == len ||
        (allow_suffix && (p[olen] == ':' || p[olen] == '.') && olen + 1 < len))
      return &map[i];
  }
  return NULL;
}

static const struct nicmap *
find_mac (const struct nicmap *map, size_t nr_map, const char *p, size_t len)
{
  size_t i;

  for (i = 0; i < nr_map; ++i)
    if (mac_eq (p, len, map[i].old_mac))
      return &map[i];
  return NULL;
}

/* Append the line with [at, at+len) replaced by 'repl' if that makes a
 * difference.  Returns 1 if changed, 0 if copied, -1 on error.  Thus map
 * entries with new_name == old_name never count as changes.
 */
static int
replace_at (struct sbuf *out, const struct textline *l,
            const char *at, size_t len, const char *repl)
{
  if (span_eq (at, len, repl))
    return strbuf_addline (out, l) == -1 ? -1 : 0;
  return strbuf_splice (out, l, at - l->p, len, repl) == -1 ? -1 : 1;
}

static int
copy_line (struct sbuf *out, const struct textline *l)
{
  return strbuf_addline (out, l) == -1 ? -1 : 0;
}

/* Find the next blank separated word at or after *i.  */
static int
next_word (const struct textline *l, size_t *i, size_t *start, size_t *len)
{
  while (*i < l->len && is_blank (l->p[*i]))
    (*i)++;
  if (*i == l->len)
    return 0;
  *start = *i;
  while (*i < l->len && !is_blank (l->p[*i]))
    (*i)++;
  *len = *i - *start;
  return 1;
}

/*----------------------------------------------------------------------
 * ifupdown, /etc/network/interfaces
 */

/* "auto X Y" and "allow-CLASS X Y": the interfaces brought up. */
static int
is_auto (const char *w, size_t len)
{
  return span_eq (w, len, "auto") ||
    (len > 6 && strncmp (w, "allow-", 6) == 0);
}

/* Stanzas and options whose arguments are all interface names, or
 * commands that usually contain some ("post-up ip route ... dev ens192").
 * Renaming whole words there is safe: the old name does not exist on
 * the target, so such a word can only be a dangling reference.
 */
static int
is_name_list (const char *w, size_t len)
{
  static const char *const opts[] = {
    "mapping", "no-auto-down", "no-scripts",
    "bridge_ports", "bridge-ports", "bond-slaves", "bond_slaves",
    "bond-primary", "bond_primary", "vlan-raw-device", "vlan_raw_device",
    "up", "down", "pre-up", "post-up", "pre-down", "post-down", NULL
  };
  size_t i;

  for (i = 0; opts[i]; ++i)
    if (span_eq (w, len, opts[i]))
      return 1;
  return is_auto (w, len);
}

/* Append the line renaming words number first..last (0 based). */
static int
rename_words (struct sbuf *out, const struct textline *l,
              size_t first, size_t last,
              const struct nicmap *map, size_t nr_map)
{
  size_t i = 0, copied = 0, w, start, len;
  int changed = 0;

  for (w = 0; next_word (l, &i, &start, &len); ++w) {
    const struct nicmap *e;

    if (w < first || w > last)
      continue;
    e = find_name (map, nr_map, &l->p[start], len, 1);
    if (e == NULL || strcmp (e->old_name, e->new_name) == 0)
      continue;
    if (sbuf_add (out, &l->p[copied], start - copied) == -1 ||
        strbuf_adds (out, e->new_name) == -1)
      return -1;
    copied = start + strlen (e->old_name); /* keeps ":0" / ".10" */
    changed = 1;
  }
  if (sbuf_add (out, &l->p[copied], l->len - copied + l->eollen) == -1)
    return -1;
  return changed;
}

static int
add_name (char ***names, size_t *n, size_t *cap, const char *p, size_t len)
{
  size_t i;
  char *s;

  for (i = 0; i < *n; ++i)
    if (span_eq (p, len, (*names)[i]))
      return 0;
  if (*n + 1 >= *cap) {
    char **v = realloc (*names, 2 * *cap * sizeof *v);
    if (v == NULL)
      return -1;
    *names = v;
    *cap *= 2;
  }
  s = strndup (p, len);
  if (s == NULL)
    return -1;
  (*names)[(*n)++] = s;
  (*names)[*n] = NULL;
  return 0;
}

int
ifupdown_list_ifaces (const char *text, char ***names)
{
  struct textline *lines = NULL;
  size_t nr = 0, k, n = 0, cap = 8;
  char **v = calloc (cap, sizeof *v);

  *names = NULL;
  if (v == NULL || split_lines (text, &lines, &nr) == -1)
    goto err;

  for (k = 0; k < nr; ++k) {
    const struct textline *l = &lines[k];
    size_t i = 0, s, len;
    int all;

    if (!next_word (l, &i, &s, &len))
      continue;
    all = is_auto (&l->p[s], len);
    if (!all && !span_eq (&l->p[s], len, "iface"))
      continue;
    while (next_word (l, &i, &s, &len)) {
      if (!span_eq (&l->p[s], len, "lo") &&
          add_name (&v, &n, &cap, &l->p[s], len) == -1)
        goto err;
      if (!all)
        break;
    }
  }
  free (lines);
  *names = v;
  return (int) n;

 err:
  free (lines);
  for (k = 0; k < n; ++k)
    free (v[k]);
  free (v);
  errno = ENOMEM;
  return -1;
}

static int
ifupdown_line (struct sbuf *out, const struct textline *l,
               const void *vmap, size_t nr_map)
{
  const struct nicmap *map = vmap;
  size_t i = 0, w0, w0len, s, len;

  if (!next_word (l, &i, &w0, &w0len) || l->p[w0] == '#')
    return copy_line (out, l);
  if (is_name_list (&l->p[w0], w0len))
    return rename_words (out, l, 1, SIZE_MAX, map, nr_map);
  if (span_eq (&l->p[w0], w0len, "iface"))
    return rename_words (out, l, 1, 1, map, nr_map);

  /* "hwaddress [ether] MAC" would force the old MAC onto the new NIC. */
  if (span_eq (&l->p[w0], w0len, "hwaddress"))
    while (next_word (l, &i, &s, &len))
      if (find_mac (map, nr_map, &l->p[s], len))
        return 1;
  return copy_line (out, l);
}

char *
rewrite_ifupdown (const char *text,
                  const struct nicmap *map, size_t nr_map, int *changes)
{
  return rewrite_each_line (text, ifupdown_line, map, nr_map, changes);
}

/*----------------------------------------------------------------------
 * Parsed lines, for the formats that need more than one line of context
 * (netplan YAML, NM keyfiles and networkd units, both INI style).
 */

struct pline {
  const struct textline *l;
  const char *key, *val;        /* NULL if none; val is inside quotes */
  size_t keylen, vallen;
  /* YAML only. */
  size_t indent;                /* leading spaces */
  int content;                  /* not blank and not only a comment */
  int dash;                     /* a "- " sequence entry */
  int block;                    /* "key:" with nothing after it */
  const char *flow;             /* '[' of a flow sequence value */
  /* INI only. */
  int is_sect;                  /* a "[Section]" header line */
  const char *sect;             /* section the line is in, or NULL */
  size_t sectlen;
};

struct doc {
  struct sbuf out;
  struct textline *lines;
  struct pline *pl;
  size_t nr;
  int n;                        /* changes so far */
};

static int
doc_parse (struct doc *d, const char *text,
           void (*parse) (const struct textline *, struct pline *))
{
  const char *sect = NULL;
  size_t k, sectlen = 0;

  memset (d, 0, sizeof *d);
  if (split_lines (text, &d->lines, &d->nr) == -1)
    return -1;
  d->pl = calloc (d->nr + 1, sizeof *d->pl);
  if (d->pl == NULL)
    return -1;
  for (k = 0; k < d->nr; ++k) {
    struct pline *p = &d->pl[k];

    p->l = &d->lines[k];
    parse (p->l, p);
    if (p->is_sect) {
      sect = p->key;
      sectlen = p->keylen;
    }
    p->sect = sect;
    p->sectlen = sectlen;
  }
  return 0;
}

static char *
doc_finish (struct doc *d, int ok, int *changes)
{
  free (d->lines);
  free (d->pl);
  if (!ok) {
    free (d->out.s);
    errno = ENOMEM;
    return NULL;
  }
  if (changes)
    *changes = d->n;
  return sbuf_take (&d->out);
}

static int
key_is (const struct pline *p, const char *key)
{
  return !p->is_sect && span_eq (p->key, p->keylen, key);
}

static int
in_sect (const struct pline *p, const char *name)
{
  return span_eq (p->sect, p->sectlen, name);
}

/* Append the line with its value renamed if it is an old interface name
 * (exactly: names derived from it such as VLANs stay valid as they are).
 */
static int
rename_val (struct sbuf *out, const struct pline *p,
            const struct nicmap *map, size_t nr_map)
{
  const struct nicmap *e = find_name (map, nr_map, p->val, p->vallen, 0);

  if (e == NULL)
    return copy_line (out, p->l);
  return replace_at (out, p->l, p->val, p->vallen, e->new_name);
}

/*----------------------------------------------------------------------
 * netplan YAML
 *
 * Netplan files written by installers and admins use block style with
 * one "key: value" per line, so a line classifier plus indentation
 * tracking is enough.  Flow style mappings ("ethernets: {...}") are left
 * as they are.
 */

/* Parse a plain or quoted scalar starting at s. */
static void
yaml_scalar (const char *s, const char *end, struct pline *p)
{
  if (*s == '"' || *s == '\'') {
    const char *q = memchr (s + 1, *s, end - s - 1);
    if (q != NULL) {
      p->val = s + 1;
      p->vallen = q - s - 1;
    }
    return;
  }
  p->val = s;
  while (s < end && !is_blank (*s))
    s++;
  p->vallen = s - p->val;
}

static void
parse_yaml (const struct textline *l, struct pline *p)
{
  const char *s = l->p, *end = l->p + l->len, *k, *q;

  while (s < end && *s == ' ')
    s++;
  p->indent = s - l->p;
  while (s < end && is_blank (*s))
    s++;
  if (s == end || *s == '#')
    return;
  p->content = 1;

  if (*s == '-' && (s + 1 == end || is_blank (s[1]))) {
    p->dash = 1;
    for (s++; s < end && is_blank (*s); s++)
      ;
    if (s == end || *s == '#')
      return;
  }

  /* Find the key's ':'.  Quoted keys do occur ("ens160": ...). */
  k = s;
  if (*s == '"' || *s == '\'') {
    q = memchr (s + 1, *s, end - s - 1);
    if (q == NULL)
      return;
    k = s + 1;
    q++;
  }
  else
    for (q = s; q < end && !(*q == '#' && is_blank (q[-1])); ++q)
      if (*q == ':' && (q + 1 == end || is_blank (q[1])))
        break;
  if (q >= end || *q != ':' || !(q + 1 == end || is_blank (q[1]))) {
    yaml_scalar (s, end, p);    /* "- ens160" */
    return;
  }
  p->key = k;
  p->keylen = (k == s ? q : q - 1) - k;

  for (s = q + 1; s < end && is_blank (*s); s++)
    ;
  if (s == end || *s == '#')
    p->block = 1;
  else if (*s == '[')
    p->flow = s;
  else if (*s != '{')
    yaml_scalar (s, end, p);
}

/* Rename exact names in a one-line flow sequence [ens160, "ens192"]. */
static int
netplan_flow (struct sbuf *out, const struct pline *p,
              const struct nicmap *map, size_t nr_map)
{
  const struct textline *l = p->l;
  const char *s = p->flow + 1, *end = l->p + l->len, *copied = l->p;
  int changed = 0;

  while (s < end && *s != ']') {
    const char *a, *b;
    const struct nicmap *m;

    while (s < end && (is_blank (*s) || *s == ','))
      s++;
    for (a = s; s < end && *s != ',' && *s != ']'; s++)
      ;
    for (b = s; b > a && is_blank (b[-1]); b--)
      ;
    if (b - a >= 2 && (*a == '"' || *a == '\'') && b[-1] == *a)
      a++, b--;
    m = find_name (map, nr_map, a, b - a, 0);
    if (m == NULL || strcmp (m->old_name, m->new_name) == 0)
      continue;
    if (sbuf_add (out, copied, a - copied) == -1 ||
        strbuf_adds (out, m->new_name) == -1)
      return -1;
    copied = b;
    changed = 1;
  }
  if (sbuf_add (out, copied, end - copied + l->eollen) == -1)
    return -1;
  return changed;
}

/* One interface under "ethernets:", lines [first, end).  Which NIC it is
 * may only be known from a match: block or set-name: further down, so
 * look at the whole block before emitting anything.
 */
static int
netplan_ethernet (struct sbuf *out, const struct pline *pl,
                  size_t first, size_t end,
                  const struct nicmap *map, size_t nr_map)
{
  const struct pline *kp = &pl[first], *mac = NULL, *mname = NULL;
  const struct pline *setname = NULL;
  const struct nicmap *e = NULL;
  const struct pline *rebind = NULL;
  size_t match = SIZE_MAX, match_last = 0, x;
  int in_match = 0, drop, keep_match = 0, n = 0, r;

  for (x = first + 1; x < end; ++x) {
    const struct pline *p = &pl[x];

    if (!p->content)
      continue;
    if (in_match && p->indent > pl[match].indent) {
      match_last = x;
      if (key_is (p, "macaddress") && p->val)
        mac = p;
      else if (key_is (p, "name") && p->val)
        mname = p;
      continue;
    }
    in_match = 0;
    if (match == SIZE_MAX && key_is (p, "match") && p->block) {
      match = match_last = x;
      in_match = 1;
    }
    else if (setname == NULL && key_is (p, "set-name") && p->val)
      setname = p;
  }

  /* The MAC is the most reliable identity, then the names. */
  if (mac)
    e = find_mac (map, nr_map, mac->val, mac->vallen);
  if (e == NULL && setname)
    e = find_name (map, nr_map, setname->val, setname->vallen, 0);
  if (e == NULL && mname)
    e = find_name (map, nr_map, mname->val, mname->vallen, 0);
  if (e == NULL)
    e = find_name (map, nr_map, kp->key, kp->keylen, 0);

  /* With no new MAC to match on, the interface is matched by its key,
   * so the match: block and set-name: go and the key takes the new name.
   * A set-name: of the guest's own that survives keeps its match:, which
   * then names the target's NIC by match_key.
   */
  drop = e != NULL && e->new_mac == NULL && match != SIZE_MAX;
  if (drop && e->match_key && e->match_val && setname && e->new_name &&
      strcmp (e->new_name, e->old_name) == 0 &&
      span_eq (setname->val, setname->vallen, e->old_name)) {
    drop = 0;
    keep_match = 1;
    for (x = match + 1; x <= match_last; ++x)
      if (key_is (&pl[x], e->match_key) && pl[x].val)
        rebind = &pl[x];
  }

  for (x = first; x < end; ++x) {
    const struct pline *p = &pl[x];

    if (e == NULL)
      r = copy_line (out, p->l);
    else if (drop && ((x >= match && x <= match_last) || p == setname))
      r = 1;
    else if (keep_match && p == rebind)
      r = replace_at (out, p->l, p->val, p->vallen, e->match_val);
    else if (keep_match && ((p == mac && rebind) ||
                            (p == mname && strcmp (e->match_key, "name") != 0)))
      r = 1;
    else if (keep_match && p == mac)
      r = sbuf_add (out, p->l->p, p->key - p->l->p) == -1 ||
        strbuf_adds (out, e->match_key) == -1 ||
        strbuf_adds (out, ": ") == -1 ||
        strbuf_adds (out, e->match_val) == -1 ||
        sbuf_add (out, p->l->p + p->l->len, p->l->eollen) == -1 ? -1 : 1;
    else if (p == kp && (drop || span_eq (p->key, p->keylen, e->old_name)))
      r = replace_at (out, p->l, p->key, p->keylen, e->new_name);
    else if (p == mac && e->new_mac &&
             (e->old_mac == NULL || mac_eq (p->val, p->vallen, e->old_mac)))
      r = mac_eq (p->val, p->vallen, e->new_mac) ? copy_line (out, p->l)
        : strbuf_splice (out, p->l, p->val - p->l->p, p->vallen,
                         e->new_mac) == -1 ? -1 : 1;
    else if ((p == mname || p == setname) &&
             span_eq (p->val, p->vallen, e->old_name))
      r = replace_at (out, p->l, p->val, p->vallen, e->new_name);
    else
      r = copy_line (out, p->l);
    if (r == -1)
      return -1;
    n += r;
  }
  return n;
}

char *
rewrite_netplan (const char *text,
                 const struct nicmap *map, size_t nr_map, int *changes)
{
  enum { S_NONE, S_ETHERNETS, S_VIRTUAL } sect = S_NONE;
  size_t i, sect_indent = 0, child_indent = SIZE_MAX, list_indent = SIZE_MAX;
  struct doc d;
  int r;

  if (changes)
    *changes = 0;
  if (doc_parse (&d, text, parse_yaml) == -1)
    return doc_finish (&d, 0, changes);

  for (i = 0; i < d.nr; i++, d.n += r) {
    const struct pline *p = &d.pl[i];

    if (p->content && sect != S_NONE && p->indent <= sect_indent)
      sect = S_NONE;

    if (!p->content)
      r = copy_line (&d.out, p->l);
    else if (sect == S_NONE) {
      if (!p->dash && p->block && key_is (p, "ethernets")) {
        sect = S_ETHERNETS;
        sect_indent = p->indent;
        child_indent = SIZE_MAX;
      }
      else if (!p->dash && p->block &&
               (key_is (p, "bonds") || key_is (p, "bridges") ||
                key_is (p, "vlans"))) {
        sect = S_VIRTUAL;
        sect_indent = p->indent;
        list_indent = SIZE_MAX;
      }
      r = copy_line (&d.out, p->l);
    }
    else if (sect == S_ETHERNETS) {
      size_t end = i + 1;

      if (child_indent == SIZE_MAX)
        child_indent = p->indent;
      if (p->indent == child_indent && p->key != NULL && !p->dash) {
        while (end < d.nr &&
               !(d.pl[end].content && d.pl[end].indent <= child_indent))
          end++;
        r = netplan_ethernet (&d.out, d.pl, i, end, map, nr_map);
        i = end - 1;
      }
      else
        r = copy_line (&d.out, p->l);
    }
    /* bonds, bridges, vlans: only references to ethernets change; the
     * virtual interfaces' own names ("ens160.10") stay valid whatever
     * their link is called.
     */
    else if (p->dash && p->key == NULL && list_indent != SIZE_MAX &&
             p->indent >= list_indent)
      r = rename_val (&d.out, p, map, nr_map);
    else {
      list_indent = SIZE_MAX;
      if (key_is (p, "interfaces") && p->flow)
        r = netplan_flow (&d.out, p, map, nr_map);
      else if (key_is (p, "link") || key_is (p, "primary"))
        r = rename_val (&d.out, p, map, nr_map);
      else {
        if (key_is (p, "interfaces") && p->block)
          list_indent = p->indent;
        r = copy_line (&d.out, p->l);
      }
    }
    if (r == -1)
      return doc_finish (&d, 0, changes);
  }
  return doc_finish (&d, 1, changes);
}

/*----------------------------------------------------------------------
 * INI style: NetworkManager keyfiles and systemd-networkd units.
 */

static void
parse_ini (const struct textline *l, struct pline *p)
{
  const char *s = l->p, *end = l->p + l->len, *q;

  while (s < end && is_blank (*s))
    s++;
  if (s == end || *s == '#' || *s == ';')
    return;
  if (*s == '[') {
    q = memchr (s, ']', end - s);
    if (q != NULL) {
      p->is_sect = 1;
      p->key = s + 1;
      p->keylen = q - s - 1;
    }
    return;
  }
  q = memchr (s, '=', end - s);
  if (q == NULL)
    return;
  p->key = s;
  for (p->keylen = q - s; p->keylen > 0 && is_blank (s[p->keylen - 1]);)
    p->keylen--;
  for (s = q + 1; s < end && is_blank (*s); s++)
    ;
  p->val = s;
  for (p->vallen = end - s; p->vallen > 0 && is_blank (s[p->vallen - 1]);)
    p->vallen--;
}

/* Keys of a keyfile that hold the interface name. */
static int
nm_is_name (const struct pline *p)
{
  return (in_sect (p, "connection") &&
          (key_is (p, "interface-name") || key_is (p, "id"))) ||
    (in_sect (p, "vlan") && key_is (p, "parent"));
}

static int
nm_is_mac (const struct pline *p)
{
  return key_is (p, "mac-address") &&
    (in_sect (p, "ethernet") || in_sect (p, "802-3-ethernet"));
}

/* Old keyfiles may end a MAC with ';' (list syntax); compare without. */
static size_t
nm_mac_len (const struct pline *p)
{
  return p->vallen > 0 && p->val[p->vallen - 1] == ';'
    ? p->vallen - 1 : p->vallen;
}

char *
rewrite_nm_keyfile (const char *text,
                    const struct nicmap *map, size_t nr_map, int *changes)
{
  const struct nicmap *e = NULL;
  struct doc d;
  size_t k, last_conn = SIZE_MAX;
  int by_ifname = 0, has_ifname = 0, add_ifname = 0, r;

  if (changes)
    *changes = 0;
  if (doc_parse (&d, text, parse_ini) == -1)
    return doc_finish (&d, 0, changes);

  /* One keyfile is one connection, so settle which NIC it is first. */
  for (k = 0; k < d.nr && e == NULL; ++k)
    if (nm_is_mac (&d.pl[k]))
      e = find_mac (map, nr_map, d.pl[k].val, nm_mac_len (&d.pl[k]));
  for (k = 0; k < d.nr && e == NULL; ++k)
    if (nm_is_name (&d.pl[k]))
      e = find_name (map, nr_map, d.pl[k].val, d.pl[k].vallen, 0);
  for (k = 0; k < d.nr && e != NULL; ++k)
    if (key_is (&d.pl[k], "interface-name") &&
        in_sect (&d.pl[k], "connection")) {
      has_ifname = 1;
      by_ifname |= span_eq (d.pl[k].val, d.pl[k].vallen, e->old_name);
    }
  /* A profile bound only by the MAC that goes is bound by name instead. */
  for (k = 0; k < d.nr && e != NULL && !has_ifname && e->new_mac == NULL &&
         e->new_name && e->old_mac; ++k) {
    if (in_sect (&d.pl[k], "connection") && d.pl[k].key && !d.pl[k].is_sect)
      last_conn = k;
    if (nm_is_mac (&d.pl[k]) &&
        mac_eq (d.pl[k].val, nm_mac_len (&d.pl[k]), e->old_mac))
      add_ifname = 1;
  }

  for (k = 0; k < d.nr; ++k, d.n += r) {
    const struct pline *p = &d.pl[k];
    size_t mlen = nm_mac_len (p);

    if (e && nm_is_name (p) && span_eq (p->val, p->vallen, e->old_name))
      r = replace_at (&d.out, p->l, p->val, p->vallen, e->new_name);
    /* If the old MAC is unknown, a profile bound to the old name is
     * bound to that NIC's MAC too, whatever it is.  With no new MAC the
     * line goes and the profile applies by interface-name.
     */
    else if (e && nm_is_mac (p) &&
             (e->old_mac ? mac_eq (p->val, mlen, e->old_mac) : by_ifname)) {
      if (e->new_mac == NULL)
        r = 1;
      else if (mac_eq (p->val, mlen, e->new_mac))
        r = copy_line (&d.out, p->l);
      else
        r = strbuf_splice (&d.out, p->l, p->val - p->l->p, mlen,
                           e->new_mac) == -1 ? -1 : 1;
    }
    else
      r = copy_line (&d.out, p->l);
    if (r != -1 && add_ifname && k == last_conn) {
      if ((p->l->eollen == 0 && strbuf_adds (&d.out, "\n") == -1) ||
          strbuf_adds (&d.out, "interface-name=") == -1 ||
          strbuf_adds (&d.out, e->new_name) == -1 ||
          sbuf_add (&d.out, p->l->eollen ? p->l->p + p->l->len : "\n",
                    p->l->eollen ? p->l->eollen : 1) == -1)
        r = -1;
      else
        r++;
    }
    if (r == -1)
      return doc_finish (&d, 0, changes);
  }
  return doc_finish (&d, 1, changes);
}

/* systemd-networkd: one [Match] line.  Returns 1 if changed.  If the last
 * MAC of a MACAddress= line goes away and nothing else selects the
 * interface by name, the line becomes Name=NEW, because an empty [Match]
 * in a .network file matches every interface.
 */
static int
networkd_match (struct sbuf *out, const struct pline *p, int is_link,
                int *has_name, const struct nicmap *map, size_t nr_map)
{
  const struct textline *l = p->l;
  const int is_mac = key_is (p, "MACAddress") ||
    key_is (p, "PermanentMACAddress");
  const int is_name = key_is (p, "Name");
  const char *s = p->val, *end = p->val + p->vallen;
  const struct nicmap *dropped = NULL;
  struct sbuf lb = SBUF_INIT;
  int changed = 0, kept = 0, r = 0;

  if (!is_mac && !is_name)
    return copy_line (out, l);

  if (sbuf_add (&lb, l->p, s - l->p) == -1)
    goto err;
  while (s < end) {
    const char *ws = s, *tok, *repl = NULL;
    const struct nicmap *m;

    while (s < end && is_blank (*s))
      s++;
    for (tok = s; s < end && !is_blank (*s); s++)
      ;
    if (is_name) {
      m = find_name (map, nr_map, tok, s - tok, 0);
      if (m && strcmp (m->old_name, m->new_name) != 0)
        repl = m->new_name;
    }
    /* A .link [Match] cannot name the NIC by its final predictable
     * name (OriginalName= is the kernel's ethN), so with no new MAC
     * there is nothing correct to put there: leave it for the report.
     */
    else if ((m = find_mac (map, nr_map, tok, s - tok)) != NULL &&
             (m->new_mac != NULL || !is_link)) {
      if (m->new_mac == NULL) {
        dropped = m;
        changed = 1;
        continue;
      }
      if (!mac_eq (tok, s - tok, m->new_mac))
        repl = m->new_mac;
    }
    /* Keep the blanks before each token but the first one kept, so
     * dropping a MAC leaves no stray blanks after '='.
     */
    if ((kept++ > 0 && sbuf_add (&lb, ws, tok - ws) == -1) ||
        sbuf_add (&lb, repl ? repl : tok,
                    repl ? strlen (repl) : (size_t) (s - tok)) == -1)
      goto err;
    changed |= repl != NULL;
  }
  if (sbuf_add (&lb, end, l->p + l->len - end + l->eollen) == -1)
    goto err;

  if (!changed)
    r = copy_line (out, l);
  else if (kept > 0)
    r = sbuf_add (out, lb.s, lb.len);
  else if (!*has_name) {
    if (sbuf_add (out, l->p, p->key - l->p) == -1 ||
        strbuf_adds (out, "Name=") == -1 ||
        strbuf_adds (out, dropped->new_name) == -1 ||
        sbuf_add (out, l->p + l->len, l->eollen) == -1)
      r = -1;
    *has_name = 1;
  }
  free (lb.s);
  return r == -1 ? -1 : changed;

 err:
  free (lb.s);
  return -1;
}

char *
rewrite_networkd (const char *text,
                  const struct nicmap *map, size_t nr_map, int *changes)
{
  struct doc d;
  size_t k;
  int r, is_link = 0, has_name = 0;

  if (changes)
    *changes = 0;
  if (doc_parse (&d, text, parse_ini) == -1)
    return doc_finish (&d, 0, changes);

  for (k = 0; k < d.nr; ++k) {
    const struct pline *p = &d.pl[k];

    is_link |= p->is_sect && in_sect (p, "Link");
    has_name |= key_is (p, "Name") && p->vallen > 0 && in_sect (p, "Match");
  }
  for (k = 0; k < d.nr; ++k, d.n += r) {
    const struct pline *p = &d.pl[k];

    if (in_sect (p, "Match"))
      r = networkd_match (&d.out, p, is_link, &has_name, map, nr_map);
    else
      r = copy_line (&d.out, p->l);
    if (r == -1)
      return doc_finish (&d, 0, changes);
  }
  return doc_finish (&d, 1, changes);
}
