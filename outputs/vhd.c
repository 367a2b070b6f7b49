/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: the footer of a fixed VHD, as the Virtual Hard Disk Image
 * Format Specification lays it out (all fields big-endian): Azure takes
 * a page blob whose last 512 bytes are this footer, and whose size is
 * the data (a MiB multiple) plus 512.
 */

#include <config.h>

#include <string.h>
#include <time.h>
#include <sys/random.h>

#include "azure.h"

/* Offsets in the footer. */
enum {
  F_COOKIE = 0, F_FEATURES = 8, F_VERSION = 12, F_DATA_OFFSET = 16,
  F_TIMESTAMP = 24, F_CREATOR = 28, F_CREATOR_VER = 32, F_CREATOR_OS = 36,
  F_ORIG_SIZE = 40, F_CUR_SIZE = 48, F_GEOMETRY = 56, F_TYPE = 60,
  F_CHECKSUM = 64, F_UUID = 68, F_SAVED = 84,
};

#define VHD_EPOCH 946684800     /* 2000-01-01T00:00:00Z */
#define DISK_FIXED 2

static void
be32 (unsigned char *p, uint32_t v)
{
  p[0] = (unsigned char) (v >> 24);
  p[1] = (unsigned char) (v >> 16);
  p[2] = (unsigned char) (v >> 8);
  p[3] = (unsigned char) v;
}

static void
be64 (unsigned char *p, uint64_t v)
{
  be32 (p, (uint32_t) (v >> 32));
  be32 (p + 4, (uint32_t) v);
}

static uint32_t
rd32 (const unsigned char *p)
{
  return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static uint64_t
rd64 (const unsigned char *p)
{
  return (uint64_t) rd32 (p) << 32 | rd32 (p + 4);
}

/* The spec's CHS algorithm (appendix "CHS calculation"). */
static void
geometry (uint64_t size, unsigned *cyl, unsigned *heads, unsigned *spt)
{
  uint64_t total = size / 512, cth;
  uint64_t h, s;

  if (total > 65535ULL * 16 * 255)
    total = 65535ULL * 16 * 255;
  if (total >= 65535ULL * 16 * 63) {
    s = 255;
    h = 16;
    cth = total / s;
  }
  else {
    s = 17;
    cth = total / s;
    h = (cth + 1023) / 1024;
    if (h < 4)
      h = 4;
    if (cth >= h * 1024 || h > 16) {
      s = 31;
      h = 16;
      cth = total / s;
    }
    if (cth >= h * 1024) {
      s = 63;
      h = 16;
      cth = total / s;
    }
  }
  *cyl = (unsigned) (cth / h);
  *heads = (unsigned) h;
  *spt = (unsigned) s;
}

static uint32_t
checksum (const unsigned char f[512])
{
  uint32_t sum = 0;
  for (size_t i = 0; i < 512; i++)
    if (i < F_CHECKSUM || i >= F_CHECKSUM + 4)
      sum += f[i];
  return ~sum;
}

void
vhd_fixed_footer (uint64_t size, unsigned char out[512])
{
  unsigned c, h, s;
  time_t now = time (NULL);

  memset (out, 0, 512);
  memcpy (out + F_COOKIE, "conectix", 8);
  be32 (out + F_FEATURES, 2);                   /* reserved bit, always set */
  be32 (out + F_VERSION, 0x00010000);
  be64 (out + F_DATA_OFFSET, UINT64_MAX);       /* fixed: no dynamic header */
  be32 (out + F_TIMESTAMP, now > VHD_EPOCH ? (uint32_t) (now - VHD_EPOCH) : 0);
  memcpy (out + F_CREATOR, "frry", 4);
  be32 (out + F_CREATOR_VER, 0x00010000);
  memcpy (out + F_CREATOR_OS, "Wi2k", 4);
  be64 (out + F_ORIG_SIZE, size);
  be64 (out + F_CUR_SIZE, size);
  geometry (size, &c, &h, &s);
  out[F_GEOMETRY] = (unsigned char) (c >> 8);
  out[F_GEOMETRY + 1] = (unsigned char) c;
  out[F_GEOMETRY + 2] = (unsigned char) h;
  out[F_GEOMETRY + 3] = (unsigned char) s;
  be32 (out + F_TYPE, DISK_FIXED);
  if (getrandom (out + F_UUID, 16, 0) != 16) {
    /* No entropy source: the UUID need only be unlikely to repeat. */
    uint64_t t = (uint64_t) now ^ ((uint64_t) (uintptr_t) out << 16);
    be64 (out + F_UUID, t);
    be64 (out + F_UUID + 8, size ^ t * 0x9E3779B97F4A7C15ULL);
  }
  out[F_UUID + 6] = (unsigned char) ((out[F_UUID + 6] & 0x0f) | 0x40);  /* v4 */
  out[F_UUID + 8] = (unsigned char) ((out[F_UUID + 8] & 0x3f) | 0x80);
  be32 (out + F_CHECKSUM, checksum (out));
}

bool
vhd_footer_valid (const unsigned char f[512], uint64_t size)
{
  unsigned c, h, s;

  if (memcmp (f + F_COOKIE, "conectix", 8) != 0 ||
      rd32 (f + F_TYPE) != DISK_FIXED ||
      rd64 (f + F_DATA_OFFSET) != UINT64_MAX ||
      rd64 (f + F_CUR_SIZE) != size ||
      rd32 (f + F_CHECKSUM) != checksum (f))
    return false;
  geometry (size, &c, &h, &s);
  return f[F_GEOMETRY] == (unsigned char) (c >> 8) &&
    f[F_GEOMETRY + 1] == (unsigned char) c &&
    f[F_GEOMETRY + 2] == h && f[F_GEOMETRY + 3] == s;
}
