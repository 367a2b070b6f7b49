/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit test for the HTTP layer (outputs/http.c).
 *
 * The server here is a test double for the transport only: a tiny
 * HTTP/1.1 server on plain sockets in a thread on 127.0.0.1, one
 * request per connection, answering from a script, so that the cases
 * no real service produces on demand can be tested: 503s, Retry-After,
 * connections closed early, refused ports, a chunked upload.  The real
 * Keystone and Glance (and TLS) are tested by the OpenStack harness.
 */

#include <config.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "unittest.h"

/* ---------------------------------------------------------------- */
/* The server. */

enum scenario {
  SC_OK,                        /* 200 with a JSON body */
  SC_503_TWICE,                 /* 503, 503, then 200 */
  SC_RETRY_AFTER,               /* 503 with Retry-After: 1, then 200 */
  SC_RETRY_DATE,                /* 503 with Retry-After: now + 2 s as an
                                   HTTP date, then 200 */
  SC_503_FOREVER,               /* 503 with Retry-After: 0 */
  SC_503_SLOW,                  /* 503 with Retry-After: 10 */
  SC_CLOSE_FIRST,               /* close at once the first time, then 200 */
  SC_READ_CLOSE,                /* read the request, close without answer */
  SC_UPLOAD,                    /* read the whole body, 201 */
  SC_UPLOAD_CLOSE,              /* read 64 KiB of the body, close */
  SC_REDIRECT,                  /* 301 to a URL with secrets */
};

static struct {
  int lfd, port;
  pthread_t thread;
  pthread_mutex_t lock;
  bool stop;
  enum scenario sc;
  int attempts;
  /* The last request. */
  char method[16];
  char head[8192];              /* its header lines, names in lower case */
  size_t body_len;
  char body_sha[65];
  char body_start[256];
} srv = { .lock = PTHREAD_MUTEX_INITIALIZER };

struct reader {
  int fd;
  char buf[65536];
  size_t pos, len;
};

static int
rd_byte (struct reader *r)
{
  if (r->pos == r->len) {
    ssize_t n = read (r->fd, r->buf, sizeof r->buf);
    if (n <= 0)
      return -1;
    r->pos = 0;
    r->len = n;
  }
  return (unsigned char) r->buf[r->pos++];
}

/* A line without its CRLF into out; -1 on EOF. */
static int
rd_line (struct reader *r, char *out, size_t n)
{
  size_t i = 0;
  int c;

  while ((c = rd_byte (r)) != -1 && c != '\n')
    if (c != '\r' && i + 1 < n)
      out[i++] = c;
  out[i] = '\0';
  return c == -1 ? -1 : 0;
}

static int
rd_bytes (struct reader *r, char *out, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    int c = rd_byte (r);
    if (c == -1)
      return -1;
    out[i] = c;
  }
  return 0;
}

static void
respond (int fd, const char *method, int status, const char *extra,
         const char *body)
{
  char buf[4096];
  int n = snprintf (buf, sizeof buf,
                    "HTTP/1.1 %d Whatever\r\nConnection: close\r\n"
                    "Content-Length: %zu\r\n%s\r\n%s", status, strlen (body),
                    extra, strcmp (method, "HEAD") == 0 ? "" : body);
  if (write (fd, buf, n) != n)
    perror ("test server: write");
}

