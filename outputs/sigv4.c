/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: AWS Signature Version 4, on OpenSSL (see sigv4.h).
 *
 * Canonical request: METHOD, canonical URI, canonical query,
 * canonical headers, signed headers and payload hash, one a line.
 * The signing key and the signature are wiped after use; nothing here
 * prints.
 */

#include <config.h>

#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sigv4.h"

/* Wipe and free a string. */
static void
wipe_free (char *s)
{
  if (s)
    OPENSSL_cleanse (s, strlen (s));
  free (s);
}

void
aws_creds_clear (struct aws_creds *c)
{
  wipe_free (c->secret_key);
  wipe_free (c->session_token);
  free (c->access_key);
  c->access_key = c->secret_key = c->session_token = NULL;
  c->expiration = 0;
}

static int
dup_or_null (char **to, const char *from)
{
  *to = NULL;
  if (from && (*to = strdup (from)) == NULL)
    return -1;
  return 0;
}

int
aws_creds_copy (struct aws_creds *to, const struct aws_creds *from)
{
  struct aws_creds c = { NULL, NULL, NULL, from->expiration };

  if (dup_or_null (&c.access_key, from->access_key) == -1
      || dup_or_null (&c.secret_key, from->secret_key) == -1
      || dup_or_null (&c.session_token, from->session_token) == -1) {
    aws_creds_clear (&c);
    error ("copy aws credentials: out of memory");
    return -1;
  }
  *to = c;
  return 0;
}

void
sigv4_free_headers (char **h)
{
  size_t i;

  if (h == NULL)
    return;
  for (i = 0; h[i]; i++)
    wipe_free (h[i]);
  free (h);
}

void
sigv4_sha256 (const void *buf, size_t len, unsigned char out[32])
{
  unsigned int n = 32;

  if (EVP_Digest (buf, len, out, &n, EVP_sha256 (), NULL) != 1)
    memset (out, 0, 32);
}

static void
to_hex (const unsigned char *in, size_t len, char *out)
{
  static const char hex[] = "0123456789abcdef";
  size_t i;

  for (i = 0; i < len; i++) {
    out[2 * i] = hex[in[i] >> 4];
    out[2 * i + 1] = hex[in[i] & 15];
  }
  out[2 * len] = '\0';
}

void
sigv4_sha256_hex (const void *buf, size_t len, char out[65])
{
  unsigned char md[32];

  sigv4_sha256 (buf, len, md);
  to_hex (md, 32, out);
}

char *
sigv4_base64 (const unsigned char *in, size_t len, char *out)
{
  EVP_EncodeBlock ((unsigned char *) out, in, (int) len);
  return out;
}

static int
unreserved (unsigned char c)
{
  return isascii (c) && (isalnum (c) || c == '-' || c == '_' || c == '.'
                         || c == '~');
}

/* Encode n bytes of s onto b. */
static int
encode_add (struct sbuf *b, const char *s, size_t n, bool keep_slash)
{
  static const char hex[] = "0123456789ABCDEF";
  size_t i;

  for (i = 0; i < n; i++) {
    unsigned char c = s[i];
    char e[3] = { '%', hex[c >> 4], hex[c & 15] };

    if (unreserved (c) || (keep_slash && c == '/')) {
      if (sbuf_add (b, (const char *) &s[i], 1) == -1)
        return -1;
    }
    else if (sbuf_add (b, e, 3) == -1)
      return -1;
  }
  return 0;
}

char *
sigv4_uri_encode (const char *s, bool keep_slash)
{
  struct sbuf b = SBUF_INIT;

  if (encode_add (&b, s, strlen (s), keep_slash) == -1) {
    sbuf_free (&b);
    return NULL;
  }
  return sbuf_take (&b);
}

/* The byte written "XX" at s, or -1. */
static int
hexbyte (const char *s)
{
  unsigned char h = s[0], l = s[1];

  if (!isxdigit (h) || !isxdigit (l))
    return -1;
  return (isdigit (h) ? h - '0' : tolower (h) - 'a' + 10) * 16
    + (isdigit (l) ? l - '0' : tolower (l) - 'a' + 10);
}

/* Decode %XX in n bytes of s (a stray '%' is kept), then encode.
 * '+' is taken literally, as RFC 3986 and libcurl do.
 */
