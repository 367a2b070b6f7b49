/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit test for the Entra ID token chain (outputs/azure-creds.c,
 * azure-sources.c).
 *
 * A tiny HTTP server on 127.0.0.1 stands in for Entra's token
 * endpoint, App Service's identity endpoint and IMDS; a key and a
 * certificate made here with "openssl req -x509"; a fake "az" script
 * first on PATH.  AZURE_IMDS_ENDPOINT is always set (a closed port
 * unless IMDS is tested): 169.254.169.254 is never touched.  stderr
 * (with debug on) is captured and searched for every secret at the end.
 */

#include <config.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "azure.h"
#include "azure-sources.h"
#include "unittest.h"

/* ---------------------------------------------------------------- */
/* The server: one request per connection, one canned answer. */

static struct {
  int lfd, port;
  pthread_t thread;
  pthread_mutex_t lock;
  bool stop;
  int requests;
  char method[16], target[1024], head[8192], body[16384];
  int status;
  char reply[4096];
} srv = { .lock = PTHREAD_MUTEX_INITIALIZER };

static const char *
hdr_in (const char *head, const char *name)
{
  static __thread char v[1024];
  size_t n = strlen (name);

  for (const char *p = head; p && *p; p = strchr (p, '\n') ? strchr (p, '\n') + 1 : NULL)
    if (strncasecmp (p, name, n) == 0 && p[n] == ':') {
      const char *s = p + n + 1;
      while (*s == ' ')
        s++;
      snprintf (v, sizeof v, "%.*s", (int) strcspn (s, "\r\n"), s);
      return v;
    }
  return NULL;
}

static void
serve (int fd)
{
  char req[32768], out[8192], *end;
  size_t len = 0, clen = 0;
  const char *v;
  ssize_t r;
  int n;

  while ((end = memmem (req, len, "\r\n\r\n", 4)) == NULL) {
    r = read (fd, req + len, sizeof req - 1 - len);
    if (r <= 0)
      return;
    len += r;
  }
  req[len] = '\0';
  *end = '\0';
  if ((v = hdr_in (strchr (req, '\n') + 1, "content-length")) != NULL)
    clen = atoi (v);
  while (len - (end + 4 - req) < clen && len < sizeof req - 1) {
    r = read (fd, req + len, sizeof req - 1 - len);
    if (r <= 0)
      break;
    len += r;
  }
  req[len] = '\0';
  pthread_mutex_lock (&srv.lock);
  srv.requests++;
  if (sscanf (req, "%15s %1023s", srv.method, srv.target) != 2)
    srv.method[0] = srv.target[0] = '\0';
  snprintf (srv.head, sizeof srv.head, "%s", strchr (req, '\n') + 1);
  snprintf (srv.body, sizeof srv.body, "%s", end + 4);
  n = snprintf (out, sizeof out, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", srv.status,
                strlen (srv.reply), srv.reply);
  pthread_mutex_unlock (&srv.lock);
  if (write (fd, out, n) != n)
    perror ("test server: write");
}

static void *
server_thread (void *arg)
{
  (void) arg;
  for (;;) {
    struct pollfd pfd = { .fd = srv.lfd, .events = POLLIN };
    struct timeval tv = { .tv_sec = 5 };
    bool stop;
    int fd;

    pthread_mutex_lock (&srv.lock);
    stop = srv.stop;
    pthread_mutex_unlock (&srv.lock);
    if (stop)
      return NULL;
    if (poll (&pfd, 1, 100) <= 0)
      continue;
    fd = accept (srv.lfd, NULL, NULL);
    if (fd == -1)
      continue;
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    serve (fd);
    close (fd);
  }
}

static int
listen_on (int *port)
{
  struct sockaddr_in sa = { .sin_family = AF_INET };
  socklen_t len = sizeof sa;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (fd == -1 || bind (fd, (struct sockaddr *) &sa, sizeof sa) == -1 ||
      listen (fd, 16) == -1 ||
      getsockname (fd, (struct sockaddr *) &sa, &len) == -1) {
    perror ("listen");
    exit (EXIT_FAILURE);
  }
  *port = ntohs (sa.sin_port);
  return fd;
}

/* Answer status and body (a format) from now on; the log cleared. */
static void
answer (int status, const char *fs, ...) __attribute__ ((format (printf, 2, 3)));
static void
answer (int status, const char *fs, ...)
{
  va_list a;

  pthread_mutex_lock (&srv.lock);
  srv.status = status;
  va_start (a, fs);
  vsnprintf (srv.reply, sizeof srv.reply, fs, a);
  va_end (a);
  srv.requests = 0;
  srv.method[0] = srv.target[0] = srv.head[0] = srv.body[0] = '\0';
  pthread_mutex_unlock (&srv.lock);
}

static int
requests (void)
{
  int n;

  pthread_mutex_lock (&srv.lock);
  n = srv.requests;
  pthread_mutex_unlock (&srv.lock);
  return n;
}

/* The decoded value of key in the last form body (owned), or NULL. */
static char *
form_get (const char *key)
{
  size_t n = strlen (key);
  char *ret = NULL;

  pthread_mutex_lock (&srv.lock);
  for (const char *p = srv.body; p && *p; p = strchr (p, '&') ? strchr (p, '&') + 1 : NULL)
    if (strncmp (p, key, n) == 0 && p[n] == '=') {
      char *u = curl_easy_unescape (NULL, p + n + 1, strcspn (p + n + 1, "&"), NULL);
      ret = u ? strdup (u) : NULL;
      curl_free (u);
      break;
    }
  pthread_mutex_unlock (&srv.lock);
  return ret;
}

static bool
form_is (const char *key, const char *want)
{
  char *v = form_get (key);
  bool ok = streq (v, want);

  free (v);
  return ok;
}

