/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: Entra ID tokens for Azure Resource Manager: the endpoints,
 * the chain of token sources (see az_config_load in azure.h) and the
 * cached token, fetched again before it expires.  The sources
 * themselves are in azure-sources.c.
 *
 * Secrets (the client secret, IDENTITY_HEADER, tokens) never reach a
 * message or debug().
 */

#include <config.h>

#include <string.h>
#include <strings.h>
#include <time.h>

#include "common.h"
#include "azure-sources.h"

#define REFRESH_BEFORE 300      /* seconds before the expiration */
#define DEFAULT_AUTHORITY "https://login.microsoftonline.com"
#define DEFAULT_ARM "https://management.azure.com"
#define DEFAULT_IMDS "http://169.254.169.254"

static const char *
env (const char *name)
{
  const char *v = getenv (name);
  return v && *v ? v : NULL;
}

static void
wipe_free (char *s)
{
  if (s) {
    explicit_bzero (s, strlen (s));
    free (s);
  }
}

void
az_free_secret (char *s)
{
  wipe_free (s);
}

/* ---------------------------------------------------------------- */
/* Endpoints. */

/* Is the host of "http://HOST[:PORT][/...]" the loopback? */
static bool
loopback (const char *h)
{
  size_t n;

  if (strncmp (h, "[::1]", 5) == 0)
    return h[5] == '\0' || h[5] == ':' || h[5] == '/';
  n = strcspn (h, ":/?#");
  if (n == 9 && strncasecmp (h, "localhost", 9) == 0)
    return true;
  return n > 4 && strncmp (h, "127.", 4) == 0 &&
    strspn (h, "0123456789.") == n;
}

/* v as a base URL (owned): "https://" added when it has no scheme,
 * trailing '/' dropped; https://, or http:// to the loopback (the
 * tests' servers) only: a token or a secret never crosses a network
 * in the clear.  NULL after error() naming what (a variable).
 */
static char *
trimmed_url (const char *v)
{
  char *u;
  size_t n;

  if (strstr (v, "://") == NULL) {
    if (asprintf (&u, "https://%s", v) == -1)
      u = NULL;
  }
  else
    u = strdup (v);
  if (u == NULL) {
    error ("load the Azure configuration: out of memory");
    return NULL;
  }
  for (n = strlen (u); n > 0 && u[n - 1] == '/'; )
    u[--n] = '\0';
  return u;
}

static char *
base_url (const char *v, const char *what)
{
  char *u = trimmed_url (v);

  if (u == NULL)
    return NULL;
  if ((strncasecmp (u, "https://", 8) == 0 && u[8] && u[8] != '/') ||
      (strncasecmp (u, "http://", 7) == 0 && loopback (u + 7)))
    return u;
  {
    CLEANUP_FREE char *safe = http_redact_url (u);
    error ("the %s \"%s\" is not an https:// URL (http:// is only for the "
           "loopback)", what, safe ? safe : "");
  }
  free (u);
  return NULL;
}

/* A tenant: a GUID or a domain name (it goes into the token URL). */
static bool
tenant_ok (const char *s)
{
  size_t n = strlen (s);

  return n > 0 && n < 256 && *s != '.' && strstr (s, "..") == NULL &&
    strspn (s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
            "0123456789.-") == n;
}

/* A client ID: printable ASCII, no spaces. */
static bool
id_ok (const char *s)
{
  size_t n = strlen (s);

  if (n == 0 || n >= 256)
    return false;
  for (; *s; s++)
    if ((unsigned char) *s <= 0x20 || (unsigned char) *s >= 0x7f)
      return false;
  return true;
}

static int
set_str (char **dst, const char *s)
{
  *dst = s ? strdup (s) : NULL;
  return !s || *dst ? 0 : -1;
}

/* ---------------------------------------------------------------- */
/* The chain. */

/* The sources that are configured by variables: client secret, client
 * certificate, workload identity, App Service's managed identity.
 * 1 (p->kind and cfg->source set), 0 (none configured), -1 after
 * error().
 */
