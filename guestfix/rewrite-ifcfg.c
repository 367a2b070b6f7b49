/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: RHEL and SUSE ifcfg interface files, the --mac option, and
 * static IPv4 configuration in ifcfg files (the other network stacks'
 * writers are in rewrite-static.c).
 *
 * Pure text transforms (see rewrite.h).  The static_* writers remove
 * the lines they replace and insert a block of new lines where the
 * first of them was, so that a second run finds its own block and
 * writes it again in the same place; *changes is then counted with a
 * line diff of the result against the input (struct textout, shared
 * with rewrite-static.c).
 */

#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>
#include <errno.h>
#include <arpa/inet.h>

#include "rewrite.h"

static int
mem_is (const char *p, size_t len, const char *s)
{
  return strlen (s) == len && memcmp (p, s, len) == 0;
}

/* ---------------------------------------------------------------- */
/* Output with line endings (struct textout, see rewrite.h). */

void
textout_init (struct textout *o, const struct textline *lines, size_t nr)
{
  size_t i;

  memset (o, 0, sizeof *o);
  o->eol = "\n";
  for (i = 0; i < nr; ++i)
    if (lines[i].eollen > 0) {
      o->eol = lines[i].eollen == 2 ? "\r\n" : "\n";
      break;
    }
}

static int
textout_close (struct textout *o)
{
  if (o->open && strbuf_adds (&o->s, o->eol) == -1)
    return -1;
  o->open = 0;
  return 0;
}

/* An input line, unchanged. */
int
textout_line (struct textout *o, const struct textline *l)
{
  if (textout_close (o) == -1)
    return -1;
  o->open = l->eollen == 0;
  return strbuf_addline (&o->s, l);
}

/* An input line with bytes [off, off+len) replaced. */
int
textout_splice (struct textout *o, const struct textline *l,
            size_t off, size_t len, const char *repl)
{
  if (textout_close (o) == -1)
    return -1;
  o->open = l->eollen == 0;
  return strbuf_splice (&o->s, l, off, len, repl);
}

/* A new line. */
int
textout_new (struct textout *o, const char *fs, ...)
{
  va_list args;
  char *p = NULL;
  int n, r;

  if (textout_close (o) == -1)
    return -1;
  va_start (args, fs);
  n = vasprintf (&p, fs, args);
  va_end (args);
  if (n < 0)
    return -1;
  r = sbuf_add (&o->s, p, n);
  free (p);
  if (r == -1 || strbuf_adds (&o->s, o->eol) == -1)
    return -1;
  return 0;
}

/* Edits in a line diff: a changed line counts once (see rewrite.h).  A
 * last line that only gained a newline because lines were added after
 * it is not an edit: compare both texts with a final newline then.
 */
static int
count_changes (const char *before, const char *after)
{
  size_t bl = strlen (before), al = strlen (after);
  char *b = NULL, *a = NULL, *d = NULL;
  const char *p;
  int total = 0, del = 0, ins = 0;

  if (bl > 0 && before[bl - 1] != '\n' && al > 0 && after[al - 1] != '\n') {
    if (asprintf (&b, "%s\n", before) == -1) {
      b = NULL;
      goto out;
    }
    if (asprintf (&a, "%s\n", after) == -1) {
      a = NULL;
      goto out;
    }
  }
  d = text_diff (b ? b : before, a ? a : after, 0, 0);
  if (d == NULL)
    goto out;
  for (p = d; *p; p += strcspn (p, "\n") + (p[strcspn (p, "\n")] == '\n')) {
    if (*p == '@') {
      total += del > ins ? del : ins;
      del = ins = 0;
    }
    else if (*p == '-')
      del++;
    else if (*p == '+')
      ins++;
  }
  total += del > ins ? del : ins;

 out:
  free (b);
  free (a);
  if (d == NULL)
    return -1;
  free (d);
  return total;
}

