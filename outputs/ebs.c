/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: the EBS direct APIs: a snapshot written block by block.
 *
 * StartSnapshot, then PutSnapshotBlock of every 512 KiB block that
 * holds data (never an all-zero one: a new snapshot reads as zeroes),
 * each with the Base64 SHA-256 of its bytes and an unsigned body, then
 * CompleteSnapshot with the number of blocks written and the LINEAR
 * aggregate: the SHA-256 of the blocks' raw digests in block order
 * (what AWS's coldsnap sends).
 */

#include <config.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <jansson.h>

#include "aws.h"

/* The snapshot the API has just created may not be found for a while:
 * AWS's EBS team says to retry for up to two minutes.
 */
#define NOT_FOUND_WINDOW 120.0

static const char *const not_found[] = { "ResourceNotFoundException", NULL };

int
ebs_start (struct aws_config *cfg, struct ebs_snapshot *s, uint64_t size,
           const char *description, char *const *tags)
{
  CLEANUP_FREE char *body = NULL, *token = NULL;
  json_t *req, *tl, *doc = NULL;
  struct http_response r = { 0 };
  const char *id;
  int ret = -1;

  memset (s, 0, sizeof *s);
  s->gib = (size + (UINT64_C(1) << 30) - 1) >> 30;
  if (s->gib == 0)
    s->gib = 1;
  if (s->gib > 65536) {
    error ("StartSnapshot: the disk is %llu GiB; EBS snapshots hold at most 64 TiB",
           (unsigned long long) s->gib);
    return -1;
  }
  s->nr_blocks = s->gib * ((UINT64_C(1) << 30) / EBS_BLOCK_SIZE);
  s->sums = calloc (s->nr_blocks, sizeof *s->sums);
  s->written = calloc (s->nr_blocks, 1);
  /* A retried StartSnapshot must not make a second snapshot. */
  if (asprintf (&token, "ferry-%d-%.0f-%p", (int) getpid (), now_seconds () * 1e6,
                (void *) s) == -1)
    token = NULL;
  req = json_pack ("{s:I, s:i, s:s, s:s}", "VolumeSize", (json_int_t) s->gib,
                   "Timeout", 60, "ClientToken", token ? token : "",
                   "Description", description ? description : "ferry");
  if (s->sums == NULL || s->written == NULL || token == NULL || req == NULL)
    goto nomem;
  tl = json_array ();
  for (size_t i = 0; tags && tags[i]; i++) {
    const char *eq = strchr (tags[i], '=');
    CLEANUP_FREE char *k = eq ? strndup (tags[i], eq - tags[i]) : strdup (tags[i]);
    if (k == NULL || tl == NULL)
      goto nomem;
    json_array_append_new (tl, json_pack ("{s:s, s:s}", "Key", k,
                                          "Value", eq ? eq + 1 : ""));
  }
  if (json_array_size (tl) > 0)
    json_object_set_new (req, "Tags", tl);
  else
    json_decref (tl);
  body = json_dumps (req, JSON_COMPACT);
  json_decref (req);
  req = NULL;
  if (body == NULL)
    goto nomem;

  {
    const char *const h[] = { "Content-Type: application/json", NULL };
    struct aws_call c = {
      .service = AWS_EBS, .method = "POST", .path = "/snapshots",
      .headers = h, .body = body, .len = strlen (body),
      .what = "StartSnapshot",
    };
    if (aws_call (cfg, &c, &r, NULL) == -1)
      return -1;
  }
  doc = json_loadb (r.body, r.len, 0, NULL);
  id = json_string_value (json_object_get (doc, "SnapshotId"));
  if (id == NULL || strncmp (id, "snap-", 5) != 0 || strlen (id) > 64) {
    error ("StartSnapshot: the answer has no snapshot id");
    goto out;
  }
  {
    json_int_t bs = json_integer_value (json_object_get (doc, "BlockSize"));
    if (bs && bs != EBS_BLOCK_SIZE) {
      error ("StartSnapshot: the snapshot's blocks are %lld bytes, not 512 KiB",
             (long long) bs);
      /* The caller deletes it. */
    }
    s->id = strdup (id);
    if (s->id == NULL)
      goto nomem;
    if (bs && bs != EBS_BLOCK_SIZE)
      goto out;
  }
  s->started = now_seconds ();
  ret = 0;
  goto out;

 nomem:
  error ("StartSnapshot: out of memory");
 out:
  json_decref (req);
  json_decref (doc);
  if (r.status)
    http_response_free (&r);
  return ret;
}

int
ebs_put_block (struct aws_config *cfg, struct ebs_snapshot *s,
               uint64_t offset, const void *buf, size_t len)
{
  uint64_t index = offset / EBS_BLOCK_SIZE;
  unsigned char *pad = NULL;
  const void *data = buf;
  char b64[48], hcs[80], path[128], what[96];
  struct http_response r;
  int ret;

  if (offset % EBS_BLOCK_SIZE || len > EBS_BLOCK_SIZE || index >= s->nr_blocks) {
    error ("PutSnapshotBlock %s: block at %llu of %zu bytes is outside the snapshot",
           s->id, (unsigned long long) offset, len);
    return -1;
  }
  /* The last block of a disk that is not a multiple of 512 KiB. */
  if (len < EBS_BLOCK_SIZE) {
    pad = calloc (1, EBS_BLOCK_SIZE);
    if (pad == NULL) {
      error ("PutSnapshotBlock: out of memory");
      return -1;
    }
    memcpy (pad, buf, len);
    data = pad;
  }
  sigv4_sha256 (data, EBS_BLOCK_SIZE, s->sums[index]);
  sigv4_base64 (s->sums[index], 32, b64);
  snprintf (hcs, sizeof hcs, "x-amz-Checksum: %s", b64);
  snprintf (path, sizeof path, "/snapshots/%s/blocks/%llu", s->id,
            (unsigned long long) index);
  snprintf (what, sizeof what, "PutSnapshotBlock %s block %llu", s->id,
            (unsigned long long) index);
  {
    const char *const h[] = {
      "Content-Type: application/octet-stream",
      "x-amz-Data-Length: 524288",
      hcs,
      "x-amz-Checksum-Algorithm: SHA256",
      NULL
    };
    struct aws_call c = {
      .service = AWS_EBS, .method = "PUT", .path = path, .headers = h,
      .body = data, .len = EBS_BLOCK_SIZE, .payload_hash = "UNSIGNED-PAYLOAD",
      .what = what, .retry_codes = not_found,
      .retry_for = NOT_FOUND_WINDOW - (now_seconds () - s->started),
    };
    ret = aws_call (cfg, &c, &r, NULL);
  }
  free (pad);
  if (ret == -1)
    return -1;
  http_response_free (&r);
  s->written[index] = 1;
  atomic_fetch_add (&s->changed, 1);
  atomic_fetch_add (&s->sent, EBS_BLOCK_SIZE);
  return 0;
}

int
ebs_complete (struct aws_config *cfg, struct ebs_snapshot *s)
{
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  unsigned char agg[32];
  char b64[48], hcount[64], hsum[80], path[128];
  uint64_t n = 0;
  struct http_response r;

  if (ctx == NULL || EVP_DigestInit_ex (ctx, EVP_sha256 (), NULL) != 1) {
    EVP_MD_CTX_free (ctx);
    error ("CompleteSnapshot: cannot compute SHA-256");
    return -1;
  }
  for (uint64_t i = 0; i < s->nr_blocks; i++)
    if (s->written[i]) {
      EVP_DigestUpdate (ctx, s->sums[i], 32);
      n++;
    }
  EVP_DigestFinal_ex (ctx, agg, NULL);
  EVP_MD_CTX_free (ctx);
  sigv4_base64 (agg, 32, b64);
  snprintf (hcount, sizeof hcount, "x-amz-ChangedBlocksCount: %llu",
            (unsigned long long) n);
  snprintf (hsum, sizeof hsum, "x-amz-Checksum: %s", b64);
  snprintf (path, sizeof path, "/snapshots/completion/%s", s->id);
  {
    const char *const h[] = {
      hcount, hsum,
      "x-amz-Checksum-Algorithm: SHA256",
      "x-amz-Checksum-Aggregation-Method: LINEAR",
      NULL
    };
    struct aws_call c = {
      .service = AWS_EBS, .method = "POST", .path = path, .headers = h,
      .what = "CompleteSnapshot", .retry_codes = not_found,
      .retry_for = NOT_FOUND_WINDOW - (now_seconds () - s->started),
    };
    if (aws_call (cfg, &c, &r, NULL) == -1)
      return -1;
  }
  http_response_free (&r);
  debug ("aws: %s: completed with %llu blocks", s->id, (unsigned long long) n);
  return 0;
}

void
ebs_snapshot_free (struct ebs_snapshot *s)
{
  free (s->id);
  free (s->sums);
  free (s->written);
  memset (s, 0, sizeof *s);
}
