/* Unit tests for content-based format detection, VMDK descriptor
 * parsing and the reference check, on crafted files (no qemu needed).
 */

#include <config.h>

#include <fcntl.h>
#include <string.h>
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

static int
probe (const char *path, const char *forced, struct image_info *info)
{
  int r = image_probe (path, forced, info);
  return r;
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
    image_info_free (&info);
    free (path);
  }

  {
    const char *argv[] = { "rm", "-rf", dir, NULL };
    run_command (argv, NULL, NULL);
  }
  printf ("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
