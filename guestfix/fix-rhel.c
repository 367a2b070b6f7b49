/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: fixes for the Red Hat family (RHEL, CentOS, Rocky, Alma,
 * Oracle Linux, Fedora, Amazon Linux): dracut with the target's drivers
 * in /etc/dracut.conf.d, ifcfg and NetworkManager configs, grub2 with
 * BLS entries and grubenv, and an SELinux relabel for the files ferry
 * wrote.  dracut_initramfs() is shared with the SUSE family.
 */

#include <config.h>

#include <string.h>

#include "guestfix.h"

/* Does the space separated list 'list' hold word w? */
static bool
has_word (const char *list, const char *w)
{
  size_t n = strlen (w);

  for (const char *p = list; p && (p = strstr (p, w)) != NULL; p += n)
    if ((p == list || p[-1] == ' ' || p[-1] == '"') &&
        (p[n] == '\0' || p[n] == ' ' || p[n] == '"' || p[n] == '\n'))
      return true;
  return false;
}

bool
os_like (const struct guest *gu, const char *const *ids)
{
  for (size_t i = 0; ids[i]; i++)
    if ((gu->distro && strcmp (gu->distro, ids[i]) == 0) ||
        (gu->os_id && strcmp (gu->os_id, ids[i]) == 0) ||
        (gu->os_id_like && has_word (gu->os_id_like, ids[i])))
      return true;
  return false;
}

static bool
rhel_matches (const struct guest *gu)
{
  static const char *const ids[] = {
    "rhel", "centos", "rocky", "almalinux", "oraclelinux", "ol", "fedora",
    "scientificlinux", "redhat-based", "amzn", "amazonlinux", NULL
  };
  return gu->type && strcmp (gu->type, "linux") == 0 && os_like (gu, ids);
}

static const char *
find_tool (guestfs_h *g, const char *const *paths)
{
  for (size_t i = 0; paths[i]; i++)
    if (guest_has_file (g, paths[i]))
      return paths[i];
  return NULL;
}

/* dracut's images load drivers by udev's aliases, as a rebuild with
 * add_drivers would: no module-load list is written.
 */
static const struct initramfs_family dracut_family = {
  .tool = "dracut",
};

int
dracut_initramfs (guestfs_h *g, struct guest *gu, const struct fix_params *p,
                  struct report *r, bool force, const char *initrd_prefix,
                  const char *initrd_suffix)
{
  static const char *const dracuts[] = {
    "/usr/bin/dracut", "/usr/sbin/dracut", "/sbin/dracut", NULL
  };
  CLEANUP_STRING_LIST char **to_add = NULL;
  bool need[64];
  int any = initramfs_plan (g, gu, p, force, need, &to_add);
  const char *dracut;

  if (any <= 0)
    return any;
  dracut = find_tool (g, dracuts);
  /* Every later rebuild (kernel updates) keeps the drivers. */
  if (to_add) {
    struct sbuf b = SBUF_INIT;
    CLEANUP_FREE char *line = NULL, *path = NULL;
    char head[64];
    const char *lines[3] = { head, NULL, NULL };
    snprintf (head, sizeof head, "# Added by ferry for the %s target",
              p->target->name);
    sbuf_puts (&b, "add_drivers+=\"");
    for (size_t j = 0; to_add[j]; j++)
      sbuf_printf (&b, " %s", to_add[j]);
    sbuf_puts (&b, " \"");
    line = sbuf_take (&b);
    lines[1] = line;
    if (line == NULL ||
        asprintf (&path, "/etc/dracut.conf.d/90-ferry-%s.conf",
                  p->target->name) == -1) {
      error ("rebuild the initramfs: %m");
      return -1;
    }
    if (gfile_append_lines (g, r, p->dry_run, path, lines,
                            "drivers the target boots from") == -1)
      return -1;
  }
  for (size_t i = 0; i < gu->nr_kernels && i < 64; i++) {
    struct guest_kernel *k = &gu->kernels[i];
    CLEANUP_FREE char *out = NULL, *initrd = NULL, *reason = NULL, *why = NULL;
    double t0 = now_seconds ();
    int c;

    if (!need[i])
      continue;
    if (asprintf (&initrd, "%s%s%s", initrd_prefix, k->version,
                  initrd_suffix) == -1 ||
        (reason = initramfs_reason (k, to_add)) == NULL) {
      error ("rebuild the initramfs: %m");
      return -1;
    }
    c = initramfs_choose (g, k, initrd, to_add, force, p, &dracut_family, r, &why);
    if (c == -1)
      return -1;
    if (c == 1)
      continue;
    if (dracut == NULL) {
      error ("rebuild the initramfs: dracut is not installed in the guest%s%s (%s)",
             to_add ? ", and the initramfs lacks " : "", to_add ? to_add[0] : "",
             why);
      return -1;
    }
    if (!p->dry_run) {
      /* --add-drivers too: the conf.d file is read, but a guest whose
       * dracut ignores conf.d (omit_dracutmodules tricks) still gets
       * them.  No hostonly: the "host" here is the appliance.
       */
      CLEANUP_FREE char *drivers = NULL;
      struct sbuf d = SBUF_INIT;
      for (size_t j = 0; p->target->initramfs_modules[j]; j++)
        sbuf_printf (&d, "%s%s", j ? " " : "", p->target->initramfs_modules[j]);
      drivers = sbuf_take (&d);
      if (drivers == NULL) {
        error ("rebuild the initramfs: %m");
        return -1;
      }
      const char *argv[] = {
        dracut, "-f", "--no-hostonly", "--add-drivers", drivers,
        initrd, k->version, NULL
      };
      info ("guest: rebuilding the initramfs for kernel %s", k->version);
      out = grun (g, "rebuild the initramfs with dracut", argv);
      if (out == NULL)
        return -1;
      debug ("dracut for %s took %.1f s", k->version, now_seconds () - t0);
      if (initramfs_verify (g, k, initrd, p, "dracut") == -1)
        return -1;
    }
    if (report_action (r, initrd, "regenerated", reason) == -1 ||
        initramfs_rebuilt (r, k, initrd, &dracut_family, why) == -1)
      return -1;
  }
  return 0;
}

