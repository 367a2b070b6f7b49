/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: AWS profiles, region, endpoints and the credential chain, the
 * way the AWS CLI v2 resolves them (see aws_config_load in aws.h).
 *
 * Secrets (keys, session tokens, what a credential_process prints,
 * what STS, the container endpoint and IMDS answer) never reach a
 * message or debug().
 */

#include <config.h>

#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "aws.h"
#include "aws-profile.h"

#define REFRESH_BEFORE 300      /* seconds before the expiration */
#define MAX_CHAIN 16            /* source_profile hops */

enum source_kind { SRC_ENV, SRC_PROFILE, SRC_CONTAINER, SRC_IMDS };

struct aws_provider {
  enum source_kind kind;
  struct aws_ini cred, conf;
  char *cred_label, *conf_label;  /* "~/.aws/credentials", ... */
};

static const char *
env (const char *name)
{
  const char *v = getenv (name);
  return v && *v ? v : NULL;
}

static bool
env_true (const char *name)
{
  const char *v = env (name);
  return v && strcasecmp (v, "true") == 0;
}

static void
set_str (char **dst, const char *s)
{
  free (*dst);
  *dst = s ? strdup (s) : NULL;
}

/* ---------------------------------------------------------------- */
/* Profiles: a key from the credentials file, else from the config file. */

static const char *
conf_get (const struct aws_provider *p, const char *profile, const char *key)
{
  CLEANUP_FREE char *sec = NULL;
  const char *v;

  if (asprintf (&sec, "profile %s", profile) == -1)
    return NULL;
  v = aws_ini_get (&p->conf, sec, key, NULL);
  if (v == NULL && strcmp (profile, "default") == 0)
    v = aws_ini_get (&p->conf, "default", key, NULL);
  return v;
}

static const char *
prof_get (const struct aws_provider *p, const char *profile, const char *key)
{
  const char *v = aws_ini_get (&p->cred, profile, key, NULL);
  return v ? v : conf_get (p, profile, key);
}

static bool
profile_exists (const struct aws_provider *p, const char *profile)
{
  CLEANUP_FREE char *sec = NULL;

  if (aws_ini_has_section (&p->cred, profile))
    return true;
  if (asprintf (&sec, "profile %s", profile) == -1)
    return false;
  return aws_ini_has_section (&p->conf, sec) ||
    (strcmp (profile, "default") == 0 &&
     aws_ini_has_section (&p->conf, "default"));
}

/* The path of a file, and how messages name it ("~/..." under HOME). */
static int
file_path (const char *var, const char *def, char **path, char **label)
{
  const char *v = env (var), *home = getenv ("HOME");

  if (v)
    *path = strdup (v);
  else if (home == NULL || asprintf (path, "%s/%s", home, def) == -1)
    *path = NULL;
  if (*path == NULL) {
    error ("find the AWS %s file: HOME is not set and neither is %s",
           def + 5, var);
    return -1;
  }
  if (home && *home && strncmp (*path, home, strlen (home)) == 0 &&
      (*path)[strlen (home)] == '/') {
    if (asprintf (label, "~%s", *path + strlen (home)) == -1)
      *label = NULL;
  }
  else
    *label = strdup (*path);
  return *label ? 0 : -1;
}

/* ---------------------------------------------------------------- */
/* The environment, static keys, AssumeRole. */

static int
keys_to (struct aws_creds *out, const char *ak, const char *sk, const char *tok)
{
  out->access_key = strdup (ak);
  out->secret_key = strdup (sk);
  out->session_token = tok && *tok ? strdup (tok) : NULL;
  out->expiration = 0;
  if (!out->access_key || !out->secret_key || (tok && *tok && !out->session_token)) {
    aws_creds_clear (out);
    error ("AWS credentials: out of memory");
    return -1;
  }
  return 1;
}

