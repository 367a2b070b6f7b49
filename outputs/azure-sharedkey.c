/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: Blob storage authorisation: SharedKey, SAS and connection
 * strings (the Storage services' "Authorize with Shared Key" scheme,
 * version 2015-02-21 and later: HMAC-SHA256 over the verb, the standard
 * headers, the canonicalised x-ms-* headers and the canonicalised
 * resource).  Also the redaction of SAS URLs for messages.
 */

#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "azure.h"

/* The Blob API version ferry speaks (page blobs, Get Page Ranges with
 * markers).
 */
#define AZ_BLOB_VERSION "2021-08-06"

/* Azurite's published development account (UseDevelopmentStorage=true). */
#define DEV_ACCOUNT "devstoreaccount1"
#define DEV_KEY "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
#define DEV_ENDPOINT "http://127.0.0.1:10000/" DEV_ACCOUNT

static void
wipe (void *p, size_t n)
{
  if (p)
    explicit_bzero (p, n);
}

void
az_auth_clear (struct az_blob_auth *a)
{
  free (a->account);
  wipe (a->key, a->key_len);
  free (a->key);
  if (a->sas)
    wipe (a->sas, strlen (a->sas));
  free (a->sas);
  free (a->endpoint);
  memset (a, 0, sizeof *a);
}

static int
set_key (struct az_blob_auth *a, const char *b64)
{
  size_t n = strlen (b64);
  unsigned char *k;
  int len;

  if (n == 0 || n % 4 || n > 4096)
    goto bad;
  k = malloc (n);
  if (k == NULL) {
    error ("-o azure: out of memory");
    return -1;
  }
  len = EVP_DecodeBlock (k, (const unsigned char *) b64, (int) n);
  if (len < 0) {
    free (k);
    goto bad;
  }
  /* EVP_DecodeBlock counts the padding as data. */
  if (b64[n - 1] == '=')
    len--;
  if (b64[n - 2] == '=')
    len--;
  a->key = k;
  a->key_len = (size_t) len;
  return 0;
 bad:
  error ("-o azure: the storage account key is not Base64");
  return -1;
}

static char *
trim_slash (const char *s)
{
  char *r = strdup (s);
  size_t n;

  if (r == NULL)
    return NULL;
  n = strlen (r);
  while (n > 0 && r[n - 1] == '/')
    r[--n] = '\0';
  return r;
}

static bool
valid_account (const char *s)
{
  size_t n = strlen (s);
  if (n < 1 || n > 64)
    return false;
  for (; *s; s++)
    if (!isalnum ((unsigned char) *s))
      return false;
  return true;
}

int
az_auth_from_key (struct az_blob_auth *a, const char *account,
                  const char *key_b64, const char *endpoint)
{
  memset (a, 0, sizeof *a);
  if (!valid_account (account)) {
    error ("-o azure: the storage account name \"%s\" is not one Azure takes "
           "(letters and digits)", account);
    return -1;
  }
  a->kind = AZ_AUTH_SHAREDKEY;
  if ((a->account = strdup (account)) == NULL)
    goto nomem;
  if (endpoint)
    a->endpoint = trim_slash (endpoint);
  else if (asprintf (&a->endpoint, "https://%s.blob.core.windows.net", account) == -1)
    a->endpoint = NULL;
  if (a->endpoint == NULL)
    goto nomem;
  if (set_key (a, key_b64) == -1) {
    az_auth_clear (a);
    return -1;
  }
  return 0;
 nomem:
  az_auth_clear (a);
  error ("-o azure: out of memory");
  return -1;
}

/* A connection string's fields: "Key=value" separated by ';'.  Values
 * may hold '=' (keys, SAS).
 */
