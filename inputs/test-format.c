/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for content-based format detection, VMDK descriptor
 * parsing and the reference check, on crafted files (no qemu needed).
 */

#include <config.h>

#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "inputs.h"
#include "unittest.h"

static char dir[] = "/tmp/ferry-test-format.XXXXXX";

static char *
mkfile (const char *name, const void *data, size_t len, off_t size)
{
  char *path;
  int fd;

  if (asprintf (&path, "%s/%s", dir, name) == -1)
    abort ();
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd == -1 || (len && write (fd, data, len) != (ssize_t) len) ||
      (size && ftruncate (fd, size) == -1))
    abort ();
  close (fd);
  return path;
}

static void be32 (unsigned char *p, uint32_t v)
{ p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }
static void be64 (unsigned char *p, uint64_t v)
{ be32 (p, v >> 32); be32 (p + 4, v); }
static void le64 (unsigned char *p, uint64_t v)
{ for (int i = 0; i < 8; i++) p[i] = v >> (8 * i); }
static void le32 (unsigned char *p, uint32_t v)
{ for (int i = 0; i < 4; i++) p[i] = v >> (8 * i); }

/* Is name one of the references, exactly? */
static bool
has_ref (const struct image_info *info, const char *name)
{
  for (size_t i = 0; info->references && info->references[i]; i++)
    if (strcmp (info->references[i], name) == 0)
      return true;
  return false;
}

static size_t
nr_refs (const struct image_info *info)
{
  return string_list_len (info->references);
}

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
probe_text (const char *text, struct image_info *info)
{
  return image_probe_buffer (text, strlen (text), "test.vmdk", info);
}

static int
probe (const char *path, const char *forced, struct image_info *info)
{
  int r = image_probe (path, forced, info);
  return r;
}

/* ---------------------------------------------------------------- */
/* Hostile qcow2 headers. */

/* A qcow2 v3 header (64 KiB clusters, 5 GiB) in a zeroed buffer. */
static unsigned char *
qcow2_buf (size_t size)
{
  unsigned char *b = calloc (1, size);

  if (b == NULL)
    abort ();
  memcpy (b, "QFI\xfb", 4);
  be32 (b + 4, 3);
  be32 (b + 20, 16);
  be64 (b + 24, UINT64_C(5) << 30);
  be32 (b + 36, 2);                     /* l1 size */
  be64 (b + 40, 3 * 65536);             /* l1 offset */
  be64 (b + 48, 65536);                 /* refcount table */
  be32 (b + 56, 1);
  be32 (b + 100, 104);                  /* header length */
  return b;
}