static void
serve (int fd)
{
  static struct reader rd;
  char line[4096], method[16] = "", head[8192] = "";
  char *body = NULL;
  size_t body_len = 0, clen = 0, cap = 0;
  bool chunked = false, expect = false;
  enum scenario sc;
  int n;

  pthread_mutex_lock (&srv.lock);
  n = ++srv.attempts;
  sc = srv.sc;
  pthread_mutex_unlock (&srv.lock);
  if (sc == SC_CLOSE_FIRST && n == 1)
    return;
  rd.fd = fd;
  rd.pos = rd.len = 0;
  if (rd_line (&rd, line, sizeof line) == -1)
    return;
  sscanf (line, "%15s", method);
  while (rd_line (&rd, line, sizeof line) == 0 && line[0]) {
    for (char *p = line; *p && *p != ':'; p++)
      *p = tolower ((unsigned char) *p);
    if (strlen (head) + strlen (line) + 2 < sizeof head) {
      strcat (head, line);
      strcat (head, "\n");
    }
    if (strncmp (line, "content-length: ", 16) == 0)
      clen = strtoull (line + 16, NULL, 10);
    if (strcmp (line, "transfer-encoding: chunked") == 0)
      chunked = true;
    if (strcmp (line, "expect: 100-continue") == 0)
      expect = true;
  }
  if (sc == SC_READ_CLOSE)
    return;
  if (expect && write (fd, "HTTP/1.1 100 Continue\r\n\r\n", 25) != 25)
    return;
  /* The body. */
  for (;;) {
    size_t want = clen;

    if (chunked) {
      if (rd_line (&rd, line, sizeof line) == -1)
        goto out;
      want = strtoull (line, NULL, 16);
    }
    if (sc == SC_UPLOAD_CLOSE && body_len + want > 65536)
      want = 65536 - body_len;
    if (body_len + want > cap) {
      cap = (body_len + want) * 2;
      body = realloc (body, cap);
    }
    if (rd_bytes (&rd, body + body_len, want) == -1)
      goto out;
    body_len += want;
    if (sc == SC_UPLOAD_CLOSE && body_len >= 65536)
      goto out;
    if (!chunked)
      break;
    if (rd_line (&rd, line, sizeof line) == -1)
      goto out;
    if (want == 0) {
      while (line[0] && rd_line (&rd, line, sizeof line) == 0)
        ;                       /* trailers */
      break;
    }
  }

  pthread_mutex_lock (&srv.lock);
  strcpy (srv.method, method);
  strcpy (srv.head, head);
  srv.body_len = body_len;
  sha256_buf (body ? body : "", body_len, srv.body_sha);
  snprintf (srv.body_start, sizeof srv.body_start, "%.*s",
            (int) (body_len < 255 ? body_len : 255), body ? body : "");
  pthread_mutex_unlock (&srv.lock);

  switch (sc) {
  case SC_503_TWICE:
  case SC_RETRY_AFTER:
  case SC_RETRY_DATE:
    if (n <= (sc == SC_503_TWICE ? 2 : 1)) {
      char date[80] = "";
      if (sc == SC_RETRY_AFTER)
        strcpy (date, "Retry-After: 1\r\n");
      else if (sc == SC_RETRY_DATE) {
        time_t t = time (NULL) + 2;
        struct tm tm;
        strftime (date, sizeof date, "Retry-After: %a, %d %b %Y %H:%M:%S GMT\r\n",
                  gmtime_r (&t, &tm));
      }
      respond (fd, method, 503, date, "");
      break;
    }
    /* fallthrough */
  case SC_OK:
  case SC_CLOSE_FIRST:
    respond (fd, method, 200,
             "Content-Type: application/json\r\nX-Test: Value\r\n",
             "{\"ok\": true}");
    break;
  case SC_503_FOREVER:
    respond (fd, method, 503, "Retry-After: 0\r\nContent-Type: application/json\r\n",
             "{\n  \"error\": {\n    \"message\": \"busy\"\n  }\n}\n");
    break;
  case SC_503_SLOW:
    respond (fd, method, 503, "Retry-After: 10\r\n", "");
    break;
  case SC_UPLOAD:
    respond (fd, method, 201, "", "stored");
    break;
  case SC_REDIRECT:
    respond (fd, method, 301,
             "Location: https://u:pw@example.com/new?sig=SECRET\r\n", "");
    break;
  default:
    break;
  }
 out:
  free (body);
}

