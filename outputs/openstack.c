/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: OpenStack credentials and Keystone v3.
 *
 * Where the credentials come from, as the OpenStack clients do it:
 * with a cloud name (--os-cloud, or OS_CLOUD) the entry in clouds.yaml
 * (OS_CLIENT_CONFIG_FILE, ./clouds.yaml, ~/.config/openstack/,
 * /etc/openstack/), with the first secure.yaml of the same places (or
 * OS_CLIENT_SECURE_FILE) merged over it; otherwise the OS_* environment.  Keystone then
 * gives a token and the catalog, from which the image endpoint is
 * picked by region and interface.
 *
 * Secrets (password, application credential secret, token) are kept
 * here and in request headers or bodies only; no message prints them.
 */

#include <config.h>

#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "outputs.h"

void
os_creds_free (struct os_creds *c)
{
  char **fields[] = {
    &c->auth_url, &c->auth_type, &c->username, &c->user_id, &c->password,
    &c->user_domain_name, &c->user_domain_id, &c->project_name,
    &c->project_id, &c->project_domain_name, &c->project_domain_id,
    &c->appcred_id, &c->appcred_name, &c->appcred_secret, &c->token,
    &c->region, &c->interface, &c->cacert, &c->source,
  };

  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    if (*fields[i] && (fields[i] == &c->password || fields[i] == &c->token ||
                       fields[i] == &c->appcred_secret))
      memset (*fields[i], 0, strlen (*fields[i]));
    free (*fields[i]);
    *fields[i] = NULL;
  }
}

static int
set (char **field, const char *v)
{
  /* YAML's null spellings mean "not set". */
  if (v == NULL || *v == '\0' || strcmp (v, "~") == 0 ||
      strcasecmp (v, "null") == 0)
    return 0;
  free (*field);
  *field = strdup (v);
  if (*field == NULL) {
    error ("read the OpenStack credentials: %m");
    return -1;
  }
  return 0;
}

static int
from_env (struct os_creds *c)
{
  static const struct { const char *env; size_t off; } map[] = {
#define F(e, f) { e, offsetof (struct os_creds, f) }
    F ("OS_AUTH_URL", auth_url), F ("OS_AUTH_TYPE", auth_type),
    F ("OS_USERNAME", username), F ("OS_USER_ID", user_id),
    F ("OS_PASSWORD", password),
    F ("OS_USER_DOMAIN_NAME", user_domain_name),
    F ("OS_USER_DOMAIN_ID", user_domain_id),
    F ("OS_TENANT_NAME", project_name), F ("OS_PROJECT_NAME", project_name),
    F ("OS_TENANT_ID", project_id), F ("OS_PROJECT_ID", project_id),
    F ("OS_PROJECT_DOMAIN_NAME", project_domain_name),
    F ("OS_PROJECT_DOMAIN_ID", project_domain_id),
    F ("OS_APPLICATION_CREDENTIAL_ID", appcred_id),
    F ("OS_APPLICATION_CREDENTIAL_NAME", appcred_name),
    F ("OS_APPLICATION_CREDENTIAL_SECRET", appcred_secret),
    F ("OS_TOKEN", token), F ("OS_REGION_NAME", region),
    F ("OS_INTERFACE", interface), F ("OS_ENDPOINT_TYPE", interface),
    F ("OS_CACERT", cacert),
#undef F
  };
  const char *insecure = getenv ("OS_INSECURE");

  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (set ((char **) ((char *) c + map[i].off), getenv (map[i].env)) == -1)
      return -1;
  if (insecure && yaml_truthy (insecure, &c->insecure) == false)
    c->insecure = false;
  return set (&c->source, "the OS_* environment");
}

/* The first NAME (clouds.yaml, secure.yaml) on openstacksdk's search
 * path, or the file that the environment variable env names: owned, or
 * NULL if there is none.
 */
static char *
find_config (const char *name, const char *env)
{
  const char *e = getenv (env);
  const char *home = getenv ("HOME"), *xdg = getenv ("XDG_CONFIG_HOME");
  char *cand[3] = { NULL };
  char *found = NULL;

  if (e)
    return strdup (e);
  cand[0] = strdup (name);
  if (xdg && asprintf (&cand[1], "%s/openstack/%s", xdg, name) == -1)
    cand[1] = NULL;
  if (!xdg && home && asprintf (&cand[1], "%s/.config/openstack/%s", home, name) == -1)
    cand[1] = NULL;
  if (asprintf (&cand[2], "/etc/openstack/%s", name) == -1)
    cand[2] = NULL;
  for (size_t i = 0; i < 3; i++)
    if (!found && cand[i] && access (cand[i], R_OK) == 0) {
      found = cand[i];
      cand[i] = NULL;
    }
  for (size_t i = 0; i < 3; i++)
    free (cand[i]);
  return found;
}