static void
test_qcow2_hostile (void)
{
  struct image_info info;
  size_t size = 4 * 65536;
  unsigned char *b = qcow2_buf (size);
  double t;
  char *p;

  CHECK (image_probe_buffer (b, size, "q", &info) == 0 &&
         streq (info.format, "qcow2") &&
         info.virtual_size == UINT64_C(5) << 30 && nr_refs (&info) == 0,
         "qcow2 in memory");
  image_info_free (&info);

  /* ext_off + 8 used to wrap in 32 bits: a read far outside h. */
  be32 (b + 100, 0xfffffffc);
  t = now ();
  CHECK (image_probe_buffer (b, size, "q", &info) == -1 &&
         strstr (last_error (), "header length 4294967292"),
         "qcow2 header length 0xfffffffc refused");
  CHECK (now () - t < 1, "header length 0xfffffffc: promptly");
  CHECK (info.references == NULL && info.backing_format == NULL,
         "nothing left after an error");
  be32 (b + 100, 104);

  /* ext_off used to wrap back to the same extension for ever. */
  be32 (b + 104, 0x12345678);
  be32 (b + 108, 0xfffffff8);
  t = now ();
  CHECK (image_probe_buffer (b, size, "q", &info) == -1 &&
         strstr (last_error (), "extension of 4294967288 bytes"),
         "qcow2 extension of 0xfffffff8 bytes refused");
  CHECK (now () - t < 1, "extension of 0xfffffff8 bytes: promptly");
  p = mkfile ("hostile.qcow2", b, size, 0);
  CHECK (image_probe (p, NULL, &info) == -1 &&
         strstr (last_error (), "extension of 4294967288 bytes"),
         "the same from a file");
  free (p);

  /* Backing format and data file, then the end marker. */
  memset (b + 104, 0, 64);
  be32 (b + 104, 0xe2792aca);
  be32 (b + 108, 5);
  memcpy (b + 112, "qcow2", 5);
  be32 (b + 120, 0x44415441);
  be32 (b + 124, 8);
  memcpy (b + 128, "data.raw", 8);
  CHECK (image_probe_buffer (b, size, "q", &info) == 0 &&
         streq (info.backing_format, "qcow2") && nr_refs (&info) == 1 &&
         has_ref (&info, "data.raw"), "qcow2 data file listed");
  image_info_free (&info);

  /* More than 1024 extensions. */
  memset (b + 104, 0, 9000);
  for (int i = 0; i < 1025; i++)
    be32 (b + 104 + 8 * i, 0x1000 + i);
  CHECK (image_probe_buffer (b, size, "q", &info) == -1 &&
         strstr (last_error (), "more than 1024"), "too many extensions");
  memset (b + 104, 0, 9000);

  /* A backing file name running past the first cluster, or beyond it. */
  be64 (b + 8, 65530);
  be32 (b + 16, 100);
  CHECK (image_probe_buffer (b, size, "q", &info) == -1 &&
         strstr (last_error (), "backing file name of 100 bytes"),
         "backing name past the first cluster");
  be64 (b + 8, UINT64_MAX - 3);
  CHECK (image_probe_buffer (b, size, "q", &info) == -1 &&
         strstr (last_error (), "beyond the first cluster"),
         "backing name offset 2^64 - 4");
  be64 (b + 8, 0);
  be32 (b + 16, 0);

  /* Tables whose offset + size wraps. */
  be64 (b + 40, UINT64_MAX - 7);
  CHECK (image_probe_buffer (b, size, "q", &info) == -1 &&
         strstr (last_error (), "truncated"), "l1 offset 2^64 - 8");
  free (b);

  /* With 2 MiB clusters the extensions go on past 64 KiB, and so does
   * qemu reading them.
   */
  size = 5 << 20;
  b = qcow2_buf (size);
  be32 (b + 20, 21);
  be64 (b + 48, 2 << 20);
  be32 (b + 104, 0x12345678);           /* 70000 bytes of padding */
  be32 (b + 108, 70000);
  be32 (b + 104 + 8 + 70000, 0x44415441);
  be32 (b + 104 + 8 + 70000 + 4, 7);
  memcpy (b + 104 + 8 + 70000 + 8, "far.raw", 7);
  CHECK (image_probe_buffer (b, size, "q", &info) == 0 &&
         nr_refs (&info) == 1 && has_ref (&info, "far.raw"),
         "data file extension after 64 KiB listed");
  image_info_free (&info);
  free (b);
}

/* ---------------------------------------------------------------- */
/* VMDK descriptors, as qemu reads them. */

/* n copies of line, then tail (owned). */
static char *
repeat (const char *head, const char *line, size_t n, const char *tail)
{
  size_t hl = strlen (head), ll = strlen (line), tl = strlen (tail);
  char *s = malloc (hl + ll * n + tl + 1), *q = s;

  if (s == NULL)
    abort ();
  memcpy (q, head, hl);
  q += hl;
  for (size_t i = 0; i < n; i++, q += ll)
    memcpy (q, line, ll);
  memcpy (q, tail, tl + 1);
  return s;
}

