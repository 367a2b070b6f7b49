/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: the guest's network configuration moved to the target's NICs,
 * for every network stack the families use (ifupdown, netplan,
 * NetworkManager, systemd-networkd, ifcfg, wicked, cloud-init), and
 * --mac static addresses.
 *
 * First the guest's own names for its NICs are tied to the source's
 * NICs (by MAC where a file names one, else in order), and the files
 * that give those names (.link files, udev rules, set-name:) are moved
 * to the target's NICs: a MAC the target keeps (the kvm target's
 * libvirt XML carries the source's MACs) stays matched; otherwise a
 * name of the guest's own (lan0) is rebound to the target's NIC by its
 * PCI path, and a predictable one (ens192) gives way to the name udev
 * will choose.  Then the name each target NIC gets is worked out from
 * the guest's naming policy (nicname.c), and every config is moved to
 * those names.
 */

#include <config.h>

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "guestfix.h"

static bool
physical_nic_name (const char *s)
{
  /* Interface names are at most 15 characters; "ethernets" is the
   * netplan section, not a NIC.
   */
  if (strlen (s) > 15 || strcmp (s, "ethernets") == 0)
    return false;
  return strncmp (s, "eth", 3) == 0 || strncmp (s, "en", 2) == 0 ||
    strncmp (s, "em", 2) == 0;
}

static bool
in_list (char **list, const char *s)
{
  for (size_t i = 0; list && list[i]; i++)
    if (strcmp (list[i], s) == 0)
      return true;
  return false;
}

/* Add name (cut at ':' or '.' for aliases and VLANs) if new and a NIC's:
 * a kernel or udev name, or one the guest's own files give (custom: lan0).
 */
static void
add_old_name (char ***names, const char *s, size_t len, char **custom)
{
  char name[64];
  size_t k = 0;

  while (k < len && k < sizeof name - 1 && s[k] != ':' && s[k] != '.' &&
         s[k] != '"' && !isspace ((unsigned char) s[k]))
    k++;
  memcpy (name, s, k);
  name[k] = '\0';
  if (k == 0 || !(physical_nic_name (name) || in_list (custom, name)) ||
      in_list (*names, name))
    return;
  string_list_push (names, name);
}

/* Names after "key" on lines of text, e.g. "interface-name=". */
static void
scan_key (char ***names, const char *text, const char *key, char **custom)
{
  size_t klen = strlen (key);

  for (const char *p = text; p && *p; p = strchr (p, '\n') ? strchr (p, '\n') + 1 : NULL) {
    const char *q = p;
    while (*q == ' ' || *q == '\t')
      q++;
    if (strncmp (q, key, klen) == 0) {
      q += klen;
      while (*q == ' ' || *q == '"')
        q++;
      add_old_name (names, q, strcspn (q, "\n"), custom);
    }
  }
}

/* netplan: "    ens160:" keys (indented, name only). */
static void
scan_netplan (char ***names, const char *text, char **custom)
{
  for (const char *p = text; p && *p; p = strchr (p, '\n') ? strchr (p, '\n') + 1 : NULL) {
    const char *q = p;
    size_t n;
    if (*q != ' ')
      continue;
    while (*q == ' ')
      q++;
    n = strcspn (q, ":\n");
    if (q[n] == ':' && (q[n + 1] == '\n' || q[n + 1] == '\0' ||
                        strspn (q + n + 1, " \t") == strcspn (q + n + 1, "\n")))
      add_old_name (names, q, n, custom);
  }
}

/* "ifcfg-ens192" -> "ens192" */
static const char *
ifcfg_name_from_path (const char *path)
{
  const char *base = strrchr (path, '/') ? strrchr (path, '/') + 1 : path;
  return strncmp (base, "ifcfg-", 6) == 0 ? base + 6 : NULL;
}

static bool
is_ifcfg (const char *kind)
{
  return strcmp (kind, "ifcfg") == 0 || strcmp (kind, "wicked") == 0;
}