static void *
server_thread (void *arg)
{
  for (;;) {
    struct pollfd pfd = { .fd = srv.lfd, .events = POLLIN };
    struct timeval tv = { .tv_sec = 10 };
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

/* A listening socket on 127.0.0.1 and its port. */
static int
listen_any (int *port)
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

static void
set_scenario (enum scenario sc)
{
  pthread_mutex_lock (&srv.lock);
  srv.sc = sc;
  srv.attempts = 0;
  srv.method[0] = srv.head[0] = srv.body_start[0] = '\0';
  srv.body_len = 0;
  pthread_mutex_unlock (&srv.lock);
}

static int
attempts (void)
{
  int n;

  pthread_mutex_lock (&srv.lock);
  n = srv.attempts;
  pthread_mutex_unlock (&srv.lock);
  return n;
}

static char url[256];

static const char *
at (const char *path)
{
  snprintf (url, sizeof url, "http://127.0.0.1:%d%s", srv.port, path);
  return url;
}

static bool
error_has (const char *s)
{
  return last_error () && strstr (last_error (), s);
}

/* ---------------------------------------------------------------- */
/* Uploads: a writer thread feeds a pipe as the copy engine would. */

struct writer {
  int fd;
  const char *data;
  size_t len;
  atomic_bool *cancel;          /* set before closing, if not NULL */
};

static void *
writer_thread (void *arg)
{
  struct writer *w = arg;
  static const size_t sizes[] = { 1, 1000, 70000, 4096, 333333, 17 };
  size_t off = 0;

  for (size_t k = 0; off < w->len; k++) {
    size_t n = sizes[k % 6];
    ssize_t r = write (w->fd, w->data + off, n < w->len - off ? n : w->len - off);

    if (r <= 0)
      break;                    /* EPIPE: the reader gave up */
    off += r;
  }
  if (w->cancel)
    atomic_store (w->cancel, true);
  close (w->fd);
  return NULL;
}

static int
upload (const char *const *hdrs, const char *data, size_t len,
        atomic_bool *cancel, struct http_response *r)
{
  struct http_opts o = { 0 };
  struct writer w = { .data = data, .len = len, .cancel = cancel };
  pthread_t th;
  int fds[2], ret;

  if (pipe (fds) == -1)
    return -2;
  w.fd = fds[1];
  pthread_create (&th, NULL, writer_thread, &w);
  ret = http_upload_fd (&o, "PUT", at ("/v2/images/ID/file"), hdrs, fds[0], cancel, r);
  close (fds[0]);
  pthread_join (th, NULL);
  return ret;
}

static void *
raise_later (void *arg)
{
  usleep (300 * 1000);
  raise (SIGINT);
  return NULL;
}

/* ---------------------------------------------------------------- */

static void
test_redact (void)
{
  static const char *const t[][2] = {
    { "https://u:p@h/x?sig=SECRET", "https://h/x" },
    { "https://u:pa/ss@h:443/x?y=1", "https://h:443/x" },
    { "https://u:p?ss@h/x?sig=SECRET", "https://h/x" },
    { "https://u:p#ss@h/x#f", "https://h/x" },
    { "http://[::1]:8080/a#frag", "http://[::1]:8080/a" },
    { "https://h/a@b?x", "https://h/a@b" },
    { "https://h:9292", "https://h:9292/" },
    { "https://user@h/v3?token=T", "https://h/v3" },
    { "HTTPS://u:p@H.Example:443/a/../b?x", "https://H.Example:443/b" },
    { "no-scheme?x", "no-scheme" },
  };

  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    CLEANUP_FREE char *s = http_redact_url (t[i][0]);
    if (!(s && strcmp (s, t[i][1]) == 0))
      fprintf (stderr, "redact %s: got %s\n", t[i][0], s ? s : "NULL");
    CHECK (s && strcmp (s, t[i][1]) == 0, "redact");
  }
}

static void
test_describe (void)
{
  char *json[] = { (char *) "content-type: application/json", NULL };
  char *text[] = { (char *) "content-type: text/plain", NULL };
  char *html[] = { (char *) "content-type: text/html; charset=UTF-8", NULL };
  char *loc[] = { (char *) "location: https://u:pw@example.com/new?sig=SECRET", NULL };
  char body[600];
  struct http_response r = { 503, (char *) "{\n  \"error\":\n\t\"busy\"\n}\n", 23, json, 0 };
  char *s = http_describe (&r);

  CHECK (s && strcmp (s, "HTTP 503 Service Unavailable: { \"error\": \"busy\" }") == 0,
         "describe JSON");
  free (s);
  memset (body, 'x', sizeof body);
  memcpy (body + 199, "\xc3\xa9", 2);           /* an é across the cut */
  r = (struct http_response) { 500, body, sizeof body, text, 0 };
  s = http_describe (&r);
  CHECK (s && strlen (s) == strlen ("HTTP 500 Internal Server Error: ") + 199 + 3 &&
         strcmp (s + strlen (s) - 4, "x...") == 0, "describe truncates at a UTF-8 boundary");
  free (s);
  r = (struct http_response) { 409, (char *) "<html>\n <head><title>409 Conflict</title></head>\n"
    " <body><h1>409 Conflict</h1>\n  There was a conflict.<br /><br />\n </body>\n</html>",
    0, html, 0 };
  r.len = strlen (r.body);
  s = http_describe (&r);
  CHECK (s && strstr (s, "There was a conflict.") && !strchr (s, '<'), "describe HTML");
  free (s);
  r = (struct http_response) { 301, (char *) "", 0, loc, 0 };
  s = http_describe (&r);
  CHECK (s && strcmp (s, "HTTP 301 Moved Permanently (to https://example.com/new)") == 0,
         "describe redirect, redacted");
  free (s);
  r = (struct http_response) { 0 };
  s = http_describe (&r);
  CHECK (s && strcmp (s, "no response") == 0, "describe no response");
  free (s);
}

static void
test_requests (void)
{
  struct http_opts o = { 0 };
  struct http_response r;
  const char *hdrs[] = { "X-Auth-Token: SECRET-TOKEN", "Accept: application/json", NULL };
  const char *ct[] = { "Content-Type: application/json", NULL };
  double t;
  int port;

  /* 200 with a body and headers. */
  set_scenario (SC_OK);
  CHECK (http_request (&o, "GET", at ("/v2/images"), hdrs, NULL, 0, &r) == 0 &&
         r.status == 200 && r.len == 12 && strcmp (r.body, "{\"ok\": true}") == 0,
         "GET 200");
  CHECK (http_header (&r, "X-TEST") && strcmp (http_header (&r, "x-test"), "Value") == 0,
         "http_header is case-insensitive");
  CHECK (r.headers && r.headers[0] && strstr (srv.head, "user-agent: ferry/" PACKAGE_VERSION),
         "headers and User-Agent");
  CHECK (strstr (srv.head, "x-auth-token: SECRET-TOKEN") != NULL, "request headers sent");
  http_response_free (&r);
  CHECK (http_request (&o, "HEAD", at ("/x"), NULL, NULL, 0, &r) == 0 &&
         r.status == 200 && r.len == 0 && strcmp (srv.method, "HEAD") == 0, "HEAD");
  http_response_free (&r);
  CHECK (http_request (&o, "DELETE", at ("/x"), NULL, NULL, 0, &r) == 0 &&
         r.status == 200 && strcmp (srv.method, "DELETE") == 0, "DELETE");
  http_response_free (&r);
  CHECK (http_request (&o, "POST", at ("/v3/auth/tokens"), NULL, "{\"password\":\"pw\"}", 17, &r) == 0 &&
         strcmp (srv.method, "POST") == 0 && strcmp (srv.body_start, "{\"password\":\"pw\"}") == 0 &&
         strstr (srv.head, "content-length: 17") && !strstr (srv.head, "content-type") &&
         !strstr (srv.head, "expect"), "POST: body, no form type, no Expect");
  http_response_free (&r);
  CHECK (http_request (&o, "PUT", at ("/x"), ct, NULL, 0, &r) == 0 &&
         strcmp (srv.method, "PUT") == 0 && strstr (srv.head, "content-length: 0") &&
         strstr (srv.head, "content-type: application/json"), "PUT without a body");
  http_response_free (&r);

  /* Retries on 503. */
  set_scenario (SC_503_TWICE);
  t = now_seconds ();
  CHECK (http_request (&o, "GET", at ("/x"), NULL, NULL, 0, &r) == 0 &&
         r.status == 200 && attempts () == 3 && now_seconds () - t >= 0.7,
         "503 twice: retried with backoff (0.5 then 1 s, jittered down to half)");
  http_response_free (&r);
  set_scenario (SC_RETRY_AFTER);
  t = now_seconds ();
  CHECK (http_request (&o, "GET", at ("/x"), NULL, NULL, 0, &r) == 0 &&
         r.status == 200 && attempts () == 2 && now_seconds () - t >= 0.95,
         "Retry-After honoured");
  http_response_free (&r);
  /* The date form: 2 s ahead at one-second resolution waits more than
   * 1 s, where the backoff alone would wait 0.5 s.
   */
  set_scenario (SC_RETRY_DATE);
  t = now_seconds ();
  CHECK (http_request (&o, "GET", at ("/x"), NULL, NULL, 0, &r) == 0 &&
         r.status == 200 && attempts () == 2 && now_seconds () - t >= 0.95 &&
         now_seconds () - t < 5, "Retry-After as an HTTP date honoured");
  http_response_free (&r);
  set_scenario (SC_503_FOREVER);
  CHECK (http_request (&o, "GET", at ("/x"), NULL, NULL, 0, &r) == 0 &&
         r.status == 503 && attempts () == 5, "503 forever: 5 attempts, then the 503");
  http_response_free (&r);
  set_scenario (SC_503_FOREVER);
  o.retries = 2;
  CHECK (http_request (&o, "PUT", at ("/x"), ct, "{}", 2, &r) == 0 &&
         r.status == 503 && attempts () == 3, "PUT 503: retries+1 attempts");
  http_response_free (&r);
  set_scenario (SC_503_FOREVER);
  o.retries = -1;
  CHECK (http_request (&o, "GET", at ("/x"), NULL, NULL, 0, &r) == 0 &&
         r.status == 503 && attempts () == 1, "retries -1: one attempt");
  http_response_free (&r);
  o.retries = 0;
  set_scenario (SC_503_FOREVER);
  CHECK (http_request (&o, "POST", at ("/x"), ct, "{}", 2, &r) == 0 &&
         r.status == 503 && attempts () == 1, "POST 503: not retried");
  http_response_free (&r);

  /* Connections refused or closed. */
  close (listen_any (&port));
  snprintf (url, sizeof url, "http://127.0.0.1:%d/v2/images/ID", port);
  o.retries = 1;
  CHECK (http_request (&o, "GET", url, NULL, NULL, 0, &r) == -1 && r.status == 0 &&
         error_has ("GET http://127.0.0.1:") &&
         error_has ("/v2/images/ID: connection refused (after 2 attempts)"),
         "connection refused");
  CHECK (http_request (&o, "POST", url, ct, "{}", 2, &r) == -1 &&
         error_has ("connection refused (after 2 attempts)"),
         "POST: connection refused is retried (nothing was sent)");
  o.retries = 0;
  set_scenario (SC_CLOSE_FIRST);
  CHECK (http_request (&o, "GET", at ("/x"), NULL, NULL, 0, &r) == 0 &&
         r.status == 200 && attempts () == 2, "closed at once: GET retried");
  http_response_free (&r);
  set_scenario (SC_READ_CLOSE);
  CHECK (http_request (&o, "POST", at ("/x"), ct, "{}", 2, &r) == -1 &&
         attempts () == 1 && !error_has ("attempts"), "closed after the request: POST not retried");
  o.retries = 1;
  set_scenario (SC_READ_CLOSE);
  CHECK (http_request (&o, "GET", at ("/x"), NULL, NULL, 0, &r) == -1 &&
         attempts () == 2 && error_has ("(after 2 attempts)"), "closed after the request: GET retried");
  o.retries = 0;

  /* Bad options. */
  o.cacert = "/nonexistent/ca.pem";
  CHECK (http_request (&o, "GET", at ("/x"), NULL, NULL, 0, &r) == -1 &&
         error_has ("\"/nonexistent/ca.pem\" (cacert)"), "missing cacert");
  o.cacert = NULL;
  CHECK (http_request (&o, "GET", "ftp://127.0.0.1/x", NULL, NULL, 0, &r) == -1 &&
         error_has ("only http:// and https://"), "ftp refused");
  {
    const char *bad[] = { "X-Auth-Token: a\r\nX-Evil: 1", NULL };
    CHECK (http_request (&o, "GET", at ("/x"), bad, NULL, 0, &r) == -1 &&
           error_has ("line break") && !error_has ("Evil"), "header injection refused");
  }
}

static void
test_uploads (void)
{
  size_t len = 3 * 1024 * 1024 + 123;
  char *data = malloc (len), sha[65], cl[64];
  const char *hdrs[] = { "X-Auth-Token: SECRET-TOKEN",
                         "Content-Type: application/octet-stream", NULL };
  const char *sized[] = { cl, NULL };
  struct http_response r;
  int ret;

  for (size_t i = 0; i < len; i++)
    data[i] = (i * 2654435761u) >> 13;
  sha256_buf (data, len, sha);

  set_scenario (SC_UPLOAD);
  ret = upload (hdrs, data, len, NULL, &r);
  CHECK (ret == 0 && r.status == 201 && strcmp (r.body, "stored") == 0, "chunked upload");
  CHECK (srv.body_len == len && strcmp (srv.body_sha, sha) == 0, "upload: bytes and SHA-256");
  CHECK (strstr (srv.head, "transfer-encoding: chunked") &&
         !strstr (srv.head, "content-length"), "upload: chunked");
  http_response_free (&r);

  snprintf (cl, sizeof cl, "Content-Length: %zu", len);
  set_scenario (SC_UPLOAD);
  ret = upload (sized, data, len, NULL, &r);
  snprintf (cl, sizeof cl, "content-length: %zu", len);
  CHECK (ret == 0 && r.status == 201 && srv.body_len == len &&
         strcmp (srv.body_sha, sha) == 0 && strstr (srv.head, cl) &&
         !strstr (srv.head, "transfer-encoding"), "upload with Content-Length");
  http_response_free (&r);

  set_scenario (SC_UPLOAD_CLOSE);
  ret = upload (hdrs, data, len, NULL, &r);
  fprintf (stderr, "(closed mid-body: %s)\n", last_error ());
  CHECK (ret == -1 && r.status == 0 && error_has ("PUT http://127.0.0.1:") &&
         error_has ("connection"), "upload: server closes mid-body");
  CHECK (attempts () == 1, "upload: not retried");

  /* The writer fails and cancels: the body is never completed, and the
   * writer's message is the only one.
   */
  {
    atomic_bool cancel = false;

    set_scenario (SC_UPLOAD);
    pthread_mutex_lock (&srv.lock);
    srv.method[0] = '\0';       /* set again only by a complete request */
    pthread_mutex_unlock (&srv.lock);
    error ("the copy failed");
    ret = upload (hdrs, data, len / 3, &cancel, &r);
    usleep (200 * 1000);        /* let the server see the end */
    pthread_mutex_lock (&srv.lock);
    CHECK (ret == -1 && r.status == 0 && srv.method[0] == '\0',
           "upload: cancelled, the server never saw a complete body");
    pthread_mutex_unlock (&srv.lock);
    CHECK (error_has ("the copy failed"), "upload: cancelled quietly");
  }
  free (data);
}

/* Nothing secret in messages or in -v output. */
static void
test_secrets (void)
{
  struct http_opts o = { .retries = 1 };
  struct http_response r;
  struct log_settings ls = { .verbose = 2 };
  const char *hdrs[] = { "X-Auth-Token: SECRET-TOKEN", "Authorization: Bearer SECRET-B",
                         "x-ms-blob-type: SECRET-MS", NULL };
  const char *body = "{\"auth\":{\"password\":\"SECRET-PW\"}}";
  char tmpl[] = "/tmp/test-http.XXXXXX", buf[16384];
  int saved = dup (2), fd = mkstemp (tmpl), port;
  ssize_t n;

  if (saved == -1 || fd == -1)
    return;
  unlink (tmpl);
  fflush (stderr);
  dup2 (fd, 2);
  log_configure (&ls);
  set_scenario (SC_OK);
  if (http_request (&o, "POST", at ("/v3/auth/tokens?sig=SECRET"), hdrs, body,
                    strlen (body), &r) == 0)
    http_response_free (&r);
  set_scenario (SC_503_FOREVER);
  if (http_request (&o, "GET", at ("/x?sig=SECRET"), hdrs, NULL, 0, &r) == 0)
    http_response_free (&r);
  set_scenario (SC_REDIRECT);
  if (http_request (&o, "GET", at ("/x?sig=SECRET"), hdrs, NULL, 0, &r) == 0) {
    CLEANUP_FREE char *why = http_describe (&r);
    error ("test: %s", why);
    http_response_free (&r);
  }
  close (listen_any (&port));
  snprintf (url, sizeof url, "http://u:SECRET-USERINFO@127.0.0.1:%d/x?sig=SECRET", port);
  http_request (&o, "GET", url, hdrs, NULL, 0, &r);
  CHECK (error_has ("connection refused") && !error_has ("SECRET"),
         "error message without the query string");
  fflush (stderr);
  dup2 (saved, 2);
  close (saved);
  ls.verbose = 0;
  log_configure (&ls);
  n = pread (fd, buf, sizeof buf - 1, 0);
  close (fd);
  buf[n > 0 ? n : 0] = '\0';
  CHECK (strstr (buf, "http: POST http://127.0.0.1:") && strstr (buf, "trying again") &&
         strstr (buf, "HTTP 301"), "-v output has the requests");
  CHECK (strstr (buf, "SECRET") == NULL, "-v output and messages have no secret");
  if (strstr (buf, "SECRET"))
    fprintf (stderr, "%s", buf);
}

/* Last: interrupted() stays true afterwards. */
static void
test_interrupt (void)
{
  struct http_opts o = { 0 };
  struct http_response r;
  pthread_t th;
  double t;
  pid_t pid;
  int status = -1;

  /* An upload waiting for data, in a child process so that the parent
   * can still test the interruption of a backoff.
   */
  set_scenario (SC_UPLOAD);
  pid = fork ();
  if (pid == 0) {
    int fds[2];
    bool ok;

    if (pipe (fds) == -1)
      _exit (2);
    signals_install ();
    pthread_create (&th, NULL, raise_later, NULL);
    t = now_seconds ();
    ok = http_upload_fd (&o, "PUT", at ("/x"), NULL, fds[0], NULL, &r) == -1 &&
      error_has ("interrupted") && now_seconds () - t < 2;
    pthread_join (th, NULL);
    _exit (ok ? 0 : 1);
  }
  waitpid (pid, &status, 0);
  CHECK (WIFEXITED (status) && WEXITSTATUS (status) == 0,
         "upload waiting for data stops on SIGINT");

  set_scenario (SC_503_SLOW);
  signals_install ();
  pthread_create (&th, NULL, raise_later, NULL);
  t = now_seconds ();
  CHECK (http_request (&o, "GET", at ("/x"), NULL, NULL, 0, &r) == -1 &&
         error_has ("interrupted") && now_seconds () - t < 1.5 && attempts () == 1,
         "SIGINT during the backoff");
  pthread_join (th, NULL);
  CHECK (http_request (&o, "GET", at ("/x"), NULL, NULL, 0, &r) == -1 &&
         error_has ("interrupted"), "no request once interrupted");
  o.cleanup = true;
  set_scenario (SC_OK);
  CHECK (http_request (&o, "DELETE", at ("/x"), NULL, NULL, 0, &r) == 0 &&
         r.status == 200, "cleanup requests still run");
  http_response_free (&r);
}

int
main (void)
{
  double t = now_seconds ();

  signal (SIGPIPE, SIG_IGN);
  srv.lfd = listen_any (&srv.port);
  pthread_create (&srv.thread, NULL, server_thread, NULL);

  test_redact ();
  test_describe ();
  test_requests ();
  test_uploads ();
  test_secrets ();
  test_interrupt ();

  pthread_mutex_lock (&srv.lock);
  srv.stop = true;
  pthread_mutex_unlock (&srv.lock);
  pthread_join (srv.thread, NULL);
  close (srv.lfd);
  printf ("test-http: %d passed, %d failed (%.1f s)\n", passed, failed,
          now_seconds () - t);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
