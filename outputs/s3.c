/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: S3 multipart upload of an object written as a stream.
 *
 * The writer fills one part buffer while a thread sends the previous
 * part, so compressing and uploading overlap.  Every part's SHA-256 is
 * signed (the payload is in memory anyway).  Requests are path-style
 * (ENDPOINT/bucket/key), which both AWS and S3-compatible servers take.
 */

#include <config.h>

#include <stdio.h>
#include <string.h>

#include "aws.h"

#define MIN_PART (5u << 20)
#define MAX_PARTS 10000

static char *
object_path (const char *bucket, const char *key)
{
  CLEANUP_FREE char *b = sigv4_uri_encode (bucket, false);
  CLEANUP_FREE char *k = key ? sigv4_uri_encode (key, true) : NULL;
  char *p;

  if (b == NULL || (key && k == NULL))
    return NULL;
  if (asprintf (&p, "/%s%s%s", b, k ? "/" : "", k ? k : "") == -1)
    return NULL;
  return p;
}

/* One S3 request; *r on success (2xx and no <Error> body). */
static int
s3_request (struct aws_config *cfg, const char *what, const char *method,
            const char *path, const char *query, const char *const *headers,
            const void *body, size_t len, struct http_response *r,
            char **err_code)
{
  struct aws_call c = {
    .service = AWS_S3, .method = method, .path = path, .query = query,
    .headers = headers, .body = body, .len = len, .what = what,
  };

  if (aws_call (cfg, &c, r, err_code) == -1)
    return -1;
  /* CompleteMultipartUpload can answer 200 with an error inside. */
  if (r->body && strstr (r->body, "<Error>")) {
    CLEANUP_FREE char *code = NULL, *msg = NULL;
    aws_error_parse (r, &code, &msg);
    error ("%s: %s%s%s", what, code ? code : "error", msg ? ": " : "", msg ? msg : "");
    http_response_free (r);
    return -1;
  }
  return 0;
}

int
s3_check_bucket (struct aws_config *cfg, const char *bucket)
{
  CLEANUP_FREE char *path = object_path (bucket, NULL);
  CLEANUP_FREE char *what = NULL;
  struct http_response r;

  if (path == NULL || asprintf (&what, "check the bucket \"%s\"", bucket) == -1) {
    error ("S3: out of memory");
    return -1;
  }
  /* GET ?location is a small answer with an error code in it (HEAD
   * has no body to say why).
   */
  if (s3_request (cfg, what, "GET", path, "location", NULL, NULL, 0, &r, NULL) == -1)
    return -1;
  http_response_free (&r);
  return 0;
}

int
s3_upload_start (struct s3_upload *u, struct aws_config *cfg,
                 const char *bucket, const char *key, size_t part_size)
{
  CLEANUP_FREE char *path = object_path (bucket, key);
  struct http_response r;
  const char *const h[] = { "Content-Type: application/octet-stream", NULL };

  memset (u, 0, sizeof *u);
  u->cfg = cfg;
  u->part_size = part_size < MIN_PART ? MIN_PART : part_size;
  u->bucket = strdup (bucket);
  u->key = strdup (key);
  u->buf[0] = malloc (u->part_size);
  u->buf[1] = malloc (u->part_size);
  if (path == NULL || !u->bucket || !u->key || !u->buf[0] || !u->buf[1]) {
    error ("S3 upload: out of memory");
    return -1;
  }
  if (s3_request (cfg, "CreateMultipartUpload", "POST", path, "uploads", h,
                  NULL, 0, &r, NULL) == -1)
    return -1;
  u->upload_id = aws_xml_text (r.body, r.len, "UploadId");
  http_response_free (&r);
  if (u->upload_id == NULL) {
    error ("CreateMultipartUpload: the answer has no UploadId");
    return -1;
  }
  debug ("aws: multipart upload of s3://%s/%s, parts of %zu MiB", bucket, key,
         u->part_size >> 20);
  return 0;
}

static int
put_part (struct s3_upload *u, size_t n, const void *data, size_t len)
{
  CLEANUP_FREE char *path = object_path (u->bucket, u->key);
  CLEANUP_FREE char *query = NULL, *id = sigv4_uri_encode (u->upload_id, false);
  char what[64];
  struct http_response r;
  const char *etag;

  if (path == NULL || id == NULL ||
      asprintf (&query, "partNumber=%zu&uploadId=%s", n, id) == -1) {
    error ("UploadPart: out of memory");
    return -1;
  }
  snprintf (what, sizeof what, "UploadPart %zu", n);
  if (s3_request (u->cfg, what, "PUT", path, query, NULL, data, len, &r, NULL) == -1)
    return -1;
  etag = http_header (&r, "etag");
  if (etag == NULL) {
    http_response_free (&r);
    error ("%s: the answer has no ETag", what);
    return -1;
  }
  u->etags[n - 1] = strdup (etag);
  http_response_free (&r);
  if (u->etags[n - 1] == NULL) {
    error ("%s: out of memory", what);
    return -1;
  }
  u->sent += len;
  return 0;
}

