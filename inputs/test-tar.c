/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the tar indexer and OVF manifests: archives written by
 * GNU tar in every format it knows, hostile archives crafted byte by
 * byte, manifest syntax variants and digests of known values.
 */

#include <config.h>

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inputs.h"
#include "unittest.h"

static char dir[] = "/tmp/ferry-test-tar.XXXXXX";

/* The last error contains s. */
static bool
err_has (const char *s)
{
  return last_error () && strstr (last_error (), s);
}

static char *
path_of (const char *name)
{
  char *path;

  if (asprintf (&path, "%s/%s", dir, name) == -1)
    abort ();
  return path;
}

static void
mkfile (const char *name, const void *data, size_t len)
{
  CLEANUP_FREE char *path = path_of (name);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

  if (fd == -1 || (len && write (fd, data, len) != (ssize_t) len))
    abort ();
  close (fd);
}

static void
mkdir_in (const char *name)
{
  CLEANUP_FREE char *path = path_of (name);
  if (mkdir (path, 0755) == -1)
    abort ();
}

static int
run (const char *const *argv)
{
  CLEANUP_FREE char *err = NULL;
  int r = run_command (argv, NULL, &err);

  if (r != 0)
    fprintf (stderr, "%s: exit %d: %s\n", argv[0], r, err ? err : "");
  return r;
}

/* Index dir/name; returns tar_index_read's result. */
static int
index_file (const char *name, struct tar_index *idx)
{
  CLEANUP_FREE char *path = path_of (name);
  CLEANUP_CLOSE int fd = open (path, O_RDONLY);
  struct stat st;

  if (fd == -1 || fstat (fd, &st) == -1)
    abort ();
  return tar_index_read (fd, st.st_size, name, idx);
}

/* Member 'name' of archive dir/arc holds exactly data[0..len). */
static bool
member_is (const char *arc, const struct tar_index *idx, const char *name,
           const void *data, size_t len)
{
  const struct tar_member *m = tar_find (idx, name);
  CLEANUP_FREE char *path = path_of (arc);
  CLEANUP_FREE char *buf = malloc (len + 1);
  CLEANUP_CLOSE int fd = open (path, O_RDONLY);

  if (m == NULL || m->size != len || fd == -1 || buf == NULL)
    return false;
  return len == 0 ||
    (pread (fd, buf, len, m->offset) == (ssize_t) len && memcmp (buf, data, len) == 0);
}

/* ---------------------------------------------------------------- */
/* Crafting archives. */

struct arc {
  unsigned char *buf;
  size_t len;
};

static void
arc_add (struct arc *a, const void *p, size_t n)
{
  a->buf = realloc (a->buf, a->len + n + 1);
  if (a->buf == NULL)
    abort ();
  if (n)
    memcpy (a->buf + a->len, p, n);
  a->len += n;
}

static void
arc_zeros (struct arc *a, size_t n)
{
  CLEANUP_FREE unsigned char *z = calloc (1, n + 1);
  arc_add (a, z, n);
}

static void
arc_pad (struct arc *a)
{
  arc_zeros (a, (512 - a->len % 512) % 512);
}

enum magic { USTAR, GNU, V7 };

static void
set_sum (unsigned char *h, bool signed_sum)
{
  long sum = 0;

  memset (h + 148, ' ', 8);
  for (int i = 0; i < 512; i++)
    sum += signed_sum ? (signed char) h[i] : h[i];
  snprintf ((char *) h + 148, 8, "%06lo", sum);
  h[155] = ' ';
}

/* A header with an octal size; name may be longer than the field (then
 * it is cut, as callers intend).
 */
static void
mkhdr (unsigned char *h, const char *name, char type, uint64_t size,
       enum magic magic)
{
  memset (h, 0, 512);
  memcpy (h, name, strlen (name) > 100 ? 100 : strlen (name));
  memcpy (h + 100, "0000644", 7);
  memcpy (h + 108, "0000000", 7);
  memcpy (h + 116, "0000000", 7);
  snprintf ((char *) h + 124, 12, "%011llo", (unsigned long long) size);
  memcpy (h + 136, "14712345670", 11);
  h[156] = type;
  if (magic == USTAR)
    memcpy (h + 257, "ustar\0" "00", 8);
  else if (magic == GNU)
    memcpy (h + 257, "ustar  \0", 8);
  set_sum (h, false);
}

static void
add_entry (struct arc *a, const char *name, char type, const void *data,
           size_t len, enum magic magic)
{
  unsigned char h[512];

  mkhdr (h, name, type, len, magic);
  arc_add (a, h, 512);
  arc_add (a, data, len);
  arc_pad (a);
}