static char *
reencode (const char *s, size_t n)
{
  struct sbuf b = SBUF_INIT;
  CLEANUP_FREE char *d = malloc (n + 1);
  size_t i, j = 0;

  if (d == NULL)
    return NULL;
  for (i = 0; i < n; i++) {
    if (s[i] == '%' && i + 2 < n && hexbyte (&s[i + 1]) >= 0) {
      d[j++] = hexbyte (&s[i + 1]);
      i += 2;
    }
    else
      d[j++] = s[i];
  }
  if (encode_add (&b, d, j, false) == -1) {
    sbuf_free (&b);
    return NULL;
  }
  return sbuf_take (&b);
}

/* RFC 3986 dot-segment removal, and empty segments dropped, as
 * botocore's normalize_url_path; an empty path is "/".
 */
static char *
normalise_path (const char *p, size_t n)
{
  struct sbuf b = SBUF_INIT;
  size_t *seg = malloc ((n + 1) * sizeof *seg); /* start, length pairs */
  size_t nseg = 0, i = 0, k;
  bool trailing = n > 0 && p[n - 1] == '/';

  if (seg == NULL)
    return NULL;
  while (i < n) {
    size_t s = i, len;

    while (i < n && p[i] != '/')
      i++;
    len = i - s;
    i++;
    if (len == 0 || (len == 1 && p[s] == '.'))
      continue;
    if (len == 2 && p[s] == '.' && p[s + 1] == '.') {
      if (nseg > 0)
        nseg--;
      continue;
    }
    seg[2 * nseg] = s;
    seg[2 * nseg + 1] = len;
    nseg++;
  }
  if ((n == 0 || p[0] == '/') && sbuf_puts (&b, "/") == -1)
    goto nomem;
  for (k = 0; k < nseg; k++)
    if ((k > 0 && sbuf_puts (&b, "/") == -1)
        || sbuf_add (&b, &p[seg[2 * k]], seg[2 * k + 1]) == -1)
      goto nomem;
  if (trailing && nseg > 0 && sbuf_puts (&b, "/") == -1)
    goto nomem;
  free (seg);
  return sbuf_take (&b);
 nomem:
  free (seg);
  sbuf_free (&b);
  return NULL;
}

struct pair {
  char *name, *value;
  size_t order;
};

static int
kv_cmp (const void *a, const void *b)
{
  const struct pair *x = a, *y = b;
  int r = strcmp (x->name, y->name);

  if (r == 0)
    r = strcmp (x->value, y->value);
  if (r == 0)
    r = x->order < y->order ? -1 : x->order > y->order;
  return r;
}

/* Headers: by name, duplicates in the order given. */
static int
header_cmp (const void *a, const void *b)
{
  const struct pair *x = a, *y = b;
  int r = strcmp (x->name, y->name);

  return r ? r : x->order < y->order ? -1 : x->order > y->order;
}

static void
kv_free (struct pair *v, size_t n)
{
  size_t i;

  for (i = 0; v && i < n; i++) {
    free (v[i].name);
    wipe_free (v[i].value);     /* X-Amz-Security-Token's */
  }
  free (v);
}

/* The canonical query string of q (n bytes) onto b. */
static int
canonical_query (struct sbuf *b, const char *q, size_t n)
{
  struct pair *v = calloc (n / 2 + 1, sizeof *v);
  size_t nv = 0, i = 0;
  int r = -1;

  if (v == NULL)
    return -1;
  while (i < n) {
    size_t s = i, eq;

    while (i < n && q[i] != '&')
      i++;
    if (i > s) {
      for (eq = s; eq < i && q[eq] != '='; eq++)
        ;
      v[nv].order = nv;
      v[nv].name = reencode (&q[s], eq - s);
      v[nv].value = eq < i ? reencode (&q[eq + 1], i - eq - 1) : strdup ("");
      nv++;
      if (v[nv - 1].name == NULL || v[nv - 1].value == NULL)
        goto out;
    }
    i++;
  }
  qsort (v, nv, sizeof *v, kv_cmp);
  for (i = 0; i < nv; i++)
    if (sbuf_printf (b, "%s%s=%s", i ? "&" : "", v[i].name, v[i].value) == -1)
      goto out;
  r = 0;
 out:
  kv_free (v, nv);
  return r;
}

