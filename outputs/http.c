/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: HTTP for the cloud outputs, on libcurl.  Every call has its
 * own easy handle: an upload runs in a thread of its own while the main
 * thread talks to the same service.  Never printed, by us or by curl
 * (CURLOPT_VERBOSE stays off): request header values, request bodies,
 * query strings, userinfo.  Messages say "METHOD URL", the URL redacted.
 */

#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "http.h"

#define MAX_BODY (64 << 20)             /* a bigger answer is refused */
#define MAX_HEADERS 1000
#define STALL_SECONDS 120               /* upload: < 1 byte/s for this long */
#define EXCERPT 200                     /* bytes of an error body in messages */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static CURLcode init_result;
static pthread_once_t insecure_once = PTHREAD_ONCE_INIT;

/* One handle per request, but connections, TLS sessions and DNS
 * answers are shared between them, so that the many small requests of
 * a block upload (EBS, Azure pages) reuse their connections.
 */
static CURLSH *share;
static pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];

static void
share_lock (CURL *h, curl_lock_data d, curl_lock_access a, void *u)
{
  (void) h; (void) a; (void) u;
  pthread_mutex_lock (&share_locks[d]);
}

static void
share_unlock (CURL *h, curl_lock_data d, void *u)
{
  (void) h; (void) u;
  pthread_mutex_unlock (&share_locks[d]);
}