/* A pax record "LEN key=value\n". */
static void
pax_rec (struct arc *out, const char *key, const char *val, size_t vlen)
{
  size_t n = strlen (key) + vlen + 3, d = snprintf (NULL, 0, "%zu", n);
  char num[32];

  if (snprintf (NULL, 0, "%zu", n + d) > (int) d)
    d++;
  snprintf (num, sizeof num, "%zu ", n + d);
  arc_add (out, num, strlen (num));
  arc_add (out, key, strlen (key));
  arc_add (out, "=", 1);
  arc_add (out, val, vlen);
  arc_add (out, "\n", 1);
}

static void
add_ext (struct arc *a, char type, const struct arc *data)
{
  add_entry (a, "./PaxHeaders/x", type, data->buf, data->len, USTAR);
}

/* Write the archive, index it, free the buffer. */
static int
index_arc (struct arc *a, struct tar_index *idx)
{
  mkfile ("crafted.tar", a->buf, a->len);
  free (a->buf);
  a->buf = NULL;
  a->len = 0;
  return index_file ("crafted.tar", idx);
}

/* An archive with one hostile name must be refused. */
static void
refuse_name (const char *name, const char *msg, const char *what)
{
  struct arc a = { 0 };
  struct tar_index idx;

  add_entry (&a, "ok.txt", '0', "x", 1, USTAR);
  add_entry (&a, name, '0', "hello", 5, USTAR);
  arc_zeros (&a, 1024);
  CHECK (index_arc (&a, &idx) == -1 && err_has (msg) &&
         idx.nr == 0 && idx.members == NULL, what);
}