/* 1, 0 (none), -1 after error(). */
static int
env_creds (struct aws_creds *out)
{
  const char *ak = env ("AWS_ACCESS_KEY_ID"), *sk = env ("AWS_SECRET_ACCESS_KEY");

  if (!ak && !sk)
    return 0;
  if (!ak || !sk) {
    error ("AWS credentials in the environment: %s is set but %s is not",
           ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
           ak ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
    return -1;
  }
  return keys_to (out, ak, sk, env ("AWS_SESSION_TOKEN"));
}

/* Static keys of profile in one file (conf: the config file). */
static int
static_keys (const struct aws_provider *p, const char *profile, bool conf,
             struct aws_creds *out)
{
  const char *ak, *sk, *tok;

  if (conf) {
    ak = conf_get (p, profile, "aws_access_key_id");
    sk = conf_get (p, profile, "aws_secret_access_key");
    tok = conf_get (p, profile, "aws_session_token");
  }
  else {
    ak = aws_ini_get (&p->cred, profile, "aws_access_key_id", NULL);
    sk = aws_ini_get (&p->cred, profile, "aws_secret_access_key", NULL);
    tok = aws_ini_get (&p->cred, profile, "aws_session_token", NULL);
  }
  if ((!ak || !*ak) && (!sk || !*sk))
    return 0;
  if (!ak || !*ak || !sk || !*sk) {
    error ("profile \"%s\" in %s has %s but no %s", profile,
           conf ? p->conf_label : p->cred_label,
           ak && *ak ? "aws_access_key_id" : "aws_secret_access_key",
           ak && *ak ? "aws_secret_access_key" : "aws_access_key_id");
    return -1;
  }
  return keys_to (out, ak, sk, tok);
}

/* application/x-www-form-urlencoded, as STS reads it. */
static void
form_add (struct sbuf *b, const char *key, const char *v)
{
  sbuf_printf (b, "%s%s=", b->len ? "&" : "", key);
  for (; *v; v++) {
    unsigned char c = *v;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
        (c >= '0' && c <= '9') || strchr ("-_.~", c))
      sbuf_add (b, v, 1);
    else
      sbuf_printf (b, "%%%02X", c);
  }
}

static int
assume_role (struct aws_config *cfg, const struct aws_provider *p,
             const char *profile, const char *role_arn, struct aws_creds *src,
             struct aws_creds *out)
{
  const char *ext = prof_get (p, profile, "external_id");
  const char *dur = prof_get (p, profile, "duration_seconds");
  const char *name = prof_get (p, profile, "role_session_name");
  const char *hdrs[] = {
    "Content-Type: application/x-www-form-urlencoded; charset=utf-8", NULL
  };
  struct aws_config t = { 0 };
  struct aws_call c = { .service = AWS_STS, .method = "POST", .path = "/",
                        .headers = hdrs, .what = "AssumeRole" };
  struct http_response r = { 0 };
  struct sbuf b = SBUF_INIT;
  char sess[64];
  CLEANUP_FREE char *exp = NULL;
  int rc = -1, st;

  snprintf (sess, sizeof sess, "ferry-%ld", (long) getpid ());
  form_add (&b, "Action", "AssumeRole");
  form_add (&b, "RoleArn", role_arn);
  form_add (&b, "RoleSessionName", name ? name : sess);
  form_add (&b, "Version", "2011-06-15");
  if (ext)
    form_add (&b, "ExternalId", ext);
  if (dur)
    form_add (&b, "DurationSeconds", dur);
  if (b.s == NULL) {
    error ("AssumeRole: out of memory");
    return -1;
  }
  c.body = b.s;
  c.len = b.len;

  /* A configuration of our own that signs with the source credentials. */
  t.profile = cfg->profile;
  t.region = cfg->region;
  memcpy (t.endpoint, cfg->endpoint, sizeof t.endpoint);
  t.ca_bundle = cfg->ca_bundle;
  t.source = cfg->source;
  t.http = cfg->http;
  pthread_mutex_init (&t.lock, NULL);
  t.creds = *src;
  debug ("profile \"%s\": AssumeRole %s", profile, role_arn);
  st = aws_call (&t, &c, &r, NULL);
  pthread_mutex_destroy (&t.lock);
  sbuf_free (&b);
  if (st == -1) {
    error ("assume the role of profile \"%s\": %s", profile, last_error ());
    return -1;
  }
  out->access_key = aws_xml_text (r.body, r.len, "AccessKeyId");
  out->secret_key = aws_xml_text (r.body, r.len, "SecretAccessKey");
  out->session_token = aws_xml_text (r.body, r.len, "SessionToken");
  exp = aws_xml_text (r.body, r.len, "Expiration");
  out->expiration = 0;
  if (!out->access_key || !out->secret_key || !out->session_token)
    error ("assume the role of profile \"%s\": STS answered without credentials",
           profile);
  else if (exp && awsc_parse_time (exp, &out->expiration) == -1)
    error ("assume the role of profile \"%s\": STS answered with a bad "
           "Expiration", profile);
  else
    rc = 0;
  if (rc == -1)
    aws_creds_clear (out);
  if (r.body)
    explicit_bzero (r.body, r.len);
  http_response_free (&r);
  return rc;
}

