/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: static IPv4 configuration for NetworkManager keyfiles,
 * systemd-networkd, ifupdown and netplan (the RHEL and SUSE ifcfg
 * writers are in rewrite-ifcfg.c, with the struct textout helpers
 * these use).
 *
 * Pure text transforms (see rewrite.h).  Each writer removes the lines
 * it replaces and inserts its block of new lines where the first of
 * them was, so that a second run finds its own block and writes it
 * again in the same place.
 */

#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <errno.h>

#include "rewrite.h"

static int
mem_is (const char *p, size_t len, const char *s)
{
  return strlen (s) == len && memcmp (p, s, len) == 0;
}

/* key is base followed by digits (address1). */
static int
key_num (const char *key, size_t len, const char *base)
{
  size_t b = strlen (base), i;

  if (len < b || memcmp (key, base, b) != 0)
    return 0;
  for (i = b; i < len; ++i)
    if (!isdigit ((unsigned char) key[i]))
      return 0;
  return 1;
}

/* ---------------------------------------------------------------- */
/* Static writers: INI style files (NetworkManager, systemd-networkd). */

/* Is this line a section header?  Sets the name. */
static int
ini_section (const struct textline *l, const char **name, size_t *len)
{
  size_t i = 0, e;

  while (i < l->len && is_blank (l->p[i]))
    i++;
  if (i == l->len || l->p[i] != '[')
    return 0;
  for (e = i + 1; e < l->len && l->p[e] != ']'; ++e)
    ;
  if (e == l->len)
    return 0;
  *name = l->p + i + 1;
  *len = e - i - 1;
  return 1;
}

/* The key of a "key=value" line (blanks trimmed), value offset after '='. */
static int
ini_key (const struct textline *l, const char **key, size_t *klen,
         size_t *val)
{
  size_t i = 0, e;
  const char *eq;

  while (i < l->len && is_blank (l->p[i]))
    i++;
  if (i == l->len || l->p[i] == '#' || l->p[i] == ';')
    return 0;
  eq = memchr (l->p + i, '=', l->len - i);
  if (eq == NULL)
    return 0;
  e = eq - l->p;
  *val = e + 1;
  while (e > i && is_blank (l->p[e - 1]))
    e--;
  *key = l->p + i;
  *klen = e - i;
  return 1;
}

static int
is_comment_or_blank (const struct textline *l)
{
  size_t i = 0;

  while (i < l->len && is_blank (l->p[i]))
    i++;
  return i == l->len || l->p[i] == '#' || l->p[i] == ';';
}

struct ini {
  const char *section;
  int (*drop) (const char *key, size_t len);
  /* returns the new value for a key kept in place, or NULL */
  const char *(*edit) (const char *key, size_t klen,
                       const char *val, size_t vlen);
  int (*block) (struct textout *o, const struct static_ip *ip);
  int at_end;                   /* insert at the section's end, not start */
};

static char *
static_ini (const char *text, const struct static_ip *ip,
            const struct ini *ini, int *changes)
{
  struct textout o;
  struct textline *lines;
  const char *name, *key;
  size_t nr, i, len, klen, val, ins, last = 0;
  int in = 0, found = 0, done = 0;

  if (changes)
    *changes = 0;
  if (split_lines (text, &lines, &nr) == -1)
    return NULL;
  textout_init (&o, lines, nr);

  /* Where the block goes: the first line it replaces in the first
   * such section, else the section's start or end.
   */
  ins = nr;
  for (i = 0; i < nr && ins == nr; ++i) {
    if (ini_section (&lines[i], &name, &len)) {
      if (found && in)
        break;
      in = mem_is (name, len, ini->section);
      if (in && !found)
        found = 1, last = i;
      continue;
    }
    if (!in)
      continue;
    if (ini_key (&lines[i], &key, &klen, &val) && ini->drop (key, klen))
      ins = i;
    else if (!is_comment_or_blank (&lines[i]))
      last = i;
  }
  if (found && ins == nr) {
    if (ini->at_end)
      ins = last + 1;
    else {
      /* right after the header */
      for (ins = 0; ins < nr; ++ins)
        if (ini_section (&lines[ins], &name, &len) &&
            mem_is (name, len, ini->section))
          break;
      ins++;
    }
  }

  in = 0;
  for (i = 0; i < nr; ++i) {
    const struct textline *l = &lines[i];
    const char *v = NULL;

    if (found && !done && i == ins) {
      if (ini->block (&o, ip) == -1)
        goto err;
      done = 1;
    }
    if (ini_section (l, &name, &len))
      in = mem_is (name, len, ini->section);
    else if (in && ini_key (l, &key, &klen, &val)) {
      size_t vs = val, ve = l->len;

      if (ini->drop (key, klen))
        continue;
      while (vs < ve && is_blank (l->p[vs]))
        vs++;
      while (ve > vs && is_blank (l->p[ve - 1]))
        ve--;
      if (ini->edit)
        v = ini->edit (key, klen, l->p + vs, ve - vs);
      if (v) {
        if (textout_splice (&o, l, vs, ve - vs, v) == -1)
          goto err;
        continue;
      }
    }
    if (textout_line (&o, l) == -1)
      goto err;
  }
  if (found && !done && ini->block (&o, ip) == -1)
    goto err;
  if (!found) {
    if (nr > 0 && lines[nr - 1].len > 0 &&
        textout_new (&o, "%s", "") == -1)
      goto err;
    if (textout_new (&o, "[%s]", ini->section) == -1 || ini->block (&o, ip) == -1)
      goto err;
  }
  free (lines);
  return textout_finish (&o, text, changes);

 err:
  return textout_fail (&o, lines);
}

