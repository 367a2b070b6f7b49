/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: which name a NIC gets in the guest on the target, and the
 * guest's own naming rules (systemd .link files, udev rules) moved to
 * the target's NIC.
 *
 * A guest may name its NIC by MAC (a .link file, a persistent-net rule,
 * netplan's set-name:), by PCI path or by driver.  On the target the
 * NIC is another device in another slot, usually with another MAC, so
 * ferry predicts what udev will call it from the guest's files and the
 * NIC's properties there, exactly as udev decides (see rewrite.h), and
 * rebinds the guest's rules to the new NIC where the name must survive.
 * Pure functions over file contents; no appliance.
 */

#include <config.h>

#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rewrite.h"

static const char *const link_dirs[] = {
  "/etc/systemd/network/", "/run/systemd/network/",
  "/usr/local/lib/systemd/network/", "/usr/lib/systemd/network/",
  "/lib/systemd/network/", NULL
};
static const char *const rules_dirs[] = {
  "/etc/udev/rules.d/", "/run/udev/rules.d/", "/usr/local/lib/udev/rules.d/",
  "/usr/lib/udev/rules.d/", "/lib/udev/rules.d/", NULL
};

/* systemd's /usr/lib/systemd/network/99-default.link (252). */
static const struct name_file default_link = {
  "/usr/lib/systemd/network/99-default.link",
  "[Match]\nOriginalName=*\n\n[Link]\n"
  "NamePolicy=keep kernel database onboard slot path\n"
  "MACAddressPolicy=persistent\n"
};
static const struct name_file setup_link_rules = {
  "/usr/lib/udev/rules.d/80-net-setup-link.rules", ""
};

int
nic_mac_eq (const char *p, size_t len, const char *mac)
{
  return p && mac && len == 17 && strlen (mac) == 17 &&
    strncasecmp (p, mac, 17) == 0;
}

int
nic_is_mac (const char *p, size_t len)
{
  if (len != 17)
    return false;
  for (size_t i = 0; i < 17; i++)
    if (i % 3 == 2 ? p[i] != ':' :
        !strchr ("0123456789abcdefABCDEF", p[i]))
      return false;
  return true;
}

/* An interface name the kernel takes: 1 to 15 bytes, no '/', ':' or
 * blanks, not "." or "..".
 */
int
nic_valid_name (const char *p, size_t len)
{
  if (len == 0 || len > 15 || span_is (p, len, ".") || span_is (p, len, ".."))
    return false;
  for (size_t i = 0; i < len; i++)
    if (p[i] == '/' || p[i] == ':' || is_blank (p[i]) || p[i] == '"' ||
        p[i] == '$' || p[i] == '%')
      return false;
  return true;
}

static bool
glob_fits (const char *pat, size_t plen, const char *str)
{
  char buf[256];

  if (str == NULL || plen >= sizeof buf)
    return false;
  memcpy (buf, pat, plen);
  buf[plen] = '\0';
  return fnmatch (buf, str, 0) == 0;
}

static bool
has_glob (const char *p, size_t len)
{
  for (size_t i = 0; i < len; i++)
    if (strchr ("*?[", p[i]))
      return true;
  return false;
}

/* The next blank separated token of [*s, end). */
int
nic_next_tok (const char **s, const char *end, const char **tok, size_t *len)
{
  while (*s < end && is_blank (**s))
    (*s)++;
  if (*s == end)
    return false;
  *tok = *s;
  while (*s < end && !is_blank (**s))
    (*s)++;
  *len = *s - *tok;
  return true;
}

static const char *
base_name (const char *path)
{
  const char *s = strrchr (path, '/');
  return s ? s + 1 : path;
}

static size_t
dir_rank (const char *path, const char *const *dirs)
{
  size_t i;

  for (i = 0; dirs[i]; i++)
    if (strncmp (path, dirs[i], strlen (dirs[i])) == 0)
      break;
  return i;
}

static int
cmp_base (const void *a, const void *b)
{
  const struct name_file *const *x = a, *const *y = b;
  return strcmp (base_name ((*x)->path), base_name ((*y)->path));
}

/* The files systemd reads, in its order, into *out (newly allocated,
 * room for nr + 1), with 'implicit' added if no file has its name.
 * Returns the count, or -1 on ENOMEM.
 */
static int
effective (const struct name_file *f, size_t nr, const char *const *dirs,
           const struct name_file *implicit, const struct name_file ***out)
{
  const struct name_file **v = calloc (nr + 1, sizeof *v);
  bool have_implicit = false;
  size_t n = 0;

  *out = v;
  if (v == NULL)
    return -1;
  for (size_t i = 0; i < nr; i++) {
    const char *b = base_name (f[i].path);
    bool hidden = false;

    have_implicit |= strcmp (b, base_name (implicit->path)) == 0;
    for (size_t j = 0; j < nr && !hidden; j++) {
      size_t ri = dir_rank (f[i].path, dirs), rj = dir_rank (f[j].path, dirs);
      hidden = j != i && strcmp (base_name (f[j].path), b) == 0 &&
        (rj < ri || (rj == ri && j < i));
    }
    if (!hidden)
      v[n++] = &f[i];
  }
  if (!have_implicit)
    v[n++] = implicit;
  qsort (v, n, sizeof *v, cmp_base);
  return (int) n;
}

/*----------------------------------------------------------------------
 * .link files (systemd.link(5)): INI lines.
 */


int
ini_parse (const char *text, struct textline **lines, struct ini_line **il,
           size_t *nr)
{
  const char *sect = NULL;
  size_t sectlen = 0;

  *il = NULL;
  if (split_lines (text, lines, nr) == -1 ||
      (*il = calloc (*nr + 1, sizeof **il)) == NULL) {
    free (*lines);
    *lines = NULL;
    errno = ENOMEM;
    return -1;
  }
  for (size_t k = 0; k < *nr; k++) {
    const char *s = (*lines)[k].p, *end = s + (*lines)[k].len, *q;
    struct ini_line *l = &(*il)[k];

    while (s < end && is_blank (*s))
      s++;
    if (s < end && *s == '[' && (q = memchr (s, ']', end - s)) != NULL) {
      sect = s + 1;
      sectlen = q - s - 1;
      l->is_sect = true;
    }
    else if (s < end && *s != '#' && *s != ';' &&
             (q = memchr (s, '=', end - s)) != NULL) {
      l->key = s;
      for (l->keylen = q - s; l->keylen && is_blank (s[l->keylen - 1]);)
        l->keylen--;
      for (s = q + 1; s < end && is_blank (*s); s++)
        ;
      l->val = s;
      for (l->vallen = end - s; l->vallen && is_blank (s[l->vallen - 1]);)
        l->vallen--;
    }
    l->sect = sect;
    l->sectlen = sectlen;
  }
  return 0;
}

int
ini_is (const struct ini_line *l, const char *sect, const char *key)
{
  return l->key && span_is (l->sect, l->sectlen, sect) &&
    span_is (l->key, l->keylen, key);
}

/* The first line whose values count for [Match] key (after the last
 * empty assignment, which resets the list), or -1 if it is not set.
 */
long
ini_key_start (const struct ini_line *il, size_t nr, const char *key)
{
  long start = -1;

  for (size_t k = 0; k < nr; k++)
    if (ini_is (&il[k], "Match", key))
      start = il[k].vallen == 0 ? -1 : start == -1 ? (long) k : start;
  return start;
}

/* Does str fit one line's glob list?  systemd: any "!pattern" that fits
 * fails the test; else a positive pattern must fit, if there is one.
 * Returns 1, 0, or -1 for a negative hit.
 */
static int
line_globs (const struct ini_line *l, const char *str, bool *positive)
{
  const char *s = l->val, *end = l->val + l->vallen, *t;
  size_t len;
  int hit = 0;

  while (nic_next_tok (&s, end, &t, &len)) {
    bool inv = *t == '!';
    if (!inv)
      *positive = true;
    if (glob_fits (t + inv, len - inv, str)) {
      if (inv)
        return -1;
      hit = 1;
    }
  }
  return hit;
}

static bool
test_globs (const struct ini_line *il, size_t nr, const char *key,
            const char *str)
{
  long st = ini_key_start (il, nr, key);
  bool positive = false, hit = false;

  if (st < 0)
    return true;
  for (size_t k = st; k < nr; k++)
    if (ini_is (&il[k], "Match", key)) {
      int r = line_globs (&il[k], str, &positive);
      if (r < 0)
        return false;
      hit |= r;
    }
  return !positive || hit;
}

static bool
test_macs (const struct ini_line *il, size_t nr, const char *key,
           const char *mac)
{
  long st = ini_key_start (il, nr, key);

  if (st < 0)
    return true;
  for (size_t k = st; k < nr; k++)
    if (ini_is (&il[k], "Match", key)) {
      const char *s = il[k].val, *end = s + il[k].vallen, *t;
      size_t len;
      while (nic_next_tok (&s, end, &t, &len))
        if (nic_mac_eq (t, len, mac))
          return true;
    }
  return false;
}

static const char *const conditions[] = {
  "Host", "Virtualization", "KernelCommandLine", "KernelVersion",
  "Architecture", "Firmware", "Credential", NULL
};

/* Does the .link file fit the NIC?  1 yes, 0 no, 2 ignored (no [Match]
 * settings at all).
 */
static int
link_fits (const struct ini_line *il, size_t nr, const struct nic_props *nic,
           const char **unsure)
{
  static const char *const keys[] = {
    "MACAddress", "PermanentMACAddress", "Path", "Driver", "Type",
    "OriginalName", "Kind", "Property", NULL
  };
  bool any = false, cond = false, fits;

  for (size_t i = 0; keys[i]; i++)
    any |= ini_key_start (il, nr, keys[i]) >= 0;
  for (size_t i = 0; conditions[i]; i++)
    cond |= ini_key_start (il, nr, conditions[i]) >= 0;
  if (!any && !cond)
    return 2;
  fits = test_macs (il, nr, "MACAddress", nic->mac) &&
    test_macs (il, nr, "PermanentMACAddress", nic->mac) &&
    test_globs (il, nr, "Path", nic->path) &&
    test_globs (il, nr, "Driver", nic->driver) &&
    test_globs (il, nr, "Type", "ether") &&
    test_globs (il, nr, "OriginalName", nic->kernel_name) &&
    test_globs (il, nr, "Kind", NULL);
  /* What cannot be known offline only matters if the rest fits. */
  if (fits && ini_key_start (il, nr, "Property") >= 0) {
    *unsure = "a .link file matches on Property=, which ferry cannot "
      "evaluate offline";
    return 0;
  }
  if (fits && cond)
    *unsure = "a .link file has a condition ferry cannot evaluate offline "
      "(taken as met)";
  return fits;
}

/* The last non-empty value of [Link] key, or NULL. */
const struct ini_line *
ini_link_value (const struct ini_line *il, size_t nr, const char *key)
{
  const struct ini_line *v = NULL;

  for (size_t k = 0; k < nr; k++)
    if (ini_is (&il[k], "Link", key))
      v = il[k].vallen ? &il[k] : NULL;
  return v;
}

/* systemd's name for a NIC by its MAC: "enx" and the 12 hex digits. */
static const char *
mac_name (const char *mac, char buf[16])
{
  size_t k = 3;

  if (mac == NULL)
    return NULL;
  memcpy (buf, "enx", 3);
  for (const char *m = mac; *m && k < 15; m++)
    if (*m != ':')
      buf[k++] = (char) (*m >= 'A' && *m <= 'F' ? *m - 'A' + 'a' : *m);
  buf[k] = '\0';
  return buf;
}

/* The name a matching .link gives (into name, "" for none). */
static void
link_name (const struct ini_line *il, size_t nr, const struct nic_props *nic,
           int ifnames_off, char name[16], const char **how,
           const char **unsure)
{
  const struct ini_line *pol = ini_link_value (il, nr, "NamePolicy");
  const struct ini_line *nm = ini_link_value (il, nr, "Name");

  name[0] = '\0';
  if (pol && !ifnames_off) {
    const char *s = pol->val, *end = s + pol->vallen, *t;
    size_t len;
    while (nic_next_tok (&s, end, &t, &len)) {
      const char *v = NULL;
      char mac[16];
      if (span_is (t, len, "slot"))
        v = nic->slot_name, *how = "NamePolicy=slot";
      else if (span_is (t, len, "path"))
        v = nic->path_name, *how = "NamePolicy=path";
      else if (span_is (t, len, "mac") && nic->mac == NULL)
        *unsure = "NamePolicy=mac names the NIC after a MAC the target "
          "assigns at boot";
      else if (span_is (t, len, "mac"))
        v = mac_name (nic->mac, mac), *how = "NamePolicy=mac";
      if (v && nic_valid_name (v, strlen (v))) {
        snprintf (name, 16, "%s", v);
        return;
      }
    }
  }
  if (nm && nic_valid_name (nm->val, nm->vallen)) {
    memcpy (name, nm->val, nm->vallen);
    name[nm->vallen] = '\0';
    *how = "Name=";
  }
}

/*----------------------------------------------------------------------
 * udev rules (udev(7)): KEY[{attr}]OP"value", separated by commas.
 */



int
udev_key_is (const struct udev_tok *t, const char *key)
{
  return span_is (t->key, t->keylen, key);
}

int
udev_attr_is (const struct udev_tok *t, const char *key, const char *attr)
{
  return udev_key_is (t, key) && span_is (t->attr, t->attrlen, attr);
}

int
udev_is_match (const struct udev_tok *t)
{
  return strcmp (t->op, "==") == 0 || strcmp (t->op, "!=") == 0;
}

int
udev_assigns_name (const struct udev_tok *t)
{
  return udev_key_is (t, "NAME") && !t->attr &&
    (strcmp (t->op, "=") == 0 || strcmp (t->op, ":=") == 0);
}

/* Parse the tokens of physical line k into r.  Returns -1 on ENOMEM. */
static int
udev_parse_line (const struct textline *l, size_t k, struct udev_rule *r)
{
  const char *p = l->p;
  size_t i = 0, n = l->len;

  while (n > 0 && is_blank (p[n - 1]))
    n--;
  if (n > 0 && p[n - 1] == '\\')
    n--;
  for (;;) {
    struct udev_tok t = { .line = k };

    while (i < n && (is_blank (p[i]) || p[i] == ','))
      i++;
    if (i == n)
      return 0;
    if (r->nr == 0 && k == r->first && p[i] == '#') {
      r->comment = true;
      return 0;
    }
    t.start = i;
    t.key = &p[i];
    while (i < n && (p[i] == '_' || (p[i] >= 'A' && p[i] <= 'Z') ||
                     (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9')))
      i++;
    t.keylen = &p[i] - t.key;
    if (i < n && p[i] == '{') {
      const char *q = memchr (&p[i], '}', n - i);
      if (q == NULL)
        goto bad;
      t.attr = &p[i + 1];
      t.attrlen = q - t.attr;
      i = q - p + 1;
    }
    while (i < n && is_blank (p[i]))
      i++;
    if (i + 1 < n && strchr ("=!+-:", p[i]) && p[i + 1] == '=')
      t.op[0] = p[i], t.op[1] = '=', i += 2;
    else if (i < n && p[i] == '=')
      t.op[0] = '=', i++;
    else
      goto bad;
    while (i < n && is_blank (p[i]))
      i++;
    if (t.keylen == 0 || i >= n || p[i] != '"')
      goto bad;
    t.val = &p[++i];
    while (i < n && p[i] != '"')
      i += p[i] == '\\' && i + 1 < n ? 2 : 1;
    if (i >= n)
      goto bad;
    t.vallen = &p[i] - t.val;
    t.len = ++i - t.start;
    if (r->nr == r->cap) {
      struct udev_tok *v = realloc (r->t, (r->cap * 2 + 8) * sizeof *v);
      if (v == NULL)
        return -1;
      r->t = v;
      r->cap = r->cap * 2 + 8;
    }
    r->t[r->nr++] = t;
  }
 bad:
  r->bad = true;
  return 0;
}

/* The rule starting at line k (continued by trailing '\'). */
int
udev_parse_rule (const struct textline *lines, size_t nr, size_t k, struct udev_rule *r)
{
  r->nr = 0;
  r->first = k;
  r->comment = r->bad = false;
  for (r->end = k; r->end < nr;) {
    const struct textline *l = &lines[r->end];
    size_t e = l->len;

    if (!r->comment && udev_parse_line (l, r->end, r) == -1)
      return -1;
    r->end++;
    while (e > 0 && is_blank (l->p[e - 1]))
      e--;
    if (e == 0 || l->p[e - 1] != '\\')
      break;
  }
  return 0;
}

/* Does one of the values fit the '|' separated globs?  NULL values are
 * skipped.
 */
int
udev_fits_any (const struct udev_tok *t, const char *const *vals, size_t nv)
{
  const char *s = t->val, *end = t->val + t->vallen;

  for (;;) {
    const char *bar = memchr (s, '|', end - s), *e = bar ? bar : end;
    for (size_t i = 0; i < nv; i++)
      if (vals[i] && (e == s ? *vals[i] == '\0' : glob_fits (s, e - s, vals[i])))
        return true;
    if (bar == NULL)
      return false;
    s = bar + 1;
  }
}

/* A match key on the NIC: 1 fits, 0 not, -1 unknown. */
static int
tok_fits (const struct udev_tok *t, const struct nic_props *nic, const char *cur)
{
  const char *v[3] = { NULL, NULL, NULL };
  bool virtio = nic->driver && strcmp (nic->driver, "virtio_net") == 0;
  int m = 0;

  if (udev_key_is (t, "ACTION"))
    v[0] = "add";
  else if (udev_key_is (t, "SUBSYSTEM"))
    v[0] = "net";
  else if (udev_key_is (t, "SUBSYSTEMS"))
    v[0] = "net", v[1] = nic->pci ? "pci" : NULL, v[2] = virtio ? "virtio" : NULL;
  else if (udev_key_is (t, "KERNEL"))
    v[0] = nic->kernel_name;
  else if (udev_key_is (t, "KERNELS"))
    v[0] = nic->kernel_name, v[1] = nic->pci;
  else if (udev_key_is (t, "DRIVER"))
    v[0] = "";
  else if (udev_key_is (t, "DRIVERS"))
    v[0] = nic->driver, v[1] = nic->parent_driver;
  else if (udev_key_is (t, "NAME") && !t->attr)
    v[0] = cur;
  else if ((udev_key_is (t, "ATTR") || udev_key_is (t, "ATTRS")) &&
           span_is (t->attr, t->attrlen, "address")) {
    if (nic->mac == NULL)
      /* A MAC the target assigns: not the one a rule names. */
      m = has_glob (t->val, t->vallen);
    else
      v[0] = nic->mac;
  }
  else if (udev_key_is (t, "ATTR") && span_is (t->attr, t->attrlen, "type"))
    v[0] = "1";
  else if (udev_key_is (t, "ATTR") && (span_is (t->attr, t->attrlen, "dev_id")))
    v[0] = "0x0";
  else if (udev_key_is (t, "ATTR") && (span_is (t->attr, t->attrlen, "dev_port") ||
                                   span_is (t->attr, t->attrlen, "addr_assign_type")))
    v[0] = "0";
  else if (udev_key_is (t, "PROGRAM") &&
           memmem (t->val, t->vallen, "biosdevname", 11) != NULL)
    return 0;
  else
    return -1;
  if (v[0] || v[1] || v[2])
    m = udev_fits_any (t, v, 3);
  else if (!udev_key_is (t, "ATTR") && !udev_key_is (t, "ATTRS"))
    m = 0;
  return strcmp (t->op, "!=") == 0 ? !m : m;
}

/* The name a NAME= value gives, into out: 1, or 0 for none. */
static int
name_value (const struct udev_tok *t, const struct nic_props *nic,
            const char *link, char out[16], const char **unsure)
{
  static const struct { const char *ref; size_t off; } env[] = {
    { "$env{ID_NET_NAME_SLOT}", offsetof (struct nic_props, slot_name) },
    { "$env{ID_NET_NAME_PATH}", offsetof (struct nic_props, path_name) },
    { "%k", offsetof (struct nic_props, kernel_name) },
    { "$kernel", offsetof (struct nic_props, kernel_name) },
  };
  const char *v = NULL;
  char mac[16];

  if (nic_valid_name (t->val, t->vallen)) {
    memcpy (out, t->val, t->vallen);
    out[t->vallen] = '\0';
    return 1;
  }
  if (span_is (t->val, t->vallen, "$env{ID_NET_NAME}"))
    v = link && *link ? link : NULL;
  else if (span_is (t->val, t->vallen, "$env{ID_NET_NAME_MAC}"))
    v = mac_name (nic->mac, mac);
  else if (span_is (t->val, t->vallen, "$env{ID_NET_NAME_ONBOARD}"))
    v = NULL;
  else {
    size_t i;
    for (i = 0; i < sizeof env / sizeof env[0]; i++)
      if (span_is (t->val, t->vallen, env[i].ref)) {
        v = *(const char *const *) ((const char *) nic + env[i].off);
        break;
      }
    if (i == sizeof env / sizeof env[0])
      *unsure = "a udev rule assigns NAME= a value ferry cannot work out "
        "offline";
  }
  if (v == NULL || !nic_valid_name (v, strlen (v)))
    return 0;
  snprintf (out, 16, "%s", v);
  return 1;
}

/* Apply the rules of one file to the name so far (cur, final). */
static int
rules_apply (const char *text, const struct nic_props *nic, const char *link,
             char cur[16], bool *final, const char **unsure, bool *named)
{
  struct textline *lines;
  struct udev_rule r = { 0 };
  size_t nr;

  if (split_lines (text, &lines, &nr) == -1)
    return -1;
  for (size_t k = 0; k < nr && !*final; k = r.end) {
    const struct udev_tok *nm = NULL;
    bool fits = true, unknown = false;

    if (udev_parse_rule (lines, nr, k, &r) == -1) {
      free (lines);
      free (r.t);
      return -1;
    }
    for (size_t i = 0; i < r.nr; i++)
      if (udev_assigns_name (&r.t[i]))
        nm = &r.t[i];
    if (r.comment || r.bad || nm == NULL)
      continue;
    /* PROGRAM="..." is a match too: the program must succeed.  What
     * cannot be known offline only matters if the rest fits.
     */
    for (size_t i = 0; i < r.nr && fits; i++)
      if (udev_is_match (&r.t[i]) || udev_key_is (&r.t[i], "PROGRAM")) {
        int m = tok_fits (&r.t[i], nic, cur);
        unknown |= m < 0;
        fits = m != 0;
      }
    if (fits && unknown) {
      *unsure = "a udev rule that assigns NAME= matches on something ferry "
        "cannot evaluate offline";
      continue;
    }
    if (fits && name_value (nm, nic, link, cur, unsure)) {
      *final = strcmp (nm->op, ":=") == 0;
      *named = true;
    }
  }
  free (lines);
  free (r.t);
  return 0;
}

int
nic_name_eval (const struct nic_naming *n, const struct nic_props *nic,
               struct nic_name *out)
{
  const struct name_file **eff = NULL;
  char link[16] = "", cur[16] = "";
  const char *link_how = NULL, *link_file = NULL;
  bool final = false;
  int ne, ret = -1;

  memset (out, 0, sizeof *out);
  snprintf (out->name, sizeof out->name, "%s", nic->kernel_name);
  out->how = "kernel name";

  ne = effective (n->links, n->nr_links, link_dirs, &default_link, &eff);
  for (int i = 0; i < ne; i++) {
    struct textline *lines;
    struct ini_line *il;
    size_t nr;
    int fits;

    if (eff[i]->text == NULL)
      continue;
    if (ini_parse (eff[i]->text, &lines, &il, &nr) == -1)
      goto out;
    fits = link_fits (il, nr, nic, &out->unsure);
    if (fits == 1) {
      link_name (il, nr, nic, n->ifnames_off, link, &link_how, &out->unsure);
      link_file = eff[i]->path;
    }
    free (lines);
    free (il);
    if (fits == 1)
      break;
  }
  if (ne < 0)
    goto out;
  free (eff);

  ne = effective (n->rules, n->nr_rules, rules_dirs, &setup_link_rules, &eff);
  for (int i = 0; i < ne && !final; i++) {
    bool named = false;

    if (eff[i]->text == NULL)
      continue;
    if (strcmp (base_name (eff[i]->path), "80-net-setup-link.rules") == 0) {
      if (cur[0] == '\0' && link[0]) {
        memcpy (cur, link, sizeof cur);
        out->how = link_how;
        out->file = link_file;
      }
      continue;
    }
    if (rules_apply (eff[i]->text, nic, link, cur, &final, &out->unsure,
                     &named) == -1)
      goto out;
    if (named) {
      out->how = "NAME=";
      out->file = eff[i]->path;
    }
  }
  if (ne < 0)
    goto out;
  if (cur[0])
    memcpy (out->name, cur, sizeof cur);
  ret = 0;
 out:
  free (eff);
  if (ret == -1)
    errno = ENOMEM;
  return ret;
}

/* Does str fit the glob list of one line? */
int
ini_line_fits (const char *val, size_t len, const char *str)
{
  struct ini_line l = { .val = val, .vallen = len };
  bool positive = false;
  int r = line_globs (&l, str, &positive);

  return r > 0 || (r == 0 && !positive);
}
