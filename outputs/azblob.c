/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: one page blob in Azure Blob storage, or a managed disk's SAS:
 * Put Blob (an empty page blob), Put Page (update and clear), Get Page
 * Ranges, ranged Get Blob, Get Blob Properties and Delete Blob.  Each
 * request is authorised again before every attempt (a fresh x-ms-date
 * and, for SharedKey, a fresh signature) through http_opts.sign; a SAS
 * goes into the query, which messages never show.
 */

#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "azure.h"

#define MAX_RANGES (1u << 22)   /* more page ranges than this: refused */

static char **
sign_hook (void *opaque, const char *method, const char *url,
           const char *const *headers, const void *body, size_t len)
{
  const struct az_blob *b = opaque;
  (void) body;
  return az_blob_sign (b->auth, method, url, headers, len, time (NULL));
}

/* The blob's URL for messages: no query, so no SAS (owned). */
static char *
shown (const struct az_blob *b)
{
  char *u = http_redact_url (b->url);
  return u ? u : strdup ("the blob");
}

/* "HTTP 403 AuthenticationFailed: Server failed to authenticate ..." from
 * Azure's XML error (owned), or http_describe's text.
 */
static char *
describe (const struct http_response *r)
{
  const char *code = http_header (r, "x-ms-error-code");
  CLEANUP_FREE char *msg = NULL;
  char *s;

  if (r->body && r->len > 0 && r->len < (1u << 20)) {
    xmlDocPtr doc = xmlReadMemory (r->body, (int) r->len, "error.xml", NULL,
                                   XML_PARSE_NONET | XML_PARSE_NOERROR |
                                   XML_PARSE_NOWARNING);
    xmlNodePtr root = doc ? xmlDocGetRootElement (doc) : NULL;
    for (xmlNodePtr n = root ? root->children : NULL; n; n = n->next)
      if (n->type == XML_ELEMENT_NODE && xmlStrcmp (n->name, BAD_CAST "Message") == 0) {
        xmlChar *t = xmlNodeGetContent (n);
        if (t) {
          /* The first line: Azure adds "RequestId:..." lines. */
          msg = strndup ((char *) t, strcspn ((char *) t, "\r\n"));
          xmlFree (t);
        }
        break;
      }
    xmlFreeDoc (doc);
  }
  if (code == NULL && msg == NULL)
    return http_describe (r);
  if (asprintf (&s, "HTTP %ld %s%s%.300s", r->status, code ? code : "",
                code && msg ? ": " : "", msg ? msg : "") == -1)
    return NULL;
  /* Untrusted text: one line of printable characters. */
  for (char *p = s; *p; p++)
    if ((unsigned char) *p < 0x20 || *p == 0x7f)
      *p = ' ';
  return s;
}

/* One request; accept: the statuses that mean success.  0, 1 for
 * absent_ok and a 404, or -1 after error() "WHAT of blob URL: ...".
 */
static int
call (struct az_blob *b, const char *method, const char *query,
      const char *const *headers, const void *body, size_t len,
      const char *what, long accept1, long accept2, bool absent_ok,
      struct http_response *out)
{
  struct http_opts o = *b->http;
  struct http_response r;
  CLEANUP_FREE char *url = NULL, *full = NULL;
  int rc;

  o.sign = sign_hook;
  o.opaque = b;
  o.retry_response = NULL;
  if (query == NULL)
    url = strdup (b->url);
  else if (asprintf (&url, "%s?%s", b->url, query) == -1)
    url = NULL;
  full = url ? az_sas_url (b->auth, url) : NULL;
  if (full == NULL) {
    error ("-o azure: out of memory");
    return -1;
  }
  rc = http_request (&o, method, full, headers, body, len, &r);
  if (full)
    explicit_bzero (full, strlen (full));
  if (rc == -1)
    return -1;
  if (r.status == accept1 || r.status == accept2) {
    if (out)
      *out = r;
    else
      http_response_free (&r);
    return 0;
  }
  if (absent_ok && r.status == 404) {
    http_response_free (&r);
    return 1;
  }
  {
    CLEANUP_FREE char *u = shown (b), *d = describe (&r);
    error ("%s of blob \"%s\": %s", what, u ? u : "", d ? d : "failed");
  }
  http_response_free (&r);
  return -1;
}