static bool
request_is (const char *method, const char *target)
{
  bool ok;

  pthread_mutex_lock (&srv.lock);
  ok = streq (srv.method, method) && streq (srv.target, target);
  if (!ok)
    fprintf (stderr, "request: %s %s\n", srv.method, srv.target);
  pthread_mutex_unlock (&srv.lock);
  return ok;
}

static bool
header_is (const char *name, const char *want)
{
  bool ok;

  pthread_mutex_lock (&srv.lock);
  ok = streq (hdr_in (srv.head, name), want);
  pthread_mutex_unlock (&srv.lock);
  return ok;
}

/* ---------------------------------------------------------------- */
/* Files, variables, helpers. */

static char dir[64], url[128], closed_url[128], *orig_path;
static char *seen[64];          /* secrets to look for in stderr */
static size_t nr_seen;

static void
remember (const char *s)
{
  if (s && nr_seen < sizeof seen / sizeof seen[0])
    seen[nr_seen++] = strdup (s);
}

static void
put (const char *name, const char *text, mode_t mode)
{
  char path[256];
  FILE *fp;

  snprintf (path, sizeof path, "%s/%s", dir, name);
  fp = fopen (path, "w");
  if (fp == NULL || fputs (text, fp) < 0 || fclose (fp) != 0) {
    perror (path);
    exit (EXIT_FAILURE);
  }
  chmod (path, mode);
}

static const char *
in_dir (const char *name)
{
  static char paths[32][256];
  static int i;

  i = (i + 1) % 32;
  snprintf (paths[i], sizeof paths[i], "%s/%s", dir, name);
  return paths[i];
}

static void
clean_env (void)
{
  static const char *const vars[] = {
    "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    "AZURE_FEDERATED_TOKEN_FILE", "IDENTITY_ENDPOINT", "IDENTITY_HEADER",
    "AZURE_AUTHORITY_HOST", "AZURE_ARM_ENDPOINT", "REQUESTS_CA_BUNDLE",
    "SSL_CERT_FILE", "AZ_TEST_MODE", NULL
  };
  for (size_t i = 0; vars[i]; i++)
    unsetenv (vars[i]);
  setenv ("AZURE_IMDS_ENDPOINT", closed_url, 1);
  setenv ("PATH", in_dir ("empty"), 1);
}

static bool
error_has (const char *s)
{
  return last_error () && strstr (last_error (), s);
}

static bool
near (time_t t, time_t want)
{
  return t >= want - 3 && t <= want + 3;
}

static bool
header_value (struct az_config *cfg, bool force, const char *token)
{
  char *h = az_auth_header (cfg, force);
  char want[256];
  bool ok;

  snprintf (want, sizeof want, "Authorization: Bearer %s", token);
  ok = streq (h, want);
  az_free_secret (h);
  return ok;
}

static void
client_env (void)
{
  clean_env ();
  setenv ("AZURE_AUTHORITY_HOST", url, 1);
  setenv ("AZURE_TENANT_ID", "tenant-1", 1);
  setenv ("AZURE_CLIENT_ID", "cid-1", 1);
}

/* ---------------------------------------------------------------- */

#define SECRET "s3cr3t+/&=value"