/* Take the result: a text that had no final newline still has none. */
char *
textout_finish (struct textout *o, const char *text, int *changes)
{
  size_t tlen = strlen (text);
  char *r;
  int n = 0;

  if (tlen > 0 && text[tlen - 1] != '\n' && o->s.len > 0 &&
      o->s.s[o->s.len - 1] == '\n') {
    o->s.len--;
    if (o->s.len > 0 && o->s.s[o->s.len - 1] == '\r')
      o->s.len--;
    o->s.s[o->s.len] = '\0';
  }
  r = sbuf_take (&o->s);
  if (r == NULL)
    return NULL;
  if (strcmp (r, text) != 0) {
    n = count_changes (text, r);
    if (n == -1) {
      free (r);
      errno = ENOMEM;
      return NULL;
    }
  }
  if (changes)
    *changes = n;
  return r;
}

char *
textout_fail (struct textout *o, struct textline *lines)
{
  free (lines);
  sbuf_free (&o->s);
  errno = ENOMEM;
  return NULL;
}

/* ---------------------------------------------------------------- */
/* Shell variable files (ifcfg). */

struct assign {
  size_t key, keylen;
  size_t val, vallen;           /* without the quotes */
  char quote;                   /* '"', '\'' or 0 */
};

static int
parse_assign (const struct textline *l, struct assign *a)
{
  const char *p = l->p;
  size_t i = 0, k;

  while (i < l->len && is_blank (p[i]))
    i++;
  a->key = i;
  while (i < l->len && (isupper ((unsigned char) p[i]) ||
                        isdigit ((unsigned char) p[i]) || p[i] == '_'))
    i++;
  if (i == a->key || i == l->len || p[i] != '=')
    return 0;
  a->keylen = i - a->key;
  i++;
  a->quote = 0;
  if (i < l->len && (p[i] == '"' || p[i] == '\'')) {
    a->quote = p[i];
    for (k = i + 1; k < l->len && p[k] != a->quote; ++k)
      if (a->quote == '"' && p[k] == '\\')
        k++;
    if (k >= l->len)
      return 0;
    a->val = i + 1;
    a->vallen = k - i - 1;
    return 1;
  }
  for (k = i; k < l->len && !is_blank (p[k]) && p[k] != ';'; ++k)
    ;
  a->val = i;
  a->vallen = k - i;
  return 1;
}

static int
key_is (const struct textline *l, const struct assign *a, const char *key)
{
  return mem_is (l->p + a->key, a->keylen, key);
}

static int
is_word_char (char c)
{
  return isalnum ((unsigned char) c) || c == '_' || c == '-' || c == '.' ||
    c == ':';
}

/* Append v[0..len) to sb with whole-word occurrences of 'from'
 * replaced by 'to'.  Returns the number of replacements or -1.
 */
static int
replace_words (struct sbuf *sb, const char *v, size_t len,
               const char *from, const char *to)
{
  size_t flen = strlen (from), i = 0, copied = 0;
  int n = 0;

  if (flen == 0)
    return sbuf_add (sb, v, len) == -1 ? -1 : 0;
  while (i + flen <= len) {
    if (memcmp (v + i, from, flen) == 0 &&
        (i == 0 || !is_word_char (v[i - 1])) &&
        (i + flen == len || !is_word_char (v[i + flen]))) {
      if (sbuf_add (sb, v + copied, i - copied) == -1 ||
          strbuf_adds (sb, to) == -1)
        return -1;
      n++;
      i += flen;
      copied = i;
    }
    else
      i++;
  }
  if (sbuf_add (sb, v + copied, len - copied) == -1)
    return -1;
  return n;
}

/* Keys naming other interfaces: a VLAN's parent, bond and bridge members. */
static int
is_member_key (const struct textline *l, const struct assign *a)
{
  return key_is (l, a, "PHYSDEV") || key_is (l, a, "ETHERDEVICE") ||
    key_is (l, a, "BRIDGE_PORTS") ||
    (a->keylen > 13 && memcmp (l->p + a->key, "BONDING_SLAVE", 13) == 0);
}

/* The entry for interface name: its own, or its physical device's
 * (a VLAN "ens192.10" or an alias "ens192:1"); *sfx is the suffix.
 */