static bool
is_link (const char *path)
{
  size_t n = strlen (path);
  return n > 5 && strcmp (path + n - 5, ".link") == 0;
}

/* The interface names one config file configures (before renaming). */
static void
scan_config (char ***old, const struct guest_netconf *nc, const char *text,
             char **custom)
{
  if (strcmp (nc->kind, "ifupdown") == 0) {
    CLEANUP_STRING_LIST char **names = NULL;
    if (ifupdown_list_ifaces (text, &names) >= 0)
      for (size_t k = 0; names && names[k]; k++)
        add_old_name (old, names[k], strlen (names[k]), custom);
  }
  else if (strcmp (nc->kind, "netplan") == 0 ||
           strcmp (nc->kind, "cloud-init") == 0)
    scan_netplan (old, text, custom);
  else if (strcmp (nc->kind, "nm") == 0)
    scan_key (old, text, "interface-name=", custom);
  else if (strcmp (nc->kind, "networkd") == 0 && !is_link (nc->path))
    scan_key (old, text, "Name=", custom);
  else if (is_ifcfg (nc->kind)) {
    CLEANUP_FREE char *dev = ifcfg_device (text);
    const char *name = dev ? dev : ifcfg_name_from_path (nc->path);
    if (name)
      add_old_name (old, name, strlen (name), custom);
  }
}

/* Does this (already renamed) config configure interface name? */
static bool
configures (const struct guest_netconf *nc, const char *path, const char *text,
            const char *name, char **custom)
{
  CLEANUP_STRING_LIST char **names = NULL;
  struct guest_netconf tmp = *nc;

  if (is_ifcfg (nc->kind)) {
    const char *n = ifcfg_name_from_path (path);
    return n && strcmp (n, name) == 0;
  }
  if (strcmp (nc->kind, "udev") == 0 || strcmp (nc->kind, "cloud-init") == 0 ||
      is_link (path))
    return false;
  tmp.path = (char *) path;
  scan_config (&names, &tmp, text, custom);
  for (size_t i = 0; names && names[i]; i++)
    if (strcmp (names[i], name) == 0)
      return true;
  return false;
}

static char *
make_static (const char *kind, const char *text, const char *name,
             const struct static_ip *ip, int *changes)
{
  if (strcmp (kind, "ifupdown") == 0)
    return static_ifupdown (text, name, ip, changes);
  if (strcmp (kind, "netplan") == 0)
    return static_netplan (text, name, ip, changes);
  if (strcmp (kind, "nm") == 0)
    return static_nm_keyfile (text, ip, changes);
  if (strcmp (kind, "networkd") == 0)
    return static_networkd (text, ip, changes);
  if (strcmp (kind, "ifcfg") == 0)
    return static_ifcfg (text, ip, changes);
  if (strcmp (kind, "wicked") == 0)
    return static_wicked (text, ip, changes);
  *changes = 0;
  return strdup (text);
}

/* One config file as it will be: its (possibly new) path and text. */
struct netfile {
  const struct guest_netconf *nc;
  char *path;                   /* owned */
  char *before;                 /* owned, NULL if the file is new */
  char *after;                  /* owned */
  const char *reason;
};

static int
netfile_write (guestfs_h *g, struct report *r, bool dry_run,
               const struct netfile *f)
{
  if (f->before == NULL && f->after == NULL)
    return 0;
  /* Renamed ifcfg file: the old name is removed, the new one written. */
  if (f->nc && strcmp (f->nc->path, f->path) != 0) {
    if (gfile_update (g, r, dry_run, f->nc->path, f->before, NULL,
                      "renamed for the target's NIC") == -1 ||
        gfile_update (g, r, dry_run, f->path, NULL, f->after, f->reason) == -1)
      return -1;
    return 0;
  }
  return gfile_update (g, r, dry_run, f->path, f->before, f->after, f->reason);
}

/* A new config for a NIC that no file configures, in the stack the
 * guest uses.
 */
static int
new_static_config (guestfs_h *g, struct guest *gu, const char *name,
                   struct netfile *f)
{
  const char *kind = NULL;

