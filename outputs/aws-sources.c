/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: the AWS credential sources that are not the files, for
 * aws-creds.c: credential_process, the container endpoint, IMDSv2;
 * and the RFC 3339 times they give.  Nothing they print or answer
 * reaches a message.
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "aws.h"
#include "aws-profile.h"

#define PROCESS_MAX_OUT (64 * 1024)
#define PROCESS_TIMEOUT 60

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

/* ---------------------------------------------------------------- */
/* Small parsers. */

/* RFC 3339 ("2026-12-04T22:37:36Z", with fractions or an offset). */
int
awsc_parse_time (const char *s, time_t *out)
{
  struct tm tm = { 0 };
  int n = 0, oh = 0, om = 0;
  const char *p;
  time_t t;

  if (s == NULL ||
      sscanf (s, "%4d-%2d-%2d%*[Tt ]%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
              &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
      n == 0)
    return -1;
  p = s + n;
  if (*p == '.')
    for (p++; *p >= '0' && *p <= '9'; p++)
      ;
  if (*p == 'Z' || *p == 'z')
    p++;
  else if ((*p == '+' || *p == '-') &&
           sscanf (p + 1, "%2d:%2d", &oh, &om) == 2 && strlen (p) == 6) {
    if (*p == '-') {
      oh = -oh;
      om = -om;
    }
    p += 6;
  }
  else
    return -1;
  if (*p)
    return -1;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  t = timegm (&tm);
  if (t == (time_t) -1)
    return -1;
  *out = t - oh * 3600 - om * 60;
  return 0;
}

/* The credentials in a JSON document (credential_process, the
 * container endpoint, IMDS).  token_key: "SessionToken" or "Token".
 * 0, or -1 with *why set (a constant: never the document's text).
 */
static int
creds_from_json (const char *text, size_t len, const char *token_key,
                 bool need_version, struct aws_creds *out, const char **why)
{
  json_error_t jerr;
  json_t *j = json_loadb (text, len, 0, &jerr);
  const char *ak, *sk, *tok, *exp;
  int rc = -1;

  *why = "printed no valid JSON";
  if (j == NULL || !json_is_object (j))
    goto out;
  if (need_version) {
    json_t *v = json_object_get (j, "Version");
    *why = "printed JSON whose \"Version\" is not 1";
    if (!json_is_integer (v) || json_integer_value (v) != 1)
      goto out;
  }
  ak = tree_str (j, "AccessKeyId");
  sk = tree_str (j, "SecretAccessKey");
  tok = tree_str (j, token_key);
  exp = tree_str (j, "Expiration");
  *why = "printed JSON without \"AccessKeyId\" and \"SecretAccessKey\"";
  if (ak == NULL || sk == NULL || !*ak || !*sk)
    goto out;
  *why = "printed an \"Expiration\" that is not an RFC 3339 time";
  out->expiration = 0;
  if (exp && awsc_parse_time (exp, &out->expiration) == -1)
    goto out;
  out->access_key = strdup (ak);
  out->secret_key = strdup (sk);
  out->session_token = tok && *tok ? strdup (tok) : NULL;
  *why = "out of memory";
  if (!out->access_key || !out->secret_key || (tok && *tok && !out->session_token)) {
    aws_creds_clear (out);
    goto out;
  }
  rc = 0;
 out:
  json_decref (j);              /* jansson does not wipe; nothing we can do */
  return rc;
}

/* Split a command line as POSIX shlex does: whitespace separates,
 * '...' is literal, "..." keeps \\ \" \$ \` escapes, \ escapes outside
 * quotes.  No expansion of any kind.  NULL after error().
 */
static char **
shell_split (const char *s, const char *profile)
{
  char **argv = NULL;
  struct sbuf w = SBUF_INIT;
  bool in_word = false;

  for (;; s++) {
    if (*s == '\0' || *s == ' ' || *s == '\t' || *s == '\n') {
      if (in_word) {
        char *word = w.s ? sbuf_take (&w) : strdup ("");
        if (word == NULL || string_list_push (&argv, word) == -1) {
          free (word);
          goto nomem;
        }
        free (word);
      }
      in_word = false;
      if (*s == '\0')
        break;
      continue;
    }
    in_word = true;
    if (*s == '\'') {
      const char *e = strchr (s + 1, '\'');
      if (e == NULL)
        goto unterminated;
      sbuf_add (&w, s + 1, e - s - 1);
      s = e;
    }
    else if (*s == '"') {
      for (s++; *s != '"'; s++) {
        if (*s == '\0')
          goto unterminated;
        if (*s == '\\' && s[1] && strchr ("\\\"$`\n", s[1]))
          s++;
        sbuf_add (&w, s, 1);
      }
    }
    else if (*s == '\\') {
      if (s[1] == '\0')
        goto unterminated;
      s++;
      sbuf_add (&w, s, 1);
    }
    else
      sbuf_add (&w, s, 1);
  }
  if (argv == NULL) {
    error ("the credential_process of profile \"%s\" is empty", profile);
    return NULL;
  }
  return argv;

 unterminated:
  error ("the credential_process of profile \"%s\" has an unterminated quote "
         "or escape", profile);
  sbuf_free (&w);
  free_string_list (argv);
  return NULL;
 nomem:
  error ("the credential_process of profile \"%s\": %m", profile);
  sbuf_free (&w);
  free_string_list (argv);
  return NULL;
}

/* ---------------------------------------------------------------- */
/* credential_process. */

/* Run argv with stdout captured (at most 64 KiB, 60 s); its stderr is
 * ferry's.  Not run_command_timeout(): that one has no bound on stdout
 * and takes the AWS_* variables away, which a credential helper (like
 * the CLI's own) may need.  The exit status, or -1 after error().
 */
static int
run_process (char *const *argv, const char *profile, struct sbuf *out)
{
  int pfd[2], status;
  double deadline = now_seconds () + PROCESS_TIMEOUT;
  const char *why = NULL;
  pid_t pid;

  if (pipe2 (pfd, O_CLOEXEC) == -1) {
    error ("run the credential_process of profile \"%s\": %m", profile);
    return -1;
  }
  pid = fork ();
  if (pid == -1) {
    error ("run the credential_process of profile \"%s\": %m", profile);
    close (pfd[0]);
    close (pfd[1]);
    return -1;
  }
  if (pid == 0) {
    int devnull = open ("/dev/null", O_RDONLY);
    signal (SIGINT, SIG_DFL);
    signal (SIGTERM, SIG_DFL);
    signal (SIGPIPE, SIG_DFL);
    prctl (PR_SET_PDEATHSIG, SIGKILL);
    if (devnull >= 0)
      dup2 (devnull, 0);
    dup2 (pfd[1], 1);
    closefrom (3);
    execvp (argv[0], argv);
    fprintf (stderr, "ferry: exec \"%s\": %s\n", argv[0], strerror (errno));
    _exit (127);
  }
  close (pfd[1]);
  for (;;) {
    char buf[4096];
    struct pollfd p = { .fd = pfd[0], .events = POLLIN };
    double left = deadline - now_seconds ();
    ssize_t r;
    int pr;

    if (left <= 0) {
      why = "did not finish within 60 s: stopped it";
      break;
    }
    pr = poll (&p, 1, (int) (left * 1000) + 1);
    if (pr == -1 && errno == EINTR)
      continue;
    if (pr <= 0)
      continue;
    r = read (pfd[0], buf, sizeof buf);
    if (r == -1 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    if (out->len + r > PROCESS_MAX_OUT) {
      why = "printed more than 64 KiB: stopped it";
      break;
    }
    if (sbuf_add (out, buf, r) == -1) {
      why = "out of memory";
      break;
    }
    explicit_bzero (buf, r);
  }
  close (pfd[0]);
  if (why)
    kill (pid, SIGKILL);
  while (waitpid (pid, &status, 0) == -1)
    if (errno != EINTR) {
      error ("wait for the credential_process of profile \"%s\": %m", profile);
      return -1;
    }
  if (why) {
    error ("the credential_process of profile \"%s\" %s", profile, why);
    return -1;
  }
  if (WIFSIGNALED (status)) {
    error ("the credential_process of profile \"%s\" was killed by signal %d",
           profile, WTERMSIG (status));
    return -1;
  }
  return WEXITSTATUS (status);
}

int
awsc_process_creds (const char *profile, const char *cmdline, struct aws_creds *out)
{
  CLEANUP_STRING_LIST char **argv = shell_split (cmdline, profile);
  struct sbuf b = SBUF_INIT;
  const char *why;
  int st, rc = -1;

  if (argv == NULL)
    return -1;
  debug ("profile \"%s\": credential_process \"%s\"", profile, argv[0]);
  st = run_process (argv, profile, &b);
  if (st == 127)
    error ("the credential_process of profile \"%s\" could not be run "
           "(\"%s\": exit 127)", profile, argv[0]);
  else if (st > 0)
    error ("the credential_process of profile \"%s\" exited %d", profile, st);
  else if (st == 0) {
    if (creds_from_json (b.s ? b.s : "", b.len, "SessionToken", true, out,
                         &why) == 0)
      rc = 0;
    else
      error ("the credential_process of profile \"%s\" %s", profile, why);
  }
  if (b.s)
    explicit_bzero (b.s, b.len);
  sbuf_free (&b);
  return rc;
}

/* ---------------------------------------------------------------- */
/* The container endpoint and IMDSv2. */

/* http:// only to the loopback or the ECS/EKS agents, as in the CLI. */
static bool
container_url_ok (const char *url)
{
  static const char *const hosts[] = {
    "http://127.", "http://localhost:", "http://localhost/", "http://[::1]",
    "http://169.254.170.2/", "http://169.254.170.2:", "http://169.254.170.23/",
    "http://169.254.170.23:", "http://[fd00:ec2::23]", NULL
  };
  if (strncasecmp (url, "https://", 8) == 0)
    return true;
  for (size_t i = 0; hosts[i]; i++)
    if (strncasecmp (url, hosts[i], strlen (hosts[i])) == 0)
      return true;
  return false;
}

/* 1 with *out, 0 when not configured, -1 after error(). */
int
awsc_container_creds (const char *cacert, struct aws_creds *out)
{
  const char *rel = env ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  const char *full = env ("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  const char *tokfile = env ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  const char *tok = env ("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  struct http_opts o = { .cacert = cacert, .connect_timeout = 2,
                         .timeout = 5, .retries = -1 };
  CLEANUP_FREE char *url = NULL, *hdr = NULL, *ftok = NULL;
  const char *hdrs[2] = { NULL, NULL };
  struct http_response r = { 0 };
  const char *why;
  int rc = -1;

  if (rel) {
    if (asprintf (&url, "http://169.254.170.2%s%s", *rel == '/' ? "" : "/",
                  rel) == -1)
      return -1;
  }
  else if (full) {
    if (!container_url_ok (full)) {
      error ("AWS_CONTAINER_CREDENTIALS_FULL_URI: only https:// or http:// "
             "to the loopback or the ECS/EKS agent is allowed");
      return -1;
    }
    url = strdup (full);
  }
  else
    return 0;
  if (tokfile) {
    CLEANUP_FCLOSE FILE *fp = fopen (tokfile, "re");
    size_t n = 0;
    if (fp == NULL || getline (&ftok, &n, fp) == -1) {
      error ("read \"%s\" (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE): %m", tokfile);
      return -1;
    }
    ftok[strcspn (ftok, "\r\n")] = '\0';
    tok = ftok;
  }
  if (tok && asprintf (&hdr, "Authorization: %s", tok) == -1)
    return -1;
  hdrs[0] = hdr;
  if (http_request (&o, "GET", url, hdrs, NULL, 0, &r) == -1) {
    error ("get AWS credentials from the container endpoint: %s", last_error ());
    goto out;
  }
  if (r.status != 200) {
    error ("get AWS credentials from the container endpoint: HTTP %ld", r.status);
    goto out;
  }
  if (creds_from_json (r.body, r.len, "Token", false, out, &why) == -1)
    error ("get AWS credentials from the container endpoint: it %s", why);
  else
    rc = 1;
 out:
  if (hdr)
    explicit_bzero (hdr, strlen (hdr));
  if (ftok)
    explicit_bzero (ftok, strlen (ftok));
  if (r.body)
    explicit_bzero (r.body, r.len);
  http_response_free (&r);
  return rc;
}

static const char *
imds_base (void)
{
  const char *e = env ("AWS_EC2_METADATA_SERVICE_ENDPOINT");
  return e ? e : "http://169.254.169.254";
}

/* Can we connect to IMDS within 1 s?  Checked first, quietly, so that
 * off EC2 the chain ends with its own message, not libcurl's.
 */
static bool
imds_reachable (void)
{
  CLEANUP_FREE char *host = NULL;
  const char *b = imds_base (), *h, *e, *port = "80";
  struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
  bool ok = false;

  if (strncasecmp (b, "http://", 7) == 0)
    h = b + 7;
  else if (strncasecmp (b, "https://", 8) == 0) {
    h = b + 8;
    port = "443";
  }
  else
    return false;
  if (*h == '[') {
    e = strchr (h, ']');
    if (e == NULL)
      return false;
    host = strndup (h + 1, e - h - 1);
    e++;
  }
  else {
    e = h + strcspn (h, ":/");
    host = strndup (h, e - h);
  }
  if (host == NULL)
    return false;
  if (*e == ':') {
    static __thread char pbuf[8];
    snprintf (pbuf, sizeof pbuf, "%.*s", (int) strcspn (e + 1, "/"), e + 1);
    port = pbuf;
  }
  if (getaddrinfo (host, port, &hints, &ai) != 0)
    return false;
  for (struct addrinfo *a = ai; a && !ok; a = a->ai_next) {
    int fd = socket (a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct pollfd p = { .fd = fd, .events = POLLOUT };
    int err = 0;
    socklen_t len = sizeof err;

    if (fd == -1)
      continue;
    if (connect (fd, a->ai_addr, a->ai_addrlen) == 0 ||
        (errno == EINPROGRESS && poll (&p, 1, 1000) == 1 &&
         getsockopt (fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0))
      ok = true;
    close (fd);
  }
  freeaddrinfo (ai);
  return ok;
}

/* GET path with an IMDSv2 token (a new one per call).  The body (owned)
 * or NULL; quiet (with debug()) when IMDS is not there, else error().
 */
char *
awsc_imds_get (const char *path, bool *tried)
{
  struct http_opts o = { .connect_timeout = 1, .timeout = 3, .retries = -1 };
  const char *th[] = { "X-aws-ec2-metadata-token-ttl-seconds: 21600", NULL };
  const char *gh[2] = { NULL, NULL };
  CLEANUP_FREE char *url = NULL, *hdr = NULL;
  struct http_response r = { 0 };
  const char *base = imds_base ();
  char *body = NULL;

  *tried = false;
  if (env_true ("AWS_EC2_METADATA_DISABLED"))
    return NULL;
  if (!imds_reachable ()) {
    debug ("the EC2 instance metadata (%s) is not there", base);
    return NULL;
  }
  *tried = true;
  if (asprintf (&url, "%s/latest/api/token", base) == -1)
    return NULL;
  if (http_request (&o, "PUT", url, th, NULL, 0, &r) == -1)
    return NULL;
  if (r.status != 200 || r.body == NULL || !*r.body) {
    error ("get an EC2 instance metadata token: HTTP %ld", r.status);
    http_response_free (&r);
    return NULL;
  }
  if (asprintf (&hdr, "X-aws-ec2-metadata-token: %s", r.body) == -1)
    hdr = NULL;
  explicit_bzero (r.body, r.len);
  http_response_free (&r);
  if (hdr == NULL)
    return NULL;
  gh[0] = hdr;
  free (url);
  if (asprintf (&url, "%s%s", base, path) == -1)
    url = NULL;
  if (url && http_request (&o, "GET", url, gh, NULL, 0, &r) == 0) {
    if (r.status == 200) {
      body = r.body;
      r.body = NULL;
    }
    else
      error ("get %s from the EC2 instance metadata: HTTP %ld", path, r.status);
  }
  explicit_bzero (hdr, strlen (hdr));
  http_response_free (&r);
  return body;
}

/* 1, 0 (not on EC2, or no role), -1 after error(). */
int
awsc_imds_creds (struct aws_creds *out)
{
  static const char p[] = "/latest/meta-data/iam/security-credentials/";
  CLEANUP_FREE char *role = NULL, *path = NULL;
  char *body;
  const char *why;
  bool tried;
  int rc;

  role = awsc_imds_get (p, &tried);
  if (role == NULL)
    return tried ? -1 : 0;
  role[strcspn (role, "\r\n")] = '\0';
  if (!*role || asprintf (&path, "%s%s", p, role) == -1)
    return 0;
  body = awsc_imds_get (path, &tried);
  if (body == NULL)
    return -1;
  rc = creds_from_json (body, strlen (body), "Token", false, out, &why);
  if (rc == -1)
    error ("get the credentials of role \"%s\" from the EC2 instance "
           "metadata: it %s", role, why);
  explicit_bzero (body, strlen (body));
  free (body);
  return rc == 0 ? 1 : -1;
}