static void
test_descriptors (void)
{
  struct image_info info;
  char **refs = NULL;
  uint64_t vs = 1;
  const char *d;
  char *s, *p;
  char name[601];

  d = "# Disk DescriptorFile\nversion=1\ncreateType=\"twoGbMaxExtentFlat\"\n"
    "RW 4192256 FLAT \"f001.vmdk\" 0\nRW 2048 FLAT \"f002.vmdk\" 0\n"
    "RDONLY 100 ZERO\n";
  CHECK (vmdk_descriptor_read (d, strlen (d), "t", &refs, NULL, &vs) == 0 &&
         vs == (4192256 + 2048 + 100) * UINT64_C(512) &&
         string_list_len (refs) == 2, "descriptor virtual size");
  free_string_list (refs);
  refs = NULL;
  d = "createType=\"vmfs\"\nRW 18446744073709551615 VMFS \"a.vmdk\"\n"
    "RW 5 VMFS \"b.vmdk\"\nRW 99999999999999999999999 VMFS \"c.vmdk\"\n";
  CHECK (vmdk_descriptor_read (d, strlen (d), "t", &refs, NULL, &vs) == 0 &&
         vs == UINT64_MAX && string_list_len (refs) == 3,
         "descriptor virtual size overflow");
  free_string_list (refs);
  refs = NULL;

  d = "# Disk DescriptorFile\ncreateType=\"monolithicFlat\"\n"
    "RW\t2048\tFLAT\t\"tab-flat.vmdk\"\t0\n";
  CHECK (probe_text (d, &info) == 0 && streq (info.format, "vmdk") &&
         streq (info.subformat, "monolithicFlat") && nr_refs (&info) == 1 &&
         has_ref (&info, "tab-flat.vmdk") && info.virtual_size == 2048 * 512,
         "tab-separated RW extent");
  image_info_free (&info);

  d = "createType=\"twoGbMaxExtentSparse\"\n   \t RW 4096 SPARSE \"indent-s001.vmdk\"\n";
  CHECK (probe_text (d, &info) == 0 && nr_refs (&info) == 1 &&
         has_ref (&info, "indent-s001.vmdk") &&
         streq (info.subformat, "twoGbMaxExtentSparse"), "indented extent");
  image_info_free (&info);

  d = "# Disk DescriptorFile\r\nversion=1\r\ncreateType=\"monolithicFlat\"\r\n"
    "RW 2048 FLAT \"crlf-flat.vmdk\" 0\r\n"
    "parentFileNameHint=\"crlf-parent.vmdk\"\r\n";
  CHECK (probe_text (d, &info) == 0 && nr_refs (&info) == 2 &&
         has_ref (&info, "crlf-flat.vmdk") &&
         has_ref (&info, "crlf-parent.vmdk"), "CRLF line ends");
  image_info_free (&info);

  d = "createType=\"vmfs\"\nRDONLY 10 VMFS \"ro.vmdk\"\n"
    "NOACCESS 10 VMFS \"na.vmdk\"\nRW 10 VMFSSPARSE\"tight.vmdk\"\n"
    "RW 10 VMFS \"unterminated.vmdk\n";
  CHECK (probe_text (d, &info) == 0 && nr_refs (&info) == 4 &&
         has_ref (&info, "ro.vmdk") && has_ref (&info, "na.vmdk") &&
         has_ref (&info, "tight.vmdk") && has_ref (&info, "unterminated.vmdk"),
         "every access, VMFSSPARSE\"name\", no closing quote");
  image_info_free (&info);

  d = "createType=\"monolithicFlat\"\nRW\n 2048\n\n FLAT\n \"split-flat.vmdk\" 0\n";
  CHECK (probe_text (d, &info) == 0 && nr_refs (&info) == 1 &&
         has_ref (&info, "split-flat.vmdk"), "extent fields on several lines");
  image_info_free (&info);

  memset (name, 'n', 600);
  name[600] = '\0';
  s = repeat ("createType=\"vmfsSparse\"\nRW 10 VMFSSPARSE \"", name, 1, "\"\n");
  name[511] = '\0';
  CHECK (probe_text (s, &info) == 0 && nr_refs (&info) == 2 &&
         has_ref (&info, name), "a name longer than 511: qemu's cut listed");
  name[511] = 'n';
  CHECK (has_ref (&info, name), "... and the whole name");
  image_info_free (&info);
  free (s);

  s = repeat ("createType=\"monolithicFlat\"\nRW", " ", 3000,
              "2048 FLAT \"long-line-flat.vmdk\" 0\n");
  CHECK (probe_text (s, &info) == 0 && nr_refs (&info) == 1 &&
         has_ref (&info, "long-line-flat.vmdk"), "extent line of 3000 bytes");
  image_info_free (&info);
  free (s);

  d = "createType=\"vmfsSparse\"\nRW 10 VMFSSPARSE \"delta.vmdk\"\n"
    "# parentFileNameHint=\"hidden-parent.vmdk\"\n"
    "parentFileNameHint = \"spaced.vmdk\"\n"
    "parentFileNameHint=";
  CHECK (probe_text (d, &info) == 0 && has_ref (&info, "hidden-parent.vmdk"),
         "parentFileNameHint inside a comment");
  CHECK (has_ref (&info, "spaced.vmdk") && has_ref (&info, " ") &&
         nr_refs (&info) == 4, "parentFileNameHint, both readings");
  image_info_free (&info);

  d = "version=1\nCID=fffffffe\ncreateType=\"monolithicFlat\"\n"
    "RW 100 FLAT \"nohead-flat.vmdk\" 0\n";
  CHECK (probe_text (d, &info) == 0 && streq (info.format, "vmdk") &&
         nr_refs (&info) == 1 && has_ref (&info, "nohead-flat.vmdk"),
         "descriptor without the first comment line");
  image_info_free (&info);
  d = "RW 100 FLAT \"bare-flat.vmdk\" 0\n";
  CHECK (probe_text (d, &info) == 0 && streq (info.format, "vmdk") &&
         streq (info.subformat, "descriptor") && has_ref (&info, "bare-flat.vmdk"),
         "an extent line alone is a descriptor");
  image_info_free (&info);
  d = "# x\n   \r\nversion=2\r\n";
  CHECK (vmdk_descriptor_read (d, strlen (d), "t", &refs, NULL, NULL) == 0 &&
         refs && refs[0] == NULL, "qemu's probe rule");
  free_string_list (refs);
  refs = NULL;
  CHECK (probe_text (d, &info) == -1 && strstr (last_error (), "no extent"),
         "... and no extent is an error");

  /* The extent after 64 KiB (what the probe reads first) of comments. */
  s = repeat ("# Disk DescriptorFile\n",
              "# 0123456789012345678901234567890123456789012345678901234567\n",
              2000, "createType=\"monolithicFlat\"\nRW 2048 FLAT \"far-flat.vmdk\" 0\n");
  CHECK (strlen (s) > 100000 && probe_text (s, &info) == 0 &&
         nr_refs (&info) == 1 && has_ref (&info, "far-flat.vmdk") &&
         streq (info.subformat, "monolithicFlat"),
         "extent after 64 KiB of comments");
  image_info_free (&info);
  p = mkfile ("far.vmdk", s, strlen (s), 0);
  CHECK (image_probe (p, NULL, &info) == 0 && has_ref (&info, "far-flat.vmdk"),
         "... in a file");
  image_info_free (&info);
  free (p);
  CHECK (probe_text (s + 22, &info) == 0 && has_ref (&info, "far-flat.vmdk"),
         "... without the first line");
  image_info_free (&info);
  free (s);
  s = repeat ("# Disk DescriptorFile\n",
              "# 0123456789012345678901234567890123456789012345678901234567\n",
              20000, "createType=\"monolithicFlat\"\nRW 2048 FLAT \"far-flat.vmdk\" 0\n");
  CHECK (probe_text (s, &info) == -1 && strstr (last_error (), "larger than 1024 KiB"),
         "descriptor larger than 1 MiB refused");
  p = mkfile ("huge.vmdk", s, strlen (s), 0);
  CHECK (image_probe (p, NULL, &info) == -1 &&
         strstr (last_error (), "larger than 1024 KiB"), "... in a file");
  free (p);
  free (s);
}

