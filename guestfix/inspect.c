/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: what is in the guest: OS, kernels and their initramfs,
 * network configuration, packages, firmware.
 */

#include <config.h>

#include <string.h>
#include <unistd.h>

#include "guestfix.h"

#define ESP_GUID "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
#define BIOS_BOOT_GUID "21686148-6449-6E6F-744E-656564454649"

void
guest_free (struct guest *gu)
{
  free (gu->root);
  free (gu->type); free (gu->distro); free (gu->product_name);
  free (gu->hostname); free (gu->arch); free (gu->package_format);
  free_string_list (gu->mountpoints);
  free (gu->os_id); free (gu->os_id_like);
  for (size_t i = 0; i < gu->nr_kernels; i++) {
    free (gu->kernels[i].version);
    free (gu->kernels[i].name);
    free (gu->kernels[i].initrd);
    free_string_list (gu->kernels[i].initrd_files);
    free_string_list (gu->kernels[i].builtin);
    if (gu->kernels[i].initrd_copy)
      unlink (gu->kernels[i].initrd_copy);
    free (gu->kernels[i].initrd_copy);
  }
  free (gu->kernels);
  for (size_t i = 0; i < gu->nr_netconfs; i++)
    free (gu->netconfs[i].path);
  free (gu->netconfs);
  free_string_list (gu->packages);
  free (gu->cloud_init_version);
  free (gu->fstab);
  memset (gu, 0, sizeof *gu);
}

static enum firmware
detect_firmware (guestfs_h *g, const struct guest *gu)
{
  CLEANUP_STRING_LIST char **parts = NULL;
  bool esp = false, bios_boot = false;

  for (size_t i = 0; gu->mountpoints && gu->mountpoints[i]; i += 2)
    if (strcmp (gu->mountpoints[i], "/boot/efi") == 0)
      return FIRMWARE_UEFI;
  parts = guestfs_list_partitions (g);
  for (size_t i = 0; parts && parts[i]; i++) {
    CLEANUP_FREE char *disk = guestfs_part_to_dev (g, parts[i]);
    CLEANUP_FREE char *type = disk ? guestfs_part_get_parttype (g, disk) : NULL;
    int n = guestfs_part_to_partnum (g, parts[i]);
    CLEANUP_FREE char *guid = NULL;

    if (type == NULL || strcmp (type, "gpt") != 0 || n < 1)
      continue;
    guid = guestfs_part_get_gpt_type (g, disk, n);
    if (guid && strcasecmp (guid, ESP_GUID) == 0) esp = true;
    if (guid && strcasecmp (guid, BIOS_BOOT_GUID) == 0) bios_boot = true;
  }
  return esp && !bios_boot ? FIRMWARE_UEFI : FIRMWARE_BIOS;
}

/* Download the initrd and list it on the host: the host's tools are
 * trusted and fast, the guest's may not even run.  The copy is kept
 * (*copy, owned) for the fix, which extends it on the host.
 */
static char **
list_initrd (guestfs_h *g, const char *path, char **copy)
{
  const char *tmpdir = tmpdir_create ();
  CLEANUP_FREE char *local = NULL;
  char **files;
  int fd;

  *copy = NULL;
  if (tmpdir == NULL)
    return NULL;
  if (asprintf (&local, "%s/initrd-XXXXXX", tmpdir) == -1 ||
      (fd = mkstemp (local)) == -1) {
    error ("read \"%s\" from the guest: %m", path);
    return NULL;
  }
  close (fd);
  if (guestfs_download (g, path, local) == -1) {
    error ("read \"%s\" from the guest: %s", path, guestfs_last_error (g));
    unlink (local);
    return NULL;
  }
  files = initramfs_list (local);
  if (files == NULL)
    unlink (local);
  else {
    *copy = local;
    local = NULL;
  }
  return files;
}

/* /lib/modules/VERSION for /boot/vmlinuz-NAME: the same, or (Alpine,
 * whose kernels are vmlinuz-virt, vmlinuz-lts) the one ending "-NAME".
 */
