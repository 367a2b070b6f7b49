/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: -i ova: an OVA (tar of OVF + manifest + disks) or a directory
 * holding an unpacked OVF export.
 *
 * Order of work: index the tar, verify the manifest, then parse the
 * OVF.  Uncompressed disks are read in place inside the tar (qemu's raw
 * driver with an offset); gzip-compressed ones are inflated into the
 * private temp dir, with the space checked first and the size bounded.
 */

#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <zlib.h>

#include "inputs.h"

static const struct optdesc ova_options[] = {
  { "skip-manifest", NULL, "do not verify the manifest's checksums" },
  { "vm", "NAME", "the virtual system to convert, when the OVF holds several" },
  DISKSET_OPTIONS,
  { NULL }
};

/* One file of the export: a tar member, or a file in the directory. */
struct ova_file {
  const char *name;             /* as in the OVF/manifest (not owned) */
  char *path;                   /* file holding it (owned) */
  uint64_t offset, size;        /* window; whole file when !in_tar */
  bool in_tar;
};

struct ova_input {
  struct input base;
  char *archive;                /* absolute path of the .ova, or NULL */
  char *dir;                    /* the export's directory (owned) */
  struct tar_index tar;
  struct disk_spec *specs;
  size_t nr_specs;
  struct diskset ds;
  char **verified;              /* files the manifest's digests matched (owned) */
  bool manifest_checked;        /* so every file the run reads must be there */
};

static void ova_close (struct input *in);

/* Largest OVF or manifest we read into memory. */
#define MAX_TEXT (16 * 1024 * 1024)

static int
lookup (struct ova_input *o, const char *name, struct ova_file *f)
{
  memset (f, 0, sizeof *f);
  f->name = name;
  if (name[0] == '/' || strstr (name, "://") || strcmp (name, "..") == 0 ||
      strncmp (name, "../", 3) == 0 || strstr (name, "/../") ||
      (strlen (name) >= 3 && strcmp (name + strlen (name) - 3, "/..") == 0)) {
    error ("read OVA \"%s\": it names \"%s\", outside the export; refusing it",
           o->archive ? o->archive : o->dir, name);
    return -1;
  }
  if (o->archive) {
    const struct tar_member *m = tar_find (&o->tar, name);
    if (m == NULL) {
      error ("read OVA \"%s\": \"%s\" is not in the archive", o->archive, name);
      return -1;
    }
    f->path = strdup (o->archive);
    f->offset = m->offset;
    f->size = m->size;
    f->in_tar = true;
  }
  else {
    struct stat st;
    int within;

    if (asprintf (&f->path, "%s/%s", o->dir, name) == -1)
      f->path = NULL;
    if (f->path == NULL) {
      error ("read OVA: %m");
      return -1;
    }
    within = path_is_within (f->path, o->dir);
    if (within == -1 || stat (f->path, &st) == -1) {
      error ("open \"%s\": %m", f->path);
      free (f->path);
      return -1;
    }
    if (!within) {
      error ("read OVA \"%s\": \"%s\" leads outside the export's directory; "
             "refusing it", o->dir, name);
      free (f->path);
      return -1;
    }
    if (!S_ISREG (st.st_mode)) {
      error ("read OVA \"%s\": \"%s\" is not a regular file; refusing it",
             o->dir, name);
      free (f->path);
      return -1;
    }
    f->size = st.st_size;
  }
  if (f->path == NULL) {
    error ("read OVA: %m");
    return -1;
  }
  return 0;
}

static bool
listed (char *const *list, const char *name)
{
  if (strncmp (name, "./", 2) == 0)
    name += 2;
  for (size_t i = 0; list && list[i]; i++) {
    const char *l = strncmp (list[i], "./", 2) == 0 ? list[i] + 2 : list[i];
    if (strcmp (l, name) == 0)
      return true;
  }
  return false;
}

/* Read a small file of the export (OVF, manifest) into memory. */
static char *
read_small (const struct ova_file *f, size_t *len)
{
  char *buf;
  ssize_t r;

  if (f->size > MAX_TEXT) {
    error ("read \"%s\": too large for an OVF or manifest (%llu bytes)",
           f->name, (unsigned long long) f->size);
    return NULL;
  }
  buf = malloc (f->size + 1);
  if (buf == NULL) {
    error ("read \"%s\": %m", f->name);
    return NULL;
  }
  r = f->size ? read_at (f->path, buf, f->size, f->offset) : 0;
  if (r != (ssize_t) f->size) {
    if (r == -1)
      error ("read \"%s\": %m", f->name);
    else
      error ("read \"%s\": unexpected end of file", f->name);
    free (buf);
    return NULL;
  }
  buf[f->size] = '\0';
  *len = f->size;
  return buf;
}

