/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit test for initramfs_list: concatenated newc archives, the first
 * uncompressed (early microcode, as Debian does), then padding, then a
 * compressed one; and corrupt input.  And for initramfs-merge.c: the
 * modules.dep closure, the paths it accepts, and the merged archive.
 */

#include <config.h>

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guestfix.h"
#include "unittest.h"

static void
add_entry (struct sbuf *b, const char *name, const char *data, unsigned mode)
{
  size_t namesize = strlen (name) + 1, filesize = data ? strlen (data) : 0;
  char hdr[256];

  snprintf (hdr, sizeof hdr,
            "070701%08x%08x%08x%08x%08x%08x%08zx%08x%08x%08x%08x%08zx%08x",
            1, mode, 0, 0, 1, 0, filesize, 0, 0, 0, 0, namesize, 0);
  sbuf_add (b, hdr, 110);
  sbuf_add (b, name, namesize);
  while (b->len % 4) sbuf_add (b, "", 1);
  if (filesize) sbuf_add (b, data, filesize);
  while (b->len % 4) sbuf_add (b, "", 1);
}

static bool
has (char **l, const char *s)
{
  for (size_t i = 0; l && l[i]; i++)
    if (strcmp (l[i], s) == 0)
      return true;
  return false;
}

static int
write_all (const char *path, const char *data, size_t len, bool append)
{
  int fd = open (path, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0600);
  if (fd == -1 || write (fd, data, len) != (ssize_t) len)
    return -1;
  return close (fd);
}

