/* ferry: input modules.  An input reads the source's metadata and
 * exposes every disk as a read-only NBD endpoint.  Nothing here ever
 * opens a source file for writing.
 */

#ifndef FERRY_INPUTS_H
#define FERRY_INPUTS_H

#include "common.h"

/* What the command line gives an input. */
struct input_args {
  char **files;                 /* positional arguments (not owned) */
  size_t nr_files;
  const char *forced_format;    /* -if FMT, or NULL to detect */
  const struct kvlist *options; /* -io key=value (not owned) */
};

/* The base of every input instance; modules embed it first. */
struct input {
  const struct input_ops *ops;
};

struct input_ops {
  /* Name used with -i. */
  const char *name;
  /* One line for --help and the man page. */
  const char *description;
  /* Keys accepted by -io (NULL-key terminated). */
  const struct optdesc *options;

  /* Check the arguments and read the source's metadata (no servers are
   * started yet).  Fills in src's name, vcpus, memory, firmware, NICs
   * and, for each disk, path, format and file_size.  Returns a new
   * instance, or NULL after error().
   */
  struct input *(*open) (const struct input_args *args, struct source *src);

  /* Start the NBD servers; fill in each disk's uri and virtual_size. */
  int (*expose) (struct input *in, struct source *src);

  /* Stop servers and free the instance.  Must be safe after a failed
   * expose and on the error path.
   */
  void (*close) (struct input *in);
};

/* inputs.c: the registry. */
extern const struct input_ops *input_lookup (const char *name);
extern void input_list (FILE *fp);

/* format.c: content-based detection of disk image formats. */
struct image_info {
  char format[8];               /* qemu driver name: raw qcow2 vmdk vpc vhdx */
  char subformat[32];           /* e.g. "streamOptimized", "fixed", "" */
  uint64_t file_size;
  /* Files this image refers to (backing file, VMDK extents, parent
   * delta), as absolute or relative paths exactly as written (owned,
   * NULL terminated, may be empty).
   */
  char **references;
  char *backing_format;         /* qcow2 backing format if recorded (owned) */
};

/* Detect the format of 'path' and validate its structure enough to
 * refuse truncated or garbage files with a clear message.  When
 * 'forced' is not NULL the format is taken from it and only checked
 * for plausibility.  Returns 0 or -1 after error().
 */
extern int image_probe (const char *path, const char *forced,
                        struct image_info *info);
extern void image_info_free (struct image_info *info);

/* Parse the extent lines and parentFileNameHint of a VMDK text
 * descriptor into *refs (owned, NULL terminated).  *create_type gets
 * the createType (owned) or NULL.  Returns 0, or -1 if it is not a
 * descriptor.  Pure function, unit tested.
 */
extern int vmdk_descriptor_parse (const char *text, size_t len,
                                  char ***refs, char **create_type);

/* Resolve each reference relative to the image's directory and refuse
 * those outside it (unless allow_external), that don't exist, or that
 * are the image itself.  Returns 0 or -1 after error().
 */
extern int image_check_references (const char *path,
                                   const struct image_info *info,
                                   bool allow_external);

#endif /* FERRY_INPUTS_H */
