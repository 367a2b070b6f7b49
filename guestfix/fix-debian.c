/* ferry: fixes for the Debian family (Debian, Ubuntu and derivatives):
 * stable device names, the network moved to the target's NIC, the old
 * hypervisor's tools removed, and an initramfs that has the target's
 * drivers.
 */

#include <config.h>

#include <ctype.h>
#include <string.h>

#include "guestfix.h"

static bool
debian_matches (const struct guest *gu)
{
  static const char *const family[] = {
    "debian", "ubuntu", "linuxmint", "kalilinux", "pop", "devuan", NULL
  };

  if (gu->type == NULL || strcmp (gu->type, "linux") != 0 || gu->distro == NULL)
    return false;
  for (size_t i = 0; family[i]; i++)
    if (strcmp (gu->distro, family[i]) == 0)
      return true;
  return false;
}

/* ---------------------------------------------------------------- */
/* Block devices: what the source called /dev/sda1 becomes UUID=... */

struct devmaps {
  struct devmap *m;
  size_t n;
  char **strings;               /* storage for the map's strings */
};

static void
devmaps_free (struct devmaps *d)
{
  free (d->m);
  free_string_list (d->strings);
}

static int
devmaps_add (struct devmaps *d, const char *from, const char *to)
{
  struct devmap *m = realloc (d->m, (d->n + 1) * sizeof *m);
  size_t k;

  if (m == NULL || string_list_push (&d->strings, from) == -1 ||
      string_list_push (&d->strings, to) == -1)
    return -1;
  d->m = m;
  k = string_list_len (d->strings);
  /* Pointers into d->strings stay valid: realloc moves the array of
   * pointers, not the strings.
   */
  m[d->n].from = d->strings[k - 2];
  m[d->n].to = d->strings[k - 1];
  d->n++;
  return 0;
}

/* The appliance sees the disks in the order they were added, as
 * /dev/sda, /dev/sdb ...: the same order as on the source.  The source
 * may have called them sdX (SCSI, SATA, PVSCSI), hdX (IDE) or xvdX.
 */
static int
build_devmap (guestfs_h *g, struct devmaps *d)
{
  CLEANUP_STRING_LIST char **fss = guestfs_list_filesystems (g);

  if (fss == NULL) {
    error ("list the guest's filesystems: %s", guestfs_last_error (g));
    return -1;
  }
  for (size_t i = 0; fss[i]; i += 2) {
    const char *dev = fss[i];
    CLEANUP_FREE char *uuid = NULL;
    char to[128];
    static const char *const prefixes[] = { "sd", "hd", "xvd", NULL };

    if (strncmp (dev, "/dev/sd", 7) != 0 || strcmp (fss[i + 1], "unknown") == 0)
      continue;
    uuid = guestfs_vfs_uuid (g, dev);
    if (uuid == NULL || *uuid == '\0')
      continue;
    snprintf (to, sizeof to, "UUID=%s", uuid);
    for (size_t p = 0; prefixes[p]; p++) {
      char from[64];
      snprintf (from, sizeof from, "/dev/%s%s", prefixes[p], dev + 7);
      if (devmaps_add (d, from, to) == -1) {
        error ("map guest devices: %m");
        return -1;
      }
    }
  }
  return 0;
}

typedef char *(*dev_rewriter) (const char *, const struct devmap *, size_t, int *);

static int
rewrite_dev_file (guestfs_h *g, struct report *r, bool dry_run,
                  const char *path, dev_rewriter fn, const struct devmaps *d,
                  const char *reason, int *changes)
{
  bool exists;
  CLEANUP_FREE char *before = gfile_read (g, path, &exists);
  CLEANUP_FREE char *after = NULL;

  *changes = 0;
  if (!exists)
    return 0;
  if (before == NULL)
    return -1;
  after = fn (before, d->m, d->n, changes);
  if (after == NULL) {
    error ("rewrite \"%s\": %m", path);
    return -1;
  }
  if (*changes == 0)
    return 0;
  return gfile_update (g, r, dry_run, path, before, after, reason);
}

