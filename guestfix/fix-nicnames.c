/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: the guest's NIC naming rules (systemd .link files, udev rules
 * files) read and written through the appliance, and the target's NICs
 * as the guest's udev will see them.  What the rules mean is
 * nicname.c's; fix-net.c decides what to do with them.
 */

#include <config.h>

#include <string.h>

#include "guestfix.h"

void
namefiles_free (struct namefiles *nf)
{
  for (size_t i = 0; i < nf->nr; i++) {
    free ((char *) nf->f[i].path);
    free ((char *) nf->f[i].text);
    free (nf->before[i]);
  }
  free (nf->f);
  free (nf->before);
  memset (nf, 0, sizeof *nf);
}

/* Add dir's files ending in suffix.  In the package directories (all)
 * only the rules files that may name NICs are read; the others count
 * for their names (a file in /etc hides the one of the same name).
 */
static int
read_naming_dir (guestfs_h *g, const char *dir, const char *suffix, bool all,
                 struct namefiles *nf)
{
  CLEANUP_STRING_LIST char **names = NULL;

  if (guestfs_is_dir (g, dir) <= 0 || (names = guestfs_ls (g, dir)) == NULL)
    return 0;
  for (size_t i = 0; names[i]; i++) {
    size_t n = strlen (names[i]), sl = strlen (suffix);
    struct name_file *f;
    char **b, *path = NULL, *text = NULL;
    bool exists;

    if (n <= sl || strcmp (names[i] + n - sl, suffix) != 0 ||
        asprintf (&path, "%s/%s", dir, names[i]) == -1)
      continue;
    if (guestfs_is_symlink (g, path) > 0) {
      CLEANUP_FREE char *to = guestfs_readlink (g, path);
      if (to && strcmp (to, "/dev/null") == 0)
        goto add;               /* masked */
    }
    if (!all && !strstr (names[i], "net") && !strstr (names[i], "biosdev"))
      text = strdup ("");
    else if ((text = gfile_read (g, path, &exists)) == NULL) {
      free (path);
      if (exists)
        return -1;
      continue;
    }
    if (text == NULL)
      goto nomem;
  add:
    f = realloc (nf->f, (nf->nr + 1) * sizeof *f);
    if (f)
      nf->f = f;
    b = f ? realloc (nf->before, (nf->nr + 1) * sizeof *b) : NULL;
    if (b == NULL)
      goto nomem;
    nf->before = b;
    f[nf->nr].path = path;
    f[nf->nr].text = text;
    b[nf->nr] = text ? strdup (text) : NULL;
    if (text && b[nf->nr] == NULL) {
      nf->nr++;
      return -1;
    }
    nf->nr++;
    continue;
  nomem:
    free (path);
    free (text);
    error ("read the guest's NIC naming rules: %m");
    return -1;
  }
  return 0;
}

int
namefiles_read (guestfs_h *g, struct namefiles *links, struct namefiles *rules)
{
  static const char *const ldirs[] = {
    "/etc/systemd/network", "/usr/local/lib/systemd/network",
    "/usr/lib/systemd/network", "/lib/systemd/network", NULL
  };
  static const char *const rdirs[] = {
    "/etc/udev/rules.d", "/usr/local/lib/udev/rules.d",
    "/usr/lib/udev/rules.d", "/lib/udev/rules.d", NULL
  };
  /* With /lib a link to usr/lib, /lib/... are the same files. */
  bool merged = guestfs_is_symlink (g, "/lib") > 0;

  for (size_t d = 0; ldirs[d]; d++)
    if (!(merged && strncmp (ldirs[d], "/lib/", 5) == 0) &&
        read_naming_dir (g, ldirs[d], ".link", true, links) == -1)
      return -1;
  for (size_t d = 0; rdirs[d]; d++)
    if (!(merged && strncmp (rdirs[d], "/lib/", 5) == 0) &&
        read_naming_dir (g, rdirs[d], ".rules", d == 0, rules) == -1)
      return -1;
  return 0;
}

/* Does the kvm target keep the source's MACs?  Its libvirt XML carries
 * them; a cloud gives its NICs MACs of its own.
 */
bool
target_keeps_macs (const struct target *t)
{
  return strcmp (t->name, "kvm") == 0;
}

/* The target NIC i as udev will see it. */
void
target_nic_props (const struct target *t, size_t i, const char *mac,
                  struct target_nic *pl)
{
  const char *const *m = t->initramfs_modules;
  struct nic_props *np = &pl->props;

  memset (np, 0, sizeof *np);
  snprintf (pl->kernel, sizeof pl->kernel, "eth%zu", i);
  np->kernel_name = pl->kernel;
  np->mac = target_keeps_macs (t) ? mac : NULL;
  if (strcmp (t->nic_prefix, "ens") == 0) {
    unsigned slot = t->nic_first_slot + (unsigned) i;
    snprintf (pl->path, sizeof pl->path, "pci-0000:00:%02x.0", slot);
    snprintf (pl->pci, sizeof pl->pci, "0000:00:%02x.0", slot);
    snprintf (pl->slot, sizeof pl->slot, "ens%u", slot);
    snprintf (pl->pathname, sizeof pl->pathname, "enp0s%u", slot);
    np->path = pl->path;
    np->pci = pl->pci;
    np->slot_name = pl->slot;
    np->path_name = pl->pathname;
  }
  for (size_t k = 0; m && m[k]; k++)
    if (strcmp (m[k], "virtio_net") == 0 || strcmp (m[k], "ena") == 0 ||
        strcmp (m[k], "hv_netvsc") == 0) {
      np->driver = m[k];
      np->parent_driver = strcmp (m[k], "virtio_net") == 0 ? "virtio-pci" : NULL;
    }
}

/* Rewrite the guest's own naming rules (in /etc) for the target. */
int
namefiles_move (struct namefiles *nf, const char *dir, const struct nicmap *map,
                const struct nic_props *props, size_t nr, bool link)
{
  for (size_t i = 0; i < nf->nr; i++) {
    char *t;
    int changes;

    if (nf->f[i].text == NULL || strncmp (nf->f[i].path, dir, strlen (dir)) != 0)
      continue;
    t = link ? rewrite_link_file (nf->f[i].text, map, props, nr, &changes)
      : rewrite_udev_rules (nf->f[i].text, map, props, nr, &changes);
    if (t == NULL)
      return -1;
    free ((char *) nf->f[i].text);
    nf->f[i].text = t;
  }
  return 0;
}

int
namefiles_write (guestfs_h *g, struct report *r, bool dry_run,
                 const struct namefiles *nf, const char *reason)
{
  for (size_t i = 0; i < nf->nr; i++)
    if (nf->f[i].text && strcmp (nf->f[i].text, nf->before[i]) != 0 &&
        gfile_update (g, r, dry_run, nf->f[i].path, nf->before[i],
                      nf->f[i].text, reason) == -1)
      return -1;
  return 0;
}

