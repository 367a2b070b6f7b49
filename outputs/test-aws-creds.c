/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit test for the AWS profiles, region, endpoints and credential
 * chain (outputs/aws-creds.c, aws-profile.c, aws-sources.c).
 *
 * Files under a temporary HOME, the variables set here, a
 * credential_process that is a shell script written here, and a tiny
 * HTTP server on 127.0.0.1 standing in for IMDS, the container
 * endpoint and STS.  AWS_EC2_METADATA_DISABLED=true except where IMDS
 * is pointed at that server: 169.254.169.254 is never touched.
 */

#include <config.h>

#include <arpa/inet.h>
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

#include "aws.h"
#include "unittest.h"

/* ---------------------------------------------------------------- */
/* The server: one request per connection. */

static struct {
  int lfd, port;
  pthread_t thread;
  pthread_mutex_t lock;
  bool stop;
  char log[4096];               /* "METHOD PATH [tok]\n" per request */
  char sts_body[2048];
} srv = { .lock = PTHREAD_MUTEX_INITIALIZER };

static const char *
hdr (const char *head, const char *name)
{
  static __thread char v[512];
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
reply (int fd, int status, const char *body)
{
  char buf[4096];
  int n = snprintf (buf, sizeof buf, "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n"
                    "Connection: close\r\n\r\n%s", status, strlen (body), body);
  if (write (fd, buf, n) != n)
    perror ("test server: write");
}

static void
serve (int fd)
{
  char req[16384], method[16], path[512], *end;
  size_t len = 0, clen = 0;
  const char *tok, *v;
  ssize_t r;
  char exp[64];
  time_t t = time (NULL) + 3600;

  strftime (exp, sizeof exp, "%Y-%m-%dT%H:%M:%SZ", gmtime (&t));
  while ((end = memmem (req, len, "\r\n\r\n", 4)) == NULL) {
    r = read (fd, req + len, sizeof req - 1 - len);
    if (r <= 0)
      return;
    len += r;
  }
  req[len] = '\0';
  *end = '\0';
  if (sscanf (req, "%15s %511s", method, path) != 2)
    return;
  if ((v = hdr (strchr (req, '\n') + 1, "content-length")) != NULL)
    clen = atoi (v);
  while (len - (end + 4 - req) < clen && len < sizeof req - 1) {
    r = read (fd, req + len, sizeof req - 1 - len);
    if (r <= 0)
      break;
    len += r;
  }
  req[len] = '\0';
  tok = hdr (strchr (req, '\n') + 1, "x-aws-ec2-metadata-token");
  pthread_mutex_lock (&srv.lock);
  snprintf (srv.log + strlen (srv.log), sizeof srv.log - strlen (srv.log),
            "%s %s%s\n", method, path, tok && strcmp (tok, "tok-1") == 0 ? " tok" : "");
  pthread_mutex_unlock (&srv.lock);

  if (strcmp (path, "/latest/api/token") == 0) {
    v = hdr (strchr (req, '\n') + 1, "x-aws-ec2-metadata-token-ttl-seconds");
    if (strcmp (method, "PUT") == 0 && v && strcmp (v, "21600") == 0)
      reply (fd, 200, "tok-1");
    else
      reply (fd, 400, "");
  }
  else if (strncmp (path, "/latest/", 8) == 0) {
    char body[512];
    if (!tok || strcmp (tok, "tok-1") != 0)
      reply (fd, 401, "");
    else if (strcmp (path, "/latest/meta-data/iam/security-credentials/") == 0)
      reply (fd, 200, "ec2role\n");
    else if (strcmp (path, "/latest/meta-data/iam/security-credentials/ec2role") == 0) {
      snprintf (body, sizeof body, "{\"Code\":\"Success\",\"AccessKeyId\":\"AKIMDS\","
                "\"SecretAccessKey\":\"imds-secret\",\"Token\":\"imds-tok\","
                "\"Expiration\":\"%s\"}", exp);
      reply (fd, 200, body);
    }
    else if (strcmp (path, "/latest/meta-data/placement/region") == 0)
      reply (fd, 200, "eu-west-3");
    else
      reply (fd, 404, "");
  }
  else if (strcmp (path, "/container-creds") == 0) {
    v = hdr (strchr (req, '\n') + 1, "authorization");
    if (v && strcmp (v, "auth-tok") == 0)
      reply (fd, 200, "{\"AccessKeyId\":\"AKCONT\",\"SecretAccessKey\":\"c-secret\","
             "\"Token\":\"c-tok\",\"Expiration\":\"2099-01-01T00:00:00.000Z\"}");
    else
      reply (fd, 403, "");
  }
  else if (strcmp (method, "POST") == 0 && strcmp (path, "/") == 0) {
    pthread_mutex_lock (&srv.lock);
    snprintf (srv.sts_body, sizeof srv.sts_body, "%s", end + 4);
    pthread_mutex_unlock (&srv.lock);
    reply (fd, 200, "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
           "<AccessKeyId>ASIASTS</AccessKeyId><SecretAccessKey>sts-secret"
           "</SecretAccessKey><SessionToken>sts-tok</SessionToken>"
           "<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>"
           "</AssumeRoleResult></AssumeRoleResponse>");
  }
  else
    reply (fd, 404, "");
}

static void *
server_thread (void *arg)
{
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

static void
server_start (void)
{
  struct sockaddr_in sa = { .sin_family = AF_INET };
  socklen_t len = sizeof sa;

  srv.lfd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (srv.lfd == -1 || bind (srv.lfd, (struct sockaddr *) &sa, sizeof sa) == -1 ||
      listen (srv.lfd, 16) == -1 ||
      getsockname (srv.lfd, (struct sockaddr *) &sa, &len) == -1) {
    perror ("listen");
    exit (EXIT_FAILURE);
  }
  srv.port = ntohs (sa.sin_port);
  pthread_create (&srv.thread, NULL, server_thread, NULL);
}

static void
log_reset (void)
{
  pthread_mutex_lock (&srv.lock);
  srv.log[0] = srv.sts_body[0] = '\0';
  pthread_mutex_unlock (&srv.lock);
}

/* ---------------------------------------------------------------- */
/* Files and variables. */

static char dir[64];
static char cred_file[128], conf_file[128], counter[128], script[128];

static void
put (const char *path, const char *text)
{
  FILE *fp = fopen (path, "w");
  if (fp == NULL || fputs (text, fp) < 0 || fclose (fp) != 0) {
    perror (path);
    exit (EXIT_FAILURE);
  }
}

static void
files (const char *cred, const char *conf)
{
  unlink (cred_file);
  unlink (conf_file);
  if (cred)
    put (cred_file, cred);
  if (conf)
    put (conf_file, conf);
}

static void
clean_env (void)
{
  static const char *const vars[] = {
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
    "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_EBS", "AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_STS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_CA_BUNDLE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT", NULL
  };
  for (size_t i = 0; vars[i]; i++)
    unsetenv (vars[i]);
  setenv ("AWS_EC2_METADATA_DISABLED", "true", 1);
}

static int
count (void)
{
  FILE *fp = fopen (counter, "r");
  int n = 0, c;

  if (fp == NULL)
    return 0;
  while ((c = getc (fp)) != EOF)
    n += c == '\n';
  fclose (fp);
  return n;
}

static bool
error_has (const char *s)
{
  return last_error () && strstr (last_error (), s);
}

/* aws_config_load, and the access key it gave ("" on failure). */
static int
load (struct aws_config *cfg, const char *profile, const char *region)
{
  return aws_config_load (cfg, profile, region);
}

static bool
key_is (struct aws_config *cfg, const char *ak, const char *sk, const char *tok)
{
  return streq (cfg->creds.access_key, ak) && streq (cfg->creds.secret_key, sk) &&
    (tok ? streq (cfg->creds.session_token, tok) : cfg->creds.session_token == NULL);
}

static const char script_text[] =
  "#!/bin/sh\n"
  "echo x >> \"$1\"\n"
  "secs=3600\n"
  "case \"$2\" in\n"
  "  badver) echo '{\"Version\":2,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\"}'; exit 0;;\n"
  "  fail) echo 'proc-stdout-secret'; echo 'proc stderr line' >&2; exit 7;;\n"
  "  garbage) echo 'proc-stdout-secret {'; exit 0;;\n"
  "  quoted) [ \"$3\" = 'a b' ] && [ \"$4\" = \"it's\" ] && [ \"$5\" = '$HOME' ] || exit 9;;\n"
  "  expiring) secs=60;;\n"
  "esac\n"
  "exp=$(date -u -d \"@$(( $(date +%s) + secs ))\" +%Y-%m-%dT%H:%M:%SZ)\n"
  "printf '{\"Version\":1,\"AccessKeyId\":\"AKPROC\",\"SecretAccessKey\":\"p-secret\","
  "\"SessionToken\":\"p-tok\",\"Expiration\":\"%s\"}\\n' \"$exp\"\n";

static void
test_env_and_profiles (void)
{
  struct aws_config cfg;

  clean_env ();
  files ("[default]\naws_access_key_id = AKFILE\naws_secret_access_key = f-secret\n"
         "\n# a comment\n; another\n[other]\n  AWS_Access_Key_ID=AKOTHER  \n"
         "aws_secret_access_key=o-secret\naws_session_token = o-tok\n",
         "[default]\nregion = us-east-2\n[profile other]\nregion = eu-north-1\n"
         "aws_access_key_id = AKCONF\naws_secret_access_key = conf-secret\n"
         "[confonly]\naws_access_key_id = AKBARE\naws_secret_access_key = b\n"
         "[profile viaconf]\naws_access_key_id = AKVIACONF\n"
         "aws_secret_access_key = vc-secret\n");

  CHECK (load (&cfg, NULL, NULL) == 0 && key_is (&cfg, "AKFILE", "f-secret", NULL) &&
         streq (cfg.profile, "default") && streq (cfg.region, "us-east-2") &&
         streq (cfg.source, "profile \"default\" (~/.aws/credentials)"),
         "default profile from ~/.aws/credentials, region from ~/.aws/config");
  CHECK (cfg.creds.expiration == 0 && cfg.http.connect_timeout == 10 &&
         cfg.http.timeout == 60 && cfg.http.cacert == NULL, "http options");
  aws_config_free (&cfg);

  setenv ("AWS_ACCESS_KEY_ID", "AKENV", 1);
  setenv ("AWS_SECRET_ACCESS_KEY", "e-secret", 1);
  setenv ("AWS_SESSION_TOKEN", "e-tok", 1);
  setenv ("AWS_PROFILE", "other", 1);
  CHECK (load (&cfg, NULL, NULL) == 0 && key_is (&cfg, "AKENV", "e-secret", "e-tok") &&
         streq (cfg.source, "the environment") && streq (cfg.profile, "other") &&
         streq (cfg.region, "eu-north-1"),
         "environment keys win over AWS_PROFILE's keys");
  aws_config_free (&cfg);
  CHECK (load (&cfg, "other", NULL) == 0 && key_is (&cfg, "AKOTHER", "o-secret", "o-tok"),
         "-oo profile= wins over the environment's keys (the CLI's --profile)");
  aws_config_free (&cfg);

  unsetenv ("AWS_SESSION_TOKEN");
  unsetenv ("AWS_SECRET_ACCESS_KEY");
  CHECK (load (&cfg, NULL, NULL) == -1 && error_has ("but AWS_SECRET_ACCESS_KEY is not") &&
         !error_has ("AKENV"), "AWS_ACCESS_KEY_ID alone: names the missing one");
  unsetenv ("AWS_ACCESS_KEY_ID");
  setenv ("AWS_SECRET_ACCESS_KEY", "e-secret", 1);
  CHECK (load (&cfg, NULL, NULL) == -1 && error_has ("but AWS_ACCESS_KEY_ID is not") &&
         !error_has ("e-secret"), "AWS_SECRET_ACCESS_KEY alone: names the missing one");
  unsetenv ("AWS_SECRET_ACCESS_KEY");

  CHECK (load (&cfg, NULL, NULL) == 0 && key_is (&cfg, "AKOTHER", "o-secret", "o-tok") &&
         streq (cfg.profile, "other"),
         "AWS_PROFILE: credentials file wins over the config file, case-insensitive keys");
  aws_config_free (&cfg);
  unsetenv ("AWS_PROFILE");
  setenv ("AWS_DEFAULT_PROFILE", "viaconf", 1);
  CHECK (load (&cfg, NULL, "ap-south-1") == 0 && key_is (&cfg, "AKVIACONF", "vc-secret", NULL) &&
         streq (cfg.source, "profile \"viaconf\" (~/.aws/config)") &&
         streq (cfg.region, "ap-south-1"),
         "AWS_DEFAULT_PROFILE, [profile x] in the config file");
  aws_config_free (&cfg);
  unsetenv ("AWS_DEFAULT_PROFILE");

  CHECK (load (&cfg, "confonly", "us-east-1") == -1 &&
         error_has ("the profile \"confonly\" is not in ~/.aws/credentials or ~/.aws/config"),
         "[x] in the config file is not profile x");
  CHECK (load (&cfg, "nosuch", "us-east-1") == -1 &&
         error_has ("the profile \"nosuch\" is not in"), "missing profile named");

  /* Region order. */
  setenv ("AWS_DEFAULT_REGION", "ca-central-1", 1);
  CHECK (load (&cfg, NULL, NULL) == 0 && streq (cfg.region, "ca-central-1"),
         "AWS_DEFAULT_REGION over the profile's region");
  aws_config_free (&cfg);
  setenv ("AWS_REGION", "sa-east-1", 1);
  CHECK (load (&cfg, NULL, NULL) == 0 && streq (cfg.region, "sa-east-1"),
         "AWS_REGION over AWS_DEFAULT_REGION");
  aws_config_free (&cfg);
  CHECK (load (&cfg, NULL, "eu-west-1") == 0 && streq (cfg.region, "eu-west-1"),
         "the argument over AWS_REGION");
  aws_config_free (&cfg);
  unsetenv ("AWS_REGION");
  unsetenv ("AWS_DEFAULT_REGION");

  /* Nothing anywhere. */
  files (NULL, NULL);
  CHECK (load (&cfg, NULL, NULL) == -1 && error_has ("-oo region=") &&
         error_has ("AWS_REGION"), "no region: says how to give one");
  CHECK (load (&cfg, NULL, "us-east-1") == -1 &&
         error_has ("find AWS credentials: none in the environment, profile "
                    "\"default\" (~/.aws/credentials, ~/.aws/config)"),
         "no credentials: one line listing what was tried");

  /* The files' variables, a label that is not under HOME. */
  put ("/tmp/ferry-test-aws-creds-alt", "[default]\naws_access_key_id = AKALT\n"
       "aws_secret_access_key = alt-secret\n");
  setenv ("AWS_SHARED_CREDENTIALS_FILE", "/tmp/ferry-test-aws-creds-alt", 1);
  CHECK (load (&cfg, NULL, "us-east-1") == 0 && key_is (&cfg, "AKALT", "alt-secret", NULL) &&
         streq (cfg.source, "profile \"default\" (/tmp/ferry-test-aws-creds-alt)"),
         "AWS_SHARED_CREDENTIALS_FILE");
  aws_config_free (&cfg);
  unsetenv ("AWS_SHARED_CREDENTIALS_FILE");
  unlink ("/tmp/ferry-test-aws-creds-alt");

  /* Parse errors and half keys. */
  files ("[default\naws_access_key_id = A\n", NULL);
  CHECK (load (&cfg, NULL, "us-east-1") == -1 &&
         error_has ("read \"~/.aws/credentials\": line 1:"), "parse error names file and line");
  files ("[default]\n\naws_access_key_id\n", NULL);
  CHECK (load (&cfg, NULL, "us-east-1") == -1 &&
         error_has ("read \"~/.aws/credentials\": line 3:"), "a line without '='");
  files ("[default]\naws_access_key_id = AKHALF\n", NULL);
  CHECK (load (&cfg, NULL, "us-east-1") == -1 &&
         error_has ("has aws_access_key_id but no aws_secret_access_key") &&
         !error_has ("AKHALF"), "half a key pair in a profile");
}

static void
test_endpoints (void)
{
  struct aws_config cfg;

  clean_env ();
  files ("[default]\naws_access_key_id = AK\naws_secret_access_key = s\n",
         "[default]\nregion = cn-north-1\n"
         "[profile ep]\nregion = us-west-2\nservices = local\n"
         "endpoint_url = https://all.example/\nca_bundle = /etc/ca-profile.pem\n"
         "[services local]\nebs =\n  endpoint_url = http://127.0.0.1:4566/\n"
         "  # comment inside\nec2 =\n  ENDPOINT_URL = http://ec2.local\n"
         "[profile bad]\nregion = us-west-2\nendpoint_url = ftp://x\n");
  put (cred_file, "[default]\naws_access_key_id = AK\naws_secret_access_key = s\n"
       "[ep]\naws_access_key_id = AK\naws_secret_access_key = s\n"
       "[bad]\naws_access_key_id = AK\naws_secret_access_key = s\n");

  CHECK (load (&cfg, NULL, NULL) == 0 &&
         streq (cfg.endpoint[AWS_EBS], "https://ebs.cn-north-1.amazonaws.com.cn") &&
         streq (cfg.endpoint[AWS_S3], "https://s3.cn-north-1.amazonaws.com.cn"),
         "default endpoints in cn-*");
  aws_config_free (&cfg);
  CHECK (load (&cfg, NULL, "eu-west-1") == 0 &&
         streq (cfg.endpoint[AWS_EC2], "https://ec2.eu-west-1.amazonaws.com") &&
         streq (cfg.endpoint[AWS_STS], "https://sts.eu-west-1.amazonaws.com"),
         "default endpoints");
  aws_config_free (&cfg);

  CHECK (load (&cfg, "ep", NULL) == 0 &&
         streq (cfg.endpoint[AWS_EBS], "http://127.0.0.1:4566") &&
         streq (cfg.endpoint[AWS_EC2], "http://ec2.local") &&
         streq (cfg.endpoint[AWS_S3], "https://all.example") &&
         streq (cfg.ca_bundle, "/etc/ca-profile.pem") &&
         streq (cfg.http.cacert, "/etc/ca-profile.pem"),
         "services section, then the profile's endpoint_url; ca_bundle");
  aws_config_free (&cfg);

  setenv ("AWS_ENDPOINT_URL", "http://global.example:9000", 1);
  setenv ("AWS_ENDPOINT_URL_S3", "https://s3.example//", 1);
  setenv ("AWS_CA_BUNDLE", "/etc/ca-env.pem", 1);
  CHECK (load (&cfg, "ep", NULL) == 0 &&
         streq (cfg.endpoint[AWS_S3], "https://s3.example") &&
         streq (cfg.endpoint[AWS_EBS], "http://global.example:9000") &&
         streq (cfg.endpoint[AWS_STS], "http://global.example:9000") &&
         streq (cfg.ca_bundle, "/etc/ca-env.pem"),
         "AWS_ENDPOINT_URL_S3 > AWS_ENDPOINT_URL > the profile; AWS_CA_BUNDLE");
  aws_config_free (&cfg);
  setenv ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
  CHECK (load (&cfg, "ep", NULL) == 0 &&
         streq (cfg.endpoint[AWS_S3], "https://s3.us-west-2.amazonaws.com") &&
         streq (cfg.endpoint[AWS_EBS], "https://ebs.us-west-2.amazonaws.com"),
         "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  aws_config_free (&cfg);
  clean_env ();
  CHECK (load (&cfg, "bad", NULL) == -1 && error_has ("not an http:// or https:// URL"),
         "ftp:// endpoint refused");
  CHECK (strcmp (aws_service_name (AWS_EBS), "ebs") == 0 &&
         strcmp (aws_service_name (AWS_STS), "sts") == 0, "aws_service_name");
}

static void
test_process (void)
{
  struct aws_config cfg;
  struct aws_creds c = { 0 };
  char conf[4096];

  clean_env ();
  setenv ("AWS_REGION", "us-east-1", 1);
  put (script, script_text);
  chmod (script, 0700);
  unlink (counter);
  snprintf (conf, sizeof conf,
            "[default]\nregion = us-east-1\n"
            "credential_process = \"%s\" '%s' quoted \"a b\" it\\'s '$HOME'\n"
            "[profile badver]\ncredential_process = %s %s badver\n"
            "[profile fail]\ncredential_process = %s %s fail\n"
            "[profile garbage]\ncredential_process = %s %s garbage\n"
            "[profile expiring]\ncredential_process = %s %s expiring\n"
            "[profile unterminated]\ncredential_process = %s 'x\n"
            "[profile missing]\ncredential_process = /nonexistent/helper\n",
            script, counter, script, counter, script, counter, script, counter,
            script, counter, script);
  files (NULL, conf);

  CHECK (load (&cfg, NULL, NULL) == 0 && key_is (&cfg, "AKPROC", "p-secret", "p-tok") &&
         cfg.creds.expiration > time (NULL) + 3000 && count () == 1 &&
         streq (cfg.source, "profile \"default\" (credential_process)"),
         "credential_process with quoted arguments, no shell expansion");
  CHECK (aws_config_creds (&cfg, &c) == 0 && streq (c.access_key, "AKPROC") &&
         count () == 1, "credentials an hour away from expiring are not fetched again");
  aws_creds_clear (&c);
  aws_config_free (&cfg);

  CHECK (load (&cfg, "badver", NULL) == -1 &&
         error_has ("profile \"badver\"") && error_has ("\"Version\" is not 1"),
         "credential_process: Version 2 refused");
  CHECK (load (&cfg, "fail", NULL) == -1 && error_has ("profile \"fail\"") &&
         error_has ("exited 7") && !error_has ("proc-stdout-secret"),
         "credential_process: exit status, stdout not shown");
  CHECK (load (&cfg, "garbage", NULL) == -1 && error_has ("printed no valid JSON") &&
         !error_has ("proc-stdout-secret"), "credential_process: no JSON, not echoed");
  CHECK (load (&cfg, "unterminated", NULL) == -1 && error_has ("unterminated quote"),
         "credential_process: unterminated quote");
  CHECK (load (&cfg, "missing", NULL) == -1 && error_has ("could not be run"),
         "credential_process: not found");

  unlink (counter);
  CHECK (load (&cfg, "expiring", NULL) == 0 && count () == 1 &&
         cfg.creds.expiration <= time (NULL) + 61, "expiring credentials loaded");
  CHECK (aws_config_creds (&cfg, &c) == 0 && count () == 2 &&
         streq (c.secret_key, "p-secret") && c.expiration > time (NULL),
         "credentials expiring within 5 minutes: the process is run again");
  aws_creds_clear (&c);
  CHECK (aws_config_creds (&cfg, &c) == 0 && count () == 3, "and again next time");
  aws_creds_clear (&c);
  aws_config_free (&cfg);
}

static void
test_http_sources (void)
{
  struct aws_config cfg;
  struct aws_creds c = { 0 };
  char url[128], conf[4096];

  clean_env ();
  files (NULL, NULL);
  log_reset ();
  snprintf (url, sizeof url, "http://127.0.0.1:%d/container-creds", srv.port);
  setenv ("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
  setenv ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "auth-tok", 1);
  CHECK (load (&cfg, NULL, "us-east-1") == 0 && key_is (&cfg, "AKCONT", "c-secret", "c-tok") &&
         cfg.creds.expiration == 4070908800 &&
         streq (cfg.source, "the container credentials endpoint"),
         "container credentials with the authorization token");
  aws_config_free (&cfg);
  unsetenv ("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  CHECK (load (&cfg, NULL, "us-east-1") == -1 && error_has ("HTTP 403") &&
         !error_has ("auth-tok"), "container endpoint refusing");
  setenv ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds", 1);
  CHECK (load (&cfg, NULL, "us-east-1") == -1 && error_has ("only https://"),
         "container full URI over http to a remote host refused");
  unsetenv ("AWS_CONTAINER_CREDENTIALS_FULL_URI");

  /* IMDSv2 against the server. */
  snprintf (url, sizeof url, "http://127.0.0.1:%d", srv.port);
  setenv ("AWS_EC2_METADATA_SERVICE_ENDPOINT", url, 1);
  unsetenv ("AWS_EC2_METADATA_DISABLED");
  log_reset ();
  CHECK (load (&cfg, NULL, NULL) == 0 && key_is (&cfg, "AKIMDS", "imds-secret", "imds-tok") &&
         streq (cfg.region, "eu-west-3") && streq (cfg.source, "the EC2 instance metadata") &&
         cfg.creds.expiration > time (NULL) + 3000, "IMDSv2 credentials and region");
  pthread_mutex_lock (&srv.lock);
  CHECK (strcmp (srv.log,
                 "PUT /latest/api/token\n"
                 "GET /latest/meta-data/placement/region tok\n"
                 "PUT /latest/api/token\n"
                 "GET /latest/meta-data/iam/security-credentials/ tok\n"
                 "PUT /latest/api/token\n"
                 "GET /latest/meta-data/iam/security-credentials/ec2role tok\n") == 0,
         "IMDSv2: a token PUT before every GET, the token sent");
  pthread_mutex_unlock (&srv.lock);
  aws_config_free (&cfg);

  /* IMDS not there: quickly, one message. */
  setenv ("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1", 1);
  {
    double t = now_seconds ();
    CHECK (load (&cfg, NULL, "us-east-1") == -1 &&
           error_has ("or the EC2 instance metadata") && now_seconds () - t < 5,
           "no IMDS: fails fast with the chain's message");
  }
  clean_env ();

  /* AssumeRole through the STS endpoint, signed by the source profile. */
  snprintf (conf, sizeof conf,
            "[profile base]\naws_access_key_id = AKBASE\naws_secret_access_key = b-secret\n"
            "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/R x\n"
            "source_profile = base\nexternal_id = ext 1\nduration_seconds = 900\n"
            "[profile role2]\nrole_arn = arn:aws:iam::1:role/Q\nsource_profile = role\n"
            "[profile loop1]\nrole_arn = arn:aws:iam::1:role/L\nsource_profile = loop2\n"
            "[profile loop2]\nrole_arn = arn:aws:iam::1:role/L\nsource_profile = loop1\n"
            "[profile envrole]\nrole_arn = arn:aws:iam::1:role/E\n"
            "credential_source = Environment\n");
  files (NULL, conf);
  snprintf (url, sizeof url, "http://127.0.0.1:%d", srv.port);
  setenv ("AWS_ENDPOINT_URL_STS", url, 1);
  log_reset ();
  CHECK (load (&cfg, "role", "us-east-1") == 0 && key_is (&cfg, "ASIASTS", "sts-secret", "sts-tok") &&
         cfg.creds.expiration == 4070908800, "AssumeRole with source_profile");
  {
    char want[256];
    snprintf (want, sizeof want, "Action=AssumeRole&RoleArn=arn%%3Aaws%%3Aiam%%3A%%3A"
              "123456789012%%3Arole%%2FR%%20x&RoleSessionName=ferry-%ld&Version=2011-06-15"
              "&ExternalId=ext%%201&DurationSeconds=900", (long) getpid ());
    pthread_mutex_lock (&srv.lock);
    CHECK (strcmp (srv.sts_body, want) == 0, "AssumeRole: the form body");
    pthread_mutex_unlock (&srv.lock);
  }
  CHECK (aws_config_creds (&cfg, &c) == 0 && streq (c.access_key, "ASIASTS"),
         "aws_config_creds copies");
  aws_creds_clear (&c);
  aws_config_free (&cfg);
  CHECK (load (&cfg, "role2", "us-east-1") == 0 && key_is (&cfg, "ASIASTS", "sts-secret", "sts-tok"),
         "AssumeRole chained through two profiles");
  aws_config_free (&cfg);
  CHECK (load (&cfg, "loop1", "us-east-1") == -1 && error_has ("loops back"),
         "source_profile loop detected");
  CHECK (load (&cfg, "envrole", "us-east-1") == -1 &&
         error_has ("credential_source Environment has no credentials"),
         "credential_source = Environment without keys");
  setenv ("AWS_ACCESS_KEY_ID", "AKENV", 1);
  setenv ("AWS_SECRET_ACCESS_KEY", "e-secret", 1);
  CHECK (load (&cfg, "envrole", "us-east-1") == 0 && key_is (&cfg, "ASIASTS", "sts-secret", "sts-tok"),
         "credential_source = Environment");
  aws_config_free (&cfg);
  clean_env ();
}

int
main (void)
{
  double t = now_seconds ();

  signal (SIGPIPE, SIG_IGN);
  snprintf (dir, sizeof dir, "/tmp/ferry-test-aws-creds.XXXXXX");
  if (mkdtemp (dir) == NULL) {
    perror ("mkdtemp");
    return EXIT_FAILURE;
  }
  snprintf (cred_file, sizeof cred_file, "%s/.aws/credentials", dir);
  snprintf (conf_file, sizeof conf_file, "%s/.aws/config", dir);
  snprintf (counter, sizeof counter, "%s/counter", dir);
  snprintf (script, sizeof script, "%s/helper.sh", dir);
  {
    char aws[96];
    snprintf (aws, sizeof aws, "%s/.aws", dir);
    mkdir (aws, 0700);
  }
  setenv ("HOME", dir, 1);
  server_start ();

  test_env_and_profiles ();
  test_endpoints ();
  test_process ();
  test_http_sources ();

  pthread_mutex_lock (&srv.lock);
  srv.stop = true;
  pthread_mutex_unlock (&srv.lock);
  pthread_join (srv.thread, NULL);
  close (srv.lfd);
  {
    char cmd[128];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system (cmd) != 0)
      fprintf (stderr, "could not remove %s\n", dir);
  }
  printf ("test-aws-creds: %d passed, %d failed (%.1f s)\n", passed, failed,
          now_seconds () - t);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
