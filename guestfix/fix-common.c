/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: fixes every Linux family shares: stable device names, the
 * target's kernel arguments, swap, the UEFI fallback loader, and the
 * initramfs checks around each family's own rebuild tool.
 */

#include <config.h>

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "guestfix.h"

bool
guest_has_file (guestfs_h *g, const char *path)
{
  return guestfs_is_file_opts (g, path,
                               GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1, -1) > 0;
}

int
gfile_append_lines (guestfs_h *g, struct report *r, bool dry_run,
                    const char *path, const char *const *lines,
                    const char *reason)
{
  bool exists;
  CLEANUP_FREE char *before = gfile_read (g, path, &exists);
  CLEANUP_FREE char *after = NULL;
  struct sbuf b = SBUF_INIT;
  bool any = false;

  if (before == NULL && exists)
    return -1;
  sbuf_puts (&b, before ? before : "");
  if (b.len && b.s[b.len - 1] != '\n')
    sbuf_puts (&b, "\n");
  for (size_t i = 0; lines[i]; i++) {
    /* Already there as a whole line? */
    const char *p = before;
    size_t n = strlen (lines[i]);
    bool found = false;
    while (p && (p = strstr (p, lines[i])) != NULL) {
      if ((p == before || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0')) {
        found = true;
        break;
      }
      p += n;
    }
    if (!found) {
      sbuf_printf (&b, "%s\n", lines[i]);
      /* A comment alone is no reason to change the file. */
      any = any || lines[i][0] != '#';
    }
  }
  after = sbuf_take (&b);
  if (after == NULL) {
    error ("update \"%s\": %m", path);
    return -1;
  }
  if (!any)
    return 0;
  return gfile_update (g, r, dry_run, path, before, after, reason);
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

  if (m == NULL)
    return -1;
  d->m = m;
  if (string_list_push (&d->strings, from) == -1 ||
      string_list_push (&d->strings, to) == -1)
    return -1;
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
 * may have called them sdX (SCSI, SATA, PVSCSI), hdX (IDE), xvdX (Xen)
 * or vdX (KVM).
 */
static int
devmap_one (guestfs_h *g, struct devmaps *d, const char *dev)
{
  static const char *const prefixes[] = { "sd", "hd", "xvd", "vd", NULL };
  CLEANUP_STRING_LIST char **tags = NULL;
  const char *type = NULL, *uuid = NULL;
  size_t tl;
  char to[128];

  /* One blkid per device: much cheaper than guestfs_list_filesystems,
   * which also scans LVM, md and btrfs.  Only filesystems and swap
   * are mounted by device name; PVs, RAID members and LUKS are not.
   * A device without any signature has no tags (or an error): skip it.
   */
  tags = guestfs_blkid (g, dev);
  for (size_t i = 0; tags && tags[i] && tags[i + 1]; i += 2) {
    if (strcmp (tags[i], "TYPE") == 0)
      type = tags[i + 1];
    else if (strcmp (tags[i], "UUID") == 0)
      uuid = tags[i + 1];
  }
  if (type == NULL || uuid == NULL || *uuid == '\0' ||
      strcmp (type, "crypto_LUKS") == 0)
    return 0;
  tl = strlen (type);
  if (tl >= 7 && strcmp (type + tl - 7, "_member") == 0)
    return 0;
  snprintf (to, sizeof to, "UUID=%s", uuid);
  for (size_t p = 0; prefixes[p]; p++) {
    char from[64];
    snprintf (from, sizeof from, "/dev/%s%s", prefixes[p], dev + 7);
    if (devmaps_add (d, from, to) == -1) {
      error ("map guest devices: %m");
      return -1;
    }
  }
  return 0;
}

static int
build_devmap (guestfs_h *g, struct devmaps *d)
{
  CLEANUP_STRING_LIST char **devs = guestfs_list_devices (g);
  CLEANUP_STRING_LIST char **parts = NULL;

  if (devs == NULL || (parts = guestfs_list_partitions (g)) == NULL) {
    error ("list the guest's disks: %s", guestfs_last_error (g));
    return -1;
  }
  for (size_t i = 0; parts[i]; i++)
    if (strncmp (parts[i], "/dev/sd", 7) == 0 &&
        devmap_one (g, d, parts[i]) == -1)
      return -1;
  /* A filesystem on a whole disk, without a partition table. */
  for (size_t i = 0; devs[i]; i++) {
    size_t len = strlen (devs[i]);
    bool partitioned = false;

    if (strncmp (devs[i], "/dev/sd", 7) != 0)
      continue;
    for (size_t k = 0; parts[k] && !partitioned; k++)
      partitioned = strncmp (parts[k], devs[i], len) == 0;
    if (!partitioned && devmap_one (g, d, devs[i]) == -1)
      return -1;
  }
  return 0;
}

/* A grubenv block is a fixed 1024 bytes: after an edit, pad it with
 * '#' back to the size it had.
 */
static char *
grubenv_repad (const char *before, char *after)
{
  size_t want = strlen (before), len = strlen (after);
  char *s;

  if (len == want)
    return after;
  while (len > 0 && after[len - 1] == '#')
    len--;
  if (len > want) {
    free (after);
    errno = ENOSPC;
    return NULL;
  }
  s = realloc (after, want + 1);
  if (s == NULL) {
    free (after);
    return NULL;
  }
  memset (s + len, '#', want - len);
  s[want] = '\0';
  return s;
}

static bool
is_grubenv (const char *path)
{
  size_t n = strlen (path);
  return n >= 8 && strcmp (path + n - 8, "/grubenv") == 0;
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
  if (after && is_grubenv (path))
    after = grubenv_repad (before, after);
  if (after == NULL) {
    error ("rewrite \"%s\": %m", path);
    return -1;
  }
  if (*changes == 0)
    return 0;
  return gfile_update (g, r, dry_run, path, before, after, reason);
}

/* Every bootloader configuration that can hold a kernel command line,
 * with its kind.  Returns a list of pairs: path, kind name (owned).
 */
static char **
bootloader_files (guestfs_h *g)
{
  static const char *const fixed[] = {
    "/etc/default/grub", "grub-default",
    "/boot/grub/grub.cfg", "grub-cfg",
    "/boot/grub2/grub.cfg", "grub-cfg",
    "/boot/grub2/grubenv", "grubenv",
    "/boot/extlinux.conf", "extlinux",
    "/boot/extlinux/extlinux.conf", "extlinux",
    "/boot/syslinux/syslinux.cfg", "extlinux",
    "/etc/update-extlinux.conf", "update-extlinux",
    NULL
  };
  char **list = NULL;

  for (size_t i = 0; fixed[i]; i += 2)
    if (guest_has_file (g, fixed[i])) {
      string_list_push (&list, fixed[i]);
      string_list_push (&list, fixed[i + 1]);
    }
  /* UEFI: the grub.cfg next to each distribution's loader on the ESP. */
  if (guestfs_is_dir (g, "/boot/efi/EFI") > 0) {
    CLEANUP_STRING_LIST char **dirs = guestfs_ls (g, "/boot/efi/EFI");
    for (size_t i = 0; dirs && dirs[i]; i++) {
      CLEANUP_FREE char *p = NULL;
      if (asprintf (&p, "/boot/efi/EFI/%s/grub.cfg", dirs[i]) > 0 &&
          guest_has_file (g, p)) {
        string_list_push (&list, p);
        string_list_push (&list, "grub-cfg");
      }
    }
  }
  /* Boot Loader Specification entries (Fedora, RHEL 8+). */
  if (guestfs_is_dir (g, "/boot/loader/entries") > 0) {
    CLEANUP_STRING_LIST char **ents = guestfs_ls (g, "/boot/loader/entries");
    for (size_t i = 0; ents && ents[i]; i++) {
      size_t n = strlen (ents[i]);
      CLEANUP_FREE char *p = NULL;
      if (n > 5 && strcmp (ents[i] + n - 5, ".conf") == 0 &&
          asprintf (&p, "/boot/loader/entries/%s", ents[i]) > 0) {
        string_list_push (&list, p);
        string_list_push (&list, "bls");
      }
    }
  }
  return list;
}

/* Device names left in fstab's first field that the target renames. */
static const char *
unstable_fstab_device (const char *fstab, char *buf, size_t len)
{
  static const char *const bad[] = {
    "/dev/sd", "/dev/hd", "/dev/xvd", "/dev/vd", "/dev/nvme", NULL
  };

  for (const char *p = fstab; p && *p; ) {
    const char *eol = strchr (p, '\n');
    size_t n;
    while (*p == ' ' || *p == '\t')
      p++;
    n = strcspn (p, " \t\n");
    if (*p != '#')
      for (size_t b = 0; bad[b]; b++)
        if (strncmp (p, bad[b], strlen (bad[b])) == 0) {
          snprintf (buf, len, "%.*s", (int) n, p);
          return buf;
        }
    p = eol ? eol + 1 : NULL;
  }
  return NULL;
}

int
fix_devices (guestfs_h *g, struct guest *gu, const struct fix_params *p,
             struct report *r, bool *resume_changed)
{
  struct devmaps d = { 0 };
  CLEANUP_STRING_LIST char **boot = NULL;
  int changes, ret = -1;

  (void) gu;
  *resume_changed = false;
  if (build_devmap (g, &d) == -1)
    goto out;
  if (rewrite_dev_file (g, r, p->dry_run, "/etc/fstab", rewrite_fstab, &d,
                        "device names change on the target: mount by UUID",
                        &changes) == -1)
    goto out;
  boot = bootloader_files (g);
  for (size_t i = 0; boot && boot[i]; i += 2)
    if (rewrite_dev_file (g, r, p->dry_run, boot[i], rewrite_cmdline_devices,
                          &d, strcmp (boot[i + 1], "grub-default") == 0
                          ? "keep root= and resume= by UUID when grub's "
                            "config is regenerated"
                          : "kernel root= and resume= by UUID",
                          &changes) == -1)
      goto out;
  if (rewrite_dev_file (g, r, p->dry_run, "/etc/initramfs-tools/conf.d/resume",
                        rewrite_resume_conf, &d,
                        "resume device by UUID", &changes) == -1)
    goto out;
  /* The resume device is baked into the initramfs. */
  *resume_changed = changes > 0;

  if (p->target->stable_refs_only) {
    bool exists;
    CLEANUP_FREE char *fstab = gfile_read (g, "/etc/fstab", &exists);
    char dev[128];
    CLEANUP_FREE char *after = NULL;
    /* In dry-run the file is unchanged: check what it would become. */
    if (fstab)
      after = rewrite_fstab (fstab, d.m, d.n, NULL);
    if (after && unstable_fstab_device (after, dev, sizeof dev)) {
      error ("fix the guest for %s: /etc/fstab mounts \"%s\" by device "
             "name, which has no UUID ferry could use, and device names "
             "are not stable on %s; give it a filesystem UUID or LABEL "
             "first", p->target->name, dev, p->target->name);
      goto out;
    }
  }
  ret = 0;
 out:
  devmaps_free (&d);
  return ret;
}

/* ---------------------------------------------------------------- */
/* Kernel arguments. */

static int
cmdline_kind (const char *name, enum cmdline_kind *k)
{
  static const struct { const char *name; enum cmdline_kind kind; } kinds[] = {
    { "grub-default", CMDLINE_GRUB_DEFAULT }, { "grub-cfg", CMDLINE_GRUB_CFG },
    { "grubenv", CMDLINE_GRUBENV }, { "bls", CMDLINE_BLS },
    { "extlinux", CMDLINE_EXTLINUX }, { "update-extlinux", CMDLINE_UPDATE_EXTLINUX },
  };
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (strcmp (kinds[i].name, name) == 0) {
      *k = kinds[i].kind;
      return 0;
    }
  return -1;
}

/* Apply add/remove to every bootloader config. */
static int
edit_cmdlines (guestfs_h *g, const struct fix_params *p, struct report *r,
               const char *const *add, const char *const *remove,
               const char *reason)
{
  static const char *const none[] = { NULL };
  CLEANUP_STRING_LIST char **boot = bootloader_files (g);

  for (size_t i = 0; boot && boot[i]; i += 2) {
    enum cmdline_kind kind;
    bool exists;
    CLEANUP_FREE char *before = NULL, *after = NULL;
    int changes = 0;

    if (cmdline_kind (boot[i + 1], &kind) == -1)
      continue;
    before = gfile_read (g, boot[i], &exists);
    if (before == NULL) {
      if (exists)
        return -1;
      continue;
    }
    /* RHEL 8's BLS entries say "options $kernelopts": grubenv has them. */
    if (kind == CMDLINE_BLS && strstr (before, "$kernelopts"))
      continue;
    after = rewrite_cmdline_args (before, kind, add ? add : none, remove,
                                  &changes);
    if (after == NULL) {
      error ("rewrite the kernel command line in \"%s\": %m", boot[i]);
      return -1;
    }
    if (changes > 0 &&
        gfile_update (g, r, p->dry_run, boot[i], before, after, reason) == -1)
      return -1;
  }
  return 0;
}

int
fix_cmdline (guestfs_h *g, struct guest *gu, const struct fix_params *p,
             struct report *r)
{
  CLEANUP_FREE char *reason = NULL;

  (void) gu;
  if (p->target->cmdline_add == NULL)
    return 0;
  if (asprintf (&reason, "kernel arguments %s needs", p->target->name) == -1) {
    error ("fix the kernel command line: %m");
    return -1;
  }
  return edit_cmdlines (g, p, r, p->target->cmdline_add, NULL, reason);
}

/* ---------------------------------------------------------------- */
/* Swap on the OS disk (Azure: the OS disk is remote and cached; swap
 * belongs on the local resource disk, which the Azure agent or
 * cloud-init sets up).
 */
int
fix_swap (guestfs_h *g, struct guest *gu, const struct fix_params *p,
          struct report *r)
{
  static const char *const resume[] = { "resume", NULL };
  bool exists;
  CLEANUP_FREE char *before = NULL, *after = NULL;
  int changes = 0;

  (void) gu;
  if (!p->target->no_os_swap)
    return 0;
  before = gfile_read (g, "/etc/fstab", &exists);
  if (before == NULL)
    return exists ? -1 : 0;
  /* Every swap the guest mounts is on the OS disk unless it is on
   * another of its disks; ferry treats them all as the OS disk's, which
   * on a multi-disk guest also removes swap on data disks: say so.
   */
  after = rewrite_fstab_drop_swap (before, NULL, &changes);
  if (after == NULL) {
    error ("rewrite \"/etc/fstab\": %m");
    return -1;
  }
  if (changes == 0)
    return 0;
  if (gfile_update (g, r, p->dry_run, "/etc/fstab", before, after,
                    "no swap on the OS disk: use the resource disk") == -1 ||
      edit_cmdlines (g, p, r, NULL, resume,
                     "the swap it resumed from is gone") == -1)
    return -1;
  if (guest_has_file (g, "/etc/initramfs-tools/conf.d/resume")) {
    CLEANUP_FREE char *rb = gfile_read (g, "/etc/initramfs-tools/conf.d/resume", &exists);
    if (rb && strcmp (rb, "RESUME=none\n") != 0 &&
        gfile_update (g, r, p->dry_run, "/etc/initramfs-tools/conf.d/resume",
                      rb, "RESUME=none\n", "the swap it resumed from is gone") == -1)
      return -1;
  }
  if (report_warning (r, "swap removed from /etc/fstab (on every disk of "
                      "the guest): Azure puts swap on the resource disk "
                      "(ResourceDisk.EnableSwap or cloud-init's mounts)") == -1)
    return -1;
  return 1;
}

/* ---------------------------------------------------------------- */
/* UEFI: firmware that has lost its boot entries (a new VM has none)
 * starts \EFI\BOOT\BOOTX64.EFI.
 */
int
fix_uefi_fallback (guestfs_h *g, struct guest *gu, const struct fix_params *p,
                   struct report *r)
{
  static const char *const loaders[] = { "shimx64.efi", "grubx64.efi", NULL };
  CLEANUP_STRING_LIST char **dirs = NULL;
  const char *esp = "/boot/efi/EFI";

  if (gu->firmware != FIRMWARE_UEFI || guestfs_is_dir (g, esp) <= 0)
    return 0;
  if (guest_has_file (g, "/boot/efi/EFI/BOOT/BOOTX64.EFI") ||
      guest_has_file (g, "/boot/efi/EFI/boot/bootx64.efi"))
    return 0;
  dirs = guestfs_ls (g, esp);
  for (size_t l = 0; loaders[l]; l++)
    for (size_t i = 0; dirs && dirs[i]; i++) {
      CLEANUP_FREE char *src = NULL, *grub = NULL, *reason = NULL;
      if (strcasecmp (dirs[i], "BOOT") == 0 ||
          asprintf (&src, "%s/%s/%s", esp, dirs[i], loaders[l]) == -1 ||
          !guest_has_file (g, src))
        continue;
      if (asprintf (&reason, "UEFI fallback loader, a copy of %s", src) == -1) {
        error ("create the UEFI fallback loader: %m");
        return -1;
      }
      if (!p->dry_run) {
        if (guestfs_mkdir_p (g, "/boot/efi/EFI/BOOT") == -1 ||
            guestfs_cp (g, src, "/boot/efi/EFI/BOOT/BOOTX64.EFI") == -1) {
          error ("create the UEFI fallback loader: %s", guestfs_last_error (g));
          return -1;
        }
        /* shim loads grubx64.efi from its own directory. */
        if (l == 0 && asprintf (&grub, "%s/%s/grubx64.efi", esp, dirs[i]) > 0 &&
            guest_has_file (g, grub) &&
            guestfs_cp (g, grub, "/boot/efi/EFI/BOOT/grubx64.efi") == -1) {
          error ("create the UEFI fallback loader: %s", guestfs_last_error (g));
          return -1;
        }
      }
      return report_action (r, "/boot/efi/EFI/BOOT/BOOTX64.EFI", "created",
                            reason);
    }
  return report_warning (r, "UEFI guest without EFI/BOOT/BOOTX64.EFI and no "
                         "shimx64.efi or grubx64.efi to copy: it boots only "
                         "if the target keeps its NVRAM boot entries");
}

/* ---------------------------------------------------------------- */
/* The initramfs. */

static bool
module_available (guestfs_h *g, const struct guest_kernel *k, const char *mod)
{
  CLEANUP_FREE char *path = NULL, *dep = NULL, *needle = NULL, *alt = NULL;
  bool exists;

  for (size_t i = 0; k->builtin && k->builtin[i]; i++)
    if (strncmp (k->builtin[i], mod, strlen (mod)) == 0 &&
        strncmp (k->builtin[i] + strlen (mod), ".ko", 3) == 0)
      return true;
  if (asprintf (&path, "/lib/modules/%s/modules.dep", k->version) == -1 ||
      asprintf (&needle, "/%s.ko", mod) == -1)
    return false;
  dep = gfile_read (g, path, &exists);
  if (dep && strstr (dep, needle))
    return true;
  /* modules.dep spells hv_vmbus as hv_vmbus.ko but nvme-core as
   * nvme-core.ko: try the other separator too.
   */
  if ((alt = strdup (needle)) == NULL)
    return false;
  for (char *c = alt; *c; c++)
    if (*c == '_') *c = '-'; else if (*c == '-') *c = '_';
  return dep && strstr (dep, alt);
}

int
initramfs_plan (guestfs_h *g, const struct guest *gu,
                const struct fix_params *p, bool force,
                bool need[64], char ***to_add)
{
  const char *const *mods = p->target->initramfs_modules;
  bool any = false;

  *to_add = NULL;
  if (gu->nr_kernels == 0) {
    error ("fix the guest: no kernel found in /boot");
    return -1;
  }
  /* Check the initramfs content, not /lib/modules: the modules being
   * installed does not mean they are in the image that boots.
   */
  for (size_t i = 0; i < gu->nr_kernels && i < 64; i++) {
    const struct guest_kernel *k = &gu->kernels[i];
    need[i] = false;
    for (size_t m = 0; mods[m]; m++) {
      bool dup = false;
      if (kernel_has_module (k, mods[m]))
        continue;
      if (!module_available (g, k, mods[m])) {
        error ("kernel %s has no %s module: it cannot boot on %s; install "
               "a kernel with the %s drivers in the guest first",
               k->version, mods[m], p->target->name, p->target->name);
        free_string_list (*to_add);
        *to_add = NULL;
        return -1;
      }
      need[i] = true;
      for (size_t j = 0; *to_add && (*to_add)[j]; j++)
        dup = dup || strcmp ((*to_add)[j], mods[m]) == 0;
      if (!dup)
        string_list_push (to_add, mods[m]);
    }
    if (k->initrd == NULL || (force && k->initrd))
      need[i] = true;
    any = any || need[i];
  }
  return any;
}

int
initramfs_check (struct guest_kernel *k, const char *path, char **files,
                 const struct fix_params *p, const char *tool)
{
  const char *const *mods = p->target->initramfs_modules;

  free (k->initrd);
  k->initrd = strdup (path);
  free_string_list (k->initrd_files);
  k->initrd_files = files;
  /* Inspection's copy is of the image as it was. */
  if (k->initrd_copy)
    unlink (k->initrd_copy);
  free (k->initrd_copy);
  k->initrd_copy = NULL;
  if (k->initrd_files == NULL)
    return -1;
  /* Never hand over a guest whose initramfs still lacks a boot driver. */
  for (size_t m = 0; mods[m]; m++)
    if (!kernel_has_module (k, mods[m])) {
      error ("rebuild the initramfs for kernel %s: %s is still missing "
             "from it after %s", k->version, mods[m], tool);
      return -1;
    }
  return 0;
}

int
initramfs_verify (guestfs_h *g, struct guest_kernel *k, const char *path,
                  const struct fix_params *p, const char *tool)
{
  const char *tmpdir = tmpdir_create ();
  CLEANUP_FREE char *local = NULL;
  char **files;

  if (tmpdir == NULL)
    return -1;
  if (asprintf (&local, "%s/initrd.new", tmpdir) == -1) {
    error ("read back \"%s\": %m", path);
    return -1;
  }
  if (guestfs_download (g, path, local) == -1) {
    error ("read back \"%s\": %s", path, guestfs_last_error (g));
    return -1;
  }
  files = initramfs_list (local);
  unlink (local);
  return initramfs_check (k, path, files, p, tool);
}

char *
initramfs_reason (const struct guest_kernel *k, char **to_add)
{
  struct sbuf why = SBUF_INIT;

  sbuf_puts (&why, "add");
  for (size_t j = 0; to_add && to_add[j]; j++)
    if (!kernel_has_module (k, to_add[j]))
      sbuf_printf (&why, " %s", to_add[j]);
  if (why.len == 3)
    sbuf_puts (&why, k->initrd ? " the new resume device" : " a missing initramfs");
  return sbuf_take (&why);
}

int
fix_shared_steps (guestfs_h *g, struct guest *gu, const struct fix_params *p,
                  struct report *r, const struct pkg_tool *pt, double *t,
                  bool *force)
{
  bool resume_changed = false;
  int swapped = 0;

  if (phase_step (t, "devices", fix_devices (g, gu, p, r, &resume_changed)) == -1 ||
      phase_step (t, "swap", swapped = fix_swap (g, gu, p, r)) == -1 ||
      phase_step (t, "cmdline", fix_cmdline (g, gu, p, r)) == -1 ||
      phase_step (t, "network", fix_network (g, gu, p, r)) == -1 ||
      phase_step (t, "tools", remove_tools (g, gu, p, r, pt->remove)) == -1 ||
      phase_step (t, "inject", inject_packages (g, p, r, pt->ext, pt->install)) == -1 ||
      phase_step (t, "cloud-init", fix_cloudinit (g, gu, p, r)) == -1 ||
      phase_step (t, "uefi", fix_uefi_fallback (g, gu, p, r)) == -1)
    return -1;
  *force = resume_changed || swapped;
  return 0;
}
