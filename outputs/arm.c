/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: requests to Azure Resource Manager, and its long-running
 * operations.
 *
 * Every attempt carries a bearer token from azure-creds.c (through the
 * http_opts sign hook, so a retry after a token refresh has the new
 * one).  http.c retries 429 and 5xx with Retry-After; a 401 saying the
 * token expired or is invalid renews it and repeats the request once.
 * Long-running operations (a 201 or 202 with Azure-AsyncOperation or
 * Location) are polled here.  ARM's answers come from the network:
 * they are parsed with jansson, and what reaches a message is
 * sanitised by error() and cut to a few hundred bytes.
 */

#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "outputs.h"
#include "azure.h"

/* Longest a long-running operation may take. */
#define LRO_LIMIT (3600.0)

static char **
arm_sign (void *opaque, const char *method, const char *url,
          const char *const *headers, const void *body, size_t len)
{
  struct az_config *cfg = opaque;
  char **h = calloc (2, sizeof *h);

  (void) method; (void) url; (void) headers; (void) body; (void) len;
  if (h == NULL) {
    error ("azure: out of memory");
    return NULL;
  }
  h[0] = az_auth_header (cfg, false);
  if (h[0] == NULL) {
    free (h);
    return NULL;
  }
  return h;
}

const char *
arm_json_str (json_t *j, const char *path)
{
  char key[64];

  while (j && *path) {
    size_t n = strcspn (path, "/");
    if (n >= sizeof key)
      return NULL;
    memcpy (key, path, n);
    key[n] = '\0';
    j = json_object_get (j, key);
    path += n;
    if (*path == '/')
      path++;
  }
  return json_string_value (j);
}

/* "HTTP 409 OperationNotAllowed: message" from an ARM error document
 * ({"error": {"code", "message"}}) or the status alone (owned).
 */
static char *
arm_describe (const struct http_response *r)
{
  json_t *j = NULL;
  const char *code = NULL, *msg = NULL;
  char *s = NULL;

  if (r->body && r->len)
    j = json_loadb (r->body, r->len, 0, NULL);
  if (j) {
    json_t *e = json_object_get (j, "error");
    if (json_is_object (json_object_get (e, "error")))
      e = json_object_get (e, "error");     /* LRO results nest it */
    code = json_string_value (json_object_get (e, "code"));
    msg = json_string_value (json_object_get (e, "message"));
  }
  if (code || msg) {
    if (asprintf (&s, "HTTP %ld %s%s%.300s", r->status, code ? code : "",
                  code && msg ? ": " : "", msg ? msg : "") == -1)
      s = NULL;
  }
  else
    s = http_describe (r);
  json_decref (j);
  return s;
}

/* Wait secs (interruptible: -1 when interrupted and not cleaning up). */
static int
arm_pause (const struct az_config *cfg, double secs)
{
  struct timespec ts;

  while (secs > 0) {
    double step = secs > 0.2 ? 0.2 : secs;
    if (!cfg->http.cleanup && interrupted ())
      return -1;
    ts.tv_sec = (time_t) step;
    ts.tv_nsec = (long) ((step - (double) ts.tv_sec) * 1e9);
    nanosleep (&ts, NULL);
    secs -= step;
  }
  return 0;
}

/* One request to an absolute URL, with the token; a 401 for an expired
 * or rejected token renews it and repeats once.  0 with *r, or -1.
 */