/* The credentials of a profile: role_arn, static keys of the
 * credentials file, credential_process, static keys of the config
 * file (botocore's order).  visited: the profiles of the chain so far.
 * 1 (with *how, a constant), 0 (none), -1 after error().
 */
static int
profile_creds (struct aws_config *cfg, const struct aws_provider *p,
               const char *profile, const char **visited, int depth,
               struct aws_creds *out, const char **how)
{
  const char *role = prof_get (p, profile, "role_arn");
  const char *proc;
  int rc;

  if (role && *role) {
    const char *sp = prof_get (p, profile, "source_profile");
    const char *cs = prof_get (p, profile, "credential_source");
    struct aws_creds src = { 0 };
    const char *sub;

    if ((sp && cs) || (!sp && !cs)) {
      error ("profile \"%s\" has role_arn and must have one of source_profile "
             "or credential_source", profile);
      return -1;
    }
    if (cs) {
      if (strcasecmp (cs, "Environment") == 0)
        rc = env_creds (&src);
      else if (strcasecmp (cs, "EcsContainer") == 0)
        rc = awsc_container_creds (cfg->http.cacert, &src);
      else if (strcasecmp (cs, "Ec2InstanceMetadata") == 0)
        rc = awsc_imds_creds (&src);
      else {
        error ("profile \"%s\": credential_source \"%s\" is not Environment, "
               "EcsContainer or Ec2InstanceMetadata", profile, cs);
        return -1;
      }
      if (rc == 0)
        error ("profile \"%s\": credential_source %s has no credentials",
               profile, cs);
    }
    else if (strcmp (sp, profile) == 0) {
      /* A profile that is its own source: its static keys. */
      rc = static_keys (p, profile, false, &src);
      if (rc == 0)
        rc = static_keys (p, profile, true, &src);
      if (rc == 0)
        error ("profile \"%s\" is its own source_profile but has no keys",
               profile);
    }
    else {
      for (int i = 0; i < depth; i++)
        if (strcmp (visited[i], sp) == 0) {
          error ("profile \"%s\": the source_profile chain loops back to "
                 "\"%s\"", profile, sp);
          return -1;
        }
      if (depth + 1 >= MAX_CHAIN) {
        error ("profile \"%s\": the source_profile chain is too long", profile);
        return -1;
      }
      if (!profile_exists (p, sp)) {
        error ("profile \"%s\": its source_profile \"%s\" is not in %s or %s",
               profile, sp, p->cred_label, p->conf_label);
        return -1;
      }
      visited[depth + 1] = sp;
      rc = profile_creds (cfg, p, sp, visited, depth + 1, &src, &sub);
      if (rc == 0)
        error ("profile \"%s\": its source_profile \"%s\" has no credentials",
               profile, sp);
    }
    if (rc != 1)
      return -1;
    rc = assume_role (cfg, p, profile, role, &src, out);
    aws_creds_clear (&src);
    *how = "AssumeRole";
    return rc == 0 ? 1 : -1;
  }
  rc = static_keys (p, profile, false, out);
  *how = "credentials";
  if (rc != 0)
    return rc;
  proc = prof_get (p, profile, "credential_process");
  if (proc && *proc) {
    *how = "credential_process";
    return awsc_process_creds (profile, proc, out) == 0 ? 1 : -1;
  }
  *how = "config";
  return static_keys (p, profile, true, out);
}

/* Fetch from the provider's source again. */
static int
fetch (struct aws_config *cfg, struct aws_creds *out)
{
  struct aws_provider *p = cfg->provider;
  const char *visited[MAX_CHAIN] = { cfg->profile }, *how;
  int rc;

  switch (p->kind) {
  case SRC_ENV: rc = env_creds (out); break;
  case SRC_CONTAINER: rc = awsc_container_creds (cfg->http.cacert, out); break;
  case SRC_IMDS: rc = awsc_imds_creds (out); break;
  default:
    rc = profile_creds (cfg, p, cfg->profile, visited, 0, out, &how);
  }
  if (rc == 0)
    error ("refresh AWS credentials from %s: they are gone", cfg->source);
  return rc == 1 ? 0 : -1;
}

