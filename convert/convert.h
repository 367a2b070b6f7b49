/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: the pipeline, the CLI and the copy engine. */

#ifndef FERRY_CONVERT_H
#define FERRY_CONVERT_H

#include "common.h"
#include "inputs.h"
#include "outputs.h"
#include "guestfix.h"

/* copy.c */
struct copy_opts {
  unsigned workers;             /* parallel requests (0 = default 4) */
  /* Called from the main thread about 5 times a second. */
  void (*progress) (void *data, uint64_t done, uint64_t total);
  void *progress_data;
};

struct copy_stats {
  uint64_t virtual_size;
  uint64_t data_bytes;          /* bytes the allocation map said to copy */
  uint64_t written_bytes;       /* bytes written (zero blocks skipped) */
  double seconds;
};

/* Read the allocation map of the NBD export at src_uri into *map
 * (caller frees map->v).  label names the disk in messages.
 */
extern int copy_map_source (const char *src_uri, uint64_t size,
                            const char *label, struct copy_map *map);
/* Copy the data in map from src_uri to dest.  Returns 0 or -1 after
 * error().
 */
extern int copy_disk (const char *src_uri, struct copy_dest *dest,
                      const struct copy_map *map, const char *label,
                      const struct copy_opts *o, struct copy_stats *st);

/* -n IN:OUT and -b IN:OUT (in NULL: every NIC no other map matched). */
struct netmap {
  const char *in;               /* (not owned: points into argv) */
  const char *out;
  bool bridge;
};

/* Everything the command line said. */
struct convert_opts {
  const char *input;            /* -i */
  const char *output;           /* -o */
  char **files;                 /* positional arguments (not owned) */
  size_t nr_files;
  char **operands;              /* the list files points to (owned) */
  const char *input_format;     /* -if */
  const char *conn_uri;         /* -ic */
  struct netmap *netmaps;       /* -n, -b (owned array) */
  size_t nr_netmaps;
  struct kvlist io, oo;         /* -io, -oo */
  struct output_args oargs;     /* -os -of -oa -on */
  const char *target;           /* --target */
  const char *root;             /* --root */
  char **macs;                  /* --mac values (owned list) */
  const char *inject_dir;       /* --inject-package */
  enum initramfs_mode initramfs; /* --initramfs */
  bool dry_run;
  bool copy_only;               /* ferry copy: no inspection, no fixes */
  bool source_only;             /* inspect: the source's metadata only */
  bool print_source;            /* --print-source: inspect --source-only */
  char *in_password;            /* -ip FILE's content (owned, secret) */
  char *out_password;           /* -op FILE's content (owned, secret) */
  unsigned workers;
};

/* pipeline.c: the subcommands.  Return 0 or -1 after error().
 * run_convert is "convert", and "copy" when o->copy_only.
 */
extern int run_convert (struct convert_opts *o);
extern int run_inspect (struct convert_opts *o);

/* progress.c */
extern void progress_stage (const char *stage, const char *fs, ...)
  __attribute__ ((format (printf, 2, 3)));
extern void progress_copy (void *data, uint64_t done, uint64_t total);
extern void progress_end (void);

#endif /* FERRY_CONVERT_H */