static int
fix_devices (guestfs_h *g, const struct fix_params *p, struct report *r,
             bool *resume_changed)
{
  struct devmaps d = { 0 };
  int changes, ret = -1;

  if (build_devmap (g, &d) == -1)
    goto out;
  if (rewrite_dev_file (g, r, p->dry_run, "/etc/fstab", rewrite_fstab, &d,
                        "device names change on the target: mount by UUID",
                        &changes) == -1 ||
      rewrite_dev_file (g, r, p->dry_run, "/boot/grub/grub.cfg",
                        rewrite_cmdline_devices, &d,
                        "kernel root= and resume= by UUID", &changes) == -1 ||
      rewrite_dev_file (g, r, p->dry_run, "/etc/default/grub",
                        rewrite_cmdline_devices, &d,
                        "keep root= and resume= by UUID on update-grub",
                        &changes) == -1)
    goto out;
  if (rewrite_dev_file (g, r, p->dry_run, "/etc/initramfs-tools/conf.d/resume",
                        rewrite_resume_conf, &d,
                        "resume device by UUID", &changes) == -1)
    goto out;
  /* The resume device is baked into the initramfs. */
  *resume_changed = changes > 0;
  ret = 0;
 out:
  devmaps_free (&d);
  return ret;
}

/* ---------------------------------------------------------------- */
/* Network. */

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

static int
fix_network (guestfs_h *g, struct guest *gu, const struct fix_params *p,
             struct report *r)
{
  CLEANUP_STRING_LIST char **old = NULL;
  char **texts = calloc (gu->nr_netconfs + 1, sizeof *texts);
  struct nicmap *map = NULL;
  size_t nr_map = 0;
  bool ifnames_off = false;
  int ret = -1;

  if (texts == NULL) {
    error ("fix network: %m");
    return -1;
  }
  /* Does the guest use kernel names (eth0) instead of predictable ones? */
  {
    static const char *const files[] = { "/etc/default/grub", "/boot/grub/grub.cfg", NULL };
    for (size_t i = 0; files[i]; i++) {
      bool exists;
      CLEANUP_FREE char *t = gfile_read (g, files[i], &exists);
      if (t && cmdline_disables_ifnames (t))
        ifnames_off = true;
    }
  }

  for (size_t i = 0; i < gu->nr_netconfs; i++) {
    const struct guest_netconf *nc = &gu->netconfs[i];
    bool exists;

    texts[i] = gfile_read (g, nc->path, &exists);
    if (texts[i] == NULL) {
      if (exists)
        goto out;
      continue;
    }
    if (strcmp (nc->kind, "ifupdown") == 0) {
      CLEANUP_STRING_LIST char **names = NULL;
      if (ifupdown_list_ifaces (texts[i], &names) >= 0)
        for (size_t k = 0; names && names[k]; k++)
          add_old_name (&old, names[k], strlen (names[k]));
    }
    else if (strcmp (nc->kind, "netplan") == 0)
      scan_netplan (&old, texts[i]);
    else if (strcmp (nc->kind, "nm") == 0)
      scan_key (&old, texts[i], "interface-name=");
    else if (strcmp (nc->kind, "networkd") == 0)
      scan_key (&old, texts[i], "Name=");
    else if (strcmp (nc->kind, "udev") == 0)
      scan_key (&old, texts[i], "NAME=");
  }

  /* Target NIC i gets the name the guest's udev will give it: slot-based
   * on the target's bus layout, or ethN with predictable names off.
   */
  for (size_t i = 0; i < p->nr_nics; i++) {
    char name[32];
    if (ifnames_off)
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

  for (size_t i = 0; i < gu->nr_netconfs; i++) {
    const struct guest_netconf *nc = &gu->netconfs[i];
    CLEANUP_FREE char *after = NULL;
    int changes = 0;

    if (texts[i] == NULL)
      continue;
    if (strcmp (nc->kind, "ifupdown") == 0)
      after = rewrite_ifupdown (texts[i], map, nr_map, &changes);
    else if (strcmp (nc->kind, "netplan") == 0)
      after = rewrite_netplan (texts[i], map, nr_map, &changes);
    else if (strcmp (nc->kind, "nm") == 0)
      after = rewrite_nm_keyfile (texts[i], map, nr_map, &changes);
    else if (strcmp (nc->kind, "networkd") == 0)
      after = rewrite_networkd (texts[i], map, nr_map, &changes);
    else if (strcmp (nc->kind, "udev") == 0)
      after = rewrite_persistent_net_rules (texts[i], &changes);
    if (after == NULL) {
      error ("rewrite \"%s\": %m", nc->path);
      goto out;
    }
    if (changes > 0 &&
        gfile_update (g, r, p->dry_run, nc->path, texts[i], after,
                      strcmp (nc->kind, "udev") == 0
                      ? "source MACs do not exist on the target"
                      : "move the configuration to the target's NIC") == -1)
      goto out;
  }
  ret = 0;
 out:
  for (size_t i = 0; i < gu->nr_netconfs; i++)
    free (texts[i]);
  free (texts);
  free (map);
  return ret;
}

/* ---------------------------------------------------------------- */
/* The old hypervisor's tools. */

static bool
is_vmware_tools (const char *pkg)
{
  return strncmp (pkg, "open-vm-tools", 13) == 0 ||
    strncmp (pkg, "vmware-tools", 12) == 0;
}

static int
remove_tools (guestfs_h *g, struct guest *gu, const struct fix_params *p,
              struct report *r)
{
  const char **argv;
  size_t n = 0, k = 0;
  CLEANUP_FREE char *out = NULL;