static const struct nicmap *
own_entry (const char *name, const struct nicmap *map, size_t nr_map,
           const char **sfx)
{
  for (size_t i = 0; name && i < nr_map; ++i) {
    size_t n = map[i].old_name ? strlen (map[i].old_name) : 0;
    if (n > 0 && strncmp (name, map[i].old_name, n) == 0 &&
        (name[n] == '\0' || ((name[n] == '.' || name[n] == ':') && name[n + 1]))) {
      *sfx = name + n;
      return &map[i];
    }
  }
  *sfx = "";
  return NULL;
}

static int
mac_is (const char *p, size_t len, const char *mac)
{
  return mac && strlen (mac) == len && strncasecmp (p, mac, len) == 0;
}

/* A MAC line: the value it takes (NULL: the line goes). */
static const char *
mac_value (const char *v, size_t len, const struct nicmap *e,
           const struct nicmap *map, size_t nr_map)
{
  if (e)
    return e->new_mac && (e->old_mac == NULL || mac_is (v, len, e->old_mac))
      ? e->new_mac : NULL;
  for (size_t i = 0; i < nr_map; ++i)
    if (map[i].new_mac && mac_is (v, len, map[i].old_mac))
      return map[i].new_mac;
  return NULL;
}

char *
rewrite_ifcfg_nics (const char *text, const char *name,
                    const struct nicmap *map, size_t nr_map, int *changes)
{
  struct textout o;
  struct textline *lines;
  struct sbuf v = SBUF_INIT;
  const struct nicmap *e;
  const char *sfx;
  size_t nr, i;
  int rename;

  if (changes)
    *changes = 0;
  if (split_lines (text, &lines, &nr) == -1)
    return NULL;
  textout_init (&o, lines, nr);
  e = own_entry (name, map, nr_map, &sfx);
  rename = e && e->new_name && *e->new_name && strcmp (e->old_name, e->new_name);

  for (i = 0; i < nr; ++i) {
    const struct textline *l = &lines[i];
    struct assign a;
    const char *mac;
    int r = 0;

    if (!parse_assign (l, &a))
      goto keep;
    if (key_is (l, &a, "HWADDR") || key_is (l, &a, "LLADDR") ||
        key_is (l, &a, "MACADDR")) {
      mac = mac_value (l->p + a.val, a.vallen, e, map, nr_map);
      if (mac == NULL)
        continue;
      if (mac_is (l->p + a.val, a.vallen, mac))
        goto keep;
      if (textout_splice (&o, l, a.val, a.vallen, mac) == -1)
        goto err;
      continue;
    }
    v.len = 0;
    if (sbuf_add (&v, "", 0) == -1)
      goto err;
    if (is_member_key (l, &a)) {
      /* Each entry on the original text: no name is renamed twice. */
      struct sbuf w = SBUF_INIT;
      if (sbuf_add (&v, l->p + a.val, a.vallen) == -1)
        goto err;
      for (size_t m = 0; m < nr_map; ++m) {
        int n;
        if (map[m].old_name == NULL || map[m].new_name == NULL ||
            strcmp (map[m].old_name, map[m].new_name) == 0)
          continue;
        w.len = 0;
        n = replace_words (&w, v.s, v.len, map[m].old_name, map[m].new_name);
        if (n == -1 || sbuf_add (&w, "", 0) == -1) {
          sbuf_free (&w);
          goto err;
        }
        if (n > 0) {
          struct sbuf t = v;
          v = w;
          w = t;
          r += n;
        }
      }
      sbuf_free (&w);
    }
    else if (rename && key_is (l, &a, "DEVICE") &&
             a.vallen == strlen (name) && memcmp (l->p + a.val, name, a.vallen) == 0) {
      if (sbuf_puts (&v, e->new_name) == -1 || sbuf_puts (&v, sfx) == -1)
        goto err;
      r = 1;
    }
    else if (rename && key_is (l, &a, "NAME")) {
      r = replace_words (&v, l->p + a.val, a.vallen, e->old_name, e->new_name);
      if (r == -1 || sbuf_add (&v, "", 0) == -1)
        goto err;
    }
    if (r == 0)
      goto keep;
    if (textout_splice (&o, l, a.val, a.vallen, v.s) == -1)
      goto err;
    continue;
  keep:
    if (textout_line (&o, l) == -1)
      goto err;
  }
  sbuf_free (&v);
  free (lines);
  return textout_finish (&o, text, changes);

 err:
  sbuf_free (&v);
  return textout_fail (&o, lines);
}

