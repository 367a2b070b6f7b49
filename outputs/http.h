/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: the HTTP layer of the cloud outputs (outputs/http.c).
 *
 * libcurl underneath, one easy handle per call, so that an upload can
 * run in its own thread while the main thread makes other requests.
 * Only http:// and https://, HTTP/1.1, no redirects followed.
 *
 * Secrets stay out of every message: header values, request bodies and
 * query strings are never printed; URLs go through http_redact_url().
 */

#ifndef FERRY_HTTP_H
#define FERRY_HTTP_H

#include <stdatomic.h>

#include "common.h"

struct http_response;

struct http_opts {
  const char *cacert;           /* CA bundle file, or NULL for the system's */
  bool insecure;                /* verify: false: no TLS verification (warned once) */
  long connect_timeout;         /* seconds, 0 = 30 */
  long timeout;                 /* whole request, small requests: seconds, 0 = 300 */
  int retries;                  /* extra attempts when retryable, 0 = 4, -1 = none */
  /* Cleanup after a failure or SIGINT (deleting what was created):
   * interrupted() is ignored, at most 2 retries, at most 60 s a request.
   */
  bool cleanup;

  /* For signed APIs (outputs/aws-call.c): called before every attempt
   * of http_request(), it returns the headers to add to that attempt,
   * such as a fresh signature: NULL-terminated, each string and the
   * array malloc'd; http_request() wipes and frees them.  NULL after
   * error() ends the request.
   */
  char **(*sign) (void *opaque, const char *method, const char *url,
                  const char *const *headers, const void *body, size_t len);
  /* Called for every response of http_request(), in place of the
   * status rule below: the seconds to wait before trying again, or < 0
   * to return the response.  attempt counts from 1.  It sets its own
   * limits; retries still bounds connection failures.
   */
  double (*retry_response) (void *opaque, const struct http_response *r,
                            int attempt);
  void *opaque;                 /* for sign and retry_response */
  /* POST requests are safe to repeat after a failure that may have
   * reached the server (the API is idempotent, or read-only).
   */
  bool post_idempotent;
};

struct http_response {
  long status;                  /* HTTP status, 0 if no response */
  char *body;                   /* owned, NUL-terminated */
  size_t len;
  char **headers;               /* owned "name: value" lines, names in lower
                                   case, NULL-terminated */
  int64_t retry_after;          /* libcurl's reading of Retry-After, in
                                   seconds (either form), 0 if none */
};

/* One request with a small body in memory (body NULL or len 0: none).
 * headers: "Name: value" strings, NULL-terminated, or NULL.
 *
 * Retried with backoff (0.5 s doubling up to 8 s, or Retry-After up to
 * 30 s) on connection failures, timeouts and HTTP 429/502/503/504, for
 * GET, HEAD, PUT and DELETE; any other method only when nothing was
 * sent.  Returns 0 when a response came (any status: the caller
 * decides; after the last retry that is the last 503), or -1 after
 * error() when none could be had.
 */
extern int http_request (const struct http_opts *o, const char *method,
                         const char *url, const char *const *headers,
                         const void *body, size_t len,
                         struct http_response *r);

/* The request body streamed from fd until EOF, chunked unless headers
 * has a Content-Length.  Never retried.  No overall timeout: it gives
 * up when less than 1 byte/s moves for 120 s, and on interrupted().
 * A stream cut short is never sent as complete: EOF on fd after an
 * interruption, or after the writer set *cancel (cancel may be NULL),
 * aborts the request.  0 with *r (any status), or -1 after error().
 */
extern int http_upload_fd (const struct http_opts *o, const char *method,
                           const char *url, const char *const *headers,
                           int fd, const atomic_bool *cancel,
                           struct http_response *r);

/* The value of header 'name' (any case), or NULL.  Points into r. */
extern const char *http_header (const struct http_response *r,
                                const char *name);
extern void http_response_free (struct http_response *r);

/* "HTTP 503 Service Unavailable: <up to 200 bytes of the error text>"
 * (owned), or NULL if out of memory.
 */
extern char *http_describe (const struct http_response *r);

/* url without userinfo, query string and fragment (owned), or NULL if
 * out of memory: the only form of a URL that messages show.
 */
extern char *http_redact_url (const char *url);

#endif /* FERRY_HTTP_H */
