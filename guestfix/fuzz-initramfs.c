/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for what reads a guest's initramfs and module
 * index on the host: initramfs_split (the uncompressed archives before
 * the compressed one), cpio_copy_entries (the decompressed main
 * archive, copied for the merge), cpio_merge with the image's module-load
 * list (conf/modules, read and rewritten), cpio_extract (the image's
 * modules, written for depmod) and modules_dep_closure
 * (modules.dep).
 * The first byte picks the target; the rest is the guest's bytes.
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "guestfix.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static char path[] = "/tmp/ferry-fuzz-initramfs.XXXXXX";
  static int fd = -1;

  if (size < 1)
    return 0;
  if (fd == -1 && (fd = mkstemp (path)) == -1)
    abort ();
  if (data[0] % 2 == 0) {
    /* modules.dep text. */
    char *dep = strndup ((const char *) data + 1, size - 1);
    char *mods[] = { "virtio_blk", "nvme_core", NULL };
    char **c = dep ? modules_dep_closure (dep, mods) : NULL;
    for (size_t i = 0; c && c[i]; i++)
      if (!initramfs_safe_rel (c[i]) && strlen (c[i]) == 0)
        abort ();               /* an empty path never comes out */
    free_string_list (c);
    free (dep);
    return 0;
  }
  /* An image, or a decompressed main archive. */
  if (ftruncate (fd, 0) == -1 || pwrite (fd, data + 1, size - 1, 0) != (ssize_t) (size - 1))
    abort ();
  {
    uint64_t off;
    const char *tool;
    if (initramfs_split (path, &off, &tool) == 0 && off > size - 1)
      abort ();                 /* the split is inside the file */
  }
  {
    int in = open (path, O_RDONLY), out = open ("/dev/null", O_WRONLY);
    char *drop[] = { "usr/lib/modules/6.1.0-13-amd64/modules.dep", NULL };
    char **names = NULL;
    if (in >= 0 && out >= 0)
      cpio_copy_entries (in, out, drop, &names);
    for (size_t i = 0; names && names[i]; i++)
      if (strcmp (names[i], drop[0]) == 0)
        abort ();               /* a dropped name was kept */
    free_string_list (names);
    if (in >= 0) close (in);
    if (out >= 0) close (out);
  }
  {
    static char merged[64];
    static const char *const indexes[] = { NULL };
    char *load[] = { "virtio_blk", "virtio_net", NULL };
    if (merged[0] == '\0')
      snprintf (merged, sizeof merged, "%s.merged", path);
    unlink (merged);
    cpio_merge (path, merged, "usr/lib/modules/6.1.0-13-amd64/", NULL,
                "/nonexistent", indexes, "conf/modules", load);
    unlink (merged);
  }
  {
    static char tree[64], file[96];
    char *rels[] = { "kernel/a.ko", NULL };
    char **got = NULL;
    if (tree[0] == '\0') {
      snprintf (tree, sizeof tree, "%s.tree", path);
      snprintf (file, sizeof file, "%s/kernel", tree);
      if ((mkdir (tree, 0700) == -1 && errno != EEXIST) ||
          (mkdir (file, 0700) == -1 && errno != EEXIST))
        abort ();
      snprintf (file, sizeof file, "%s/kernel/a.ko", tree);
    }
    unlink (file);
    if (cpio_extract (path, "usr/lib/modules/6.1.0-13-amd64/", rels, tree, &got) > 1)
      abort ();                 /* one name asked for, at most one written */
    free_string_list (got);
    unlink (file);
  }
  return 0;
}
