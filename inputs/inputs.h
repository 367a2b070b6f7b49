/* SPDX-License-Identifier: GPL-2.0-or-later */
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
  const char *conn_uri;         /* -ic URI (libvirt), or NULL */
  const struct kvlist *options; /* -io key=value (not owned) */
  const char *password;         /* -ip FILE's content, or NULL (secret) */
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
  /* It uses input_args.password (-ip FILE). */
  bool takes_password;

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
/* The name of the i-th input module, or NULL past the last. */
extern const char *input_name (size_t i);

/* format.c: content-based detection of disk image formats. */
struct image_info {
  char format[8];               /* qemu driver name: raw qcow2 vmdk vpc vhdx vdi */
  char subformat[32];           /* e.g. "streamOptimized", "fixed", "" */
  uint64_t file_size;
  /* Virtual disk size in bytes as the header gives it, 0 = unknown;
   * UINT64_MAX if it does not fit (refuse it).  qcow2: the header's
   * size; sparse VMDK: capacity (the footer's for streamOptimized);
   * VMDK descriptor: the sum of its extents' sizes, whatever their
   * access; VHD: the larger of the current size and the geometry's;
   * VHDX: the metadata's Virtual Disk Size; VDI 1.1: the disk size,
   * rounded up to sectors; raw: the file size.  It is what the header
   * claims, for refusing absurd images before qemu is started, and
   * not checked against the data (a descriptor's sparse extents have
   * their own capacity in their headers).
   */
  uint64_t virtual_size;
  /* Files this image refers to (backing file, VMDK extents, parent
   * delta, qcow2 external data file), as absolute or relative paths
   * exactly as written (owned, NULL terminated, may be empty; no
   * duplicates, no empty names).
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
/* The same for an image stored as 'size' bytes at 'offset' of 'path'
 * (an uncompressed disk inside an OVA); 'label' names it in messages.
 */
extern int image_probe_range (const char *path, uint64_t offset,
                              uint64_t size, const char *label,
                              const char *forced, struct image_info *info);
/* The same for an image held in memory, 'len' bytes at 'buf' (the
 * fuzzer, unit tests), format detected.  No file is opened.
 */
extern int image_probe_buffer (const void *buf, size_t len,
                               const char *label, struct image_info *info);
extern void image_info_free (struct image_info *info);

/* vmdkdesc.c: VMDK text descriptors, read by qemu's rules or wider
 * ones (see there).  Pure functions over a buffer, unit tested and
 * fuzzed.
 *
 * Parse the extent lines (any access) and parentFileNameHints of a
 * descriptor into *refs (owned, NULL terminated).  *create_type gets
 * the createType (owned) or NULL.  Returns 0, or -1 if it is not a
 * descriptor or names too many files.
 */
extern int vmdk_descriptor_parse (const char *text, size_t len,
                                  char ***refs, char **create_type);
/* The same, and *virtual_size (if not NULL) gets the sum of the
 * extents' sizes in bytes (UINT64_MAX if that overflows).  'label'
 * names the text in messages.  Returns 0, 1 if it is not a descriptor,
 * or -1 after error().
 */
extern int vmdk_descriptor_read (const char *text, size_t len,
                                 const char *label, char ***refs,
                                 char **create_type, uint64_t *virtual_size);
/* Add every parentFileNameHint in the len bytes at buf (NUL bytes
 * included) to *refs.  Returns 0 or -1 after error().
 */
extern int vmdk_parent_hints (const char *buf, size_t len, const char *label,
                              char ***refs);
/* Add the first n bytes of s (up to a NUL) to *list (owned, NULL
 * terminated) unless empty or already there; refuses more than 8192.
 * Returns 0 or -1 after error().
 */
extern int image_ref_add (char ***list, const char *s, size_t n,
                          const char *label);

/* Resolve each reference relative to the image's directory and refuse
 * those outside it (unless allow_external), that don't exist, or that
 * are the image itself.  Returns 0 or -1 after error().
 */
extern int image_check_references (const char *path,
                                   const struct image_info *info,
                                   bool allow_external);

/* ---------------------------------------------------------------- */
/* VM descriptions (OVF, VMX, libvirt XML), parsed before any disk is
 * opened.  The parsers are pure functions over a buffer (no file or
 * network access), unit tested and fuzzed.
 */

struct vmdesc_disk {
  char *file;                   /* file reference exactly as written (owned) */
  char *compression;            /* OVF ovf:compression ("gzip") or NULL (owned) */
  uint64_t file_size;           /* OVF ovf:size of the file, 0 = unknown */
  uint64_t capacity;            /* virtual size in bytes, 0 = unknown */
  char *format;                 /* libvirt <driver type>, else NULL (owned) */
  char *bus;                    /* "scsi" "sata" "ide" "nvme" "virtio" or NULL (owned) */
  int controller;               /* controller index on that bus, -1 = unknown */
  int unit;                     /* position on the controller, -1 = unknown */
};

struct vmdesc_nic {
  char *mac;                    /* lowercase aa:bb:cc:dd:ee:ff or NULL (owned) */
  char *network;                /* network / port group name or NULL (owned) */
  char *model;                  /* "vmxnet3", "e1000", "virtio", ... or NULL (owned) */
};

struct vmdesc {
  char *name;                   /* VM name (owned) */
  unsigned vcpus;               /* 0 = unknown */
  uint64_t memory;              /* bytes, 0 = unknown */
  enum firmware firmware;
  char *os;                     /* guest OS id as written (guestOS, ovf:osType) or NULL (owned) */
  struct vmdesc_disk *disks;    /* hard disks only (no CD-ROM, floppy) */
  size_t nr_disks;
  struct vmdesc_nic *nics;
  size_t nr_nics;
};

/* vmdesc.c */
extern void vmdesc_free (struct vmdesc *d);
/* Sort disks by bus (scsi, sata, nvme, virtio, ide, unknown), then
 * controller, then unit; stable for equal keys.
 */
extern void vmdesc_sort_disks (struct vmdesc *d);
/* Normalise a MAC ("00-50-56-AB-CD-EF", "0050.56ab.cdef" or with
 * colons) to lowercase colon form (owned), or NULL if it is not one.
 */
extern char *mac_normalise (const char *mac);

/* ovf.c: parse an OVF envelope (0.9, 1.x, 2.x namespaces, vSphere's
 * vmw: extensions).  No network access, no DTD, no entity expansion: a
 * document with a DOCTYPE is refused.  If the envelope holds several
 * VirtualSystems, 'vm_name' picks one (-io vm=NAME); without it that is
 * an error listing the names.  'label' names the document in messages.
 * Returns 0, or -1 after error().
 */
extern int ovf_parse (const char *xml, size_t len, const char *label,
                      const char *vm_name, struct vmdesc *d);

/* vmx.c: parse a VMware .vmx (key = "value" lines, |XX escapes).
 * Disks are the present scsiX:Y / sataX:Y / ideX:Y / nvmeX:Y entries
 * of a disk device type; their 'file' is the fileName as written.
 */
extern int vmx_parse (const char *text, size_t len, const char *label,
                      struct vmdesc *d);

/* libvirtxml.c: parse a libvirt <domain> document (same XML safety as
 * ovf_parse).  Disks are <disk device="disk"> with a file or block
 * source; 'file' is the source path, 'format' the driver type.
 */
extern int libvirtxml_parse (const char *xml, size_t len, const char *label,
                             struct vmdesc *d);

/* xmlsafe.c: reading untrusted XML, for the two parsers above.  No
 * network, no DTD loading, no entity substitution; a DOCTYPE is refused
 * as soon as the parser sees it; libxml2's messages are captured.
 * Messages start "parse KIND \"LABEL\": " (KIND "OVF", "libvirt XML");
 * 'doctype_why', if not NULL, is added in brackets to the one refusing
 * a DOCTYPE.  Returns the document (for xmlFreeDoc), or NULL after
 * error().
 */
extern struct _xmlDoc *xml_read_untrusted (const char *xml, size_t len,
                                           const char *kind,
                                           const char *label,
                                           const char *doctype_why);
/* For messages: s if short, without control characters or quotes
 * (UTF-8 is fine: libxml2 has checked it); "(none)" if NULL.
 */
extern const char *xml_printable (const char *s);
/* A decimal number, blanks around it allowed, at most max.  Returns 0,
 * or -1 if s is NULL or not such a number.
 */
extern int xml_parse_dec (const char *s, uint64_t max, uint64_t *out);

/* ---------------------------------------------------------------- */
/* tar.c: index a tar archive in place (ustar, pax extended headers,
 * GNU long names).  Only regular files are listed.  Refuses absolute
 * names, ".." components, bad header checksums, and members that run
 * past the end of the archive.
 */
struct tar_member {
  char *name;                   /* relative path, "./" prefix removed (owned) */
  uint64_t offset;              /* byte offset of the data in the archive */
  uint64_t size;                /* bytes */
};
struct tar_index {
  struct tar_member *members;
  size_t nr;
};
/* 'label' names the archive in messages; 'size' is the archive size. */
extern int tar_index_read (int fd, uint64_t size, const char *label,
                           struct tar_index *idx);
extern void tar_index_free (struct tar_index *idx);
extern const struct tar_member *tar_find (const struct tar_index *idx,
                                          const char *name);

/* manifest.c: OVF manifests (".mf"), lines like
 * "SHA256(disk1.vmdk)= 0123abcd..." (SHA1, SHA256 and SHA512).
 */
struct manifest_entry {
  char *file;                   /* (owned) */
  char *algo;                   /* "SHA1", "SHA256", "SHA512" (owned) */
  char *digest;                 /* lowercase hex (owned) */
};
struct manifest {
  struct manifest_entry *entries;
  size_t nr;
};
extern int manifest_parse (const char *text, size_t len, const char *label,
                           struct manifest *m);
extern void manifest_free (struct manifest *m);
/* Hex digest with 'algo' of 'size' bytes at 'offset' of the file open
 * on fd, into out (at least 129 bytes).  Checks interrupted().
 */
extern int digest_range (int fd, uint64_t offset, uint64_t size,
                         const char *algo, const char *label, char *out);

/* ---------------------------------------------------------------- */
/* diskset.c: probe, check and expose the disks of any input.  Each disk
 * is a file, or a window of a file (an uncompressed disk inside an
 * OVA's tar, read in place).
 */
struct disk_spec {
  char *path;                   /* absolute path of the file (owned) */
  uint64_t offset;              /* the image is 'size' bytes at 'offset'; */
  uint64_t size;                /* size 0 means the whole file */
  char *label;                  /* name in messages, or NULL for path (owned) */
  char *format;                 /* format to insist on, or NULL to detect (owned) */
  bool in_archive;              /* a member of an archive (a window, or inflated
                                   from one): it may refer to no other file */
};
extern void disk_spec_free (struct disk_spec *specs, size_t nr);

struct diskset {
  struct nbd_server *servers;   /* one per disk */
  struct image_info *infos;     /* one per disk */
  struct disk_spec *specs;      /* (not owned) */
  size_t nr;
  uint64_t max_size;            /* -io max-size= */
};

/* The -io keys every input that has disks accepts, and their values. */
#define DISKSET_OPTIONS \
  { "allow-external-extents", NULL, \
    "accept backing files and extents outside the image's directory" }, \
  { "unconfined", NULL, \
    "run qemu without the sandbox that hides the host from it" }, \
  { "max-size", "BYTES", \
    "refuse disks larger than this (default 64T)" }
struct diskset_opts {
  bool allow_external;          /* -io allow-external-extents */
  bool unconfined;              /* -io unconfined */
  uint64_t max_size;            /* -io max-size=, default 64 TiB */
};
#define DISKSET_MAX_SIZE_DEFAULT (UINT64_C(64) << 40)
/* Read the keys above from -io.  Returns 0 or -1 after error(). */
extern int diskset_opts_parse (const struct kvlist *l, struct diskset_opts *o);

/* Probe every disk: only regular files; check what it refers to
 * (refusing references outside its directory unless allow_external,
 * any for a member of an archive), refuse disks above o->max_size, and
 * fill in src->disks, with what a qemu reading each may see.
 * ds->specs keeps pointing at specs, which must outlive ds.  Returns 0
 * or -1 after error().
 */
extern int diskset_probe (struct diskset *ds, struct disk_spec *specs,
                          size_t nr, const struct diskset_opts *o,
                          struct source *src);
/* Check each disk as qemu itself opens it (qemuview.c), then start a
 * confined read-only qemu-nbd per disk; fill in uri and virtual_size.
 */
extern int diskset_expose (struct diskset *ds, struct source *src);
/* Stop the servers and free ds's contents.  Safe after failures. */
extern void diskset_close (struct diskset *ds);
/* qemuview.c: open the disk at 'path' (or the 'size' bytes at 'offset'
 * of it, if size is not 0) with 'format' in a confined qemu-img, and
 * follow its chain of backing files as qemu resolves them.  Every file
 * qemu names must be a regular file inside one of 'roots' (none at all
 * for in_archive), the virtual size at most max_size.  *opts gets the
 * --image-opts string for the whole chain, each format explicit
 * (owned).  Returns 0 or -1 after error().
 */
extern int qemu_view_chain (const char *label, const char *path,
                            const char *format, uint64_t offset,
                            uint64_t size, bool in_archive,
                            const struct confine *c, char *const *roots,
                            uint64_t max_size, char **opts);
/* Does qemu read 'name' as protocol:rest (a ':' before any '/')? */
extern bool has_protocol_prefix (const char *name);

/* Fill src's name, vcpus, memory, firmware and NICs from a description. */
extern int vmdesc_to_source (const struct vmdesc *d, struct source *src);

#endif /* FERRY_INPUTS_H */