  for (size_t i = 0; i < gu->nr_netconfs && kind == NULL; i++)
    if (strcmp (gu->netconfs[i].kind, "udev") != 0)
      kind = gu->netconfs[i].kind;
  if (kind == NULL && guestfs_is_dir (g, "/etc/sysconfig/network-scripts") > 0)
    kind = "ifcfg";
  if (kind == NULL && guestfs_is_dir (g, "/etc/network") > 0)
    kind = "ifupdown";
  memset (f, 0, sizeof *f);
  f->reason = "static address from --mac";
  if (kind && strcmp (kind, "ifupdown") == 0) {
    if (asprintf (&f->path, "/etc/network/interfaces.d/%s", name) == -1 ||
        asprintf (&f->after, "auto %s\niface %s inet dhcp\n", name, name) == -1)
      return -1;
    return 0;
  }
  if (kind && is_ifcfg (kind)) {
    const char *dir = strcmp (kind, "ifcfg") == 0
      ? "/etc/sysconfig/network-scripts" : "/etc/sysconfig/network";
    if (asprintf (&f->path, "%s/ifcfg-%s", dir, name) == -1 ||
        asprintf (&f->after, strcmp (kind, "ifcfg") == 0
                  ? "DEVICE=%s\nTYPE=Ethernet\nONBOOT=yes\nBOOTPROTO=dhcp\n"
                  : "NAME='%s'\nSTARTMODE='auto'\nBOOTPROTO='dhcp'\n",
                  name) == -1)
      return -1;
    return 0;
  }
  if (kind)
    error ("--mac: nothing in the guest configures %s, and ferry does not "
           "create new %s configurations: add one for it first", name, kind);
  else
    error ("--mac: the guest has no network configuration for %s to make "
           "static, and ferry cannot tell which network stack it uses", name);
  return -2;
}

/* What one source NIC is to the guest, and what it becomes. */
struct nicplan {
  const char *name;             /* the guest's name for it, or NULL */
  char *mac;                    /* the MAC the guest binds it to (owned) */
  bool by_order;                /* tied to the NIC by order, not by MAC */
  bool bound;                   /* a .link, udev rule or set-name: gives it */
  bool carried;                 /* ... and the target NIC keeps that MAC */
  bool setname;                 /* the name comes from a set-name: */
  bool survives;                /* the name stays on the target */
  char new_name[16];
  struct target_nic tn;         /* the target NIC */
};

/* Tie the guest's NIC names (old, the first nr_used of them used by
 * configs) to the source's NICs and say so when the order decided
 * between NICs, or a used name is left over.
 */
static int
map_names (const struct fix_params *p, struct report *r, char **old,
           size_t nr_used, const struct nic_binding *b, size_t nb,
           const struct netfile *files, size_t nr_files, char **custom,
           struct nicplan *pl)
{
  const char **macs = calloc (p->nr_nics + 1, sizeof *macs);
  const char **texts = calloc (nr_files + 1, sizeof *texts);
  char ***tnames = calloc (nr_files + 1, sizeof *tnames);
  struct nic_tie *tie = calloc (p->nr_nics + 1, sizeof *tie);
  struct sbuf ordered = SBUF_INIT;
  int rc = -1, unsure = 0;