/* Read and parse the YAML file path (at most 1 MiB): a mapping, or an
 * empty document (an empty mapping).  NULL after error().
 */
static json_t *
read_config (const char *path)
{
  CLEANUP_FREE char *text = malloc (1024 * 1024 + 1);
  ssize_t len;
  json_t *doc;

  if (text == NULL) {
    error ("read \"%s\": %m", path);
    return NULL;
  }
  len = read_at (path, text, 1024 * 1024 + 1, 0);
  if (len == -1) {
    error ("read \"%s\": %m", path);
    return NULL;
  }
  if (len > 1024 * 1024) {
    error ("read \"%s\": it is larger than 1 MiB", path);
    return NULL;
  }
  doc = yaml_read (text, len, path);
  if (json_is_null (doc)) {
    json_decref (doc);
    doc = json_object ();
    if (doc == NULL)
      error ("read \"%s\": %m", path);
  }
  else if (doc && !json_is_object (doc)) {
    error ("read \"%s\": it is not a mapping", path);
    json_decref (doc);
    doc = NULL;
  }
  return doc;
}

/* clouds.yaml, with secure.yaml (looked for in the same places) merged
 * over it the way openstacksdk does: mappings deeply, secure.yaml's
 * values winning.  *where describes the files (owned).
 */
static json_t *
read_clouds (const char *cloud, char **where)
{
  CLEANUP_FREE char *path = find_config ("clouds.yaml", "OS_CLIENT_CONFIG_FILE");
  CLEANUP_FREE char *secure = find_config ("secure.yaml", "OS_CLIENT_SECURE_FILE");
  json_t *doc = NULL, *sec = NULL;

  *where = NULL;
  if (path == NULL && secure == NULL) {
    error ("read the OpenStack credentials: cloud \"%s\" was asked for, but "
           "no clouds.yaml was found (./clouds.yaml, "
           "~/.config/openstack/clouds.yaml, /etc/openstack/clouds.yaml, "
           "or OS_CLIENT_CONFIG_FILE)", cloud);
    return NULL;
  }
  doc = path ? read_config (path) : json_object ();
  if (doc == NULL)
    return NULL;
  if (secure) {
    sec = read_config (secure);
    if (sec == NULL || tree_merge (doc, sec) == -1) {
      json_decref (sec);
      json_decref (doc);
      return NULL;
    }
    json_decref (sec);
  }
  if (asprintf (where, "%s%s%s", path ? path : "",
                path && secure ? " and " : "", secure ? secure : "") == -1) {
    *where = NULL;
    error ("read the OpenStack credentials: %m");
    json_decref (doc);
    return NULL;
  }
  return doc;
}