/* ---------------------------------------------------------------- */
/* Sparse VMDK: the parent hint wherever qemu may find it. */

/* 48 sectors: header, descriptor in sectors 1 to 20, grain directory
 * in 21 (no table), capacity 2048 sectors.
 */
#define SPARSE_SIZE (48 * 512)
static unsigned char *
sparse_buf (void)
{
  unsigned char *b = calloc (1, SPARSE_SIZE);

  if (b == NULL)
    abort ();
  memcpy (b, "KDMV", 4);
  le32 (b + 4, 1);
  le32 (b + 8, 3);
  le64 (b + 12, 2048);
  le64 (b + 20, 128);
  le64 (b + 28, 1);
  le64 (b + 36, 20);
  le32 (b + 44, 512);
  le64 (b + 56, 21);
  return b;
}

static void
test_sparse_vmdk (void)
{
  struct image_info info;
  unsigned char *b = sparse_buf ();
  const char *d;

  d = "# Disk DescriptorFile\nversion=1\ncreateType=\"monolithicSparse\"\n"
    "RW 2048 SPARSE \"base.vmdk\"\n";
  memcpy (b + 512, d, strlen (d));
  CHECK (image_probe_buffer (b, SPARSE_SIZE, "s", &info) == 0 &&
         streq (info.format, "vmdk") && streq (info.subformat, "monolithicSparse") &&
         nr_refs (&info) == 0 && info.virtual_size == 2048 * 512,
         "monolithicSparse: its own extent is no reference");
  image_info_free (&info);

  memset (b + 512, 0, 20 * 512);
  d = "parentFileNameHint=\"parent0.vmdk\"\ncreateType=\"vmfsSparse\"\n";
  memcpy (b + 512, d, strlen (d));
  CHECK (image_probe_buffer (b, SPARSE_SIZE, "s", &info) == 0 &&
         nr_refs (&info) == 1 && has_ref (&info, "parent0.vmdk"),
         "hint at byte 0 of the embedded descriptor");
  image_info_free (&info);

  memset (b + 512, 0, 20 * 512);
  memset (b + 512, '#', 511);
  b[512 + 511] = '\n';
  d = "parentFileNameHint=\"parent512.vmdk\"\n";
  memcpy (b + 1024, d, strlen (d));
  CHECK (image_probe_buffer (b, SPARSE_SIZE, "s", &info) == 0 &&
         nr_refs (&info) == 1 && has_ref (&info, "parent512.vmdk"),
         "hint at byte 512 of the embedded descriptor");
  image_info_free (&info);

  /* qemu reads the hint at byte 512 whatever the header says. */
  le64 (b + 28, 24);
  CHECK (image_probe_buffer (b, SPARSE_SIZE, "s", &info) == 0 &&
         nr_refs (&info) == 1 && has_ref (&info, "parent512.vmdk"),
         "hint at byte 512, descriptor elsewhere");
  image_info_free (&info);
  le64 (b + 28, 1);

  memset (b + 512, 0, 20 * 512);
  d = "createType=\"vmfsSparse\"\n\0parentFileNameHint=\"afternul.vmdk\"";
  memcpy (b + 512, d, 25 + 35);
  CHECK (image_probe_buffer (b, SPARSE_SIZE, "s", &info) == 0 &&
         nr_refs (&info) == 1 && has_ref (&info, "afternul.vmdk"),
         "hint after a NUL byte");
  image_info_free (&info);

  le64 (b + 12, 0);
  CHECK (image_probe_buffer (b, SPARSE_SIZE, "s", &info) == -1 &&
         strstr (last_error (), "corrupt VMDK header"), "capacity 0 refused");
  le64 (b + 12, 2048);
  le64 (b + 28, UINT64_MAX / 256);      /* * 512 wraps */
  CHECK (image_probe_buffer (b, SPARSE_SIZE, "s", &info) == -1 &&
         strstr (last_error (), "no embedded descriptor"),
         "descriptor offset that wraps");
  le64 (b + 28, 1);
  le64 (b + 56, UINT64_MAX / 512 + 2);  /* * 512 wraps to 512 */
  CHECK (image_probe_buffer (b, SPARSE_SIZE, "s", &info) == -1 &&
         strstr (last_error (), "grain directory"),
         "grain directory offset that wraps");
  le64 (b + 12, UINT64_MAX);
  le64 (b + 56, 21);
  CHECK (image_probe_buffer (b, SPARSE_SIZE, "s", &info) == -1 &&
         strstr (last_error (), "grain directory"), "capacity 2^64 - 1");
  le64 (b + 12, 2048);

  /* streamOptimized: the footer's header counts. */
  le64 (b + 56, UINT64_MAX);
  memcpy (b + SPARSE_SIZE - 1024, b, 512);
  le64 (b + SPARSE_SIZE - 1024 + 12, 4096);
  le64 (b + SPARSE_SIZE - 1024 + 56, 21);
  memset (b + 512, 0, 20 * 512);
  d = "createType=\"streamOptimized\"\n";
  memcpy (b + 512, d, strlen (d));
  CHECK (image_probe_buffer (b, SPARSE_SIZE, "s", &info) == 0 &&
         streq (info.subformat, "streamOptimized") &&
         info.virtual_size == 4096 * 512, "streamOptimized virtual size");
  image_info_free (&info);
  free (b);
}

