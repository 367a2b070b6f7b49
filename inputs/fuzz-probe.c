/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for the disk image prober (inputs/format.c,
 * inputs/vmdkdesc.c) on a memory buffer (see "make fuzz"):
 *
 *   ./fuzz-out/fuzz-probe -close_fd_mask=2 -timeout=5 CORPUS_DIR \
 *     inputs/fuzz-seeds/probe
 *
 * error() always writes to stderr: -close_fd_mask=2 silences it.
 *
 * An input starting "FUZZSCAT" is a sparse image, so that small inputs
 * reach offsets past 1 MiB (VHDX metadata, qcow2 extensions up to
 * 2 MiB): 4 bytes little-endian size (at most 8 MiB), then records of
 * 4 bytes offset, 2 bytes length and the bytes, over zeros.
 *
 * Besides memory errors and hangs it checks the prober's promises: on
 * failure an error and nothing left; on success a known format, unique
 * non-empty references, raw and qcow2 sizes as written; and, for VMDK,
 * that every file qemu's own reading would open is listed (the
 * extents by sscanf from every line start, the parent hint by strstr
 * in the 10 KiB qemu reads), a reading written here independently.
 */

#include <config.h>

#include <inttypes.h>
#include <string.h>

#include "inputs.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static uint32_t
get_le (const uint8_t *p, int n)
{
  uint32_t v = 0;

  for (int i = n - 1; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

static uint64_t
get_be64 (const uint8_t *p)
{
  uint64_t v = 0;

  for (int i = 0; i < 8; i++)
    v = v << 8 | p[i];
  return v;
}

static bool
listed (const struct image_info *info, const char *name)
{
  for (size_t i = 0; info->references && info->references[i]; i++)
    if (strcmp (info->references[i], name) == 0)
      return true;
  return false;
}

/* The parent hint as qemu finds it in the 10 KiB at 'off'. */
static void
check_hint (const struct image_info *info, const uint8_t *img, size_t size,
            size_t off)
{
  char desc[10240 + 64];
  const char *p, *q;
  size_t n = off < size ? size - off : 0;

  memset (desc, 0, sizeof desc);
  memcpy (desc, img + off, n < 10240 ? n : 10240);
  p = strstr (desc, "parentFileNameHint");
  if (p == NULL)
    return;
  p += 20;
  q = strchr (p, '"');
  if (q && q > p) {
    char name[10240];
    memcpy (name, p, q - p);
    name[q - p] = '\0';
    if (!listed (info, name))
      abort ();
  }
}

/* The extents as qemu's sscanf reads them, from every line start. */
static void
check_extents (const struct image_info *info, const uint8_t *img, size_t size)
{
  size_t n = size < (1 << 20) - 1 ? size : (1 << 20) - 1;
  char *text = malloc (n + 1);

  if (text == NULL)
    return;
  memcpy (text, img, n);
  text[n] = '\0';
  for (const char *p = text; *p; ) {
    char access[11], type[11], fname[512];
    int64_t sectors;

    if (sscanf (p, "%10s %" SCNd64 " %10s \"%511[^\n\r\"]\"",
                access, &sectors, type, fname) >= 4 &&
        strcmp (access, "RW") == 0 && !listed (info, fname))
      abort ();
    p = strchr (p, '\n');
    if (p == NULL)
      break;
    p++;
  }
  free (text);
}

static void
check (int r, const struct image_info *info, const uint8_t *img, size_t size)
{
  static const char *const formats[] = {
    "raw", "qcow2", "vmdk", "vpc", "vhdx", "vdi", NULL
  };
  bool known = false;

  if (r == -1) {
    if (info->references || info->backing_format || last_error () == NULL)
      abort ();
    return;
  }
  if (r != 0 || info->file_size != size ||
      memchr (info->format, '\0', sizeof info->format) == NULL ||
      memchr (info->subformat, '\0', sizeof info->subformat) == NULL)
    abort ();
  for (size_t i = 0; formats[i]; i++)
    known |= strcmp (info->format, formats[i]) == 0;
  if (!known)
    abort ();
  for (size_t i = 0; info->references && info->references[i]; i++) {
    if (info->references[i][0] == '\0')
      abort ();
    for (size_t j = 0; j < i && j < 64; j++)
      if (strcmp (info->references[i], info->references[j]) == 0)
        abort ();
  }
  if (strcmp (info->format, "raw") == 0 &&
      (info->virtual_size != size ||
       (info->references && info->references[0])))
    abort ();
  if (strcmp (info->format, "qcow2") == 0 &&
      info->virtual_size != get_be64 (img + 24))
    abort ();
  if (strcmp (info->format, "vmdk") == 0) {
    if (size >= 4 && memcmp (img, "KDMV", 4) == 0)
      check_hint (info, img, size, 512);
    else {
      check_extents (info, img, size);
      check_hint (info, img, size, 0);
    }
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct image_info info;
  uint8_t *img = NULL;
  const uint8_t *buf = data;
  int r;

  if (size >= 12 && memcmp (data, "FUZZSCAT", 8) == 0) {
    size_t total = get_le (data + 8, 4) % ((8 << 20) + 1);
    size_t i = 12;

    img = calloc (1, total + 1);
    if (img == NULL)
      return 0;
    while (total && i + 6 <= size) {
      size_t off = get_le (data + i, 4) % total, len = get_le (data + i + 4, 2);
      i += 6;
      if (len > size - i)
        len = size - i;
      if (len > total - off)
        len = total - off;
      memcpy (img + off, data + i, len);
      i += len;
    }
    buf = img;
    size = total;
  }
  r = image_probe_buffer (buf, size, "fuzz.img", &info);
  check (r, &info, buf, size);
  image_info_free (&info);
  free (img);
  return 0;
}
