/* ferry: detect disk image formats from their content.
 *
 * We never let qemu probe: a raw guest disk can start with a qcow2
 * header that names a host file as its backing file.  So the format is
 * decided here from magic bytes, the structure is checked enough to
 * refuse truncated files with a clear message, and every file the image
 * refers to (backing files, VMDK extents) is listed so that the caller
 * can refuse references outside the source's directory.
 */

#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "inputs.h"

static uint32_t be32 (const unsigned char *p)
{ return (uint32_t) p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
static uint64_t be64 (const unsigned char *p)
{ return (uint64_t) be32 (p) << 32 | be32 (p + 4); }
static uint32_t le32 (const unsigned char *p)
{ return (uint32_t) p[3] << 24 | p[2] << 16 | p[1] << 8 | p[0]; }
static uint64_t le64 (const unsigned char *p)
{ return (uint64_t) le32 (p + 4) << 32 | le32 (p); }

static int
add_ref (struct image_info *info, const char *s, size_t n)
{
  size_t len = string_list_len (info->references);
  char **l = realloc (info->references, (len + 2) * sizeof *l);

  if (l == NULL)
    return -1;
  info->references = l;
  l[len] = strndup (s, n);
  l[len + 1] = NULL;
  return l[len] ? 0 : -1;
}

void
image_info_free (struct image_info *info)
{
  free_string_list (info->references);
  free (info->backing_format);
  info->references = NULL;
  info->backing_format = NULL;
}

/* Where the probe reads: a whole file, or a window of one (a disk
 * stored uncompressed inside an OVA's tar).
 */
struct probe_src {
  const char *path;             /* file to read */
  const char *label;            /* name in messages */
  uint64_t base;                /* offset of the image in the file */
  uint64_t size;                /* bytes of the image */
};

/* read_at, confined to the window. */
static ssize_t
src_read (const struct probe_src *src, void *buf, size_t len, uint64_t off)
{
  if (off >= src->size)
    return 0;
  if (len > src->size - off)
    len = src->size - off;
  return read_at (src->path, buf, len, src->base + off);
}

static int probe_window (const struct probe_src *src, const char *forced,
                         struct image_info *info);

/* ---------------------------------------------------------------- */
/* qcow2 */

static int
probe_qcow2 (const struct probe_src *src, const unsigned char *h, size_t hlen,
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
  uint64_t cluster_size;
  uint32_t ext_off;

  strcpy (info->format, "qcow2");
  snprintf (info->subformat, sizeof info->subformat, "v%u", version);
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
  if (l1_off + (uint64_t) l1_size * 8 > info->file_size ||
      rt_off + (uint64_t) rt_clusters * cluster_size > info->file_size) {
    error ("read \"%s\": qcow2 file is truncated (its tables end beyond "
           "the file's %llu bytes)", src->label,
           (unsigned long long) info->file_size);
    return -1;
  }

  if (backing_off != 0 && backing_len > 0) {
    char name[1024];
    if (backing_len >= sizeof name ||
        src_read (src, name, backing_len, backing_off) != (ssize_t) backing_len) {
      error ("read \"%s\": cannot read the qcow2 backing file name", src->label);
      return -1;
    }
    if (add_ref (info, name, backing_len) == -1)
      goto nomem;
  }

  /* Header extensions: the backing format, and an external data file,
   * which is a reference like any other.
   */
  ext_off = version >= 3 && hlen >= 104 ? be32 (h + 100) : 72;
  while (ext_off + 8 <= hlen) {
    uint32_t type = be32 (h + ext_off), len = be32 (h + ext_off + 4);
    const unsigned char *data = h + ext_off + 8;

    if (type == 0 || ext_off + 8 + len > hlen)
      break;
    if (type == 0xe2792aca) {               /* backing file format */
      free (info->backing_format);
      info->backing_format = strndup ((const char *) data, len);
    }
    else if (type == 0x44415441) {          /* external data file */
      if (add_ref (info, (const char *) data, len) == -1)
        goto nomem;
    }
    ext_off += 8 + ((len + 7) & ~7u);
  }
  return 0;
 nomem:
  error ("read \"%s\": %m", src->label);
  return -1;
}

/* ---------------------------------------------------------------- */
/* VMDK */

static int vmdk_check_grains (const struct probe_src *src, const unsigned char *h,
                              uint64_t gd_off, uint64_t file_size);

int
vmdk_descriptor_parse (const char *text, size_t len,
                       char ***refs, char **create_type)
{
  const char *p = text, *end = text + len;
  char **list = NULL;
  size_t n = 0;
  bool is_descriptor = false;

  *refs = NULL;
  if (create_type)
    *create_type = NULL;

  while (p < end && *p) {
    const char *eol = memchr (p, '\n', end - p);
    size_t linelen = eol ? (size_t) (eol - p) : (size_t) (end - p);
    char line[1024];
    const char *q1, *q2;

    if (linelen >= sizeof line)
      linelen = sizeof line - 1;
    memcpy (line, p, linelen);
    line[linelen] = '\0';
    p = eol ? eol + 1 : end;
    if (strchr (line, '\0') != line + linelen)
      break;                    /* embedded NUL: end of the text area */

    if (strncmp (line, "# Disk DescriptorFile", 21) == 0 ||
        strncmp (line, "createType", 10) == 0)
      is_descriptor = true;
    if (create_type && strncmp (line, "createType", 10) == 0 &&
        (q1 = strchr (line, '"')) && (q2 = strchr (q1 + 1, '"'))) {
      free (*create_type);
      *create_type = strndup (q1 + 1, q2 - q1 - 1);
    }
    /* Extent lines: ACCESS SECTORS TYPE "FILE" [OFFSET], and the
     * parent of a delta disk.
     */
    if ((strncmp (line, "RW ", 3) == 0 || strncmp (line, "RDONLY ", 7) == 0 ||
         strncmp (line, "NOACCESS ", 9) == 0 ||
         strncmp (line, "parentFileNameHint", 18) == 0) &&
        (q1 = strchr (line, '"')) && (q2 = strchr (q1 + 1, '"'))) {
      char **l = realloc (list, (n + 2) * sizeof *l);
      if (l == NULL)
        goto nomem;
      list = l;
      list[n] = strndup (q1 + 1, q2 - q1 - 1);
      if (list[n] == NULL)
        goto nomem;
      list[++n] = NULL;
    }
  }
  if (!is_descriptor) {
    free_string_list (list);
    if (create_type) {
      free (*create_type);
      *create_type = NULL;
    }
    return -1;
  }
  if (list == NULL)
    list = calloc (1, sizeof *list);
  *refs = list;
  return 0;
 nomem:
  free_string_list (list);
  return -1;
}

static int
probe_vmdk_sparse (const struct probe_src *src, const unsigned char *h,
                   struct image_info *info)
{
  uint64_t capacity = le64 (h + 12);
  uint64_t desc_off = le64 (h + 28), desc_size = le64 (h + 36);
  uint64_t gd_off = le64 (h + 56);
  CLEANUP_FREE char *desc = NULL;
  CLEANUP_FREE char *create_type = NULL;
  char **refs = NULL;

  strcpy (info->format, "vmdk");
  if (capacity == 0 || desc_size > 2048) {
    error ("read \"%s\": corrupt VMDK header", src->label);
    return -1;
  }
  if (desc_off > 0 && desc_size > 0) {
    size_t len = desc_size * 512;
    desc = calloc (1, len + 1);
    if (desc == NULL ||
        src_read (src, desc, len, desc_off * 512) != (ssize_t) len) {
      error ("read \"%s\": VMDK file is truncated (no embedded descriptor)",
             src->label);
      return -1;
    }
    if (vmdk_descriptor_parse (desc, len, &refs, &create_type) == 0) {
      /* The data of a sparse file is the file itself, whatever name
       * its embedded extent line gives (the name it was created with):
       * only the parent of a delta disk is an outside reference.
       */
      const char *hint = strstr (desc, "\nparentFileNameHint=\"");
      free_string_list (refs);
      if (hint) {
        const char *q1 = strchr (hint, '"'), *q2 = strchr (q1 + 1, '"');
        if (q2 && add_ref (info, q1 + 1, q2 - q1 - 1) == -1) {
          error ("read \"%s\": %m", src->label);
          return -1;
        }
      }
    }
  }
  if (create_type)
    snprintf (info->subformat, sizeof info->subformat, "%s", create_type);
  else
    strcpy (info->subformat, "monolithicSparse");

  if (gd_off == UINT64_MAX) {
    unsigned char foot[512];
    /* streamOptimized as VMware writes it: the real header is in a
     * footer 1024 bytes from the end, before the end-of-stream marker.
     * A cut-off download has no footer.
     */
    if (info->file_size < 1536 ||
        src_read (src, foot, sizeof foot, info->file_size - 1024) != 512 ||
        memcmp (foot, "KDMV", 4) != 0) {
      error ("read \"%s\": streamOptimized VMDK is truncated "
             "(the footer at the end of the stream is missing)", src->label);
      return -1;
    }
    gd_off = le64 (foot + 56);
  }
  return vmdk_check_grains (src, h, gd_off, info->file_size);
}

/* Walk the grain directory and tables: every grain they point to must
 * lie inside the file.  This is what finds a truncated monolithicSparse
 * or streamOptimized file, whose header alone looks fine.
 */
static int
vmdk_check_grains (const struct probe_src *src, const unsigned char *h, uint64_t gd_off,
                   uint64_t file_size)
{
  uint64_t capacity = le64 (h + 12), grain = le64 (h + 20);
  uint32_t per_gt = le32 (h + 44);
  bool compressed = (le32 (h + 8) & (1u << 16)) != 0;
  uint64_t nr_gts, max_grain = 0;
  CLEANUP_FREE uint32_t *gd = NULL;
  CLEANUP_FREE uint32_t *gt = NULL;

  if (grain == 0 || per_gt == 0 || per_gt > 65536 || grain > 65536) {
    error ("read \"%s\": corrupt VMDK header (grain size %llu, %u entries "
           "per table)", src->label, (unsigned long long) grain, per_gt);
    return -1;
  }
  nr_gts = (capacity + grain * per_gt - 1) / (grain * per_gt);
  if (nr_gts > (UINT64_C(1) << 24) || gd_off * 512 + nr_gts * 4 > file_size) {
    error ("read \"%s\": VMDK file is truncated (its grain directory is "
           "beyond the end of the file)", src->label);
    return -1;
  }
  gd = malloc (nr_gts * 4);
  gt = malloc ((size_t) per_gt * 4);
  if (gd == NULL || gt == NULL ||
      src_read (src, gd, nr_gts * 4, gd_off * 512) != (ssize_t) (nr_gts * 4)) {
    error ("read \"%s\": cannot read the VMDK grain directory", src->label);
    return -1;
  }
  for (uint64_t i = 0; i < nr_gts; i++) {
    uint64_t gto = le32 ((unsigned char *) &gd[i]);
    if (gto == 0)
      continue;
    if (gto * 512 + per_gt * 4 > file_size ||
        src_read (src, gt, per_gt * 4, gto * 512) != (ssize_t) (per_gt * 4)) {
      error ("read \"%s\": VMDK file is truncated (grain table %llu is "
             "beyond the end of the file)", src->label, (unsigned long long) i);
      return -1;
    }
    for (uint32_t k = 0; k < per_gt; k++) {
      uint64_t g = le32 ((unsigned char *) &gt[k]);
      if (g > 1 && g > max_grain)
        max_grain = g;
    }
  }
  if (max_grain) {
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

static int
probe_vmdk_descriptor (const struct probe_src *src, const char *text, size_t len,
                       struct image_info *info)
{
  CLEANUP_FREE char *create_type = NULL;
  char **refs = NULL;

  if (vmdk_descriptor_parse (text, len, &refs, &create_type) == -1)
    return 1;                   /* not a descriptor */
  strcpy (info->format, "vmdk");
  snprintf (info->subformat, sizeof info->subformat, "%s",
            create_type ? create_type : "descriptor");
  if (refs == NULL || refs[0] == NULL) {
    free_string_list (refs);
    error ("read \"%s\": VMDK descriptor names no extent", src->label);
    return -1;
  }
  for (size_t i = 0; refs[i]; i++)
    add_ref (info, refs[i], strlen (refs[i]));
  free_string_list (refs);
  return 0;
}

/* ---------------------------------------------------------------- */
/* VHD, VHDX */

static int
probe_vhd (const struct probe_src *src, const unsigned char *footer, bool at_start,
           struct image_info *info)
{
  uint32_t type = be32 (footer + 60);
  uint64_t size = be64 (footer + 48);

  strcpy (info->format, "vpc");
  if (type == 2) {
    strcpy (info->subformat, "fixed");
    if (info->file_size < size + 512) {
      error ("read \"%s\": fixed VHD is truncated", src->label);
      return -1;
    }
  }
  else if (type == 3) {
    unsigned char tail[512];
    strcpy (info->subformat, "dynamic");
    if (src_read (src, tail, 512, info->file_size - 512) != 512 ||
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
  (void) at_start;
  return 0;
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
    return 0;
  }

  if (hlen >= 72 && memcmp (h, "QFI\xfb", 4) == 0)
    r = probe_qcow2 (src, h, hlen, info);
  else if (hlen >= 512 && memcmp (h, "KDMV", 4) == 0)
    r = probe_vmdk_sparse (src, h, info);
  else if (hlen >= 512 && memcmp (h, "conectix", 8) == 0)
    r = probe_vhd (src, h, true, info);
  else if (hlen >= 8 && memcmp (h, "vhdxfile", 8) == 0) {
    unsigned char hd[4];
    strcpy (info->format, "vhdx");
    if (info->file_size < 1024 * 1024 ||
        src_read (src, hd, 4, 65536) != 4 || memcmp (hd, "head", 4) != 0) {
      error ("read \"%s\": VHDX file is truncated or corrupt "
             "(no header at 64 KiB)", src->label);
      return -1;
    }
    r = 0;
  }
  else if (hlen >= 68 && le32 (h + 64) == 0xbeda107f) {
    strcpy (info->format, "vdi");
    r = 0;
  }
  else if (info->file_size >= 512 &&
           src_read (src, tail, 512, info->file_size - 512) == 512 &&
           memcmp (tail, "conectix", 8) == 0)
    r = probe_vhd (src, tail, false, info);
  else if ((r = probe_vmdk_descriptor (src, (const char *) h, hlen, info)) != 1)
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
