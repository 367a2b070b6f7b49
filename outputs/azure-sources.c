/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: where Entra ID tokens for ARM come from, for azure-creds.c:
 * the token endpoint (client secret, client certificate, workload
 * identity), managed identity (App Service, the instance metadata
 * service), the az CLI.  What they answer is read by azure-parse.c;
 * the certificate's assertion is made by azure-cert.c.
 *
 * Secrets (the client secret, the signed assertions, the federated
 * token, IDENTITY_HEADER, the tokens) never reach a message or
 * debug(); every buffer that held one is wiped.
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common.h"
#include "azure-sources.h"

#define CLI_MAX_OUT (64 * 1024)
#define CLI_TIMEOUT 60
#define DESC_MAX 200            /* bytes of an error description shown */

extern char **environ;

static void
wipe_free (char *s)
{
  if (s) {
    explicit_bzero (s, strlen (s));
    free (s);
  }
}

static void
sbuf_wipe (struct sbuf *b)
{
  if (b->s)
    explicit_bzero (b->s, b->len);
  sbuf_free (b);
}

/* ---------------------------------------------------------------- */
/* The token endpoint. */

/* Every copy of secret in msg becomes "***". */
static void
redact (char *msg, const char *secret)
{
  size_t n = secret ? strlen (secret) : 0;
  char *p;

  if (msg == NULL || n < 4)
    return;
  while ((p = strstr (msg, secret)) != NULL) {
    memcpy (p, "***", 3);
    memmove (p + 3, p + n, strlen (p + n) + 1);
  }
}

/* application/x-www-form-urlencoded. */
static int
form_add (struct sbuf *b, const char *key, const char *v)
{
  char *e = curl_easy_escape (NULL, v, 0);
  int rc;

  if (e == NULL)
    return -1;
  rc = sbuf_printf (b, "%s%s=%s", b->len ? "&" : "", key, e);
  explicit_bzero (e, strlen (e));
  curl_free (e);
  return rc;
}

/* Turn an answer into *out, or error() with Entra's (or the identity
 * endpoint's) error, without any of secrets.  0 or -1.
 */
static int
answer (struct az_config *cfg, struct http_response *r,
        const char *const *secrets, struct az_token *out)
{
  const char *why;
  int rc = -1;

  if (r->status == 200) {
    if (azs_token_parse (r->body, r->len, time (NULL), out, &why) == 0)
      rc = 0;
    else
      error ("get an Azure token from %s: it %s", cfg->source, why);
  }
  else {
    char *d = azs_error_text (r);
    for (size_t i = 0; secrets && secrets[i]; i++)
      redact (d, secrets[i]);
    error ("get an Azure token from %s: %s", cfg->source,
           d ? d : "out of memory");
    free (d);
  }
  if (r->body)
    explicit_bzero (r->body, r->len);
  http_response_free (r);
  return rc;
}

/* A request failed without an answer: say so with the source. */
static int
no_answer (struct az_config *cfg)
{
  char why[1024];

  snprintf (why, sizeof why, "%s", last_error () ? last_error () : "failed");
  error ("get an Azure token from %s: %s", cfg->source, why);
  return -1;
}

/* The client credentials grant: the client_secret or the
 * client_assertion (cred, secret) as key.
 */
static int
client_credentials (struct az_config *cfg, const char *key, const char *cred,
                    struct az_token *out)
{
  const char *hdrs[] = {
    "Content-Type: application/x-www-form-urlencoded",
    "Accept: application/json", NULL
  };
  const char *secrets[] = { cred, NULL };
  struct http_opts o = cfg->http;
  struct http_response r = { 0 };
  struct sbuf b = SBUF_INIT;
  CLEANUP_FREE char *url = azs_token_url (cfg), *scope = NULL;
  int rc = -1;

