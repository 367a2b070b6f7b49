/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: fixes for SLES and openSUSE: dracut (initrd-VERSION), wicked
 * ifcfg files in /etc/sysconfig/network, grub2.  The initramfs step is
 * the Red Hat family's (fix-rhel.c).
 */

#include <config.h>

#include <string.h>

#include "guestfix.h"

static bool
suse_matches (const struct guest *gu)
{
  static const char *const ids[] = {
    "sles", "opensuse", "suse-based", "sled", "opensuse-leap",
    "opensuse-tumbleweed", "suse", NULL
  };
  return gu->type && strcmp (gu->type, "linux") == 0 && os_like (gu, ids);
}

static int
suse_fix (guestfs_h *g, struct guest *gu, const struct fix_params *p,
          struct report *r)
{
  static const char *const erase[] = { "rpm", "-e", NULL };
  static const char *const install[] = { "rpm", "-Uvh", "--replacepkgs", NULL };
  const struct pkg_tool pt = { erase, install, ".rpm" };
  bool force = false;
  double t;

  if (guestfs_is_file (g, "/sbin/mkinitrd") > 0 &&
      guestfs_is_file (g, "/usr/bin/dracut") <= 0 &&
      guestfs_is_file (g, "/usr/sbin/dracut") <= 0) {
    error ("convert the guest: this SUSE release builds its initrd with the "
           "old mkinitrd, which ferry does not drive; SLES 12 and later use "
           "dracut");
    return -1;
  }
  t = now_seconds ();
  if (phase_step (&t, "rpm", rpm_packages (g, gu)) == -1 ||
      fix_shared_steps (g, gu, p, r, &pt, &t, &force) == -1 ||
      phase_step (&t, "initramfs", dracut_initramfs (g, gu, p, r, force,
                                                   "/boot/initrd-", "")) == -1)
    return -1;
  return 0;
}

const struct fix_ops suse_fix_ops = {
  .name = "suse",
  .matches = suse_matches,
  .fix = suse_fix,
};