  if (!macs || !texts || !tnames || !tie)
    goto nomem;
  for (size_t i = 0; i < p->nr_nics; i++)
    macs[i] = p->nics[i].mac;
  for (size_t f = 0; f < nr_files; f++) {
    texts[f] = files[f].before;
    scan_config (&tnames[f], files[f].nc, files[f].before, custom);
  }
  unsure = nic_tie_names (old, nr_used, b, nb, macs, p->nr_nics, texts,
                          tnames, nr_files, tie);
  if (unsure == -1)
    goto nomem;
  for (size_t i = 0; i < p->nr_nics; i++) {
    pl[i].name = tie[i].name;
    pl[i].mac = tie[i].mac;
    pl[i].by_order = tie[i].by_order;
    pl[i].bound = tie[i].bound;
    if (tie[i].by_order)
      sbuf_printf (&ordered, "%s%s", ordered.len ? ", " : "", tie[i].name);
  }
  for (size_t o = 0; o < nr_used; o++) {
    bool tied = false;
    for (size_t i = 0; i < p->nr_nics; i++)
      tied |= pl[i].name == old[o];
    if (!tied)
      report_warning (r, "the guest configures interface %s, but the target "
                      "has only %zu NIC(s): left as it is", old[o], p->nr_nics);
  }
  if (unsure)
    report_warning (r, "the guest's network cannot be mapped with confidence: "
                    "no MAC ties %s to the source VM's NICs, so ferry gave "
                    "them to the target's NICs in order", ordered.s);
  rc = 0;
  goto out;
 nomem:
  error ("fix network: %m");
 out:
  for (size_t f = 0; tnames && f < nr_files; f++)
    free_string_list (tnames[f]);
  sbuf_free (&ordered);
  free (macs);
  free (texts);
  free (tnames);
  free (tie);
  return rc;
}

/* Append the bindings of text to *b. */
static int
add_bindings (const char *text, char kind, struct nic_binding **b, size_t *nb,
              char ***names)
{
  struct nic_binding *v;
  size_t n;

  if (text == NULL)
    return 0;
  if (nic_bindings (text, kind, &v, &n) == -1)
    return -1;
  for (size_t i = 0; i < n; i++) {
    struct nic_binding *w = realloc (*b, (*nb + 1) * sizeof *w);
    if (w == NULL) {
      nic_bindings_free (v, n);
      return -1;
    }
    *b = w;
    w[(*nb)++] = v[i];
    if (!in_list (*names, v[i].name))
      string_list_push (names, v[i].name);
    v[i].name = v[i].mac = NULL;
  }
  nic_bindings_free (v, n);
  return 0;
}

/* The name on the target of interface name (NAME, NAME.VLAN, NAME:N)
 * into buf, or name itself.
 */
static const char *
renamed (const char *name, const struct nicmap *map, size_t nr,
         char *buf, size_t size)
{
  for (size_t m = 0; name && m < nr; m++) {
    size_t n = map[m].old_name ? strlen (map[m].old_name) : 0;
    if (n && map[m].new_name && strncmp (name, map[m].old_name, n) == 0 &&
        (name[n] == '\0' || name[n] == '.' || name[n] == ':')) {
      snprintf (buf, size, "%s%s", map[m].new_name, name + n);
      return buf;
    }
  }
  return name;
}

/* Move one config file to the target's NIC names. */
static int
move_config (struct netfile *f, const struct nicmap *map, size_t nr,
             struct report *r)
{
  const char *kind = f->nc->kind;
  int changes = 0;