  for (size_t i = 0; gu->packages && gu->packages[i]; i++)
    if (is_vmware_tools (gu->packages[i]))
      n++;
  if (n == 0)
    return 0;
  argv = calloc (n + 5, sizeof *argv);
  if (argv == NULL) {
    error ("remove VMware tools: %m");
    return -1;
  }
  argv[k++] = "/usr/bin/env";
  argv[k++] = "DEBIAN_FRONTEND=noninteractive";
  argv[k++] = "dpkg";
  argv[k++] = "--purge";
  for (size_t i = 0; gu->packages[i]; i++)
    if (is_vmware_tools (gu->packages[i]))
      argv[k++] = gu->packages[i];
  argv[k] = NULL;

  if (!p->dry_run) {
    out = grun (g, "remove VMware tools with dpkg --purge", argv);
    if (out == NULL) {
      /* The guest still boots with them installed: warn, don't fail. */
      report_warning (r, "could not remove VMware tools: %s", last_error ());
      free (argv);
      return 0;
    }
  }
  for (size_t i = 4; i < k; i++)
    string_list_push (&r->packages_removed, argv[i]);
  free (argv);
  return 0;
}

/* ---------------------------------------------------------------- */
/* The initramfs. */

static bool
module_available (guestfs_h *g, const struct guest_kernel *k, const char *mod)
{
  CLEANUP_FREE char *path = NULL, *dep = NULL, *needle = NULL;
  bool exists;

  for (size_t i = 0; k->builtin && k->builtin[i]; i++)
    if (strncmp (k->builtin[i], mod, strlen (mod)) == 0 &&
        strncmp (k->builtin[i] + strlen (mod), ".ko", 3) == 0)
      return true;
  if (asprintf (&path, "/lib/modules/%s/modules.dep", k->version) == -1 ||
      asprintf (&needle, "/%s.ko", mod) == -1)
    return false;
  dep = gfile_read (g, path, &exists);
  return dep && strstr (dep, needle);
}

static int
fix_initramfs (guestfs_h *g, struct guest *gu, const struct fix_params *p,
               struct report *r, bool force)
{
  const char *const *mods = p->target->initramfs_modules;
  CLEANUP_STRING_LIST char **to_add = NULL;
  bool need[64] = { false };
  bool any = false;

  if (gu->nr_kernels == 0) {
    error ("fix the guest: no kernel found in /boot");
    return -1;
  }
  /* Check the initramfs content, not /lib/modules: the modules being
   * installed does not mean they are in the image that boots.
   */
  for (size_t i = 0; i < gu->nr_kernels && i < 64; i++) {
    const struct guest_kernel *k = &gu->kernels[i];
    for (size_t m = 0; mods[m]; m++) {
      if (kernel_has_module (k, mods[m]))
        continue;
      if (!module_available (g, k, mods[m])) {
        error ("kernel %s has no %s module: it cannot boot on %s; install "
               "a kernel with %s drivers in the guest first",
               k->version, mods[m], p->target->name, p->target->name);
        return -1;
      }
      need[i] = true;
      any = true;
      {
        bool dup = false;
        for (size_t j = 0; to_add && to_add[j]; j++)
          dup = dup || strcmp (to_add[j], mods[m]) == 0;
        if (!dup)
          string_list_push (&to_add, mods[m]);
      }
    }
    if (k->initrd == NULL) {
      need[i] = true;
      any = true;
    }
    if (force && k->initrd)
      need[i] = true, any = true;
  }
  if (!any)
    return 0;

