/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: one signed request to an AWS service, with AWS's retry rules.
 *
 * The request is signed again before every attempt (a long backoff
 * would leave the old X-Amz-Date stale, and the credentials may have
 * been renewed meanwhile), through http_opts.sign.  Responses are
 * judged by http_opts.retry_response: 5xx and the throttling codes are
 * tried again with exponential backoff and jitter; access and
 * validation errors end the call at once with AWS's own message.
 */

#include <config.h>

#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "aws.h"

#define MAX_ATTEMPTS 8
#define BACKOFF_CAP 20.0

/* Codes that say "slow down", whatever the status (EBS sends them
 * with 400, EC2 with 503, S3 with 503).
 */
static const char *const throttle_codes[] = {
  "Throttling", "ThrottlingException", "ThrottledException",
  "RequestThrottledException", "RequestThrottled", "RequestLimitExceeded",
  "TooManyRequestsException", "ProvisionedThroughputExceededException",
  "TransactionInProgressException", "BandwidthLimitExceeded",
  "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException",
  NULL
};

static bool
in_list (const char *const *l, const char *s)
{
  for (size_t i = 0; l && s && l[i]; i++)
    if (strcmp (l[i], s) == 0)
      return true;
  return false;
}

/* State of one call, for the hooks. */
struct callctx {
  struct aws_config *cfg;
  const struct aws_call *c;
  double start;
  double backoff;
  unsigned seed;
};

static char **
sign_hook (void *opaque, const char *method, const char *url,
           const char *const *headers, const void *body, size_t len)
{
  struct callctx *x = opaque;
  struct aws_creds cr = { 0 };
  char hash[65];
  const char *ph = x->c->payload_hash;
  unsigned flags = 0;
  char **h;

  if (aws_config_creds (x->cfg, &cr) == -1)
    return NULL;
  if (ph == NULL) {
    sigv4_sha256_hex (body, body ? len : 0, hash);
    ph = hash;
  }
  if (x->c->service == AWS_S3)
    flags |= SIGV4_S3 | SIGV4_CONTENT_SHA256;
  else if (strcmp (ph, "UNSIGNED-PAYLOAD") == 0)
    flags |= SIGV4_CONTENT_SHA256;
  h = sigv4_sign (&cr, x->cfg->region, aws_service_name (x->c->service),
                  method, url, headers, ph, flags, time (NULL));
  aws_creds_clear (&cr);
  return h;
}

static double
retry_hook (void *opaque, const struct http_response *r, int attempt)
{
  struct callctx *x = opaque;
  CLEANUP_FREE char *code = NULL, *msg = NULL;
  double d;

  if (r->status < 300)
    return -1;
  aws_error_parse (r, &code, &msg);
  /* A transient error the caller named (the snapshot that does not
   * exist yet): a steady 2 s until its time is up.
   */
  if (in_list (x->c->retry_codes, code) &&
      now_seconds () - x->start < x->c->retry_for) {
    debug ("aws: %s: %s, trying again in 2 s", x->c->what, code);
    return 2;
  }
  if (attempt >= MAX_ATTEMPTS)
    return -1;
  /* A 503 was not processed: safe to repeat even when the request is
   * not; another 5xx may have been.
   */
  if (!(in_list (throttle_codes, code) || r->status == 503 ||
        (r->status >= 500 && !x->c->once) ||
        (code && strcmp (code, "ValidationException") == 0 && msg &&
         strstr (msg, "Failed to read block data"))))
    return -1;
  /* Full jitter: anywhere up to the doubling backoff. */
  d = x->backoff * ((double) rand_r (&x->seed) / RAND_MAX);
  if (d < 0.05)
    d = 0.05;
  x->backoff = x->backoff * 2 > BACKOFF_CAP ? BACKOFF_CAP : x->backoff * 2;
  debug ("aws: %s: HTTP %ld %s, trying again in %.1f s", x->c->what,
         r->status, code ? code : "", d);
  return d;
}

const char *
aws_service_name (enum aws_service s)
{
  static const char *const names[AWS_NR_SERVICES] = { "ebs", "ec2", "s3", "sts" };
  return s < AWS_NR_SERVICES ? names[s] : "?";
}

int
aws_call (struct aws_config *cfg, const struct aws_call *c,
          struct http_response *r, char **err_code)
{
  struct callctx x = { .cfg = cfg, .c = c, .start = now_seconds (), .backoff = 1 };
  struct http_opts o = cfg->http;
  CLEANUP_FREE char *url = NULL, *code = NULL, *msg = NULL;
  const char *base = c->base ? c->base : cfg->endpoint[c->service];

  if (err_code)
    *err_code = NULL;
  x.seed = (unsigned) (x.start * 1e6) ^ (unsigned) (uintptr_t) &x;
  if (asprintf (&url, "%s%s%s%s", base, c->path, c->query ? "?" : "",
                c->query ? c->query : "") == -1) {
    url = NULL;
    error ("%s: out of memory", c->what);
    return -1;
  }
  o.sign = sign_hook;
  o.retry_response = retry_hook;
  o.opaque = &x;
  o.post_idempotent = !c->once;
  o.retries = MAX_ATTEMPTS - 1;
  if (http_request (&o, c->method, url, c->headers, c->body, c->len, r) == -1)
    return -1;
  if (r->status >= 200 && r->status < 300)
    return (int) r->status;

  aws_error_parse (r, &code, &msg);
  if (!(err_code && in_list (c->quiet_codes, code))) {
    CLEANUP_FREE char *d = code || msg ? NULL : http_describe (r);
    /* While cleaning up after a failure, the failure has been said:
     * what cannot be removed is a warning.
     */
    void (*say) (const char *, ...) = cfg->http.cleanup ? warning : error;
    if (code || msg)
      say ("%s: %s%s%s", c->what, code ? code : "", code && msg ? ": " : "",
           msg ? msg : "");
    else
      say ("%s: %s", c->what, d ? d : "error");
  }
  if (err_code) {
    *err_code = code;
    code = NULL;
  }
  http_response_free (r);
  return -1;
}
