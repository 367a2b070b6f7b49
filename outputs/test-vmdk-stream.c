/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit test for the streamOptimized VMDK writer: write patterned disks
 * (sizes not a multiple of a grain, data at odd offsets and lengths
 * fed in odd pieces, runs of zero grains given as zero buffers and as
 * NULL, a disk of only zeroes, a 5 GiB disk with data at both ends)
 * through the writer into a file and the same data into a raw file,
 * then let qemu-img check, describe and compare them.  The sink must
 * get exactly the file's bytes, and vmdk_stream_max_size must bound
 * the file.
 */

#include <config.h>

#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outputs.h"
#include "unittest.h"

#define K UINT64_C(1024)
#define M (K * K)
#define G (K * M)
#define GRAIN (64 * K)

enum kind { DATA, TEXT, ZEROBUF, NOTHING };
struct op {
  uint64_t offset, length;
  enum kind kind;
};

struct sink_state {
  int fd;
  uint64_t bytes;
  unsigned calls;
};

static int
sink (void *opaque, const void *buf, size_t len)
{
  struct sink_state *s = opaque;
  /* write(), not pwrite(): the bytes must come in order. */
  if (write (s->fd, buf, len) != (ssize_t) len) {
    error ("sink: %m");
    return -1;
  }
  s->bytes += len;
  s->calls++;
  return 0;
}

static void
fill (unsigned char *buf, size_t len, uint64_t off, enum kind kind)
{
  static const char text[] = "ferry converts virtual machines; 0123456789 ";
  for (size_t i = 0; i < len; i++) {
    uint64_t o = off + i;
    if (kind == TEXT)
      buf[i] = text[(o / 3) % (sizeof text - 1)] ^ (o % 4096 == 0);
    else if (kind == DATA)
      buf[i] = (uint8_t) (((o >> 3) * 0x9e3779b97f4a7c15ULL) >> (8 * (o & 7)));
    else
      buf[i] = 0;
  }
}

static uint64_t
file_size (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 ? (uint64_t) st.st_size : 0;
}

/* Write the ops (in pieces of at most 'step' bytes) through the
 * writer and into a raw file; check the result with qemu-img.
 */
