/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: the parsers of what Entra ID, the identity endpoints and the
 * az CLI answer (untrusted bytes: see fuzz-azcreds.c), for
 * azure-sources.c.  Nothing of a token reaches a message.
 */

#include <config.h>

#include <string.h>

#include "common.h"
#include "azure-sources.h"

#define DESC_MAX 200            /* bytes of an error description shown */

void
azs_token_clear (struct az_token *t)
{
  if (t->token)
    explicit_bzero (t->token, strlen (t->token));
  free (t->token);
  t->token = NULL;
  t->expires = 0;
}

/* ---------------------------------------------------------------- */
/* Parsers. */

char *
azs_clean_line (const char *s, size_t max)
{
  struct sbuf b = SBUF_INIT;
  size_t n = strcspn (s, "\r\n");
  bool cut = false;
  char *ret;

  for (size_t i = 0; i < n; i++) {
    unsigned char c = s[i];
    if (b.len >= max) {
      cut = true;
      /* Not inside a UTF-8 sequence. */
      if ((c & 0xc0) == 0x80) {
        while (b.len > 0 && ((unsigned char) b.s[b.len - 1] & 0xc0) == 0x80)
          b.len--;
        if (b.len > 0 && (unsigned char) b.s[b.len - 1] >= 0xc0)
          b.len--;
        b.s[b.len] = '\0';
      }
      break;
    }
    if (c == '\t')
      c = ' ';
    if ((c >= 0x20 && c != 0x7f) || c >= 0x80)
      sbuf_add (&b, (const char *) &c, 1);
  }
  while (b.len > 0 && b.s[b.len - 1] == ' ')
    b.s[--b.len] = '\0';
  if (cut)
    sbuf_puts (&b, "...");
  if (b.s == NULL && sbuf_puts (&b, "") == -1)
    return NULL;
  ret = utf8_sanitise (b.s);
  sbuf_free (&b);
  return ret;
}

int
azs_local_time (const char *s, time_t *out)
{
  struct tm tm = { 0 };
  int n = 0;
  const char *p;
  time_t t;

  if (sscanf (s, "%4d-%2d-%2d %2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
              &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
      n == 0 || tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12 ||
      tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60 || tm.tm_hour < 0 || tm.tm_min < 0 ||
      tm.tm_sec < 0)
    return -1;
  p = s + n;
  if (*p == '.')
    for (p++; *p >= '0' && *p <= '9'; p++)
      ;
  if (*p)
    return -1;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_isdst = -1;
  t = mktime (&tm);
  if (t == (time_t) -1)
    return -1;
  *out = t;
  return 0;
}

/* Seconds: an integer, a real, or a string of 1 to 12 digits. */
static bool
seconds_of (const json_t *v, int64_t *out)
{
  const char *s = json_string_value (v);
  size_t n;

  if (json_is_integer (v)) {
    *out = json_integer_value (v);
    return *out >= 0 && *out < INT64_C(100000000000);
  }
  if (json_is_real (v)) {
    double d = json_real_value (v);
    if (!(d >= 0 && d < 1e11))
      return false;
    *out = (int64_t) d;
    return true;
  }
  if (s == NULL)
    return false;
  n = strspn (s, "0123456789");
  if (n == 0 || n > 12 || s[n])
    return false;
  *out = strtoll (s, NULL, 10);
  return *out < INT64_C(100000000000);
}

int
azs_token_parse (const char *text, size_t len, time_t now,
                 struct az_token *out, const char **why)
{
  json_t *j = json_loadb (text, len, 0, NULL);
  const char *tok, *on;
  int64_t n;
  time_t t;
  int rc = -1;

  out->token = NULL;
  *why = "answered no JSON object";
  if (!json_is_object (j))
    goto out;
  tok = tree_str (j, "access_token");
  if (tok == NULL)
    tok = tree_str (j, "accessToken");
  *why = "answered without an access token";
  if (tok == NULL || !*tok)
    goto out;
  /* It goes into a header. */
  *why = "answered an access token that is not printable ASCII";
  for (const char *p = tok; *p; p++)
    if ((unsigned char) *p <= 0x20 || (unsigned char) *p >= 0x7f)
      goto out;
  if (seconds_of (json_object_get (j, "expires_on"), &n) && n > 0)
    out->expires = n;
  else if (seconds_of (json_object_get (j, "expires_in"), &n))
    out->expires = now + n;
  else if ((on = tree_str (j, "expiresOn")) != NULL &&
           azs_local_time (on, &t) == 0)
    out->expires = t;
  else {
    *why = "answered without a valid expires_on, expires_in or expiresOn";
    goto out;
  }
  *why = "out of memory";
  out->token = strdup (tok);
  if (out->token)
    rc = 0;
 out:
  json_decref (j);              /* jansson does not wipe; nothing we can do */
  return rc;
}

char *
azs_error_text (const struct http_response *r)
{
  json_t *j = r->body && r->len ? json_loadb (r->body, r->len, 0, NULL) : NULL;
  const char *code = NULL, *desc = NULL;
  CLEANUP_FREE char *c = NULL, *d = NULL;
  char *ret;

  if (json_is_object (j)) {
    json_t *e = json_object_get (j, "error");
    if (json_is_string (e))
      code = json_string_value (e);
    else if (json_is_object (e)) {
      code = tree_str (e, "code");
      desc = tree_str (e, "message");
    }
    if (desc == NULL)
      desc = tree_str (j, "error_description");
    if (desc == NULL)
      desc = tree_str (j, "message");
  }
  if (code == NULL && desc == NULL) {
    json_decref (j);
    return http_describe (r);
  }
  c = code ? azs_clean_line (code, 64) : NULL;
  d = desc ? azs_clean_line (desc, DESC_MAX) : NULL;
  json_decref (j);
  if ((code && !c) || (desc && !d) ||
      asprintf (&ret, "HTTP %ld%s%s%s%s", r->status, c && *c ? " " : "",
                c ? c : "", d && *d ? ": " : "", d ? d : "") == -1)
    return NULL;
  return ret;
}