int
main (void)
{
  char dir[] = "/tmp/ferry-test-initramfs.XXXXXX";
  char early[256], main_part[256], gz[300], img[256];
  struct sbuf a = SBUF_INIT, m = SBUF_INIT;
  char **files;
  char gzdata[1 << 16];
  ssize_t gzlen;

  if (mkdtemp (dir) == NULL)
    return 1;
  snprintf (early, sizeof early, "%s/early.cpio", dir);
  snprintf (main_part, sizeof main_part, "%s/main.cpio", dir);
  snprintf (gz, sizeof gz, "%s/main.cpio.gz", dir);
  snprintf (img, sizeof img, "%s/initrd.img", dir);

  add_entry (&a, "kernel", NULL, 040755);
  add_entry (&a, "kernel/x86/microcode/GenuineIntel.bin", "ucode", 0100644);
  add_entry (&a, "TRAILER!!!", NULL, 0);
  add_entry (&m, ".", NULL, 040755);
  add_entry (&m, "usr/lib/modules/6.1.0-13-amd64/kernel/drivers/block/virtio_blk.ko", "x", 0100644);
  add_entry (&m, "usr/lib/modules/6.1.0-13-amd64/kernel/drivers/net/virtio_net.ko.xz", "y", 0100644);
  add_entry (&m, "conf/modules", "virtio_blk\n", 0100644);
  add_entry (&m, "TRAILER!!!", NULL, 0);

  /* Uncompressed only. */
  write_all (img, a.s, a.len, false);
  files = initramfs_list (img);
  CHECK (files && has (files, "kernel/x86/microcode/GenuineIntel.bin"),
         "uncompressed archive lists the microcode");
  CHECK (files && !has (files, "TRAILER!!!"), "trailer is not a file");
  free_string_list (files);

  /* Early + 512 bytes of padding + gzip main. */
  write_all (main_part, m.s, m.len, false);
  {
    const char *argv[] = { "gzip", "-kf", main_part, NULL };
    CHECK (run_command (argv, NULL, NULL) == 0, "gzip the main archive");
  }
  gzlen = read_at (gz, gzdata, sizeof gzdata, 0);
  write_all (img, a.s, a.len, false);
  {
    char pad[512] = { 0 };
    write_all (img, pad, sizeof pad, true);
  }
  write_all (img, gzdata, gzlen, true);
  files = initramfs_list (img);
  CHECK (files != NULL, "concatenated initramfs parses");
  CHECK (files && has (files, "kernel/x86/microcode/GenuineIntel.bin"),
         "early archive listed");
  CHECK (files && has (files, "usr/lib/modules/6.1.0-13-amd64/kernel/drivers/block/virtio_blk.ko"),
         "compressed archive listed");
  {
    struct guest_kernel k = { .initrd_files = files };
    CHECK (kernel_has_module (&k, "virtio_blk"), "virtio_blk found");
    CHECK (kernel_has_module (&k, "virtio_net"), "compressed module virtio_net.ko.xz found");
    CHECK (!kernel_has_module (&k, "virtio_scsi"), "virtio_scsi absent");
    CHECK (!kernel_has_module (&k, "virtio"), "prefix virtio does not match virtio_blk");
  }
  free_string_list (files);

  /* Corrupt: a truncated compressed stream, and garbage. */
  write_all (img, a.s, a.len, false);
  write_all (img, gzdata, gzlen / 2, true);
  files = initramfs_list (img);
  CHECK (files == NULL, "truncated compressed archive is an error");
  free_string_list (files);
  write_all (img, "this is not an initramfs at all", 31, false);
  files = initramfs_list (img);
  CHECK (files == NULL, "garbage is an error");
  CHECK (last_error () && strstr (last_error (), "unknown data"), "garbage error message");
  free_string_list (files);

  /* modules.dep: the closure, '-' and '_' alike, a cycle, a miss. */
  {
    static const char dep[] =
      "kernel/drivers/virtio/virtio.ko:\n"
      "kernel/drivers/virtio/virtio_ring.ko:\n"
      "kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko\n"
      "kernel/drivers/virtio/virtio_pci_legacy_dev.ko:\n"
      "kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko\n"
      "kernel/drivers/nvme/host/nvme-core.ko:\n"
      "kernel/drivers/nvme/host/nvme.ko: kernel/drivers/nvme/host/nvme-core.ko\n"
      "kernel/a.ko: kernel/b.ko\n"
      "kernel/b.ko: kernel/a.ko\n";
    char *virtio[] = { "virtio_pci", "virtio_blk", NULL };
    char *nvme[] = { "nvme_core", NULL }, *cycle[] = { "a", NULL };
    char *missing[] = { "virtio_blk", "ena", NULL };
    char **c = modules_dep_closure (dep, virtio);
    size_t n = 0;
    for (size_t i = 0; c && c[i]; i++) n++;
    CHECK (c && n == 5 && has (c, "kernel/drivers/virtio/virtio_pci_legacy_dev.ko") &&
           has (c, "kernel/drivers/block/virtio_blk.ko") && has (c, "kernel/drivers/virtio/virtio.ko"),
           "closure of virtio_pci and virtio_blk: the 5 modules");
    free_string_list (c);
    c = modules_dep_closure (dep, nvme);
    CHECK (c && has (c, "kernel/drivers/nvme/host/nvme-core.ko") && c[1] == NULL,
           "nvme_core found as nvme-core.ko, without nvme");
    free_string_list (c);
    c = modules_dep_closure (dep, cycle);
    CHECK (c && has (c, "kernel/a.ko") && has (c, "kernel/b.ko") && c[2] == NULL,
           "a dependency cycle ends");
    free_string_list (c);
    c = modules_dep_closure (dep, missing);
    CHECK (c == NULL, "a module modules.dep lacks: no closure");
    CHECK (initramfs_safe_rel ("kernel/drivers/a.ko") && initramfs_safe_rel ("a/..b"),
           "plain relative paths are accepted");
    CHECK (!initramfs_safe_rel ("../etc/shadow") && !initramfs_safe_rel ("a/../../b") &&
           !initramfs_safe_rel ("/etc/x") && !initramfs_safe_rel ("a b") &&
           !initramfs_safe_rel ("a/..") && !initramfs_safe_rel ("a\x1b[2J") &&
           !initramfs_safe_rel (""), "escaping, absolute and unprintable paths are refused");
  }

  /* The merge: old entries less the index, new module and directory,
   * new index, one trailer; a second archive is refused.
   */
  {
    char tree[300], mod[400], idx[400], merged[300];
    static const char *const indexes[] = { "modules.dep", "modules.alias", NULL };
    char *fresh[] = { "kernel/drivers/scsi/virtio_scsi.ko", NULL };
    char *load[] = { "virtio_blk", "virtio_scsi", NULL };
    struct sbuf m2 = SBUF_INIT;
    char **l;
    size_t deps = 0, loads = 0;

    sbuf_free (&m);
    add_entry (&m, ".", NULL, 040755);
    add_entry (&m, "usr/lib/modules/6.1.0-13-amd64", NULL, 040755);
    add_entry (&m, "usr/lib/modules/6.1.0-13-amd64/kernel", NULL, 040755);
    add_entry (&m, "usr/lib/modules/6.1.0-13-amd64/kernel/drivers", NULL, 040755);
    add_entry (&m, "usr/lib/modules/6.1.0-13-amd64/modules.dep", "old\n", 0100644);
    add_entry (&m, "conf/modules", "virtio_blk opt=1\n", 0100644);
    add_entry (&m, "TRAILER!!!", NULL, 0);
    write_all (main_part, m.s, m.len, false);
    snprintf (tree, sizeof tree, "%s/tree", dir);
    snprintf (mod, sizeof mod, "%s/kernel/drivers/scsi", tree);
    mkdir (tree, 0755);
    mkdir (strcat (strcpy (idx, tree), "/kernel"), 0755);
    mkdir (strcat (strcpy (idx, tree), "/kernel/drivers"), 0755);
    mkdir (mod, 0755);
    strcat (mod, "/virtio_scsi.ko");
    write_all (mod, "ELF", 3, false);
    snprintf (idx, sizeof idx, "%s/modules.dep", tree);
    write_all (idx, "new\n", 4, false);
    snprintf (merged, sizeof merged, "%s/merged.cpio", dir);
    CHECK (cpio_merge (main_part, merged, "usr/lib/modules/6.1.0-13-amd64/", fresh,
                       tree, indexes, "conf/modules", load) == 1, "merge: done");
    l = initramfs_list (merged);
    for (size_t i = 0; l && l[i]; i++) {
      deps += strcmp (l[i], "usr/lib/modules/6.1.0-13-amd64/modules.dep") == 0;
      loads += strcmp (l[i], "conf/modules") == 0;
    }
    CHECK (loads == 1, "merge: the module-load list once");
    CHECK (l && has (l, "usr/lib/modules/6.1.0-13-amd64/kernel/drivers/scsi/virtio_scsi.ko") &&
           has (l, "usr/lib/modules/6.1.0-13-amd64/kernel/drivers/scsi") && has (l, "conf/modules"),
           "merge: the new module, its new directory and the old files");
    CHECK (deps == 1, "merge: the index once, the new one");
    {
      struct guest_kernel k = { .initrd_files = l };
      CHECK (kernel_has_module (&k, "virtio_scsi"), "merge: virtio_scsi found by the lister");
    }
    free_string_list (l);
    {
      char buf[4096];
      ssize_t got = read_at (merged, buf, sizeof buf, 0);
      CHECK (got > 0 && memmem (buf, got, "new\n", 4) && !memmem (buf, got, "old\n", 4),
             "merge: the old index's bytes are gone");
      CHECK (got > 0 && memmem (buf, got, "virtio_blk opt=1\nvirtio_scsi\n", 29) &&
             !memmem (buf, got, "virtio_scsi\nvirtio_blk", 22),
             "merge: the load list keeps its lines and gains the one it lacked");
    }
    unlink (merged);
    /* An image with no load list gets one, and its directory. */
    {
      struct sbuf m3 = SBUF_INIT;
      char buf[4096];
      ssize_t got;
      add_entry (&m3, "usr/lib/modules/6.1.0-13-amd64/modules.dep", "old\n", 0100644);
      add_entry (&m3, "TRAILER!!!", NULL, 0);
      write_all (main_part, m3.s, m3.len, false);
      CHECK (cpio_merge (main_part, merged, "usr/lib/modules/6.1.0-13-amd64/", fresh,
                         tree, indexes, "conf/modules", load) == 1, "merge: no load list: done");
      l = initramfs_list (merged);
      CHECK (l && has (l, "conf") && has (l, "conf/modules"),
             "merge: the load list and its directory are added");
      free_string_list (l);
      got = read_at (merged, buf, sizeof buf, 0);
      CHECK (got > 0 && memmem (buf, got, "virtio_blk\nvirtio_scsi\n", 23),
             "merge: a new load list names every module");
      unlink (merged);
      sbuf_free (&m3);
    }
    /* A second archive after the trailer is not ours to merge. */
    sbuf_add (&m2, m.s, m.len);
    add_entry (&m2, "extra", "z", 0100644);
    add_entry (&m2, "TRAILER!!!", NULL, 0);
    write_all (main_part, m2.s, m2.len, false);
    CHECK (cpio_merge (main_part, merged, "usr/lib/modules/6.1.0-13-amd64/", fresh,
                       tree, indexes, NULL, NULL) == 0, "merge: two archives in one stream are refused");
    unlink (merged);
    /* Garbage: not an archive. */
    write_all (main_part, "garbage garbage garbage", 23, false);
    CHECK (cpio_merge (main_part, merged, "usr/lib/modules/6.1.0-13-amd64/", fresh,
                       tree, indexes, NULL, NULL) == 0, "merge: garbage is refused");
    unlink (merged); unlink (mod); unlink (idx);
    *strrchr (mod, '/') = '\0'; rmdir (mod);
    rmdir (strcat (strcpy (idx, tree), "/kernel/drivers"));
    rmdir (strcat (strcpy (idx, tree), "/kernel"));
    rmdir (tree);
    sbuf_free (&m2);
  }

  /* Extraction: the modules asked for, from the archive, nothing else;
   * an existing file is not overwritten.
   */
  {
    struct sbuf m4 = SBUF_INIT;
    char tree[300], path[400], buf[16];
    char *rels[] = { "kernel/a.ko", "kernel/missing.ko", "kernel/link.ko", NULL };
    char **got = NULL;
    ssize_t n;

    add_entry (&m4, "usr/lib/modules/V/kernel/a.ko", "AAA", 0100644);
    add_entry (&m4, "usr/lib/modules/V/kernel/b.ko", "BBB", 0100644);
    add_entry (&m4, "usr/lib/modules/V/kernel/link.ko", "/etc/shadow", 0120777);
    add_entry (&m4, "other/kernel/a.ko", "XXX", 0100644);
    add_entry (&m4, "TRAILER!!!", NULL, 0);
    write_all (main_part, m4.s, m4.len, false);
    snprintf (tree, sizeof tree, "%s/xtree", dir);
    mkdir (tree, 0755);
    snprintf (path, sizeof path, "%s/kernel", tree);
    mkdir (path, 0755);
    CHECK (cpio_extract (main_part, "usr/lib/modules/V/", rels, tree, &got) == 1 &&
           got && strcmp (got[0], "kernel/a.ko") == 0 && got[1] == NULL,
           "extract: one regular file asked for, not the link or another prefix's");
    free_string_list (got);
    snprintf (path, sizeof path, "%s/kernel/a.ko", tree);
    n = read_at (path, buf, sizeof buf, 0);
    CHECK (n == 3 && memcmp (buf, "AAA", 3) == 0, "extract: the file's bytes");
    snprintf (path, sizeof path, "%s/kernel/b.ko", tree);
    CHECK (access (path, F_OK) == -1, "extract: a module not asked for is not written");
    CHECK (cpio_extract (main_part, "usr/lib/modules/V/", rels, tree, &got) == -1 && got == NULL,
           "extract: an existing file is not overwritten");
    snprintf (path, sizeof path, "%s/kernel/a.ko", tree);
    unlink (path);
    snprintf (path, sizeof path, "%s/kernel", tree);
    rmdir (path);
    rmdir (tree);
    sbuf_free (&m4);
  }

  unlink (early); unlink (main_part); unlink (gz); unlink (img);
  rmdir (dir);
  sbuf_free (&a);
  sbuf_free (&m);
  printf ("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