  if (guestfs_is_file (g, "/usr/sbin/update-initramfs") <= 0) {
    if (to_add == NULL) {
      /* Only the resume device changed: a stale one delays the boot
       * but does not break it.
       */
      report_warning (r, "update-initramfs is not installed in the guest: "
                      "the initramfs keeps the old resume device");
      return 0;
    }
    error ("rebuild the initramfs: update-initramfs is not installed in "
           "the guest, and the initramfs lacks %s", to_add[0]);
    return -1;
  }

  /* List the modules in initramfs-tools' modules file so that every
   * later rebuild (kernel updates) keeps them.
   */
  if (to_add) {
    bool exists;
    CLEANUP_FREE char *before = gfile_read (g, "/etc/initramfs-tools/modules", &exists);
    struct sbuf b = SBUF_INIT;
    CLEANUP_FREE char *after = NULL;

    if (before == NULL && exists)
      return -1;
    sbuf_puts (&b, before ? before : "");
    if (b.len && b.s[b.len - 1] != '\n')
      sbuf_puts (&b, "\n");
    sbuf_printf (&b, "# Added by ferry for the %s target\n", p->target->name);
    for (size_t j = 0; to_add[j]; j++)
      sbuf_printf (&b, "%s\n", to_add[j]);
    after = sbuf_take (&b);
    if (after == NULL ||
        gfile_update (g, r, p->dry_run, "/etc/initramfs-tools/modules",
                      before, after, "drivers the target boots from") == -1)
      return -1;
  }

  for (size_t i = 0; i < gu->nr_kernels && i < 64; i++) {
    struct guest_kernel *k = &gu->kernels[i];
    CLEANUP_FREE char *out = NULL, *initrd = NULL, *reason = NULL;
    const char *argv[] = { "/usr/sbin/update-initramfs", "-c", "-k", k->version, NULL };
    double t0 = now_seconds ();
    struct sbuf why = SBUF_INIT;

    if (!need[i])
      continue;
    if (asprintf (&initrd, "/boot/initrd.img-%s", k->version) == -1)
      return -1;
    sbuf_printf (&why, "add");
    for (size_t j = 0; to_add && to_add[j]; j++)
      if (!kernel_has_module (k, to_add[j]))
        sbuf_printf (&why, " %s", to_add[j]);
    if (why.len == 3)
      sbuf_puts (&why, " the resume device");
    reason = sbuf_take (&why);
    if (!p->dry_run) {
      info ("guest: rebuilding the initramfs for kernel %s", k->version);
      /* -c recreates it even if the old one is missing. */
      if (k->initrd && guestfs_rm_f (g, k->initrd) == -1) {
        error ("remove \"%s\": %s", k->initrd, guestfs_last_error (g));
        return -1;
      }
      out = grun (g, "rebuild the initramfs with update-initramfs", argv);
      if (out == NULL)
        return -1;
      debug ("update-initramfs for %s took %.1f s", k->version, now_seconds () - t0);
      /* Verify: never hand over a guest whose initramfs still lacks a
       * boot driver.
       */
      free (k->initrd);
      k->initrd = strdup (initrd);
      free_string_list (k->initrd_files);
      k->initrd_files = NULL;
      {
        const char *tmpdir = tmpdir_create ();
        CLEANUP_FREE char *local = NULL;
        if (asprintf (&local, "%s/initrd.new", tmpdir) == -1 ||
            guestfs_download (g, initrd, local) == -1) {
          error ("read back \"%s\": %s", initrd, guestfs_last_error (g));
          return -1;
        }
        k->initrd_files = initramfs_list (local);
        if (k->initrd_files == NULL)
          return -1;
      }
      for (size_t m = 0; mods[m]; m++)
        if (!kernel_has_module (k, mods[m])) {
          error ("rebuild the initramfs for kernel %s: %s is still missing "
                 "from it after update-initramfs", k->version, mods[m]);
          return -1;
        }
    }
    if (report_action (r, initrd, "regenerated", reason) == -1)
      return -1;
  }
  return 0;
}

static int
debian_fix (guestfs_h *g, struct guest *gu, const struct fix_params *p,
            struct report *r)
{
  bool resume_changed = false;

  if (fix_devices (g, p, r, &resume_changed) == -1 ||
      fix_network (g, gu, p, r) == -1 ||
      remove_tools (g, gu, p, r) == -1 ||
      fix_initramfs (g, gu, p, r, resume_changed) == -1)
    return -1;
  return 0;
}

const struct fix_ops debian_fix_ops = {
  .name = "debian",
  .matches = debian_matches,
  .fix = debian_fix,
};