static bool
ends_with (const char *s, const char *suffix)
{
  size_t n = strlen (s), m = strlen (suffix);
  return n >= m && strcasecmp (s + n - m, suffix) == 0;
}

/* The names of the export's top-level files ending in 'suffix', into
 * *list (owned, NULL terminated, possibly NULL when there are none).
 */
static int
find_suffix (struct ova_input *o, const char *suffix, char ***list)
{
  *list = NULL;
  if (o->archive) {
    for (size_t i = 0; i < o->tar.nr; i++) {
      const char *n = o->tar.members[i].name;
      if (!strchr (n, '/') && ends_with (n, suffix) &&
          string_list_push (list, n) == -1)
        goto nomem;
    }
  }
  else {
    DIR *d = opendir (o->dir);
    struct dirent *e;

    if (d == NULL) {
      error ("open \"%s\": %m", o->dir);
      return -1;
    }
    while ((e = readdir (d)) != NULL)
      if (e->d_name[0] != '.' && ends_with (e->d_name, suffix) &&
          string_list_push (list, e->d_name) == -1) {
        closedir (d);
        goto nomem;
      }
    closedir (d);
  }
  return 0;
 nomem:
  error ("read OVA: %m");
  free_string_list (*list);
  *list = NULL;
  return -1;
}

static int
verify_manifest (struct ova_input *o, const char *mf_name, const char *label)
{
  struct ova_file mf;
  struct manifest m = { 0 };
  CLEANUP_FREE char *text = NULL;
  size_t len;
  int ret = -1;

  if (lookup (o, mf_name, &mf) == -1)
    return -1;
  text = read_small (&mf, &len);
  free (mf.path);
  if (text == NULL || manifest_parse (text, len, mf_name, &m) == -1)
    return -1;
  for (size_t i = 0; i < m.nr; i++) {
    const struct manifest_entry *e = &m.entries[i];
    struct ova_file f;
    CLEANUP_CLOSE int fd = -1;
    char digest[129];

    if (lookup (o, e->file, &f) == -1) {
      error ("verify the manifest of \"%s\": it lists \"%s\", which is not "
             "in the export", label, e->file);
      goto out;
    }
    fd = open (f.path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
      error ("open \"%s\": %m", f.path);
      free (f.path);
      goto out;
    }
    if (digest_range (fd, f.offset, f.size, e->algo, e->file, digest) == -1) {
      free (f.path);
      goto out;
    }
    free (f.path);
    if (strcmp (digest, e->digest) != 0) {
      error ("verify the manifest of \"%s\": %s of \"%s\" does not match "
             "(the manifest says %s, the file has %s); the export is "
             "corrupt or was modified (-io skip-manifest ignores this)",
             label, e->algo, e->file, e->digest, digest);
      goto out;
    }
    debug ("manifest: %s %s ok", e->algo, e->file);
    if (string_list_push (&o->verified, e->file) == -1) {
      error ("verify the manifest of \"%s\": %m", label);
      goto out;
    }
  }
  info ("verified the manifest: %zu file(s)", m.nr);
  ret = 0;
 out:
  manifest_free (&m);
  return ret;
}

/* Inflate a gzip-compressed disk into the temp dir.  'limit' bounds the
 * output (a compressed file can claim anything).
 */