int
az_auth_from_connection_string (struct az_blob_auth *a, const char *cs)
{
  CLEANUP_FREE char *copy = strdup (cs);
  const char *proto = "https", *account = NULL, *key = NULL, *blob = NULL;
  const char *suffix = "core.windows.net", *sas = NULL;
  bool dev = false;
  char *save = NULL;
  int r;

  memset (a, 0, sizeof *a);
  if (copy == NULL) {
    error ("-o azure: out of memory");
    return -1;
  }
  for (char *f = strtok_r (copy, ";", &save); f; f = strtok_r (NULL, ";", &save)) {
    char *eq = strchr (f, '=');
    while (isspace ((unsigned char) *f))
      f++;
    if (*f == '\0')
      continue;
    if (eq == NULL) {
      error ("-o azure: the storage connection string has a field without '='");
      goto fail;
    }
    *eq++ = '\0';
    if (strcasecmp (f, "DefaultEndpointsProtocol") == 0)
      proto = eq;
    else if (strcasecmp (f, "AccountName") == 0)
      account = eq;
    else if (strcasecmp (f, "AccountKey") == 0)
      key = eq;
    else if (strcasecmp (f, "BlobEndpoint") == 0)
      blob = eq;
    else if (strcasecmp (f, "EndpointSuffix") == 0)
      suffix = eq;
    else if (strcasecmp (f, "SharedAccessSignature") == 0)
      sas = eq;
    else if (strcasecmp (f, "UseDevelopmentStorage") == 0)
      dev = strcasecmp (eq, "true") == 0;
    /* QueueEndpoint, TableEndpoint, FileEndpoint: not ours. */
  }
  if (strcmp (proto, "https") && strcmp (proto, "http")) {
    error ("-o azure: the storage connection string's DefaultEndpointsProtocol "
           "is neither https nor http");
    goto fail;
  }
  if (dev && account == NULL) {
    account = DEV_ACCOUNT;
    if (key == NULL && sas == NULL)
      key = DEV_KEY;
    if (blob == NULL)
      blob = DEV_ENDPOINT;
  }
  if (sas) {
    CLEANUP_FREE char *ep = NULL;
    if (blob)
      ep = trim_slash (blob);
    else if (account && asprintf (&ep, "%s://%s.blob.%s", proto, account, suffix) == -1)
      ep = NULL;
    if (ep == NULL) {
      error ("-o azure: the storage connection string has a SharedAccessSignature "
             "but neither BlobEndpoint nor AccountName");
      goto fail;
    }
    a->kind = AZ_AUTH_SAS;
    a->endpoint = ep;
    ep = NULL;
    a->sas = strdup (sas[0] == '?' ? sas + 1 : sas);
    a->account = strdup (account ? account : "");
    if (a->sas == NULL || a->account == NULL) {
      error ("-o azure: out of memory");
      goto fail;
    }
    return 0;
  }
  if (account == NULL || key == NULL) {
    error ("-o azure: the storage connection string has no %s",
           account == NULL ? "AccountName" : "AccountKey (or SharedAccessSignature)");
    goto fail;
  }
  if (blob)
    r = az_auth_from_key (a, account, key, blob);
  else {
    CLEANUP_FREE char *ep = NULL;
    if (asprintf (&ep, "%s://%s.blob.%s", proto, account, suffix) == -1) {
      error ("-o azure: out of memory");
      goto fail;
    }
    r = az_auth_from_key (a, account, key, ep);
  }
  if (copy)
    wipe (copy, strlen (cs));
  return r;
 fail:
  wipe (copy, strlen (cs));
  az_auth_clear (a);
  return -1;
}

/* The account of a blob URL: the host's first label
 * (ACCOUNT.blob.core.windows.net), or for an IP address or localhost
 * (Azurite's path style) the first path segment.
 */
static char *
account_of (const char *host, const char *path)
{
  bool path_style = strcmp (host, "localhost") == 0 || strspn (host, "0123456789.") == strlen (host)
    || host[0] == '[';
  const char *s = path_style ? path + (path[0] == '/') : host;
  size_t n = strcspn (s, path_style ? "/" : ".");
  return strndup (s, n);
}