int
azblob_create (struct az_blob *b, uint64_t size)
{
  char h[64];
  const char *const hs[] = { "x-ms-blob-type: PageBlob", h, NULL };

  if (b->managed_disk) {
    /* A managed disk's SAS takes pages only; Put Blob would fail there. */
    error ("create blob: not on a managed disk's SAS");
    return -1;
  }
  snprintf (h, sizeof h, "x-ms-blob-content-length: %" PRIu64, size);
  return call (b, "PUT", NULL, hs, NULL, 0, "create", 201, 201, false, NULL);
}

static int
put (struct az_blob *b, uint64_t offset, const void *buf, size_t len, bool clear)
{
  char range[80];
  const char *const hs[] = {
    clear ? "x-ms-page-write: clear" : "x-ms-page-write: update", range, NULL
  };
  char what[80];

  if (len == 0 || len > PAGE_MAX || offset % 512 || len % 512) {
    error ("-o azure: %s of %zu bytes at %" PRIu64 ": not whole pages of at most 4 MiB",
           clear ? "clear" : "put page", len, offset);
    return -1;
  }
  snprintf (range, sizeof range, "x-ms-range: bytes=%" PRIu64 "-%" PRIu64,
            offset, offset + len - 1);
  snprintf (what, sizeof what, "%s at %" PRIu64, clear ? "clear pages" : "put page",
            offset);
  return call (b, "PUT", "comp=page", hs, clear ? NULL : buf, clear ? 0 : len,
               what, 201, 201, false, NULL);
}

int
azblob_put_page (struct az_blob *b, uint64_t offset, const void *buf, size_t len)
{
  return put (b, offset, buf, len, false);
}

int
azblob_clear_pages (struct az_blob *b, uint64_t offset, uint64_t len)
{
  return put (b, offset, NULL, (size_t) len, true);
}

static uint64_t
number (xmlNodePtr n, bool *ok)
{
  xmlChar *t = xmlNodeGetContent (n);
  char *end;
  unsigned long long v = 0;

  if (t == NULL || t[0] < '0' || t[0] > '9')
    *ok = false;
  else {
    errno = 0;
    v = strtoull ((char *) t, &end, 10);
    if (errno || *end)
      *ok = false;
  }
  xmlFree (t);
  return v;
}