/* ---------------------------------------------------------------- */
/* Region and endpoints. */

static int
resolve_endpoint (struct aws_config *cfg, enum aws_service s)
{
  static const char *const vars[] = {
    "AWS_ENDPOINT_URL_EBS", "AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_STS"
  };
  const struct aws_provider *p = cfg->provider;
  const char *v = NULL, *from = NULL, *svcs;
  size_t n;

  if (!env_true ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) {
    if ((v = env (vars[s])) != NULL)
      from = vars[s];
    else if ((v = env ("AWS_ENDPOINT_URL")) != NULL)
      from = "AWS_ENDPOINT_URL";
    else if ((svcs = conf_get (p, cfg->profile, "services")) != NULL) {
      CLEANUP_FREE char *sec = NULL;
      if (asprintf (&sec, "services %s", svcs) == -1)
        return -1;
      v = aws_ini_get (&p->conf, sec, aws_service_name (s), "endpoint_url");
      from = "the services section of the profile";
    }
    if (v == NULL && (v = conf_get (p, cfg->profile, "endpoint_url")) != NULL)
      from = "the endpoint_url of the profile";
  }
  if (v == NULL || !*v) {
    bool cn = strncmp (cfg->region, "cn-", 3) == 0;
    if (asprintf (&cfg->endpoint[s], "https://%s.%s.amazonaws.com%s",
                  aws_service_name (s), cfg->region, cn ? ".cn" : "") == -1)
      return -1;
    return 0;
  }
  if ((strncasecmp (v, "http://", 7) != 0 || !v[7]) &&
      (strncasecmp (v, "https://", 8) != 0 || !v[8])) {
    error ("the %s endpoint from %s is not an http:// or https:// URL",
           aws_service_name (s), from);
    return -1;
  }
  cfg->endpoint[s] = strdup (v);
  if (cfg->endpoint[s] == NULL)
    return -1;
  for (n = strlen (cfg->endpoint[s]); n > 0 && cfg->endpoint[s][n - 1] == '/'; )
    cfg->endpoint[s][--n] = '\0';
  debug ("AWS %s endpoint %s (from %s)", aws_service_name (s),
         cfg->endpoint[s], from);
  return 0;
}

static int
resolve_region (struct aws_config *cfg, const char *arg)
{
  const char *v = arg && *arg ? arg : env ("AWS_REGION");
  bool tried;

  if (v == NULL)
    v = env ("AWS_DEFAULT_REGION");
  if (v == NULL)
    v = conf_get (cfg->provider, cfg->profile, "region");
  if (v && *v) {
    set_str (&cfg->region, v);
    return cfg->region ? 0 : -1;
  }
  cfg->region = awsc_imds_get ("/latest/meta-data/placement/region", &tried);
  if (cfg->region && *cfg->region)
    return 0;
  error ("find the AWS region: none in -oo region=, AWS_REGION, "
         "AWS_DEFAULT_REGION, the profile \"%s\" or the EC2 instance "
         "metadata: give one with -oo region=REGION or AWS_REGION",
         cfg->profile);
  return -1;
}

/* ---------------------------------------------------------------- */

