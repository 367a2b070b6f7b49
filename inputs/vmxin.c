/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: -i vmx: a VMware .vmx with its VMDKs, as found on a datastore
 * or copied from one.  Snapshot deltas ("-000001.vmdk") are followed by
 * qemu through their parentFileNameHint; every file of every chain is
 * checked to lie inside the VMX's directory first.
 */

#include <config.h>

#include <string.h>
#include <unistd.h>

#include "inputs.h"

static const struct optdesc vmx_options[] = {
  DISKSET_OPTIONS,
  { NULL }
};

struct vmx_input {
  struct input base;
  struct disk_spec *specs;
  size_t nr_specs;
  struct diskset ds;
};

static void vmx_close (struct input *in);

/* Largest .vmx we accept; real ones are a few KiB. */
#define MAX_VMX (1024 * 1024)

static struct input *
vmx_open (const struct input_args *args, struct source *src)
{
  struct vmx_input *x;
  struct vmdesc desc = { 0 };
  CLEANUP_FREE char *vmx = NULL, *dir = NULL, *text = NULL;
  struct diskset_opts dso;
  ssize_t len;

  if (args->nr_files != 1) {
    error ("-i vmx: give one .vmx file");
    return NULL;
  }
  if (args->forced_format) {
    error ("-i vmx: -if does not apply; the disks are VMDKs");
    return NULL;
  }
  x = calloc (1, sizeof *x);
  if (x == NULL) {
    error ("-i vmx: %m");
    return NULL;
  }
  x->base.ops = input_lookup ("vmx");
  if (diskset_opts_parse (args->options, &dso) == -1)
    goto fail;

  vmx = realpath (args->files[0], NULL);
  dir = vmx ? dir_of (vmx) : NULL;
  text = malloc (MAX_VMX + 1);
  if (vmx == NULL || dir == NULL || text == NULL) {
    error ("open \"%s\": %m", args->files[0]);
    goto fail;
  }
  len = read_at (vmx, text, MAX_VMX + 1, 0);
  if (len == -1) {
    error ("read \"%s\": %m", args->files[0]);
    goto fail;
  }
  if (len > MAX_VMX) {
    error ("read \"%s\": too large for a VMX file", args->files[0]);
    goto fail;
  }
  text[len] = '\0';
  if (vmx_parse (text, len, args->files[0], &desc) == -1)
    goto fail;

  x->specs = calloc (desc.nr_disks, sizeof *x->specs);
  if (x->specs == NULL) {
    error ("-i vmx: %m");
    goto fail;
  }
  x->nr_specs = desc.nr_disks;
  for (size_t i = 0; i < desc.nr_disks; i++) {
    const char *file = desc.disks[i].file;
    CLEANUP_FREE char *full = NULL;
    int within;

    if (file[0] == '/')
      full = strdup (file);
    else if (asprintf (&full, "%s/%s", dir, file) == -1)
      full = NULL;
    if (full == NULL) {
      error ("-i vmx: %m");
      goto fail;
    }
    within = path_is_within (full, dir);
    if (within == -1) {
      error ("open disk \"%s\" of \"%s\": %m", file, args->files[0]);
      goto fail;
    }
    if (!within && !dso.allow_external) {
      error ("open \"%s\": its disk \"%s\" is outside the VMX's directory; "
             "refusing it (copy the disk next to the VMX, or use "
             "-io allow-external-extents if you trust this VMX)",
             args->files[0], file);
      goto fail;
    }
    x->specs[i].path = realpath (full, NULL);
    x->specs[i].format = strdup ("vmdk");
    if (x->specs[i].path == NULL || x->specs[i].format == NULL) {
      error ("open disk \"%s\": %m", full);
      goto fail;
    }
  }
  if (diskset_probe (&x->ds, x->specs, x->nr_specs, &dso, src) == -1 ||
      vmdesc_to_source (&desc, src) == -1)
    goto fail;
  vmdesc_free (&desc);
  return &x->base;

 fail:
  vmdesc_free (&desc);
  vmx_close (&x->base);
  return NULL;
}

static int
vmx_expose (struct input *in, struct source *src)
{
  struct vmx_input *x = (struct vmx_input *) in;

  return diskset_expose (&x->ds, src);
}

static void
vmx_close (struct input *in)
{
  struct vmx_input *x = (struct vmx_input *) in;

  if (x == NULL)
    return;
  diskset_close (&x->ds);
  disk_spec_free (x->specs, x->nr_specs);
  free (x);
}

const struct input_ops vmx_input_ops = {
  .name = "vmx",
  .description = "a VMware .vmx and its VMDKs (snapshot chains followed)",
  .options = vmx_options,
  .open = vmx_open,
  .expose = vmx_expose,
  .close = vmx_close,
};