static int
arm_send (struct az_config *cfg, const char *method, const char *url,
          const char *body, struct http_response *r)
{
  struct http_opts o = cfg->http;
  const char *const json_h[] = {
    "Content-Type: application/json", "Accept: application/json", NULL
  };
  const char *const get_h[] = { "Accept: application/json", NULL };

  o.sign = arm_sign;
  o.opaque = cfg;
  o.retry_response = NULL;
  /* ARM's POST actions here (beginGetAccess, endGetAccess) may be
   * repeated: they are idempotent on the service's side.
   */
  o.post_idempotent = true;
  for (int attempt = 0; attempt < 2; attempt++) {
    if (http_request (&o, method, url, body ? json_h : get_h, body,
                      body ? strlen (body) : 0, r) == -1)
      return -1;
    if (r->status != 401 || attempt == 1)
      return 0;
    debug ("azure: %s: HTTP 401, renewing the token", method);
    http_response_free (r);
    {
      char *h = az_auth_header (cfg, true);
      if (h == NULL)
        return -1;
      az_free_secret (h);
    }
  }
  return 0;
}

/* The seconds to wait before polling again. */
static double
poll_delay (const struct http_response *r, double dflt)
{
  if (r->retry_after > 0)
    return r->retry_after > 60 ? 60 : (double) r->retry_after;
  if (http_header (r, "retry-after") && r->retry_after == 0)
    return 0;                   /* "Retry-After: 0" */
  return dflt;
}

/* Poll a long-running operation.  async: the Azure-AsyncOperation URL
 * (a status document), else location: the Location URL (202 until it
 * ends, then the result).  *out: for async, the status document's
 * properties.output if any; for location, the final body.
 */
static int
arm_poll (struct az_config *cfg, const char *what, const char *async,
          const char *location, double first_delay, json_t **out)
{
  double waited = 0, delay = first_delay;
  double backoff = 1;

  *out = NULL;
  for (;;) {
    struct http_response r;
    json_t *j;
    const char *status;

    if (waited > LRO_LIMIT) {
      error ("%s: the operation did not end within %.0f minutes", what,
             LRO_LIMIT / 60);
      return -1;
    }
    if (arm_pause (cfg, delay) == -1) {
      error ("%s: interrupted", what);
      return -1;
    }
    waited += delay;
    if (arm_send (cfg, "GET", async ? async : location, NULL, &r) == -1)
      return -1;
    if (location && !async) {
      if (r.status == 202) {
        delay = poll_delay (&r, backoff);
        backoff = backoff * 2 > 10 ? 10 : backoff * 2;
        http_response_free (&r);
        continue;
      }
      if (r.status == 200 || r.status == 201 || r.status == 204) {
        if (r.len)
          *out = json_loadb (r.body, r.len, 0, NULL);
        http_response_free (&r);
        return 0;
      }
      {
        CLEANUP_FREE char *d = arm_describe (&r);
        error ("%s: %s", what, d ? d : "failed");
      }
      http_response_free (&r);
      return -1;
    }
    if (r.status != 200) {
      CLEANUP_FREE char *d = arm_describe (&r);
      error ("%s: poll the operation: %s", what, d ? d : "failed");
      http_response_free (&r);
      return -1;
    }
    j = json_loadb (r.body, r.len, 0, NULL);
    status = json_string_value (json_object_get (j, "status"));
    if (status == NULL) {
      error ("%s: the operation's status is not JSON with a \"status\"", what);
      json_decref (j);
      http_response_free (&r);
      return -1;
    }
    if (strcasecmp (status, "Succeeded") == 0) {
      json_t *o = json_object_get (json_object_get (j, "properties"), "output");
      if (o)
        *out = json_incref (o);
      json_decref (j);
      http_response_free (&r);
      return 0;
    }
    if (strcasecmp (status, "Failed") == 0 || strcasecmp (status, "Canceled") == 0) {
      const char *code = arm_json_str (j, "error/code");
      const char *msg = arm_json_str (j, "error/message");
      error ("%s: the operation %s%s%s%s%.300s", what,
             strcasecmp (status, "Failed") == 0 ? "failed" : "was cancelled",
             code || msg ? ": " : "", code ? code : "",
             code && msg ? ": " : "", msg ? msg : "");
      json_decref (j);
      http_response_free (&r);
      return -1;
    }
    debug ("azure: %s: %s", what, status);
    delay = poll_delay (&r, backoff);
    backoff = backoff * 2 > 10 ? 10 : backoff * 2;
    json_decref (j);
    http_response_free (&r);
  }
}

