/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: the disks of an input, probed, checked and exposed read-only
 * over NBD.  Shared by every input module.
 */

#include <config.h>

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inputs.h"

void
disk_spec_free (struct disk_spec *specs, size_t nr)
{
  for (size_t i = 0; specs && i < nr; i++) {
    free (specs[i].path);
    free (specs[i].label);
    free (specs[i].format);
  }
  free (specs);
}

static const char *
spec_label (const struct disk_spec *s)
{
  return s->label ? s->label : s->path;
}

int
diskset_opts_parse (const struct kvlist *l, struct diskset_opts *o)
{
  const char *ms;

  memset (o, 0, sizeof *o);
  kvlist_get (l, "allow-external-extents", &o->allow_external);
  kvlist_get (l, "unconfined", &o->unconfined);
  o->max_size = DISKSET_MAX_SIZE_DEFAULT;
  ms = kvlist_get (l, "max-size", NULL);
  if (ms && (parse_size (ms, &o->max_size) == -1 || o->max_size == 0)) {
    error ("-io max-size=\"%s\": not a size (like 2T or 500G)", ms);
    return -1;
  }
  return 0;
}

/* Only regular files are read: a FIFO would block the prober, a
 * device or socket is no export's business.
 */
static int
check_regular (const char *path, const char *label, const char *ref)
{
  struct stat st;
  const char *what;

  if (stat (path, &st) == -1) {
    error ("open \"%s\": %m", ref ? ref : label);
    return -1;
  }
  if (S_ISREG (st.st_mode))
    return 0;
  what = S_ISDIR (st.st_mode) ? "a directory" : S_ISFIFO (st.st_mode) ? "a FIFO"
    : S_ISSOCK (st.st_mode) ? "a socket" : S_ISBLK (st.st_mode) ? "a block device"
    : S_ISCHR (st.st_mode) ? "a character device" : "not a regular file";
  if (ref)
    error ("open \"%s\": it refers to \"%s\", which is %s; refusing it",
           label, ref, what);
  else
    error ("open \"%s\": it is %s, not a disk image%s", label, what,
           S_ISBLK (st.st_mode) ? " (copy the device to a file first)" : "");
  return -1;
}

/* The files an image refers to may refer to others in turn (a VMDK
 * snapshot chain, a qcow2 backing chain): check the whole chain, not
 * just the first link.  Flat extents hold raw data and end the walk.
 */
static int
check_chain (const char *path, const struct image_info *info,
             bool allow_external, struct confine *c, int depth)
{
  CLEANUP_FREE char *dir = NULL;

  for (size_t i = 0; info->references && info->references[i]; i++)
    if (has_protocol_prefix (info->references[i])) {
      error ("open \"%s\": it refers to \"%s\", which is not a plain "
             "file (a protocol prefix); refusing it", path,
             info->references[i]);
      return -1;
    }
  if (image_check_references (path, info, allow_external) == -1)
    return -1;
  if (info->references == NULL || info->references[0] == NULL)
    return 0;
  if (depth >= 32) {
    error ("open \"%s\": its chain of parent images is too long "
           "(a loop?)", path);
    return -1;
  }
  dir = dir_of (path);
  if (dir == NULL) {
    error ("open \"%s\": %m", path);
    return -1;
  }
  for (size_t i = 0; info->references[i]; i++) {
    CLEANUP_FREE char *full = NULL;
    struct image_info ri;
    char magic[22];
    ssize_t n;
    int r;

    if (info->references[i][0] == '/')
      full = strdup (info->references[i]);
    else if (asprintf (&full, "%s/%s", dir, info->references[i]) == -1)
      full = NULL;
    if (full == NULL) {
      error ("open \"%s\": %m", path);
      return -1;
    }
    if (check_regular (full, path, info->references[i]) == -1)
      return -1;
    if (allow_external) {
      /* qemu is to see what the user let the image refer to. */
      CLEANUP_FREE char *rd = dir_of (full);
      if (rd == NULL || confine_allow (c, rd, false) == -1)
        return -1;
    }
    n = read_at (full, magic, sizeof magic, 0);
    if (n < (ssize_t) sizeof magic ||
        (memcmp (magic, "KDMV", 4) && memcmp (magic, "QFI\xfb", 4) &&
         memcmp (magic, "# Disk DescriptorFile", 21)))
      continue;                 /* a flat extent: raw data */
    if (image_probe (full, NULL, &ri) == -1)
      return -1;
    r = check_chain (full, &ri, allow_external, c, depth + 1);
    image_info_free (&ri);
    if (r == -1)
      return -1;
  }
  return 0;
}

