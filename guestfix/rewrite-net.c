/* ferry: rename network interfaces in guest configuration files.
 *
 * A VMware vmxnet3 or e1000 NIC called ens192 or ens160 in the source
 * becomes a virtio-net NIC with a different PCI slot, hence a different
 * predictable name (ens3 ...) and, usually, a different MAC.  Every
 * config that names the old interface or pins its MAC would leave the
 * converted guest without network, so each format is rewritten here as
 * plain text, keeping the admin's layout and comments.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdint.h>
#include <errno.h>

#include "rewrite.h"

static int
is_blank (char c)
{
  return c == ' ' || c == '\t';
}

static int
span_eq (const char *p, size_t len, const char *s)
{
  return s != NULL && strlen (s) == len && memcmp (p, s, len) == 0;
}

static int
mac_eq (const char *p, size_t len, const char *mac)
{
  return mac != NULL && strlen (mac) == len && strncasecmp (p, mac, len) == 0;
}

/* Find the map entry for an interface name.  With allow_suffix, also
 * "OLD:alias" and "OLD.vlan", which in ifupdown derive from the
 * physical device by name; "OLD0" never matches.
 */
static const struct nicmap *
find_name (const struct nicmap *map, size_t nr_map,
           const char *p, size_t len, int allow_suffix)
{
  size_t i;

  for (i = 0; i < nr_map; ++i) {
    size_t olen;

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

/* Append line 'l' with bytes [off, off+len) replaced by 'repl'. */
static int
splice (struct strbuf *out, const struct textline *l,
        size_t off, size_t len, const char *repl)
{
  if (strbuf_add (out, l->p, off) == -1 ||
      strbuf_adds (out, repl) == -1 ||
      strbuf_add (out, l->p + off + len,
                  l->len - off - len + l->eollen) == -1)
    return -1;
  return 0;
}

/* Append the line with [off, off+len) replaced by 'repl' when that makes
 * a difference.  Returns 1 if changed, 0 if copied, -1 on error.  Map
 * entries with new_name == old_name thus never count as changes.
 */
static int
replace_span (struct strbuf *out, const struct textline *l,
              size_t off, size_t len, const char *repl)
{
  if (span_eq (l->p + off, len, repl))
    return strbuf_addline (out, l) == -1 ? -1 : 0;
  return splice (out, l, off, len, repl) == -1 ? -1 : 1;
}

static char *
finish (struct strbuf *out, struct textline *lines, int n, int *changes)
{
  free (lines);
  if (changes)
    *changes = n;
  return strbuf_finish (out);
}

static char *
fail (struct strbuf *out, struct textline *lines)
{
  free (lines);
  free (out->ptr);
  errno = ENOMEM;
  return NULL;
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
is_auto_stanza (const char *w, size_t len)
{
  return span_eq (w, len, "auto") ||
    (len > 6 && strncmp (w, "allow-", 6) == 0);
}

/* Stanzas whose every argument is an interface name. */
static int
is_iface_list_stanza (const char *w, size_t len)
{
  return is_auto_stanza (w, len) ||
    span_eq (w, len, "mapping") ||
    span_eq (w, len, "no-auto-down") ||
    span_eq (w, len, "no-scripts");
}

/* Options inside an iface stanza that name other interfaces, or run
 * commands that usually do ("post-up ip route add ... dev ens192").
 * Renaming whole words there is safe: the old name no longer exists on
 * the target, so such a word can only be a dangling reference.
 */
static int
is_iface_ref_option (const char *w, size_t len)
{
  static const char *const opts[] = {
    "bridge_ports", "bridge-ports", "bond-slaves", "bond_slaves",
    "bond-primary", "bond_primary", "vlan-raw-device", "vlan_raw_device",
    "up", "down", "pre-up", "post-up", "pre-down", "post-down", NULL
  };
  size_t i;

  for (i = 0; opts[i]; ++i)
    if (span_eq (w, len, opts[i]))
      return 1;
  return 0;
}

/* Append the line renaming words number first..last (0 based). */
static int
rename_words (struct strbuf *out, const struct textline *l,
              size_t first, size_t last,
              const struct nicmap *map, size_t nr_map, int allow_suffix)
{
  size_t i = 0, copied = 0, w, start, len;
  int changed = 0;

  for (w = 0; next_word (l, &i, &start, &len); ++w) {
    const struct nicmap *e;
    size_t olen;

    if (w < first || w > last)
      continue;
    e = find_name (map, nr_map, &l->p[start], len, allow_suffix);
    if (e == NULL || strcmp (e->old_name, e->new_name) == 0)
      continue;
    olen = strlen (e->old_name);
    if (strbuf_add (out, &l->p[copied], start - copied) == -1 ||
        strbuf_adds (out, e->new_name) == -1)
      return -1;
    copied = start + olen;      /* keeps any ":alias" / ".vlan" suffix */
    changed = 1;
  }
  if (strbuf_add (out, &l->p[copied], l->len - copied + l->eollen) == -1)
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
  struct textline *lines;
  size_t nr, k, n = 0, cap = 8;
  char **v;

  *names = NULL;
  v = calloc (cap, sizeof *v);
  if (v == NULL)
    return -1;
  if (split_lines (text, &lines, &nr) == -1) {
    free (v);
    return -1;
  }

  for (k = 0; k < nr; ++k) {
    const struct textline *l = &lines[k];
    size_t i = 0, start, len, w0, w0len, w;

    if (!next_word (l, &i, &w0, &w0len) || l->p[w0] == '#')
      continue;
    if (is_auto_stanza (&l->p[w0], w0len)) {
      while (next_word (l, &i, &start, &len))
        if (!span_eq (&l->p[start], len, "lo") &&
            add_name (&v, &n, &cap, &l->p[start], len) == -1)
          goto err;
    }
    else if (span_eq (&l->p[w0], w0len, "iface")) {
      for (w = 1; next_word (l, &i, &start, &len); ++w) {
        if (w == 1 && !span_eq (&l->p[start], len, "lo") &&
            add_name (&v, &n, &cap, &l->p[start], len) == -1)
          goto err;
      }
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
ifupdown_line (struct strbuf *out, const struct textline *l,
               const struct nicmap *map, size_t nr_map)
{
  size_t i = 0, w0, w0len, start, len;

  if (!next_word (l, &i, &w0, &w0len) || l->p[w0] == '#')
    return strbuf_addline (out, l) == -1 ? -1 : 0;

  if (is_iface_list_stanza (&l->p[w0], w0len) ||
      is_iface_ref_option (&l->p[w0], w0len))
    return rename_words (out, l, 1, SIZE_MAX, map, nr_map, 1);
  if (span_eq (&l->p[w0], w0len, "iface"))
    return rename_words (out, l, 1, 1, map, nr_map, 1);

  /* "hwaddress [ether] MAC" would force the old MAC onto the new NIC. */
  if (span_eq (&l->p[w0], w0len, "hwaddress")) {
    while (next_word (l, &i, &start, &len))
      if (find_mac (map, nr_map, &l->p[start], len))
        return 1;
  }
  return strbuf_addline (out, l) == -1 ? -1 : 0;
}

char *
rewrite_ifupdown (const char *text,
                  const struct nicmap *map, size_t nr_map, int *changes)
{
  struct strbuf out = STRBUF_INIT;
  struct textline *lines;
  size_t nr, k;
  int n = 0;

  if (changes)
    *changes = 0;
  if (split_lines (text, &lines, &nr) == -1)
    return NULL;
  for (k = 0; k < nr; ++k) {
    int r = ifupdown_line (&out, &lines[k], map, nr_map);
    if (r == -1)
      return fail (&out, lines);
    n += r;
  }
  return finish (&out, lines, n, changes);
}

/*----------------------------------------------------------------------
 * netplan YAML
 *
 * Netplan files written by installers and admins use block style with
 * one "key: value" per line, so a line classifier plus indentation
 * tracking is enough.  Flow style mappings ("ethernets: {...}") are left
 * as they are.
 */

struct yline {
  size_t indent;                /* leading spaces */
  int content;                  /* not blank and not only a comment */
  int dash;                     /* a "- " sequence entry */
  int block;                    /* "key:" with nothing after it */
  size_t key, keylen;           /* keylen == 0: no key */
  size_t val, vallen;           /* scalar value, inside any quotes */
  size_t flow;                  /* offset of '[' of a flow sequence */
  int has_flow;
};

/* Parse a plain or quoted scalar starting at i. */
static void
yaml_scalar (const struct textline *l, size_t i, struct yline *y)
{
  const char *p = l->p;
  size_t n = l->len;

  if (i < n && (p[i] == '"' || p[i] == '\'')) {
    const char *q = memchr (&p[i + 1], p[i], n - i - 1);
    if (q != NULL) {
      y->val = i + 1;
      y->vallen = q - &p[i + 1];
    }
    return;
  }
  y->val = i;
  while (i < n && !is_blank (p[i]))
    i++;
  y->vallen = i - y->val;
}

static void
parse_yaml_line (const struct textline *l, struct yline *y)
{
  const char *p = l->p;
  size_t n = l->len, i = 0, j, after;

  memset (y, 0, sizeof *y);
  while (i < n && p[i] == ' ')
    i++;
  y->indent = i;
  while (i < n && is_blank (p[i]))
    i++;
  if (i == n || p[i] == '#')
    return;
  y->content = 1;

  if (p[i] == '-' && (i + 1 == n || is_blank (p[i + 1]))) {
    y->dash = 1;
    i++;
    while (i < n && is_blank (p[i]))
      i++;
    if (i == n || p[i] == '#')
      return;
  }

  /* Is there a key?  Quoted keys do occur ("ens160": ...).  */
  if (p[i] == '"' || p[i] == '\'') {
    const char *q = memchr (&p[i + 1], p[i], n - i - 1);
    if (q == NULL)
      return;
    j = q - p + 1;
    if (j < n && p[j] == ':' && (j + 1 == n || is_blank (p[j + 1]))) {
      y->key = i + 1;
      y->keylen = j - i - 2;
      after = j + 1;
    }
    else {
      yaml_scalar (l, i, y);
      return;
    }
  }
  else {
    for (j = i; j < n; ++j) {
      if (p[j] == ':' && (j + 1 == n || is_blank (p[j + 1])))
        break;
      if (p[j] == '#' && is_blank (p[j - 1]))
        j = n - 1;
    }
    if (j >= n) {
      yaml_scalar (l, i, y);
      return;
    }
    y->key = i;
    y->keylen = j - i;
    after = j + 1;
  }

  while (after < n && is_blank (p[after]))
    after++;
  if (after == n || p[after] == '#')
    y->block = 1;
  else if (p[after] == '[') {
    y->has_flow = 1;
    y->flow = after;
  }
  else if (p[after] != '{')
    yaml_scalar (l, after, y);
}

static int
ykey_is (const struct textline *l, const struct yline *y, const char *key)
{
  return y->keylen > 0 && span_eq (&l->p[y->key], y->keylen, key);
}

/* Rename exact names in a one-line flow sequence "[ens160, "ens192"]". */
static int
netplan_flow (struct strbuf *out, const struct textline *l, size_t i,
              const struct nicmap *map, size_t nr_map)
{
  const char *p = l->p;
  size_t copied = 0;
  int changed = 0;

  for (i++; i < l->len && p[i] != ']';) {
    size_t s, e;
    const struct nicmap *m;

    while (i < l->len && (is_blank (p[i]) || p[i] == ','))
      i++;
    s = i;
    while (i < l->len && p[i] != ',' && p[i] != ']')
      i++;
    e = i;
    while (e > s && is_blank (p[e - 1]))
      e--;
    if (e - s >= 2 && (p[s] == '"' || p[s] == '\'') && p[e - 1] == p[s])
      s++, e--;
    m = find_name (map, nr_map, &p[s], e - s, 0);
    if (m == NULL || strcmp (m->old_name, m->new_name) == 0)
      continue;
    if (strbuf_add (out, &p[copied], s - copied) == -1 ||
        strbuf_adds (out, m->new_name) == -1)
      return -1;
    copied = e;
    changed = 1;
  }
  if (strbuf_add (out, &p[copied], l->len - copied + l->eollen) == -1)
    return -1;
  return changed;
}

/* Replace a scalar value naming an old interface by the new name. */
static int
netplan_rename_value (struct strbuf *out, const struct textline *l,
                      const struct yline *y,
                      const struct nicmap *map, size_t nr_map)
{
  const struct nicmap *m = NULL;

  if (y->vallen > 0)
    m = find_name (map, nr_map, &l->p[y->val], y->vallen, 0);
  if (m == NULL)
    return strbuf_addline (out, l) == -1 ? -1 : 0;
  return replace_span (out, l, y->val, y->vallen, m->new_name);
}

/* One interface under "ethernets:", lines [first, end).  Which NIC it is
 * may only be known from a match: block or set-name: further down, so
 * look at the whole block before emitting anything.
 */
static int
netplan_ethernet (struct strbuf *out, const struct textline *lines,
                  const struct yline *ys, size_t first, size_t end,
                  const struct nicmap *map, size_t nr_map)
{
  const struct textline *kl = &lines[first];
  const struct yline *ky = &ys[first];
  size_t match = SIZE_MAX, match_last = 0, mac = SIZE_MAX;
  size_t mname = SIZE_MAX, setname = SIZE_MAX, x;
  const struct nicmap *e = NULL;
  int in_match = 0, drop, n = 0, r;

  for (x = first + 1; x < end; ++x) {
    const struct yline *y = &ys[x];

    if (!y->content)
      continue;
    if (in_match && y->indent > ys[match].indent) {
      match_last = x;
      if (ykey_is (&lines[x], y, "macaddress") && y->vallen)
        mac = x;
      else if (ykey_is (&lines[x], y, "name") && y->vallen)
        mname = x;
      continue;
    }
    in_match = 0;
    if (match == SIZE_MAX && ykey_is (&lines[x], y, "match") && y->block) {
      match = match_last = x;
      in_match = 1;
    }
    else if (setname == SIZE_MAX && ykey_is (&lines[x], y, "set-name") &&
             y->vallen)
      setname = x;
  }

  /* The MAC is the most reliable identity, then the names. */
  if (mac != SIZE_MAX)
    e = find_mac (map, nr_map, &lines[mac].p[ys[mac].val], ys[mac].vallen);
  if (e == NULL && setname != SIZE_MAX)
    e = find_name (map, nr_map, &lines[setname].p[ys[setname].val],
                   ys[setname].vallen, 0);
  if (e == NULL && mname != SIZE_MAX)
    e = find_name (map, nr_map, &lines[mname].p[ys[mname].val],
                   ys[mname].vallen, 0);
  if (e == NULL)
    e = find_name (map, nr_map, &kl->p[ky->key], ky->keylen, 0);
  if (e == NULL) {
    for (x = first; x < end; ++x)
      if (strbuf_addline (out, &lines[x]) == -1)
        return -1;
    return 0;
  }

  /* Without a new MAC to match on, fall back to matching by the key,
   * which is the interface name when there is no match: block.
   */
  drop = e->new_mac == NULL && match != SIZE_MAX;

  if (drop || span_eq (&kl->p[ky->key], ky->keylen, e->old_name))
    r = replace_span (out, kl, ky->key, ky->keylen, e->new_name);
  else
    r = strbuf_addline (out, kl);
  if (r == -1)
    return -1;
  n += r;

  for (x = first + 1; x < end; ++x) {
    const struct textline *l = &lines[x];
    const struct yline *y = &ys[x];

    if (match != SIZE_MAX && x >= match && x <= match_last) {
      if (drop) {
        n++;
        continue;
      }
      if (x == mac && e->new_mac &&
          (e->old_mac == NULL ||
           mac_eq (&l->p[y->val], y->vallen, e->old_mac)) &&
          !mac_eq (&l->p[y->val], y->vallen, e->new_mac))
        r = splice (out, l, y->val, y->vallen, e->new_mac) == -1 ? -1 : 1;
      else if (x == mname &&
               span_eq (&l->p[y->val], y->vallen, e->old_name))
        r = replace_span (out, l, y->val, y->vallen, e->new_name);
      else
        r = strbuf_addline (out, l);
    }
    else if (x == setname) {
      if (drop) {
        n++;
        continue;
      }
      if (span_eq (&l->p[y->val], y->vallen, e->old_name))
        r = replace_span (out, l, y->val, y->vallen, e->new_name);
      else
        r = strbuf_addline (out, l);
    }
    else
      r = strbuf_addline (out, l);
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
  struct strbuf out = STRBUF_INIT;
  struct textline *lines;
  struct yline *ys;
  size_t nr, i, sect_indent = 0, child_indent = SIZE_MAX;
  size_t list_indent = SIZE_MAX;
  int n = 0, r;

  if (changes)
    *changes = 0;
  if (split_lines (text, &lines, &nr) == -1)
    return NULL;
  ys = malloc ((nr + 1) * sizeof *ys);
  if (ys == NULL)
    return fail (&out, lines);
  for (i = 0; i < nr; ++i)
    parse_yaml_line (&lines[i], &ys[i]);

  for (i = 0; i < nr;) {
    const struct textline *l = &lines[i];
    const struct yline *y = &ys[i];

    if (!y->content) {
      r = strbuf_addline (&out, l);
      goto next;
    }
    if (sect != S_NONE && y->indent <= sect_indent)
      sect = S_NONE;

    if (sect == S_NONE) {
      if (!y->dash && y->block && ykey_is (l, y, "ethernets")) {
        sect = S_ETHERNETS;
        sect_indent = y->indent;
        child_indent = SIZE_MAX;
      }
      else if (!y->dash && y->block &&
               (ykey_is (l, y, "bonds") || ykey_is (l, y, "bridges") ||
                ykey_is (l, y, "vlans"))) {
        sect = S_VIRTUAL;
        sect_indent = y->indent;
        list_indent = SIZE_MAX;
      }
      r = strbuf_addline (&out, l);
    }
    else if (sect == S_ETHERNETS) {
      if (child_indent == SIZE_MAX)
        child_indent = y->indent;
      if (y->indent == child_indent && y->keylen > 0 && !y->dash) {
        size_t end = i + 1;

        while (end < nr && !(ys[end].content &&
                             ys[end].indent <= child_indent))
          end++;
        r = netplan_ethernet (&out, lines, ys, i, end, map, nr_map);
        if (r == -1)
          goto err;
        n += r;
        i = end;
        continue;
      }
      r = strbuf_addline (&out, l);
    }
    else {
      /* bonds, bridges, vlans: only references to ethernets change; the
       * virtual interfaces' own names ("ens160.10") stay valid whatever
       * their link is called.
       */
      if (y->dash && list_indent != SIZE_MAX && y->indent >= list_indent &&
          y->keylen == 0)
        r = netplan_rename_value (&out, l, y, map, nr_map);
      else {
        list_indent = SIZE_MAX;
        if (ykey_is (l, y, "interfaces") && y->has_flow)
          r = netplan_flow (&out, l, y->flow, map, nr_map);
        else if (ykey_is (l, y, "interfaces") && y->block) {
          list_indent = y->indent;
          r = strbuf_addline (&out, l);
        }
        else if (ykey_is (l, y, "link") || ykey_is (l, y, "primary"))
          r = netplan_rename_value (&out, l, y, map, nr_map);
        else
          r = strbuf_addline (&out, l);
      }
    }

  next:
    if (r == -1)
      goto err;
    n += r;
    i++;
  }
  free (ys);
  return finish (&out, lines, n, changes);

 err:
  free (ys);
  return fail (&out, lines);
}

/*----------------------------------------------------------------------
 * INI style files: NetworkManager keyfiles and systemd-networkd units.
 */

struct iline {
  int is_sect;                  /* a "[Section]" header */
  size_t sect, sectlen;         /* its name, if is_sect */
  size_t hdr;                   /* index of the line's section header,
                                 * SIZE_MAX before any */
  size_t key, keylen;           /* keylen == 0: not a key=value line */
  size_t val, vallen;           /* trimmed value */
};

static void
parse_ini_line (const struct textline *l, struct iline *il)
{
  const char *p = l->p;
  size_t n = l->len, i = 0, j;

  memset (il, 0, sizeof *il);
  while (i < n && is_blank (p[i]))
    i++;
  if (i == n || p[i] == '#' || p[i] == ';')
    return;
  if (p[i] == '[') {
    const char *q = memchr (&p[i], ']', n - i);
    if (q != NULL) {
      il->is_sect = 1;
      il->sect = i + 1;
      il->sectlen = q - &p[i + 1];
    }
    return;
  }
  for (j = i; j < n && p[j] != '='; ++j)
    ;
  if (j == n)
    return;
  il->key = i;
  il->keylen = j - i;
  while (il->keylen > 0 && is_blank (p[i + il->keylen - 1]))
    il->keylen--;
  j++;
  while (j < n && is_blank (p[j]))
    j++;
  il->val = j;
  il->vallen = n - j;
  while (il->vallen > 0 && is_blank (p[j + il->vallen - 1]))
    il->vallen--;
}

static struct iline *
parse_ini (const struct textline *lines, size_t nr)
{
  struct iline *il = malloc ((nr + 1) * sizeof *il);
  size_t k, hdr = SIZE_MAX;

  if (il == NULL)
    return NULL;
  for (k = 0; k < nr; ++k) {
    parse_ini_line (&lines[k], &il[k]);
    if (il[k].is_sect)
      hdr = k;
    il[k].hdr = hdr;
  }
  return il;
}

/* Is line k in (or the header of) section 'name'?  */
static int
in_section (const struct textline *lines, const struct iline *il, size_t k,
            const char *name)
{
  size_t h = il[k].hdr;

  return h != SIZE_MAX &&
    span_eq (&lines[h].p[il[h].sect], il[h].sectlen, name);
}

static int
ikey_is (const struct textline *l, const struct iline *il, const char *key)
{
  return il->keylen > 0 && span_eq (&l->p[il->key], il->keylen, key);
}

static int
nm_is_ethernet (const struct textline *lines, const struct iline *il,
                size_t k)
{
  return in_section (lines, il, k, "ethernet") ||
    in_section (lines, il, k, "802-3-ethernet");
}

/* Old keyfiles may end a MAC with ';' (list syntax); compare without. */
static size_t
nm_mac_len (const struct textline *l, const struct iline *il)
{
  size_t len = il->vallen;

  if (len > 0 && l->p[il->val + len - 1] == ';')
    len--;
  return len;
}

char *
rewrite_nm_keyfile (const char *text,
                    const struct nicmap *map, size_t nr_map, int *changes)
{
  struct strbuf out = STRBUF_INIT;
  struct textline *lines;
  struct iline *il;
  const struct nicmap *e = NULL;
  size_t nr, k;
  int n = 0, by_ifname = 0, r;

  if (changes)
    *changes = 0;
  if (split_lines (text, &lines, &nr) == -1)
    return NULL;
  il = parse_ini (lines, nr);
  if (il == NULL)
    return fail (&out, lines);

  /* One keyfile is one connection, so settle which NIC it is first. */
  for (k = 0; k < nr && e == NULL; ++k)
    if (ikey_is (&lines[k], &il[k], "mac-address") &&
        nm_is_ethernet (lines, il, k))
      e = find_mac (map, nr_map, &lines[k].p[il[k].val],
                    nm_mac_len (&lines[k], &il[k]));
  for (k = 0; k < nr && e == NULL; ++k)
    if (ikey_is (&lines[k], &il[k], "interface-name") &&
        in_section (lines, il, k, "connection")) {
      e = find_name (map, nr_map, &lines[k].p[il[k].val], il[k].vallen, 0);
      by_ifname = e != NULL;
    }
  for (k = 0; k < nr && e == NULL; ++k)
    if ((ikey_is (&lines[k], &il[k], "parent") &&
         in_section (lines, il, k, "vlan")) ||
        (ikey_is (&lines[k], &il[k], "id") &&
         in_section (lines, il, k, "connection")))
      e = find_name (map, nr_map, &lines[k].p[il[k].val], il[k].vallen, 0);

  for (k = 0; k < nr; ++k) {
    const struct textline *l = &lines[k];
    const struct iline *i = &il[k];

    if (e != NULL &&
        ((in_section (lines, il, k, "connection") &&
          (ikey_is (l, i, "interface-name") || ikey_is (l, i, "id"))) ||
         (in_section (lines, il, k, "vlan") && ikey_is (l, i, "parent"))) &&
        span_eq (&l->p[i->val], i->vallen, e->old_name))
      r = replace_span (&out, l, i->val, i->vallen, e->new_name);
    else if (e != NULL && ikey_is (l, i, "mac-address") &&
             nm_is_ethernet (lines, il, k) &&
             (e->old_mac
              ? mac_eq (&l->p[i->val], nm_mac_len (l, i), e->old_mac)
              : by_ifname)) {
      /* Without a MAC to bind to, the profile applies by interface-name
       * (or to any ethernet device), which is what we want.
       */
      if (e->new_mac == NULL)
        r = 1;
      else if (mac_eq (&l->p[i->val], nm_mac_len (l, i), e->new_mac))
        r = strbuf_addline (&out, l);
      else
        r = splice (&out, l, i->val, nm_mac_len (l, i), e->new_mac) == -1
          ? -1 : 1;
    }
    else
      r = strbuf_addline (&out, l);
    if (r == -1) {
      free (il);
      return fail (&out, lines);
    }
    n += r;
  }
  free (il);
  return finish (&out, lines, n, changes);
}

/* systemd-networkd: one [Match] line.  Appends the result and returns
 * the number of changes.  'has_name' says whether [Match] still selects
 * by name after this line; if the last MAC of a MACAddress= line goes
 * away and nothing else selects the interface, the line becomes a name
 * match instead, because an empty [Match] matches every interface.
 */
static int
networkd_match_line (struct strbuf *out, const struct textline *l,
                     const struct iline *il, int is_link, int *has_name,
                     const struct nicmap *map, size_t nr_map)
{
  const int is_mac = ikey_is (l, il, "MACAddress") ||
    ikey_is (l, il, "PermanentMACAddress");
  const int is_name = ikey_is (l, il, "Name");
  struct strbuf lb = STRBUF_INIT;
  const struct nicmap *dropped = NULL;
  size_t i = il->val, end = il->val + il->vallen;
  int changed = 0, kept = 0, r;

  if (!is_mac && !is_name)
    return strbuf_addline (out, l) == -1 ? -1 : 0;

  if (strbuf_add (&lb, l->p, il->val) == -1)
    goto err;
  while (i < end) {
    size_t ws = i, s, len;
    const char *repl = NULL;
    const struct nicmap *m;

    while (i < end && is_blank (l->p[i]))
      i++;
    s = i;
    while (i < end && !is_blank (l->p[i]))
      i++;
    len = i - s;

    if (is_name) {
      m = find_name (map, nr_map, &l->p[s], len, 0);
      if (m && strcmp (m->old_name, m->new_name) != 0)
        repl = m->new_name;
    }
    /* A .link [Match] cannot name the NIC by its final predictable
     * name (OriginalName= is the kernel's ethN), so with no new MAC
     * there is nothing correct to put there: leave it for the report.
     */
    else if ((m = find_mac (map, nr_map, &l->p[s], len)) != NULL &&
             (m->new_mac != NULL || !is_link)) {
      if (m->new_mac == NULL) {
        dropped = m;
        changed = 1;
        continue;
      }
      if (!mac_eq (&l->p[s], len, m->new_mac))
        repl = m->new_mac;
    }
    /* Keep the blanks before this token, except before the first one
     * kept, so dropping a MAC does not leave stray spaces after '='.
     */
    if (kept > 0 && strbuf_add (&lb, &l->p[ws], s - ws) == -1)
      goto err;
    if (strbuf_add (&lb, repl ? repl : &l->p[s],
                    repl ? strlen (repl) : len) == -1)
      goto err;
    if (repl)
      changed = 1;
    kept++;
  }
  if (strbuf_add (&lb, &l->p[end], l->len - end + l->eollen) == -1)
    goto err;

  if (!changed)
    r = strbuf_addline (out, l);
  else if (kept > 0)
    r = strbuf_add (out, lb.ptr, lb.len);
  else if (!*has_name) {
    size_t ind = 0;

    while (ind < l->len && is_blank (l->p[ind]))
      ind++;
    r = strbuf_add (out, l->p, ind);
    if (r == 0)
      r = strbuf_adds (out, "Name=");
    if (r == 0)
      r = strbuf_adds (out, dropped->new_name);
    if (r == 0)
      r = strbuf_add (out, l->p + l->len, l->eollen);
    *has_name = 1;
  }
  else
    r = 0;                      /* line dropped */
  free (lb.ptr);
  return r == -1 ? -1 : changed;

 err:
  free (lb.ptr);
  return -1;
}

char *
rewrite_networkd (const char *text,
                  const struct nicmap *map, size_t nr_map, int *changes)
{
  struct strbuf out = STRBUF_INIT;
  struct textline *lines;
  struct iline *il;
  size_t nr, k;
  int n = 0, r, is_link = 0, has_name = 0;

  if (changes)
    *changes = 0;
  if (split_lines (text, &lines, &nr) == -1)
    return NULL;
  il = parse_ini (lines, nr);
  if (il == NULL)
    return fail (&out, lines);

  for (k = 0; k < nr; ++k) {
    if (il[k].is_sect && span_eq (&lines[k].p[il[k].sect], il[k].sectlen,
                                  "Link"))
      is_link = 1;
    if (ikey_is (&lines[k], &il[k], "Name") &&
        il[k].vallen > 0 && in_section (lines, il, k, "Match"))
      has_name = 1;
  }

  for (k = 0; k < nr; ++k) {
    if (in_section (lines, il, k, "Match") && !il[k].is_sect)
      r = networkd_match_line (&out, &lines[k], &il[k], is_link, &has_name,
                               map, nr_map);
    else
      r = strbuf_addline (&out, &lines[k]);
    if (r == -1) {
      free (il);
      return fail (&out, lines);
    }
    n += r;
  }
  free (il);
  return finish (&out, lines, n, changes);
}

/*----------------------------------------------------------------------
 * udev 70-persistent-net.rules
 */

static int
span_find (const char *p, size_t len, const char *needle)
{
  size_t nl = strlen (needle), i;

  for (i = 0; i + nl <= len; ++i)
    if (memcmp (&p[i], needle, nl) == 0)
      return (int) i;
  return -1;
}

/* Does the line assign NAME (NAME="x", NAME:="x"), as opposed to
 * matching on it (NAME=="x")?
 */
static int
assigns_name (const char *p, size_t len)
{
  size_t i;

  for (i = 0; i + 4 < len; ++i) {
    size_t j = i + 4;

    if (memcmp (&p[i], "NAME", 4) != 0 ||
        (i > 0 && !is_blank (p[i - 1]) && p[i - 1] != ','))
      continue;
    while (j < len && is_blank (p[j]))
      j++;
    if (j < len && p[j] == ':')
      j++;
    if (j < len && p[j] == '=' && (j + 1 == len || p[j + 1] != '='))
      return 1;
  }
  return 0;
}

char *
rewrite_persistent_net_rules (const char *text, int *changes)
{
  struct strbuf out = STRBUF_INIT;
  struct textline *lines;
  size_t nr, k, j;
  int n = 0;

  if (changes)
    *changes = 0;
  if (split_lines (text, &lines, &nr) == -1)
    return NULL;

  for (k = 0; k < nr; k = j) {
    int has_addr = 0, has_name = 0, comment;
    size_t i = 0;

    /* A rule may continue over several lines ending in '\'. */
    for (j = k; j < nr; ) {
      const struct textline *l = &lines[j++];
      size_t e = l->len;

      while (e > 0 && is_blank (l->p[e - 1]))
        e--;
      if (e == 0 || l->p[e - 1] != '\\')
        break;
    }
    while (i < lines[k].len && is_blank (lines[k].p[i]))
      i++;
    comment = i == lines[k].len || lines[k].p[i] == '#';

    for (i = k; i < j && !comment; ++i) {
      if (span_find (lines[i].p, lines[i].len, "ATTR{address}==") >= 0)
        has_addr = 1;
      if (assigns_name (lines[i].p, lines[i].len))
        has_name = 1;
    }
    if (has_addr && has_name) {
      n += j - k;
      continue;
    }
    for (i = k; i < j; ++i)
      if (strbuf_addline (&out, &lines[i]) == -1)
        return fail (&out, lines);
  }
  return finish (&out, lines, n, changes);
}