static char *
module_version (guestfs_h *g, const char *name)
{
  CLEANUP_FREE char *dir = NULL;
  CLEANUP_STRING_LIST char **vers = NULL;
  size_t n = strlen (name);

  if (asprintf (&dir, "/lib/modules/%s", name) > 0 && guestfs_is_dir (g, dir) > 0)
    return strdup (name);
  if (guestfs_is_dir (g, "/lib/modules") > 0)
    vers = guestfs_ls (g, "/lib/modules");
  for (size_t i = 0; vers && vers[i]; i++) {
    size_t m = strlen (vers[i]);
    if (m > n + 1 && vers[i][m - n - 1] == '-' && strcmp (vers[i] + m - n, name) == 0)
      return strdup (vers[i]);
  }
  return strdup (name);
}

static int
add_kernel (guestfs_h *g, struct guest *gu, const char *name)
{
  struct guest_kernel *k, *ks;
  CLEANUP_FREE char *builtin_path = NULL;
  CLEANUP_FREE char *builtin = NULL;
  size_t size;
  /* Debian and Ubuntu: initrd.img-VERSION; dracut (Red Hat):
   * initramfs-VERSION.img; SUSE: initrd-VERSION; Alpine:
   * initramfs-FLAVOUR.
   */
  static const char *const initrd_names[] = {   /* prefix, suffix */
    "/boot/initrd.img-", "", "/boot/initramfs-", ".img", "/boot/initrd-", "",
    "/boot/initramfs-", "", NULL
  };

  ks = realloc (gu->kernels, (gu->nr_kernels + 1) * sizeof *ks);
  if (ks == NULL) {
    error ("inspect the guest's kernels: %m");
    return -1;
  }
  gu->kernels = ks;
  k = &ks[gu->nr_kernels];
  memset (k, 0, sizeof *k);
  gu->nr_kernels++;
  k->name = strdup (name);
  k->version = module_version (g, name);
  if (k->name == NULL || k->version == NULL) {
    error ("inspect the guest's kernels: %m");
    return -1;
  }

  for (size_t i = 0; initrd_names[i] && k->initrd == NULL; i += 2) {
    CLEANUP_FREE char *initrd = NULL;
    if (asprintf (&initrd, "%s%s%s", initrd_names[i], name,
                  initrd_names[i + 1]) > 0 &&
        guestfs_is_file (g, initrd) > 0)
      k->initrd = strdup (initrd);
  }
  if (k->initrd) {
    k->initrd_files = list_initrd (g, k->initrd, &k->initrd_copy);
    if (k->initrd_files == NULL)
      return -1;
  }

  if (asprintf (&builtin_path, "/lib/modules/%s/modules.builtin", k->version) > 0 &&
      guestfs_is_file (g, builtin_path) > 0 &&
      (builtin = guestfs_read_file (g, builtin_path, &size)) != NULL) {
    char *save = NULL;
    for (char *line = strtok_r (builtin, "\n", &save); line;
         line = strtok_r (NULL, "\n", &save)) {
      const char *base = strrchr (line, '/') ? strrchr (line, '/') + 1 : line;
      string_list_push (&k->builtin, base);
    }
  }
  return 0;
}

static int
find_kernels (guestfs_h *g, struct guest *gu)
{
  CLEANUP_STRING_LIST char **files = NULL;

  if (guestfs_is_dir (g, "/boot") <= 0)
    return 0;
  files = guestfs_ls (g, "/boot");
  for (size_t i = 0; files && files[i]; i++) {
    const char *f = files[i];
    if (strncmp (f, "vmlinuz-", 8) == 0 && f[8] &&
        !strstr (f, "rescue") && add_kernel (g, gu, f + 8) == -1)
      return -1;
  }
  return 0;
}

static void
add_netconf (struct guest *gu, const char *path, const char *kind)
{
  struct guest_netconf *n = realloc (gu->netconfs,
                                     (gu->nr_netconfs + 1) * sizeof *n);
  if (n == NULL)
    return;
  gu->netconfs = n;
  n[gu->nr_netconfs].path = strdup (path);
  n[gu->nr_netconfs].kind = kind;
  if (n[gu->nr_netconfs].path)
    gu->nr_netconfs++;
}

static bool
has_suffix (const char *s, const char *suffix)
{
  size_t a = strlen (s), b = strlen (suffix);
  return a >= b && strcmp (s + a - b, suffix) == 0;
}

/* Each file of a config directory whose name starts with 'prefix' and
 * ends in 'suffix' ("" for any), in the order ls returns (sorted),
 * which is also the order the network stacks read them.
 */