static int
configured (struct az_config *cfg)
{
  struct az_provider *p = cfg->provider;
  const char *cid = env ("AZURE_CLIENT_ID"), *tenant = cfg->tenant;
  const char *secret = env ("AZURE_CLIENT_SECRET");
  const char *cert = env ("AZURE_CLIENT_CERTIFICATE_PATH");
  const char *fed = env ("AZURE_FEDERATED_TOKEN_FILE");
  const char *ie = env ("IDENTITY_ENDPOINT"), *ih = env ("IDENTITY_HEADER");
  const char *var, *needs;
  int r;

  if (cid && !id_ok (cid)) {
    error ("find Azure credentials: AZURE_CLIENT_ID is not a client ID");
    return -1;
  }
  if (set_str (&p->client_id, cid) == -1)
    goto nomem;
  if (secret || cert || fed) {
    var = secret ? "AZURE_CLIENT_SECRET" : cert ? "AZURE_CLIENT_CERTIFICATE_PATH"
      : "AZURE_FEDERATED_TOKEN_FILE";
    needs = !tenant && !cid ? "AZURE_TENANT_ID and AZURE_CLIENT_ID"
      : !tenant ? "AZURE_TENANT_ID" : !cid ? "AZURE_CLIENT_ID" : NULL;
    if (needs) {
      error ("find Azure credentials: %s is set but not %s (it needs "
             "AZURE_TENANT_ID and AZURE_CLIENT_ID)", var, needs);
      return -1;
    }
    if (!tenant_ok (tenant)) {
      error ("find Azure credentials: AZURE_TENANT_ID \"%s\" is not a tenant "
             "ID or domain name", tenant);
      return -1;
    }
  }
  if (secret) {
    p->kind = AZ_SECRET;
    if (set_str (&p->secret, secret) == -1)
      goto nomem;
    r = asprintf (&cfg->source, "the client secret of AZURE_CLIENT_ID \"%s\"",
                  cid);
  }
  else if (cert) {
    p->kind = AZ_CERT;
    if (set_str (&p->path, cert) == -1)
      goto nomem;
    if (azs_load_cert (p, env ("AZURE_CLIENT_CERTIFICATE_PASSWORD")) == -1)
      return -1;
    r = asprintf (&cfg->source, "the client certificate \"%s\" of "
                  "AZURE_CLIENT_ID \"%s\"", cert, cid);
  }
  else if (fed) {
    p->kind = AZ_WORKLOAD;
    if (set_str (&p->path, fed) == -1)
      goto nomem;
    r = asprintf (&cfg->source, "workload identity (AZURE_FEDERATED_TOKEN_FILE "
                  "\"%s\")", fed);
  }
  else if (ie && ih) {
    p->kind = AZ_APPSERVICE;
    if (strncasecmp (ie, "http://", 7) != 0 && strncasecmp (ie, "https://", 8) != 0) {
      error ("find Azure credentials: IDENTITY_ENDPOINT is not an http:// or "
             "https:// URL");
      return -1;
    }
    if (set_str (&p->endpoint, ie) == -1 ||
        set_str (&p->identity_header, ih) == -1)
      goto nomem;
    r = asprintf (&cfg->source, "managed identity%s%s%s (IDENTITY_ENDPOINT)",
                  cid ? " \"" : "", cid ? cid : "", cid ? "\"" : "");
  }
  else
    return 0;
  if (r == -1) {
    cfg->source = NULL;
    goto nomem;
  }
  return 1;

 nomem:
  error ("find Azure credentials: out of memory");
  return -1;
}

/* Managed identity at the instance metadata service: 1, 0 (not on
 * Azure, or no identity), -1 after error().
 */
static int
imds (struct az_config *cfg, struct az_token *t)
{
  struct az_provider *p = cfg->provider;
  const char *cid = p->client_id;
  int r;

  p->kind = AZ_IMDS;
  /* http://, on the host's link-local address. */
  p->endpoint = trimmed_url (env ("AZURE_IMDS_ENDPOINT") ?
                             env ("AZURE_IMDS_ENDPOINT") : DEFAULT_IMDS);
  if (p->endpoint == NULL)
    return -1;
  if (asprintf (&cfg->source, "managed identity%s%s%s", cid ? " \"" : "",
                cid ? cid : "", cid ? "\"" : "") == -1) {
    cfg->source = NULL;
    goto nomem;
  }
  r = azs_fetch (cfg, true, t);
  if (r == 1) {
    free (cfg->source);
    cfg->source = NULL;
    free (p->endpoint);
    p->endpoint = NULL;
    return 0;
  }
  return r == 0 ? 1 : -1;

 nomem:
  error ("find Azure credentials: out of memory");
  return -1;
}

