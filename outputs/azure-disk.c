/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: -o azure, one disk: the managed disk made for upload and
 * opened for writing, or the page blob; the pages from the copy engine
 * (compared with what the service holds when resuming); the VHD
 * footer; the import of blobs as managed disks.  The module itself is
 * outputs/azure.c.
 */

#include <config.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outputs.h"
#include "azure.h"

#define ZERO_RUN 4096           /* zeroes this long are not sent */

static bool
in_ranges (const struct az_range *v, size_t n, uint64_t off, uint64_t len,
           bool whole)
{
  for (size_t i = 0; i < n; i++) {
    if (whole && v[i].start <= off && off + len <= v[i].end)
      return true;
    if (!whole && v[i].start < off + len && off < v[i].end)
      return true;
  }
  return false;
}

/* One run of a chunk, all zeroes or none: skip what the service holds
 * already (resume), clear what is now zero, send the rest.  w: room for
 * len bytes that is not buf.
 */
static int
send_run (struct az_disk *d, unsigned char *w, uint64_t offset,
          const unsigned char *buf, size_t len, bool zero)
{
  if (zero) {
    if (d->nr_held == 0 || !in_ranges (d->held, d->nr_held, offset, len, false))
      return 0;
    atomic_fetch_add (&d->cleared, 1);
    return azblob_clear_pages (&d->blob, offset, len);
  }
  if (d->nr_held && in_ranges (d->held, d->nr_held, offset, len, true)) {
    if (azblob_read (&d->blob, offset, w, len) == -1)
      return -1;
    if (memcmp (w, buf, len) == 0) {
      atomic_fetch_add (&d->same, 1);
      return 0;
    }
  }
  if (azblob_put_page (&d->blob, offset, buf, len) == -1)
    return -1;
  atomic_fetch_add (&d->pages, 1);
  atomic_fetch_add (&d->bytes, len);
  return 0;
}

/* One chunk from the copy engine (at most 512 KiB), cut where 4 KiB or
 * more of zeroes lie, so that only data goes over the wire: the map's
 * chunks follow the source's clusters, which are often partly zero.
 */
static int
block_cb (void *opaque, unsigned worker, uint64_t offset, const void *data,
          size_t len)
{
  struct az_disk *d = opaque;
  const unsigned char *buf = data;
  unsigned char *w = d->wbuf[worker];
  size_t plen = (len + 511) & ~(size_t) 511;

  if (plen != len) {            /* a disk size not a multiple of 512 */
    memcpy (w, buf, len);
    memset (w + len, 0, plen - len);
    buf = w;
  }
  w = d->wbuf[worker] + PAGE_MAX / 2;
  if (d->nr_held == 0 && buf_is_zero (buf, plen))
    return 0;
  for (size_t pos = 0; pos < plen; ) {
    size_t u = plen - pos < ZERO_RUN ? plen - pos : ZERO_RUN;
    bool zero = buf_is_zero (buf + pos, u);
    size_t end = pos + u;

    while (end < plen) {
      u = plen - end < ZERO_RUN ? plen - end : ZERO_RUN;
      if (buf_is_zero (buf + end, u) != zero)
        break;
      end += u;
    }
    if (send_run (d, w, offset + pos, buf + pos, end - pos, zero) == -1)
      return -1;
    pos = end;
  }
  return 0;
}

/* method=disk: create the disk (or find it, for resume) and open it
 * for writing; d->blob is then its SAS.
 */