int
az_auth_from_sas_url (struct az_blob_auth *a, const char *url, char **base)
{
  CURLU *u = curl_url ();
  char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *query = NULL;
  int r = -1;

  memset (a, 0, sizeof *a);
  *base = NULL;
  if (u == NULL)
    goto nomem;
  if (curl_url_set (u, CURLUPART_URL, url, 0) != CURLUE_OK ||
      curl_url_get (u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
      (strcmp (scheme, "https") && strcmp (scheme, "http")) ||
      curl_url_get (u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
      curl_url_get (u, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
    CLEANUP_FREE char *red = az_redact_url (url);
    error ("-o azure: \"%s\" is not an http or https URL", red ? red : "the SAS URL");
    goto out;
  }
  if (curl_url_get (u, CURLUPART_QUERY, &query, 0) != CURLUE_OK || query[0] == '\0' ||
      strstr (query, "sig=") == NULL) {
    CLEANUP_FREE char *red = http_redact_url (url);
    error ("-o azure: the URL \"%s\" has no SAS (no sig= in its query)", red ? red : "");
    goto out;
  }
  curl_url_get (u, CURLUPART_PORT, &port, 0);
  a->kind = AZ_AUTH_SAS;
  a->sas = strdup (query);
  a->account = account_of (host, path);
  {
    CLEANUP_FREE char *p = trim_slash (path);
    if (p == NULL || asprintf (base, "%s://%s%s%s%s", scheme, host, port ? ":" : "",
                               port ? port : "", p) == -1)
      *base = NULL;
    if (port)
      r = asprintf (&a->endpoint, "%s://%s:%s", scheme, host, port);
    else
      r = asprintf (&a->endpoint, "%s://%s", scheme, host);
    if (r == -1)
      a->endpoint = NULL;
    r = -1;
  }
  if (a->sas == NULL || a->account == NULL || *base == NULL || a->endpoint == NULL)
    goto nomem;
  r = 0;
  goto out;
 nomem:
  error ("-o azure: out of memory");
 out:
  if (query)
    wipe (query, strlen (query));
  curl_free (scheme);
  curl_free (host);
  curl_free (port);
  curl_free (path);
  curl_free (query);
  curl_url_cleanup (u);
  if (r == -1) {
    free (*base);
    *base = NULL;
    az_auth_clear (a);
  }
  return r;
}

char *
az_sas_url (const struct az_blob_auth *a, const char *url)
{
  char *r;

  if (a->kind != AZ_AUTH_SAS || a->sas == NULL)
    return strdup (url);
  if (asprintf (&r, "%s%c%s", url, strchr (url, '?') ? '&' : '?', a->sas) == -1)
    return NULL;
  return r;
}

char *
az_redact_url (const char *url)
{
  struct sbuf b = SBUF_INIT;
  const char *q = strchr (url, '?'), *start;

  /* A SAS token on its own ("sv=...&sig=..."), with no '?', is all
   * query: it is redacted the same way.
   */
  if (q == NULL && strchr (url, '=') == NULL)
    return strdup (url);
  if (q) {
    sbuf_add (&b, url, (size_t) (q - url) + 1);
    start = q + 1;
  }
  else
    start = url;
  for (const char *p = start; *p; ) {
    size_t n = strcspn (p, "&#");
    const char *eq = memchr (p, '=', n);
    size_t kn = eq ? (size_t) (eq - p) : n;
    if (eq && ((kn == 3 && strncasecmp (p, "sig", 3) == 0) ||
               (kn == 9 && strncasecmp (p, "signature", 9) == 0))) {
      sbuf_add (&b, p, kn + 1);
      sbuf_puts (&b, "REDACTED");
    }
    else
      sbuf_add (&b, p, n);
    p += n;
    if (*p == '#')
      break;                    /* a fragment is never sent */
    if (*p == '&')
      sbuf_add (&b, p++, 1);
  }
  return sbuf_take (&b);
}

void
az_free_headers (char **h)
{
  for (size_t i = 0; h && h[i]; i++) {
    wipe (h[i], strlen (h[i]));
    free (h[i]);
  }
  free (h);
}

/* The value of header name in hs (any case), trimmed, or "". */
static const char *
hval (const char *const *hs, const char *name, size_t *len)
{
  size_t nl = strlen (name);
  for (size_t i = 0; hs && hs[i]; i++)
    if (strncasecmp (hs[i], name, nl) == 0 && hs[i][nl] == ':') {
      const char *v = hs[i] + nl + 1;
      size_t n;
      while (*v == ' ' || *v == '\t')
        v++;
      n = strlen (v);
      while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
      *len = n;
      return v;
    }
  *len = 0;
  return "";
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* "name:value" for each x-ms-* header, the name lower-cased (owned). */
static char **
canon_headers (const char *const *hs, const char *date, size_t *n)
{
  size_t cap = 2;
  char **v;

  for (size_t i = 0; hs && hs[i]; i++)
    cap++;
  v = calloc (cap + 1, sizeof *v);
  if (v == NULL)
    return NULL;
  *n = 0;
  if (asprintf (&v[(*n)++], "x-ms-date:%s", date) == -1 ||
      asprintf (&v[(*n)++], "x-ms-version:%s", AZ_BLOB_VERSION) == -1)
    goto fail;
  for (size_t i = 0; hs && hs[i]; i++) {
    const char *c = strchr (hs[i], ':');
    const char *val;
    size_t vl;
    char *s;
    if (c == NULL || strncasecmp (hs[i], "x-ms-", 5) != 0)
      continue;
    s = strndup (hs[i], (size_t) (c - hs[i]));
    if (s == NULL)
      goto fail;
    for (char *p = s; *p; p++)
      *p = (char) tolower ((unsigned char) *p);
    if (strcmp (s, "x-ms-date") == 0 || strcmp (s, "x-ms-version") == 0) {
      free (s);
      continue;
    }
    val = hval (hs, s, &vl);
    if (asprintf (&v[*n], "%s:%.*s", s, (int) vl, val) == -1) {
      free (s);
      goto fail;
    }
    free (s);
    (*n)++;
  }
  qsort (v, *n, sizeof *v, cmp_str);
  return v;
 fail:
  for (size_t i = 0; i < cap; i++)
    free (v[i]);
  free (v);
  return NULL;
}

/* The canonicalised resource: /ACCOUNT/PATH, then each query parameter,
 * its name lower-cased, sorted, "\nname:value" (values decoded).
 */
static int
canon_resource (struct sbuf *b, const char *account, const char *url)
{
  CURLU *u = curl_url ();
  char *path = NULL, *query = NULL;
  char **qv = NULL;
  size_t nq = 0;
  int r = -1;

  if (u == NULL || curl_url_set (u, CURLUPART_URL, url, 0) != CURLUE_OK ||
      curl_url_get (u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
    goto out;
  sbuf_printf (b, "/%s%s", account, path);
  if (curl_url_get (u, CURLUPART_QUERY, &query, 0) == CURLUE_OK && *query) {
    size_t cap = 1;
    for (const char *p = query; *p; p++)
      cap += *p == '&';
    qv = calloc (cap, sizeof *qv);
    if (qv == NULL)
      goto out;
    for (char *save = NULL, *f = strtok_r (query, "&", &save); f;
         f = strtok_r (NULL, "&", &save)) {
      char *eq = strchr (f, '=');
      int kl;
      char *k, *val;
      if (eq)
        *eq = '\0';
      k = curl_easy_unescape (NULL, f, 0, &kl);
      val = curl_easy_unescape (NULL, eq ? eq + 1 : "", 0, NULL);
      if (k && val) {
        for (char *p = k; *p; p++)
          *p = (char) tolower ((unsigned char) *p);
        if (asprintf (&qv[nq], "%s:%s", k, val) != -1)
          nq++;
      }
      curl_free (k);
      curl_free (val);
    }
    qsort (qv, nq, sizeof *qv, cmp_str);
    /* ferry never repeats a parameter, so no values are merged. */
    for (size_t i = 0; i < nq; i++)
      sbuf_printf (b, "\n%s", qv[i]);
  }
  r = 0;
 out:
  for (size_t i = 0; i < nq; i++)
    free (qv[i]);
  free (qv);
  curl_free (path);
  curl_free (query);
  curl_url_cleanup (u);
  return r;
}

char **
az_blob_sign (const struct az_blob_auth *a, const char *method,
              const char *url, const char *const *headers,
              uint64_t content_length, time_t now)
{
  static const char *const std[] = {
    "Content-Encoding", "Content-Language", NULL /* length */, "Content-MD5",
    "Content-Type", "Date", "If-Modified-Since", "If-Match", "If-None-Match",
    "If-Unmodified-Since", "Range"
  };
  char date[64];
  struct tm tm;
  char **out = calloc (4, sizeof *out);
  char **ch = NULL;
  size_t nch = 0;
  struct sbuf sts = SBUF_INIT;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned maclen = 0;
  char sig[EVP_ENCODE_LENGTH (EVP_MAX_MD_SIZE) + 1];

  if (out == NULL)
    goto nomem;
  gmtime_r (&now, &tm);
  strftime (date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (asprintf (&out[0], "x-ms-date: %s", date) == -1 ||
      asprintf (&out[1], "x-ms-version: %s", AZ_BLOB_VERSION) == -1) {
    out[0] = out[1] = NULL;
    goto nomem;
  }
  if (a->kind == AZ_AUTH_SAS)
    return out;

  sbuf_printf (&sts, "%s\n", method);
  for (size_t i = 0; i < sizeof std / sizeof std[0]; i++) {
    size_t n;
    const char *v;
    if (std[i] == NULL) {
      if (content_length)
        sbuf_printf (&sts, "%llu", (unsigned long long) content_length);
      sbuf_puts (&sts, "\n");
      continue;
    }
    v = hval (headers, std[i], &n);
    sbuf_printf (&sts, "%.*s\n", (int) n, v);
  }
  ch = canon_headers (headers, date, &nch);
  if (ch == NULL)
    goto nomem;
  for (size_t i = 0; i < nch; i++)
    sbuf_printf (&sts, "%s\n", ch[i]);
  if (canon_resource (&sts, a->account, url) == -1 || sts.s == NULL)
    goto nomem;
  if (HMAC (EVP_sha256 (), a->key, (int) a->key_len, (const unsigned char *) sts.s,
            sts.len, mac, &maclen) == NULL) {
    error ("-o azure: sign a Blob request: HMAC-SHA256 failed");
    goto fail;
  }
  EVP_EncodeBlock ((unsigned char *) sig, mac, (int) maclen);
  if (asprintf (&out[2], "Authorization: SharedKey %s:%s", a->account, sig) == -1) {
    out[2] = NULL;
    goto nomem;
  }
  wipe (sig, sizeof sig);
  for (size_t i = 0; i < nch; i++)
    free (ch[i]);
  free (ch);
  sbuf_free (&sts);
  return out;
 nomem:
  error ("-o azure: out of memory");
 fail:
  for (size_t i = 0; ch && i < nch; i++)
    free (ch[i]);
  free (ch);
  sbuf_free (&sts);
  az_free_headers (out);
  return NULL;
}