/* ---------------------------------------------------------------- */
/* Virtual sizes of VHD, VHDX, VDI, raw. */

static void
test_other_sizes (void)
{
  struct image_info info;
  size_t size = (1 << 20) + 512;
  unsigned char *b = calloc (1, (1 << 20) + 65536 + 8);

  if (b == NULL)
    abort ();
  /* Fixed VHD whose geometry is larger than its current size. */
  memcpy (b + (1 << 20), "conectix", 8);
  be64 (b + (1 << 20) + 48, 1 << 20);
  b[(1 << 20) + 56] = 0; b[(1 << 20) + 57] = 100;       /* cylinders */
  b[(1 << 20) + 58] = 16;
  b[(1 << 20) + 59] = 63;
  be32 (b + (1 << 20) + 60, 2);
  CHECK (image_probe_buffer (b, size, "v", &info) == 0 &&
         streq (info.format, "vpc") &&
         info.virtual_size == UINT64_C(100) * 16 * 63 * 512,
         "VHD size from the geometry");
  image_info_free (&info);
  be64 (b + (1 << 20) + 48, UINT64_MAX - 100);  /* + 512 used to wrap */
  CHECK (image_probe_buffer (b, size, "v", &info) == -1 &&
         strstr (last_error (), "truncated"), "VHD size 2^64 - 101");
  memset (b, 0, size);

  /* VHDX: region table at 192 KiB naming metadata at 1 MiB, whose
   * Virtual Disk Size item is at 64 KiB in it.
   */
  size = (1 << 20) + 65536 + 8;
  memcpy (b, "vhdxfile", 8);
  memcpy (b + 65536, "head", 4);
  memcpy (b + 196608, "regi", 4);
  le32 (b + 196608 + 8, 1);
  memcpy (b + 196608 + 16, "\x06\xa2\x7c\x8b\x90\x47\x9a\x4b"
          "\xb8\xfe\x57\x5f\x05\x0f\x88\x6e", 16);
  le64 (b + 196608 + 32, 1 << 20);
  le32 (b + 196608 + 40, 65536);
  memcpy (b + (1 << 20), "metadata", 8);
  b[(1 << 20) + 10] = 1;
  memcpy (b + (1 << 20) + 32, "\x24\x42\xa5\x2f\x1b\xcd\x76\x48"
          "\xb2\x11\x5d\xbe\xd8\x3b\xf4\xb8", 16);
  le32 (b + (1 << 20) + 48, 65536);
  le64 (b + (1 << 20) + 65536, UINT64_C(10) << 30);
  CHECK (image_probe_buffer (b, size, "x", &info) == 0 &&
         streq (info.format, "vhdx") && info.virtual_size == UINT64_C(10) << 30,
         "VHDX virtual size");
  image_info_free (&info);
  le32 (b + 196608 + 8, 5000);
  CHECK (image_probe_buffer (b, size, "x", &info) == 0 && info.virtual_size == 0,
         "VHDX with a bad region table: size unknown");
  image_info_free (&info);
  memset (b, 0, size);

  /* VDI 1.1: the disk size rounded up to sectors. */
  memcpy (b, "<<< Oracle VM VirtualBox Disk Image >>>\n", 40);
  le32 (b + 64, 0xbeda107f);
  le32 (b + 0x44, 0x00010001);
  le64 (b + 0x170, 1000);
  CHECK (image_probe_buffer (b, 512, "d", &info) == 0 &&
         streq (info.format, "vdi") && info.virtual_size == 1024,
         "VDI virtual size");
  image_info_free (&info);
  memset (b, 0, 512);

  /* raw: the size of the file. */
  b[510] = 0x55;
  b[511] = 0xaa;
  CHECK (image_probe_buffer (b, 123 * 512, "r", &info) == 0 &&
         streq (info.format, "raw") && info.virtual_size == 123 * 512,
         "raw virtual size");
  image_info_free (&info);
  free (b);
}

