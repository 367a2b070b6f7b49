/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: the files qemu itself opens for a disk, checked before any
 * data is read.
 *
 * format.c lists what an image refers to by ferry's reading of the
 * formats; qemu has rules of its own (where a VMDK parent hint may
 * sit, how a backing name with a protocol prefix resolves, which
 * extents count).  So each node of the chain is opened once more by a
 * confined "qemu-img info" with an explicit format and without its
 * backing file, and every file qemu reports (VMDK extents, qcow2 data
 * file, the backing file as qemu resolves it) must be a regular file
 * inside the directories this disk may use.  The backing file becomes
 * the next node, with the format ferry detects: qemu never probes.
 * The result is the --image-opts string that names the whole chain.
 */

#include <config.h>

#include <string.h>
#include <sys/stat.h>

#include "inputs.h"

bool
has_protocol_prefix (const char *name)
{
  /* qemu's rule: a ':' before the first '/' names a protocol
   * ("file:", "nbd:", "json:"), whatever exists on disk.
   */
  return name[strcspn (name, ":/")] == ':';
}

/* Is 'path' (absolute) a regular file inside one of the roots?  Then
 * its canonical path (owned); else NULL after error().
 */
static char *
checked_file (const char *label, const char *ref, const char *path,
              char *const *roots)
{
  char *rp = realpath (path, NULL);
  struct stat st;

  if (rp == NULL) {
    error ("open \"%s\": qemu would open \"%s\", which does not exist or "
           "cannot be read", label, ref);
    return NULL;
  }
  for (size_t i = 0; roots && roots[i]; i++) {
    if (path_is_within (rp, roots[i]) != 1)
      continue;
    if (stat (rp, &st) == -1 || !S_ISREG (st.st_mode)) {
      error ("open \"%s\": it refers to \"%s\", which is not a regular file; "
             "refusing it", label, ref);
      free (rp);
      return NULL;
    }
    return rp;
  }
  error ("open \"%s\": qemu would open \"%s\", outside the export; refusing it",
         label, ref);
  free (rp);
  return NULL;
}

/* A name from qemu's report: relative names are relative to the node's
 * directory.  Returns the canonical path (owned), or NULL after error().
 */
static char *
check_name (const char *label, const char *name, const char *node_dir,
            char *const *roots)
{
  CLEANUP_FREE char *full = NULL;

  if (has_protocol_prefix (name)) {
    error ("open \"%s\": it refers to \"%s\", which is not a plain file "
           "(a protocol prefix); refusing it", label, name);
    return NULL;
  }
  if (name[0] == '/')
    full = strdup (name);
  else if (asprintf (&full, "%s/%s", node_dir, name) == -1)
    full = NULL;
  if (full == NULL) {
    error ("open \"%s\": %m", label);
    return NULL;
  }
  return checked_file (label, name, full, roots);
}

static void
archive_ref (const char *label, const char *name)
{
  error ("open \"%s\": it refers to \"%s\", which a disk inside an "
         "archive cannot do", label, name);
}

/* A file qemu opens besides the node (extent, data file): refused in
 * an archive, else it must pass check_name.  0 or -1 after error().
 */
static int
check_ref (const char *label, const char *name, const char *node_dir,
           char *const *roots, bool in_archive)
{
  CLEANUP_FREE char *ok = NULL;

  if (in_archive) {
    archive_ref (label, name);
    return -1;
  }
  ok = check_name (label, name, node_dir, roots);
  return ok ? 0 : -1;
}

/* Run the confined qemu-img info on one node; the parsed report. */
static json_t *
node_info (const char *label, const char *image_opts, const struct confine *c)
{
  const char *argv[] = {
    QEMU_IMG, "info", "-U", "--output=json", "--image-opts", image_opts, NULL
  };
  struct confined_argv ca;
  CLEANUP_FREE char *out = NULL, *err = NULL;
  json_t *v;
  int r;

  if (confine_argv (c->off ? NULL : c, argv, &ca) == -1)
    return NULL;
  r = run_command_timeout (ca.argv, &out, &err, 30);
  confined_argv_free (&ca);
  if (r != 0) {
    if (r > 0) {
      const char *m = err ? err : "";
      size_t n = strlen (image_opts);
      if (strncmp (m, "qemu-img: ", 10) == 0)
        m += 10;
      /* "Could not open 'OPTS': " says nothing the label does not. */
      if (strncmp (m, "Could not open '", 16) == 0 &&
          strncmp (m + 16, image_opts, n) == 0 &&
          strncmp (m + 16 + n, "': ", 3) == 0)
        m += 16 + n + 3;
      error ("open \"%s\": qemu cannot open it: %.*s", label,
             (int) strcspn (m, "\n"), *m ? m : "qemu-img info failed");
    }
    return NULL;
  }
  v = json_read (out ? out : "", out ? strlen (out) : 0, "qemu-img info",
                 false);
  if (!json_is_object (v)) {
    json_decref (v);
    error ("open \"%s\": cannot read qemu's report on it", label);
    return NULL;
  }
  return v;
}

