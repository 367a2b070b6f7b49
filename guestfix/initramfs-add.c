/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: add the target's modules to a guest's initramfs on the host.
 *
 * The guest's tool in the appliance (update-initramfs, dracut,
 * mkinitfs) rebuilds the whole image with the guest's own scripts,
 * under TCG one to three minutes a kernel.  All
 * a conversion needs is a few more modules in the image that already
 * boots the guest, so ferry does that part itself:
 *
 *   1. the modules to add, and their dependencies, from the guest's
 *      modules.dep, less those the image already holds;
 *   2. the module indexes (modules.dep, modules.alias and their .bin
 *      forms) from the host's depmod over the image's modules and the
 *      new ones, all copied from the guest's /lib/modules;
 *   3. the image's main (compressed) archive, decompressed, with the
 *      new modules and indexes merged into it as one cpio archive,
 *      recompressed with the same compressor behind the image's
 *      uncompressed early archives, which stay as they are.
 *
 * The result is an image of the layout update-initramfs writes, which
 * lsinitramfs and the kernel read the same way; the guest's udev loads
 * the new drivers by their aliases, as it would have after a rebuild.
 * Everything that reads the guest's bytes (the decompressor, depmod)
 * runs in the sandbox of common/confine.c.  Anything unusual about the
 * image makes this return 0 with the reason, and initramfs-mode.c
 * decides whether the guest's tool runs instead.
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guestfix.h"

#define MAX_IMAGE (UINT64_C(4) << 30)   /* decompressed main archive */

/* The module indexes depmod writes, which replace the image's. */
static const char *const indexes[] = {
  "modules.dep", "modules.dep.bin", "modules.alias", "modules.alias.bin",
  "modules.softdep", "modules.symbols", "modules.symbols.bin",
  "modules.builtin.bin", "modules.builtin.alias.bin", "modules.devname",
  NULL
};
/* What depmod reads besides the modules, copied from the guest. */
static const char *const depmod_inputs[] = {
  "modules.order", "modules.builtin", "modules.builtin.modinfo", NULL
};

static int
mkdirs (const char *path)
{
  CLEANUP_FREE char *p = strdup (path);

  if (p == NULL)
    return -1;
  for (char *s = p + 1; *s; s++)
    if (*s == '/') {
      *s = '\0';
      if (mkdir (p, 0755) == -1 && errno != EEXIST)
        return -1;
      *s = '/';
    }
  return mkdir (p, 0755) == -1 && errno != EEXIST ? -1 : 0;
}

/* Copy /lib/modules/VERSION/rel from the guest to dir/rel. */
static int
fetch (guestfs_h *g, const char *version, const char *dir, const char *rel)
{
  CLEANUP_FREE char *src = NULL, *dst = NULL;

  if (asprintf (&src, "/lib/modules/%s/%s", version, rel) == -1 ||
      asprintf (&dst, "%s/%s", dir, rel) == -1)
    return -1;
  *strrchr (dst, '/') = '\0';
  if (mkdirs (dst) == -1)
    return -1;
  dst[strlen (dst)] = '/';
  guestfs_push_error_handler (g, NULL, NULL);
  int r = guestfs_download (g, src, dst);
  guestfs_pop_error_handler (g);
  return r;
}

/* Run a filter (decompressor or compressor) in the sandbox with stdin
 * from in_path at in_offset and stdout to out_fd, its output bounded
 * by RLIMIT_FSIZE.  Returns 0 if it exited 0.
 */
static int
filter (const char *const *argv, const char *in_path, uint64_t in_offset,
        int out_fd)
{
  int in = open (in_path, O_RDONLY | O_CLOEXEC), status;
  pid_t pid;

  if (in == -1 || lseek (in, in_offset, SEEK_SET) == -1) {
    if (in >= 0) close (in);
    return -1;
  }
  pid = initramfs_filter_spawn (argv, in, out_fd, MAX_IMAGE);
  close (in);
  if (pid == -1 || waitpid (pid, &status, 0) == -1)
    return -1;
  return WIFEXITED (status) && WEXITSTATUS (status) == 0 ? 0 : -1;
}

/* ---------------------------------------------------------------- */

/* Where the image keeps kernel k's modules: "usr/lib/modules/V/" (owned),
 * or NULL if it holds no modules.dep for it.
 */
static char *
modules_prefix (const struct guest_kernel *k)
{
  CLEANUP_FREE char *tail = NULL;

  if (asprintf (&tail, "lib/modules/%s/modules.dep", k->version) == -1)
    return NULL;
  for (size_t i = 0; k->initrd_files && k->initrd_files[i]; i++) {
    const char *f = k->initrd_files[i];
    size_t fl = strlen (f), tl = strlen (tail);
    if (fl >= tl && strcmp (f + fl - tl, tail) == 0 &&
        (fl == tl || f[fl - tl - 1] == '/'))
      return strndup (f, fl - strlen ("modules.dep"));
  }
  return NULL;
}