char *
rewrite_ifcfg (const char *text, const char *old_name, const char *new_name,
               int *changes)
{
  const struct nicmap e = { old_name, NULL, new_name, NULL, NULL, NULL };

  return rewrite_ifcfg_nics (text, old_name, &e, 1, changes);
}

char *
ifcfg_device (const char *text)
{
  struct textline *lines;
  size_t nr, i;
  char *r = NULL;

  if (split_lines (text, &lines, &nr) == -1)
    return NULL;
  for (i = nr; i-- > 0;) {
    struct assign a;

    if (parse_assign (&lines[i], &a) && key_is (&lines[i], &a, "DEVICE")) {
      r = strndup (lines[i].p + a.val, a.vallen);
      if (r == NULL) {
        free (lines);
        errno = ENOMEM;
        return NULL;
      }
      break;
    }
  }
  free (lines);
  if (r == NULL)
    errno = 0;
  return r;
}

/* ---------------------------------------------------------------- */
/* --mac */

/* A dotted quad a.b.c.d, each 0..255 without leading zeros. */
static int
is_ipv4 (const char *s, size_t len)
{
  size_t i = 0;
  int part;

  for (part = 0; part < 4; ++part) {
    size_t start = i;
    unsigned v = 0;

    if (part > 0) {
      if (i == len || s[i] != '.')
        return 0;
      start = ++i;
    }
    while (i < len && isdigit ((unsigned char) s[i]) && i - start < 3)
      v = v * 10 + (s[i++] - '0');
    if (i == start || v > 255 || (s[start] == '0' && i - start > 1))
      return 0;
  }
  return i == len;
}

static int
is_ipv6 (const char *s, size_t len)
{
  char buf[INET6_ADDRSTRLEN];
  unsigned char a[16];

  if (len == 0 || len >= sizeof buf)
    return 0;
  memcpy (buf, s, len);
  buf[len] = '\0';
  return inet_pton (AF_INET6, buf, a) == 1;
}

void
static_ip_free (struct static_ip *ip)
{
  size_t i;

  free ((char *) ip->addr);
  free ((char *) ip->gw);
  for (i = 0; ip->dns && ip->dns[i]; ++i)
    free ((char *) ip->dns[i]);
  free ((char **) ip->dns);
  memset (ip, 0, sizeof *ip);
}

/* The "ADDR,GW,PREFIX[,DNS...]" part. */
static int
parse_ip (const char *s, struct static_ip *ip, const char **why)
{
  const char *f[3], *p = s;
  size_t flen[3], i, n;
  char **dns;
  unsigned prefix = 0;

  for (i = 0; i < 3; ++i) {
    f[i] = p;
    flen[i] = strcspn (p, ",");
    p += flen[i];
    if (i < 2) {
      if (*p != ',') {
        *why = "expected ADDR,GW,PREFIX after 'ip:'";
        return -1;
      }
      p++;
    }
  }
  if (!is_ipv4 (f[0], flen[0])) {
    *why = "the IP address must be an IPv4 dotted quad like 192.0.2.10";
    return -1;
  }
  if (flen[1] > 0 && !is_ipv4 (f[1], flen[1])) {
    *why = "the gateway must be empty or an IPv4 dotted quad";
    return -1;
  }
  for (i = 0; i < flen[2] && i < 3 && isdigit ((unsigned char) f[2][i]); ++i)
    prefix = prefix * 10 + (f[2][i] - '0');
  if (flen[2] == 0 || i != flen[2] || f[2][0] == '0' || prefix < 1 ||
      prefix > 32) {
    *why = "the prefix must be a number from 1 to 32";
    return -1;
  }
  ip->prefix = prefix;

  /* DNS servers after the third field. */
  for (n = 0, i = 0; p[i]; ++i)
    n += p[i] == ',';
  dns = calloc (n + 1, sizeof *dns);
  if (dns == NULL)
    goto nomem;
  ip->dns = (const char *const *) dns;
  for (i = 0; i < n; ++i) {
    size_t len;

    p++;                        /* the ',' */
    len = strcspn (p, ",");
    if (!is_ipv4 (p, len) && !is_ipv6 (p, len)) {
      *why = "each DNS server must be an IPv4 or IPv6 address";
      return -1;
    }
    dns[i] = strndup (p, len);
    if (dns[i] == NULL)
      goto nomem;
    p += len;
  }
  ip->addr = strndup (f[0], flen[0]);
  if (ip->addr == NULL)
    goto nomem;
  if (flen[1] > 0 && (ip->gw = strndup (f[1], flen[1])) == NULL)
    goto nomem;
  return 0;

 nomem:
  *why = "out of memory";
  errno = ENOMEM;
  return -1;
}

