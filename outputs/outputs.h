/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: output modules.  An output receives the converted disks from
 * the copy engine and writes the target's metadata.  On any failure it
 * removes everything it created.
 */

#ifndef FERRY_OUTPUTS_H
#define FERRY_OUTPUTS_H

#include "common.h"
#include "http.h"

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
  /* else a stream: called from one thread, in guest order, once for
   * every chunk of the map (buf NULL: the chunk reads as zeroes).
   * Returns 0, or -1 after error().
   */
  int (*stream) (void *opaque, uint64_t offset, const void *buf, size_t len);
  void *stream_opaque;
  /* else blocks (EBS snapshot blocks, Azure pages): called from many
   * threads at once, in any order, once for every block_size-aligned
   * block of the disk that the map touches; len is block_size, or less
   * for the disk's last block.  Blocks that read as zeroes are not
   * passed when zero_initialized.  worker (0 .. workers-1) is the
   * calling thread's, for per-thread state; block_opaque is shared.
   * Returns 0, or -1 after error() (the copy then stops).
   */
  int (*block) (void *opaque, unsigned worker, uint64_t offset,
                const void *buf, size_t len);
  void *block_opaque;
  uint32_t block_size;          /* with block: a power of two >= 64 KiB,
                                   or 0: the map's own chunks (at most
                                   512 KiB, 64 KiB aligned) */
  unsigned workers;             /* with block: requests in flight, at most
                                   64 (0: the engine's default) */
  uint64_t size;                /* virtual size */
  bool zero_initialized;        /* destination reads as zeroes: skip holes */
  bool failed;                  /* set before disk_end when the copy failed */
};

struct output_args {
  const char *dir;              /* -os */
  const char *format;           /* -of, or NULL for the default */
  const char *allocation;       /* -oa sparse|preallocated, or NULL */
  const char *name;             /* -on, or NULL for the source's name */
  const struct kvlist *options; /* -oo key=value (not owned) */
  const char *password;         /* -op FILE's content, or NULL (secret) */
};

/* Facts about the conversion that go into the metadata. */
struct output_meta {
  const char *name;             /* final VM name */
  const char *os;               /* product name, or NULL */
  const char *report_json;      /* the change report document */
  enum firmware firmware;
  const char *os_type;          /* "linux", "windows" (inspection) or NULL */
  const char *distro;           /* "debian", "ubuntu", ... or NULL */
  int major, minor;             /* OS version */
  bool guest_agent;             /* qemu-guest-agent is installed */
  const char *arch;             /* "x86_64", "aarch64", ... (inspection) or NULL */
  const char *cloud_init_version; /* the guest's cloud-init, or NULL */
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
  /* It uses output_args.password (-op FILE). */
  bool takes_password;

  /* Check arguments and the destination before any slow work, so that
   * an unwritable directory fails in a second, not after the copy.
   */
  struct output *(*open) (const struct output_args *a, const struct source *src);

  /* Optional: the guest has been fixed and is about to be copied;
   * what the metadata will say is known now.
   */
  int (*prepare) (struct output *o, const struct source *src,
                  const struct output_meta *m);

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
/* The name of the i-th output module, or NULL past the last. */
extern const char *output_name (size_t i);

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
/* The same layout in memory, for a qcow2 sent as a stream: the file is
 * meta (meta_len bytes: header, tables, L2s), then every allocated
 * guest cluster in guest order, file_size bytes in all.
 */
struct qcow2_layout {
  unsigned char *meta;          /* owned */
  size_t meta_len;
  uint64_t file_size;
  struct qcow2_map map;         /* owned host[] */
};
extern int qcow2_layout (const char *path, uint64_t vsize,
                         const struct copy_map *map, struct qcow2_layout *lay);

/* vmdk-stream.c: a streamOptimized VMDK written in one pass, for the
 * AWS import method (no temporary file; qemu-img cannot write this
 * format to a pipe).  The caller feeds the disk's data in guest order
 * (as the copy engine's stream callback gets it); the writer hands out
 * the file's bytes in order, without gaps, through 'sink', which
 * returns 0, or -1 after error().  The writer owns nothing of the
 * caller's: 'opaque' and the buffers stay the caller's.  The file
 * ends after vmdk_stream_finish(); vmdk_stream_free() frees the
 * writer whether or not it finished.
 */
struct vmdk_stream;
typedef int (*vmdk_sink) (void *opaque, const void *buf, size_t len);
/* Writes the header and descriptor through sink at once.  A size not a
 * multiple of 512 is rounded up.  NULL after error().
 */
extern struct vmdk_stream *vmdk_stream_new (uint64_t virtual_size,
                                            vmdk_sink sink, void *opaque);
/* Data at offset: increasing offsets (gaps read as zeroes), any
 * alignment and length; buf NULL means zeroes.  All-zero grains are
 * not stored.  0, or -1 after error() (and every later call fails).
 */
extern int vmdk_stream_write (struct vmdk_stream *v, uint64_t offset,
                              const void *buf, size_t len);
/* The last grain, the remaining grain tables, the grain directory,
 * the footer and the end-of-stream marker.  0 or -1 after error().
 */
extern int vmdk_stream_finish (struct vmdk_stream *v);
extern void vmdk_stream_free (struct vmdk_stream *v);
/* An upper bound of the file's size (to size S3 parts) when data_bytes
 * covers every 64 KiB grain the data touches: a copy_map's data_bytes
 * is (its chunks start on 64 KiB boundaries and only the disk's last
 * chunk is cut short), as is the number of touched grains * 65536.
 */
extern uint64_t vmdk_stream_max_size (uint64_t virtual_size,
                                      uint64_t data_bytes);

/* ---------------------------------------------------------------- */
/* openstack.c: credentials, Keystone v3 and requests to Glance. */

struct os_creds {
  char *auth_url, *auth_type;   /* password, v3applicationcredential, v3token */
  char *username, *user_id, *password;
  char *user_domain_name, *user_domain_id;
  char *project_name, *project_id, *project_domain_name, *project_domain_id;
  char *appcred_id, *appcred_name, *appcred_secret;
  char *token;
  char *region, *interface;     /* interface: public (default), internal, admin */
  char *cacert;                 /* CA bundle, or NULL for the system's */
  bool insecure;                /* verify: false */
  char *source;                 /* where they came from, for messages */
};
/* From clouds.yaml when cloud (or OS_CLOUD) names one, else from the
 * OS_* environment.  Returns 0 or -1 after error().
 */
extern int os_creds_load (const char *cloud, const char *password,
                          struct os_creds *c);
/* Frees (and wipes the secrets of) c. */
extern void os_creds_free (struct os_creds *c);

struct os_session {
  struct os_creds creds;
  struct http_opts http;
  char *token;                  /* (owned, secret) */
  char *auth_header;            /* "X-Auth-Token: ..." (owned, secret) */
  char *image_url;              /* Glance endpoint, no trailing "/" (owned) */
};
/* Load the credentials and authenticate.  0 or -1 after error(). */
extern int os_session_open (struct os_session *s, const char *cloud,
                            const char *password);
extern int os_authenticate (struct os_session *s);
extern void os_session_close (struct os_session *s);
/* A request to the image service at path ("/v2/images"), with the token;
 * authenticates again once on 401.  0 with *r (any status), or -1.
 */
extern int os_request (struct os_session *s, const char *method,
                       const char *path, const char *content_type,
                       const char *body, struct http_response *r);

#endif /* FERRY_OUTPUTS_H */
