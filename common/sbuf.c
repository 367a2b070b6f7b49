/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: growable strings and a small JSON writer. */

#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "common.h"

int
sbuf_add (struct sbuf *b, const char *s, size_t n)
{
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    char *p;

    while (cap < b->len + n + 1)
      cap *= 2;
    p = realloc (b->s, cap);
    if (p == NULL)
      return -1;
    b->s = p;
    b->cap = cap;
  }
  memcpy (b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
  return 0;
}

int
sbuf_puts (struct sbuf *b, const char *s)
{
  return sbuf_add (b, s, strlen (s));
}

int
sbuf_printf (struct sbuf *b, const char *fs, ...)
{
  va_list args;
  char *p = NULL;
  int n, r;

  va_start (args, fs);
  n = vasprintf (&p, fs, args);
  va_end (args);
  if (n < 0)
    return -1;
  r = sbuf_add (b, p, n);
  free (p);
  return r;
}

char *
sbuf_take (struct sbuf *b)
{
  char *s = b->s;

  if (s == NULL)
    s = strdup ("");
  b->s = NULL;
  b->len = b->cap = 0;
  return s;
}

void
sbuf_free (struct sbuf *b)
{
  free (b->s);
  b->s = NULL;
  b->len = b->cap = 0;
}

/* The length of the well-formed UTF-8 sequence at s (2 to 4 bytes),
 * or 0 if s does not start one: a continuation byte, C0, C1 or F5..FF,
 * an overlong form (E0 80..9F, F0 80..8F), a surrogate (ED A0..BF), a
 * code point beyond U+10FFFF (F4 90..BF) or a sequence cut short (by
 * any other byte or by the terminating NUL, past which nothing is read).
 */
static size_t
utf8_len (const unsigned char *s)
{
  unsigned char lo = 0x80, hi = 0xbf;
  size_t n;

  if (s[0] >= 0xc2 && s[0] <= 0xdf)
    n = 2;
  else if (s[0] >= 0xe0 && s[0] <= 0xef)
    n = 3;
  else if (s[0] >= 0xf0 && s[0] <= 0xf4)
    n = 4;
  else
    return 0;
  if (s[0] == 0xe0)
    lo = 0xa0;
  else if (s[0] == 0xed)
    hi = 0x9f;
  else if (s[0] == 0xf0)
    lo = 0x90;
  else if (s[0] == 0xf4)
    hi = 0x8f;
  if (s[1] < lo || s[1] > hi)
    return 0;
  for (size_t k = 2; k < n; k++)
    if ((s[k] & 0xc0) != 0x80)
      return 0;
  return n;
}

char *
utf8_sanitise (const char *s)
{
  const unsigned char *p = (const unsigned char *) s;
  struct sbuf b = SBUF_INIT;

  for (;;) {
    const unsigned char *run = p;
    size_t n;

    /* Copy the valid part in one go. */
    for (;;) {
      if (*p != '\0' && *p < 0x80)
        p++;
      else if (*p >= 0x80 && (n = utf8_len (p)) > 0)
        p += n;
      else
        break;
    }
    if (p > run && sbuf_add (&b, (const char *) run, p - run) == -1)
      goto nomem;
    if (*p == '\0')
      break;
    /* A byte of invalid UTF-8: U+FFFD. */
    if (sbuf_add (&b, "\xef\xbf\xbd", 3) == -1)
      goto nomem;
    p++;
  }
  if (b.s == NULL && sbuf_add (&b, "", 0) == -1)
    goto nomem;
  return sbuf_take (&b);
 nomem:
  sbuf_free (&b);
  return NULL;
}