int
parse_mac_option (const char *arg, char **mac, const char **kind,
                  char **name, struct static_ip *ip, const char **why)
{
  char m[18];
  const char *p;
  size_t i;

  *mac = NULL;
  *name = NULL;
  *kind = NULL;
  memset (ip, 0, sizeof *ip);
  *why = NULL;

  for (i = 0; i < 17; ++i) {
    char c = arg[i];

    if (i % 3 == 2 ? c != ':' : !isxdigit ((unsigned char) c)) {
      *why = "the MAC address must be six hex pairs separated by ':'";
      return -1;
    }
    m[i] = tolower ((unsigned char) c);
  }
  m[17] = '\0';
  if (arg[17] == '\0') {
    *why = "expected 'ip:', 'network:' or 'bridge:' after the MAC address";
    return -1;
  }
  if (arg[17] != ':') {
    *why = "the MAC address must be six hex pairs separated by ':'";
    return -1;
  }
  p = arg + 18;

  if (strncmp (p, "ip:", 3) == 0) {
    if (parse_ip (p + 3, ip, why) == -1) {
      static_ip_free (ip);
      return -1;
    }
    *kind = "ip";
  }
  else if (strncmp (p, "network:", 8) == 0 || strncmp (p, "bridge:", 7) == 0) {
    *kind = p[0] == 'n' ? "network" : "bridge";
    p = strchr (p, ':') + 1;
    if (*p == '\0') {
      *kind = NULL;
      *why = "the network or bridge name is empty";
      return -1;
    }
    *name = strdup (p);
    if (*name == NULL) {
      *kind = NULL;
      *why = "out of memory";
      errno = ENOMEM;
      return -1;
    }
  }
  else {
    *why = "expected 'ip:', 'network:' or 'bridge:' after the MAC address";
    return -1;
  }

  *mac = strdup (m);
  if (*mac == NULL) {
    free (*name);
    *name = NULL;
    static_ip_free (ip);
    *kind = NULL;
    *why = "out of memory";
    errno = ENOMEM;
    return -1;
  }
  return strcmp (*kind, "ip") == 0 ? 0 : 1;
}

/* ---------------------------------------------------------------- */
/* Static writers: shell variable files (RHEL ifcfg, SUSE wicked). */

struct shvars {
  const char *bootproto;        /* value of BOOTPROTO */
  const char *onkey, *onval;    /* ONBOOT=yes or STARTMODE=auto */
  char defquote;
  int (*drop) (const char *key, size_t len);
  int wicked;
};

/* key is base followed by digits (IPADDR0). */
static int
key_num (const char *key, size_t len, const char *base, int need_digit)
{
  size_t b = strlen (base), i;

  if (len < b || memcmp (key, base, b) != 0 || (need_digit && len == b))
    return 0;
  for (i = b; i < len; ++i)
    if (!isdigit ((unsigned char) key[i]))
      return 0;
  return 1;
}

static int
drop_ifcfg (const char *key, size_t len)
{
  return key_num (key, len, "IPADDR", 0) || key_num (key, len, "PREFIX", 0) ||
    key_num (key, len, "NETMASK", 0) || key_num (key, len, "GATEWAY", 0) ||
    key_num (key, len, "DNS", 1);
}

