/* ferry: the disks of an input, probed, checked and exposed read-only
 * over NBD.  Shared by every input module.
 */

#include <config.h>

#include <errno.h>
#include <string.h>
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

/* The files an image refers to may refer to others in turn (a VMDK
 * snapshot chain, a qcow2 backing chain): check the whole chain, not
 * just the first link.  Flat extents hold raw data and end the walk.
 */
static int
check_chain (const char *path, const struct image_info *info,
             bool allow_external, int depth)
{
  CLEANUP_FREE char *dir = NULL;

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
    n = read_at (full, magic, sizeof magic, 0);
    if (n < (ssize_t) sizeof magic ||
        (memcmp (magic, "KDMV", 4) && memcmp (magic, "QFI\xfb", 4) &&
         memcmp (magic, "# Disk DescriptorFile", 21)))
      continue;                 /* a flat extent: raw data */
    if (image_probe (full, NULL, &ri) == -1)
      return -1;
    r = check_chain (full, &ri, allow_external, depth + 1);
    image_info_free (&ri);
    if (r == -1)
      return -1;
  }
  return 0;
}

int
diskset_probe (struct diskset *ds, struct disk_spec *specs, size_t nr,
               bool allow_external, struct source *src)
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
    if (forced && strcmp (forced, "vhd") == 0)
      forced = "vpc";
    if (s->size == 0) {
      if (access (s->path, R_OK) == -1) {
        error ("open \"%s\": %m", spec_label (s));
        return -1;
      }
      if (image_probe (s->path, forced, info) == -1 ||
          check_chain (s->path, info, allow_external, 0) == -1)
        return -1;
    }
    else {
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
    /* The copy may open a plain, whole file directly (see pipeline.c). */
    sd->direct = s->size == 0 &&
      (strcmp (info->format, "qcow2") != 0 ||
       info->references == NULL || info->references[0] == NULL);
    for (size_t j = 0; j < i; j++)
      if (s->size == 0 && specs[j].size == 0 &&
          strcmp (specs[j].path, s->path) == 0) {
        error ("open the disks: \"%s\" is given twice", spec_label (s));
        return -1;
      }
  }
  return 0;
}

/* --image-opts for one disk, or NULL in *opts when plain file + format
 * is enough.  Returns 0 or -1 after error().
 */
static int
image_opts (const struct disk_spec *s, const struct image_info *info,
            const struct source_disk *sd, char **opts)
{
  CLEANUP_FREE char *path = qemu_opt_escape (sd->path);

  *opts = NULL;
  if (path == NULL)
    goto nomem;
  if (s->size != 0) {
    /* A window of the archive: the raw driver's offset and size keep
     * qemu inside the member.
     */
    if (asprintf (opts, "driver=%s,file.driver=raw,file.offset=%llu,"
                  "file.size=%llu,file.file.driver=file,"
                  "file.file.filename=%s", sd->format,
                  (unsigned long long) s->offset,
                  (unsigned long long) s->size, path) == -1)
      goto nomem;
    return 0;
  }

  /* A qcow2 whose header does not record its backing format would
   * make qemu probe the backing file: detect it ourselves and say it
   * explicitly.
   */
  if (strcmp (sd->format, "qcow2") == 0 && info->references &&
      info->references[0] && info->backing_format == NULL) {
    struct image_info binfo;
    CLEANUP_FREE char *dir = dir_of (sd->path);
    CLEANUP_FREE char *bpath = NULL, *ebpath = NULL;
    int r;

    if (info->references[0][0] == '/')
      bpath = strdup (info->references[0]);
    else if (dir == NULL ||
             asprintf (&bpath, "%s/%s", dir, info->references[0]) == -1)
      bpath = NULL;
    if (bpath == NULL)
      goto nomem;
    if (image_probe (bpath, NULL, &binfo) == -1)
      return -1;
    ebpath = qemu_opt_escape (bpath);
    r = ebpath ? asprintf (opts, "driver=qcow2,file.driver=file,"
                           "file.filename=%s,backing.driver=%s,"
                           "backing.file.driver=file,backing.file.filename=%s",
                           path, binfo.format, ebpath) : -1;
    image_info_free (&binfo);
    if (r == -1)
      goto nomem;
  }
  return 0;

 nomem:
  *opts = NULL;
  error ("expose \"%s\": %m", spec_label (s));
  return -1;
}

int
diskset_expose (struct diskset *ds, struct source *src)
{
  for (size_t i = 0; i < src->nr_disks; i++) {
    struct source_disk *sd = &src->disks[i];
    CLEANUP_FREE char *opts = NULL;
    char tag[32];

    if (image_opts (&ds->specs[i], &ds->infos[i], sd, &opts) == -1)
      return -1;
    snprintf (tag, sizeof tag, "src%zu", i);
    if (nbd_server_start (&ds->servers[i], tag, sd->path, sd->format, opts,
                          true, NULL) == -1)
      return -1;
    sd->uri = strdup (ds->servers[i].uri);
    if (sd->uri == NULL) {
      error ("expose \"%s\": %m", sd->label);
      return -1;
    }
    if (nbd_uri_size (sd->uri, &sd->virtual_size) == -1)
      return -1;
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
