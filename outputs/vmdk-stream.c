/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: write a streamOptimized VMDK in one pass, as a stream.
 *
 * The AWS "import" method uploads the disk to S3 and has EC2 import it
 * as a snapshot; the VMDK it wants is VMware's streamOptimized sparse
 * extent ("Virtual Disk Format 1.1").  qemu-img cannot write that
 * format to a pipe, so ferry writes it itself, straight into the
 * upload, with no temporary file.  The file is (in 512-byte sectors):
 *
 *   0            header, grain directory "at the end" (gdOffset -1)
 *   1            the embedded descriptor (DESC_SECTORS sectors)
 *   OVERHEAD     grain markers: LBA, compressed size, zlib data, each
 *                padded to a sector; all-zero grains are not stored
 *                after the grains of each group of 512 grains: a
 *                grain table marker and the grain table (4 sectors);
 *                groups with no grain have no table (GD entry 0)
 *   ...          grain directory marker and the grain directory
 *   end - 3      footer marker, footer (the header with gdOffset)
 *   end - 1      end-of-stream marker (a zero sector)
 *
 * Memory: one grain, its compressed copy, one grain table and the
 * grain directory (4 bytes per 32 MiB of disk).
 */

#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "outputs.h"

#define SECTOR 512
#define GRAIN_SECTORS 128                        /* 64 KiB */
#define GRAIN_SIZE (GRAIN_SECTORS * SECTOR)
#define GT_ENTRIES 512                           /* 32 MiB per table */
#define GT_SECTORS (GT_ENTRIES * 4 / SECTOR)
#define DESC_SECTORS 20
#define OVERHEAD GRAIN_SECTORS                   /* first grain at 64 KiB */
#define GD_AT_END UINT64_C(0xffffffffffffffff)
#define MARKER_EOS 0
#define MARKER_GT 1
#define MARKER_GD 2
#define MARKER_FOOTER 3
#define FLAG_NL_TEST (1u << 0)
#define FLAG_COMPRESSED (1u << 16)
#define FLAG_MARKERS (1u << 17)
/* Speed over the last percent of size: the grains are compressed on
 * the way to the network, on the copy's thread.
 */
#define ZLEVEL Z_BEST_SPEED

struct vmdk_stream {
  uint64_t capacity;            /* sectors */
  uint64_t nr_grains, nr_groups;
  vmdk_sink sink;
  void *opaque;
  uint64_t pos;                 /* bytes handed to the sink */
  uint64_t next;                /* lowest offset the next write may have */
  uint64_t grain;               /* grain in buf, or UINT64_MAX */
  uint64_t group;               /* group of gt[], or UINT64_MAX */
  bool gt_used;
  bool failed, finished;
  unsigned char *buf;           /* GRAIN_SIZE */
  unsigned char *zbuf;          /* marker + compressed grain, padded */
  size_t zbuf_len;
  uint32_t gt[GT_ENTRIES];
  uint32_t *gd;                 /* nr_groups entries */
  z_stream z;
  bool z_ready;
};

static void
le32 (unsigned char *p, uint32_t v)
{
  p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}

static void
le64 (unsigned char *p, uint64_t v)
{
  le32 (p, (uint32_t) v);
  le32 (p + 4, v >> 32);
}

static uint64_t
div_up (uint64_t a, uint64_t b)
{
  return (a + b - 1) / b;
}

static size_t
zbuf_size (void)
{
  return div_up (12 + compressBound (GRAIN_SIZE), SECTOR) * SECTOR;
}

static uint64_t
gd_sectors (uint64_t nr_groups)
{
  return div_up (nr_groups * 4, SECTOR);
}

uint64_t
vmdk_stream_max_size (uint64_t virtual_size, uint64_t data_bytes)
{
  uint64_t grains = div_up (div_up (virtual_size, SECTOR), GRAIN_SECTORS);
  uint64_t groups = div_up (grains, GT_ENTRIES);
  uint64_t data = div_up (data_bytes, GRAIN_SIZE);

  if (data > grains)
    data = grains;
  return (uint64_t) OVERHEAD * SECTOR
    + data * zbuf_size ()
    + (data < groups ? data : groups) * (1 + GT_SECTORS) * SECTOR
    + (1 + gd_sectors (groups)) * SECTOR
    + 3 * SECTOR;
}

/* Hand len bytes to the sink; once it fails, everything fails. */
static int
emit (struct vmdk_stream *v, const void *p, size_t len)
{
  if (v->failed)
    return -1;
  if (len == 0)
    return 0;
  if (v->sink (v->opaque, p, len) == -1) {
    v->failed = true;
    return -1;
  }
  v->pos += len;
  return 0;
}

/* A metadata marker sector: val, size 0, type, zeroes. */
static int
emit_marker (struct vmdk_stream *v, uint64_t val, uint32_t type)
{
  unsigned char m[SECTOR] = { 0 };
  le64 (m, val);
  le32 (m + 12, type);
  return emit (v, m, sizeof m);
}