static void
test_crafted (void)
{
  struct arc a = { 0 }, p = { 0 };
  struct tar_index idx;
  unsigned char h[512], data[1500];
  char longname[301];

  for (size_t i = 0; i < sizeof data; i++)
    data[i] = i * 7 % 251;

  /* Baseline: offsets, "./" prefixes, the ustar prefix field. */
  add_entry (&a, "vm.ovf", '0', "<Envelope/>", 11, USTAR);
  add_entry (&a, "././disk1.vmdk", '\0', data, 700, USTAR);
  mkhdr (h, "file.bin", '0', 3, USTAR);
  memcpy (h + 345, "some/dir", 8);
  set_sum (h, false);
  arc_add (&a, h, 512);
  arc_add (&a, "abc", 3);
  arc_pad (&a);
  add_entry (&a, "contig.img", '7', "c", 1, USTAR);
  add_entry (&a, "adir/", '5', NULL, 0, USTAR);
  arc_zeros (&a, 1024);
  CHECK (index_arc (&a, &idx) == 0 && idx.nr == 4, "crafted ustar indexed");
  CHECK (member_is ("crafted.tar", &idx, "vm.ovf", "<Envelope/>", 11) &&
         tar_find (&idx, "vm.ovf")->offset == 512, "first member at 512");
  CHECK (member_is ("crafted.tar", &idx, "disk1.vmdk", data, 700) &&
         tar_find (&idx, "disk1.vmdk")->offset == 1536, "./ stripped, offset");
  CHECK (member_is ("crafted.tar", &idx, "some/dir/file.bin", "abc", 3),
         "ustar prefix joined");
  CHECK (tar_find (&idx, "contig.img") != NULL, "contiguous file listed");
  CHECK (tar_find (&idx, "adir") == NULL && tar_find (&idx, "adir/") == NULL,
         "directory not listed");
  CHECK (tar_find (&idx, "VM.OVF") == NULL && tar_find (&idx, "./vm.ovf") == NULL,
         "tar_find is exact");
  tar_index_free (&idx);
  CHECK (idx.nr == 0 && idx.members == NULL, "tar_index_free zeroes");

  /* Names that lead elsewhere. */
  refuse_name ("../../etc/passwd", "\"..\" component", "../../etc/passwd refused");
  refuse_name ("/etc/passwd", "absolute", "/etc/passwd refused");
  refuse_name ("a/../../b", "\"..\" component", "a/../../b refused");
  refuse_name ("a/..", "\"..\" component", "a/.. refused");
  refuse_name ("./../x", "\"..\" component", "./../x refused");
  refuse_name ("", "empty name", "empty name refused");
  refuse_name (".", "empty name", "\".\" as a file refused");
  refuse_name ("././.", "empty name", "\"././.\" as a file refused");
  refuse_name ("ok.txt", "more than once", "duplicate name refused");
  refuse_name ("./ok.txt", "more than once", "duplicate after ./ refused");

  /* A symlink may not shadow a listed file; links are not listed. */
  add_entry (&a, "disk.vmdk", '0', "x", 1, USTAR);
  add_entry (&a, "disk.vmdk", '2', NULL, 0, USTAR);
  arc_zeros (&a, 1024);
  CHECK (index_arc (&a, &idx) == -1 && err_has ("more than once"),
         "symlink with a member's name refused");
  add_entry (&a, "disk.vmdk", '0', "x", 1, USTAR);
  mkhdr (h, "link", '2', 0, USTAR);
  memcpy (h + 157, "/etc/shadow", 11);
  set_sum (h, false);
  arc_add (&a, h, 512);
  add_entry (&a, "hard", '1', NULL, 0, USTAR);
  arc_zeros (&a, 1024);
  CHECK (index_arc (&a, &idx) == 0 && idx.nr == 1 && tar_find (&idx, "link") == NULL &&
         tar_find (&idx, "hard") == NULL, "links not listed");
  tar_index_free (&idx);
  add_entry (&a, "link", '2', data, 100, USTAR);
  CHECK (index_arc (&a, &idx) == -1 && err_has ("link or device"),
         "symlink with data refused");

  /* Checksums. */
  add_entry (&a, "a.txt", '0', "a", 1, USTAR);
  mkhdr (h, "b.txt", '0', 1, USTAR);
  h[150]++;
  arc_add (&a, h, 512);
  arc_add (&a, "b", 1);
  arc_pad (&a);
  arc_zeros (&a, 1024);
  CHECK (index_arc (&a, &idx) == -1 &&
         err_has ("read OVA \"crafted.tar\": tar header at offset 1024 is "
                  "corrupt (bad checksum)"), "bad checksum refused");
  mkhdr (h, "caf\xc3\xa9.txt", '0', 1, USTAR);
  set_sum (h, true);
  arc_add (&a, h, 512);
  arc_add (&a, "c", 1);
  arc_pad (&a);
  CHECK (index_arc (&a, &idx) == 0 && tar_find (&idx, "caf\xc3\xa9.txt"),
         "signed checksum accepted");
  tar_index_free (&idx);
  arc_add (&a, data, 512);
  CHECK (index_arc (&a, &idx) == -1 && err_has ("offset 0 is corrupt (bad checksum)"),
         "garbage refused");

  /* Truncated members and archives. */
  mkhdr (h, "big.bin", '0', 4096, USTAR);
  arc_add (&a, h, 512);
  arc_add (&a, data, 1024);
  CHECK (index_arc (&a, &idx) == -1 &&
         err_has ("member \"big.bin\" is truncated: the archive ends at 1536, "
                  "the member needs 4608"), "truncated member refused");
  add_entry (&a, "last.bin", '0', data, 700, USTAR);
  a.len = 512 + 700;            /* no padding, no end blocks */
  CHECK (index_arc (&a, &idx) == 0 && idx.nr == 1 &&
         member_is ("crafted.tar", &idx, "last.bin", data, 700),
         "last member ending at EOF without padding");
  tar_index_free (&idx);
  add_entry (&a, "a.bin", '0', data, 10, USTAR);
  arc_add (&a, data, 100);
  CHECK (index_arc (&a, &idx) == -1 && err_has ("incomplete"),
         "partial header at the end refused");

  /* GNU base-256 sizes. */
  mkhdr (h, "huge.vmdk", '0', 0, GNU);
  memset (h + 124, 0, 12);
  h[124] = 0x80;
  h[131] = 0x02; h[132] = 0x40;         /* 9 GiB = 0x240000000 */
  set_sum (h, false);
  arc_add (&a, h, 512);
  arc_add (&a, data, 512);
  CHECK (index_arc (&a, &idx) == -1 &&
         err_has ("the archive ends at 1024, the member needs 9663676928"),
         "base-256 9 GiB member in a tiny archive refused");
  mkhdr (h, "b256.bin", '0', 0, GNU);
  memset (h + 124, 0, 12);
  h[124] = 0x80;
  h[134] = 700 >> 8; h[135] = 700 & 255;
  set_sum (h, false);
  arc_add (&a, h, 512);
  arc_add (&a, data, 700);
  arc_pad (&a);
  arc_zeros (&a, 1024);
  CHECK (index_arc (&a, &idx) == 0 &&
         member_is ("crafted.tar", &idx, "b256.bin", data, 700), "base-256 size");
  tar_index_free (&idx);
  mkhdr (h, "neg.bin", '0', 0, GNU);
  memset (h + 124, 0xff, 12);
  set_sum (h, false);
  arc_add (&a, h, 512);
  CHECK (index_arc (&a, &idx) == -1 && err_has ("bad size field"),
         "negative base-256 size refused");
  mkhdr (h, "oct.bin", '0', 0, USTAR);
  memcpy (h + 124, "00000000089", 11);
  set_sum (h, false);
  arc_add (&a, h, 512);
  CHECK (index_arc (&a, &idx) == -1 && err_has ("bad size field"),
         "non-octal size refused");

  /* pax extended headers. */
  pax_rec (&p, "path", "long/pax/name.bin", 17);
  pax_rec (&p, "size", "700", 3);
  pax_rec (&p, "mtime", "1700000000.123456789", 20);
  add_ext (&a, 'x', &p);
  p.len = 0;
  mkhdr (h, "PaxIgnored", '0', 0, USTAR);
  arc_add (&a, h, 512);
  arc_add (&a, data, 700);
  arc_pad (&a);
  pax_rec (&p, "path", "../../evil", 10);
  add_ext (&a, 'g', &p);
  p.len = 0;
  add_entry (&a, "after-global.txt", '0', "g", 1, USTAR);
  arc_zeros (&a, 1024);
  CHECK (index_arc (&a, &idx) == 0 && idx.nr == 2 &&
         member_is ("crafted.tar", &idx, "long/pax/name.bin", data, 700),
         "pax path and size");
  CHECK (tar_find (&idx, "after-global.txt") && !tar_find (&idx, "PaxIgnored"),
         "global header ignored, pax applies to one entry");
  tar_index_free (&idx);

  pax_rec (&p, "size", "9663676416", 10);
  add_ext (&a, 'x', &p);
  p.len = 0;
  add_entry (&a, "huge.vmdk", '0', NULL, 0, USTAR);
  CHECK (index_arc (&a, &idx) == -1 && err_has ("\"huge.vmdk\" is truncated") &&
         err_has ("needs 9663677952"), "pax 9 GiB size in a tiny archive refused");
  {
    static const char *const bad[] = { "12a", "-5", "", " 12", "0x10",
                                       "99999999999999999999" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
      pax_rec (&p, "size", bad[i], strlen (bad[i]));
      add_ext (&a, 'x', &p);
      p.len = 0;
      add_entry (&a, "f", '0', NULL, 0, USTAR);
      CHECK (index_arc (&a, &idx) == -1 && err_has ("is not a decimal number"),
             "pax size not decimal refused");
    }
  }
  pax_rec (&p, "path", "x.vmdk", 6);
  mkhdr (h, "./PaxHeaders/x", 'x', p.len + 600, USTAR);
  arc_add (&a, h, 512);
  arc_add (&a, p.buf, p.len);
  p.len = 0;
  CHECK (index_arc (&a, &idx) == -1 &&
         err_has ("the pax extended header at offset 0 is truncated"),
         "truncated pax header refused");
  pax_rec (&p, "path", "../x.vmdk", 9);
  add_ext (&a, 'x', &p);
  p.len = 0;
  add_entry (&a, "x.vmdk", '0', "x", 1, USTAR);
  CHECK (index_arc (&a, &idx) == -1 && err_has ("\"..\" component"),
         "pax path with .. refused");
  pax_rec (&p, "path", "disk.vmdk\0/etc/shadow", 21);
  add_ext (&a, 'x', &p);
  p.len = 0;
  add_entry (&a, "x.vmdk", '0', "x", 1, USTAR);
  CHECK (index_arc (&a, &idx) == -1 && err_has ("NUL"), "pax path with NUL refused");
  arc_add (&p, "99 path=x\n", 10);
  add_ext (&a, 'x', &p);
  p.len = 0;
  add_entry (&a, "x.vmdk", '0', "x", 1, USTAR);
  CHECK (index_arc (&a, &idx) == -1 && err_has ("pax header at offset 0 is corrupt"),
         "malformed pax record refused");
  pax_rec (&p, "GNU.sparse.major", "1", 1);
  pax_rec (&p, "GNU.sparse.name", "sparse.img", 10);
  add_ext (&a, 'x', &p);
  p.len = 0;
  add_entry (&a, "GNUSparseFile.0/sparse.img", '0', data, 100, USTAR);
  add_entry (&a, "plain.txt", '0', "p", 1, USTAR);
  CHECK (index_arc (&a, &idx) == 0 && idx.nr == 1 && tar_find (&idx, "plain.txt"),
         "pax sparse member skipped");
  tar_index_free (&idx);

  /* GNU long names and links, old GNU sparse headers. */
  memset (longname, 'n', 300);
  memcpy (longname, "dir/", 4);
  longname[300] = '\0';
  mkhdr (h, "././@LongLink", 'L', 301, GNU);
  arc_add (&a, h, 512);
  arc_add (&a, longname, 301);
  arc_pad (&a);
  add_entry (&a, longname, '0', data, 1000, GNU);
  mkhdr (h, "././@LongLink", 'K', 200, GNU);
  arc_add (&a, h, 512);
  arc_add (&a, data, 200);
  arc_pad (&a);
  add_entry (&a, "slink", '2', NULL, 0, GNU);
  mkhdr (h, "sparse.img", 'S', 512, GNU);
  h[482] = 1;                           /* one extension block follows */
  set_sum (h, false);
  arc_add (&a, h, 512);
  arc_zeros (&a, 512);                  /* extension, isextended = 0 */
  arc_add (&a, data, 512);
  add_entry (&a, "after-sparse", '0', "s", 1, GNU);
  arc_zeros (&a, 1024);
  CHECK (index_arc (&a, &idx) == 0 && idx.nr == 2 &&
         member_is ("crafted.tar", &idx, longname, data, 1000), "GNU long name");
  CHECK (member_is ("crafted.tar", &idx, "after-sparse", "s", 1),
         "old GNU sparse member and its extension skipped");
  tar_index_free (&idx);
  mkhdr (h, "././@LongLink", 'L', 100000, GNU);
  arc_add (&a, h, 512);
  arc_zeros (&a, 100352);
  CHECK (index_arc (&a, &idx) == -1 && err_has ("too large"),
         "huge GNU long name refused");

  /* v7: no magic, directories as files with a trailing slash. */
  add_entry (&a, "olddir/", '\0', NULL, 0, V7);
  add_entry (&a, "olddir/f", '\0', "v7", 2, V7);
  arc_zeros (&a, 1024);
  CHECK (index_arc (&a, &idx) == 0 && idx.nr == 1 &&
         member_is ("crafted.tar", &idx, "olddir/f", "v7", 2), "v7 archive");
  tar_index_free (&idx);

  /* End of archive. */
  add_entry (&a, "a", '0', "a", 1, USTAR);
  arc_zeros (&a, 512);
  add_entry (&a, "hidden", '0', "h", 1, USTAR);
  arc_zeros (&a, 1024);
  CHECK (index_arc (&a, &idx) == -1 && err_has ("lone zero block"),
         "lone zero block before a header refused");
  add_entry (&a, "a", '0', "a", 1, USTAR);
  arc_zeros (&a, 512);
  CHECK (index_arc (&a, &idx) == 0 && idx.nr == 1, "one zero block at EOF");
  tar_index_free (&idx);
  add_entry (&a, "a", '0', "a", 1, USTAR);
  CHECK (index_arc (&a, &idx) == 0 && idx.nr == 1, "EOF at a block boundary");
  tar_index_free (&idx);
  arc_zeros (&a, 1024);
  add_entry (&a, "after-end", '0', "a", 1, USTAR);
  CHECK (index_arc (&a, &idx) == 0 && idx.nr == 0, "data after the end ignored");
  tar_index_free (&idx);
  CHECK (index_arc (&a, &idx) == 0 && idx.nr == 0, "empty file");
  tar_index_free (&idx);
  free (p.buf);
}