static int
from_clouds_yaml (struct os_creds *c, const char *cloud)
{
  CLEANUP_FREE char *path = NULL;
  json_t *doc = read_clouds (cloud, &path);
  const json_t *cl, *auth;
  const char *v;
  int ret = -1;

  if (doc == NULL)
    return -1;
  cl = json_object_get (json_object_get (doc, "clouds"), cloud);
  if (!json_is_object (cl)) {
    error ("read \"%s\": it has no cloud \"%s\"", path, cloud);
    goto out;
  }
  auth = json_object_get (cl, "auth");
  {
    static const struct { const char *key; size_t off; } keys[] = {
#define F(k, f) { k, offsetof (struct os_creds, f) }
      F ("auth_url", auth_url), F ("username", username),
      F ("user_id", user_id), F ("password", password),
      F ("user_domain_name", user_domain_name),
      F ("user_domain_id", user_domain_id),
      F ("project_name", project_name), F ("tenant_name", project_name),
      F ("project_id", project_id), F ("tenant_id", project_id),
      F ("project_domain_name", project_domain_name),
      F ("project_domain_id", project_domain_id),
      F ("application_credential_id", appcred_id),
      F ("application_credential_name", appcred_name),
      F ("application_credential_secret", appcred_secret),
      F ("token", token),
#undef F
    };
    for (size_t i = 0; auth && i < sizeof keys / sizeof keys[0]; i++)
      if (set ((char **) ((char *) c + keys[i].off), tree_str (auth, keys[i].key)) == -1)
        goto out;
  }
  if (set (&c->auth_type, tree_str (cl, "auth_type")) == -1 ||
      set (&c->region, tree_str (cl, "region_name")) == -1 ||
      set (&c->interface, tree_str (cl, "interface")) == -1 ||
      set (&c->cacert, tree_str (cl, "cacert")) == -1)
    goto out;
  if (c->region == NULL) {
    /* regions: [ NAME | {name: NAME} ... ]: the first. */
    const json_t *r0 = json_array_get (json_object_get (cl, "regions"), 0);
    if (r0) {
      if (set (&c->region, json_is_string (r0) ? json_string_value (r0)
                                                : tree_str (r0, "name")) == -1)
        goto out;
    }
  }
  if ((v = tree_str (cl, "verify")) != NULL) {
    bool verify = true;
    if (!yaml_truthy (v, &verify)) {
      error ("read \"%s\": cloud \"%s\": verify: \"%s\" is not true or false",
             path, cloud, v);
      goto out;
    }
    c->insecure = !verify;
  }
  if (asprintf (&c->source, "cloud \"%s\" in %s", cloud, path) == -1) {
    c->source = NULL;
    error ("read \"%s\": %m", path);
    goto out;
  }
  ret = 0;
 out:
  json_decref (doc);
  return ret;
}

int
os_creds_load (const char *cloud, const char *password, struct os_creds *c)
{
  memset (c, 0, sizeof *c);
  if (cloud == NULL)
    cloud = getenv ("OS_CLOUD");
  if ((cloud && *cloud ? from_clouds_yaml (c, cloud) : from_env (c)) == -1)
    return -1;
  /* -op FILE wins over clouds.yaml and OS_PASSWORD. */
  if (password) {
    if (c->password)
      memset (c->password, 0, strlen (c->password));
    free (c->password);
    c->password = strdup (password);
    if (c->password == NULL) {
      error ("read the OpenStack credentials: %m");
      return -1;
    }
  }
  /* The environment still picks region and interface if clouds.yaml
   * did not.
   */
  if ((!c->region && set (&c->region, getenv ("OS_REGION_NAME")) == -1) ||
      (!c->interface && set (&c->interface, getenv ("OS_INTERFACE")) == -1))
    return -1;
  if (c->auth_url == NULL) {
    error ("read the OpenStack credentials: no auth URL (set OS_CLOUD and "
           "a clouds.yaml, or OS_AUTH_URL and the other OS_* variables)");
    return -1;
  }
  if (c->auth_type == NULL)
    set (&c->auth_type, c->appcred_id || c->appcred_name ? "v3applicationcredential"
                      : c->token && !c->password ? "v3token" : "password");
  if (c->auth_type == NULL)
    return -1;
  if (strcmp (c->auth_type, "v3password") == 0)
    set (&c->auth_type, "password");
  if (strcmp (c->auth_type, "token") == 0)
    set (&c->auth_type, "v3token");
  if (strcmp (c->auth_type, "password") && strcmp (c->auth_type, "v3token") &&
      strcmp (c->auth_type, "v3applicationcredential")) {
    error ("read the OpenStack credentials (%s): auth type \"%s\" is not "
           "supported (use password, v3applicationcredential or token)",
           c->source, c->auth_type);
    return -1;
  }
  if (c->interface) {
    /* "publicURL" is the old spelling. */
    char *u = strstr (c->interface, "URL");
    if (u)
      *u = '\0';
  }
  return 0;
}