static void
header (const struct vmdk_stream *v, unsigned char *h, uint64_t gd_offset)
{
  memset (h, 0, SECTOR);
  memcpy (h, "KDMV", 4);
  le32 (h + 4, 3);
  le32 (h + 8, FLAG_NL_TEST | FLAG_COMPRESSED | FLAG_MARKERS);
  le64 (h + 12, v->capacity);
  le64 (h + 20, GRAIN_SECTORS);
  le64 (h + 28, 1);                     /* descriptorOffset */
  le64 (h + 36, DESC_SECTORS);
  le32 (h + 44, GT_ENTRIES);
  le64 (h + 48, 0);                     /* rgdOffset: no redundant GD */
  le64 (h + 56, gd_offset);
  le64 (h + 64, OVERHEAD);
  h[72] = 0;                            /* uncleanShutdown */
  memcpy (h + 73, "\n \r\n", 4);
  h[77] = 1; h[78] = 0;                 /* compressAlgorithm: deflate */
}

/* Header, descriptor, padding up to the first grain. */
static int
emit_head (struct vmdk_stream *v)
{
  CLEANUP_FREE unsigned char *p = calloc (OVERHEAD, SECTOR);
  uint64_t heads = 255, secs = 63;
  uint64_t cyl = v->capacity / (heads * secs);
  uint32_t cid = (uint32_t) time (NULL) ^ ((uint32_t) getpid () << 16)
    ^ (uint32_t) v->capacity;
  int n;

  if (p == NULL) {
    error ("vmdk: %m");
    return -1;
  }
  if (cid == UINT32_MAX)
    cid = 1;
  header (v, p, GD_AT_END);
  n = snprintf ((char *) p + SECTOR, DESC_SECTORS * SECTOR,
                "# Disk DescriptorFile\n"
                "version=1\n"
                "CID=%08" PRIx32 "\n"
                "parentCID=ffffffff\n"
                "createType=\"streamOptimized\"\n"
                "\n"
                "# Extent description\n"
                "RW %" PRIu64 " SPARSE \"disk.vmdk\"\n"
                "\n"
                "# The Disk Data Base\n"
                "#DDB\n"
                "\n"
                "ddb.virtualHWVersion = \"4\"\n"
                "ddb.adapterType = \"lsilogic\"\n"
                "ddb.geometry.cylinders = \"%" PRIu64 "\"\n"
                "ddb.geometry.heads = \"%" PRIu64 "\"\n"
                "ddb.geometry.sectors = \"%" PRIu64 "\"\n"
                "ddb.toolsVersion = \"2147483647\"\n",
                cid, v->capacity, cyl, heads, secs);
  if (n < 0 || n >= DESC_SECTORS * SECTOR) {
    error ("vmdk: descriptor too long");
    return -1;
  }
  return emit (v, p, (size_t) OVERHEAD * SECTOR);
}

/* The grain table of the current group, if any grain went into it. */
static int
flush_gt (struct vmdk_stream *v)
{
  unsigned char t[GT_ENTRIES * 4];

  if (v->group == UINT64_MAX || !v->gt_used)
    return 0;
  if (emit_marker (v, GT_SECTORS, MARKER_GT) == -1)
    return -1;
  if (v->pos / SECTOR > UINT32_MAX) {
    error ("vmdk: file too large for 32-bit sector offsets");
    return v->failed = true, -1;
  }
  v->gd[v->group] = v->pos / SECTOR;
  for (size_t i = 0; i < GT_ENTRIES; i++)
    le32 (t + i * 4, v->gt[i]);
  memset (v->gt, 0, sizeof v->gt);
  v->gt_used = false;
  return emit (v, t, sizeof t);
}

/* Compress and write the grain in buf (unless it is all zeroes). */
static int
flush_grain (struct vmdk_stream *v)
{
  uint64_t g = v->grain, group;
  size_t len;

  if (g == UINT64_MAX)
    return 0;
  v->grain = UINT64_MAX;
  if (buf_is_zero (v->buf, GRAIN_SIZE))
    return 0;
  group = g / GT_ENTRIES;
  if (group != v->group) {
    if (flush_gt (v) == -1)
      return -1;
    v->group = group;
  }
  if (deflateReset (&v->z) != Z_OK)
    goto zfail;
  v->z.next_in = v->buf;
  v->z.avail_in = GRAIN_SIZE;
  v->z.next_out = v->zbuf + 12;
  v->z.avail_out = v->zbuf_len - 12;
  if (deflate (&v->z, Z_FINISH) != Z_STREAM_END)
    goto zfail;
  len = 12 + v->z.total_out;
  memset (v->zbuf + len, 0, div_up (len, SECTOR) * SECTOR - len);
  le64 (v->zbuf, g * GRAIN_SECTORS);
  le32 (v->zbuf + 8, v->z.total_out);
  if (v->pos / SECTOR > UINT32_MAX) {
    error ("vmdk: file too large for 32-bit sector offsets");
    return v->failed = true, -1;
  }
  v->gt[g % GT_ENTRIES] = v->pos / SECTOR;
  v->gt_used = true;
  return emit (v, v->zbuf, div_up (len, SECTOR) * SECTOR);

 zfail:
  error ("vmdk: deflate failed: %s", v->z.msg ? v->z.msg : "?");
  v->failed = true;
  return -1;
}

