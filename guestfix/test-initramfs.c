/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit test for initramfs_list: concatenated newc archives, the first
 * uncompressed (early microcode, as Debian does), then padding, then a
 * compressed one; and corrupt input.
 */

#include <config.h>

#include <fcntl.h>
#include <string.h>
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

  unlink (early); unlink (main_part); unlink (gz); unlink (img);
  rmdir (dir);
  sbuf_free (&a);
  sbuf_free (&m);
  printf ("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