int
diskset_probe (struct diskset *ds, struct disk_spec *specs, size_t nr,
               const struct diskset_opts *o, struct source *src)
{
  ds->specs = specs;
  ds->infos = calloc (nr, sizeof *ds->infos);
  ds->servers = calloc (nr, sizeof *ds->servers);
  src->disks = calloc (nr, sizeof *src->disks);
  if (ds->infos == NULL || ds->servers == NULL || src->disks == NULL) {
    error ("open the disks: %m");
    return -1;
  }
  ds->nr = nr;
  for (size_t i = 0; i < nr; i++)
    ds->servers[i].pid = -1;

  for (size_t i = 0; i < nr; i++) {
    struct disk_spec *s = &specs[i];
    struct image_info *info = &ds->infos[i];
    struct source_disk *sd = &src->disks[i];
    const char *forced = s->format;

    src->nr_disks = i + 1;
    sd->confine.off = o->unconfined;
    if (forced && strcmp (forced, "vhd") == 0)
      forced = "vpc";
    if (check_regular (s->path, spec_label (s), NULL) == -1)
      return -1;
    if (s->size == 0) {
      CLEANUP_FREE char *dir = dir_of (s->path);
      if (access (s->path, R_OK) == -1) {
        error ("open \"%s\": %m", spec_label (s));
        return -1;
      }
      /* qemu may read the image's directory, and nothing else; a disk
       * inflated from an archive, itself alone.
       */
      if (dir == NULL ||
          confine_allow (&sd->confine, s->in_archive ? s->path : dir,
                         false) == -1) {
        error ("open \"%s\": %m", spec_label (s));
        return -1;
      }
      /* A disk inflated from an archive is named as the member in
       * messages, not by its temporary file.
       */
      if (s->label) {
        struct stat st;
        if (stat (s->path, &st) == -1) {
          error ("open \"%s\": %m", spec_label (s));
          return -1;
        }
        if (image_probe_range (s->path, 0, st.st_size, spec_label (s), forced,
                               info) == -1)
          return -1;
      }
      else if (image_probe (s->path, forced, info) == -1)
        return -1;
      if (s->in_archive && info->references && info->references[0]) {
        error ("open \"%s\": it refers to another file (\"%s\"), which a "
               "disk inside an archive cannot do", spec_label (s),
               info->references[0]);
        return -1;
      }
      if (check_chain (s->path, info, o->allow_external, &sd->confine, 0) == -1)
        return -1;
    }
    else {
      /* A window of an archive: qemu sees the archive file alone. */
      if (confine_allow (&sd->confine, s->path, false) == -1)
        return -1;
      if (image_probe_range (s->path, s->offset, s->size, spec_label (s),
                             forced, info) == -1)
        return -1;
      if (info->references && info->references[0]) {
        error ("open \"%s\": it refers to another file (\"%s\"), which a "
               "disk inside an archive cannot do", spec_label (s),
               info->references[0]);
        return -1;
      }
    }
    sd->path = strdup (s->path);
    sd->label = strdup (spec_label (s));
    sd->format = strdup (info->format);
    sd->subformat = info->subformat[0] ? strdup (info->subformat) : NULL;
    if (sd->path == NULL || sd->label == NULL || sd->format == NULL ||
        (info->subformat[0] && sd->subformat == NULL)) {
      error ("open the disks: %m");
      return -1;
    }
    sd->file_size = info->file_size;
    if (info->virtual_size > o->max_size) {
      char a[32], b[32];
      error ("open \"%s\": its virtual size of %s is more than the %s "
             "allowed (-io max-size=)", spec_label (s),
             human_size (info->virtual_size, a), human_size (o->max_size, b));
      return -1;
    }
    ds->max_size = o->max_size;
    /* The copy may open a plain, whole file directly (see pipeline.c). */
    sd->direct = s->size == 0 &&
      (info->references == NULL || info->references[0] == NULL);
    for (size_t j = 0; j < i; j++)
      if (s->size == 0 && specs[j].size == 0 &&
          strcmp (specs[j].path, s->path) == 0) {
        error ("open the disks: \"%s\" is given twice", spec_label (s));
        return -1;
      }
  }
  return 0;
}