  if (url == NULL || asprintf (&scope, "%s/.default", cfg->arm) == -1) {
    scope = NULL;
    goto nomem;
  }
  if (form_add (&b, "grant_type", "client_credentials") == -1 ||
      form_add (&b, "client_id", cfg->provider->client_id) == -1 ||
      (strcmp (key, "client_assertion") == 0 &&
       form_add (&b, "client_assertion_type",
                 "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") == -1) ||
      form_add (&b, key, cred) == -1 || form_add (&b, "scope", scope) == -1)
    goto nomem;
  /* A token request changes nothing: safe to repeat. */
  o.post_idempotent = true;
  debug ("Azure token from %s: POST %s", cfg->source, url);
  if (http_request (&o, "POST", url, hdrs, b.s, b.len, &r) == -1)
    no_answer (cfg);
  else
    rc = answer (cfg, &r, secrets, out);
  sbuf_wipe (&b);
  return rc;

 nomem:
  sbuf_wipe (&b);
  error ("get an Azure token from %s: out of memory", cfg->source);
  return -1;
}

static int
from_cert (struct az_config *cfg, struct az_token *out)
{
  char *jwt = azs_assertion (cfg, time (NULL));
  int rc;

  if (jwt == NULL) {
    error ("get an Azure token from %s: cannot sign the client assertion",
           cfg->source);
    return -1;
  }
  rc = client_credentials (cfg, "client_assertion", jwt, out);
  wipe_free (jwt);
  return rc;
}

/* Workload identity: the federated token, read again every time (the
 * platform renews the file).
 */
static int
from_workload (struct az_config *cfg, struct az_token *out)
{
  size_t len = 0, s = 0, e;
  char *data = azs_read_file (cfg->provider->path,
                              "AZURE_FEDERATED_TOKEN_FILE", &len);
  int rc = -1;

  if (data == NULL)
    return no_answer (cfg);
  while (s < len && strchr (" \t\r\n", data[s]))
    s++;
  for (e = len; e > s && strchr (" \t\r\n", data[e - 1]); e--)
    ;
  data[e] = '\0';
  if (e == s || strlen (data + s) != e - s)
    error ("get an Azure token from %s: the federated token file is %s",
           cfg->source, e == s ? "empty" : "not text");
  else
    rc = client_credentials (cfg, "client_assertion", data + s, out);
  explicit_bzero (data, len);
  free (data);
  return rc;
}

/* ---------------------------------------------------------------- */
/* Managed identity. */

