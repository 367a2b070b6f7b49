/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: write a qcow2 file directly, laid out from the allocation map.
 *
 * The copy engine knows every data extent before the first byte is
 * copied, so the whole qcow2 metadata can be computed up front: header,
 * L1 table, refcount table and blocks, L2 tables, then the data
 * clusters in guest order.  The engine then pwrite()s each request at
 * its final place in the file, and no qemu process sits in the write
 * path.  Data clusters that turn out to be all zeroes are simply not
 * written: they stay holes in a sparse file and read as zeroes.
 *
 * The layout (cluster size 64 KiB, refcount order 4):
 *
 *   cluster 0       header
 *   L1 table        one entry per 512 MiB of guest
 *   refcount table  one entry per refcount block
 *   refcount blocks one 16-bit count per cluster of the file
 *   L2 tables       one per 512 MiB region holding data
 *   data clusters   every allocated guest cluster, in guest order
 */

#include <config.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "outputs.h"

#define CLUSTER_BITS 16
#define CLUSTER_SIZE (UINT64_C(1) << CLUSTER_BITS)
#define L2_ENTRIES (CLUSTER_SIZE / 8)
#define REFS_PER_BLOCK (CLUSTER_SIZE / 2)       /* 16-bit refcounts */
#define OFLAG_COPIED (UINT64_C(1) << 63)