static void
global_init (void)
{
  init_result = curl_global_init (CURL_GLOBAL_DEFAULT);
  if (init_result != CURLE_OK)
    return;
  for (size_t i = 0; i < CURL_LOCK_DATA_LAST; i++)
    pthread_mutex_init (&share_locks[i], NULL);
  share = curl_share_init ();
  if (share == NULL)
    return;                     /* no sharing: still works */
  curl_share_setopt (share, CURLSHOPT_LOCKFUNC, share_lock);
  curl_share_setopt (share, CURLSHOPT_UNLOCKFUNC, share_unlock);
  curl_share_setopt (share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt (share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  curl_share_setopt (share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
}

static void
warn_insecure (void)
{
  warning ("TLS certificate verification is off (verify: false): "
           "the credentials can be intercepted");
}

/* One transfer's state, shared with curl's callbacks. */
struct xfer {
  const struct http_opts *o;
  struct sbuf body;
  char **headers;
  size_t nr_headers;
  bool too_big, oom;
  int fd;                               /* upload: read the body here */
  const atomic_bool *cancel;            /* upload: EOF after this is set
                                           means cut short */
  int read_errno;
  const char *why;                      /* why a callback stopped it */
};

/* What a failed attempt came to. */
struct outcome {
  bool sent;                            /* some of the request went out */
  bool retryable;
  curl_off_t uploaded;                  /* body bytes sent */
  char why[384];                        /* for the message */
};

/* Response headers can hold tokens (X-Subject-Token): wiped. */
static void
free_headers (char **h)
{
  for (size_t i = 0; h && h[i]; i++) {
    memset (h[i], 0, strlen (h[i]));
    free (h[i]);
  }
  free (h);
}

/* ---------------------------------------------------------------- */
/* curl callbacks. */

static size_t
header_cb (char *p, size_t size, size_t n, void *opaque)
{
  struct xfer *x = opaque;
  size_t len = size * n, name_len, value_len;
  const char *colon, *v;
  char *line, **l;

  if (len >= 5 && strncmp (p, "HTTP/", 5) == 0) {
    /* A new response ("100 Continue" came first): start again. */
    free_headers (x->headers);
    x->headers = NULL;
    x->nr_headers = 0;
    return size * n;
  }
  while (len > 0 && isspace ((unsigned char) p[len - 1]))
    len--;
  colon = memchr (p, ':', len);
  if (colon == NULL || colon == p || x->nr_headers >= MAX_HEADERS)
    return size * n;
  name_len = colon - p;
  for (v = colon + 1; v < p + len && (*v == ' ' || *v == '\t'); v++)
    ;
  value_len = p + len - v;
  line = malloc (name_len + 2 + value_len + 1);
  l = realloc (x->headers, (x->nr_headers + 2) * sizeof *l);
  if (l)
    x->headers = l;
  if (line == NULL || l == NULL) {
    free (line);
    x->oom = true;
    return 0;
  }
  for (size_t i = 0; i < name_len; i++)
    line[i] = tolower ((unsigned char) p[i]);
  memcpy (line + name_len, ": ", 2);
  memcpy (line + name_len + 2, v, value_len);
  line[name_len + 2 + value_len] = '\0';
  l[x->nr_headers++] = line;
  l[x->nr_headers] = NULL;
  return size * n;
}

static size_t
body_cb (char *p, size_t size, size_t n, void *opaque)
{
  struct xfer *x = opaque;
  size_t len = size * n;

  if (x->body.len + len > MAX_BODY) {
    x->too_big = true;
    return 0;
  }
  if (len > 0 && sbuf_add (&x->body, p, len) == -1) {
    x->oom = true;
    return 0;
  }
  return len;
}

static bool
stop_now (const struct xfer *x)
{
  return !x->o->cleanup && interrupted ();
}

static int
progress_cb (void *opaque, curl_off_t dltotal, curl_off_t dlnow,
             curl_off_t ultotal, curl_off_t ulnow)
{
  struct xfer *x = opaque;

  if (stop_now (x)) {
    x->why = "interrupted";
    return 1;
  }
  return 0;
}

/* The upload's body.  We wait for data here (curl cannot see the fd),
 * so we check for interruption and a stalled writer ourselves.
 */
static size_t
read_cb (char *buf, size_t size, size_t n, void *opaque)
{
  struct xfer *x = opaque;
  double start = now_seconds ();

  for (;;) {
    struct pollfd pfd = { .fd = x->fd, .events = POLLIN };
    ssize_t r;

    if (stop_now (x)) {
      x->why = "interrupted";
      return CURL_READFUNC_ABORT;
    }
    if (poll (&pfd, 1, 200) <= 0) {
      if (now_seconds () - start > STALL_SECONDS) {
        x->why = "no data to send for 120 s";
        return CURL_READFUNC_ABORT;
      }
      continue;
    }
    r = read (x->fd, buf, size * n);
    if (r == -1 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (r == -1) {
      x->read_errno = errno;
      x->why = "read";
      return CURL_READFUNC_ABORT;
    }
    /* The writer gave up because of the interruption: do not end the
     * body as if it were complete.
     */
    if (r == 0 && stop_now (x)) {
      x->why = "interrupted";
      return CURL_READFUNC_ABORT;
    }
    if (r == 0 && x->cancel && atomic_load (x->cancel)) {
      x->why = "cancelled";
      return CURL_READFUNC_ABORT;
    }
    return r;
  }
}

/* ---------------------------------------------------------------- */
/* Failures. */

/* s into buf, "Could not" as "could not", but "SSL" or "OpenSSL" kept. */
static const char *
lc_first (const char *s, char *buf, size_t n)
{
  size_t w;

  snprintf (buf, n, "%s", s);
  w = strcspn (buf, " :/");
  for (size_t i = 1; i < w; i++)
    if (isupper ((unsigned char) buf[i]))
      return buf;
  buf[0] = tolower ((unsigned char) buf[0]);
  return buf;
}

static void
classify (CURL *h, CURLcode code, const struct xfer *x, const char *errbuf,
          const struct http_opts *o, long timeout, struct outcome *out)
{
  long oserr = 0, reqsize = 0;
  curl_off_t connected = 0;
  char d[CURL_ERROR_SIZE], e[CURL_ERROR_SIZE];   /* curl's words, errno's */
  const char *cert;                     /* a part of d */
  size_t sz = sizeof out->why;

  curl_easy_getinfo (h, CURLINFO_OS_ERRNO, &oserr);
  curl_easy_getinfo (h, CURLINFO_REQUEST_SIZE, &reqsize);
  curl_easy_getinfo (h, CURLINFO_CONNECT_TIME_T, &connected);
  curl_easy_getinfo (h, CURLINFO_SIZE_UPLOAD_T, &out->uploaded);
  out->sent = reqsize > 0 || out->uploaded > 0;
  out->retryable = false;
  /* curl's own words, unless they might quote the URL. */
  lc_first (errbuf[0] && !strchr (errbuf, '?') ? errbuf
            : curl_easy_strerror (code), d, sizeof d);

  switch (code) {
  case CURLE_COULDNT_CONNECT:
    out->sent = false;
    out->retryable = true;
    if (oserr == ECONNREFUSED)
      snprintf (out->why, sz, "connection refused");
    else if (oserr == EHOSTUNREACH || oserr == ENETUNREACH || oserr == ETIMEDOUT)
      snprintf (out->why, sz, "cannot connect: %s",
                lc_first (strerror (oserr), e, sizeof e));
    else
      snprintf (out->why, sz, "cannot connect (%s)", d);
    break;
  case CURLE_OPERATION_TIMEDOUT:
    out->retryable = true;
    if (connected == 0)
      snprintf (out->why, sz, "cannot connect: timed out after %ld s",
                o->connect_timeout > 0 ? o->connect_timeout : 30);
    else if (x->fd >= 0)
      snprintf (out->why, sz,
                "the transfer stalled (less than 1 byte/s for %d s)",
                STALL_SECONDS);
    else
      snprintf (out->why, sz, "no complete answer within %ld s", timeout);
    break;
  case CURLE_GOT_NOTHING:
    out->retryable = true;
    snprintf (out->why, sz, "the server closed the connection without answering");
    break;
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
    /* "Send failure: Connection reset by peer": the part after ": ". */
    out->retryable = true;
    cert = strstr (d, ": ");
    snprintf (out->why, sz, "the connection was lost while %s (%s)",
              code == CURLE_SEND_ERROR ? "sending" : "receiving",
              cert ? lc_first (cert + 2, e, sizeof e) : d);
    break;
  case CURLE_PARTIAL_FILE:
    out->retryable = true;
    snprintf (out->why, sz, "the connection closed before the whole answer came");
    break;
  case CURLE_SSL_CONNECT_ERROR:
    /* Nothing sent yet; a certificate or a plain HTTP port is final. */
    out->sent = false;
    if (strstr (d, "wrong version number"))
      snprintf (out->why, sz, "TLS handshake failed (%s): is this an https port?", d);
    else {
      out->retryable = !strcasestr (d, "certificate");
      snprintf (out->why, sz, "TLS handshake failed (%s)", d);
    }
    break;
  case CURLE_PEER_FAILED_VERIFICATION:
    cert = d;
    if (strncasecmp (cert, "ssl certificate problem: ", 25) == 0)
      cert += 25;
    else if (strncasecmp (cert, "ssl: ", 5) == 0)
      cert += 5;
    if (strstr (cert, "host name"))
      snprintf (out->why, sz, "server certificate does not match the host name (%s)",
                cert);
    else
      snprintf (out->why, sz, "server certificate not trusted (%s)%s", cert,
                strstr (cert, "self") || strstr (cert, "issuer")
                ? "; give the CA with cacert" : "");
    break;
  case CURLE_SSL_CACERT_BADFILE:
    snprintf (out->why, sz, "cannot use the CA bundle \"%s\" (cacert): %s",
              o->cacert ? o->cacert : "(system)", d);
    break;
  case CURLE_ABORTED_BY_CALLBACK:
  case CURLE_READ_ERROR:
    if (x->why && strcmp (x->why, "read") == 0)
      snprintf (out->why, sz, "read the data to send: %s",
                strerror (x->read_errno));
    else
      snprintf (out->why, sz, "%s", x->why ? x->why : d);
    break;
  case CURLE_WRITE_ERROR:
  case CURLE_OUT_OF_MEMORY:
    if (x->too_big)
      snprintf (out->why, sz, "the answer is larger than %d MiB", MAX_BODY >> 20);
    else if (x->oom || code == CURLE_OUT_OF_MEMORY)
      snprintf (out->why, sz, "out of memory");
    else
      snprintf (out->why, sz, "%s", d);
    break;
  default:
    snprintf (out->why, sz, "%s", d);
  }
}

/* ---------------------------------------------------------------- */
/* One attempt. */

static bool
has_name (const char *h, const char *name)
{
  size_t n = strlen (name);
  return strncasecmp (h, name, n) == 0 && h[n] == ':';
}

static bool
append (struct curl_slist **l, const char *s)
{
  struct curl_slist *t = curl_slist_append (*l, s);
  return t ? (*l = t, true) : false;
}

static void
slist_wipe_free (struct curl_slist *l)
{
  for (struct curl_slist *p = l; p; p = p->next)
    memset (p->data, 0, strlen (p->data));
  curl_slist_free_all (l);
}

/* fd >= 0: stream the body from fd (cancel: see http_upload_fd), else
 * send body/len.  0 with *r
 * filled, 1 when the transfer failed (*out says why), -1 after error().
 */
static int
transfer (const struct http_opts *o, const char *method, const char *url,
          const char *safe, const char *const *headers,
          const void *body, size_t len, int fd, const atomic_bool *cancel,
          struct http_response *r, struct outcome *out)
{
  struct xfer x = { .o = o, .body = SBUF_INIT, .fd = fd, .cancel = cancel };
  struct curl_slist *hl = NULL;
  char errbuf[CURL_ERROR_SIZE] = "";
  bool has_ct = false, has_expect = false, fields = false;
  curl_off_t clen = -1, up = 0, down = 0, us = 0;
  long timeout = o->timeout > 0 ? o->timeout : 300;
  CURLcode code;
  CURL *h;
  int ret = -1;

  if (o->cleanup && timeout > 60)
    timeout = 60;
  h = curl_easy_init ();
  if (h == NULL) {
    error ("%s %s: cannot create a curl handle", method, safe);
    return -1;
  }

  for (size_t i = 0; headers && headers[i]; i++) {
    const char *s = headers[i];

    if (strpbrk (s, "\r\n")) {
      error ("%s %s: a request header contains a line break", method, safe);
      goto out;
    }
    /* An upload of known size: curl sends Content-Length, not chunks. */
    if (fd >= 0 && has_name (s, "content-length")) {
      char *end;
      errno = 0;
      clen = strtoll (s + 15, &end, 10);
      if (errno || end == s + 15 || clen < 0) {
        error ("%s %s: bad Content-Length request header", method, safe);
        goto out;
      }
      continue;
    }
    has_ct |= has_name (s, "content-type");
    has_expect |= has_name (s, "expect");
    if (!append (&hl, s))
      goto nomem;
  }
  if (fd < 0) {
    fields = (body && len > 0) || strcmp (method, "POST") == 0 ||
      strcmp (method, "PUT") == 0;
    /* Small bodies: no "Expect: 100-continue" round trip, and not the
     * form content type curl would otherwise announce.
     */
    if ((!has_expect && !append (&hl, "Expect:")) ||
        (fields && !has_ct && !append (&hl, "Content-Type:")))
      goto nomem;
  }

  curl_easy_setopt (h, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt (h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt (h, CURLOPT_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  curl_easy_setopt (h, CURLOPT_NOSIGNAL, 1L);
  if (share)
    curl_easy_setopt (h, CURLOPT_SHARE, share);
  curl_easy_setopt (h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt (h, CURLOPT_USERAGENT, "ferry/" PACKAGE_VERSION);
  curl_easy_setopt (h, CURLOPT_HTTP_VERSION, (long) CURL_HTTP_VERSION_1_1);
  curl_easy_setopt (h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt (h, CURLOPT_TCP_KEEPIDLE, 60L);
  curl_easy_setopt (h, CURLOPT_TCP_KEEPINTVL, 30L);
  curl_easy_setopt (h, CURLOPT_CONNECTTIMEOUT,
                    o->connect_timeout > 0 ? o->connect_timeout : 30L);
  curl_easy_setopt (h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt (h, CURLOPT_HEADERFUNCTION, header_cb);
  curl_easy_setopt (h, CURLOPT_HEADERDATA, &x);
  curl_easy_setopt (h, CURLOPT_WRITEFUNCTION, body_cb);
  curl_easy_setopt (h, CURLOPT_WRITEDATA, &x);
  curl_easy_setopt (h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt (h, CURLOPT_XFERINFOFUNCTION, progress_cb);
  curl_easy_setopt (h, CURLOPT_XFERINFODATA, &x);
  if (o->cacert)
    curl_easy_setopt (h, CURLOPT_CAINFO, o->cacert);
  if (o->insecure) {
    curl_easy_setopt (h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt (h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  curl_easy_setopt (h, CURLOPT_HTTPHEADER, hl);

  if (fd >= 0) {
    curl_easy_setopt (h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt (h, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt (h, CURLOPT_READDATA, &x);
    curl_easy_setopt (h, CURLOPT_INFILESIZE_LARGE, clen);
    curl_easy_setopt (h, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
    curl_easy_setopt (h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt (h, CURLOPT_LOW_SPEED_TIME, (long) STALL_SECONDS);
    if (strcmp (method, "PUT") != 0)
      curl_easy_setopt (h, CURLOPT_CUSTOMREQUEST, method);
  }
  else {
    curl_easy_setopt (h, CURLOPT_TIMEOUT, timeout);
    if (strcmp (method, "HEAD") == 0)
      curl_easy_setopt (h, CURLOPT_NOBODY, 1L);
    else if (strcmp (method, "GET") == 0 && !fields)
      curl_easy_setopt (h, CURLOPT_HTTPGET, 1L);
    else {
      if (fields) {
        curl_easy_setopt (h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) len);
        curl_easy_setopt (h, CURLOPT_POSTFIELDS, body && len ? body : "");
      }
      if (strcmp (method, "POST") != 0)
        curl_easy_setopt (h, CURLOPT_CUSTOMREQUEST, method);
    }
  }

  code = curl_easy_perform (h);
  curl_easy_getinfo (h, CURLINFO_SIZE_UPLOAD_T, &up);
  curl_easy_getinfo (h, CURLINFO_SIZE_DOWNLOAD_T, &down);
  curl_easy_getinfo (h, CURLINFO_TOTAL_TIME_T, &us);
  if (code == CURLE_OK) {
    curl_off_t ra = 0;
    curl_easy_getinfo (h, CURLINFO_RESPONSE_CODE, &r->status);
    if (curl_easy_getinfo (h, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
      r->retry_after = ra;
    r->len = x.body.len;
    r->body = sbuf_take (&x.body);
    r->headers = x.headers ? x.headers : calloc (1, sizeof (char *));
    x.headers = NULL;
    if (r->body == NULL || r->headers == NULL) {
      http_response_free (r);
      goto nomem;
    }
    if (log_get ()->verbose >= 2)
      debug ("http: %s %s: HTTP %ld, %lld bytes sent, %lld received, %.3f s",
             method, safe, r->status, (long long) up, (long long) down,
             us / 1e6);
    ret = 0;
  }
  else {
    classify (h, code, &x, errbuf, o, timeout, out);
    if (log_get ()->verbose >= 2)
      debug ("http: %s %s: %s (curl error %d), %lld bytes sent, %.3f s",
             method, safe, out->why, (int) code, (long long) up, us / 1e6);
    ret = 1;
  }
  goto out;

 nomem:
  error ("%s %s: out of memory", method, safe);
  ret = -1;
 out:
  curl_easy_cleanup (h);
  slist_wipe_free (hl);
  free_headers (x.headers);
  sbuf_free (&x.body);
  return ret;
}

/* ---------------------------------------------------------------- */
/* Requests. */

/* Checks before any attempt; *safe is the URL for messages (owned). */
static int
prepare (const struct http_opts *o, const char *method, const char *url,
         char **safe)
{
  *safe = http_redact_url (url);
  if (*safe == NULL) {
    error ("%s: out of memory", method);
    return -1;
  }
  pthread_once (&init_once, global_init);
  if (init_result != CURLE_OK) {
    error ("%s %s: cannot initialise libcurl: %s", method, *safe,
           curl_easy_strerror (init_result));
    return -1;
  }
  if (strncasecmp (url, "http://", 7) != 0 &&
      strncasecmp (url, "https://", 8) != 0) {
    error ("%s %s: only http:// and https:// URLs are supported", method, *safe);
    return -1;
  }
  if (o->cacert && access (o->cacert, R_OK) == -1) {
    error ("%s %s: cannot read the CA bundle \"%s\" (cacert): %m",
           method, *safe, o->cacert);
    return -1;
  }
  if (o->insecure && strncasecmp (url, "https://", 8) == 0)
    pthread_once (&insecure_once, warn_insecure);
  if (!o->cleanup && interrupted ()) {
    error ("%s %s: interrupted", method, *safe);
    return -1;
  }
  return 0;
}

static bool
idempotent (const char *method)
{
  return strcmp (method, "GET") == 0 || strcmp (method, "HEAD") == 0 ||
    strcmp (method, "PUT") == 0 || strcmp (method, "DELETE") == 0;
}

/* Seconds of Retry-After (capped at 30), or -1 if absent or
 * unreadable.  It is either a number of seconds or an HTTP date
 * (RFC 9110 10.2.3); a date in the past means at once.  libcurl reads
 * both forms (CURLINFO_RETRY_AFTER); it says 0 for a header it cannot
 * read as well as for "0" and a past date, so those are read here.
 */
static double
retry_after (const struct http_response *r)
{
  const char *v = http_header (r, "retry-after");
  char *end;
  long s;
  time_t when;

  if (v == NULL)
    return -1;
  if (r->retry_after > 0)
    return r->retry_after > 30 ? 30 : (double) r->retry_after;
  errno = 0;
  s = strtol (v, &end, 10);
  if (errno == 0 && end != v && *end == '\0') {
    if (s < 0)
      return -1;
    return s > 30 ? 30 : s;
  }
  when = curl_getdate (v, NULL);
  if (when == -1)
    return -1;
  s = (long) difftime (when, time (NULL));
  return s < 0 ? 0 : s > 30 ? 30 : s;
}

/* Sleep, but return -1 as soon as we are interrupted. */
static int
pause_for (const struct http_opts *o, double seconds)
{
  double end = now_seconds () + seconds;

  for (;;) {
    double left = end - now_seconds ();
    struct timespec ts = { 0 };

    if (!o->cleanup && interrupted ())
      return -1;
    if (left <= 0)
      return 0;
    ts.tv_nsec = (left > 0.05 ? 0.05 : left) * 1e9;
    nanosleep (&ts, NULL);
  }
}

/* headers plus the attempt's signed headers, into one array (the
 * strings not copied).  NULL after error().
 */
static const char **
join_headers (const char *const *headers, char *const *extra)
{
  size_t n = 0, m = 0;
  const char **v;

  while (headers && headers[n])
    n++;
  while (extra && extra[m])
    m++;
  v = calloc (n + m + 1, sizeof *v);
  if (v == NULL)
    return NULL;
  for (size_t i = 0; i < n; i++)
    v[i] = headers[i];
  for (size_t i = 0; i < m; i++)
    v[n + i] = extra[i];
  return v;
}

static void
wipe_strings (char **v)
{
  if (v == NULL)
    return;
  for (size_t i = 0; v[i]; i++) {
    explicit_bzero (v[i], strlen (v[i]));
    free (v[i]);
  }
  free (v);
}

/* Backoff with jitter: between half and all of 'backoff', so that many
 * threads throttled at once do not come back in step.
 */
static double
jittered (double backoff)
{
  static _Thread_local unsigned seed;

  if (seed == 0)
    seed = (unsigned) (now_seconds () * 1e6) ^ (unsigned) (uintptr_t) &seed;
  return backoff / 2 + backoff / 2 * ((double) rand_r (&seed) / RAND_MAX);
}

int
http_request (const struct http_opts *o, const char *method, const char *url,
              const char *const *headers, const void *body, size_t len,
              struct http_response *r)
{
  CLEANUP_FREE char *safe = NULL;
  int retries = o->retries == 0 ? 4 : o->retries < 0 ? 0 : o->retries;
  bool idem = idempotent (method) ||
    (o->post_idempotent && strcmp (method, "POST") == 0);
  double backoff = 0.5;

  memset (r, 0, sizeof *r);
  if (prepare (o, method, url, &safe) == -1)
    return -1;
  if (o->cleanup && retries > 2)
    retries = 2;

  for (int attempt = 1; ; attempt++) {
    struct outcome out = { 0 };
    char **extra = NULL;
    const char **all = NULL;
    const char *const *hs = headers;
    double delay;
    int t;

    if (o->sign) {
      extra = o->sign (o->opaque, method, url, headers, body, len);
      if (extra == NULL)
        return -1;
      all = join_headers (headers, extra);
      if (all == NULL) {
        wipe_strings (extra);
        error ("%s %s: out of memory", method, safe);
        return -1;
      }
      hs = all;
    }
    t = transfer (o, method, url, safe, hs, body, len, -1, NULL, r, &out);
    free (all);
    wipe_strings (extra);
    if (t == -1)
      return -1;
    if (t == 0) {
      long st = r->status;

      if (o->retry_response) {
        delay = o->retry_response (o->opaque, r, attempt);
        if (delay < 0)
          return 0;
      }
      else {
        if (!idem || attempt > retries ||
            (st != 429 && st != 502 && st != 503 && st != 504))
          return 0;
        delay = retry_after (r);
        if (delay < 0)
          delay = jittered (backoff);
      }
      debug ("http: %s %s: HTTP %ld, trying again in %.1f s (attempt %d)",
             method, safe, st, delay, attempt + 1);
      http_response_free (r);
    }
    else {
      if (!out.retryable || (!idem && out.sent) || attempt > retries) {
        char n[32] = "";
        if (attempt > 1)
          snprintf (n, sizeof n, " (after %d attempts)", attempt);
        error ("%s %s: %s%s", method, safe, out.why, n);
        return -1;
      }
      delay = jittered (backoff);
      debug ("http: %s %s: %s, trying again in %.1f s (attempt %d of %d)",
             method, safe, out.why, delay, attempt + 1, retries + 1);
    }
    backoff = backoff * 2 > 8 ? 8 : backoff * 2;
    if (pause_for (o, delay) == -1) {
      error ("%s %s: interrupted", method, safe);
      return -1;
    }
  }
}

int
http_upload_fd (const struct http_opts *o, const char *method, const char *url,
                const char *const *headers, int fd, const atomic_bool *cancel,
                struct http_response *r)
{
  CLEANUP_FREE char *safe = NULL;
  struct outcome out = { 0 };
  char size[32];
  int t;

  memset (r, 0, sizeof *r);
  if (prepare (o, method, url, &safe) == -1)
    return -1;
  t = transfer (o, method, url, safe, headers, NULL, 0, fd, cancel, r, &out);
  /* Cancelled: the writer failed and has said why. */
  if (t == 1 && !(cancel && atomic_load (cancel))) {
    if (out.uploaded > 0)
      error ("%s %s: %s, after %s sent", method, safe, out.why,
             human_size (out.uploaded, size));
    else
      error ("%s %s: %s", method, safe, out.why);
  }
  return t == 0 ? 0 : -1;
}

/* ---------------------------------------------------------------- */
/* Responses. */

const char *
http_header (const struct http_response *r, const char *name)
{
  size_t n = strlen (name);

  for (size_t i = 0; r->headers && r->headers[i]; i++) {
    const char *h = r->headers[i];

    if (strncasecmp (h, name, n) == 0 && h[n] == ':')
      return h + n + (h[n + 1] == ' ' ? 2 : 1);
  }
  return NULL;
}

void
http_response_free (struct http_response *r)
{
  free (r->body);
  free_headers (r->headers);
  memset (r, 0, sizeof *r);
}

static const char *
status_text (long status)
{
  static const struct { long code; const char *text; } t[] = {
    { 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
    { 204, "No Content" }, { 301, "Moved Permanently" }, { 302, "Found" },
    { 303, "See Other" }, { 307, "Temporary Redirect" },
    { 308, "Permanent Redirect" }, { 400, "Bad Request" },
    { 401, "Unauthorized" }, { 403, "Forbidden" }, { 404, "Not Found" },
    { 405, "Method Not Allowed" }, { 409, "Conflict" }, { 410, "Gone" },
    { 411, "Length Required" }, { 412, "Precondition Failed" },
    { 413, "Content Too Large" }, { 415, "Unsupported Media Type" },
    { 429, "Too Many Requests" }, { 500, "Internal Server Error" },
    { 501, "Not Implemented" }, { 502, "Bad Gateway" },
    { 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
    { 507, "Insufficient Storage" },
  };

  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    if (t[i].code == status)
      return t[i].text;
  return NULL;
}

/* Up to EXCERPT bytes of an error body on one line: whitespace runs
 * collapsed, control bytes dropped, tags dropped from HTML and XML,
 * never cut inside a UTF-8 sequence.
 */
static int
add_excerpt (struct sbuf *b, const char *s, size_t len, bool markup)
{
  char buf[EXCERPT];
  size_t n = 0, i;
  bool space = false, in_tag = false;

  for (i = 0; i < len; i++) {
    unsigned char c = s[i];

    if (markup && c == '<')
      in_tag = space = true;
    else if (in_tag)
      in_tag = c != '>';
    else if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
      space = true;
    else if (c >= 0x20 && c != 0x7f) {
      if (n + (space && n > 0) >= sizeof buf)
        break;
      if (space && n > 0)
        buf[n++] = ' ';
      space = false;
      buf[n++] = c;
    }
  }
  if (i < len && ((unsigned char) s[i] & 0xc0) == 0x80) {
    while (n > 0 && ((unsigned char) buf[n - 1] & 0xc0) == 0x80)
      n--;
    if (n > 0 && (unsigned char) buf[n - 1] >= 0xc0)
      n--;
  }
  while (n > 0 && buf[n - 1] == ' ')
    n--;
  if (n == 0)
    return 0;
  if (sbuf_puts (b, ": ") == -1 || sbuf_add (b, buf, n) == -1)
    return -1;
  return i < len ? sbuf_puts (b, "...") : 0;
}

char *
http_describe (const struct http_response *r)
{
  struct sbuf b = SBUF_INIT;
  const char *text = status_text (r->status);
  const char *ct = http_header (r, "content-type");
  const char *loc = http_header (r, "location");
  bool markup = false, show = false;
  int e;

  if (r->status == 0)
    return strdup ("no response");
  e = sbuf_printf (&b, "HTTP %ld%s%s", r->status, text ? " " : "", text ? text : "");
  if (e == 0 && r->status >= 300 && r->status < 400 && loc) {
    CLEANUP_FREE char *safe = http_redact_url (loc);
    e = safe ? sbuf_printf (&b, " (to %s)", safe) : -1;
  }
  if (ct) {
    markup = strncasecmp (ct, "text/html", 9) == 0 || strcasestr (ct, "xml");
    show = markup || strncasecmp (ct, "text/", 5) == 0 || strcasestr (ct, "json");
  }
  else if (r->body) {
    /* No type given: show it if it looks like text. */
    show = true;
    for (size_t i = 0; i < r->len && i < EXCERPT; i++) {
      unsigned char c = r->body[i];
      if (c < 0x20 && c != '\t' && c != '\r' && c != '\n')
        show = false;
    }
  }
  if (e == 0 && show && r->body && r->len)
    e = add_excerpt (&b, r->body, r->len, markup);
  if (e == -1) {
    sbuf_free (&b);
    return NULL;
  }
  return sbuf_take (&b);
}

/* ---------------------------------------------------------------- */

/* libcurl's URL parser, where it takes the URL: without userinfo,
 * options, query and fragment.  NULL if it does not take it.
 */
static char *
redact_with_curl (const char *url)
{
  CURLU *u = curl_url ();
  char *out = NULL, *ret = NULL;

  if (u && curl_url_set (u, CURLUPART_URL, url, 0) == CURLUE_OK &&
      curl_url_set (u, CURLUPART_USER, NULL, 0) == CURLUE_OK &&
      curl_url_set (u, CURLUPART_PASSWORD, NULL, 0) == CURLUE_OK &&
      curl_url_set (u, CURLUPART_OPTIONS, NULL, 0) == CURLUE_OK &&
      curl_url_set (u, CURLUPART_QUERY, NULL, 0) == CURLUE_OK &&
      curl_url_set (u, CURLUPART_FRAGMENT, NULL, 0) == CURLUE_OK &&
      curl_url_get (u, CURLUPART_URL, &out, 0) == CURLUE_OK)
    ret = strdup (out);
  curl_free (out);
  curl_url_cleanup (u);
  return ret;
}

char *
http_redact_url (const char *url)
{
  const char *end = url + strcspn (url, "?#");
  const char *scheme = strstr (url, "://");
  const char *auth, *auth_end, *at = NULL, *port, *start;
  struct sbuf b = SBUF_INIT;
  char *c = redact_with_curl (url);

  if (c)
    return c;
  /* Not a URL libcurl takes: strip what may hold a secret by hand. */
  if (scheme == NULL || scheme > end)
    return strndup (url, end - url);
  auth = scheme + 3;
  auth_end = auth + strcspn (auth, "/?#");
  for (const char *p = auth; p < auth_end; p++)
    if (*p == '@')
      at = p;
  if (at == NULL) {
    /* "https://user:pa/ss@host": a password with '/', '?' or '#' not
     * escaped.  If what looks like a port is not one, everything up to
     * the last '@' is taken for userinfo: better a wrong host in a
     * message than a password.
     */
    port = *auth == '[' ? memchr (auth, ']', auth_end - auth) : auth;
    port = port ? memchr (port, ':', auth_end - port) : NULL;
    if (port && strspn (port + 1, "0123456789") < (size_t) (auth_end - port - 1))
      at = strrchr (auth, '@');
  }
  start = at ? at + 1 : auth;
  end = start + strcspn (start, "?#");
  if (sbuf_add (&b, url, auth - url) == -1 ||
      sbuf_add (&b, start, end - start) == -1) {
    sbuf_free (&b);
    return NULL;
  }
  return sbuf_take (&b);
}