static int
open_disk (struct azure_output *a, struct az_disk *d)
{
  CLEANUP_FREE char *what = NULL, *sas = NULL;
  json_t *disk = NULL, *res = NULL;
  uint64_t upload = d->vhd_size + 512;
  int st;

  if (asprintf (&what, "create disk \"%s\"", d->name) == -1)
    goto nomem;
  st = 404;
  if (a->resume) {
    st = arm_request (&a->cfg, "GET", d->path, ARM_API_COMPUTE, NULL, what,
                      ARM_ABSENT_OK, &disk);
    if (st == -1)
      return -1;
  }
  if (st == 404) {
    json_t *body = json_pack ("{s:s, s:{s:s}, s:{s:{s:s, s:I}}}",
                              "location", a->location, "sku", "name", a->sku,
                              "properties", "creationData", "createOption", "Upload",
                              "uploadSizeBytes", (json_int_t) upload);
    json_t *props = json_object_get (body, "properties");
    json_t *tags = az_tags_json (a);
    if (body == NULL || tags == NULL) {
      json_decref (body);
      json_decref (tags);
      goto nomem;
    }
    if (d->idx == 0) {
      json_object_set_new (props, "osType", json_string (a->os_type));
      json_object_set_new (props, "hyperVGeneration", json_string (az_generation (a)));
    }
    json_object_set_new (body, "tags", tags);
    st = arm_request (&a->cfg, "PUT", d->path, ARM_API_COMPUTE, body, what, 0, &disk);
    json_decref (body);
    if (st == -1)
      return -1;
    d->created = true;
  }
  else {
    const char *state = arm_json_str (disk, "properties/diskState");
    json_t *ub = json_object_get (json_object_get (json_object_get (disk, "properties"),
                                                   "creationData"), "uploadSizeBytes");
    if (state == NULL || (strcmp (state, "ReadyToUpload") && strcmp (state, "ActiveUpload"))) {
      error ("-o azure: resume disk \"%s\": it is %s; only a disk in ReadyToUpload "
             "or ActiveUpload can be continued", d->name, state ? state : "in no known state");
      json_decref (disk);
      return -1;
    }
    if (!json_is_integer (ub) || (uint64_t) json_integer_value (ub) != upload) {
      error ("-o azure: resume disk \"%s\": it was made for %lld bytes, this disk "
             "needs %llu", d->name, ub ? (long long) json_integer_value (ub) : -1LL,
             (unsigned long long) upload);
      json_decref (disk);
      return -1;
    }
    info ("disk %zu: continuing the upload of disk \"%s\" (%s)", d->idx + 1, d->name, state);
  }
  json_decref (disk);

  free (what);
  if (asprintf (&what, "open disk \"%s\" for writing (beginGetAccess)", d->name) == -1) {
    what = NULL;
    goto nomem;
  }
  {
    CLEANUP_FREE char *p = NULL;
    json_t *body = json_pack ("{s:s, s:i}", "access", "Write", "durationInSeconds", 86400);
    if (body == NULL || asprintf (&p, "%s/beginGetAccess", d->path) == -1) {
      json_decref (body);
      goto nomem;
    }
    st = arm_request (&a->cfg, "POST", p, ARM_API_COMPUTE, body, what, 0, &res);
    json_decref (body);
    if (st == -1)
      return -1;
  }
  d->access = true;
  {
    const char *s = arm_json_str (res, "accessSAS");
    sas = s ? strdup (s) : NULL;
  }
  json_decref (res);
  if (sas == NULL) {
    error ("%s: the answer has no accessSAS", what);
    return -1;
  }
  if (az_auth_from_sas_url (&d->sas, sas, &d->blob.url) == -1)
    return -1;
  d->blob.auth = &d->sas;
  d->blob.http = &a->cfg.http;
  d->blob.managed_disk = true;
  return 0;
 nomem:
  error ("-o azure: out of memory");
  return -1;
}

int
az_disk_begin (struct output *o, size_t i, const struct source_disk *sd,
                  const struct copy_map *map, struct copy_dest *dest)
{
  struct azure_output *a = (struct azure_output *) o;
  struct az_disk *d = &a->disks[i];
  char size[32];

  d->vsize = sd->virtual_size;
  d->vhd_size = (sd->virtual_size + MIB - 1) / MIB * MIB;
  d->map = map;
  d->workers = a->workers;
  d->wbuf = calloc (d->workers, sizeof *d->wbuf);
  if (d->wbuf == NULL)
    goto nomem;
  for (unsigned w = 0; w < d->workers; w++)
    if ((d->wbuf[w] = malloc (PAGE_MAX)) == NULL)
      goto nomem;

  if (!a->blob_method) {
    if (open_disk (a, d) == -1)
      return -1;
  }
  else {
    uint64_t have;
    int st = azblob_size (&d->blob, &have);
    if (st == -1)
      return -1;
    if (st == 0 && have != d->vhd_size + 512) {
      CLEANUP_FREE char *u = az_redact_url (d->blob.url);
      error ("-o azure: resume blob \"%s\": it is %llu bytes, this disk needs %llu",
             u ? u : d->name, (unsigned long long) have,
             (unsigned long long) (d->vhd_size + 512));
      return -1;
    }
    if (st == 1) {
      if (azblob_create (&d->blob, d->vhd_size + 512) == -1)
        return -1;
      d->created = true;
    }
  }
  if (a->resume && !d->created) {
    uint64_t held = 0;
    if (azblob_page_ranges (&d->blob, &d->held, &d->nr_held) == -1)
      return -1;
    for (size_t k = 0; k < d->nr_held; k++)
      held += d->held[k].end - d->held[k].start;
    info ("disk %zu: the service holds %s in %zu ranges: comparing them with the source",
          i + 1, human_size (held, size), d->nr_held);
  }
  {
    CLEANUP_FREE char *u = az_redact_url (d->blob.url);
    info ("disk %zu: writing %s as a fixed VHD of %s to %s", i + 1, d->name,
          human_size (d->vhd_size + 512, size), u ? u : "the blob");
  }
  dest->fd = -1;
  dest->size = sd->virtual_size;
  dest->zero_initialized = d->nr_held == 0;
  dest->block = block_cb;
  dest->block_opaque = d;
  dest->block_size = 0;         /* the map's chunks: at most 512 KiB */
  dest->workers = d->workers;
  return 0;
 nomem:
  error ("-o azure: out of memory");
  return -1;
}