int
diskset_expose (struct diskset *ds, struct source *src)
{
  for (size_t i = 0; i < src->nr_disks; i++) {
    struct source_disk *sd = &src->disks[i];
    const struct disk_spec *s = &ds->specs[i];
    CLEANUP_FREE char *opts = NULL;
    char tag[32];

    if (!sd->confine.off && confine_check () == -1)
      return -1;
    /* The roots references may lead to: the directories qemu sees
     * (none for an archive member, whose only file is itself).
     */
    if (qemu_view_chain (sd->label, sd->path, sd->format, s->offset, s->size,
                         s->in_archive, &sd->confine,
                         s->in_archive ? NULL : sd->confine.ro,
                         ds->max_size, &opts) == -1)
      return -1;
    snprintf (tag, sizeof tag, "src%zu", i);
    if (nbd_server_start (&ds->servers[i], tag, NULL, NULL, opts, true,
                          NULL, &sd->confine) == -1)
      return -1;
    sd->uri = strdup (ds->servers[i].uri);
    if (sd->uri == NULL) {
      error ("expose \"%s\": %m", sd->label);
      return -1;
    }
    if (nbd_uri_size (sd->uri, &sd->virtual_size) == -1)
      return -1;
    if (sd->virtual_size > ds->max_size) {
      char a[32], b[32];
      error ("open \"%s\": its virtual size of %s is more than the %s "
             "allowed (-io max-size=)", sd->label,
             human_size (sd->virtual_size, a), human_size (ds->max_size, b));
      return -1;
    }
    debug ("disk %zu: %s (%s%s%s), virtual size %llu", i, sd->label,
           sd->format, sd->subformat ? " " : "",
           sd->subformat ? sd->subformat : "",
           (unsigned long long) sd->virtual_size);
  }
  return 0;
}

void
diskset_close (struct diskset *ds)
{
  for (size_t i = 0; i < ds->nr; i++) {
    nbd_server_stop (&ds->servers[i]);
    image_info_free (&ds->infos[i]);
  }
  free (ds->servers);
  free (ds->infos);
  memset (ds, 0, sizeof *ds);
}

int
vmdesc_to_source (const struct vmdesc *d, struct source *src)
{
  src->name = strdup (d->name && d->name[0] ? d->name : "guest");
  src->vcpus = d->vcpus;
  src->memory = d->memory;
  src->firmware = d->firmware;
  if (src->name == NULL)
    goto nomem;
  /* The name becomes part of file names: no '/', no control
   * characters, no leading dot.
   */
  for (char *p = src->name; *p; p++)
    if (*p == '/' || (unsigned char) *p < 0x20 || *p == 0x7f ||
        (p == src->name && *p == '.'))
      *p = '_';
  if (d->nr_nics > 0) {
    src->nics = calloc (d->nr_nics, sizeof *src->nics);
    if (src->nics == NULL)
      goto nomem;
    src->nr_nics = d->nr_nics;
    for (size_t i = 0; i < d->nr_nics; i++) {
      const struct vmdesc_nic *n = &d->nics[i];
      if ((n->mac && (src->nics[i].mac = strdup (n->mac)) == NULL) ||
          (n->network && (src->nics[i].network = strdup (n->network)) == NULL) ||
          (n->model && (src->nics[i].model = strdup (n->model)) == NULL))
        goto nomem;
    }
  }
  return 0;
 nomem:
  error ("read the VM description: %m");
  return -1;
}