static int
drop_nm (const char *key, size_t len)
{
  return mem_is (key, len, "method") || mem_is (key, len, "gateway") ||
    mem_is (key, len, "dns") || key_num (key, len, "address") ||
    key_num (key, len, "addresses");
}

static int
block_nm (struct textout *o, const struct static_ip *ip)
{
  struct sbuf dns = SBUF_INIT;
  size_t i;
  int r = -1;

  if (textout_new (o, "method=manual") == -1 ||
      textout_new (o, "address1=%s/%u%s%s", ip->addr, ip->prefix,
               ip->gw && *ip->gw ? "," : "", ip->gw ? ip->gw : "") == -1)
    return -1;
  for (i = 0; ip->dns && ip->dns[i]; ++i)
    if (strchr (ip->dns[i], ':') == NULL &&
        (strbuf_adds (&dns, ip->dns[i]) == -1 || strbuf_adds (&dns, ";") == -1))
      goto out;
  if (dns.len > 0 && textout_new (o, "dns=%s", dns.s) == -1)
    goto out;
  r = 0;
 out:
  sbuf_free (&dns);
  return r;
}

char *
static_nm_keyfile (const char *text, const struct static_ip *ip, int *changes)
{
  static const struct ini ini = { "ipv4", drop_nm, NULL, block_nm, 0 };

  return static_ini (text, ip, &ini, changes);
}

static int
drop_networkd (const char *key, size_t len)
{
  return mem_is (key, len, "Address") || mem_is (key, len, "Gateway") ||
    mem_is (key, len, "DNS");
}

static const char *
edit_networkd (const char *key, size_t klen, const char *val, size_t vlen)
{
  static const char *const on[] = { "yes", "true", "ipv4", "on", "1", NULL };
  size_t i;

  if (!mem_is (key, klen, "DHCP"))
    return NULL;
  for (i = 0; on[i]; ++i)
    if (mem_is (val, vlen, on[i]))
      return "no";
  return NULL;
}

static int
block_networkd (struct textout *o, const struct static_ip *ip)
{
  size_t i;

  if (textout_new (o, "Address=%s/%u", ip->addr, ip->prefix) == -1 ||
      (ip->gw && *ip->gw && textout_new (o, "Gateway=%s", ip->gw) == -1))
    return -1;
  for (i = 0; ip->dns && ip->dns[i]; ++i)
    if (textout_new (o, "DNS=%s", ip->dns[i]) == -1)
      return -1;
  return 0;
}

char *
static_networkd (const char *text, const struct static_ip *ip, int *changes)
{
  static const struct ini ini = {
    "Network", drop_networkd, edit_networkd, block_networkd, 1
  };

  return static_ini (text, ip, &ini, changes);
}

/* ---------------------------------------------------------------- */
/* Static writers: ifupdown and netplan. */

/* The n-th word (0-based) of a line: offset and length; 0 if none. */
static int
word (const struct textline *l, int n, size_t *off, size_t *len)
{
  size_t i = 0;

  for (;;) {
    while (i < l->len && is_blank (l->p[i]))
      i++;
    if (i == l->len)
      return 0;
    *off = i;
    while (i < l->len && !is_blank (l->p[i]))
      i++;
    *len = i - *off;
    if (n-- == 0)
      return 1;
  }
}

static int
word_is (const struct textline *l, int n, const char *s)
{
  size_t off = 0, len = 0;

  return word (l, n, &off, &len) && mem_is (l->p + off, len, s);
}

static int
is_stanza_start (const struct textline *l)
{
  static const char *const kw[] = {
    "iface", "mapping", "auto", "source", "source-directory", "rename",
    "no-auto-down", "no-scripts", NULL
  };
  size_t off = 0, len = 0, i;

  if (!word (l, 0, &off, &len))
    return 0;
  if (len > 6 && memcmp (l->p + off, "allow-", 6) == 0)
    return 1;
  for (i = 0; kw[i]; ++i)
    if (mem_is (l->p + off, len, kw[i]))
      return 1;
  return 0;
}