static char *
inflate_disk (const struct ova_file *f, uint64_t limit, size_t idx)
{
  const char *tmpdir = tmpdir_create ();
  CLEANUP_CLOSE int in = -1;
  int out = -1;
  char *path = NULL;
  unsigned char *ibuf = NULL, *obuf = NULL;
  const size_t BUF = 1024 * 1024;
  uint64_t pos = 0, written = 0;
  z_stream z;
  int zr = Z_OK;
  struct statvfs sv;

  memset (&z, 0, sizeof z);
  if (tmpdir == NULL)
    return NULL;
  if (statvfs (tmpdir, &sv) == 0 &&
      (uint64_t) sv.f_bavail * sv.f_frsize < limit) {
    char a[32], b[32];
    error ("decompress \"%s\": it may need up to %s and the temp dir \"%s\" "
           "has %s free (set TMPDIR to a larger filesystem)", f->name,
           human_size (limit, a), tmpdir,
           human_size ((uint64_t) sv.f_bavail * sv.f_frsize, b));
    return NULL;
  }
  if (asprintf (&path, "%s/ova-disk%zu", tmpdir, idx) == -1) {
    error ("decompress \"%s\": %m", f->name);
    return NULL;
  }
  in = open (f->path, O_RDONLY | O_CLOEXEC);
  out = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  ibuf = malloc (BUF);
  obuf = malloc (BUF);
  if (in == -1 || out == -1 || ibuf == NULL || obuf == NULL ||
      inflateInit2 (&z, 16 + MAX_WBITS) != Z_OK) {
    error ("decompress \"%s\": %m", f->name);
    goto fail;
  }
  info ("decompressing \"%s\"", f->name);
  while (zr != Z_STREAM_END) {
    if (interrupted ()) {
      error ("decompress \"%s\": interrupted", f->name);
      goto fail;
    }
    if (z.avail_in == 0) {
      size_t n = f->size - pos < BUF ? f->size - pos : BUF;
      ssize_t r;
      if (n == 0) {
        error ("decompress \"%s\": the compressed data is truncated", f->name);
        goto fail;
      }
      r = pread (in, ibuf, n, f->offset + pos);
      if (r <= 0) {
        error ("decompress \"%s\": %s", f->name,
               r == 0 ? "unexpected end of file" : strerror (errno));
        goto fail;
      }
      pos += r;
      z.next_in = ibuf;
      z.avail_in = r;
    }
    z.next_out = obuf;
    z.avail_out = BUF;
    zr = inflate (&z, Z_NO_FLUSH);
    if (zr != Z_OK && zr != Z_STREAM_END) {
      error ("decompress \"%s\": corrupt gzip data (%s)", f->name,
             z.msg ? z.msg : "inflate failed");
      goto fail;
    }
    {
      size_t have = BUF - z.avail_out;
      written += have;
      if (written > limit) {
        char a[32];
        error ("decompress \"%s\": it inflates to more than %s, more than "
               "its disk can hold; refusing it", f->name, human_size (limit, a));
        goto fail;
      }
      for (size_t done = 0; done < have; ) {
        ssize_t w = write (out, obuf + done, have - done);
        if (w == -1) {
          if (errno == EINTR && !interrupted ())
            continue;
          error ("decompress \"%s\" into \"%s\": %m", f->name, tmpdir);
          goto fail;
        }
        done += w;
      }
    }
  }
  inflateEnd (&z);
  free (ibuf);
  free (obuf);
  if (close (out) == -1) {
    error ("decompress \"%s\": %m", f->name);
    unlink (path);
    free (path);
    return NULL;
  }
  return path;

 fail:
  inflateEnd (&z);
  free (ibuf);
  free (obuf);
  if (out >= 0)
    close (out);
  unlink (path);
  free (path);
  return NULL;
}

static int
open_export (struct ova_input *o, const char *arg)
{
  struct stat st;
  unsigned char magic[6];

  if (stat (arg, &st) == -1) {
    error ("open \"%s\": %m", arg);
    return -1;
  }
  if (S_ISDIR (st.st_mode)) {
    o->dir = realpath (arg, NULL);
    if (o->dir == NULL) {
      error ("open \"%s\": %m", arg);
      return -1;
    }
    return 0;
  }
  o->archive = realpath (arg, NULL);
  o->dir = o->archive ? dir_of (o->archive) : NULL;
  if (o->archive == NULL || o->dir == NULL) {
    error ("open \"%s\": %m", arg);
    return -1;
  }
  if (read_at (o->archive, magic, 5, 257) != 5 || memcmp (magic, "ustar", 5)) {
    error ("read OVA \"%s\": not a tar archive (an OVA is a tar of the OVF, "
           "its manifest and the disks)", arg);
    return -1;
  }
  {
    CLEANUP_CLOSE int fd = open (o->archive, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
      error ("open \"%s\": %m", arg);
      return -1;
    }
    return tar_index_read (fd, st.st_size, arg, &o->tar);
  }
}