struct vmdk_stream *
vmdk_stream_new (uint64_t virtual_size, vmdk_sink sink, void *opaque)
{
  struct vmdk_stream *v = calloc (1, sizeof *v);

  if (v == NULL)
    goto nomem;
  v->capacity = div_up (virtual_size, SECTOR);
  v->nr_grains = div_up (v->capacity, GRAIN_SECTORS);
  v->nr_groups = div_up (v->nr_grains, GT_ENTRIES);
  v->sink = sink;
  v->opaque = opaque;
  v->grain = v->group = UINT64_MAX;
  v->zbuf_len = zbuf_size ();
  v->buf = malloc (GRAIN_SIZE);
  v->zbuf = malloc (v->zbuf_len);
  v->gd = calloc (v->nr_groups ? v->nr_groups : 1, sizeof *v->gd);
  if (v->buf == NULL || v->zbuf == NULL || v->gd == NULL)
    goto nomem;
  if (deflateInit (&v->z, ZLEVEL) != Z_OK) {
    error ("vmdk: deflateInit failed");
    vmdk_stream_free (v);
    return NULL;
  }
  v->z_ready = true;
  if (emit_head (v) == -1) {
    vmdk_stream_free (v);
    return NULL;
  }
  return v;

 nomem:
  error ("vmdk: %m");
  vmdk_stream_free (v);
  return NULL;
}

int
vmdk_stream_write (struct vmdk_stream *v, uint64_t offset, const void *buf,
                   size_t len)
{
  const unsigned char *p = buf;

  if (v->failed)
    return -1;
  if (v->finished || offset < v->next ||
      offset + len < offset || offset + len > v->capacity * SECTOR) {
    error ("vmdk: write of %zu bytes at %" PRIu64 " out of order or past "
           "the end (next %" PRIu64 ", size %" PRIu64 ")",
           len, offset, v->next, v->capacity * SECTOR);
    return v->failed = true, -1;
  }
  while (len > 0) {
    uint64_t g = offset / GRAIN_SIZE;
    size_t in = offset % GRAIN_SIZE;
    size_t n = GRAIN_SIZE - in < len ? GRAIN_SIZE - in : len;

    if (g != v->grain) {
      if (p == NULL) {          /* zeroes: nothing to buffer */
        offset += n; len -= n;
        continue;
      }
      if (flush_grain (v) == -1)
        return -1;
      memset (v->buf, 0, GRAIN_SIZE);
      v->grain = g;
    }
    if (p) {
      memcpy (v->buf + in, p, n);
      p += n;
    }
    else
      memset (v->buf + in, 0, n);
    offset += n; len -= n;
  }
  v->next = offset;
  return 0;
}

int
vmdk_stream_finish (struct vmdk_stream *v)
{
  CLEANUP_FREE unsigned char *gd = NULL;
  uint64_t gds = gd_sectors (v->nr_groups), gd_offset;
  unsigned char h[SECTOR], eos[SECTOR] = { 0 };

  if (v->failed)
    return -1;
  if (v->finished) {
    error ("vmdk: finished twice");
    return -1;
  }
  v->finished = true;
  if (flush_grain (v) == -1 || flush_gt (v) == -1)
    return -1;
  gd = calloc (gds ? gds : 1, SECTOR);
  if (gd == NULL) {
    error ("vmdk: %m");
    return v->failed = true, -1;
  }
  for (uint64_t i = 0; i < v->nr_groups; i++)
    le32 (gd + i * 4, v->gd[i]);
  if (emit_marker (v, gds, MARKER_GD) == -1)
    return -1;
  gd_offset = v->pos / SECTOR;
  if (emit (v, gd, gds * SECTOR) == -1 ||
      emit_marker (v, 1, MARKER_FOOTER) == -1)
    return -1;
  header (v, h, gd_offset);
  if (emit (v, h, sizeof h) == -1)
    return -1;
  return emit (v, eos, sizeof eos);
}

void
vmdk_stream_free (struct vmdk_stream *v)
{
  if (v == NULL)
    return;
  if (v->z_ready)
    deflateEnd (&v->z);
  free (v->buf);
  free (v->zbuf);
  free (v->gd);
  free (v);
}