static int
is_ifupdown_addr (const struct textline *l)
{
  static const char *const opts[] = {
    "address", "netmask", "gateway", "dns-nameservers", "broadcast",
    "network", NULL
  };
  size_t i;

  for (i = 0; opts[i]; ++i)
    if (word_is (l, 0, opts[i]))
      return 1;
  return 0;
}

static int
block_ifupdown (struct textout *o, const char *ind, int indlen,
                const struct static_ip *ip)
{
  size_t i;

  if (textout_new (o, "%.*saddress %s/%u", indlen, ind, ip->addr,
               ip->prefix) == -1 ||
      (ip->gw && *ip->gw &&
       textout_new (o, "%.*sgateway %s", indlen, ind, ip->gw) == -1))
    return -1;
  if (ip->dns && ip->dns[0]) {
    struct sbuf d = SBUF_INIT;
    int r = 0;

    for (i = 0; ip->dns[i] && r == 0; ++i)
      r = sbuf_printf (&d, "%s%s", i ? " " : "", ip->dns[i]);
    if (r == 0)
      r = textout_new (o, "%.*sdns-nameservers %s", indlen, ind, d.s);
    sbuf_free (&d);
    return r;
  }
  return 0;
}

char *
static_ifupdown (const char *text, const char *name,
                 const struct static_ip *ip, int *changes)
{
  struct textout o;
  struct textline *lines;
  size_t nr, i, s, e, ins, off = 0, len = 0;
  const char *ind = "    ";
  int indlen = 4, named = 0;

  if (changes)
    *changes = 0;
  if (split_lines (text, &lines, &nr) == -1)
    return NULL;
  textout_init (&o, lines, nr);

  for (s = 0; s < nr; ++s) {
    if (word_is (&lines[s], 0, "iface") && word_is (&lines[s], 1, name) &&
        word_is (&lines[s], 2, "inet"))
      break;
    if ((word_is (&lines[s], 0, "auto") ||
         (word (&lines[s], 0, &off, &len) && len > 6 &&
          memcmp (lines[s].p + off, "allow-", 6) == 0)))
      for (i = 1; word (&lines[s], i, &off, &len); ++i)
        named |= mem_is (lines[s].p + off, len, name);
  }
  for (e = s + 1; e < nr && !is_stanza_start (&lines[e]); ++e)
    ;
  ins = s + 1;
  for (i = e; i-- > s + 1;)
    if (is_ifupdown_addr (&lines[i]))
      ins = i;
  for (i = s + 1; i < e; ++i)
    if (!is_comment_or_blank (&lines[i])) {
      ind = lines[i].p;
      indlen = strspn (ind, " \t");
      break;
    }

  for (i = 0; i < nr; ++i) {
    const struct textline *l = &lines[i];

    if (s < nr && i == ins && block_ifupdown (&o, ind, indlen, ip) == -1)
      goto err;
    if (i == s) {
      int r;

      if (word (l, 3, &off, &len))
        r = textout_splice (&o, l, off, len, "static");
      else
        r = textout_splice (&o, l, l->len, 0, " static");
      if (r == -1)
        goto err;
      continue;
    }
    if (i > s && i < e && is_ifupdown_addr (l))
      continue;
    if (textout_line (&o, l) == -1)
      goto err;
  }
  if (s < nr && ins == nr && block_ifupdown (&o, ind, indlen, ip) == -1)
    goto err;
  if (s == nr) {
    if ((nr > 0 && lines[nr - 1].len > 0 && textout_new (&o, "%s", "") == -1) ||
        (!named && textout_new (&o, "auto %s", name) == -1) ||
        textout_new (&o, "iface %s inet static", name) == -1 ||
        block_ifupdown (&o, ind, indlen, ip) == -1)
      goto err;
  }
  free (lines);
  return textout_finish (&o, text, changes);

 err:
  return textout_fail (&o, lines);
}

/* netplan: indentation, and the key of a "key:" line (quotes dropped). */
static size_t
indent (const struct textline *l)
{
  size_t i = 0;

  while (i < l->len && l->p[i] == ' ')
    i++;
  return i;
}

static int
yaml_key (const struct textline *l, const char **key, size_t *klen,
          size_t *rest)
{
  size_t i = indent (l), e;

  if (i == l->len || l->p[i] == '#' || l->p[i] == '-')
    return 0;
  for (e = i; e < l->len && !(l->p[e] == ':' &&
                              (e + 1 == l->len || is_blank (l->p[e + 1])));
       ++e)
    ;
  if (e == l->len)
    return 0;
  *rest = e + 1;
  if (e - i >= 2 && (l->p[i] == '"' || l->p[i] == '\'') &&
      l->p[e - 1] == l->p[i])
    i++, e--;
  *key = l->p + i;
  *klen = e - i;
  return 1;
}