static void
scan_dir_prefix (guestfs_h *g, struct guest *gu, const char *dir,
                 const char *prefix, const char *suffix, const char *kind)
{
  CLEANUP_STRING_LIST char **files = NULL;

  if (guestfs_is_dir (g, dir) <= 0)
    return;
  files = guestfs_ls (g, dir);
  for (size_t i = 0; files && files[i]; i++) {
    CLEANUP_FREE char *p = NULL;
    if (!has_suffix (files[i], suffix) ||
        strncmp (files[i], prefix, strlen (prefix)) != 0 ||
        strcmp (files[i], "ifcfg-lo") == 0 ||
        asprintf (&p, "%s/%s", dir, files[i]) == -1)
      continue;
    if (guestfs_is_file (g, p) > 0)
      add_netconf (gu, p, kind);
  }
}

static void
scan_dir (guestfs_h *g, struct guest *gu, const char *dir,
          const char *suffix, const char *kind)
{
  scan_dir_prefix (g, gu, dir, "", suffix, kind);
}

static void
find_netconfs (guestfs_h *g, struct guest *gu)
{
  if (guestfs_is_file (g, "/etc/network/interfaces") > 0)
    add_netconf (gu, "/etc/network/interfaces", "ifupdown");
  scan_dir (g, gu, "/etc/network/interfaces.d", "", "ifupdown");
  scan_dir (g, gu, "/etc/netplan", ".yaml", "netplan");
  scan_dir (g, gu, "/etc/NetworkManager/system-connections", ".nmconnection", "nm");
  scan_dir (g, gu, "/etc/systemd/network", ".network", "networkd");
  scan_dir (g, gu, "/etc/systemd/network", ".link", "networkd");
  scan_dir_prefix (g, gu, "/etc/sysconfig/network-scripts", "ifcfg-", "", "ifcfg");
  scan_dir_prefix (g, gu, "/etc/sysconfig/network", "ifcfg-", "", "wicked");
  if (guestfs_is_file (g, "/etc/udev/rules.d/70-persistent-net.rules") > 0)
    add_netconf (gu, "/etc/udev/rules.d/70-persistent-net.rules", "udev");
}

/* ID= and ID_LIKE= of os-release: how families newer than this
 * libguestfs (AlmaLinux, Amazon Linux) say what they are like.
 */
static void
read_os_release (guestfs_h *g, struct guest *gu)
{
  static const char *const paths[] = { "/etc/os-release", "/usr/lib/os-release", NULL };

  for (size_t i = 0; paths[i]; i++) {
    size_t size;
    CLEANUP_FREE char *text = NULL;
    char *save = NULL;
    if (guestfs_is_file_opts (g, paths[i], GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1, -1) <= 0 ||
        (text = guestfs_read_file (g, paths[i], &size)) == NULL)
      continue;
    for (char *l = strtok_r (text, "\n", &save); l; l = strtok_r (NULL, "\n", &save)) {
      char **dst = strncmp (l, "ID=", 3) == 0 ? &gu->os_id
        : strncmp (l, "ID_LIKE=", 8) == 0 ? &gu->os_id_like : NULL;
      char *v;
      size_t n;
      if (dst == NULL || *dst)
        continue;
      v = strchr (l, '=') + 1;
      if (*v == '"' || *v == '\'')
        v++;
      n = strcspn (v, "\"'");
      *dst = strndup (v, n);
    }
    return;
  }
}