/* The body of POST /v3/auth/tokens (owned; it holds secrets). */
static char *
auth_body (const struct os_creds *c)
{
  struct json j;
  bool scoped = c->project_id || c->project_name;

  json_init (&j, false);
  json_begin_object (&j, NULL);
  json_begin_object (&j, "auth");
  json_begin_object (&j, "identity");
  if (strcmp (c->auth_type, "password") == 0) {
    json_begin_array (&j, "methods");
    json_add_string (&j, NULL, "password");
    json_end_array (&j);
    json_begin_object (&j, "password");
    json_begin_object (&j, "user");
    if (c->user_id)
      json_add_string (&j, "id", c->user_id);
    else {
      json_add_string (&j, "name", c->username);
      json_begin_object (&j, "domain");
      if (c->user_domain_id)
        json_add_string (&j, "id", c->user_domain_id);
      else
        json_add_string (&j, "name", c->user_domain_name ? c->user_domain_name : "Default");
      json_end_object (&j);
    }
    json_add_string (&j, "password", c->password);
    json_end_object (&j);
    json_end_object (&j);
  }
  else if (strcmp (c->auth_type, "v3applicationcredential") == 0) {
    json_begin_array (&j, "methods");
    json_add_string (&j, NULL, "application_credential");
    json_end_array (&j);
    json_begin_object (&j, "application_credential");
    if (c->appcred_id)
      json_add_string (&j, "id", c->appcred_id);
    else {
      json_add_string (&j, "name", c->appcred_name);
      json_begin_object (&j, "user");
      if (c->user_id)
        json_add_string (&j, "id", c->user_id);
      else {
        json_add_string (&j, "name", c->username);
        json_begin_object (&j, "domain");
        json_add_string (&j, "name", c->user_domain_name ? c->user_domain_name : "Default");
        json_end_object (&j);
      }
      json_end_object (&j);
    }
    json_add_string (&j, "secret", c->appcred_secret);
    json_end_object (&j);
    scoped = false;             /* an application credential carries its scope */
  }
  else {
    json_begin_array (&j, "methods");
    json_add_string (&j, NULL, "token");
    json_end_array (&j);
    json_begin_object (&j, "token");
    json_add_string (&j, "id", c->token);
    json_end_object (&j);
  }
  json_end_object (&j);         /* identity */
  if (scoped) {
    json_begin_object (&j, "scope");
    json_begin_object (&j, "project");
    if (c->project_id)
      json_add_string (&j, "id", c->project_id);
    else {
      json_add_string (&j, "name", c->project_name);
      json_begin_object (&j, "domain");
      if (c->project_domain_id)
        json_add_string (&j, "id", c->project_domain_id);
      else
        json_add_string (&j, "name", c->project_domain_name ? c->project_domain_name : "Default");
      json_end_object (&j);
    }
    json_end_object (&j);
    json_end_object (&j);
  }
  json_end_object (&j);         /* auth */
  json_end_object (&j);
  return json_take (&j);
}

/* Pick the image endpoint from the catalog. */
static int
find_endpoint (struct os_session *s, const json_t *token)
{
  const json_t *cat = json_object_get (token, "catalog");
  const char *want_if = s->creds.interface ? s->creds.interface : "public";
  CLEANUP_FREE char *regions = NULL;
  struct sbuf seen = SBUF_INIT;

  for (size_t i = 0; i < json_array_size (cat); i++) {
    const json_t *svc = json_array_get (cat, i);
    const json_t *eps = json_object_get (svc, "endpoints");
    const char *type = tree_str (svc, "type");

    if (type == NULL || strcmp (type, "image") != 0)
      continue;
    for (size_t k = 0; k < json_array_size (eps); k++) {
      const json_t *ep = json_array_get (eps, k);
      const char *iface = tree_str (ep, "interface"), *url = tree_str (ep, "url");
      const char *region = tree_str (ep, "region_id") ? tree_str (ep, "region_id")
                                                    : tree_str (ep, "region");
      if (iface == NULL || url == NULL)
        continue;
      sbuf_printf (&seen, "%s%s/%s", seen.len ? ", " : "", region ? region : "-", iface);
      if (strcmp (iface, want_if) != 0 ||
          (s->creds.region && (region == NULL || strcmp (region, s->creds.region) != 0)))
        continue;
      free (s->image_url);
      s->image_url = strdup (url);
      /* No trailing slash, no version suffix: we add /v2/... */
      if (s->image_url) {
        size_t n = strlen (s->image_url);
        while (n > 0 && s->image_url[n - 1] == '/')
          s->image_url[--n] = '\0';
        if (n >= 3 && strcmp (s->image_url + n - 3, "/v2") == 0)
          s->image_url[n - 3] = '\0';
      }
      sbuf_free (&seen);
      return s->image_url ? 0 : (error ("authenticate: %m"), -1);
    }
  }
  error ("find the image service in the catalog of %s: no %s endpoint%s%s "
         "(the catalog has: %s)", s->creds.auth_url, want_if,
         s->creds.region ? " in region " : "",
         s->creds.region ? s->creds.region : "",
         seen.len ? seen.s : "no image service");
  sbuf_free (&seen);
  return -1;
}

