/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: -i disk: one or more bare disk image files. */

#include <config.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "inputs.h"

static const struct optdesc disk_options[] = {
  DISKSET_OPTIONS,
  { NULL }
};

struct disk_input {
  struct input base;
  struct disk_spec *specs;
  size_t nr_specs;
  struct diskset ds;
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
  struct diskset_opts dso;

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
  if (diskset_opts_parse (args->options, &dso) == -1)
    goto fail;

  d->specs = calloc (args->nr_files, sizeof *d->specs);
  if (d->specs == NULL) {
    error ("-i disk: %m");
    goto fail;
  }
  d->nr_specs = args->nr_files;
  for (size_t i = 0; i < args->nr_files; i++) {
    struct disk_spec *s = &d->specs[i];

    if (access (args->files[i], R_OK) == -1) {
      error ("open \"%s\": %m", args->files[i]);
      goto fail;
    }
    s->path = realpath (args->files[i], NULL);
    if (s->path == NULL) {
      error ("open \"%s\": %m", args->files[i]);
      goto fail;
    }
    if (args->forced_format && (s->format = strdup (args->forced_format)) == NULL) {
      error ("-i disk: %m");
      goto fail;
    }
  }
  if (diskset_probe (&d->ds, d->specs, d->nr_specs, &dso, src) == -1)
    goto fail;
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

  return diskset_expose (&d->ds, src);
}

static void
disk_close (struct input *in)
{
  struct disk_input *d = (struct disk_input *) in;

  if (d == NULL)
    return;
  diskset_close (&d->ds);
  disk_spec_free (d->specs, d->nr_specs);
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