int
arm_request (struct az_config *cfg, const char *method, const char *path,
             const char *api, json_t *body, const char *what,
             unsigned flags, json_t **out)
{
  CLEANUP_FREE char *url = NULL, *text = NULL;
  CLEANUP_FREE char *async = NULL, *location = NULL;
  struct http_response r;
  json_t *doc = NULL;
  long status;

  if (out)
    *out = NULL;
  if (asprintf (&url, "%s%s%sapi-version=%s", cfg->arm, path,
                strchr (path, '?') ? "&" : "?", api) == -1) {
    url = NULL;
    error ("%s: out of memory", what);
    return -1;
  }
  if (body) {
    text = json_dumps (body, JSON_COMPACT);
    if (text == NULL) {
      error ("%s: out of memory", what);
      return -1;
    }
  }
  if (arm_send (cfg, method, url, text, &r) == -1)
    return -1;
  status = r.status;
  if ((flags & ARM_ABSENT_OK) && (status == 404 || (status == 204 &&
                                                    strcmp (method, "DELETE") == 0))) {
    http_response_free (&r);
    return (int) status;
  }
  if (status < 200 || status > 299) {
    CLEANUP_FREE char *d = arm_describe (&r);
    error ("%s: %s", what, d ? d : "failed");
    http_response_free (&r);
    return -1;
  }
  if (r.len && r.body[0] == '{')
    doc = json_loadb (r.body, r.len, 0, NULL);
  if (http_header (&r, "azure-asyncoperation"))
    async = strdup (http_header (&r, "azure-asyncoperation"));
  if (http_header (&r, "location"))
    location = strdup (http_header (&r, "location"));

  if ((status == 201 || status == 202) && (async || location) &&
      !(flags & ARM_NO_WAIT)) {
    json_t *res = NULL;
    double delay = poll_delay (&r, 1);

    http_response_free (&r);
    if (arm_poll (cfg, what, async, async ? NULL : location, delay, &res) == -1) {
      json_decref (doc);
      return -1;
    }
    if (strcmp (method, "PUT") == 0 || strcmp (method, "PATCH") == 0) {
      /* The resource as it is now that the operation has ended. */
      json_decref (res);
      json_decref (doc);
      doc = NULL;
      if (out) {
        if (arm_request (cfg, "GET", path, api, NULL, what, 0, &doc) == -1)
          return -1;
      }
    }
    else if (res) {
      json_decref (doc);
      doc = res;
    }
    else if (async && location && strcmp (method, "POST") == 0) {
      /* The result of a POST action is at Location once it ended. */
      json_decref (doc);
      doc = NULL;
      if (arm_send (cfg, "GET", location, NULL, &r) == -1)
        return -1;
      if (r.status == 200 && r.len)
        doc = json_loadb (r.body, r.len, 0, NULL);
      http_response_free (&r);
    }
  }
  else
    http_response_free (&r);

  if (out)
    *out = doc;
  else
    json_decref (doc);
  return (int) status;
}

/* Percent-encode one path segment (owned). */
static char *
seg (const char *s)
{
  char *e = curl_easy_escape (NULL, s, 0);
  char *r = e ? strdup (e) : NULL;
  curl_free (e);
  return r;
}

char *
arm_compute_path (const char *sub, const char *rg, const char *kind,
                  const char *name)
{
  CLEANUP_FREE char *s = seg (sub), *g = seg (rg), *n = seg (name);
  char *p;

  if (s == NULL || g == NULL || n == NULL)
    return NULL;
  if (asprintf (&p, "/subscriptions/%s/resourceGroups/%s/providers/"
                "Microsoft.Compute/%s/%s", s, g, kind, n) == -1)
    return NULL;
  return p;
}
