/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: fixes for the Debian family (Debian, Ubuntu and derivatives):
 * initramfs-tools, with the target's drivers listed in
 * /etc/initramfs-tools/modules.  The steps every family shares are in
 * fix-common.c, fix-net.c and fix-cloud.c.
 */

#include <config.h>

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
/* The initramfs. */

static const struct initramfs_family initramfs_tools = {
  .tool = "update-initramfs",
  .boot_proved = true,          /* tests: convert-boot, convert-layout */
  .load_list = "conf/modules",  /* what force_load writes */
};

static int
fix_initramfs (guestfs_h *g, struct guest *gu, const struct fix_params *p,
               struct report *r, bool force)
{
  CLEANUP_STRING_LIST char **to_add = NULL;
  bool need[64];
  int any = initramfs_plan (g, gu, p, force, need, &to_add);
  int has_tool;

  if (any <= 0)
    return any;
  has_tool = guestfs_is_file (g, "/usr/sbin/update-initramfs") > 0;

  /* List the modules in initramfs-tools' modules file so that every
   * later rebuild (kernel updates) keeps them.
   */
  if (to_add) {
    CLEANUP_STRING_LIST char **lines = NULL;
    char head[64];
    snprintf (head, sizeof head, "# Added by ferry for the %s target",
              p->target->name);
    string_list_push (&lines, head);
    for (size_t j = 0; to_add[j]; j++)
      string_list_push (&lines, to_add[j]);
    if (lines == NULL) {
      error ("rebuild the initramfs: %m");
      return -1;
    }
    if (gfile_append_lines (g, r, p->dry_run, "/etc/initramfs-tools/modules",
                            (const char *const *) lines,
                            "drivers the target boots from") == -1)
      return -1;
  }

  for (size_t i = 0; i < gu->nr_kernels && i < 64; i++) {
    struct guest_kernel *k = &gu->kernels[i];
    CLEANUP_FREE char *out = NULL, *initrd = NULL, *reason = NULL, *why = NULL;
    const char *argv[] = { "/usr/sbin/update-initramfs", "-c", "-k", k->version, NULL };
    double t0 = now_seconds ();
    int c;

    if (!need[i])
      continue;
    if (asprintf (&initrd, "/boot/initrd.img-%s", k->version) == -1 ||
        (reason = initramfs_reason (k, to_add)) == NULL) {
      error ("rebuild the initramfs: %m");
      return -1;
    }
    c = initramfs_choose (g, k, initrd, to_add, force, p, &initramfs_tools, r, &why);
    if (c == -1)
      return -1;
    if (c == 1)
      continue;
    if (!has_tool) {
      if (to_add == NULL) {
        /* Only the resume device changed: a stale one delays the boot
         * but does not break it.
         */
        if (report_warning (r, "update-initramfs is not installed in the guest: "
                            "the initramfs keeps the old resume device") == -1)
          return -1;
        continue;
      }
      error ("rebuild the initramfs: update-initramfs is not installed in "
             "the guest, and the initramfs of %s lacks %s (%s)", k->version,
             to_add[0], why);
      return -1;
    }
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
      if (initramfs_verify (g, k, initrd, p, "update-initramfs") == -1)
        return -1;
    }
    if (report_action (r, initrd, "regenerated", reason) == -1 ||
        initramfs_rebuilt (r, k, initrd, &initramfs_tools, why) == -1)
      return -1;
  }
  return 0;
}

static int
debian_fix (guestfs_h *g, struct guest *gu, const struct fix_params *p,
            struct report *r)
{
  static const char *const purge[] = {
    "/usr/bin/env", "DEBIAN_FRONTEND=noninteractive", "dpkg", "--purge", NULL
  };
  static const char *const install[] = {
    "/usr/bin/env", "DEBIAN_FRONTEND=noninteractive", "dpkg", "-i", NULL
  };
  const struct pkg_tool pt = { purge, install, ".deb" };
  bool force = false;
  double t = now_seconds ();

  if (fix_shared_steps (g, gu, p, r, &pt, &t, &force) == -1 ||
      phase_step (&t, "initramfs", fix_initramfs (g, gu, p, r, force)) == -1)
    return -1;
  return 0;
}

const struct fix_ops debian_fix_ops = {
  .name = "debian",
  .matches = debian_matches,
  .fix = debian_fix,
};