/* Files ferry wrote have no SELinux label: relabel them now if the
 * appliance can, else at the guest's first boot.
 */
static int
selinux_relabel (guestfs_h *g, const struct fix_params *p, struct report *r)
{
  bool exists;
  CLEANUP_FREE char *cfg = gfile_read (g, "/etc/selinux/config", &exists);
  const char *mode;

  if (cfg == NULL)
    return exists ? -1 : 0;
  if (strncmp (cfg, "SELINUX=", 8) == 0)
    mode = cfg + 8;
  else if ((mode = strstr (cfg, "\nSELINUX=")) != NULL)
    mode += 9;
  if (mode == NULL || strncmp (mode, "disabled", 8) == 0)
    return 0;
  if (!p->dry_run && guestfs_touch (g, "/.autorelabel") == -1) {
    error ("schedule an SELinux relabel: %s", guestfs_last_error (g));
    return -1;
  }
  return report_action (r, "/.autorelabel", "created",
                        "SELinux is on: label the files ferry wrote (the "
                        "first boot relabels and reboots once)");
}

/* Inspection reads the rpm database on the host; when it cannot (a
 * format the host's librpm does not know), ask the guest's rpm.
 */
int
rpm_packages (guestfs_h *g, struct guest *gu)
{
  const char *argv[] = { "rpm", "-qa", "--qf", "%{NAME}\\n", NULL };
  CLEANUP_FREE char *out = NULL;
  char *save = NULL;

  if (gu->packages || !guest_has_file (g, "/usr/bin/rpm"))
    return 0;
  out = guestfs_command (g, (char **) argv);
  if (out == NULL)
    return 0;                   /* no list: nothing is removed */
  for (char *l = strtok_r (out, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    string_list_push (&gu->packages, l);
  return 0;
}

static int
rhel_fix (guestfs_h *g, struct guest *gu, const struct fix_params *p,
          struct report *r)
{
  static const char *const erase[] = { "rpm", "-e", NULL };
  static const char *const install[] = { "rpm", "-Uvh", "--replacepkgs", NULL };
  const struct pkg_tool pt = { erase, install, ".rpm" };
  bool force = false;
  double t = now_seconds ();

  if (phase_step (&t, "rpm", rpm_packages (g, gu)) == -1 ||
      fix_shared_steps (g, gu, p, r, &pt, &t, &force) == -1 ||
      phase_step (&t, "initramfs", dracut_initramfs (g, gu, p, r, force,
                                                   "/boot/initramfs-", ".img")) == -1 ||
      phase_step (&t, "selinux", selinux_relabel (g, p, r)) == -1)
    return -1;
  return 0;
}

const struct fix_ops rhel_fix_ops = {
  .name = "rhel",
  .matches = rhel_matches,
  .fix = rhel_fix,
};
