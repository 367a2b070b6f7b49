/* ferry: the guest's network configuration moved to the target's NICs,
 * for every network stack the families use (ifupdown, netplan,
 * NetworkManager, systemd-networkd, ifcfg, wicked, udev rules), and
 * --mac static addresses.
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

/* Add name (cut at ':' or '.' for aliases and VLANs) if new. */
static void
add_old_name (char ***names, const char *s, size_t len)
{
  char name[64];
  size_t k = 0;

  while (k < len && k < sizeof name - 1 && s[k] != ':' && s[k] != '.' &&
         s[k] != '"' && !isspace ((unsigned char) s[k]))
    k++;
  memcpy (name, s, k);
  name[k] = '\0';
  if (k == 0 || !physical_nic_name (name))
    return;
  for (size_t i = 0; *names && (*names)[i]; i++)
    if (strcmp ((*names)[i], name) == 0)
      return;
  string_list_push (names, name);
}

/* Names after "key" on lines of text, e.g. "interface-name=". */
static void
scan_key (char ***names, const char *text, const char *key)
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
      add_old_name (names, q, strcspn (q, "\n"));
    }
  }
}

/* netplan: "    ens160:" keys (indented, name only). */
static void
scan_netplan (char ***names, const char *text)
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
      add_old_name (names, q, n);
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

/* The interface names one config file configures (before renaming). */
static void
scan_config (char ***old, const struct guest_netconf *nc, const char *text)
{
  if (strcmp (nc->kind, "ifupdown") == 0) {
    CLEANUP_STRING_LIST char **names = NULL;
    if (ifupdown_list_ifaces (text, &names) >= 0)
      for (size_t k = 0; names && names[k]; k++)
        add_old_name (old, names[k], strlen (names[k]));
  }
  else if (strcmp (nc->kind, "netplan") == 0)
    scan_netplan (old, text);
  else if (strcmp (nc->kind, "nm") == 0)
    scan_key (old, text, "interface-name=");
  else if (strcmp (nc->kind, "networkd") == 0)
    scan_key (old, text, "Name=");
  else if (strcmp (nc->kind, "udev") == 0)
    scan_key (old, text, "NAME=");
  else if (is_ifcfg (nc->kind)) {
    CLEANUP_FREE char *dev = ifcfg_device (text);
    const char *name = dev ? dev : ifcfg_name_from_path (nc->path);
    if (name)
      add_old_name (old, name, strlen (name));
  }
}

/* Does this (already renamed) config configure interface name? */
static bool
configures (const struct guest_netconf *nc, const char *path, const char *text,
            const char *name)
{
  CLEANUP_STRING_LIST char **names = NULL;
  struct guest_netconf tmp = *nc;

  if (is_ifcfg (nc->kind)) {
    const char *n = ifcfg_name_from_path (path);
    return n && strcmp (n, name) == 0;
  }
  if (strcmp (nc->kind, "udev") == 0)
    return false;
  tmp.path = (char *) path;
  scan_config (&names, &tmp, text);
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

int
fix_network (guestfs_h *g, struct guest *gu, const struct fix_params *p,
             struct report *r)
{
  CLEANUP_STRING_LIST char **old = NULL;
  struct netfile *files = calloc (gu->nr_netconfs + p->nr_mac_ips + 1,
                                  sizeof *files);
  size_t nr_files = 0;
  struct nicmap *map = NULL;
  size_t nr_map = 0;
  bool ifnames_off = false;
  int ret = -1;

  if (files == NULL) {
    error ("fix network: %m");
    return -1;
  }
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

  for (size_t i = 0; i < gu->nr_netconfs; i++) {
    const struct guest_netconf *nc = &gu->netconfs[i];
    struct netfile *f = &files[nr_files];
    bool exists;

    f->before = gfile_read (g, nc->path, &exists);
    if (f->before == NULL) {
      if (exists)
        goto out;
      continue;
    }
    f->nc = nc;
    if ((f->path = strdup (nc->path)) == NULL) {
      error ("fix network: %m");
      goto out;
    }
    scan_config (&old, nc, f->before);
    nr_files++;
  }

  /* Target NIC i gets the name the guest's udev will give it: slot-based
   * on the target's bus layout, or ethN with predictable names off.
   */
  for (size_t i = 0; i < p->nr_nics; i++) {
    char name[32];
    if (ifnames_off || p->kernel_nic_names)
      snprintf (name, sizeof name, "eth%zu", i);
    else
      snprintf (name, sizeof name, "%s%u", p->target->nic_prefix,
                p->target->nic_first_slot + (unsigned) i);
    string_list_push (&r->nic_names, name);
  }
  map = calloc (p->nr_nics + 1, sizeof *map);
  if (map == NULL) {
    error ("fix network: %m");
    goto out;
  }
  for (size_t i = 0; old && old[i]; i++) {
    if (i >= p->nr_nics) {
      report_warning (r, "the guest configures interface %s, but the target "
                      "has only %zu NIC(s): left as it is", old[i], p->nr_nics);
      continue;
    }
    if (strcmp (old[i], r->nic_names[i]) == 0)
      continue;
    /* Match by name, not MAC: the configuration then works whatever MAC
     * the target assigns.
     */
    map[nr_map].old_name = old[i];
    map[nr_map].new_name = r->nic_names[i];
    nr_map++;
  }

  for (size_t i = 0; i < nr_files; i++) {
    struct netfile *f = &files[i];
    const char *kind = f->nc->kind;
    int changes = 0;

    f->reason = "move the configuration to the target's NIC";
    if (strcmp (kind, "ifupdown") == 0)
      f->after = rewrite_ifupdown (f->before, map, nr_map, &changes);
    else if (strcmp (kind, "netplan") == 0)
      f->after = rewrite_netplan (f->before, map, nr_map, &changes);
    else if (strcmp (kind, "nm") == 0)
      f->after = rewrite_nm_keyfile (f->before, map, nr_map, &changes);
    else if (strcmp (kind, "networkd") == 0)
      f->after = rewrite_networkd (f->before, map, nr_map, &changes);
    else if (strcmp (kind, "udev") == 0) {
      f->after = rewrite_persistent_net_rules (f->before, &changes);
      f->reason = "source MACs do not exist on the target";
    }
    else if (is_ifcfg (kind)) {
      CLEANUP_FREE char *dev = ifcfg_device (f->before);
      const char *name = dev ? dev : ifcfg_name_from_path (f->path);
      const char *to = name;
      for (size_t m = 0; name && m < nr_map; m++)
        if (strcmp (map[m].old_name, name) == 0)
          to = map[m].new_name;
      f->after = rewrite_ifcfg (f->before, name ? name : "", to ? to : "",
                                &changes);
      /* The file name is the interface name for the network scripts. */
      if (f->after && to && name && strcmp (to, name) != 0 &&
          ifcfg_name_from_path (f->path)) {
        char *np = NULL;
        int dirlen = (int) (ifcfg_name_from_path (f->path) - f->path);
        if (asprintf (&np, "%.*s%s", dirlen, f->path, to) == -1)
          goto nomem;
        free (f->path);
        f->path = np;
      }
    }
    else
      f->after = strdup (f->before);
    if (f->after == NULL)
      goto nomem;
  }

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
               !configures (f->nc, f->path, f->after, name))
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
  ret = 0;
  goto out;
 nomem:
  error ("fix network: %m");
 out:
  for (size_t i = 0; i < gu->nr_netconfs + p->nr_mac_ips; i++) {
    free (files[i].path);
    free (files[i].before);
    free (files[i].after);
  }
  free (files);
  free (map);
  return ret;
}
