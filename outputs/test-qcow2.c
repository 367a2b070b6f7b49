/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit test for the qcow2 writer: lay out a file from a sparse map
 * (extents at odd places, a last cluster cut short, an extent crossing
 * an L2 table boundary, a disk bigger than one refcount block covers),
 * write data through the map exactly as the copy engine does, and let
 * qemu-img check the file and compare it with a raw file written with
 * the same data.
 */

#include <config.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "outputs.h"
#include "unittest.h"

static void
fill (char *buf, size_t len, uint64_t off)
{
  for (size_t i = 0; i < len; i += 8) {
    uint64_t v = (off + i) * 0x9e3779b97f4a7c15ULL;
    memcpy (buf + i, &v, len - i < 8 ? len - i : 8);
  }
}

static int
one (const char *dir, const char *name, uint64_t vsize,
     const struct copy_chunk *chunks, size_t n)
{
  char q[512], r[512];
  struct copy_map map = { .v = (struct copy_chunk *) chunks, .nr = n };
  struct qcow2_map qm = { 0 };
  int qfd, rfd, ok = 1;
  char *buf = malloc (2 << 20);

  snprintf (q, sizeof q, "%s/%s.qcow2", dir, name);
  snprintf (r, sizeof r, "%s/%s.raw", dir, name);
  qfd = open (q, O_RDWR | O_CREAT | O_TRUNC, 0644);
  rfd = open (r, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (qfd == -1 || rfd == -1 || buf == NULL || ftruncate (rfd, vsize) == -1)
    return 0;
  if (qcow2_create (qfd, q, vsize, &map, &qm) == -1)
    return 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t at = ((uint64_t) qm.host[chunks[i].offset >> qm.cluster_bits] << qm.cluster_bits)
      | (chunks[i].offset & ((1u << qm.cluster_bits) - 1));
    fill (buf, chunks[i].length, chunks[i].offset);
    /* Leave one chunk as zeroes (a hole), as zero detection does. */
    if (i == 1)
      continue;
    if (pwrite (qfd, buf, chunks[i].length, at) != chunks[i].length ||
        pwrite (rfd, buf, chunks[i].length, chunks[i].offset) != chunks[i].length)
      ok = 0;
  }
  close (qfd);
  close (rfd);
  free (qm.host);
  free (buf);
  {
    const char *argv[] = { "qemu-img", "check", "-q", "-f", "qcow2", q, NULL };
    if (run_command (argv, NULL, NULL) != 0) {
      fprintf (stderr, "qemu-img check %s failed\n", q);
      ok = 0;
    }
  }
  {
    const char *argv[] = { "qemu-img", "compare", "-q", "-f", "qcow2", "-F", "raw", q, r, NULL };
    if (run_command (argv, NULL, NULL) != 0) {
      fprintf (stderr, "qemu-img compare %s %s: different\n", q, r);
      ok = 0;
    }
  }
  unlink (q);
  unlink (r);
  return ok;
}

int
main (void)
{
  char dir[] = "/tmp/ferry-test-qcow2.XXXXXX";
  const uint64_t M = 1 << 20;

  if (mkdtemp (dir) == NULL)
    return 1;
  {
    const struct copy_chunk c[] = {
      { 0, 2 * M }, { 2 * M, 64 * 1024 }, { 100 * M, 192 * 1024 },
      { 512 * M - 64 * 1024, 128 * 1024 },    /* crosses an L2 table */
      { 700 * M, 2 * M },
    };
    CHECK (one (dir, "sparse", 1024 * M, c, 5), "sparse 1 GiB disk");
  }
  {
    /* Size not a multiple of the cluster; data in the last cluster. */
    const struct copy_chunk c[] = {
      { 0, 64 * 1024 }, { 64 * 1024, 64 * 1024 }, { 10 * M, 4096 + 1024 },
    };
    CHECK (one (dir, "odd", 10 * M + 5120, c, 3), "odd-sized disk");
  }
  {
    /* No data at all. */
    CHECK (one (dir, "empty", 64 * M, NULL, 0), "empty disk");
  }
  {
    /* Enough clusters for two refcount blocks (> 2 GiB of data). */
    static struct copy_chunk c[1100];
    for (size_t i = 0; i < 1100; i++) {
      c[i].offset = (uint64_t) i * 2 * M;
      c[i].length = 2 * M;
    }
    CHECK (one (dir, "big", 4096 * M, c, 1100), "2.2 GiB of data, two refcount blocks");
  }
  rmdir (dir);
  printf ("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