static struct input *
ova_open (const struct input_args *args, struct source *src)
{
  struct ova_input *o;
  CLEANUP_STRING_LIST char **ovfs = NULL, **mfs = NULL;
  CLEANUP_FREE char *ovf_text = NULL;
  struct vmdesc desc = { 0 };
  struct ova_file ovf;
  bool skip_mf;
  struct diskset_opts dso;
  const char *vm_name, *label;
  size_t len;

  if (args->nr_files != 1) {
    error ("-i ova: give one OVA file or export directory");
    return NULL;
  }
  if (args->forced_format) {
    error ("-i ova: -if does not apply; the OVF says what each disk is");
    return NULL;
  }
  o = calloc (1, sizeof *o);
  if (o == NULL) {
    error ("-i ova: %m");
    return NULL;
  }
  o->base.ops = input_lookup ("ova");
  kvlist_get (args->options, "skip-manifest", &skip_mf);
  if (diskset_opts_parse (args->options, &dso) == -1)
    goto fail;
  vm_name = kvlist_get (args->options, "vm", NULL);
  label = args->files[0];

  if (open_export (o, args->files[0]) == -1)
    goto fail;
  if (find_suffix (o, ".ovf", &ovfs) == -1 ||
      find_suffix (o, ".mf", &mfs) == -1)
    goto fail;
  if (ovfs == NULL || ovfs[1] != NULL) {
    error ("read OVA \"%s\": %s", label, ovfs == NULL ?
           "no .ovf descriptor found" :
           "more than one .ovf descriptor found");
    goto fail;
  }
  if (mfs && mfs[1]) {
    error ("read OVA \"%s\": more than one .mf manifest found", label);
    goto fail;
  }

  /* 1. The manifest, before anything else is believed. */
  if (mfs == NULL)
    info ("%s has no manifest: its contents cannot be verified", label);
  else if (skip_mf)
    info ("not verifying the manifest (-io skip-manifest)");
  else if (verify_manifest (o, mfs[0], label) == -1)
    goto fail;
  else
    o->manifest_checked = true;

  if (o->manifest_checked && !listed (o->verified, ovfs[0])) {
    error ("verify the manifest of \"%s\": it does not list the OVF "
           "\"%s\"; refusing it (-io skip-manifest ignores this)", label,
           ovfs[0]);
    goto fail;
  }

  /* 2. The OVF. */
  if (lookup (o, ovfs[0], &ovf) == -1)
    goto fail;
  ovf_text = read_small (&ovf, &len);
  free (ovf.path);
  if (ovf_text == NULL ||
      ovf_parse (ovf_text, len, ovfs[0], vm_name, &desc) == -1)
    goto fail;
  if (desc.nr_disks == 0) {
    error ("read OVA \"%s\": the OVF describes no hard disk", label);
    goto fail;
  }

  /* 3. The disks. */
  o->specs = calloc (desc.nr_disks, sizeof *o->specs);
  if (o->specs == NULL) {
    error ("-i ova: %m");
    goto fail;
  }
  o->nr_specs = desc.nr_disks;
  for (size_t i = 0; i < desc.nr_disks; i++) {
    const struct vmdesc_disk *vd = &desc.disks[i];
    struct disk_spec *s = &o->specs[i];
    struct ova_file f;

    if (lookup (o, vd->file, &f) == -1)
      goto fail;
    if (o->manifest_checked && !listed (o->verified, vd->file)) {
      error ("verify the manifest of \"%s\": it does not list the disk "
             "\"%s\", which therefore cannot be verified; refusing it "
             "(-io skip-manifest ignores this)", label, vd->file);
      free (f.path);
      goto fail;
    }
    s->in_archive = f.in_tar || vd->compression != NULL;
    if (vd->compression) {
      /* Room for the whole virtual disk plus VMDK metadata bounds what
       * a well-formed file can inflate to.
       */
      uint64_t limit = vd->capacity ? vd->capacity + vd->capacity / 64 + (64 << 20)
                                    : UINT64_C(1) << 42;
      s->path = inflate_disk (&f, limit, i);
      free (f.path);
      if (s->path == NULL)
        goto fail;
    }
    else if (f.in_tar) {
      s->path = f.path;
      s->offset = f.offset;
      s->size = f.size;
      if (s->size == 0) {
        error ("read OVA \"%s\": disk \"%s\" is empty", label, vd->file);
        goto fail;
      }
    }
    else
      s->path = f.path;
    if (asprintf (&s->label, "%s:%s", label, vd->file) == -1) {
      s->label = NULL;
      error ("-i ova: %m");
      goto fail;
    }
  }
  if (diskset_probe (&o->ds, o->specs, o->nr_specs, &dso, src) == -1 ||
      vmdesc_to_source (&desc, src) == -1)
    goto fail;
  for (size_t i = 0; i < desc.nr_disks; i++)
    if (desc.disks[i].capacity && src->disks[i].format &&
        strcmp (src->disks[i].format, "raw") == 0 &&
        src->disks[i].file_size < desc.disks[i].capacity) {
      error ("read OVA \"%s\": raw disk \"%s\" is %llu bytes, smaller than "
             "its capacity of %llu bytes in the OVF", label,
             desc.disks[i].file, (unsigned long long) src->disks[i].file_size,
             (unsigned long long) desc.disks[i].capacity);
      goto fail;
    }
  vmdesc_free (&desc);
  return &o->base;

 fail:
  vmdesc_free (&desc);
  ova_close (&o->base);
  return NULL;
}

static int
ova_expose (struct input *in, struct source *src)
{
  struct ova_input *o = (struct ova_input *) in;

  return diskset_expose (&o->ds, src);
}

static void
ova_close (struct input *in)
{
  struct ova_input *o = (struct ova_input *) in;

  if (o == NULL)
    return;
  diskset_close (&o->ds);
  disk_spec_free (o->specs, o->nr_specs);
  tar_index_free (&o->tar);
  free (o->archive);
  free (o->dir);
  free_string_list (o->verified);
  free (o);
}

const struct input_ops ova_input_ops = {
  .name = "ova",
  .description = "an OVA file or an OVF export directory (vSphere, VirtualBox)",
  .options = ova_options,
  .open = ova_open,
  .expose = ova_expose,
  .close = ova_close,
};