  f->reason = "move the configuration to the target's NIC";
  if (strcmp (kind, "ifupdown") == 0)
    f->after = rewrite_ifupdown (f->before, map, nr, &changes);
  else if (strcmp (kind, "netplan") == 0)
    f->after = rewrite_netplan (f->before, map, nr, &changes);
  else if (strcmp (kind, "cloud-init") == 0 && strstr (f->before, "ethernets")) {
    f->after = rewrite_netplan (f->before, map, nr, &changes);
    f->reason = "move cloud-init's network config to the target's NIC";
  }
  else if (strcmp (kind, "cloud-init") == 0) {
    for (size_t m = 0; m < nr; m++)
      if (map[m].old_name && ((map[m].new_name && strcmp (map[m].new_name, map[m].old_name) &&
                               strstr (f->before, map[m].old_name)) ||
                              (map[m].old_mac && !map[m].new_mac &&
                               strcasestr (f->before, map[m].old_mac)))) {
        report_warning (r, "cloud-init's network config \"%s\" is version 1, "
                        "which ferry does not rewrite: it may not name the "
                        "target's NICs", f->path);
        break;
      }
    f->after = strdup (f->before);
  }
  else if (strcmp (kind, "nm") == 0)
    f->after = rewrite_nm_keyfile (f->before, map, nr, &changes);
  else if (strcmp (kind, "networkd") == 0)
    f->after = rewrite_networkd (f->before, map, nr, &changes);
  else if (is_ifcfg (kind)) {
    CLEANUP_FREE char *dev = ifcfg_device (f->before);
    const char *name = dev ? dev : ifcfg_name_from_path (f->path);
    char buf[64];
    const char *to = renamed (name, map, nr, buf, sizeof buf);

    f->after = rewrite_ifcfg_nics (f->before, name ? name : "", map, nr, &changes);
    /* The file name is the interface name for the network scripts. */
    if (f->after && to && name && strcmp (to, name) != 0 &&
        ifcfg_name_from_path (f->path)) {
      char *np = NULL;
      int dirlen = (int) (ifcfg_name_from_path (f->path) - f->path);
      if (asprintf (&np, "%.*s%s", dirlen, f->path, to) == -1)
        return -1;
      free (f->path);
      f->path = np;
    }
  }
  else
    f->after = strdup (f->before);
  if (f->after == NULL)
    return -1;
  /* A MAC of the source that the target does not keep, still bound. */
  for (size_t m = 0; m < nr; m++)
    if (map[m].old_mac && !map[m].new_mac && strcmp (kind, "cloud-init") != 0 &&
        strcasestr (f->after, map[m].old_mac))
      report_warning (r, "\"%s\" still names MAC %s, which the target's NIC "
                      "will not have", f->path, map[m].old_mac);
  return 0;
}

int
fix_network (guestfs_h *g, struct guest *gu, const struct fix_params *p,
             struct report *r)
{
  CLEANUP_STRING_LIST char **old = NULL, **custom = NULL, **setnames = NULL;
  CLEANUP_STRING_LIST char **ci = NULL;
  struct namefiles links = { 0 }, rules = { 0 };
  struct nic_binding *b = NULL;
  size_t nb = 0, nr_ci, nr_files = 0, nr_used;
  struct guest_netconf *cinc = NULL;
  struct netfile *files = NULL;
  struct nicplan *pl = NULL;
  struct nicmap *map = NULL;
  struct nic_props *props = NULL;
  struct nic_naming naming;
  bool ifnames_off = false;
  int ret = -1;

  /* Does the guest use kernel names (eth0) instead of predictable ones? */
  {
    static const char *const cfgs[] = {
      "/etc/default/grub", "/boot/grub/grub.cfg", "/boot/grub2/grub.cfg",
      "/boot/grub2/grubenv", NULL
    };
    for (size_t i = 0; cfgs[i]; i++) {
      bool exists;
      CLEANUP_FREE char *t = gfile_read (g, cfgs[i], &exists);
      if (t && cmdline_disables_ifnames (t))
        ifnames_off = true;
    }
  }

  if ((ci = cloudinit_network_files (g)) == NULL)
    return -1;
  nr_ci = string_list_len (ci);
  cinc = calloc (nr_ci + 1, sizeof *cinc);
  files = calloc (gu->nr_netconfs + nr_ci + p->nr_mac_ips + 1, sizeof *files);
  pl = calloc (p->nr_nics + 1, sizeof *pl);
  map = calloc (p->nr_nics + 1, sizeof *map);
  props = calloc (p->nr_nics + 1, sizeof *props);
  if (!cinc || !files || !pl || !map || !props)
    goto nomem;

  /* The configs; .link files and udev rules are the naming policy's. */
  for (size_t i = 0; i < gu->nr_netconfs + nr_ci; i++) {
    const struct guest_netconf *nc = &gu->netconfs[i];
    struct netfile *f = &files[nr_files];
    bool exists;

    if (i >= gu->nr_netconfs) {
      cinc[i - gu->nr_netconfs].path = ci[i - gu->nr_netconfs];
      cinc[i - gu->nr_netconfs].kind = "cloud-init";
      nc = &cinc[i - gu->nr_netconfs];
    }
    if (strcmp (nc->kind, "udev") == 0 ||
        (strcmp (nc->kind, "networkd") == 0 && is_link (nc->path)))
      continue;
    f->before = gfile_read (g, nc->path, &exists);
    if (f->before == NULL) {
      if (exists)
        goto out;
      continue;
    }
    if (strcmp (nc->kind, "cloud-init") == 0 &&
        !strstr (f->before, "ethernets") && !strstr (f->before, "mac_address")) {
      free (f->before);
      f->before = NULL;
      continue;
    }
    f->nc = nc;
    if ((f->path = strdup (nc->path)) == NULL)
      goto nomem;
    nr_files++;
  }

