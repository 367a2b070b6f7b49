/* ferry: -i disk: one or more bare disk image files. */

#include <config.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "inputs.h"

static const struct optdesc disk_options[] = {
  { "allow-external-extents", NULL,
    "accept backing files and extents outside the image's directory" },
  { NULL }
};

struct disk_input {
  struct input base;
  bool allow_external;
  struct nbd_server *servers;   /* one per disk */
  size_t nr_servers;
  struct image_info *infos;     /* one per disk */
};

/* "dir/web01-disk1.vmdk" -> "web01-disk1" */
static char *
name_from_path (const char *path)
{
  const char *base = strrchr (path, '/') ? strrchr (path, '/') + 1 : path;
  char *name = strdup (base), *dot;

  if (name && (dot = strrchr (name, '.')) != NULL && dot != name)
    *dot = '\0';
  return name;
}

static void disk_close (struct input *in);

static struct input *
disk_open (const struct input_args *args, struct source *src)
{
  struct disk_input *d;
  bool present;

  if (args->nr_files == 0) {
    error ("-i disk: no disk image given");
    return NULL;
  }
  if (args->forced_format &&
      strcmp (args->forced_format, "raw") && strcmp (args->forced_format, "qcow2") &&
      strcmp (args->forced_format, "vmdk") && strcmp (args->forced_format, "vpc") &&
      strcmp (args->forced_format, "vhd") && strcmp (args->forced_format, "vhdx") &&
      strcmp (args->forced_format, "vdi")) {
    error ("-if \"%s\": unknown format (use raw, qcow2, vmdk, vhd, vhdx or vdi)",
           args->forced_format);
    return NULL;
  }
  d = calloc (1, sizeof *d);
  if (d == NULL) {
    error ("-i disk: %m");
    return NULL;
  }
  d->base.ops = input_lookup ("disk");
  kvlist_get (args->options, "allow-external-extents", &present);
  d->allow_external = present;

  src->disks = calloc (args->nr_files, sizeof *src->disks);
  d->infos = calloc (args->nr_files, sizeof *d->infos);
  d->servers = calloc (args->nr_files, sizeof *d->servers);
  d->nr_servers = args->nr_files;
  for (size_t i = 0; d->servers && i < args->nr_files; i++)
    d->servers[i].pid = -1;
  if (src->disks == NULL || d->infos == NULL || d->servers == NULL) {
    d->nr_servers = 0;
    error ("-i disk: %m");
    goto fail;
  }
  for (size_t i = 0; i < args->nr_files; i++) {
    struct source_disk *sd = &src->disks[i];
    const char *forced = args->forced_format;
    char *abs;

    if (forced && strcmp (forced, "vhd") == 0)
      forced = "vpc";
    if (access (args->files[i], R_OK) == -1) {
      error ("open \"%s\": %m", args->files[i]);
      goto fail;
    }
    abs = realpath (args->files[i], NULL);
    if (abs == NULL) {
      error ("open \"%s\": %m", args->files[i]);
      goto fail;
    }
    sd->path = abs;
    src->nr_disks = i + 1;
    if (image_probe (abs, forced, &d->infos[i]) == -1)
      goto fail;
    if (image_check_references (abs, &d->infos[i], d->allow_external) == -1)
      goto fail;
    sd->format = strdup (d->infos[i].format);
    sd->subformat = d->infos[i].subformat[0] ? strdup (d->infos[i].subformat) : NULL;
    sd->file_size = d->infos[i].file_size;
    sd->direct = strcmp (d->infos[i].format, "qcow2") != 0 ||
      d->infos[i].references == NULL || d->infos[i].references[0] == NULL;
    if (sd->format == NULL) {
      error ("-i disk: %m");
      goto fail;
    }
    for (size_t j = 0; j < i; j++)
      if (strcmp (src->disks[j].path, abs) == 0) {
        error ("-i disk: \"%s\" is given twice", args->files[i]);
        goto fail;
      }
  }
  src->name = name_from_path (src->disks[0].path);
  src->firmware = FIRMWARE_UNKNOWN;   /* decided by inspection */
  if (src->name == NULL) {
    error ("-i disk: %m");
    goto fail;
  }
  return &d->base;

 fail:
  disk_close (&d->base);
  return NULL;
}

static int
disk_expose (struct input *in, struct source *src)
{
  struct disk_input *d = (struct disk_input *) in;

  for (size_t i = 0; i < src->nr_disks; i++) {
    struct source_disk *sd = &src->disks[i];
    const struct image_info *info = &d->infos[i];
    CLEANUP_FREE char *opts = NULL;
    char tag[32];

    /* A qcow2 whose header does not record its backing format would
     * make qemu probe the backing file: detect it ourselves and say it
     * explicitly.
     */
    if (strcmp (sd->format, "qcow2") == 0 && info->references &&
        info->references[0] && info->backing_format == NULL) {
      struct image_info binfo;
      CLEANUP_FREE char *dir = dir_of (sd->path);
      CLEANUP_FREE char *bpath = NULL;

      if (info->references[0][0] == '/')
        bpath = strdup (info->references[0]);
      else if (asprintf (&bpath, "%s/%s", dir, info->references[0]) == -1)
        bpath = NULL;
      if (bpath == NULL || image_probe (bpath, NULL, &binfo) == -1)
        return -1;
      if (strchr (sd->path, ',')) {
        error ("open \"%s\": file names containing ',' are not supported "
               "for qcow2 images with a backing file", sd->path);
        image_info_free (&binfo);
        return -1;
      }
      if (asprintf (&opts, "driver=qcow2,file.driver=file,file.filename=%s,"
                    "backing.driver=%s,backing.file.driver=file,"
                    "backing.file.filename=%s", sd->path, binfo.format,
                    bpath) == -1)
        opts = NULL;
      image_info_free (&binfo);
      if (opts == NULL) {
        error ("-i disk: %m");
        return -1;
      }
    }

    snprintf (tag, sizeof tag, "src%zu", i);
    if (nbd_server_start (&d->servers[i], tag, sd->path, sd->format, opts,
                          true, NULL) == -1)
      return -1;
    sd->uri = strdup (d->servers[i].uri);
    if (sd->uri == NULL) {
      error ("-i disk: %m");
      return -1;
    }
    if (nbd_uri_size (sd->uri, &sd->virtual_size) == -1)
      return -1;
    debug ("disk %zu: %s (%s%s%s), virtual size %llu", i, sd->path, sd->format,
           sd->subformat ? " " : "", sd->subformat ? sd->subformat : "",
           (unsigned long long) sd->virtual_size);
  }
  return 0;
}

static void
disk_close (struct input *in)
{
  struct disk_input *d = (struct disk_input *) in;

  if (d == NULL)
    return;
  for (size_t i = 0; i < d->nr_servers; i++) {
    nbd_server_stop (&d->servers[i]);
    if (d->infos)
      image_info_free (&d->infos[i]);
  }
  free (d->servers);
  free (d->infos);
  free (d);
}

const struct input_ops disk_input_ops = {
  .name = "disk",
  .description = "disk image files: raw, qcow2, vmdk, vhd, vhdx, vdi",
  .options = disk_options,
  .open = disk_open,
  .expose = disk_expose,
  .close = disk_close,
};