static void
test_secret (void)
{
  struct az_config cfg;
  char tok_url[256];
  time_t now = time (NULL);

  client_env ();
  setenv ("AZURE_CLIENT_SECRET", SECRET, 1);
  remember (SECRET);
  remember ("tok-secret-1");
  remember ("tok-secret-2");
  snprintf (tok_url, sizeof tok_url, "%s/", url);
  setenv ("AZURE_AUTHORITY_HOST", tok_url, 1);      /* with a trailing '/' */
  answer (200, "{\"token_type\":\"Bearer\",\"expires_in\":3599,"
          "\"access_token\":\"tok-secret-1\"}");
  CHECK (az_config_load (&cfg, NULL) == 0 && streq (cfg.token, "tok-secret-1") &&
         near (cfg.expires, now + 3599) && requests () == 1,
         "client secret: a token");
  CHECK (request_is ("POST", "/tenant-1/oauth2/v2.0/token") &&
         header_is ("content-type", "application/x-www-form-urlencoded"),
         "client secret: POST {authority}/{tenant}/oauth2/v2.0/token");
  pthread_mutex_lock (&srv.lock);
  CHECK (strcmp (srv.body, "grant_type=client_credentials&client_id=cid-1&"
                 "client_secret=s3cr3t%2B%2F%26%3Dvalue&scope=https%3A%2F%2F"
                 "management.azure.com%2F.default") == 0,
         "client secret: the form body, URL-encoded, the ARM scope");
  pthread_mutex_unlock (&srv.lock);
  CHECK (streq (cfg.authority, url) && streq (cfg.arm, "https://management.azure.com") &&
         streq (cfg.tenant, "tenant-1") &&
         streq (cfg.source, "the client secret of AZURE_CLIENT_ID \"cid-1\"") &&
         cfg.http.connect_timeout == 10 && cfg.http.timeout == 60 &&
         cfg.http.cacert == NULL && !cfg.http.insecure,
         "client secret: the configuration");
  CHECK (header_value (&cfg, false, "tok-secret-1") &&
         header_value (&cfg, false, "tok-secret-1") && requests () == 1,
         "cached: two headers, no request");
  answer (200, "{\"expires_in\":\"3599\",\"access_token\":\"tok-secret-2\"}");
  CHECK (header_value (&cfg, true, "tok-secret-2") && requests () == 1 &&
         near (cfg.expires, now + 3599),
         "force: a new token at once (expires_in as a string)");
  CHECK (header_value (&cfg, false, "tok-secret-2") && requests () == 1,
         "and that one is cached");
  az_config_free (&cfg);

  /* Expiring within 5 minutes. */
  answer (200, "{\"expires_in\":240,\"access_token\":\"tok-secret-1\"}");
  CHECK (az_config_load (&cfg, NULL) == 0 && requests () == 1, "a token for 4 minutes");
  CHECK (header_value (&cfg, false, "tok-secret-1") && requests () == 2 &&
         header_value (&cfg, false, "tok-secret-1") && requests () == 3,
         "expiring within 5 minutes: fetched again each time");
  az_config_free (&cfg);

  /* The ARM endpoint. */
  answer (200, "{\"expires_in\":3599,\"access_token\":\"tok-secret-1\"}");
  setenv ("AZURE_ARM_ENDPOINT", "https://management.env.example/", 1);
  CHECK (az_config_load (&cfg, NULL) == 0 &&
         streq (cfg.arm, "https://management.env.example") &&
         form_is ("scope", "https://management.env.example/.default"),
         "AZURE_ARM_ENDPOINT: the scope");
  az_config_free (&cfg);
  CHECK (az_config_load (&cfg, "https://management.usgovcloudapi.net//") == 0 &&
         streq (cfg.arm, "https://management.usgovcloudapi.net") &&
         form_is ("scope", "https://management.usgovcloudapi.net/.default"),
         "-oo arm-endpoint= over AZURE_ARM_ENDPOINT");
  az_config_free (&cfg);
  CHECK (az_config_load (&cfg, "http://management.example") == -1 &&
         error_has ("is not an https:// URL"), "an http:// ARM endpoint refused");
  unsetenv ("AZURE_ARM_ENDPOINT");
  put ("ca.pem", "not used over http://\n", 0644);
  setenv ("REQUESTS_CA_BUNDLE", in_dir ("ca.pem"), 1);
  setenv ("SSL_CERT_FILE", "/nonexistent", 1);
  CHECK (az_config_load (&cfg, NULL) == 0 && streq (cfg.http.cacert, in_dir ("ca.pem")),
         "REQUESTS_CA_BUNDLE over SSL_CERT_FILE");
  az_config_free (&cfg);
  unsetenv ("REQUESTS_CA_BUNDLE");
  unsetenv ("SSL_CERT_FILE");

  /* Entra's refusal. */
  answer (401, "{\"error\":\"invalid_client\",\"error_description\":"
          "\"AADSTS7000215: Invalid client secret provided. Ensure the secret "
          "being sent (%s) is the client secret value.\\r\\nTrace ID: 7f\\r\\n"
          "Correlation ID: 9a\",\"error_codes\":[7000215]}", SECRET);
  CHECK (az_config_load (&cfg, NULL) == -1 &&
         error_has ("get an Azure token from the client secret of AZURE_CLIENT_ID "
                    "\"cid-1\": HTTP 401 invalid_client: AADSTS7000215: Invalid "
                    "client secret provided. Ensure the secret being sent (***) is") &&
         !error_has (SECRET) && !error_has ("Trace ID") && !strchr (last_error (), '\n'),
         "401 invalid_client: one line, the first line of error_description, "
         "never the secret");
  answer (400, "{\"error\":\"invalid_request\",\"error_description\":\"%0300d\"}", 7);
  CHECK (az_config_load (&cfg, NULL) == -1 && error_has ("HTTP 400 invalid_request: 0000") &&
         error_has ("...") && strlen (last_error ()) < 400,
         "a long error_description is cut");
  answer (200, "{\"expires_in\":3599}");
  CHECK (az_config_load (&cfg, NULL) == -1 && error_has ("without an access token"),
         "an answer without a token");
  answer (200, "{\"expires_in\":3599,\"access_token\":\"tok-secret-1\\r\\nX: y\"}");
  CHECK (az_config_load (&cfg, NULL) == -1 && error_has ("not printable ASCII") &&
         !error_has ("tok-secret-1"), "a token that would break the header");
  answer (200, "{\"access_token\":\"tok-secret-1\"}");
  CHECK (az_config_load (&cfg, NULL) == -1 && error_has ("without a valid expires_on"),
         "an answer without an expiry");

  /* Half a configuration, bad values. */
  answer (200, "{\"expires_in\":3599,\"access_token\":\"tok-secret-1\"}");
  unsetenv ("AZURE_TENANT_ID");
  CHECK (az_config_load (&cfg, NULL) == -1 &&
         error_has ("AZURE_CLIENT_SECRET is set but not AZURE_TENANT_ID") &&
         requests () == 0, "AZURE_CLIENT_SECRET without AZURE_TENANT_ID");
  unsetenv ("AZURE_CLIENT_ID");
  CHECK (az_config_load (&cfg, NULL) == -1 &&
         error_has ("not AZURE_TENANT_ID and AZURE_CLIENT_ID"),
         "AZURE_CLIENT_SECRET alone");
  setenv ("AZURE_CLIENT_ID", "cid-1", 1);
  setenv ("AZURE_TENANT_ID", "../evil", 1);
  CHECK (az_config_load (&cfg, NULL) == -1 && error_has ("is not a tenant ID") &&
         requests () == 0, "a tenant that is not one");
  setenv ("AZURE_TENANT_ID", "tenant-1", 1);
  setenv ("AZURE_AUTHORITY_HOST", "http://login.example.test", 1);
  CHECK (az_config_load (&cfg, NULL) == -1 && error_has ("AZURE_AUTHORITY_HOST") &&
         error_has ("is not an https:// URL"), "http:// authority off the loopback refused");
}

/* ---------------------------------------------------------------- */
/* The client certificate. */