  /* The names the guest's own files give, and the names configs use. */
  if (!p->kernel_nic_names && namefiles_read (g, &links, &rules) == -1)
    goto out;
  for (size_t i = 0; i < links.nr; i++)
    if (add_bindings (links.f[i].text, 'l', &b, &nb, &custom) == -1)
      goto nomem;
  for (size_t i = 0; i < rules.nr; i++)
    if (add_bindings (rules.f[i].text, 'u', &b, &nb, &custom) == -1)
      goto nomem;
  for (size_t i = 0; i < nr_files; i++)
    if ((strcmp (files[i].nc->kind, "netplan") == 0 ||
         strcmp (files[i].nc->kind, "cloud-init") == 0) &&
        add_bindings (files[i].before, 'n', &b, &nb, &setnames) == -1)
      goto nomem;
  for (size_t i = 0; setnames && setnames[i]; i++)
    if (!in_list (custom, setnames[i]))
      string_list_push (&custom, setnames[i]);
  for (size_t i = 0; i < nr_files; i++)
    scan_config (&old, files[i].nc, files[i].before, custom);
  nr_used = string_list_len (old);
  for (size_t i = 0; custom && custom[i]; i++)
    if (!in_list (old, custom[i]))
      string_list_push (&old, custom[i]);
  if (old == NULL && (old = calloc (1, sizeof *old)) == NULL)
    goto nomem;
  if (map_names (p, r, old, nr_used, b, nb, files, nr_files, custom, pl) == -1)
    goto out;

  /* What each name becomes: a MAC the target keeps stays matched; a
   * name of the guest's own stays, rebound to the target's NIC.
   */
  for (size_t i = 0; i < p->nr_nics; i++) {
    struct nicplan *n = &pl[i];
    const char *mac = p->nics[i].mac;

    target_nic_props (p->target, i, mac, &n->tn);
    props[i] = n->tn.props;
    n->carried = target_keeps_macs (p->target) && mac && n->mac &&
      strcasecmp (mac, n->mac) == 0;
    n->setname = n->name && in_list (setnames, n->name);
    n->survives = n->name && n->bound &&
      (n->carried || !physical_nic_name (n->name));
    map[i] = (struct nicmap) {
      n->name, n->mac, n->survives ? n->name : NULL,
      n->carried ? mac : NULL, NULL, NULL
    };
  }
  if (namefiles_move (&links, "/etc/systemd/network/", map, props, p->nr_nics, true) == -1 ||
      namefiles_move (&rules, "/etc/udev/rules.d/", map, props, p->nr_nics, false) == -1)
    goto nomem;

  /* The name udev gives each target NIC: slot-based on the target's bus
   * layout, ethN with predictable names off, or the guest's own.
   */
  naming = (struct nic_naming) {
    links.f, links.nr, rules.f, rules.nr, ifnames_off
  };
  for (size_t i = 0; i < p->nr_nics; i++) {
    struct nicplan *n = &pl[i];
    struct nic_name nn;

    if (p->kernel_nic_names)
      snprintf (n->new_name, sizeof n->new_name, "%s", n->tn.kernel);
    else {
      if (nic_name_eval (&naming, &props[i], &nn) == -1)
        goto nomem;
      snprintf (n->new_name, sizeof n->new_name, "%s", nn.name);
      /* netplan's set-name works through a .link file of its own. */
      if (n->survives && n->setname && strcmp (nn.how, "Name=") != 0 &&
          strcmp (nn.how, "NAME=") != 0)
        snprintf (n->new_name, sizeof n->new_name, "%s", n->name);
      if (nn.unsure)
        report_warning (r, "cannot tell for sure which name the guest gives "
                        "the target's NIC %zu: %s; ferry assumes %s",
                        i + 1, nn.unsure, n->new_name);
    }
    if (string_list_push (&r->nic_names, n->new_name) == -1)
      goto nomem;
    map[i].new_name = n->name ? n->new_name : NULL;
    if (n->survives && !n->carried) {
      bool one = p->nr_nics == 1 && props[i].driver;
      map[i].match_key = one ? "driver" : "name";
      map[i].match_val = one ? props[i].driver : n->tn.kernel;
    }
  }