int
aws_config_load (struct aws_config *cfg, const char *profile,
                 const char *region)
{
  struct aws_provider *p;
  const char *visited[MAX_CHAIN], *how = NULL;
  CLEANUP_FREE char *cred_path = NULL, *conf_path = NULL;
  bool explicit_arg = profile && *profile, named = explicit_arg;
  int rc;

  memset (cfg, 0, sizeof *cfg);
  pthread_mutex_init (&cfg->lock, NULL);
  p = cfg->provider = calloc (1, sizeof *p);
  if (p == NULL)
    goto nomem;
  if (!explicit_arg) {
    profile = env ("AWS_PROFILE");
    if (profile == NULL)
      profile = env ("AWS_DEFAULT_PROFILE");
    named = profile != NULL;
    if (profile == NULL)
      profile = "default";
  }
  cfg->profile = strdup (profile);
  if (cfg->profile == NULL)
    goto nomem;
  if (file_path ("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials",
                 &cred_path, &p->cred_label) == -1 ||
      file_path ("AWS_CONFIG_FILE", ".aws/config", &conf_path,
                 &p->conf_label) == -1 ||
      aws_ini_read (cred_path, p->cred_label, &p->cred) == -1 ||
      aws_ini_read (conf_path, p->conf_label, &p->conf) == -1)
    goto fail;
  if (named && !profile_exists (p, profile)) {
    error ("the profile \"%s\" is not in %s or %s", profile, p->cred_label,
           p->conf_label);
    goto fail;
  }

  if (resolve_region (cfg, region) == -1)
    goto fail;
  for (int s = 0; s < AWS_NR_SERVICES; s++)
    if (resolve_endpoint (cfg, s) == -1)
      goto fail;
  set_str (&cfg->ca_bundle, env ("AWS_CA_BUNDLE"));
  if (cfg->ca_bundle == NULL)
    set_str (&cfg->ca_bundle, prof_get (p, profile, "ca_bundle"));
  cfg->http.cacert = cfg->ca_bundle;
  cfg->http.connect_timeout = 10;
  cfg->http.timeout = 60;

  /* The environment's keys, unless a profile was asked for by name
   * (the CLI's --profile; AWS_PROFILE does not override them).
   */
  rc = explicit_arg ? 0 : env_creds (&cfg->creds);
  if (rc == 1) {
    p->kind = SRC_ENV;
    cfg->source = strdup ("the environment");
  }
  else if (rc == 0) {
    visited[0] = profile;
    p->kind = SRC_PROFILE;
    rc = profile_creds (cfg, p, profile, visited, 0, &cfg->creds, &how);
    if (rc == 1 && asprintf (&cfg->source, "profile \"%s\" (%s)", profile,
                             strcmp (how, "credentials") == 0 ? p->cred_label
                             : strcmp (how, "config") == 0 ? p->conf_label
                             : how) == -1)
      cfg->source = NULL;
  }
  if (rc == 0) {
    p->kind = SRC_CONTAINER;
    rc = awsc_container_creds (cfg->http.cacert, &cfg->creds);
    if (rc == 1)
      cfg->source = strdup ("the container credentials endpoint");
  }
  if (rc == 0) {
    p->kind = SRC_IMDS;
    rc = awsc_imds_creds (&cfg->creds);
    if (rc == 1)
      cfg->source = strdup ("the EC2 instance metadata");
  }
  if (rc == 0) {
    error ("find AWS credentials: none in %sprofile \"%s\" (%s, %s)%s",
           explicit_arg ? "" : "the environment, ", profile, p->cred_label,
           p->conf_label,
           env_true ("AWS_EC2_METADATA_DISABLED") ?
           ", or the EC2 instance metadata (disabled by "
           "AWS_EC2_METADATA_DISABLED)" :
           ", or the EC2 instance metadata");
    goto fail;
  }
  if (rc == -1)
    goto fail;
  if (cfg->source == NULL)
    goto nomem;
  debug ("AWS profile \"%s\", region %s, credentials from %s", cfg->profile,
         cfg->region, cfg->source);
  return 0;

 nomem:
  error ("load the AWS configuration: %m");
 fail:
  aws_config_free (cfg);
  return -1;
}

int
aws_config_creds (struct aws_config *cfg, struct aws_creds *out)
{
  int rc = 0;

  pthread_mutex_lock (&cfg->lock);
  if (cfg->provider && cfg->creds.expiration != 0 &&
      cfg->creds.expiration - time (NULL) < REFRESH_BEFORE) {
    struct aws_creds n = { 0 };
    debug ("AWS credentials from %s expire soon: fetching them again",
           cfg->source);
    rc = fetch (cfg, &n);
    if (rc == 0) {
      aws_creds_clear (&cfg->creds);
      cfg->creds = n;
    }
  }
  if (rc == 0)
    rc = aws_creds_copy (out, &cfg->creds);
  pthread_mutex_unlock (&cfg->lock);
  return rc;
}

void
aws_config_free (struct aws_config *cfg)
{
  free (cfg->profile);
  free (cfg->region);
  for (int s = 0; s < AWS_NR_SERVICES; s++)
    free (cfg->endpoint[s]);
  free (cfg->ca_bundle);
  free (cfg->source);
  aws_creds_clear (&cfg->creds);
  if (cfg->provider) {
    aws_ini_free (&cfg->provider->cred);
    aws_ini_free (&cfg->provider->conf);
    free (cfg->provider->cred_label);
    free (cfg->provider->conf_label);
    free (cfg->provider);
  }
  pthread_mutex_destroy (&cfg->lock);
  memset (cfg, 0, sizeof *cfg);
}
