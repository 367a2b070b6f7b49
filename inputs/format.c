/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: detect disk image formats from their content.
 *
 * We never let qemu probe: a raw guest disk can start with a qcow2
 * header that names a host file as its backing file.  So the format is
 * decided here from magic bytes, the structure is checked enough to
 * refuse truncated files with a clear message, and every file the image
 * refers to (backing files, VMDK extents) is listed so that the caller
 * can refuse references outside the source's directory.
 *
 * The input is hostile: every offset and length taken from it is
 * checked against the buffer and the image size in 64 bits without
 * overflow, and every loop is bounded.  What qemu would read (it is
 * given the format found here) is read here too, by qemu's rules or
 * wider ones, so that no reference it follows goes unlisted.
 */

#include <config.h>

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "inputs.h"

static uint16_t be16 (const unsigned char *p)
{ return (uint16_t) (p[0] << 8 | p[1]); }
static uint16_t le16 (const unsigned char *p)
{ return (uint16_t) (p[1] << 8 | p[0]); }
static uint32_t be32 (const unsigned char *p)
{ return (uint32_t) p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
static uint64_t be64 (const unsigned char *p)
{ return (uint64_t) be32 (p) << 32 | be32 (p + 4); }
static uint32_t le32 (const unsigned char *p)
{ return (uint32_t) p[3] << 24 | p[2] << 16 | p[1] << 8 | p[0]; }
static uint64_t le64 (const unsigned char *p)
{ return (uint64_t) le32 (p + 4) << 32 | le32 (p); }

/* Does [off, off + len) lie within size bytes?  (Without overflow.) */
static bool
fits (uint64_t off, uint64_t len, uint64_t size)
{
  return len <= size && off <= size - len;
}

/* n sectors in bytes, UINT64_MAX if that overflows. */
static uint64_t
sectors_to_bytes (uint64_t n)
{
  return n > UINT64_MAX / 512 ? UINT64_MAX : n * 512;
}

void
image_info_free (struct image_info *info)
{
  free_string_list (info->references);
  free (info->backing_format);
  info->references = NULL;
  info->backing_format = NULL;
}

/* Where the probe reads: a whole file, a window of one (a disk stored
 * uncompressed inside an OVA's tar), or a buffer (the fuzzer, tests).
 */
struct probe_src {
  const char *path;             /* file to read, or NULL to read mem */
  const unsigned char *mem;     /* the image itself when path is NULL */
  const char *label;            /* name in messages */
  uint64_t base;                /* offset of the image in the file */
  uint64_t size;                /* bytes of the image */
};

/* read_at, confined to the window.  Offsets come from the image, so
 * any value must be safe here.
 */
static ssize_t
src_read (const struct probe_src *src, void *buf, size_t len, uint64_t off)
{
  if (off >= src->size)
    return 0;
  if (len > src->size - off)
    len = src->size - off;
  if (src->path == NULL) {
    memcpy (buf, src->mem + off, len);
    return len;
  }
  if (src->base > (uint64_t) INT64_MAX ||
      off > (uint64_t) INT64_MAX - src->base) {
    errno = EOVERFLOW;
    return -1;
  }
  return read_at (src->path, buf, len, src->base + off);
}

static int
add_ref (const struct probe_src *src, struct image_info *info,
         const char *s, size_t n)
{
  return image_ref_add (&info->references, s, n, src->label);
}

static int probe_window (const struct probe_src *src, const char *forced,
                         struct image_info *info);

/* ---------------------------------------------------------------- */
/* qcow2.  What qemu (block/qcow2.c) reads is read here, within its
 * limits; a header it would refuse is refused.
 */

#define QCOW2_MAX_EXTENSIONS 1024

static int
probe_qcow2 (const struct probe_src *src, const unsigned char *h,
             struct image_info *info)
{
  uint32_t version = be32 (h + 4);
  uint64_t backing_off = be64 (h + 8);
  uint32_t backing_len = be32 (h + 16);
  uint32_t cluster_bits = be32 (h + 20);
  uint32_t crypt = be32 (h + 32);
  uint32_t l1_size = be32 (h + 36);
  uint64_t l1_off = be64 (h + 40);
  uint64_t rt_off = be64 (h + 48);
  uint32_t rt_clusters = be32 (h + 56);
  uint64_t cluster_size, hdr_len, ext_len, have, off;
  CLEANUP_FREE unsigned char *ext = NULL;
  unsigned nr_ext = 0;

  strcpy (info->format, "qcow2");
  snprintf (info->subformat, sizeof info->subformat, "v%u", version);
  info->virtual_size = be64 (h + 24);
  if (version < 2 || version > 3 || cluster_bits < 9 || cluster_bits > 21) {
    error ("read \"%s\": corrupt qcow2 header (version %u, cluster bits %u)",
           src->label, version, cluster_bits);
    return -1;
  }
  if (crypt != 0) {
    error ("read \"%s\": encrypted qcow2 images are not supported; "
           "decrypt it with qemu-img convert first", src->label);
    return -1;
  }
  cluster_size = UINT64_C(1) << cluster_bits;
  hdr_len = version == 2 ? 72 : be32 (h + 100);
  if (hdr_len < (version == 2 ? 72 : 104) || hdr_len > cluster_size) {
    error ("read \"%s\": corrupt qcow2 header (header length %llu, "
           "cluster size %llu)", src->label, (unsigned long long) hdr_len,
           (unsigned long long) cluster_size);
    return -1;
  }
  if (backing_off > cluster_size) {
    error ("read \"%s\": corrupt qcow2 header (the backing file name is "
           "beyond the first cluster)", src->label);
    return -1;
  }
  if (!fits (l1_off, (uint64_t) l1_size * 8, info->file_size) ||
      !fits (rt_off, (uint64_t) rt_clusters * cluster_size, info->file_size)) {
    error ("read \"%s\": qcow2 file is truncated (its tables end beyond "
           "the file's %llu bytes)", src->label,
           (unsigned long long) info->file_size);
    return -1;
  }

  if (backing_off != 0) {
    char name[1024];
    if (backing_len >= sizeof name || backing_len > cluster_size - backing_off) {
      error ("read \"%s\": corrupt qcow2 header (backing file name of %u "
             "bytes)", src->label, backing_len);
      return -1;
    }
    if (src_read (src, name, backing_len, backing_off) != (ssize_t) backing_len) {
      error ("read \"%s\": cannot read the qcow2 backing file name", src->label);
      return -1;
    }
    if (add_ref (src, info, name, backing_len) == -1)
      return -1;
  }

  /* Header extensions, as qemu reads them: from the end of the header
   * to the backing file name or the end of the first cluster (up to
   * 2 MiB, so not only in h).  Past the end of the file they read as
   * zeros, an end marker.  Each step moves at least 8 bytes on, so the
   * loop ends; there are at most QCOW2_MAX_EXTENSIONS extensions.
   */
  ext_len = (backing_off ? backing_off : cluster_size);
  ext_len = ext_len > hdr_len ? ext_len - hdr_len : 0;
  have = info->file_size > hdr_len ? info->file_size - hdr_len : 0;
  if (have > ext_len)
    have = ext_len;
  ext = calloc (1, have + 8);
  if (ext == NULL || src_read (src, ext, have, hdr_len) == -1) {
    error ("read \"%s\": %m", src->label);
    return -1;
  }
  for (off = 0; off < ext_len && off < have; ) {
    uint32_t type, len;
    const char *data;
    size_t in_file;

    if (ext_len - off < 8) {
      error ("read \"%s\": corrupt qcow2 header (a header extension runs "
             "past the first cluster)", src->label);
      return -1;
    }
    type = be32 (ext + off);
    len = be32 (ext + off + 4);
    off += 8;
    if (len > ext_len - off) {
      error ("read \"%s\": corrupt qcow2 header (header extension of %u "
             "bytes runs past the first cluster)", src->label, len);
      return -1;
    }
    if (type == 0)
      break;
    if (++nr_ext > QCOW2_MAX_EXTENSIONS) {
      error ("read \"%s\": corrupt qcow2 header (more than %d header "
             "extensions)", src->label, QCOW2_MAX_EXTENSIONS);
      return -1;
    }
    data = (const char *) ext + off;
    in_file = off < have ? (have - off < len ? have - off : len) : 0;
    if (type == 0xe2792aca) {               /* backing file format */
      free (info->backing_format);
      info->backing_format = strndup (in_file ? data : "", in_file);
      if (info->backing_format == NULL) {
        error ("read \"%s\": %m", src->label);
        return -1;
      }
    }
    else if (type == 0x44415441) {          /* external data file */
      if (in_file && add_ref (src, info, data, in_file) == -1)
        return -1;
    }
    off += ((uint64_t) len + 7) & ~UINT64_C(7);
  }
  return 0;
}

/* ---------------------------------------------------------------- */
/* VMDK (the text descriptor is in vmdkdesc.c) */

static int vmdk_check_grains (const struct probe_src *src,
                              const unsigned char *h, uint64_t gd_off,
                              uint64_t file_size);

static int
probe_vmdk_sparse (const struct probe_src *src, const unsigned char *h,
                   struct image_info *info)
{
  uint64_t capacity = le64 (h + 12);
  uint64_t desc_off = le64 (h + 28), desc_size = le64 (h + 36);
  uint64_t gd_off = le64 (h + 56);
  const unsigned char *hd = h;
  unsigned char foot[512];
  char win[10240];
  ssize_t n;
  CLEANUP_FREE char *desc = NULL;
  CLEANUP_FREE char *create_type = NULL;

  strcpy (info->format, "vmdk");
  /* With a capacity of 0 qemu reads the embedded descriptor as a
   * descriptor file, extents and all: refuse that.
   */
  if (capacity == 0 || desc_size > 2048) {
    error ("read \"%s\": corrupt VMDK header", src->label);
    return -1;
  }
  if (desc_off > 0 && desc_size > 0) {
    size_t len = desc_size * 512;
    char **refs = NULL;

    if (desc_off > info->file_size / 512 ||
        !fits (desc_off * 512, len, info->file_size) ||
        (desc = malloc (len)) == NULL ||
        src_read (src, desc, len, desc_off * 512) != (ssize_t) len) {
      error ("read \"%s\": VMDK file is truncated (no embedded descriptor)",
             src->label);
      return -1;
    }
    /* The data of a sparse file is the file itself, whatever name its
     * embedded extent line gives (the name it was created with): only
     * the parent of a delta disk is an outside reference.
     */
    if (vmdk_descriptor_read (desc, len, src->label, &refs, &create_type,
                              NULL) == -1)
      return -1;
    free_string_list (refs);
    if (vmdk_parent_hints (desc, len, src->label, &info->references) == -1)
      return -1;
  }
  /* qemu looks for the parent in the 10 KiB at byte 512, wherever the
   * header puts the descriptor.
   */
  n = src_read (src, win, sizeof win, 512);
  if (n == -1) {
    error ("read \"%s\": %m", src->label);
    return -1;
  }
  if (vmdk_parent_hints (win, n, src->label, &info->references) == -1)
    return -1;
  if (create_type)
    snprintf (info->subformat, sizeof info->subformat, "%s", create_type);
  else
    strcpy (info->subformat, "monolithicSparse");

  if (gd_off == UINT64_MAX) {
    /* streamOptimized as VMware writes it: the real header is in a
     * footer 1024 bytes from the end (of the size rounded up to whole
     * sectors, as qemu reads it), before the end-of-stream marker.  A
     * cut-off download has no footer.
     */
    uint64_t end = (info->file_size / 512 + (info->file_size % 512 != 0)) * 512;
    if (info->file_size < 1536 ||
        src_read (src, foot, sizeof foot, end - 1024) != 512 ||
        memcmp (foot, "KDMV", 4) != 0) {
      error ("read \"%s\": streamOptimized VMDK is truncated "
             "(the footer at the end of the stream is missing)", src->label);
      return -1;
    }
    hd = foot;                  /* qemu uses all of the footer */
    gd_off = le64 (foot + 56);
    if (le64 (foot + 12) == 0) {
      error ("read \"%s\": corrupt VMDK footer", src->label);
      return -1;
    }
  }
  info->virtual_size = sectors_to_bytes (le64 (hd + 12));
  return vmdk_check_grains (src, hd, gd_off, info->file_size);
}

/* Walk the grain directory and tables: every grain they point to must
 * lie inside the file.  This is what finds a truncated monolithicSparse
 * or streamOptimized file, whose header alone looks fine.
 */
static int
vmdk_check_grains (const struct probe_src *src, const unsigned char *h,
                   uint64_t gd_off, uint64_t file_size)
{
  uint64_t capacity = le64 (h + 12), grain = le64 (h + 20);
  uint32_t per_gt = le32 (h + 44);
  bool compressed = (le32 (h + 8) & (1u << 16)) != 0;
  uint64_t span, nr_gts, gt_bytes, read_bytes = 0, max_grain = 0;
  CLEANUP_FREE unsigned char *gd = NULL;
  CLEANUP_FREE unsigned char *gt = NULL;

  /* qemu refuses more than 512 entries per table. */
  if (grain == 0 || per_gt == 0 || per_gt > 512 || grain > 65536) {
    error ("read \"%s\": corrupt VMDK header (grain size %llu, %u entries "
           "per table)", src->label, (unsigned long long) grain, per_gt);
    return -1;
  }
  span = grain * per_gt;
  nr_gts = capacity / span + (capacity % span != 0);
  gt_bytes = (uint64_t) per_gt * 4;
  if (nr_gts > (UINT64_C(1) << 24) || gd_off > file_size / 512 ||
      !fits (gd_off * 512, nr_gts * 4, file_size)) {
    error ("read \"%s\": VMDK file is truncated (its grain directory is "
           "beyond the end of the file)", src->label);
    return -1;
  }
  gd = malloc (nr_gts * 4);
  gt = malloc (gt_bytes);
  if (gd == NULL || gt == NULL ||
      src_read (src, gd, nr_gts * 4, gd_off * 512) != (ssize_t) (nr_gts * 4)) {
    error ("read \"%s\": cannot read the VMDK grain directory", src->label);
    return -1;
  }
  for (uint64_t i = 0; i < nr_gts; i++) {
    uint64_t gto = le32 (gd + i * 4);
    if (gto == 0)
      continue;
    /* Tables of a sound file are distinct: this bounds the work. */
    read_bytes += gt_bytes;
    if (read_bytes > file_size) {
      error ("read \"%s\": corrupt VMDK file (its grain tables overlap)",
             src->label);
      return -1;
    }
    if (!fits (gto * 512, gt_bytes, file_size) ||
        src_read (src, gt, gt_bytes, gto * 512) != (ssize_t) gt_bytes) {
      error ("read \"%s\": VMDK file is truncated (grain table %llu is "
             "beyond the end of the file)", src->label, (unsigned long long) i);
      return -1;
    }
    for (uint32_t k = 0; k < per_gt; k++) {
      uint64_t g = le32 (gt + k * 4);
      if (g > 1 && g > max_grain)
        max_grain = g;
    }
  }
  if (max_grain) {
    /* max_grain < 2^32 and grain <= 65536: no overflow. */
    uint64_t end = max_grain * 512 + (compressed ? 12 : grain * 512);
    if (compressed && end <= file_size) {
      unsigned char m[12];
      if (src_read (src, m, 12, max_grain * 512) == 12)
        end += le32 (m + 8);
    }
    if (end > file_size) {
      error ("read \"%s\": VMDK file is truncated (data ends at byte %llu, "
             "the file has %llu)", src->label, (unsigned long long) end,
             (unsigned long long) file_size);
      return -1;
    }
  }
  return 0;
}

/* Larger than this, a descriptor is refused (qemu reads 1 MiB - 1). */
#define DESC_MAX (1024 * 1024)

/* Returns 0, 1 if the text is not a descriptor, or -1 after error(). */
static int
probe_vmdk_descriptor (const struct probe_src *src, const unsigned char *h,
                       size_t hlen, struct image_info *info)
{
  const char *text = (const char *) h;
  size_t len = hlen;
  bool whole = true;
  CLEANUP_FREE char *all = NULL;
  CLEANUP_FREE char *create_type = NULL;
  char **refs = NULL;
  int r;

  /* A descriptor is text up to the first NUL byte: if there is none in
   * h, read on, up to the limit.
   */
  if (memchr (h, '\0', hlen) == NULL && src->size > hlen) {
    size_t want = src->size < DESC_MAX ? src->size : DESC_MAX;
    ssize_t n;

    all = malloc (want);
    if (all == NULL || (n = src_read (src, all, want, 0)) == -1) {
      error ("read \"%s\": %m", src->label);
      return -1;
    }
    text = all;
    len = n;
    whole = memchr (all, '\0', len) != NULL || src->size <= len;
  }
  r = vmdk_descriptor_read (text, len, src->label, &refs, &create_type,
                            &info->virtual_size);
  if (r != 0)
    return r;
  strcpy (info->format, "vmdk");
  snprintf (info->subformat, sizeof info->subformat, "%s",
            create_type ? create_type : "descriptor");
  if (!whole || refs[0] == NULL) {
    free_string_list (refs);
    if (!whole)
      error ("read \"%s\": VMDK descriptor is larger than %d KiB; "
             "refusing it", src->label, DESC_MAX / 1024);
    else
      error ("read \"%s\": VMDK descriptor names no extent", src->label);
    return -1;
  }
  info->references = refs;
  return 0;
}

/* ---------------------------------------------------------------- */
/* VHD, VHDX */

static int
probe_vhd (const struct probe_src *src, const unsigned char *footer,
           struct image_info *info)
{
  uint32_t type = be32 (footer + 60);
  uint64_t size = be64 (footer + 48);
  uint64_t chs = (uint64_t) be16 (footer + 56) * footer[58] * footer[59] * 512;

  strcpy (info->format, "vpc");
  /* qemu takes the size from the geometry or from this field, depending
   * on the program that wrote the image: the larger is the bound.
   */
  info->virtual_size = size > chs ? size : chs;
  if (type == 2) {
    strcpy (info->subformat, "fixed");
    if (info->file_size < 512 || size > info->file_size - 512) {
      error ("read \"%s\": fixed VHD is truncated", src->label);
      return -1;
    }
  }
  else if (type == 3) {
    unsigned char tail[512];
    strcpy (info->subformat, "dynamic");
    if (info->file_size < 512 ||
        src_read (src, tail, 512, info->file_size - 512) != 512 ||
        memcmp (tail, "conectix", 8) != 0) {
      error ("read \"%s\": dynamic VHD is truncated (no footer at the end)",
             src->label);
      return -1;
    }
  }
  else if (type == 4) {
    error ("read \"%s\": differencing VHDs are not supported; merge it "
           "with its parent first", src->label);
    return -1;
  }
  else {
    error ("read \"%s\": VHD of unknown disk type %u", src->label, type);
    return -1;
  }
  return 0;
}

/* VHDX GUIDs as stored (the first three fields little-endian). */
static const unsigned char vhdx_metadata_region[16] = {
  0x06, 0xa2, 0x7c, 0x8b, 0x90, 0x47, 0x9a, 0x4b,
  0xb8, 0xfe, 0x57, 0x5f, 0x05, 0x0f, 0x88, 0x6e
};
static const unsigned char vhdx_disk_size_item[16] = {
  0x24, 0x42, 0xa5, 0x2f, 0x1b, 0xcd, 0x76, 0x48,
  0xb2, 0x11, 0x5d, 0xbe, 0xd8, 0x3b, 0xf4, 0xb8
};

/* The Virtual Disk Size item of the metadata region that the region
 * table at 192 KiB names (the table qemu reads), or 0.  Checksums are
 * not verified (qemu refuses a file where they are wrong); should the
 * tables name several, the largest counts.  Returns -1 after error().
 */
static int
vhdx_virtual_size (const struct probe_src *src, uint64_t *size)
{
  CLEANUP_FREE unsigned char *rt = calloc (1, 65536);
  CLEANUP_FREE unsigned char *mt = malloc (65536);
  uint32_t count;

  *size = 0;
  if (rt == NULL || mt == NULL) {
    error ("read \"%s\": %m", src->label);
    return -1;
  }
  if (src_read (src, rt, 65536, 192 * 1024) < 16 ||
      memcmp (rt, "regi", 4) != 0 || (count = le32 (rt + 8)) > 2047)
    return 0;
  for (uint32_t i = 0; i < count; i++) {
    const unsigned char *e = rt + 16 + i * 32;
    uint64_t moff = le64 (e + 16);
    ssize_t n;
    unsigned mcount;

    if (memcmp (e, vhdx_metadata_region, 16) != 0)
      continue;
    n = src_read (src, mt, 65536, moff);
    if (n < 32 || memcmp (mt, "metadata", 8) != 0)
      continue;
    memset (mt + n, 0, 65536 - n);
    mcount = le16 (mt + 10);
    for (unsigned j = 0; j < mcount && j < 2047; j++) {
      const unsigned char *m = mt + 32 + j * 32;
      uint64_t ioff = le32 (m + 16);
      unsigned char v[8];

      if (memcmp (m, vhdx_disk_size_item, 16) == 0 &&
          moff <= UINT64_MAX - ioff &&
          src_read (src, v, 8, moff + ioff) == 8 && le64 (v) > *size)
        *size = le64 (v);
    }
  }
  return 0;
}

static int
probe_vhdx (const struct probe_src *src, struct image_info *info)
{
  unsigned char hd[4];

  strcpy (info->format, "vhdx");
  if (info->file_size < 1024 * 1024 ||
      src_read (src, hd, 4, 65536) != 4 || memcmp (hd, "head", 4) != 0) {
    error ("read \"%s\": VHDX file is truncated or corrupt "
           "(no header at 64 KiB)", src->label);
    return -1;
  }
  return vhdx_virtual_size (src, &info->virtual_size);
}

/* ---------------------------------------------------------------- */
/* Does a raw file look like a disk at all? */
static bool
looks_like_disk (const struct probe_src *src, const unsigned char *h, size_t hlen)
{
  unsigned char buf[8];

  if (hlen >= 512 && h[510] == 0x55 && h[511] == 0xaa)
    return true;                                  /* MBR / protective MBR */
  if (hlen >= 520 && memcmp (h + 512, "EFI PART", 8) == 0)
    return true;                                  /* GPT */
  if (hlen >= 1082 && h[1080] == 0x53 && h[1081] == 0xef)
    return true;                                  /* ext2/3/4 */
  if (memcmp (h, "XFSB", 4) == 0)
    return true;
  for (size_t s = 0; s < 4 && (s + 1) * 512 <= hlen; s++)
    if (memcmp (h + s * 512, "LABELONE", 8) == 0)
      return true;                                /* LVM PV */
  if (hlen >= 4096 && (memcmp (h + 4086, "SWAPSPACE2", 10) == 0))
    return true;
  if (src_read (src, buf, 8, 65600) == 8 && memcmp (buf, "_BHRfS_M", 8) == 0)
    return true;                                  /* btrfs */
  return false;
}

int
image_probe (const char *path, const char *forced, struct image_info *info)
{
  struct stat st;
  struct probe_src src = { .path = path, .label = path };

  memset (info, 0, sizeof *info);
  if (stat (path, &st) == -1) {
    error ("open \"%s\": %m", path);
    return -1;
  }
  if (S_ISDIR (st.st_mode)) {
    error ("open \"%s\": is a directory, not a disk image", path);
    return -1;
  }
  if (S_ISBLK (st.st_mode)) {
    error ("open \"%s\": block devices are not accepted as input; "
           "copy the device to a file first", path);
    return -1;
  }
  src.size = st.st_size;
  return probe_window (&src, forced, info);
}

int
image_probe_range (const char *path, uint64_t offset, uint64_t size,
                   const char *label, const char *forced,
                   struct image_info *info)
{
  struct probe_src src = { .path = path, .label = label, .base = offset,
                           .size = size };

  memset (info, 0, sizeof *info);
  return probe_window (&src, forced, info);
}

int
image_probe_buffer (const void *buf, size_t len, const char *label,
                    struct image_info *info)
{
  struct probe_src src = { .mem = buf, .label = label, .size = len };

  memset (info, 0, sizeof *info);
  return probe_window (&src, NULL, info);
}

static int
probe_window (const struct probe_src *src, const char *forced,
              struct image_info *info)
{
  unsigned char h[65536];
  unsigned char tail[512];
  ssize_t hlen;
  int r;

  info->file_size = src->size;
  hlen = src_read (src, h, sizeof h, 0);
  if (hlen == -1) {
    error ("read \"%s\": %m", src->label);
    return -1;
  }
  if (hlen == 0) {
    error ("read \"%s\": file is empty", src->label);
    return -1;
  }
  memset (h + hlen, 0, sizeof h - hlen);

  if (forced && strcmp (forced, "raw") == 0) {
    strcpy (info->format, "raw");
    info->virtual_size = info->file_size;
    return 0;
  }

  if (hlen >= 72 && memcmp (h, "QFI\xfb", 4) == 0)
    r = probe_qcow2 (src, h, info);
  else if (hlen >= 512 && memcmp (h, "KDMV", 4) == 0)
    r = probe_vmdk_sparse (src, h, info);
  else if (hlen >= 512 && memcmp (h, "conectix", 8) == 0)
    r = probe_vhd (src, h, info);
  else if (hlen >= 8 && memcmp (h, "vhdxfile", 8) == 0)
    r = probe_vhdx (src, info);
  else if (hlen >= 68 && le32 (h + 64) == 0xbeda107f) {
    strcpy (info->format, "vdi");
    /* Version 1.1, the only one qemu reads: the disk size, which it
     * rounds up to whole sectors.
     */
    if (le32 (h + 0x44) == 0x00010001) {
      uint64_t size = le64 (h + 0x170);
      info->virtual_size = size > UINT64_MAX - 511 ? UINT64_MAX :
        (size + 511) & ~UINT64_C(511);
    }
    r = 0;
  }
  else if (info->file_size >= 512 &&
           src_read (src, tail, 512, info->file_size - 512) == 512 &&
           memcmp (tail, "conectix", 8) == 0)
    r = probe_vhd (src, tail, info);
  else if ((r = probe_vmdk_descriptor (src, h, hlen, info)) != 1)
    ;
  else {
    /* Things people pass by mistake: say what they are. */
    const char *what = NULL;
    if (h[0] == 0x1f && h[1] == 0x8b) what = "a gzip-compressed file";
    else if (memcmp (h, "\xfd" "7zXZ", 6) == 0) what = "an xz-compressed file";
    else if (memcmp (h, "\x28\xb5\x2f\xfd", 4) == 0) what = "a zstd-compressed file";
    else if (memcmp (h, "BZh", 3) == 0) what = "a bzip2-compressed file";
    else if (hlen > 262 && memcmp (h + 257, "ustar", 5) == 0) what = "a tar archive";
    else if (memcmp (h, "LUKS\xba\xbe", 6) == 0) what = "a LUKS-encrypted volume";
    if (what) {
      error ("read \"%s\": this is %s, not a disk image", src->label, what);
      return -1;
    }
    if (!forced && !looks_like_disk (src, h, hlen)) {
      error ("read \"%s\": not a disk image (no known image format, "
             "partition table or filesystem found); use -if raw to "
             "convert it anyway", src->label);
      return -1;
    }
    strcpy (info->format, "raw");
    info->virtual_size = info->file_size;
    r = 0;
  }
  if (r == -1) {
    image_info_free (info);
    return -1;
  }

  if (forced && strcmp (forced, info->format) != 0) {
    error ("read \"%s\": the format is given as %s, but the content is %s", src->label,
           forced, info->format);
    image_info_free (info);
    return -1;
  }
  return 0;
}

int
image_check_references (const char *path, const struct image_info *info,
                        bool allow_external)
{
  CLEANUP_FREE char *dir = dir_of (path);

  if (dir == NULL) {
    error ("resolve the directory of \"%s\": %m", path);
    return -1;
  }
  for (size_t i = 0; info->references && info->references[i]; i++) {
    const char *ref = info->references[i];
    CLEANUP_FREE char *full = NULL;
    int within;

    if (strncmp (ref, "json:", 5) == 0 || strstr (ref, "://") ||
        (strchr (ref, ':') && !strchr (ref, '/'))) {
      error ("open \"%s\": it refers to \"%s\", which is not a plain file; "
             "refusing it", path, ref);
      return -1;
    }
    if (ref[0] == '/')
      full = strdup (ref);
    else if (asprintf (&full, "%s/%s", dir, ref) == -1)
      full = NULL;
    if (full == NULL) {
      error ("resolve \"%s\": %m", ref);
      return -1;
    }
    within = path_is_within (full, dir);
    if (within == -1) {
      error ("open \"%s\": the file it refers to, \"%s\", does not exist "
             "or cannot be read", path, ref);
      return -1;
    }
    if (!within && !allow_external) {
      error ("open \"%s\": it refers to \"%s\", outside the image's "
             "directory; refusing it (use -io allow-external-extents "
             "if you trust this image)", path, ref);
      return -1;
    }
    {
      CLEANUP_FREE char *rp = realpath (full, NULL);
      CLEANUP_FREE char *self = realpath (path, NULL);
      if (rp && self && strcmp (rp, self) == 0) {
        error ("open \"%s\": it refers to itself", path);
        return -1;
      }
    }
  }
  return 0;
}