static const char *const *
compress_argv (const char *tool)
{
  static const char *const zstd[] = { "zstd", "-q", "-c", "-T0", NULL };
  static const char *const gz[] = { "gzip", "-c", "-n", NULL };
  /* The kernel's xz decoder checks CRC32 only. */
  static const char *const xz[] = { "xz", "-c", "--check=crc32", NULL };

  if (strcmp (tool, "zstd") == 0) return zstd;
  if (strcmp (tool, "gzip") == 0) return gz;
  if (strcmp (tool, "xz") == 0) return xz;
  return NULL;
}

struct work {
  char *dir;                    /* our directory in the run's temp dir */
  char *tree;                   /* dir/tree/lib/modules/VERSION */
};

static void
work_free (struct work *w)
{
  if (w->dir) {
    const char *argv[] = { "rm", "-rf", "--", w->dir, NULL };
    run_command (argv, NULL, NULL);
  }
  free (w->dir);
  free (w->tree);
}

int
initramfs_add_modules (guestfs_h *g, struct guest_kernel *k,
                       char *const *to_add, const char *load_list,
                       char ***files, char **why)
{
  __attribute__ ((cleanup (work_free))) struct work w = { 0 };
  CLEANUP_FREE char *prefix = NULL, *dep = NULL, *depfile = NULL;
  CLEANUP_FREE char *orig = NULL, *main_cpio = NULL, *merged = NULL, *out = NULL;
  CLEANUP_STRING_LIST char **closure = NULL, **present = NULL, **fresh = NULL;
  CLEANUP_STRING_LIST char **extracted = NULL;
  const char *tmp = tmpdir_create (), *tool = NULL, *image = NULL;
  const char *const *zargv;
  uint64_t split;
  bool exists;

  *files = NULL;
  *why = NULL;
  if (tmp == NULL)
    return -1;
  if (k->initrd == NULL || k->initrd_files == NULL || !initramfs_safe_rel (k->version) ||
      strchr (k->version, '/') || (prefix = modules_prefix (k)) == NULL) {
    return initramfs_why (why, "the image holds no module index (modules.dep) "
                   "for %s", k->version);
  }
  if (asprintf (&depfile, "/lib/modules/%s/modules.dep", k->version) == -1)
    goto nomem;
  dep = gfile_read (g, depfile, &exists);
  if (dep == NULL || (closure = modules_dep_closure (dep, to_add)) == NULL) {
    return initramfs_why (why, "%s does not list every module to add", depfile);
  }
  /* What the image holds, what it lacks. */
  for (size_t i = 0; k->initrd_files[i]; i++) {
    const char *f = k->initrd_files[i];
    if (strncmp (f, prefix, strlen (prefix)) == 0 && strstr (f, ".ko") &&
        string_list_push (&present, f + strlen (prefix)) == -1)
      goto nomem;
  }
  for (size_t i = 0; closure[i]; i++)
    if (!string_list_has (present, closure[i]) &&
        string_list_push (&fresh, closure[i]) == -1)
      goto nomem;
  if (fresh == NULL)
    return initramfs_why (why, "the image already holds every module to add");
  for (size_t l = 0; l < 2; l++)
    for (char **v = l == 0 ? present : fresh; v && *v; v++)
      if (!initramfs_safe_rel (*v))
        return initramfs_why (why, "the image names a module path ferry does not "
                       "copy (absolute, \"..\" or unprintable)");

  if (asprintf (&w.dir, "%s/initramfs-add.XXXXXX", tmp) == -1 ||
      mkdtemp (w.dir) == NULL ||
      asprintf (&w.tree, "%s/tree/lib/modules/%s", w.dir, k->version) == -1 ||
      mkdirs (w.tree) == -1)
    goto sys;

  /* The image's main archive, decompressed: from the copy inspection
   * listed, or read again.
   */
  if (asprintf (&orig, "%s/initrd.orig", w.dir) == -1 ||
      asprintf (&main_cpio, "%s/main.cpio", w.dir) == -1 ||
      asprintf (&merged, "%s/main.new", w.dir) == -1 ||
      asprintf (&out, "%s/initrd.new", w.dir) == -1)
    goto nomem;
  image = k->initrd_copy ? k->initrd_copy : orig;
  if (k->initrd_copy == NULL && guestfs_download (g, k->initrd, orig) == -1) {
    error ("read \"%s\": %s", k->initrd, guestfs_last_error (g));
    return -1;
  }
  if (initramfs_split (image, &split, &tool) == -1)
    return -1;
  if (tool == NULL || (zargv = compress_argv (tool)) == NULL) {
    return initramfs_why (why, "its main archive is %s",
                   tool ? "compressed with a tool ferry does not write"
                   : "not compressed");
  }
  {
    const char *dargv[] = { tool, "-dc", NULL };
    CLEANUP_CLOSE int mfd = open (main_cpio, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (mfd == -1)
      goto sys;
    if (filter (dargv, image, split, mfd) == -1) {
      return initramfs_why (why, "%s cannot decompress its main archive", tool);
    }
  }

  /* The tree depmod reads: every module of the new image.  Those the
   * image holds come out of it; only the new ones (and any the image
   * holds in a form cpio_extract skips) are read from the guest, one
   * round trip each.
   */
  for (size_t l = 0; l < 2; l++)
    for (char **v = l == 0 ? present : fresh; v && *v; v++) {
      CLEANUP_FREE char *d = NULL;
      if (asprintf (&d, "%s/%s", w.tree, *v) == -1)
        goto nomem;
      *strrchr (d, '/') = '\0';
      if (mkdirs (d) == -1)
        goto sys;
    }
  if (cpio_extract (main_cpio, prefix, present, w.tree, &extracted) == -1)
    return -1;
  for (size_t l = 0; l < 2; l++) {
    char **list = l == 0 ? present : fresh;
    for (size_t i = 0; list && list[i]; i++) {
      if (l == 0 && string_list_has (extracted, list[i]))
        continue;
      if (fetch (g, k->version, w.tree, list[i]) == -1)
        return initramfs_why (why, "/lib/modules/%s/%s cannot be read from the guest",
                       k->version, list[i]);
    }
  }
  debug ("initramfs of %s: %zu modules from the image, %zu from the guest",
         k->version, string_list_len (extracted),
         string_list_len (present) + string_list_len (fresh) - string_list_len (extracted));
  for (size_t i = 0; depmod_inputs[i]; i++)
    fetch (g, k->version, w.tree, depmod_inputs[i]);   /* optional */
  {
    struct confine sandbox = { 0 };
    struct confined_argv ca = { 0 };
    CLEANUP_FREE char *base = NULL, *err = NULL;
    const char *argv[] = { "/sbin/depmod", "-b", NULL, k->version, NULL };
    int r;

    /* depmod runs as the sandbox's own user: it must write the tree. */
    if (asprintf (&base, "%s/tree", w.dir) == -1 || chmod (w.tree, 0777) == -1)
      goto sys;
    argv[2] = base;
    if (confine_allow (&sandbox, base, true) == -1 ||
        confine_argv (confine_available () ? &sandbox : NULL, argv, &ca) == -1) {
      confine_free (&sandbox);
      return -1;
    }
    r = run_command_timeout (ca.argv, NULL, &err, 120);
    confined_argv_free (&ca);
    confine_free (&sandbox);
    if (r != 0) {
      return initramfs_why (why, "the host's depmod failed on the guest's modules (%.*s)",
                     err ? (int) strcspn (err, "\n") : 0, err ? err : "");
    }
  }

  switch (cpio_merge (main_cpio, merged, prefix, fresh, w.tree, indexes,
                      load_list, to_add)) {
  case -1:
    return -1;
  case 0:
    return initramfs_why (why, "its main archive is not one newc cpio archive");
  }

  /* The new image: the early archives as they were, then the merged
   * archive compressed as the old one was.
   */
  {
    CLEANUP_CLOSE int ofd = open (out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    CLEANUP_CLOSE int ifd = open (image, O_RDONLY | O_CLOEXEC);
    char buf[65536];
    uint64_t left = split;

    if (ofd == -1 || ifd == -1)
      goto sys;
    while (left > 0) {
      ssize_t n = read (ifd, buf, left > sizeof buf ? sizeof buf : left);
      if (n <= 0 || write (ofd, buf, n) != n)
        goto sys;
      left -= n;
    }
    if (filter (zargv, merged, 0, ofd) == -1) {
      error ("rebuild the initramfs for kernel %s: %s failed on this host",
             k->version, tool);
      return -1;
    }
    if (fsync (ofd) == -1)
      goto sys;
  }
  if ((*files = initramfs_list (out)) == NULL)
    return -1;
  if (guestfs_upload (g, out, k->initrd) == -1) {
    error ("write \"%s\": %s", k->initrd, guestfs_last_error (g));
    free_string_list (*files);
    *files = NULL;
    return -1;
  }
  return 1;

 nomem:
  error ("rebuild the initramfs for kernel %s: %m", k->version);
  return -1;
 sys:
  error ("rebuild the initramfs for kernel %s on the host: %m", k->version);
  return -1;
}