int
azblob_parse_ranges (const char *xml, size_t len, struct az_range **v, size_t *n,
                     char **next)
{
  xmlDocPtr doc;
  xmlNodePtr root;
  bool ok = true;
  size_t cap = *n;

  *next = NULL;
  if (len == 0 || len > INT32_MAX)
    return -1;
  doc = xmlReadMemory (xml, (int) len, "pagelist.xml", NULL,
                       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  root = doc ? xmlDocGetRootElement (doc) : NULL;
  if (root == NULL || xmlStrcmp (root->name, BAD_CAST "PageList") != 0)
    ok = false;
  for (xmlNodePtr p = root ? root->children : NULL; ok && p; p = p->next) {
    uint64_t start = 0, end = 0;
    bool hs = false, he = false;

    if (p->type != XML_ELEMENT_NODE)
      continue;
    if (xmlStrcmp (p->name, BAD_CAST "NextMarker") == 0) {
      xmlChar *t = xmlNodeGetContent (p);
      /* The last one counts (a well-formed answer has one). */
      if (t && *t) {
        free (*next);
        *next = strdup ((char *) t);
      }
      xmlFree (t);
      continue;
    }
    if (xmlStrcmp (p->name, BAD_CAST "PageRange") != 0)
      continue;                 /* ClearRange: nothing held there */
    for (xmlNodePtr c = p->children; ok && c; c = c->next) {
      if (c->type != XML_ELEMENT_NODE)
        continue;
      if (xmlStrcmp (c->name, BAD_CAST "Start") == 0)
        start = number (c, &ok), hs = true;
      else if (xmlStrcmp (c->name, BAD_CAST "End") == 0)
        end = number (c, &ok), he = true;
    }
    /* [Start, End] inclusive, whole pages. */
    if (!ok || !hs || !he || start > end || start % 512 || (end + 1) % 512 ||
        end == UINT64_MAX || *n >= MAX_RANGES) {
      ok = false;
      break;
    }
    if (*n == cap) {
      size_t nc = cap ? cap * 2 : 64;
      struct az_range *nv = realloc (*v, nc * sizeof *nv);
      if (nv == NULL) {
        ok = false;
        break;
      }
      *v = nv;
      cap = nc;
    }
    (*v)[*n].start = start;
    (*v)[*n].end = end + 1;
    (*n)++;
  }
  xmlFreeDoc (doc);
  if (!ok) {
    free (*next);
    *next = NULL;
    return -1;
  }
  return 0;
}

int
azblob_page_ranges (struct az_blob *b, struct az_range **v, size_t *n)
{
  CLEANUP_FREE char *marker = NULL;

  *v = NULL;
  *n = 0;
  for (int pages = 0; ; pages++) {
    struct http_response r;
    CLEANUP_FREE char *q = NULL;
    char *next = NULL;

    if (pages > 100000) {
      error ("get page ranges: the service's list does not end");
      goto fail;
    }
    if (marker) {
      char *em = curl_easy_escape (NULL, marker, 0);
      if (em == NULL || asprintf (&q, "comp=pagelist&marker=%s", em) == -1)
        q = NULL;
      curl_free (em);
    }
    else
      q = strdup ("comp=pagelist");
    if (q == NULL) {
      error ("-o azure: out of memory");
      goto fail;
    }
    if (call (b, "GET", q, NULL, NULL, 0, "get page ranges", 200, 200, false, &r) == -1)
      goto fail;
    if (azblob_parse_ranges (r.body, r.len, v, n, &next) == -1) {
      CLEANUP_FREE char *u = shown (b);
      error ("get page ranges of blob \"%s\": the answer is not a page list", u);
      http_response_free (&r);
      goto fail;
    }
    http_response_free (&r);
    free (marker);
    marker = next;
    if (marker == NULL)
      break;
  }
  /* Ranges are in order and do not overlap: the service's rule, checked. */
  for (size_t i = 1; i < *n; i++)
    if ((*v)[i].start < (*v)[i - 1].end) {
      CLEANUP_FREE char *u = shown (b);
      error ("get page ranges of blob \"%s\": the ranges overlap or are out of order", u);
      goto fail;
    }
  return 0;
 fail:
  free (*v);
  *v = NULL;
  *n = 0;
  return -1;
}

int
azblob_read (struct az_blob *b, uint64_t offset, void *buf, size_t len)
{
  char range[80];
  const char *const hs[] = { range, NULL };
  struct http_response r;

  snprintf (range, sizeof range, "x-ms-range: bytes=%" PRIu64 "-%" PRIu64,
            offset, offset + len - 1);
  if (call (b, "GET", NULL, hs, NULL, 0, "read", 206, 200, false, &r) == -1)
    return -1;
  if (r.len != len) {
    CLEANUP_FREE char *u = shown (b);
    error ("read of blob \"%s\" at %" PRIu64 ": %zu bytes came, not %zu", u, offset,
           r.len, len);
    http_response_free (&r);
    return -1;
  }
  memcpy (buf, r.body, len);
  http_response_free (&r);
  return 0;
}

int
azblob_size (struct az_blob *b, uint64_t *size)
{
  struct http_response r;
  const char *v;
  char *end;
  int st = call (b, "HEAD", NULL, NULL, NULL, 0, "get properties", 200, 200, true, &r);

  if (st != 0)
    return st;
  v = http_header (&r, "content-length");
  errno = 0;
  *size = v ? strtoull (v, &end, 10) : 0;
  if (v == NULL || errno || end == v) {
    CLEANUP_FREE char *u = shown (b);
    error ("get properties of blob \"%s\": no Content-Length", u);
    http_response_free (&r);
    return -1;
  }
  http_response_free (&r);
  return 0;
}

int
azblob_delete (struct az_blob *b)
{
  const char *const hs[] = { "x-ms-delete-snapshots: include", NULL };
  int st = call (b, "DELETE", NULL, hs, NULL, 0, "delete", 202, 200, true, NULL);
  return st == -1 ? -1 : 0;
}