int
az_config_load (struct az_config *cfg, const char *arm_endpoint)
{
  struct az_provider *p;
  struct az_token t = { 0 };
  const char *v;
  int rc;

  memset (cfg, 0, sizeof *cfg);
  pthread_mutex_init (&cfg->lock, NULL);
  p = cfg->provider = calloc (1, sizeof *p);
  if (p == NULL)
    goto nomem;

  v = env ("AZURE_AUTHORITY_HOST");
  cfg->authority = base_url (v ? v : DEFAULT_AUTHORITY, "AZURE_AUTHORITY_HOST");
  if (cfg->authority == NULL)
    goto fail;
  v = arm_endpoint && *arm_endpoint ? arm_endpoint : env ("AZURE_ARM_ENDPOINT");
  cfg->arm = base_url (v ? v : DEFAULT_ARM, arm_endpoint && *arm_endpoint ?
                       "ARM endpoint (-oo arm-endpoint=)" : "AZURE_ARM_ENDPOINT");
  if (cfg->arm == NULL)
    goto fail;
  if (set_str (&cfg->tenant, env ("AZURE_TENANT_ID")) == -1)
    goto nomem;
  v = env ("REQUESTS_CA_BUNDLE");
  if (set_str (&p->ca_bundle, v ? v : env ("SSL_CERT_FILE")) == -1)
    goto nomem;
  cfg->http.cacert = p->ca_bundle;
  cfg->http.connect_timeout = 10;
  cfg->http.timeout = 60;

  rc = configured (cfg);
  if (rc == 1)
    rc = azs_fetch (cfg, false, &t) == 0 ? 1 : -1;
  if (rc == 0)
    rc = imds (cfg, &t);
  if (rc == 0 && (p->az = azs_find_az ()) != NULL) {
    p->kind = AZ_CLI;
    if ((cfg->source = strdup ("the az CLI")) == NULL)
      goto nomem;
    rc = azs_fetch (cfg, false, &t) == 0 ? 1 : -1;
  }
  if (rc == 0) {
    error ("find Azure credentials: no credentials: none in the environment "
           "(AZURE_TENANT_ID and AZURE_CLIENT_ID with AZURE_CLIENT_SECRET, "
           "AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE), "
           "no managed identity, and no az CLI on PATH (install it and run "
           "\"az login\")");
    goto fail;
  }
  if (rc == -1)
    goto fail;
  cfg->token = t.token;
  cfg->expires = t.expires;
  debug ("Azure tokens from %s (authority %s, ARM %s), this one for %ld s",
         cfg->source, cfg->authority, cfg->arm,
         (long) (t.expires - time (NULL)));
  return 0;

 nomem:
  error ("load the Azure configuration: out of memory");
 fail:
  azs_token_clear (&t);
  az_config_free (cfg);
  return -1;
}

char *
az_auth_header (struct az_config *cfg, bool force)
{
  char *h = NULL;

  pthread_mutex_lock (&cfg->lock);
  if (cfg->provider == NULL) {
    error ("get an Azure token: no configuration loaded");
    goto out;
  }
  if (force || cfg->token == NULL ||
      cfg->expires - time (NULL) < REFRESH_BEFORE) {
    struct az_token t = { 0 };
    debug ("the Azure token from %s %s: fetching a new one", cfg->source,
           force ? "was refused" : "expires soon");
    if (azs_fetch (cfg, false, &t) == -1)
      goto out;
    az_free_secret (cfg->token);
    cfg->token = t.token;
    cfg->expires = t.expires;
  }
  if (asprintf (&h, "Authorization: Bearer %s", cfg->token) == -1) {
    h = NULL;
    error ("get an Azure token from %s: out of memory", cfg->source);
  }
 out:
  pthread_mutex_unlock (&cfg->lock);
  return h;
}

void
az_config_free (struct az_config *cfg)
{
  struct az_provider *p = cfg->provider;

  free (cfg->authority);
  free (cfg->arm);
  free (cfg->tenant);
  free (cfg->source);
  az_free_secret (cfg->token);
  if (p) {
    free (p->client_id);
    wipe_free (p->secret);
    free (p->path);
    EVP_PKEY_free (p->key);
    free (p->endpoint);
    wipe_free (p->identity_header);
    free (p->az);
    free (p->ca_bundle);
    free (p);
  }
  pthread_mutex_destroy (&cfg->lock);
  memset (cfg, 0, sizeof *cfg);
}