int
qemu_view_chain (const char *label, const char *path, const char *format,
                 uint64_t offset, uint64_t size, bool in_archive,
                 const struct confine *c,
                 char *const *roots, uint64_t max_size, char **opts_out)
{
  struct sbuf opts = SBUF_INIT, prefix = SBUF_INIT;
  CLEANUP_FREE char *node = strdup (path), *fmt = strdup (format);
  CLEANUP_STRING_LIST char **seen = NULL;
  int ret = -1;

  *opts_out = NULL;
  if (node == NULL || fmt == NULL)
    goto nomem;
  for (int depth = 0; ; depth++) {
    CLEANUP_FREE char *epath = qemu_opt_escape (node), *one = NULL,
      *dir = NULL, *next = NULL;
    const json_t *spec, *ext;
    const char *backing, *datafile;
    json_t *v;
    int64_t vsize;
    int r;

    if (epath == NULL)
      goto nomem;
    if (depth >= 32) {
      error ("open \"%s\": its chain of backing files is longer than 32", label);
      goto out;
    }
    for (size_t i = 0; seen && seen[i]; i++)
      if (strcmp (seen[i], node) == 0) {
        error ("open \"%s\": its chain of backing files is a loop", label);
        goto out;
      }
    if (string_list_push (&seen, node) == -1)
      goto nomem;
    /* The node as qemu-nbd will open it, without its backing file. */
    if (depth == 0 && size != 0)
      r = asprintf (&one, "driver=%s,file.driver=raw,file.offset=%llu,"
                    "file.size=%llu,file.file.driver=file,"
                    "file.file.filename=%s", fmt,
                    (unsigned long long) offset, (unsigned long long) size,
                    epath);
    else
      r = asprintf (&one, "driver=%s,file.driver=file,file.filename=%s",
                    fmt, epath);
    if (r == -1)
      goto nomem;
    v = node_info (label, one, c);
    if (v == NULL)
      goto out;
    dir = dir_of (node);
    if (dir == NULL) {
      json_decref (v);
      goto nomem;
    }
    if (depth == 0 && tree_int (v, "virtual-size", &vsize) &&
        (uint64_t) vsize > max_size) {
      char a[32], b[32];
      error ("open \"%s\": its virtual size of %s is more than the %s "
             "allowed (-io max-size=)", label, human_size (vsize, a),
             human_size (max_size, b));
      json_decref (v);
      goto out;
    }
    spec = tree_path (v, "format-specific.data");
    /* VMDK extents: the node itself is its own extent for a sparse
     * file; any other must be inside the export.
     */
    ext = spec ? json_object_get (spec, "extents") : NULL;
    for (size_t i = 0; i < json_array_size (ext); i++) {
      const char *f = tree_str (json_array_get (ext, i), "filename");
      if (f == NULL)
        continue;
      /* A disk inside an archive is one member: its only file is itself. */
      if (in_archive && depth == 0 &&
          (strcmp (f, node) == 0 || strncmp (f, "json:", 5) == 0))
        continue;
      if (check_ref (label, f, dir, roots, in_archive && depth == 0) == -1) {
        json_decref (v);
        goto out;
      }
    }
    datafile = spec ? tree_str (spec, "data-file") : NULL;
    if (datafile &&
        check_ref (label, datafile, dir, roots, in_archive && depth == 0) == -1) {
      json_decref (v);
      goto out;
    }
    backing = tree_str (v, "full-backing-filename");
    if (backing == NULL)
      backing = tree_str (v, "backing-filename");
    if (backing) {
      const char *written = tree_str (v, "backing-filename");
      if (in_archive && depth == 0) {
        archive_ref (label, written ? written : backing);
        json_decref (v);
        goto out;
      }
      if (written && has_protocol_prefix (written)) {
        error ("open \"%s\": it refers to \"%s\", which is not a plain file "
               "(a protocol prefix); refusing it", label, written);
        json_decref (v);
        goto out;
      }
      next = check_name (label, backing, dir, roots);
      if (next == NULL) {
        json_decref (v);
        goto out;
      }
    }
    json_decref (v);

    /* Append this node to the options: backing.backing...driver=. */
    if (depth == 0)
      r = sbuf_puts (&opts, one);
    else if (strncmp (one, "driver=", 7) == 0)
      r = sbuf_printf (&opts, ",%sdriver=%s,%sfile.driver=file,"
                       "%sfile.filename=%s", prefix.s, fmt, prefix.s,
                       prefix.s, epath);
    else
      r = -1;
    if (r == -1)
      goto nomem;
    if (next == NULL)
      break;
    /* The next node's format is ferry's to decide, from its content. */
    {
      struct image_info bi;
      if (image_probe (next, NULL, &bi) == -1)
        goto out;
      free (fmt);
      fmt = strdup (bi.format);
      image_info_free (&bi);
      if (fmt == NULL)
        goto nomem;
    }
    if (sbuf_puts (&prefix, "backing.") == -1)
      goto nomem;
    free (node);
    node = next;
    next = NULL;
  }
  *opts_out = sbuf_take (&opts);
  ret = *opts_out ? 0 : -1;
  if (ret == -1)
    goto nomem;
  goto out;

 nomem:
  error ("open \"%s\": %m", label);
 out:
  sbuf_free (&opts);
  sbuf_free (&prefix);
  return ret;
}