/* Nothing after "key:" but blanks and a comment. */
static int
yaml_empty_value (const struct textline *l, size_t rest)
{
  while (rest < l->len && is_blank (l->p[rest]))
    rest++;
  return rest == l->len || l->p[rest] == '#';
}

static int
block_netplan (struct textout *o, int c, int step, const struct static_ip *ip)
{
  size_t i;

  if (textout_new (o, "%*sdhcp4: false", c, "") == -1 ||
      textout_new (o, "%*saddresses: [%s/%u]", c, "", ip->addr, ip->prefix) == -1)
    return -1;
  if (ip->gw && *ip->gw &&
      (textout_new (o, "%*sroutes:", c, "") == -1 ||
       textout_new (o, "%*s- to: default", c + step, "") == -1 ||
       textout_new (o, "%*s  via: %s", c + step, "", ip->gw) == -1))
    return -1;
  if (ip->dns && ip->dns[0]) {
    struct sbuf d = SBUF_INIT;
    int r = 0;

    for (i = 0; ip->dns[i] && r == 0; ++i)
      r = sbuf_printf (&d, "%s%s", i ? ", " : "", ip->dns[i]);
    if (r == 0)
      r = textout_new (o, "%*snameservers:", c, "");
    if (r == 0)
      r = textout_new (o, "%*saddresses: [%s]", c + step, "", d.s);
    sbuf_free (&d);
    return r;
  }
  return 0;
}

static int
netplan_drop_key (const char *key, size_t klen)
{
  return mem_is (key, klen, "dhcp4") || mem_is (key, klen, "addresses") ||
    mem_is (key, klen, "routes") || mem_is (key, klen, "gateway4") ||
    mem_is (key, klen, "nameservers");
}

char *
static_netplan (const char *text, const char *name,
                const struct static_ip *ip, int *changes)
{
  struct textout o;
  struct textline *lines;
  const char *key;
  size_t nr, i, j, rest, klen, e = 0, c1 = 0, c2 = 0, ent, end, ins;
  int in_eth = 0, dropping = 0;

  if (changes)
    *changes = 0;
  if (split_lines (text, &lines, &nr) == -1)
    return NULL;
  textout_init (&o, lines, nr);

  /* Find the entry NAME: under ethernets:. */
  for (ent = 0; ent < nr; ++ent) {
    const struct textline *l = &lines[ent];

    if (is_comment_or_blank (l))
      continue;
    if (in_eth && indent (l) <= e)
      in_eth = 0;
    if (!in_eth) {
      if (yaml_key (l, &key, &klen, &rest) &&
          mem_is (key, klen, "ethernets") && yaml_empty_value (l, rest)) {
        in_eth = 1;
        e = indent (l);
        c1 = 0;
      }
      continue;
    }
    if (c1 == 0)
      c1 = indent (l);
    if (indent (l) == c1 && yaml_key (l, &key, &klen, &rest) &&
        mem_is (key, klen, name) && yaml_empty_value (l, rest))
      break;
  }
  if (ent == nr) {
    char *r = strdup (text);

    free (lines);
    if (r == NULL)
      errno = ENOMEM;
    return r;
  }

  /* Its children: c2 is their indentation. */
  for (end = ent + 1, j = ent + 1; j < nr; ++j) {
    if (is_comment_or_blank (&lines[j]))
      continue;
    if (indent (&lines[j]) <= c1)
      break;
    if (c2 == 0)
      c2 = indent (&lines[j]);
    end = j + 1;
  }
  if (c2 == 0)
    c2 = c1 + (c1 > e ? c1 - e : 2);
  ins = end;
  for (j = ent + 1; j < end; ++j)
    if (indent (&lines[j]) == c2 && yaml_key (&lines[j], &key, &klen, &rest) &&
        netplan_drop_key (key, klen)) {
      ins = j;
      break;
    }

  for (i = 0; i < nr; ++i) {
    const struct textline *l = &lines[i];

    if (i == ins && block_netplan (&o, (int) c2, (int) (c2 - c1), ip) == -1)
      goto err;
    if (i > ent && i < end && !is_comment_or_blank (l)) {
      if (indent (l) == c2 && l->p[c2] != '-')
        dropping = yaml_key (l, &key, &klen, &rest) &&
          netplan_drop_key (key, klen);
      if (dropping)
        continue;
    }
    if (textout_line (&o, l) == -1)
      goto err;
  }
  if (ins == nr && block_netplan (&o, (int) c2, (int) (c2 - c1), ip) == -1)
    goto err;
  free (lines);
  return textout_finish (&o, text, changes);

 err:
  return textout_fail (&o, lines);
}