/* "Name: value" into a lower-case name and a trimmed value with runs
 * of white space made one space.
 */
static int
split_header (const char *h, struct pair *kv)
{
  const char *colon = strchr (h, ':'), *p;
  size_t i, n;
  struct sbuf b = SBUF_INIT;

  for (n = colon ? colon - h : 0; n > 0 && isspace ((unsigned char) h[n - 1]); n--)
    ;
  if (n == 0) {
    error ("sign aws request: a header has no name or no ':'");
    return -1;
  }
  if ((kv->name = strndup (h, n)) == NULL)
    goto nomem;
  for (i = 0; i < n; i++)
    kv->name[i] = tolower ((unsigned char) kv->name[i]);
  for (p = colon + 1; *p; ) {
    size_t s;

    while (*p && isspace ((unsigned char) *p))
      p++;
    for (s = 0; p[s] && !isspace ((unsigned char) p[s]); s++)
      ;
    if (s && ((b.len && sbuf_puts (&b, " ") == -1) || sbuf_add (&b, p, s) == -1))
      goto nomem;
    p += s;
  }
  if ((kv->value = sbuf_take (&b)) == NULL)
    goto nomem;
  return 0;
 nomem:
  sbuf_free (&b);
  error ("sign aws request: out of memory");
  return -1;
}

static void
hmac (const void *key, size_t klen, const char *msg, unsigned char out[32])
{
  unsigned int n = 32;

  if (HMAC (EVP_sha256 (), key, (int) klen, (const unsigned char *) msg,
            strlen (msg), out, &n) == NULL)
    memset (out, 0, 32);
}