static void *
part_thread (void *arg)
{
  struct s3_upload *u = arg;
  u->thread_result = put_part (u, u->job_n, u->job_data, u->job_len);
  return NULL;
}

/* Wait for the part in flight.  0 or -1 (it failed and said why). */
static int
wait_part (struct s3_upload *u)
{
  if (!u->busy)
    return 0;
  pthread_join (u->thread, NULL);
  u->busy = false;
  return u->thread_result;
}

/* Send buf[cur] (fill bytes) as the next part, in the background. */
static int
send_current (struct s3_upload *u)
{
  char **t;

  if (wait_part (u) == -1)
    return -1;
  if (u->nr_parts >= MAX_PARTS) {
    error ("S3 upload: more than %d parts of %zu MiB", MAX_PARTS, u->part_size >> 20);
    return -1;
  }
  t = realloc (u->etags, (u->nr_parts + 1) * sizeof *t);
  if (t == NULL) {
    error ("S3 upload: out of memory");
    return -1;
  }
  u->etags = t;
  u->etags[u->nr_parts++] = NULL;
  u->job_n = u->nr_parts;
  u->job_data = u->buf[u->cur];
  u->job_len = u->fill;
  if (pthread_create (&u->thread, NULL, part_thread, u) != 0) {
    error ("S3 upload: cannot start a thread");
    return -1;
  }
  u->busy = true;
  u->cur = 1 - u->cur;
  u->fill = 0;
  return 0;
}

int
s3_upload_write (void *opaque, const void *buf, size_t len)
{
  struct s3_upload *u = opaque;
  const unsigned char *p = buf;

  while (len > 0) {
    size_t n = u->part_size - u->fill;
    if (n > len)
      n = len;
    memcpy (u->buf[u->cur] + u->fill, p, n);
    u->fill += n;
    p += n;
    len -= n;
    if (u->fill == u->part_size && send_current (u) == -1)
      return -1;
  }
  return 0;
}

int
s3_upload_finish (struct s3_upload *u)
{
  CLEANUP_FREE char *path = object_path (u->bucket, u->key);
  CLEANUP_FREE char *query = NULL, *id = sigv4_uri_encode (u->upload_id, false);
  struct sbuf b = SBUF_INIT;
  CLEANUP_FREE char *body = NULL;
  struct http_response r;
  const char *const h[] = { "Content-Type: application/xml", NULL };
  bool ok;

  if ((u->fill > 0 || u->nr_parts == 0) && send_current (u) == -1)
    return -1;
  if (wait_part (u) == -1)
    return -1;
  ok = sbuf_puts (&b, "<CompleteMultipartUpload>") == 0;
  for (size_t i = 0; ok && i < u->nr_parts; i++)
    ok = sbuf_printf (&b, "<Part><PartNumber>%zu</PartNumber><ETag>%s</ETag></Part>",
                      i + 1, u->etags[i]) == 0;
  ok = ok && sbuf_puts (&b, "</CompleteMultipartUpload>") == 0;
  body = sbuf_take (&b);
  if (!ok || body == NULL || path == NULL || id == NULL ||
      asprintf (&query, "uploadId=%s", id) == -1) {
    sbuf_free (&b);
    error ("CompleteMultipartUpload: out of memory");
    return -1;
  }
  if (s3_request (u->cfg, "CompleteMultipartUpload", "POST", path, query, h,
                  body, strlen (body), &r, NULL) == -1)
    return -1;
  http_response_free (&r);
  u->completed = true;
  return 0;
}

int
s3_upload_abort (struct s3_upload *u)
{
  CLEANUP_FREE char *path = NULL, *query = NULL, *id = NULL;
  struct http_response r;
  int ret = 0;

  wait_part (u);
  if (u->upload_id && !u->completed) {
    path = object_path (u->bucket, u->key);
    id = sigv4_uri_encode (u->upload_id, false);
    if (path && id && asprintf (&query, "uploadId=%s", id) != -1 &&
        s3_request (u->cfg, "AbortMultipartUpload", "DELETE", path, query,
                    NULL, NULL, 0, &r, NULL) == 0)
      http_response_free (&r);
    else
      ret = -1;
  }
  s3_upload_free (u);
  return ret;
}

void
s3_upload_free (struct s3_upload *u)
{
  wait_part (u);
  free (u->bucket);
  free (u->key);
  free (u->upload_id);
  free (u->buf[0]);
  free (u->buf[1]);
  for (size_t i = 0; i < u->nr_parts; i++)
    free (u->etags[i]);
  free (u->etags);
  memset (u, 0, sizeof *u);
}

int
s3_delete (struct aws_config *cfg, const char *bucket, const char *key)
{
  CLEANUP_FREE char *path = object_path (bucket, key);
  struct http_response r;

  if (path == NULL) {
    error ("DeleteObject: out of memory");
    return -1;
  }
  if (s3_request (cfg, "DeleteObject", "DELETE", path, NULL, NULL, NULL, 0,
                  &r, NULL) == -1)
    return -1;
  http_response_free (&r);
  return 0;
}
