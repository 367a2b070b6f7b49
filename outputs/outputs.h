/* ferry: output modules.  An output receives the converted disks from
 * the copy engine and writes the target's metadata.  On any failure it
 * removes everything it created.
 */

#ifndef FERRY_OUTPUTS_H
#define FERRY_OUTPUTS_H

#include "common.h"

/* The data the copy engine will write for one disk: requests of at
 * most 512 KiB, aligned to 64 KiB, in guest order, known before the copy
 * starts (holes and zero extents are not in it).
 */
struct copy_chunk {
  uint64_t offset;
  uint32_t length;
};
struct copy_map {
  struct copy_chunk *v;
  size_t nr;
  uint64_t data_bytes;
};

/* Guest cluster -> file cluster, for outputs that lay out a qcow2
 * file themselves (outputs/qcow2.c).
 */
struct qcow2_map {
  uint32_t *host;               /* owned; 0 = not allocated */
  uint64_t nr;
  unsigned cluster_bits;
};

/* Where the copy engine writes one disk. */
struct copy_dest {
  int fd;                       /* a file to pwrite, or -1 */
  const struct qcow2_map *qmap; /* with fd: translate offsets, or NULL */
  char *nbd_uri;                /* else an NBD server to write (owned) */
  uint64_t size;                /* virtual size */
  bool zero_initialized;        /* destination reads as zeroes: skip holes */
};

struct output_args {
  const char *dir;              /* -os */
  const char *format;           /* -of, or NULL for the default */
  const char *allocation;       /* -oa sparse|preallocated, or NULL */
  const char *name;             /* -on, or NULL for the source's name */
  const struct kvlist *options; /* -oo key=value (not owned) */
};

/* Facts about the conversion that go into the metadata. */
struct output_meta {
  const char *name;             /* final VM name */
  const char *os;               /* product name, or NULL */
  const char *report_json;      /* the change report document */
  enum firmware firmware;
};

struct output {
  const struct output_ops *ops;
};

struct output_ops {
  /* Name used with -o. */
  const char *name;
  /* One line for --help and the man page. */
  const char *description;
  /* Keys accepted by -oo (NULL-key terminated). */
  const struct optdesc *options;
  /* Target used when --target is not given. */
  const char *default_target;

  /* Check arguments and the destination before any slow work, so that
   * an unwritable directory fails in a second, not after the copy.
   */
  struct output *(*open) (const struct output_args *a, const struct source *src);

  /* Prepare disk i for the copy engine. */
  int (*disk_begin) (struct output *o, size_t i, const struct source_disk *d,
                     const struct copy_map *map, struct copy_dest *dest);
  /* The engine has written and flushed disk i. */
  int (*disk_end) (struct output *o, size_t i, struct copy_dest *dest);

  /* Write the metadata and make every output appear. */
  int (*finish) (struct output *o, const struct source *src,
                 const struct output_meta *m);

  /* Remove everything created so far (failure or interruption). */
  void (*abort) (struct output *o);

  /* Free the instance. */
  void (*close) (struct output *o);
};

extern const struct output_ops *output_lookup (const char *name);
extern void output_list (FILE *fp);

/* domxml.c: a libvirt domain XML document (owned) for the local
 * output.  disk_paths and disk_formats have src->nr_disks entries.
 */
extern char *domxml_build (const struct source *src, const char *name,
                           enum firmware fw, uint64_t memory, unsigned vcpus,
                           char *const *disk_paths, const char *disk_format);

/* qcow2.c: write the qcow2 metadata for 'map' into fd (an empty file)
 * and fill in *out (caller frees out->host).  Data then goes at
 * out->host[guest_offset >> cluster_bits] << cluster_bits, plus the
 * offset within the cluster.
 */
extern int qcow2_create (int fd, const char *path, uint64_t vsize,
                         const struct copy_map *map, struct qcow2_map *out);

#endif /* FERRY_OUTPUTS_H */