int
main (void)
{
  struct image_info info;
  unsigned char h[4096];
  char *p = NULL;
  char **refs = NULL;
  CLEANUP_FREE char *ct = NULL;

  if (mkdtemp (dir) == NULL)
    return 1;
  alarm (60);                   /* a hang is a failure */

  /* VMDK descriptor parsing. */
  {
    const char *d =
      "# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\n"
      "createType=\"twoGbMaxExtentFlat\"\n\n# Extent description\n"
      "RW 4192256 FLAT \"web01-f001.vmdk\" 0\n"
      "RW 2048 FLAT \"web01-f002.vmdk\" 0\n"
      "RDONLY 100 ZERO\n"
      "parentFileNameHint=\"base.vmdk\"\n"
      "ddb.adapterType = \"lsilogic\"\n";
    CHECK (vmdk_descriptor_parse (d, strlen (d), &refs, &ct) == 0, "parse descriptor");
    CHECK (ct && strcmp (ct, "twoGbMaxExtentFlat") == 0, "createType");
    CHECK (refs && string_list_len (refs) == 3, "three references");
    CHECK (refs && strcmp (refs[0], "web01-f001.vmdk") == 0, "first extent");
    CHECK (refs && strcmp (refs[2], "base.vmdk") == 0, "parent hint");
    free_string_list (refs);
    refs = NULL;
    CHECK (vmdk_descriptor_parse ("hello world\n", 12, &refs, NULL) == -1,
           "text that is not a descriptor");
  }

  /* Empty, garbage, and mistaken files. */
  p = mkfile ("empty.img", NULL, 0, 0);
  CHECK (probe (p, NULL, &info) == -1 && strstr (last_error (), "empty"), "empty file");
  free (p);
  memset (h, 0x5a, sizeof h);
  p = mkfile ("garbage.img", h, sizeof h, 1 << 20);
  CHECK (probe (p, NULL, &info) == -1 && strstr (last_error (), "not a disk image"),
         "garbage file");
  CHECK (probe (p, "raw", &info) == 0 && strcmp (info.format, "raw") == 0,
         "-if raw forces raw");
  image_info_free (&info);
  free (p);
  memset (h, 0, sizeof h);
  h[0] = 0x1f; h[1] = 0x8b;
  p = mkfile ("disk.img.gz", h, 512, 0);
  CHECK (probe (p, NULL, &info) == -1 && strstr (last_error (), "gzip"), "gzip named");
  free (p);

  /* A raw disk with an MBR. */
  memset (h, 0, sizeof h);
  h[510] = 0x55; h[511] = 0xaa;
  p = mkfile ("mbr.img", h, 512, 1 << 20);
  CHECK (probe (p, NULL, &info) == 0 && strcmp (info.format, "raw") == 0, "raw MBR disk");
  image_info_free (&info);
  CHECK (probe (p, "qcow2", &info) == -1 && strstr (last_error (), "given as qcow2, but the content is raw"),
         "-if that contradicts the content");
  free (p);

  /* qcow2: good, truncated, with a backing file outside the dir. */
  memset (h, 0, sizeof h);
  memcpy (h, "QFI\xfb", 4);
  be32 (h + 4, 3);
  be32 (h + 20, 16);                    /* 64k clusters */
  be64 (h + 24, 1 << 30);
  be32 (h + 36, 2);                     /* l1 size */
  be64 (h + 40, 3 * 65536);             /* l1 offset */
  be64 (h + 48, 65536);                 /* refcount table */
  be32 (h + 56, 1);
  be32 (h + 100, 104);                  /* header length */
  p = mkfile ("good.qcow2", h, 512, 4 * 65536);
  CHECK (probe (p, NULL, &info) == 0 && strcmp (info.format, "qcow2") == 0, "qcow2");
  CHECK (info.references == NULL || info.references[0] == NULL, "qcow2 without backing");
  CHECK (info.virtual_size == UINT64_C(1) << 30, "qcow2 virtual size");
  image_info_free (&info);
  free (p);
  p = mkfile ("short.qcow2", h, 512, 2 * 65536);
  CHECK (probe (p, NULL, &info) == -1 && strstr (last_error (), "truncated"),
         "truncated qcow2");
  free (p);
  be64 (h + 8, 1024);
  be32 (h + 16, 16);
  memcpy (h + 1024, "../../etc/passwd", 16);
  p = mkfile ("evil.qcow2", h, sizeof h, 4 * 65536);
  CHECK (probe (p, NULL, &info) == 0 && info.references &&
         strcmp (info.references[0], "../../etc/passwd") == 0, "qcow2 backing name read");
  CHECK (image_check_references (p, &info, false) == -1 &&
         strstr (last_error (), "outside"), "backing outside the directory refused");
  CHECK (image_check_references (p, &info, true) == 0,
         "allow-external-extents accepts it");
  image_info_free (&info);
  free (p);

  /* streamOptimized VMDK without its footer. */
  memset (h, 0, sizeof h);
  memcpy (h, "KDMV", 4);
  le64 (h + 12, 2048);                  /* capacity */
  le64 (h + 20, 128);
  le64 (h + 56, UINT64_MAX);            /* GD at end */
  p = mkfile ("cut.vmdk", h, 512, 65536);
  CHECK (probe (p, NULL, &info) == -1 && strstr (last_error (), "footer"),
         "streamOptimized without footer");
  free (p);

  /* A VMDK descriptor naming /etc/shadow. */
  {
    const char *d = "# Disk DescriptorFile\nversion=1\ncreateType=\"monolithicFlat\"\n"
      "RW 2048 FLAT \"/etc/shadow\" 0\n";
    p = mkfile ("shadow.vmdk", d, strlen (d), 0);
    CHECK (probe (p, NULL, &info) == 0 && strcmp (info.format, "vmdk") == 0,
           "descriptor detected");
    CHECK (image_check_references (p, &info, false) == -1, "/etc/shadow extent refused");
    image_info_free (&info);
    free (p);
    d = "# Disk DescriptorFile\nversion=1\ncreateType=\"monolithicFlat\"\n"
      "RW 2048 FLAT \"missing-flat.vmdk\" 0\n";
    p = mkfile ("missing.vmdk", d, strlen (d), 0);
    CHECK (probe (p, NULL, &info) == 0 &&
           image_check_references (p, &info, false) == -1 &&
           strstr (last_error (), "does not exist"), "missing extent");
    image_info_free (&info);
    free (p);
  }

  /* Fixed VHD: footer at the end only. */
  memset (h, 0, sizeof h);
  memcpy (h, "conectix", 8);
  be64 (h + 48, 1 << 20);
  be32 (h + 60, 2);
  {
    char *path;
    int fd;
    if (asprintf (&path, "%s/fixed.vhd", dir) == -1) abort ();
    fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd == -1 || pwrite (fd, h, 512, 1 << 20) != 512) abort ();
    close (fd);
    CHECK (probe (path, NULL, &info) == 0 && strcmp (info.format, "vpc") == 0 &&
           strcmp (info.subformat, "fixed") == 0, "fixed VHD");
    CHECK (info.virtual_size == 1 << 20, "fixed VHD virtual size");
    image_info_free (&info);
    free (path);
  }

  test_qcow2_hostile ();
  test_descriptors ();
  test_sparse_vmdk ();
  test_other_sizes ();

  {
    const char *argv[] = { "rm", "-rf", dir, NULL };
    run_command (argv, NULL, NULL);
  }
  printf ("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