char **
sigv4_sign (const struct aws_creds *c, const char *region,
            const char *service, const char *method,
            const char *url, const char *const *headers,
            const char *payload_hash, unsigned flags, time_t now)
{
  const char *p, *host, *path, *query = NULL, *port = NULL;
  size_t hostlen, pathlen, querylen = 0, nh = 0, nv = 0, i, slen;
  bool https;
  char stamp[17], hex[65], sig[65], **out = NULL, **ret = NULL;
  unsigned char key[32], md[32];
  struct pair *v = NULL;
  struct sbuf cr = SBUF_INIT, sh = SBUF_INIT, sts = SBUF_INIT;
  CLEANUP_FREE char *uri = NULL, *secret = NULL;
  struct tm tm;

  if (c->access_key == NULL || c->secret_key == NULL) {
    error ("sign aws request: no access key or secret key");
    return NULL;
  }
  if (strncasecmp (url, "https://", 8) == 0)
    https = true, host = url + 8;
  else if (strncasecmp (url, "http://", 7) == 0)
    https = false, host = url + 7;
  else {
    error ("sign aws request: the url is not http or https");
    return NULL;
  }
  for (p = host; *p && *p != '/' && *p != '?' && *p != '#'; p++)
    if (*p == ':' && (host[0] != '[' || p[-1] == ']'))
      port = p;
  hostlen = (port ? port : p) - host;
  if (hostlen == 0 || memchr (host, '@', p - host)) {
    error ("sign aws request: the url has no host or has user information");
    return NULL;
  }
  if (port && (port + 1 == p
               || ((size_t) (p - port - 1) == strlen (https ? "443" : "80")
                   && memcmp (port + 1, https ? "443" : "80",
                              p - port - 1) == 0)))
    port = NULL;                /* the scheme's default: curl omits it */
  path = p;
  pathlen = strcspn (path, "?#");
  if (path[pathlen] == '?') {
    query = path + pathlen + 1;
    querylen = strcspn (query, "#");
  }
  if (gmtime_r (&now, &tm) == NULL
      || strftime (stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm) != 16) {
    error ("sign aws request: bad time");
    return NULL;
  }

  for (i = 0; headers && headers[i]; i++)
    nh++;
  v = calloc (nh + 4, sizeof *v);
  out = calloc (5, sizeof *out);
  if (v == NULL || out == NULL)
    goto nomem;
  for (i = 0; i < nh; i++, nv++) {
    v[nv].order = nv;
    if (split_header (headers[i], &v[nv]) == -1)
      goto err;
    if (strcmp (v[nv].name, "x-amz-date") == 0
        || strcmp (v[nv].name, "authorization") == 0
        || strcmp (v[nv].name, "host") == 0
        || (c->session_token && strcmp (v[nv].name, "x-amz-security-token") == 0)
        || ((flags & SIGV4_CONTENT_SHA256)
            && strcmp (v[nv].name, "x-amz-content-sha256") == 0)) {
      error ("sign aws request: the caller set header \"%s\"", v[nv].name);
      goto err;
    }
  }
  i = 0;
  if (asprintf (&out[i++], "X-Amz-Date: %s", stamp) == -1
      || (c->session_token
          && asprintf (&out[i++], "X-Amz-Security-Token: %s", c->session_token) == -1)
      || ((flags & SIGV4_CONTENT_SHA256)
          && asprintf (&out[i++], "X-Amz-Content-SHA256: %s", payload_hash) == -1)) {
    out[i - 1] = NULL;
    goto nomem;
  }
  for (i = 0; out[i]; i++, nv++) {
    v[nv].order = nv;
    if (split_header (out[i], &v[nv]) == -1)
      goto err;
  }
  v[nv].order = nv;
  v[nv].name = strdup ("host");
  if (asprintf (&v[nv++].value, "%.*s%.*s", (int) hostlen, host,
                port ? (int) (p - port) : 0, port ? port : "") == -1) {
    v[nv - 1].value = NULL;
    goto nomem;
  }
  if (v[nv - 1].name == NULL)
    goto nomem;
  qsort (v, nv, sizeof *v, header_cmp);

  if ((flags & SIGV4_S3) && pathlen > 0)
    uri = strndup (path, pathlen);
  else {
    CLEANUP_FREE char *norm = normalise_path (path, pathlen);
    uri = norm ? sigv4_uri_encode (norm, true) : NULL;
  }
  if (uri == NULL
      || sbuf_printf (&cr, "%s\n%s\n", method, uri[0] ? uri : "/") == -1
      || canonical_query (&cr, query ? query : "", querylen) == -1
      || sbuf_puts (&cr, "\n") == -1)
    goto nomem;
  for (i = 0; i < nv; i++) {
    bool same = i > 0 && strcmp (v[i].name, v[i - 1].name) == 0;
    if (same ? sbuf_printf (&cr, ",%s", v[i].value) == -1
        : (sbuf_printf (&cr, "%s%s:%s", i ? "\n" : "", v[i].name, v[i].value) == -1
           || sbuf_printf (&sh, "%s%s", i ? ";" : "", v[i].name) == -1))
      goto nomem;
  }
  if (sbuf_printf (&cr, "\n\n%s\n%s", sh.s, payload_hash) == -1)
    goto nomem;
  sigv4_sha256_hex (cr.s, cr.len, hex);
  if (sbuf_printf (&sts, "AWS4-HMAC-SHA256\n%s\n%.8s/%s/%s/aws4_request\n%s",
                   stamp, stamp, region, service, hex) == -1
      || (secret = malloc ((slen = strlen (c->secret_key)) + 5)) == NULL)
    goto nomem;
  memcpy (secret, "AWS4", 4);
  memcpy (secret + 4, c->secret_key, slen + 1);
  snprintf (hex, sizeof hex, "%.8s", stamp);
  hmac (secret, slen + 4, hex, key);
  OPENSSL_cleanse (secret, slen + 4);
  hmac (key, 32, region, md);
  hmac (md, 32, service, key);
  hmac (key, 32, "aws4_request", md);
  hmac (md, 32, sts.s, key);
  to_hex (key, 32, sig);
  OPENSSL_cleanse (key, sizeof key);
  OPENSSL_cleanse (md, sizeof md);
  for (i = 0; out[i]; i++)
    ;
  if (asprintf (&out[i], "Authorization: AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s",
                c->access_key, stamp, region, service, sh.s, sig) == -1) {
    out[i] = NULL;
    OPENSSL_cleanse (sig, sizeof sig);
    goto nomem;
  }
  OPENSSL_cleanse (sig, sizeof sig);
  ret = out;
  out = NULL;
  goto err;

 nomem:
  error ("sign aws request: out of memory");
 err:
  kv_free (v, nh + 4);          /* every slot: a failed one may be half set */
  sbuf_free (&cr);
  sbuf_free (&sh);
  sbuf_free (&sts);
  sigv4_free_headers (out);
  return ret;
}