int
os_authenticate (struct os_session *s)
{
  CLEANUP_FREE char *body = auth_body (&s->creds);
  CLEANUP_FREE char *url = NULL;
  struct http_response r = { 0 };
  static const char *const hdrs[] = { "Content-Type: application/json", NULL };
  json_t *doc = NULL;
  const char *tok;
  size_t n;
  int ret = -1;

  if (body == NULL) {
    error ("authenticate: %m");
    return -1;
  }
  n = strlen (s->creds.auth_url);
  while (n > 0 && s->creds.auth_url[n - 1] == '/')
    n--;
  if (asprintf (&url, "%.*s%s/auth/tokens", (int) n, s->creds.auth_url,
                n >= 3 && strncmp (s->creds.auth_url + n - 3, "/v3", 3) == 0 ? "" : "/v3") == -1) {
    url = NULL;
    error ("authenticate: %m");
    goto out;
  }
  if (http_request (&s->http, "POST", url, hdrs, body, strlen (body), &r) == -1)
    goto out;
  memset (body, 0, strlen (body));
  if (r.status != 201) {
    CLEANUP_FREE char *why = http_describe (&r);
    CLEANUP_FREE char *safe = http_redact_url (url);
    error ("authenticate to %s as %s: %s", safe ? safe : "keystone",
           s->creds.source, r.status == 401 ?
           "the credentials were refused (HTTP 401)" : why ? why : "failed");
    goto out;
  }
  tok = http_header (&r, "x-subject-token");
  doc = json_read (r.body, r.len, "the Keystone token", false);
  if (tok == NULL || doc == NULL) {
    if (tok == NULL)
      error ("authenticate: Keystone's answer has no X-Subject-Token");
    goto out;
  }
  free (s->token);
  s->token = strdup (tok);
  free (s->auth_header);
  if (s->token == NULL || asprintf (&s->auth_header, "X-Auth-Token: %s", s->token) == -1) {
    s->auth_header = NULL;
    error ("authenticate: %m");
    goto out;
  }
  if (find_endpoint (s, json_object_get (doc, "token")) == -1)
    goto out;
  debug ("openstack: authenticated (%s), image endpoint %s", s->creds.auth_type,
         s->image_url);
  ret = 0;
 out:
  json_decref (doc);
  http_response_free (&r);
  return ret;
}

int
os_session_open (struct os_session *s, const char *cloud, const char *password)
{
  memset (s, 0, sizeof *s);
  if (os_creds_load (cloud, password, &s->creds) == -1)
    return -1;
  s->http.cacert = s->creds.cacert;
  s->http.insecure = s->creds.insecure;
  return os_authenticate (s);
}

void
os_session_close (struct os_session *s)
{
  os_creds_free (&s->creds);
  if (s->token)
    memset (s->token, 0, strlen (s->token));
  if (s->auth_header)
    memset (s->auth_header, 0, strlen (s->auth_header));
  free (s->token);
  free (s->auth_header);
  free (s->image_url);
  memset (s, 0, sizeof *s);
}

int
os_request (struct os_session *s, const char *method, const char *path,
            const char *content_type, const char *body,
            struct http_response *r)
{
  for (int attempt = 0; ; attempt++) {
    CLEANUP_FREE char *url = NULL, *ct = NULL;
    const char *hdrs[4] = { s->auth_header, NULL, NULL, NULL };

    if (asprintf (&url, "%s%s", s->image_url, path) == -1 ||
        (content_type && asprintf (&ct, "Content-Type: %s", content_type) == -1)) {
      error ("%s %s: %m", method, path);
      return -1;
    }
    if (ct)
      hdrs[1] = ct;
    hdrs[ct ? 2 : 1] = "Accept: application/json";
    memset (r, 0, sizeof *r);
    if (http_request (&s->http, method, url, hdrs, body, body ? strlen (body) : 0,
                      r) == -1)
      return -1;
    /* An expired token: authenticate again, once. */
    if (r->status == 401 && attempt == 0 && strcmp (s->creds.auth_type, "v3token")) {
      http_response_free (r);
      debug ("openstack: token refused, authenticating again");
      if (os_authenticate (s) == -1)
        return -1;
      continue;
    }
    return 0;
  }
}
