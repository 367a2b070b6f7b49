/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: fixes for Alpine Linux (which virt-v2v does not convert):
 * mkinitfs with a feature file listing the target's drivers, ifupdown
 * (busybox or ifupdown-ng), extlinux or grub, apk.
 */

#include <config.h>

#include <string.h>

#include "guestfix.h"

static bool
alpine_matches (const struct guest *gu)
{
  static const char *const ids[] = { "alpinelinux", "alpine", NULL };
  return gu->type && strcmp (gu->type, "linux") == 0 && os_like (gu, ids);
}

/* "kernel/drivers/block/virtio_blk.ko" for module mod of kernel k, from
 * its modules.dep (owned), or NULL.
 */
static char *
module_path (const char *dep, const char *mod)
{
  size_t n = strlen (mod);

  for (const char *l = dep; l && *l; ) {
    const char *eol = strchr (l, '\n');
    const char *colon = strchr (l, ':');
    if (colon && (!eol || colon < eol)) {
      const char *base = colon;
      while (base > l && base[-1] != '/')
        base--;
      if (strncmp (base, mod, n) == 0 && strncmp (base + n, ".ko", 3) == 0)
        return strndup (l, (size_t) (base - l) + n + 3);
    }
    l = eol ? eol + 1 : NULL;
  }
  return NULL;
}

/* mkinitfs' init loads drivers by their aliases (nlplug-findfs), as a
 * rebuild with a features.d file would: no module-load list.
 */
static const struct initramfs_family mkinitfs_family = {
  .tool = "mkinitfs",
};

static int
mkinitfs_initramfs (guestfs_h *g, struct guest *gu, const struct fix_params *p,
                    struct report *r, bool force)
{
  CLEANUP_STRING_LIST char **to_add = NULL;
  bool need[64];
  int any = initramfs_plan (g, gu, p, force, need, &to_add);
  CLEANUP_FREE char *feature = NULL, *modfile = NULL;
  bool has_tool;

  if (any <= 0)
    return any;
  has_tool = guest_has_file (g, "/sbin/mkinitfs");
  if (asprintf (&feature, "ferry-%s", p->target->name) == -1 ||
      asprintf (&modfile, "/etc/mkinitfs/features.d/%s.modules", feature) == -1)
    goto nomem;

  if (to_add) {
    CLEANUP_STRING_LIST char **lines = NULL;
    bool exists;
    CLEANUP_FREE char *conf = gfile_read (g, "/etc/mkinitfs/mkinitfs.conf", &exists);
    CLEANUP_FREE char *after = NULL;

    /* The module paths, relative to /lib/modules/VERSION. */
    for (size_t i = 0; i < gu->nr_kernels; i++) {
      CLEANUP_FREE char *dpath = NULL, *dep = NULL;
      if (asprintf (&dpath, "/lib/modules/%s/modules.dep", gu->kernels[i].version) == -1)
        goto nomem;
      dep = gfile_read (g, dpath, &exists);
      for (size_t j = 0; dep && to_add[j]; j++) {
        CLEANUP_FREE char *mp = module_path (dep, to_add[j]);
        CLEANUP_FREE char *glob = NULL;
        bool dup = false;
        if (mp == NULL || asprintf (&glob, "%s*", mp) == -1)
          continue;
        for (size_t k = 0; lines && lines[k]; k++)
          dup = dup || strcmp (lines[k], glob) == 0;
        if (!dup)
          string_list_push (&lines, glob);
      }
    }
    if (lines == NULL) {
      error ("rebuild the initramfs: modules.dep does not name %s", to_add[0]);
      return -1;
    }
    if (gfile_append_lines (g, r, p->dry_run, modfile, (const char *const *) lines,
                            "drivers the target boots from") == -1)
      return -1;
    /* features="... ferry-kvm" */
    if (conf == NULL) {
      error ("rebuild the initramfs: /etc/mkinitfs/mkinitfs.conf is missing");
      return -1;
    }
    if (strstr (conf, feature) == NULL) {
      const char *f = strstr (conf, "features=\"");
      const char *q = f ? strchr (f + 10, '"') : NULL;
      if (q == NULL) {
        error ("rebuild the initramfs: no features=\"...\" line in "
               "/etc/mkinitfs/mkinitfs.conf");
        return -1;
      }
      if (asprintf (&after, "%.*s %s%s", (int) (q - conf), conf, feature, q) == -1)
        goto nomem;
      if (gfile_update (g, r, p->dry_run, "/etc/mkinitfs/mkinitfs.conf", conf,
                        after, "use the feature with the target's drivers") == -1)
        return -1;
    }
  }

  for (size_t i = 0; i < gu->nr_kernels && i < 64; i++) {
    struct guest_kernel *k = &gu->kernels[i];
    CLEANUP_FREE char *out = NULL, *initrd = NULL, *reason = NULL, *why = NULL;
    int c;

    if (!need[i])
      continue;
    if (asprintf (&initrd, "/boot/initramfs-%s", k->name) == -1 ||
        (reason = initramfs_reason (k, to_add)) == NULL)
      goto nomem;
    c = initramfs_choose (g, k, initrd, to_add, force, p, &mkinitfs_family, r, &why);
    if (c == -1)
      return -1;
    if (c == 1)
      continue;
    if (!has_tool) {
      error ("rebuild the initramfs: mkinitfs is not installed in the guest%s%s (%s)",
             to_add ? ", and the initramfs lacks " : "", to_add ? to_add[0] : "",
             why);
      return -1;
    }
    if (!p->dry_run) {
      const char *argv[] = { "/sbin/mkinitfs", "-o", initrd, k->version, NULL };
      info ("guest: rebuilding the initramfs for kernel %s", k->version);
      out = grun (g, "rebuild the initramfs with mkinitfs", argv);
      if (out == NULL ||
          initramfs_verify (g, k, initrd, p, "mkinitfs") == -1)
        return -1;
    }
    if (report_action (r, initrd, "regenerated", reason) == -1 ||
        initramfs_rebuilt (r, k, initrd, &mkinitfs_family, why) == -1)
      return -1;
  }
  return 0;
 nomem:
  error ("rebuild the initramfs: %m");
  return -1;
}

static int
alpine_fix (guestfs_h *g, struct guest *gu, const struct fix_params *p0,
            struct report *r)
{
  struct fix_params params = *p0, *p = &params;
  static const char *const del[] = { "/sbin/apk", "del", "--no-network", NULL };
  static const char *const add[] = {
    "/sbin/apk", "add", "--no-network", "--allow-untrusted", NULL
  };
  const struct pkg_tool pt = { del, add, ".apk" };
  bool force = false;
  double t;

  /* Alpine names NICs with mdev or eudev; without udev's rules they
   * keep the kernel's names on any hypervisor.
   */
  p->kernel_nic_names = guestfs_is_dir (g, "/lib/udev/rules.d") <= 0 &&
    guestfs_is_dir (g, "/usr/lib/udev/rules.d") <= 0;
  t = now_seconds ();
  if (fix_shared_steps (g, gu, p, r, &pt, &t, &force) == -1 ||
      phase_step (&t, "initramfs", mkinitfs_initramfs (g, gu, p, r, force)) == -1)
    return -1;
  return 0;
}

const struct fix_ops alpine_fix_ops = {
  .name = "alpine",
  .matches = alpine_matches,
  .fix = alpine_fix,
};