static void
put32 (unsigned char *p, uint32_t v)
{
  p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

static void
put64 (unsigned char *p, uint64_t v)
{
  put32 (p, v >> 32);
  put32 (p + 4, (uint32_t) v);
}

static uint64_t
div_up (uint64_t a, uint64_t b)
{
  return (a + b - 1) / b;
}

int
qcow2_layout (const char *path, uint64_t vsize, const struct copy_map *map,
              struct qcow2_layout *lay)
{
  uint64_t nv = div_up (vsize, CLUSTER_SIZE);
  uint64_t nl1 = div_up (nv, L2_ENTRIES);
  uint64_t l1c = div_up (nl1 * 8, CLUSTER_SIZE);
  uint64_t nr_data = 0, nr_l2 = 0, rbc = 1, rtc = 1, total, meta;
  uint64_t l1_off, rt_off, rb_off, l2_off, data_off;
  uint32_t *host = NULL;            /* virtual cluster -> host cluster */
  unsigned char *buf = NULL;
  int ret = -1;

  if (nv > UINT32_MAX) {
    error ("write \"%s\": disk too large for the qcow2 writer", path);
    return -1;
  }
  host = calloc (nv ? nv : 1, sizeof *host);
  if (host == NULL)
    goto nomem;

  /* Mark the clusters with data (value 1 for now). */
  for (size_t i = 0; i < map->nr; i++) {
    uint64_t first = map->v[i].offset >> CLUSTER_BITS;
    uint64_t last = (map->v[i].offset + map->v[i].length - 1) >> CLUSTER_BITS;
    for (uint64_t c = first; c <= last && c < nv; c++)
      if (!host[c]) {
        host[c] = 1;
        nr_data++;
      }
  }
  for (uint64_t t = 0; t < nl1; t++) {
    uint64_t end = (t + 1) * L2_ENTRIES < nv ? (t + 1) * L2_ENTRIES : nv;
    for (uint64_t c = t * L2_ENTRIES; c < end; c++)
      if (host[c]) {
        nr_l2++;
        break;
      }
  }

  /* The refcount blocks cover every cluster of the file, themselves
   * included: iterate to a fixed point.
   */
  for (;;) {
    uint64_t new_rbc, new_rtc;
    total = 1 + l1c + rtc + rbc + nr_l2 + nr_data;
    new_rbc = div_up (total, REFS_PER_BLOCK);
    new_rtc = div_up (new_rbc * 8, CLUSTER_SIZE);
    if (new_rbc == rbc && new_rtc == rtc)
      break;
    rbc = new_rbc;
    rtc = new_rtc;
  }
  meta = 1 + l1c + rtc + rbc + nr_l2;
  if (total > UINT32_MAX)
    goto toolarge;

  l1_off = 1;
  rt_off = l1_off + l1c;
  rb_off = rt_off + rtc;
  l2_off = rb_off + rbc;
  data_off = l2_off + nr_l2;

  buf = calloc (meta, CLUSTER_SIZE);
  if (buf == NULL)
    goto nomem;

  /* Header. */
  put32 (buf + 0, 0x514649fb);
  put32 (buf + 4, 3);
  put32 (buf + 20, CLUSTER_BITS);
  put64 (buf + 24, vsize);
  put32 (buf + 36, (uint32_t) nl1);
  put64 (buf + 40, l1_off << CLUSTER_BITS);
  put64 (buf + 48, rt_off << CLUSTER_BITS);
  put32 (buf + 56, (uint32_t) rtc);
  put32 (buf + 96, 4);                          /* refcount order */
  put32 (buf + 100, 104);                       /* header length */
  /* bytes 104..111 are zero: the end of header extensions */

  /* Assign data clusters in guest order, and fill L1 and L2. */
  {
    uint64_t next_data = data_off, next_l2 = l2_off;
    for (uint64_t t = 0; t < nl1; t++) {
      uint64_t end = (t + 1) * L2_ENTRIES < nv ? (t + 1) * L2_ENTRIES : nv;
      unsigned char *l2 = NULL;
      for (uint64_t c = t * L2_ENTRIES; c < end; c++) {
        if (!host[c])
          continue;
        if (l2 == NULL) {
          l2 = buf + next_l2 * CLUSTER_SIZE;
          put64 (buf + l1_off * CLUSTER_SIZE + t * 8,
                 (next_l2 << CLUSTER_BITS) | OFLAG_COPIED);
          next_l2++;
        }
        host[c] = (uint32_t) next_data;
        put64 (l2 + (c - t * L2_ENTRIES) * 8,
               (next_data << CLUSTER_BITS) | OFLAG_COPIED);
        next_data++;
      }
    }
  }

  /* Refcount table and blocks: every cluster of the file is used once. */
  for (uint64_t b = 0; b < rbc; b++)
    put64 (buf + rt_off * CLUSTER_SIZE + b * 8, (rb_off + b) << CLUSTER_BITS);
  for (uint64_t c = 0; c < total; c++) {
    unsigned char *p = buf + rb_off * CLUSTER_SIZE + c * 2;
    p[0] = 0;
    p[1] = 1;
  }

  lay->meta = buf;
  lay->meta_len = meta * CLUSTER_SIZE;
  lay->file_size = total * CLUSTER_SIZE;
  lay->map.host = host;
  lay->map.nr = nv;
  lay->map.cluster_bits = CLUSTER_BITS;
  host = NULL;
  buf = NULL;
  debug ("qcow2 %s: %llu data clusters, %llu metadata clusters", path,
         (unsigned long long) nr_data, (unsigned long long) meta);
  ret = 0;
  goto out;

 toolarge:
  error ("write \"%s\": disk too large for the qcow2 writer", path);
  goto out;
 nomem:
  error ("write \"%s\": %m", path);
 out:
  free (host);
  free (buf);
  return ret;
}

int
qcow2_create (int fd, const char *path, uint64_t vsize,
              const struct copy_map *map, struct qcow2_map *out)
{
  struct qcow2_layout lay;
  size_t done = 0;

  if (qcow2_layout (path, vsize, map, &lay) == -1)
    return -1;
  while (done < lay.meta_len) {
    ssize_t r = pwrite (fd, lay.meta + done, lay.meta_len - done, done);
    if (r == -1 && errno == EINTR)
      continue;
    if (r == -1) {
      error ("write \"%s\": %m", path);
      goto fail;
    }
    done += r;
  }
  if (ftruncate (fd, lay.file_size) == -1) {
    error ("write \"%s\": %m", path);
    goto fail;
  }
  free (lay.meta);
  *out = lay.map;
  return 0;
 fail:
  free (lay.meta);
  free (lay.map.host);
  return -1;
}