bool
azs_reachable (const char *url)
{
  CLEANUP_FREE char *host = NULL;
  const char *h, *e, *port = "80";
  char pbuf[8];
  struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
  bool ok = false;

  if (strncasecmp (url, "http://", 7) == 0)
    h = url + 7;
  else if (strncasecmp (url, "https://", 8) == 0) {
    h = url + 8;
    port = "443";
  }
  else
    return false;
  if (*h == '[') {
    if ((e = strchr (h, ']')) == NULL)
      return false;
    host = strndup (h + 1, e - h - 1);
    e++;
  }
  else {
    e = h + strcspn (h, ":/?");
    host = strndup (h, e - h);
  }
  if (host == NULL || !*host)
    return false;
  if (*e == ':') {
    snprintf (pbuf, sizeof pbuf, "%.*s", (int) strcspn (e + 1, "/?"), e + 1);
    port = pbuf;
  }
  if (getaddrinfo (host, port, &hints, &ai) != 0)
    return false;
  for (struct addrinfo *a = ai; a && !ok; a = a->ai_next) {
    int fd = socket (a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct pollfd pf = { .fd = fd, .events = POLLOUT };
    int err = 0;
    socklen_t len = sizeof err;

    if (fd == -1)
      continue;
    if (connect (fd, a->ai_addr, a->ai_addrlen) == 0 ||
        (errno == EINPROGRESS && poll (&pf, 1, 1000) == 1 &&
         getsockopt (fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0))
      ok = true;
    close (fd);
  }
  freeaddrinfo (ai);
  return ok;
}

/* Is the answer an error in JSON, as Azure's identity endpoints give? */
static bool
json_error (const struct http_response *r)
{
  json_t *j = r->body && r->len ? json_loadb (r->body, r->len, 0, NULL) : NULL;
  bool ok = json_is_object (j) && json_object_get (j, "error") != NULL;

  json_decref (j);
  return ok;
}

/* GET url with header (secret) from an identity endpoint. */
static int
identity_get (struct az_config *cfg, const struct http_opts *o,
              const char *url, const char *header, const char *secret,
              bool probe, struct az_token *out)
{
  const char *hdrs[] = { header, "Accept: application/json", NULL };
  const char *secrets[] = { secret, NULL };
  struct http_response r = { 0 };
  CLEANUP_FREE char *safe = http_redact_url (url);

  debug ("Azure token from %s: GET %s", cfg->source, safe ? safe : "");
  if (http_request (o, "GET", url, hdrs, NULL, 0, &r) == -1)
    return no_answer (cfg);
  /* Something at 169.254.169.254 that is not Azure's (another cloud's
   * metadata service, a transparent proxy: no JSON error), or a VM
   * without an identity: not there.
   */
  if (probe && r.status != 200 &&
      (r.status == 401 || r.status == 403 || r.status == 404 ||
       r.status == 405 || !json_error (&r) ||
       (r.status == 400 && cfg->provider->client_id == NULL))) {
    debug ("Azure token from %s: HTTP %ld, taken for no managed identity",
           cfg->source, r.status);
    if (r.body)
      explicit_bzero (r.body, r.len);
    http_response_free (&r);
    return 1;
  }
  return answer (cfg, &r, secrets, out);
}

/* url, then "?" or "&", then the query (owned), or NULL. */
static char *
with_query (const char *base, const char *resource, const char *client_id,
            const char *api)
{
  char *res = curl_easy_escape (NULL, resource, 0);
  char *cid = client_id ? curl_easy_escape (NULL, client_id, 0) : NULL;
  char *u = NULL;

  if (res && (cid || !client_id) &&
      asprintf (&u, "%s%capi-version=%s&resource=%s%s%s", base,
                strchr (base, '?') ? '&' : '?', api, res,
                cid ? "&client_id=" : "", cid ? cid : "") == -1)
    u = NULL;
  curl_free (res);
  curl_free (cid);
  return u;
}

static int
from_appservice (struct az_config *cfg, struct az_token *out)
{
  const struct az_provider *p = cfg->provider;
  struct http_opts o = { .cacert = p->ca_bundle, .connect_timeout = 5,
                         .timeout = 30 };
  CLEANUP_FREE char *url = with_query (p->endpoint, cfg->arm, p->client_id,
                                       "2019-08-01");
  char *hdr = NULL;
  int rc;

  if (url == NULL ||
      asprintf (&hdr, "X-IDENTITY-HEADER: %s", p->identity_header) == -1) {
    error ("get an Azure token from %s: out of memory", cfg->source);
    return -1;
  }
  rc = identity_get (cfg, &o, url, hdr, p->identity_header, false, out);
  wipe_free (hdr);
  return rc;
}

static int
from_imds (struct az_config *cfg, bool probe, struct az_token *out)
{
  const struct az_provider *p = cfg->provider;
  /* Off Azure there is nothing at 169.254.169.254, or something that
   * does not answer: given up after the 1 s probe.  While the chain
   * looks for a source, one attempt that must answer within 10 s.
   */
  struct http_opts o = { .connect_timeout = 1, .timeout = probe ? 10 : 30,
                         .retries = probe ? -1 : 2 };
  CLEANUP_FREE char *base = NULL, *res = NULL, *url = NULL;

  if (!azs_reachable (p->endpoint)) {
    if (probe) {
      debug ("the instance metadata service (%s) is not there", p->endpoint);
      return 1;
    }
    error ("get an Azure token from %s: the instance metadata service (%s) "
           "does not answer", cfg->source, p->endpoint);
    return -1;
  }
  if (asprintf (&base, "%s/metadata/identity/oauth2/token", p->endpoint) == -1 ||
      asprintf (&res, "%s/", cfg->arm) == -1 ||
      (url = with_query (base, res, p->client_id, "2018-02-01")) == NULL) {
    error ("get an Azure token from %s: out of memory", cfg->source);
    return -1;
  }
  return identity_get (cfg, &o, url, "Metadata: true", NULL, probe, out);
}

/* ---------------------------------------------------------------- */
/* The az CLI. */

char *
azs_find_az (void)
{
  const char *path = getenv ("PATH");

  if (path == NULL)
    path = "/usr/bin:/bin";
  for (const char *d = path; ; ) {
    size_t n = strcspn (d, ":");
    char *f;
    struct stat st;

    if (asprintf (&f, "%.*s/az", (int) n, n ? d : ".") == -1)
      return NULL;
    if (stat (f, &st) == 0 && S_ISREG (st.st_mode) && access (f, X_OK) == 0)
      return f;
    free (f);
    if (d[n] == '\0')
      return NULL;
    d += n + 1;
  }
}

/* Read what is there on *fd into b (at most max bytes kept: *over set
 * beyond); close it at EOF.
 */
static void
drain (int *fd, struct sbuf *b, size_t max, bool *over)
{
  char buf[4096];
  ssize_t r;

  while (*fd >= 0) {
    r = read (*fd, buf, sizeof buf);
    if (r == -1 && errno == EINTR)
      continue;
    if (r == -1 && errno == EAGAIN)
      break;
    if (r <= 0) {
      close (*fd);
      *fd = -1;
      break;
    }
    if (b->len + r > max)
      *over = true;
    else
      sbuf_add (b, buf, r);
  }
  explicit_bzero (buf, sizeof buf);
}

/* Run argv with stdout and stderr captured (64 KiB each), for at most
 * CLI_TIMEOUT s.  The environment is ferry's, AZURE_CONFIG_DIR and all
 * (run_command would take the AZURE_* variables away).  Grandchildren
 * that keep the pipes open (the CLI's telemetry) are not waited for.
 * The exit status, or -1 with *why (a constant).
 */
static int
run_az (char *const *argv, struct sbuf *out, struct sbuf *err,
        const char **why)
{
  int op[2] = { -1, -1 }, ep[2] = { -1, -1 }, status = 0;
  double deadline = now_seconds () + CLI_TIMEOUT;
  bool exited = false, over = false, ignored = false;
  pid_t pid;

  *why = "cannot be started";
  if (pipe2 (op, O_CLOEXEC | O_NONBLOCK) == -1 ||
      pipe2 (ep, O_CLOEXEC | O_NONBLOCK) == -1)
    goto fail;
  pid = fork ();
  if (pid == -1)
    goto fail;
  if (pid == 0) {
    int devnull = open ("/dev/null", O_RDONLY);
    signal (SIGINT, SIG_DFL);
    signal (SIGTERM, SIG_DFL);
    signal (SIGPIPE, SIG_DFL);
    prctl (PR_SET_PDEATHSIG, SIGKILL);
    if (devnull >= 0)
      dup2 (devnull, 0);
    dup2 (op[1], 1);
    dup2 (ep[1], 2);
    closefrom (3);
    execve (argv[0], argv, environ);
    _exit (127);
  }
  close (op[1]);
  close (ep[1]);
  *why = NULL;
  while (!exited) {
    struct pollfd pf[2] = { { .fd = op[0], .events = POLLIN },
                            { .fd = ep[0], .events = POLLIN } };
    double left = deadline - now_seconds ();

    if (left <= 0) {
      *why = "did not finish within 60 s: stopped it";
      break;
    }
    if (poll (pf, 2, left < 0.1 ? (int) (left * 1000) + 1 : 100) == -1 &&
        errno != EINTR)
      break;
    drain (&op[0], out, CLI_MAX_OUT, &over);
    drain (&ep[0], err, CLI_MAX_OUT, &ignored);
    if (over) {
      *why = "printed more than 64 KiB: stopped it";
      break;
    }
    if (waitpid (pid, &status, WNOHANG) == pid)
      exited = true;
  }
  if (exited) {
    drain (&op[0], out, CLI_MAX_OUT, &over);
    drain (&ep[0], err, CLI_MAX_OUT, &ignored);
  }
  else {
    kill (pid, SIGKILL);
    while (waitpid (pid, &status, 0) == -1 && errno == EINTR)
      ;
  }
  if (op[0] >= 0)
    close (op[0]);
  if (ep[0] >= 0)
    close (ep[0]);
  if (*why)
    return -1;
  if (!exited || over) {
    *why = over ? "printed more than 64 KiB" : "could not be waited for";
    return -1;
  }
  if (WIFSIGNALED (status)) {
    *why = "was killed by a signal";
    return -1;
  }
  return WEXITSTATUS (status);

 fail:
  for (int i = 0; i < 2; i++) {
    if (op[i] >= 0)
      close (op[i]);
    if (ep[i] >= 0)
      close (ep[i]);
  }
  return -1;
}

/* The line of the CLI's stderr that says what went wrong: the first
 * "ERROR:" line, else the first that is not empty (owned), or NULL.
 */
static char *
cli_error_line (const char *s)
{
  const char *first = NULL;

  for (const char *p = s; p && *p; p = strchr (p, '\n') ? strchr (p, '\n') + 1 : NULL) {
    const char *q = p + strspn (p, " \t\r");
    if (strncmp (q, "ERROR:", 6) == 0)
      return azs_clean_line (q, DESC_MAX);
    if (first == NULL && *q && *q != '\n')
      first = q;
  }
  return first ? azs_clean_line (first, DESC_MAX) : NULL;
}

static int
from_cli (struct az_config *cfg, struct az_token *out)
{
  char *argv[] = {
    cfg->provider->az, (char *) "account", (char *) "get-access-token",
    (char *) "--resource", cfg->arm, (char *) "--output", (char *) "json", NULL
  };
  struct sbuf o = SBUF_INIT, e = SBUF_INIT;
  const char *why = NULL;
  int st, rc = -1;

  debug ("Azure token from the az CLI: %s account get-access-token "
         "--resource %s --output json", argv[0], cfg->arm);
  st = run_az (argv, &o, &e, &why);
  if (st == -1)
    error ("get an Azure token from the az CLI: \"%s\" %s", argv[0], why);
  else if (st == 127)
    error ("get an Azure token from the az CLI: \"%s\" could not be run "
           "(exit 127)", argv[0]);
  else if (st != 0) {
    CLEANUP_FREE char *line = e.s ? cli_error_line (e.s) : NULL;
    error ("get an Azure token from the az CLI: \"az account get-access-token\" "
           "exited %d%s%s", st, line && *line ? ": " : "",
           line && *line ? line : " (run \"az login\")");
  }
  else if (azs_token_parse (o.s ? o.s : "", o.len, time (NULL), out, &why) == -1)
    error ("get an Azure token from the az CLI: \"az account get-access-token\" "
           "%s%s", strncmp (why, "answered", 8) == 0 ? "printed" : "",
           strncmp (why, "answered", 8) == 0 ? why + 8 : why);
  else
    rc = 0;
  sbuf_wipe (&o);
  sbuf_wipe (&e);
  return rc;
}

/* ---------------------------------------------------------------- */

int
azs_fetch (struct az_config *cfg, bool probe, struct az_token *out)
{
  struct az_provider *p = cfg->provider;

  out->token = NULL;
  out->expires = 0;
  switch (p->kind) {
  case AZ_SECRET:
    return client_credentials (cfg, "client_secret", p->secret, out);
  case AZ_CERT:
    return from_cert (cfg, out);
  case AZ_WORKLOAD:
    return from_workload (cfg, out);
  case AZ_APPSERVICE:
    return from_appservice (cfg, out);
  case AZ_IMDS:
    return from_imds (cfg, probe, out);
  case AZ_CLI:
    return from_cli (cfg, out);
  }
  error ("get an Azure token: no source");
  return -1;
}