  for (size_t i = 0; i < nr_files; i++)
    if (move_config (&files[i], map, p->nr_nics, r) == -1)
      goto nomem;

  /* --mac MAC:ip:...: the NIC that had MAC keeps a static address. */
  for (size_t m = 0; m < p->nr_mac_ips; m++) {
    const struct mac_ip *mi = &p->mac_ips[m];
    const char *name = NULL;
    bool done = false;

    for (size_t i = 0; i < p->nr_nics; i++)
      if (p->nics[i].mac && strcasecmp (p->nics[i].mac, mi->mac) == 0)
        name = r->nic_names[i];
    if (name == NULL) {
      error ("--mac %s: the source VM has no NIC with this MAC", mi->mac);
      goto out;
    }
    for (size_t i = 0; i < nr_files + 1 && !done; i++) {
      struct netfile *f = &files[i];
      char *t;
      int changes = 0;
      if (i == nr_files) {
        /* Nothing configures it: a stanza in /etc/network/interfaces
         * (busybox ifupdown reads no interfaces.d), else a new file.
         */
        int rc;
        for (size_t j = 0; j < nr_files && !done; j++)
          if (strcmp (files[j].nc->kind, "ifupdown") == 0 &&
              strcmp (files[j].path, "/etc/network/interfaces") == 0) {
            t = static_ifupdown (files[j].after, name, &mi->ip, &changes);
            if (t == NULL)
              goto nomem;
            free (files[j].after);
            files[j].after = t;
            files[j].reason = "static address from --mac";
            done = true;
          }
        if (done)
          break;
        rc = new_static_config (g, gu, name, f);
        if (rc == -2)
          goto out;
        if (rc == -1)
          goto nomem;
        nr_files++;
      }
      else if (f->nc == NULL ||
               !configures (f->nc, f->path, f->after, name, custom))
        continue;
      t = make_static (f->nc ? f->nc->kind
                       : strstr (f->path, "interfaces.d") ? "ifupdown"
                       : strstr (f->path, "network-scripts") ? "ifcfg" : "wicked",
                       f->after, name, &mi->ip, &changes);
      if (t == NULL)
        goto nomem;
      free (f->after);
      f->after = t;
      f->reason = "static address from --mac";
      done = true;
    }
  }

  for (size_t i = 0; i < nr_files; i++)
    if (netfile_write (g, r, p->dry_run, &files[i]) == -1)
      goto out;
  if (namefiles_write (g, r, p->dry_run, &links,
                    "bind the guest's name for its NIC to the target's NIC") == -1 ||
      namefiles_write (g, r, p->dry_run, &rules,
                    "bind the guest's NIC names to the target's NICs; source "
                    "MACs the target does not keep do not exist there") == -1)
    goto out;
  ret = 0;
  goto out;
 nomem:
  error ("fix network: %m");
 out:
  for (size_t i = 0; files && i < gu->nr_netconfs + nr_ci + p->nr_mac_ips; i++) {
    free (files[i].path);
    free (files[i].before);
    free (files[i].after);
  }
  for (size_t i = 0; pl && i < p->nr_nics; i++)
    free (pl[i].mac);
  free (files);
  free (cinc);
  free (pl);
  free (map);
  free (props);
  nic_bindings_free (b, nb);
  namefiles_free (&links);
  namefiles_free (&rules);
  return ret;
}