/* Resume: the ranges the service holds that the source no longer has
 * (holes in this copy's map) are cleared.
 */
static int
clear_stale (struct az_disk *d)
{
  const struct copy_map *m = d->map;
  size_t c = 0;

  for (size_t k = 0; k < d->nr_held; k++) {
    uint64_t at = d->held[k].start, end = d->held[k].end;
    if (end > d->vhd_size)
      end = d->vhd_size;        /* the footer is rewritten anyway */
    while (at < end) {
      uint64_t next = end;
      while (c < m->nr && m->v[c].offset + m->v[c].length <= at)
        c++;
      if (c < m->nr && m->v[c].offset <= at) {
        at = m->v[c].offset + m->v[c].length;
        continue;
      }
      if (c < m->nr && m->v[c].offset < next)
        next = m->v[c].offset;
      next &= ~UINT64_C(511);
      if (next <= at)
        next = (at + 512) & ~UINT64_C(511);
      for (uint64_t p = at; p < next; p += PAGE_MAX) {
        uint64_t n = next - p > PAGE_MAX ? PAGE_MAX : next - p;
        if (azblob_clear_pages (&d->blob, p, n) == -1)
          return -1;
        atomic_fetch_add (&d->cleared, 1);
      }
      at = next;
    }
  }
  return 0;
}

int
az_end_access (struct azure_output *a, struct az_disk *d)
{
  CLEANUP_FREE char *p = NULL, *what = NULL;

  if (asprintf (&p, "%s/endGetAccess", d->path) == -1 ||
      asprintf (&what, "close disk \"%s\" for writing (endGetAccess)", d->name) == -1) {
    error ("-o azure: out of memory");
    return -1;
  }
  if (arm_request (&a->cfg, "POST", p, ARM_API_COMPUTE, NULL, what, 0, NULL) == -1)
    return -1;
  d->access = false;
  return 0;
}

int
az_disk_end (struct output *o, size_t i, struct copy_dest *dest)
{
  struct azure_output *a = (struct azure_output *) o;
  struct az_disk *d = &a->disks[i];
  unsigned char footer[512];
  char size[32];

  if (dest->failed)
    return 0;                   /* abort says what happens to it */
  if (d->nr_held && clear_stale (d) == -1)
    return -1;
  vhd_fixed_footer (d->vhd_size, footer);
  if (azblob_put_page (&d->blob, d->vhd_size, footer, sizeof footer) == -1)
    return -1;
  d->uploaded = true;
  info ("disk %zu: %s: %llu pages, %s sent%s", i + 1, d->name,
        (unsigned long long) atomic_load (&d->pages),
        human_size (atomic_load (&d->bytes), size),
        d->nr_held ? "" : ", then the VHD footer");
  if (d->nr_held)
    info ("disk %zu: resumed: %llu pages were there already, %llu cleared",
          i + 1, (unsigned long long) atomic_load (&d->same),
          (unsigned long long) atomic_load (&d->cleared));
  if (!a->blob_method && az_end_access (a, d) == -1)
    return -1;
  return 0;
}

/* method=blob with ARM: a managed disk imported from each blob. */
int
az_import_blobs (struct azure_output *a)
{
  for (size_t i = 0; i < a->nr_disks; i++) {
    struct az_disk *d = &a->disks[i];
    CLEANUP_FREE char *what = NULL;
    json_t *body, *props, *tags;
    int st;

    if (asprintf (&what, "import blob \"%s.vhd\" as disk \"%s\"", d->name, d->name) == -1)
      goto nomem;
    body = json_pack ("{s:s, s:{s:s}, s:{s:{s:s, s:s, s:s}}}",
                      "location", a->location, "sku", "name", a->sku,
                      "properties", "creationData", "createOption", "Import",
                      "sourceUri", d->blob.url, "storageAccountId", a->storage_id);
    tags = az_tags_json (a);
    if (body == NULL || tags == NULL) {
      json_decref (body);
      json_decref (tags);
      goto nomem;
    }
    props = json_object_get (body, "properties");
    if (i == 0) {
      json_object_set_new (props, "osType", json_string (a->os_type));
      json_object_set_new (props, "hyperVGeneration", json_string (az_generation (a)));
    }
    json_object_set_new (body, "tags", tags);
    d->created = true;          /* from here on ours to delete */
    st = arm_request (&a->cfg, "PUT", d->path, ARM_API_COMPUTE, body, what, 0, NULL);
    json_decref (body);
    if (st == -1)
      return -1;
    info ("disk %zu: imported as disk \"%s\"", i + 1, d->name);
  }
  return 0;
 nomem:
  error ("-o azure: out of memory");
  return -1;
}