static int
one (const char *dir, const char *name, uint64_t vsize,
     const struct op *ops, size_t n, size_t step, bool vs_qemu)
{
  char vpath[512], rpath[512];
  struct sink_state s = { .fd = -1 };
  struct vmdk_stream *v = NULL;
  unsigned char *buf = malloc (step);
  uint64_t grains = 0, last_grain = UINT64_MAX, max, size;
  int rfd, ok = 1;

  snprintf (vpath, sizeof vpath, "%s/%s.vmdk", dir, name);
  snprintf (rpath, sizeof rpath, "%s/%s.raw", dir, name);
  s.fd = open (vpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  rfd = open (rpath, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (s.fd == -1 || rfd == -1 || buf == NULL || ftruncate (rfd, vsize) == -1)
    return 0;
  v = vmdk_stream_new (vsize, sink, &s);
  if (v == NULL)
    return 0;
  for (size_t i = 0; i < n && ok; i++) {
    uint64_t off = ops[i].offset, end = off + ops[i].length;
    /* The grains a copy map would give for this data. */
    if (ops[i].kind != NOTHING && end > off)
      for (uint64_t g = off / GRAIN; g <= (end - 1) / GRAIN; g++)
        if (g != last_grain) {
          grains++;
          last_grain = g;
        }
    while (off < end) {
      size_t len = end - off < step ? end - off : step;
      const void *p = ops[i].kind == NOTHING ? NULL : buf;
      fill (buf, len, off, ops[i].kind);
      if (vmdk_stream_write (v, off, p, len) == -1) {
        ok = 0;
        break;
      }
      if (p && pwrite (rfd, buf, len, off) != (ssize_t) len)
        ok = 0;
      off += len;
    }
  }
  if (ok && vmdk_stream_finish (v) == -1)
    ok = 0;
  vmdk_stream_free (v);
  close (s.fd);
  close (rfd);
  free (buf);
  size = file_size (vpath);
  max = vmdk_stream_max_size (vsize, grains * GRAIN);
  if (s.bytes != size) {
    fprintf (stderr, "%s: the sink got %" PRIu64 " bytes, the file has %" PRIu64 "\n",
             name, s.bytes, size);
    ok = 0;
  }
  if (size > max) {
    fprintf (stderr, "%s: %" PRIu64 " bytes, more than the bound %" PRIu64 "\n",
             name, size, max);
    ok = 0;
  }
  printf ("%s: %" PRIu64 " bytes in %u sink calls (bound %" PRIu64 ")\n",
          name, size, s.calls, max);
  {
    const char *argv[] = { "qemu-img", "check", "-q", "-f", "vmdk", vpath, NULL };
    if (run_command (argv, NULL, NULL) != 0) {
      fprintf (stderr, "qemu-img check %s failed\n", vpath);
      ok = 0;
    }
  }
  {
    const char *argv[] = { "qemu-img", "info", "-f", "vmdk", vpath, NULL };
    CLEANUP_FREE char *out = NULL;
    if (run_command (argv, &out, NULL) != 0 || out == NULL ||
        strstr (out, "create type: streamOptimized") == NULL) {
      fprintf (stderr, "qemu-img info %s:\n%s\n", vpath, out ? out : "");
      ok = 0;
    }
  }
  {
    const char *argv[] = { "qemu-img", "compare", "-q", "-f", "raw", "-F", "vmdk",
                           rpath, vpath, NULL };
    if (run_command (argv, NULL, NULL) != 0) {
      fprintf (stderr, "qemu-img compare %s %s: different\n", rpath, vpath);
      ok = 0;
    }
  }
  if (vs_qemu) {
    char qpath[520];
    snprintf (qpath, sizeof qpath, "%s/%s-qemu.vmdk", dir, name);
    const char *argv[] = { "qemu-img", "convert", "-f", "raw", "-O", "vmdk",
                           "-o", "subformat=streamOptimized", rpath, qpath, NULL };
    if (run_command (argv, NULL, NULL) != 0)
      ok = 0;
    else
      printf ("%s: ferry %" PRIu64 " bytes, qemu-img convert streamOptimized "
              "%" PRIu64 " bytes\n", name, size, file_size (qpath));
    unlink (qpath);
  }
  unlink (vpath);
  unlink (rpath);
  return ok;
}

static uint64_t
null_sink_bytes;

static int
null_sink (void *opaque, const void *buf, size_t len)
{
  (void) opaque; (void) buf;
  null_sink_bytes += len;
  return 0;
}

int
main (void)
{
  char dir[] = "/tmp/ferry-test-vmdk-stream.XXXXXX";
  const char *probe[] = { "qemu-img", "--version", NULL };

  if (run_command (probe, NULL, NULL) != 0) {
    fprintf (stderr, "qemu-img is not installed: skipped\n");
    return 77;
  }
  if (mkdtemp (dir) == NULL)
    return 1;
  {
    /* 100 MiB + 77 sectors: the last grain is cut short. */
    const uint64_t vsize = 100 * M + 77 * 512;
    const struct op ops[] = {
      { 0, 1 * M, DATA },
      { 1 * M, 640 * K, ZEROBUF },             /* ten zero grains as data */
      { 1 * M + 640 * K, 3 * M, NOTHING },
      { 5 * M + 1234, 70001, TEXT },           /* odd offset and length */
      { 5 * M + 1234 + 70001, 17, DATA },      /* same grain, right after */
      { 6 * M + 3, 1, DATA },                  /* one byte */
      { 32 * M - 100, 300, DATA },             /* across a grain table */
      { 40 * M, 8 * M, TEXT },
      { 64 * M - GRAIN, 3 * GRAIN, NOTHING },  /* a zero run over a GT edge */
      { 100 * M - 5000, 5000 + 77 * 512, DATA },  /* up to the end */
    };
    size_t n = sizeof ops / sizeof ops[0];
    CHECK (one (dir, "odd", vsize, ops, n, 256 * K, true),
           "odd-sized disk, 256 KiB pieces");
    CHECK (one (dir, "odd-small", vsize, ops, n, 4097, false),
           "odd-sized disk, 4097-byte pieces");
  }
  {
    const struct op ops[] = {
      { 0, 2 * M, ZEROBUF }, { 2 * M, 60 * M, NOTHING }, { 63 * M, 512, ZEROBUF },
    };
    CHECK (one (dir, "zeroes", 64 * M + 512, ops, 3, 512 * K, true),
           "a disk of only zeroes");
    CHECK (one (dir, "nothing", 1 * M, NULL, 0, 512 * K, false),
           "a disk never written");
  }
  {
    const struct op ops[] = {
      { 0, 2 * M, DATA }, { 2 * M + 512, 1 * M, TEXT },
      { 5 * G - 1 * M - 512, 1 * M + 512, DATA },
    };
    CHECK (one (dir, "sparse5g", 5 * G, ops, 3, 512 * K, true),
           "5 GiB sparse disk, data at both ends");
  }
  {
    /* Out of order and past the end are errors. */
    struct vmdk_stream *v = vmdk_stream_new (1 * M, null_sink, NULL);
    char b[512] = { 1 };
    CHECK (v != NULL, "writer created");
    if (v) {
      CHECK (vmdk_stream_write (v, 4096, b, sizeof b) == 0, "write at 4096");
      CHECK (vmdk_stream_write (v, 0, b, sizeof b) == -1, "a write going back fails");
      CHECK (vmdk_stream_finish (v) == -1, "finish after a failure fails");
      vmdk_stream_free (v);
    }
    v = vmdk_stream_new (1 * M, null_sink, NULL);
    if (v) {
      CHECK (vmdk_stream_write (v, 1 * M - 256, b, sizeof b) == -1,
             "a write past the end fails");
      vmdk_stream_free (v);
    }
  }
  rmdir (dir);
  printf ("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