/* ---------------------------------------------------------------- */
/* Archives written by GNU tar. */

static unsigned char disk[3000];
static char long_path[160];

static void
make_tree (void)
{
  char d[80];
  CLEANUP_FREE char *target = NULL, *lnk = NULL;

  for (size_t i = 0; i < sizeof disk; i++)
    disk[i] = i * 13 % 256;
  mkdir_in ("src");
  mkdir_in ("src/sub");
  mkfile ("src/vm.ovf", "<Envelope/>\n", 12);
  mkfile ("src/disk1.vmdk", disk, sizeof disk);
  mkfile ("src/empty.bin", NULL, 0);
  mkfile ("src/sub/file.txt", "sub\n", 4);
  memset (d, 'd', 70);
  d[70] = '\0';
  memcpy (d, "src/", 4);
  mkdir_in (d);
  snprintf (long_path, sizeof long_path, "%s/%s", d,
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff.bin");
  mkfile (long_path, "long\n", 5);
  memmove (long_path, long_path + 4, strlen (long_path + 4) + 1);
  target = path_of ("src/disk1.vmdk");
  lnk = path_of ("src/hard");
  if (link (target, lnk) == -1)
    abort ();
  free (lnk);
  lnk = path_of ("src/link");
  if (symlink ("vm.ovf", lnk) == -1)
    abort ();
}

static void
test_gnu_tar (const char *format, bool with_long)
{
  CLEANUP_FREE char *src = path_of ("src"), *out = path_of ("real.tar");
  char fmt[32], what[128];
  struct tar_index idx;
  const char *argv[16];
  int n = 0;

  snprintf (fmt, sizeof fmt, "--format=%s", format);
  argv[n++] = "tar"; argv[n++] = "-C"; argv[n++] = src; argv[n++] = fmt;
  argv[n++] = "-cf"; argv[n++] = out;
  argv[n++] = "vm.ovf"; argv[n++] = "disk1.vmdk"; argv[n++] = "empty.bin";
  argv[n++] = "sub"; argv[n++] = "link"; argv[n++] = "hard";
  if (with_long)
    argv[n++] = long_path;
  argv[n] = NULL;
  snprintf (what, sizeof what, "tar %s", fmt);
  if (run (argv) != 0) {
    CHECK (false, what);
    return;
  }
  CHECK (index_file ("real.tar", &idx) == 0, what);
  CHECK (idx.nr == 4u + with_long, "regular files only");
  CHECK (member_is ("real.tar", &idx, "vm.ovf", "<Envelope/>\n", 12) &&
         member_is ("real.tar", &idx, "disk1.vmdk", disk, sizeof disk) &&
         member_is ("real.tar", &idx, "empty.bin", "", 0) &&
         member_is ("real.tar", &idx, "sub/file.txt", "sub\n", 4), what);
  CHECK (!with_long || member_is ("real.tar", &idx, long_path, "long\n", 5),
         "long name");
  CHECK (tar_find (&idx, "link") == NULL && tar_find (&idx, "hard") == NULL &&
         tar_find (&idx, "sub") == NULL, "links and directories not listed");
  tar_index_free (&idx);
}

static void
test_gnu_tar_more (void)
{
  CLEANUP_FREE char *src = path_of ("src"), *out = path_of ("real.tar");
  CLEANUP_FREE char *sparse = path_of ("src/sparse.img");
  struct tar_index idx;

  /* "tar -C dir ." writes "./" prefixes and a "./" directory. */
  {
    const char *argv[] = { "tar", "-C", src, "--format=pax", "-cf", out, ".", NULL };
    CHECK (run (argv) == 0 && index_file ("real.tar", &idx) == 0, "tar of \".\"");
    CHECK (idx.nr == 5 &&
           (member_is ("real.tar", &idx, "disk1.vmdk", disk, sizeof disk) ||
            member_is ("real.tar", &idx, "hard", disk, sizeof disk)) &&
           member_is ("real.tar", &idx, long_path, "long\n", 5), "./ prefixes stripped");
    tar_index_free (&idx);
  }
  /* A sparse 9 GiB file: GNU tar --sparse writes only the map. */
  if (truncate (sparse, UINT64_C(9) << 30) == 0) {
    static const char *const fmts[] = { "--format=gnu", "--format=pax" };
    for (size_t i = 0; i < 2; i++) {
      const char *argv[] = { "tar", "-C", src, fmts[i], "--sparse", "-cf", out,
                             "sparse.img", "vm.ovf", NULL };
      CHECK (run (argv) == 0 && index_file ("real.tar", &idx) == 0 &&
             idx.nr == 1 && tar_find (&idx, "sparse.img") == NULL &&
             member_is ("real.tar", &idx, "vm.ovf", "<Envelope/>\n", 12),
             "sparse 9 GiB member skipped");
      tar_index_free (&idx);
    }
    unlink (sparse);
  }
}

/* ---------------------------------------------------------------- */
/* Manifests and digests. */

#define SHA1_ABC "a9993e364706816aba3e25717850c26c9cd0d89d"
#define SHA256_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA512_ABC "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" \
  "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
#define SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static int
parse (const char *text, struct manifest *m)
{
  return manifest_parse (text, strlen (text), "vm.mf", m);
}

static void
test_manifest (void)
{
  struct manifest m;

  CHECK (parse ("SHA1(vm.ovf)= " SHA1_ABC "\r\n"
                "SHA256(disk1.vmdk) = BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD\r\n"
                "  SHA512 (disk 2.vmdk)=" SHA512_ABC "  \r\n"
                "sha256(a(1)=b.iso)= " SHA256_ABC "\r\n"
                "\r\n\n  \n", &m) == 0 && m.nr == 4, "manifest parsed");
  CHECK (m.nr == 4 && strcmp (m.entries[0].file, "vm.ovf") == 0 &&
         strcmp (m.entries[0].algo, "SHA1") == 0 &&
         strcmp (m.entries[0].digest, SHA1_ABC) == 0, "SHA1 line");
  CHECK (m.nr == 4 && strcmp (m.entries[1].algo, "SHA256") == 0 &&
         strcmp (m.entries[1].digest, SHA256_ABC) == 0, "uppercase hex lowered");
  CHECK (m.nr == 4 && strcmp (m.entries[2].file, "disk 2.vmdk") == 0 &&
         strcmp (m.entries[2].algo, "SHA512") == 0 &&
         strcmp (m.entries[2].digest, SHA512_ABC) == 0, "SHA512 with spacing");
  CHECK (m.nr == 4 && strcmp (m.entries[3].file, "a(1)=b.iso") == 0 &&
         strcmp (m.entries[3].algo, "SHA256") == 0, "name with ( ) =, lowercase algo");
  manifest_free (&m);
  CHECK (m.nr == 0 && m.entries == NULL, "manifest_free zeroes");
  CHECK (parse ("\xef\xbb\xbfSHA1(x)=" SHA1_ABC, &m) == 0 && m.nr == 1 &&
         strcmp (m.entries[0].file, "x") == 0, "BOM, no final newline");
  manifest_free (&m);
  CHECK (parse ("", &m) == 0 && m.nr == 0, "empty manifest");
  CHECK (parse ("SHA1(a)= " SHA1_ABC "\rSHA1(b)= " SHA1_ABC "\r\r", &m) == 0 &&
         m.nr == 2 && strcmp (m.entries[1].file, "b") == 0, "CR line endings");
  manifest_free (&m);
  CHECK (parse ("SHA1(a)= " SHA1_ABC "\r\n\rSHA1(b)\n", &m) == -1 &&
         err_has ("line 3 is malformed"), "line numbers with CRLF and CR");

  CHECK (parse ("SHA256(disk.vmdk)= " SHA1_ABC "abc\n", &m) == -1 &&
         err_has ("43 hex digits, it should have 64"), "bad digest length");
  CHECK (parse ("SHA1(disk.vmdk)= " SHA256_ABC "\n", &m) == -1 &&
         err_has ("SHA1 digest"), "SHA256 digest under SHA1 refused");
  CHECK (parse ("MD5(disk.vmdk)= 900150983cd24fb0d6963f7d28e17f72\n", &m) == -1 &&
         err_has ("\"MD5\""), "MD5 refused by name");
  CHECK (parse ("SHA1(a)= " SHA1_ABC "\nSHA1(b)= " SHA1_ABC "\n"
                "this is not a manifest line\n", &m) == -1 &&
         err_has ("line 3 is malformed") && m.nr == 0 && m.entries == NULL,
         "malformed line number");
  CHECK (parse ("SHA1(a)= " SHA1_ABC "\r\n\r\nSHA1 a = " SHA1_ABC "\r\n", &m) == -1 &&
         err_has ("line 3"), "no parentheses");
  CHECK (parse ("SHA1(a)= a9993e364706816aba3e25717850c26c9cd0d8zz\n", &m) == -1 &&
         err_has ("malformed"), "non-hex digest");
  CHECK (parse ("SHA1(a) " SHA1_ABC "\n", &m) == -1 && err_has ("malformed"),
         "no =");
  CHECK (parse ("SHA1()= " SHA1_ABC "\n", &m) == -1 && err_has ("malformed"),
         "empty name");
  CHECK (parse ("SHA1(../disk.vmdk)= " SHA1_ABC "\n", &m) == -1 &&
         err_has ("not a file beside"), "../ name refused");
  CHECK (parse ("SHA1(/etc/passwd)= " SHA1_ABC "\n", &m) == -1 &&
         err_has ("not a file beside"), "absolute name refused");
  CHECK (parse ("SHA1(..)= " SHA1_ABC "\n", &m) == -1 &&
         err_has ("not a file beside"), ".. refused");
  CHECK (manifest_parse ("SHA1(a\0b)= " SHA1_ABC, 51, "vm.mf", &m) == -1,
         "NUL in the name refused");
}

/* The digest printed by e.g. "sha256sum FILE". */
static bool
tool_digest (const char *tool, const char *path, const char *digest)
{
  const char *argv[] = { tool, path, NULL };
  CLEANUP_FREE char *out = NULL;

  return run_command (argv, &out, NULL) == 0 && out &&
    strncmp (out, digest, strlen (digest)) == 0 && out[strlen (digest)] == ' ';
}

static void
test_digest (void)
{
  CLEANUP_FREE char *path = path_of ("digest.bin");
  CLEANUP_FREE unsigned char *big = malloc (3 * 1024 * 1024 + 123);
  struct tar_index idx;
  char out[129];
  int fd;

  mkfile ("digest.bin", "xxabcyy", 7);
  fd = open (path, O_RDONLY);
  CHECK (digest_range (fd, 2, 3, "SHA1", "d", out) == 0 &&
         strcmp (out, SHA1_ABC) == 0, "SHA1(abc) at an offset");
  CHECK (digest_range (fd, 2, 3, "SHA256", "d", out) == 0 &&
         strcmp (out, SHA256_ABC) == 0, "SHA256(abc)");
  CHECK (digest_range (fd, 2, 3, "SHA512", "d", out) == 0 &&
         strcmp (out, SHA512_ABC) == 0, "SHA512(abc)");
  CHECK (digest_range (fd, 7, 0, "SHA256", "d", out) == 0 &&
         strcmp (out, SHA256_EMPTY) == 0, "empty range");
  CHECK (digest_range (fd, 2, 10, "SHA256", "disk1.vmdk", out) == -1 &&
         err_has ("read \"disk1.vmdk\": unexpected end of file"), "short read");
  CHECK (digest_range (fd, 0, 3, "MD5", "d", out) == -1 && err_has ("MD5"),
         "digest_range MD5 refused");
  close (fd);

  /* Several chunks, against the coreutils tools. */
  for (size_t i = 0; i < 3 * 1024 * 1024 + 123; i++)
    big[i] = (i * 31 + (i >> 12)) & 255;
  mkfile ("digest.bin", big, 3 * 1024 * 1024 + 123);
  fd = open (path, O_RDONLY);
  CHECK (digest_range (fd, 0, 3 * 1024 * 1024 + 123, "SHA256", "d", out) == 0 &&
         tool_digest ("sha256sum", path, out), "multi-chunk SHA256 = sha256sum");
  CHECK (digest_range (fd, 0, 3 * 1024 * 1024 + 123, "SHA1", "d", out) == 0 &&
         tool_digest ("sha1sum", path, out), "multi-chunk SHA1 = sha1sum");
  CHECK (digest_range (fd, 0, 3 * 1024 * 1024 + 123, "SHA512", "d", out) == 0 &&
         tool_digest ("sha512sum", path, out), "multi-chunk SHA512 = sha512sum");
  close (fd);

  /* A member in place inside a tar archive. */
  {
    CLEANUP_FREE char *src = path_of ("src"), *tarp = path_of ("real.tar");
    CLEANUP_FREE char *orig = path_of ("src/disk1.vmdk");
    const char *argv[] = { "tar", "-C", src, "-cf", tarp, "vm.ovf", "disk1.vmdk", NULL };
    const struct tar_member *mb;

    CHECK (run (argv) == 0 && index_file ("real.tar", &idx) == 0 &&
           (mb = tar_find (&idx, "disk1.vmdk")) != NULL &&
           (fd = open (tarp, O_RDONLY)) >= 0 &&
           digest_range (fd, mb->offset, mb->size, "SHA256", "disk1.vmdk", out) == 0 &&
           close (fd) == 0 && tool_digest ("sha256sum", orig, out),
           "digest of a member in place");
    tar_index_free (&idx);
  }

  /* Ctrl-C: last, it cannot be undone. */
  signals_install ();
  raise (SIGINT);
  fd = open (path, O_RDONLY);
  CHECK (digest_range (fd, 0, 100, "SHA256", "d", out) == -1 &&
         err_has ("interrupted"), "digest interrupted");
  close (fd);
  CHECK (index_file ("real.tar", &idx) == -1 && err_has ("interrupted"),
         "indexing interrupted");
}

int
main (void)
{
  if (mkdtemp (dir) == NULL)
    return 1;

  test_crafted ();
  make_tree ();
  test_gnu_tar ("gnu", true);
  test_gnu_tar ("pax", true);
  test_gnu_tar ("posix", true);
  test_gnu_tar ("ustar", true);
  test_gnu_tar ("oldgnu", true);
  test_gnu_tar ("v7", false);
  test_gnu_tar_more ();
  test_manifest ();
  test_digest ();

  {
    const char *argv[] = { "rm", "-rf", dir, NULL };
    run_command (argv, NULL, NULL);
  }
  printf ("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