static int
b64url_decode (const char *s, size_t n, unsigned char **out, size_t *len)
{
  char *t = malloc (n + 4);
  size_t m = n, pad = (4 - n % 4) % 4;
  int r;

  *out = malloc (n + 4);
  if (t == NULL || *out == NULL || pad == 3)
    return -1;
  for (size_t i = 0; i < n; i++)
    t[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
  for (size_t i = 0; i < pad; i++)
    t[m++] = '=';
  r = EVP_DecodeBlock (*out, (unsigned char *) t, m);
  free (t);
  if (r < 0)
    return -1;
  *len = r - pad;
  (*out)[*len] = '\0';
  return 0;
}

static json_t *
jwt_part (const char *s, size_t n)
{
  unsigned char *d;
  size_t len;
  json_t *j = NULL;

  if (b64url_decode (s, n, &d, &len) == 0)
    j = json_loadb ((char *) d, len, 0, NULL);
  free (d);
  return j;
}

/* NULL if jwt is an RS256 client assertion for cid signed by the key
 * of cert_file, else what is wrong.
 */
static const char *
jwt_check (const char *jwt, const char *cert_file, const char *aud, const char *cid)
{
  const char *d1 = jwt ? strchr (jwt, '.') : NULL, *d2 = d1 ? strchr (d1 + 1, '.') : NULL;
  FILE *fp = fopen (cert_file, "r");
  X509 *cert = fp ? PEM_read_X509 (fp, NULL, NULL, NULL) : NULL;
  EVP_PKEY *pub = cert ? X509_get_pubkey (cert) : NULL;
  unsigned char md[EVP_MAX_MD_SIZE], *sig = NULL;
  unsigned mdlen = 0;
  size_t slen = 0;
  json_t *h = NULL, *c = NULL;
  const char *why = NULL;
  char x5t[64];
  time_t now = time (NULL);
  int64_t nbf = 0, exp = 0;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();

  if (fp)
    fclose (fp);
  if (!d2 || strchr (d2 + 1, '.'))
    why = "not three parts";
  else if (!pub || X509_digest (cert, EVP_sha1 (), md, &mdlen) != 1)
    why = "cannot read the certificate";
  else if ((h = jwt_part (jwt, d1 - jwt)) == NULL ||
           (c = jwt_part (d1 + 1, d2 - d1 - 1)) == NULL)
    why = "header or claims not JSON";
  else {
    int n = EVP_EncodeBlock ((unsigned char *) x5t, md, mdlen);
    while (n > 0 && x5t[n - 1] == '=')
      n--;
    x5t[n] = '\0';
    for (char *p = x5t; *p; p++)
      *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    if (!streq (tree_str (h, "alg"), "RS256") || !streq (tree_str (h, "typ"), "JWT"))
      why = "header: alg or typ";
    else if (!streq (tree_str (h, "x5t"), x5t))
      why = "header: x5t is not the certificate's SHA-1 thumbprint";
    else if (!streq (tree_str (c, "aud"), aud))
      why = "claims: aud";
    else if (!streq (tree_str (c, "iss"), cid) || !streq (tree_str (c, "sub"), cid))
      why = "claims: iss or sub";
    else if (!tree_str (c, "jti") || strlen (tree_str (c, "jti")) != 36)
      why = "claims: jti";
    else if (!tree_int (c, "nbf", &nbf) || !tree_int (c, "exp", &exp) ||
             nbf > now + 2 || exp <= now || exp - nbf > 3600)
      why = "claims: nbf or exp";
    else if (b64url_decode (d2 + 1, strlen (d2 + 1), &sig, &slen) == -1)
      why = "signature not base64url";
    else if (EVP_DigestVerifyInit (ctx, NULL, EVP_sha256 (), NULL, pub) != 1 ||
             EVP_DigestVerify (ctx, sig, slen, (const unsigned char *) jwt,
                               d2 - jwt) != 1)
      why = "the RS256 signature does not verify with the certificate";
  }
  free (sig);
  EVP_MD_CTX_free (ctx);
  json_decref (h);
  json_decref (c);
  EVP_PKEY_free (pub);
  X509_free (cert);
  return why;
}

static bool
jwt_ok (const char *jwt, const char *cert_file, const char *aud, const char *cid)
{
  const char *why = jwt_check (jwt, cert_file, aud, cid);

  if (why)
    fprintf (stderr, "client assertion: %s\n", why);
  return why == NULL;
}

/* argv with the PATH the test started with. */
static int
run (const char *const *argv, char **out, char **err)
{
  CLEANUP_FREE char *path = getenv ("PATH") ? strdup (getenv ("PATH")) : NULL;
  int st;

  setenv ("PATH", orig_path, 1);
  st = run_command (argv, out, err);
  if (path)
    setenv ("PATH", path, 1);
  return st;
}

static bool
openssl (const char *const *argv)
{
  CLEANUP_FREE char *out = NULL, *err = NULL;
  int st = run (argv, &out, &err);

  if (st != 0)
    fprintf (stderr, "%s %s: exit %d: %s\n", argv[0], argv[1], st, err ? err : "");
  return st == 0;
}

static char *
slurp (const char *path)
{
  FILE *fp = fopen (path, "r");
  struct sbuf b = SBUF_INIT;
  char buf[4096];
  size_t n;

  if (fp == NULL)
    return strdup ("");
  while ((n = fread (buf, 1, sizeof buf, fp)) > 0)
    sbuf_add (&b, buf, n);
  fclose (fp);
  return b.s ? sbuf_take (&b) : strdup ("");
}

static void
test_cert (void)
{
  struct az_config cfg;
  char aud[256], *a1, *a2, *tampered, key[256], cert[256];
  const char *req[] = { "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", key, "-out", cert, "-days", "2",
                        "-subj", "/CN=ferry-test-azure-creds", NULL };
  const char *enc[] = { "openssl", "pkey", "-in", key, "-aes256", "-passout",
                        NULL, "-out", in_dir ("enc.pem"), NULL };
  const char *p12[] = { "openssl", "pkcs12", "-export", "-inkey", key, "-in", cert,
                        "-passout", NULL, "-out", in_dir ("c.p12"), NULL };
  char passfile[300];
  bool made;

  snprintf (key, sizeof key, "%s", in_dir ("key.pem"));
  snprintf (cert, sizeof cert, "%s", in_dir ("cert.pem"));
  snprintf (passfile, sizeof passfile, "file:%s", in_dir ("pass"));
  enc[6] = p12[8] = passfile;
  put ("pass", "pw-123\n", 0600);
  remember ("pw-123");
  made = openssl (req) && openssl (enc) && openssl (p12);
  CHECK (made, "openssl req -x509: a key and a certificate");
  if (!made)
    return;
  {
    CLEANUP_FREE char *k = slurp (key), *c = slurp (cert), *e = slurp (in_dir ("enc.pem"));
    char *both, *encboth;
    if (asprintf (&both, "%s%s", k, c) == -1 || asprintf (&encboth, "%s%s", c, e) == -1)
      exit (EXIT_FAILURE);
    put ("both.pem", both, 0600);
    put ("encboth.pem", encboth, 0600);
    free (both);
    free (encboth);
  }

  client_env ();
  setenv ("AZURE_CLIENT_CERTIFICATE_PATH", in_dir ("both.pem"), 1);
  snprintf (aud, sizeof aud, "%s/tenant-1/oauth2/v2.0/token", url);
  answer (200, "{\"expires_in\":3599,\"access_token\":\"tok-cert-1\"}");
  remember ("tok-cert-1");
  CHECK (az_config_load (&cfg, NULL) == 0 && streq (cfg.token, "tok-cert-1") &&
         request_is ("POST", "/tenant-1/oauth2/v2.0/token"),
         "client certificate: a token");
  a1 = form_get ("client_assertion");
  remember (a1);
  CHECK (form_is ("grant_type", "client_credentials") && form_is ("client_id", "cid-1") &&
         form_is ("client_assertion_type",
                  "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") &&
         form_is ("scope", "https://management.azure.com/.default") &&
         form_get ("client_secret") == NULL,
         "client certificate: the form fields");
  CHECK (jwt_ok (a1, cert, aud, "cid-1"),
         "client certificate: RS256 JWT with x5t, aud, iss, sub, jti, nbf, exp");
  tampered = a1 ? strdup (a1) : NULL;
  if (tampered) {
    char *c = strchr (tampered, '.') + 3;
    *c = *c == 'A' ? 'B' : 'A';
  }
  CHECK (!jwt_ok (tampered, cert, aud, "cid-1") && !jwt_ok (a1, cert, aud, "cid-2"),
         "(the check of the JWT can fail)");
  free (tampered);
  answer (200, "{\"expires_in\":3599,\"access_token\":\"tok-cert-2\"}");
  remember ("tok-cert-2");
  CHECK (header_value (&cfg, true, "tok-cert-2"), "client certificate: force");
  a2 = form_get ("client_assertion");
  remember (a2);
  CHECK (jwt_ok (a2, cert, aud, "cid-1") && a1 && a2 && strcmp (a1, a2) != 0,
         "client certificate: a new assertion (another jti) each time");
  az_config_free (&cfg);
  free (a1);
  free (a2);

  setenv ("AZURE_CLIENT_CERTIFICATE_PATH", in_dir ("encboth.pem"), 1);
  answer (200, "{\"expires_in\":3599,\"access_token\":\"tok-cert-2\"}");
  CHECK (az_config_load (&cfg, NULL) == -1 &&
         error_has ("encrypted: set AZURE_CLIENT_CERTIFICATE_PASSWORD") &&
         requests () == 0, "an encrypted key without a password");
  setenv ("AZURE_CLIENT_CERTIFICATE_PASSWORD", "pw-wrong", 1);
  CHECK (az_config_load (&cfg, NULL) == -1 && error_has ("cannot decrypt"),
         "an encrypted key, the wrong password");
  setenv ("AZURE_CLIENT_CERTIFICATE_PASSWORD", "pw-123", 1);
  CHECK (az_config_load (&cfg, NULL) == 0, "an encrypted key (after the certificate)");
  a1 = form_get ("client_assertion");
  remember (a1);
  CHECK (jwt_ok (a1, cert, aud, "cid-1"), "its JWT");
  free (a1);
  az_config_free (&cfg);
  setenv ("AZURE_CLIENT_CERTIFICATE_PATH", in_dir ("c.p12"), 1);
  CHECK (az_config_load (&cfg, NULL) == 0, "PKCS#12 with a password");
  a1 = form_get ("client_assertion");
  remember (a1);
  CHECK (jwt_ok (a1, cert, aud, "cid-1"), "its JWT");
  free (a1);
  az_config_free (&cfg);
  unsetenv ("AZURE_CLIENT_CERTIFICATE_PASSWORD");
  setenv ("AZURE_CLIENT_CERTIFICATE_PATH", cert, 1);
  CHECK (az_config_load (&cfg, NULL) == -1 && error_has ("it has no private key") &&
         error_has ("AZURE_CLIENT_CERTIFICATE_PATH"), "a certificate without its key");
  setenv ("AZURE_CLIENT_CERTIFICATE_PATH", in_dir ("nonexistent.pem"), 1);
  CHECK (az_config_load (&cfg, NULL) == -1 && error_has ("nonexistent.pem"),
         "a missing certificate file");
}

/* ---------------------------------------------------------------- */

static void
test_workload (void)
{
  struct az_config cfg;

  client_env ();
  put ("fedtoken", "fed-assertion-1\n", 0600);
  remember ("fed-assertion-1");
  remember ("fed-assertion-2");
  remember ("tok-fed");
  setenv ("AZURE_FEDERATED_TOKEN_FILE", in_dir ("fedtoken"), 1);
  answer (200, "{\"expires_in\":3599,\"access_token\":\"tok-fed\"}");
  CHECK (az_config_load (&cfg, NULL) == 0 && streq (cfg.token, "tok-fed") &&
         request_is ("POST", "/tenant-1/oauth2/v2.0/token") &&
         form_is ("client_assertion", "fed-assertion-1") &&
         form_is ("client_assertion_type",
                  "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") &&
         form_is ("client_id", "cid-1") &&
         form_is ("scope", "https://management.azure.com/.default"),
         "workload identity: the file's token as client_assertion");
  put ("fedtoken", "fed-assertion-2", 0600);
  CHECK (header_value (&cfg, true, "tok-fed") &&
         form_is ("client_assertion", "fed-assertion-2"),
         "workload identity: the file is read again at each refresh");
  az_config_free (&cfg);
  unsetenv ("AZURE_CLIENT_ID");
  CHECK (az_config_load (&cfg, NULL) == -1 &&
         error_has ("AZURE_FEDERATED_TOKEN_FILE is set but not AZURE_CLIENT_ID"),
         "workload identity without AZURE_CLIENT_ID");
  setenv ("AZURE_CLIENT_ID", "cid-1", 1);
  setenv ("AZURE_FEDERATED_TOKEN_FILE", in_dir ("gone"), 1);
  CHECK (az_config_load (&cfg, NULL) == -1 && error_has ("workload identity") &&
         error_has ("/gone\" (AZURE_FEDERATED_TOKEN_FILE)"),
         "workload identity: the file is missing");
  put ("fedtoken", " \n", 0600);
  setenv ("AZURE_FEDERATED_TOKEN_FILE", in_dir ("fedtoken"), 1);
  CHECK (az_config_load (&cfg, NULL) == -1 && error_has ("is empty"),
         "workload identity: an empty file");
}

/* ---------------------------------------------------------------- */
/* Managed identity. */

static void
test_managed (void)
{
  struct az_config cfg;
  char ep[256], target[512];
  time_t exp = time (NULL) + 5000;
  double t;

  clean_env ();
  snprintf (ep, sizeof ep, "%s/msi/token", url);
  setenv ("IDENTITY_ENDPOINT", ep, 1);
  setenv ("IDENTITY_HEADER", "ih-secret-1", 1);
  setenv ("AZURE_AUTHORITY_HOST", "login.example.test/", 1);
  remember ("ih-secret-1");
  remember ("tok-as");
  answer (200, "{\"access_token\":\"tok-as\",\"expires_on\":\"%lld\","
          "\"resource\":\"https://management.azure.com\",\"token_type\":\"Bearer\"}",
          (long long) exp);
  CHECK (az_config_load (&cfg, NULL) == 0 && streq (cfg.token, "tok-as") &&
         cfg.expires == exp && streq (cfg.source, "managed identity (IDENTITY_ENDPOINT)") &&
         request_is ("GET", "/msi/token?api-version=2019-08-01&resource=https%3A%2F%2F"
                     "management.azure.com") &&
         header_is ("x-identity-header", "ih-secret-1"),
         "App Service: GET with X-IDENTITY-HEADER, expires_on a string");
  CHECK (streq (cfg.authority, "https://login.example.test"),
         "AZURE_AUTHORITY_HOST without a scheme: https://");
  az_config_free (&cfg);
  setenv ("AZURE_CLIENT_ID", "mi-cid", 1);
  CHECK (az_config_load (&cfg, NULL) == 0 &&
         request_is ("GET", "/msi/token?api-version=2019-08-01&resource=https%3A%2F%2F"
                     "management.azure.com&client_id=mi-cid") &&
         streq (cfg.source, "managed identity \"mi-cid\" (IDENTITY_ENDPOINT)"),
         "App Service: a user-assigned identity");
  az_config_free (&cfg);
  answer (400, "{\"statusCode\":400,\"message\":\"Unable to load the proper Managed "
          "Identity (header ih-secret-1).\"}");
  CHECK (az_config_load (&cfg, NULL) == -1 &&
         error_has ("managed identity \"mi-cid\" (IDENTITY_ENDPOINT): HTTP 400: Unable "
                    "to load the proper Managed Identity (header ***)") &&
         !error_has ("ih-secret-1"), "App Service: its refusal, without the header");
  unsetenv ("IDENTITY_ENDPOINT");
  unsetenv ("IDENTITY_HEADER");
  unsetenv ("AZURE_AUTHORITY_HOST");

  /* IMDS. */
  remember ("tok-imds");
  setenv ("AZURE_IMDS_ENDPOINT", url, 1);
  answer (200, "{\"access_token\":\"tok-imds\",\"client_id\":\"x\",\"expires_in\":\"86399\","
          "\"expires_on\":\"%lld\",\"ext_expires_in\":\"86399\",\"not_before\":\"1\","
          "\"resource\":\"https://management.azure.com/\",\"token_type\":\"Bearer\"}",
          (long long) exp);
  snprintf (target, sizeof target, "/metadata/identity/oauth2/token?api-version="
            "2018-02-01&resource=https%%3A%%2F%%2Fmanagement.azure.com%%2F&client_id=mi-cid");
  CHECK (az_config_load (&cfg, NULL) == 0 && streq (cfg.token, "tok-imds") &&
         cfg.expires == exp && request_is ("GET", target) &&
         header_is ("metadata", "true") && streq (cfg.source, "managed identity \"mi-cid\""),
         "IMDS: GET with Metadata: true, client_id= for AZURE_CLIENT_ID");
  az_config_free (&cfg);
  unsetenv ("AZURE_CLIENT_ID");
  *strstr (target, "&client_id") = '\0';
  CHECK (az_config_load (&cfg, NULL) == 0 && request_is ("GET", target) &&
         streq (cfg.source, "managed identity"), "IMDS: the system-assigned identity");
  CHECK (header_value (&cfg, true, "tok-imds") && requests () == 3, "IMDS: force");
  az_config_free (&cfg);

  answer (400, "{\"error\":\"invalid_request\",\"error_description\":\"Identity not found\"}");
  CHECK (az_config_load (&cfg, NULL) == -1 && error_has ("no credentials") &&
         requests () == 1, "IMDS without an identity: the chain goes on");
  setenv ("AZURE_CLIENT_ID", "mi-cid", 1);
  CHECK (az_config_load (&cfg, NULL) == -1 &&
         error_has ("managed identity \"mi-cid\": HTTP 400 invalid_request: Identity not found"),
         "IMDS without the identity AZURE_CLIENT_ID names: an error");
  answer (500, "{\"error\":\"unknown_error\",\"error_description\":\"busy\"}");
  CHECK (az_config_load (&cfg, NULL) == -1 && requests () == 1 &&
         error_has ("managed identity \"mi-cid\": HTTP 500 unknown_error: busy"),
         "IMDS failing: an error, one attempt while the chain looks");
  unsetenv ("AZURE_CLIENT_ID");
  answer (502, "<html>proxy</html>");
  CHECK (az_config_load (&cfg, NULL) == -1 && error_has ("no credentials"),
         "something at the IMDS address that is not IMDS: the chain goes on");

  setenv ("AZURE_IMDS_ENDPOINT", closed_url, 1);
  t = now_seconds ();
  CHECK (az_config_load (&cfg, NULL) == -1 && now_seconds () - t < 3 &&
         error_has ("find Azure credentials: no credentials") && error_has ("az login") &&
         error_has ("AZURE_CLIENT_SECRET"),
         "IMDS unreachable: given up in under 3 s, \"no credentials\"");
}

/* ---------------------------------------------------------------- */
/* The az CLI. */

static const char az_script[] =
  "#!/bin/sh\n"
  "printf '%s\\n' \"$*\" > \"$AZ_TEST_DIR/az-args\"\n"
  "now=$(date +%s)\n"
  "case \"$AZ_TEST_MODE\" in\n"
  "  epoch) printf '{\"accessToken\":\"tok-cli-1\",\"expiresOn\":\"1999-01-01 00:00:00.000000\","
  "\"expires_on\":%s,\"subscription\":\"sub\",\"tenant\":\"t\",\"tokenType\":\"Bearer\"}\\n' "
  "$((now + 3600));;\n"
  "  local) printf '{\"accessToken\":\"tok-cli-2\",\"expiresOn\":\"%s\",\"tokenType\":\"Bearer\"}\\n' "
  "\"$(date -d @$((now + 7200)) '+%Y-%m-%d %H:%M:%S.123456')\";;\n"
  "  fail) echo 'WARNING: a warning' >&2; echo \"ERROR: Please run 'az login' to setup account.\" >&2;"
  " echo 'second line' >&2; exit 1;;\n"
  "  garbage) echo 'tok-cli-garbage {'; exit 0;;\n"
  "  quiet) exit 2;;\n"
  "esac\n";

static void
test_cli (void)
{
  struct az_config cfg;
  char path[512];
  time_t now = time (NULL);

  clean_env ();
  put ("bin/az", az_script, 0755);
  snprintf (path, sizeof path, "%s:/usr/bin:/bin", in_dir ("bin"));
  setenv ("PATH", path, 1);
  setenv ("AZ_TEST_DIR", dir, 1);
  remember ("tok-cli-1");
  remember ("tok-cli-2");
  remember ("tok-cli-garbage");

  setenv ("AZ_TEST_MODE", "epoch", 1);
  CHECK (az_config_load (&cfg, NULL) == 0 && streq (cfg.token, "tok-cli-1") &&
         near (cfg.expires, now + 3600) && streq (cfg.source, "the az CLI"),
         "az CLI: expires_on (epoch) over expiresOn");
  {
    CLEANUP_FREE char *args = slurp (in_dir ("az-args"));
    CHECK (streq (args, "account get-access-token --resource "
                  "https://management.azure.com --output json\n"),
           "az CLI: its arguments");
  }
  setenv ("AZ_TEST_MODE", "local", 1);
  CHECK (header_value (&cfg, true, "tok-cli-2") && near (cfg.expires, now + 7200),
         "az CLI: expiresOn in local time (TZ=XST-5)");
  az_config_free (&cfg);

  setenv ("AZ_TEST_MODE", "fail", 1);
  CHECK (az_config_load (&cfg, NULL) == -1 &&
         error_has ("get an Azure token from the az CLI: \"az account get-access-token\" "
                    "exited 1: ERROR: Please run 'az login' to setup account.") &&
         !error_has ("second line") && !error_has ("WARNING"),
         "az CLI failing: its ERROR line");
  setenv ("AZ_TEST_MODE", "quiet", 1);
  CHECK (az_config_load (&cfg, NULL) == -1 && error_has ("exited 2 (run \"az login\")"),
         "az CLI failing without a word");
  setenv ("AZ_TEST_MODE", "garbage", 1);
  CHECK (az_config_load (&cfg, NULL) == -1 && error_has ("printed no JSON object") &&
         !error_has ("tok-cli-garbage"), "az CLI printing no JSON: not echoed");

  /* A configured source comes first. */
  client_env ();
  setenv ("PATH", path, 1);
  setenv ("AZ_TEST_MODE", "epoch", 1);
  setenv ("AZURE_CLIENT_SECRET", SECRET, 1);
  answer (401, "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: no\"}");
  CHECK (az_config_load (&cfg, NULL) == -1 && error_has ("the client secret of") &&
         error_has ("AADSTS7000215"),
         "a configured source that fails is an error, not the az CLI");
  clean_env ();
}

/* ---------------------------------------------------------------- */

struct race {
  struct az_config *cfg;
  bool ok;
};

static void *
race_thread (void *arg)
{
  struct race *r = arg;

  r->ok = true;
  for (int i = 0; i < 50; i++)
    r->ok &= header_value (r->cfg, false, "tok-secret-1");
  return NULL;
}

static void
test_threads (void)
{
  struct az_config cfg;
  struct race r[4];
  pthread_t th[4];
  bool ok = true;

  client_env ();
  setenv ("AZURE_CLIENT_SECRET", SECRET, 1);
  answer (200, "{\"expires_in\":3599,\"access_token\":\"tok-secret-1\"}");
  CHECK (az_config_load (&cfg, NULL) == 0, "client secret again");
  for (int i = 0; i < 4; i++) {
    r[i].cfg = &cfg;
    pthread_create (&th[i], NULL, race_thread, &r[i]);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join (th[i], NULL);
    ok &= r[i].ok;
  }
  CHECK (ok && requests () == 1, "az_auth_header from 4 threads: one token");
  az_config_free (&cfg);
  clean_env ();
}

/* ---------------------------------------------------------------- */

static void
test_parsers (void)
{
  struct az_token t = { 0 };
  const char *why;
  time_t lt;
  char *s;

  const char *j1 = "{\"access_token\":\"a\",\"expires_in\":10.5}";
  const char *j2 = "{\"access_token\":\"a\",\"expires_on\":\"12x\"}";

  CHECK (azs_token_parse (j1, strlen (j1), 1000, &t, &why) == 0 && t.expires == 1010,
         "expires_in as a real");
  azs_token_clear (&t);
  CHECK (azs_token_parse (j2, strlen (j2), 1000, &t, &why) == -1, "expires_on not digits");
  CHECK (azs_token_parse ("[1]", 3, 1000, &t, &why) == -1 &&
         strstr (why, "no JSON object"), "not an object");
  CHECK (azs_local_time ("2024-02-30 10:00:00", &lt) == 0 &&
         azs_local_time ("2024-01-01T10:00:00", &lt) == -1 &&
         azs_local_time ("2024-01-01 10:00:00.5x", &lt) == -1, "local times");
  s = azs_clean_line ("ab\tc\x1b[31m\xc3\xa9\xc3\xa9\nnext", 8);
  CHECK (streq (s, "ab c[31m..."), "clean line: controls dropped, cut, one line");
  free (s);
  s = azs_clean_line ("abcd\xc3\xa9\xc3\xa9", 5);
  CHECK (streq (s, "abcd..."), "clean line: not cut inside a UTF-8 sequence");
  free (s);
}

int
main (void)
{
  double t0 = now_seconds ();
  char capture[128];
  int saved, fd;

  signal (SIGPIPE, SIG_IGN);
  orig_path = strdup (getenv ("PATH") ? getenv ("PATH") : "/usr/bin:/bin");
  snprintf (dir, sizeof dir, "/tmp/ferry-test-azure-creds.XXXXXX");
  if (mkdtemp (dir) == NULL) {
    perror ("mkdtemp");
    return EXIT_FAILURE;
  }
  mkdir (in_dir ("empty"), 0700);
  mkdir (in_dir ("bin"), 0700);
  setenv ("HOME", dir, 1);
  setenv ("TZ", "XST-5", 1);
  tzset ();
  srv.lfd = listen_on (&srv.port);
  snprintf (url, sizeof url, "http://127.0.0.1:%d", srv.port);
  {
    int port, cfd = listen_on (&port);
    close (cfd);
    snprintf (closed_url, sizeof closed_url, "http://127.0.0.1:%d", port);
  }
  pthread_create (&srv.thread, NULL, server_thread, NULL);

  /* Everything ferry says, debug included, goes to a file. */
  snprintf (capture, sizeof capture, "%s/stderr", dir);
  fflush (stderr);
  saved = dup (2);
  fd = open (capture, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (saved == -1 || fd == -1 || dup2 (fd, 2) == -1) {
    perror (capture);
    return EXIT_FAILURE;
  }
  close (fd);
  log_configure (&(struct log_settings) { .verbose = 2 });

  test_parsers ();
  test_secret ();
  test_cert ();
  test_workload ();
  test_managed ();
  test_cli ();
  test_threads ();

  fflush (stderr);
  dup2 (saved, 2);
  close (saved);
  {
    CLEANUP_FREE char *text = slurp (capture);
    bool clean = true;
    for (size_t i = 0; i < nr_seen; i++) {
      if (strstr (text, seen[i])) {
        fprintf (stderr, "FAIL: stderr holds secret %zu\n", i);
        clean = false;
      }
      free (seen[i]);
    }
    CHECK (nr_seen >= 15 && strstr (text, "ferry: get an Azure token from") &&
           strstr (text, "ferry: debug: http: POST"),
           "stderr captured, with the errors and debug");
    CHECK (clean, "stderr holds no secret, token or assertion");
    if (failed)
      fputs (text, stderr);
  }

  pthread_mutex_lock (&srv.lock);
  srv.stop = true;
  pthread_mutex_unlock (&srv.lock);
  pthread_join (srv.thread, NULL);
  close (srv.lfd);
  {
    const char *rm[] = { "rm", "-rf", dir, NULL };
    if (run (rm, NULL, NULL) != 0)
      fprintf (stderr, "could not remove %s\n", dir);
  }
  printf ("test-azure-creds: %d passed, %d failed (%.1f s)\n", passed, failed,
          now_seconds () - t0);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