int
inspect_guest (guestfs_h *g, struct guest *gu)
{
  const char *root = gu->root;
  struct guestfs_application2_list *apps;
  double t0 = now_seconds ();

  gu->type = guestfs_inspect_get_type (g, root);
  gu->distro = guestfs_inspect_get_distro (g, root);
  gu->product_name = guestfs_inspect_get_product_name (g, root);
  gu->hostname = guestfs_inspect_get_hostname (g, root);
  gu->arch = guestfs_inspect_get_arch (g, root);
  gu->package_format = guestfs_inspect_get_package_format (g, root);
  gu->major = guestfs_inspect_get_major_version (g, root);
  gu->minor = guestfs_inspect_get_minor_version (g, root);
  gu->mountpoints = guestfs_inspect_get_mountpoints (g, root);
  if (gu->type == NULL || gu->distro == NULL) {
    error ("inspect the guest: %s", guestfs_last_error (g));
    return -1;
  }
  gu->firmware = detect_firmware (g, gu);
  read_os_release (g, gu);

  debug ("phase inspect ferry: os: %.2f s", now_seconds () - t0);
  t0 = now_seconds ();
  apps = guestfs_inspect_list_applications2 (g, root);
  for (size_t i = 0; apps && i < apps->len; i++) {
    string_list_push (&gu->packages, apps->val[i].app2_name);
    if (strcmp (apps->val[i].app2_name, "cloud-init") == 0 && !gu->cloud_init_version)
      gu->cloud_init_version = strdup (apps->val[i].app2_version);
  }
  if (apps)
    guestfs_free_application2_list (apps);
  debug ("phase inspect ferry: packages: %.2f s", now_seconds () - t0);

  if (strcmp (gu->type, "linux") == 0) {
    t0 = now_seconds ();
    if (find_kernels (g, gu) == -1)
      return -1;
    debug ("phase inspect ferry: kernels and initramfs: %.2f s", now_seconds () - t0);
    t0 = now_seconds ();
    find_netconfs (g, gu);
    debug ("phase inspect ferry: network configs: %.2f s", now_seconds () - t0);
  }
  return 0;
}

static const char *const virtio_mods[] = {
  "virtio_blk", "virtio_scsi", "virtio_net", "virtio_pci", NULL
};

void
inspect_json (struct json *j, const struct guest *gu)
{
  json_begin_object (j, "guest");
  json_add_string (j, "root", gu->root);
  json_add_string (j, "type", gu->type);
  json_add_string (j, "distro", gu->distro);
  json_add_string (j, "os_id", gu->os_id);
  json_add_string (j, "product_name", gu->product_name);
  json_add_int (j, "major_version", gu->major);
  json_add_int (j, "minor_version", gu->minor);
  json_add_string (j, "arch", gu->arch);
  json_add_string (j, "hostname", gu->hostname);
  json_add_string (j, "package_format", gu->package_format);
  json_add_string (j, "firmware", firmware_name (gu->firmware));
  json_begin_array (j, "mountpoints");
  for (size_t i = 0; gu->mountpoints && gu->mountpoints[i]; i += 2) {
    json_begin_object (j, NULL);
    json_add_string (j, "mountpoint", gu->mountpoints[i]);
    json_add_string (j, "device", gu->mountpoints[i + 1]);
    json_end_object (j);
  }
  json_end_array (j);
  json_begin_array (j, "kernels");
  for (size_t i = 0; i < gu->nr_kernels; i++) {
    const struct guest_kernel *k = &gu->kernels[i];
    bool all = true;
    json_begin_object (j, NULL);
    json_add_string (j, "version", k->version);
    json_add_string (j, "initrd", k->initrd);
    json_begin_object (j, "virtio");
    for (size_t m = 0; virtio_mods[m]; m++) {
      bool has = kernel_has_module (k, virtio_mods[m]);
      json_add_bool (j, virtio_mods[m], has);
      all = all && has;
    }
    json_end_object (j);
    json_add_bool (j, "boots_on_virtio", all);
    /* Every module in the image, as modprobe names it ("nvme-core"). */
    json_begin_array (j, "initrd_modules");
    for (size_t f = 0; k->initrd_files && k->initrd_files[f]; f++) {
      const char *p = k->initrd_files[f], *base = strrchr (p, '/');
      const char *ko;
      base = base ? base + 1 : p;
      ko = strstr (base, ".ko");
      if (ko && ko > base && (ko[3] == '\0' || ko[3] == '.')) {
        CLEANUP_FREE char *name = strndup (base, ko - base);
        if (name)
          json_add_string (j, NULL, name);
      }
    }
    json_end_array (j);
    json_end_object (j);
  }
  json_end_array (j);
  json_begin_array (j, "network_config");
  for (size_t i = 0; i < gu->nr_netconfs; i++) {
    json_begin_object (j, NULL);
    json_add_string (j, "file", gu->netconfs[i].path);
    json_add_string (j, "kind", gu->netconfs[i].kind);
    json_end_object (j);
  }
  json_end_array (j);
  json_begin_array (j, "hypervisor_tools");
  for (size_t i = 0; gu->packages && gu->packages[i]; i++)
    if (hypervisor_tool_package (gu->packages[i], false))
      json_add_string (j, NULL, gu->packages[i]);
  json_end_array (j);
  json_end_object (j);
}