/* key is base or base_SUFFIX (IPADDR_1). */
static int
key_sfx (const char *key, size_t len, const char *base)
{
  size_t b = strlen (base);

  return len >= b && memcmp (key, base, b) == 0 &&
    (len == b || key[b] == '_');
}

static int
drop_wicked (const char *key, size_t len)
{
  return key_sfx (key, len, "IPADDR") || key_sfx (key, len, "NETMASK") ||
    key_sfx (key, len, "PREFIXLEN");
}

static int
shvars_block (struct textout *o, const struct shvars *sv,
              const struct static_ip *ip, char quote, int have_bp,
              int have_on)
{
  const char q[2] = { quote, '\0' };
  size_t i;

  if (!have_bp && textout_new (o, "BOOTPROTO=%s%s%s", q, sv->bootproto, q) == -1)
    return -1;
  if (sv->wicked) {
    if (textout_new (o, "IPADDR=%s%s/%u%s", q, ip->addr, ip->prefix, q) == -1)
      return -1;
  }
  else {
    if (textout_new (o, "IPADDR=%s%s%s", q, ip->addr, q) == -1 ||
        textout_new (o, "PREFIX=%s%u%s", q, ip->prefix, q) == -1 ||
        (ip->gw && *ip->gw &&
         textout_new (o, "GATEWAY=%s%s%s", q, ip->gw, q) == -1))
      return -1;
    for (i = 0; ip->dns && ip->dns[i]; ++i)
      if (textout_new (o, "DNS%zu=%s%s%s", i + 1, q, ip->dns[i], q) == -1)
        return -1;
  }
  if (!have_on && textout_new (o, "%s=%s%s%s", sv->onkey, q, sv->onval, q) == -1)
    return -1;
  return 0;
}

static char *
static_shvars (const char *text, const struct static_ip *ip,
               const struct shvars *sv, int *changes)
{
  struct textout o;
  struct textline *lines;
  struct assign a;
  size_t nr, i, ins, after_bp;
  int have_bp = 0, have_on = 0;
  char q = sv->defquote;

  if (changes)
    *changes = 0;
  if (split_lines (text, &lines, &nr) == -1)
    return NULL;
  textout_init (&o, lines, nr);

  ins = after_bp = nr;
  for (i = 0; i < nr; ++i) {
    if (!parse_assign (&lines[i], &a))
      continue;
    if (key_is (&lines[i], &a, "BOOTPROTO")) {
      if (!have_bp) {
        q = a.quote;
        after_bp = i + 1;
      }
      have_bp = 1;
    }
    else if (key_is (&lines[i], &a, sv->onkey))
      have_on = 1;
    else if (ins == nr && sv->drop (lines[i].p + a.key, a.keylen))
      ins = i;
  }
  if (ins == nr)
    ins = after_bp;

  for (i = 0; i < nr; ++i) {
    const struct textline *l = &lines[i];
    const char *v = NULL;

    if (i == ins && shvars_block (&o, sv, ip, q, have_bp, have_on) == -1)
      goto err;
    if (parse_assign (l, &a)) {
      if (sv->drop (l->p + a.key, a.keylen))
        continue;
      if (key_is (l, &a, "BOOTPROTO"))
        v = sv->bootproto;
      else if (key_is (l, &a, sv->onkey))
        v = sv->onval;
    }
    if ((v ? textout_splice (&o, l, a.val, a.vallen, v) : textout_line (&o, l)) == -1)
      goto err;
  }
  if (ins == nr && shvars_block (&o, sv, ip, q, have_bp, have_on) == -1)
    goto err;
  free (lines);
  return textout_finish (&o, text, changes);

 err:
  return textout_fail (&o, lines);
}

char *
static_ifcfg (const char *text, const struct static_ip *ip, int *changes)
{
  static const struct shvars sv = {
    "none", "ONBOOT", "yes", 0, drop_ifcfg, 0
  };
  return static_shvars (text, ip, &sv, changes);
}

char *
static_wicked (const char *text, const struct static_ip *ip, int *changes)
{
  static const struct shvars sv = {
    "static", "STARTMODE", "auto", '\'', drop_wicked, 1
  };
  return static_shvars (text, ip, &sv, changes);
}

