/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: the files a VMDK text descriptor makes qemu open.
 *
 * ferry hands qemu the format it detected, so what matters is what
 * qemu's vmdk driver (block/vmdk.c) reads once it is told "vmdk".  The
 * rules below are that driver's, or wider; never narrower, since a
 * reference missed here is one that qemu opens unchecked:
 *
 * - qemu sees the descriptor as a C string: the text ends at the first
 *   NUL byte (or at the end of what was read).
 * - An extent is parsed from the start of every line as sscanf does:
 *   blanks of any kind are skipped first and between the fields (tabs,
 *   CR, even newlines: a field may be on the next line), then ACCESS
 *   SECTORS TYPE "FILE".  qemu opens RW extents only; every access is
 *   listed here.  TYPE is at most 10 characters, so "VMFSSPARSE" may be
 *   followed by the quote at once.  FILE ends at a quote, CR or LF; qemu
 *   keeps at most 511 bytes of it, so a longer name is listed both whole
 *   and cut as qemu would open it.
 * - parentFileNameHint is found by a plain substring search, anywhere
 *   (in a comment too): qemu skips the keyword and the two characters
 *   after it (normally =") and takes the name up to the next quote.
 *   Every occurrence is listed, in that reading and in the usual
 *   key = "value" one, over the whole buffer (past a NUL byte too).
 * - The text is a descriptor if qemu would open it as one (createType
 *   anywhere, which qemu finds by substring search), if qemu's format
 *   probe would say vmdk (comment and blank lines, then version=N), if
 *   it has the "# Disk DescriptorFile" line or an extent line.
 *
 * Nothing here does I/O; the parsers are unit tested and fuzzed.
 */

#include <config.h>

#include <string.h>

#include "inputs.h"

/* More references than this and the image is refused: it bounds the
 * duplicate check, and no real image comes close (a 8 TB
 * twoGbMaxExtentSparse disk has 4096 extents).
 */
#define MAX_REFS 8192

int
image_ref_add (char ***list, const char *s, size_t n, const char *label)
{
  size_t len = 0;
  char **l;

  n = strnlen (s, n);          /* qemu reads names as C strings */
  if (n == 0)
    return 0;                  /* an empty name refers to nothing */
  for (; *list && (*list)[len]; len++)
    if (strlen ((*list)[len]) == n && memcmp ((*list)[len], s, n) == 0)
      return 0;
  if (len >= MAX_REFS) {
    error ("read \"%s\": it refers to more than %d files; refusing it",
           label, MAX_REFS);
    return -1;
  }
  l = realloc (*list, (len + 2) * sizeof *l);
  if (l == NULL) {
    error ("read \"%s\": %m", label);
    return -1;
  }
  *list = l;
  l[len] = strndup (s, n);
  l[len + 1] = NULL;
  if (l[len] == NULL) {
    error ("read \"%s\": %m", label);
    return -1;
  }
  return 0;
}

/* What sscanf skips (isspace in the C locale). */
static bool
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
    c == '\r';
}

static const char *
skip_space (const char *p, const char *end)
{
  while (p < end && is_space (*p))
    p++;
  return p;
}

/* End of the run of at most max non-blank characters at p. */
static const char *
word_end (const char *p, const char *end, size_t max)
{
  const char *q = p;

  while (q < end && !is_space (*q) && (size_t) (q - p) < max)
    q++;
  return q;
}

static bool
word_is (const char *p, const char *e, const char *w)
{
  return (size_t) (e - p) == strlen (w) && memcmp (p, w, e - p) == 0;
}

/* Try an extent at a (a line start, blanks skipped).  Returns 1 if
 * ACCESS SECTORS TYPE is there (adding the size to *sum), 0 if not, -1
 * after error().
 */
static int
parse_extent (const char *a, const char *end, const char *label,
              char ***refs, uint64_t *sum)
{
  const char *ae = word_end (a, end, 9), *q, *name;
  uint64_t sectors = 0;
  bool negative = false;

  if (!word_is (a, ae, "RW") && !word_is (a, ae, "RDONLY") &&
      !word_is (a, ae, "NOACCESS"))
    return 0;
  q = skip_space (ae, end);
  if (q < end && (*q == '+' || *q == '-'))
    negative = *q++ == '-';
  if (q == end || *q < '0' || *q > '9')
    return 0;
  for (; q < end && *q >= '0' && *q <= '9'; q++)
    sectors = sectors > (UINT64_MAX - 9) / 10 ? UINT64_MAX :
      sectors * 10 + (*q - '0');
  q = skip_space (q, end);
  if (q == end)
    return 0;
  q = word_end (q, end, 10);    /* TYPE */
  if (!negative) {
    uint64_t bytes = sectors > UINT64_MAX / 512 ? UINT64_MAX : sectors * 512;
    *sum = bytes > UINT64_MAX - *sum ? UINT64_MAX : *sum + bytes;
  }
  q = skip_space (q, end);
  if (q == end || *q != '"')
    return 1;                   /* no file, e.g. a ZERO extent */
  name = ++q;
  while (q < end && *q != '"' && *q != '\n' && *q != '\r')
    q++;
  if (q - name > 511 &&
      image_ref_add (refs, name, 511, label) == -1)
    return -1;
  if (image_ref_add (refs, name, q - name, label) == -1)
    return -1;
  return 1;
}

int
vmdk_parent_hints (const char *buf, size_t len, const char *label,
                   char ***refs)
{
  static const char kw[] = "parentFileNameHint";
  const size_t kwlen = sizeof kw - 1;
  const char *p = buf, *end = buf + len;

  while ((p = memmem (p, end - p, kw, kwlen)) != NULL) {
    const char *q, *name;

    /* qemu's reading: two characters skipped, then up to a quote. */
    if ((size_t) (end - p) > kwlen + 2) {
      name = q = p + kwlen + 2;
      while (q < end && *q != '"' && *q != '\0')
        q++;
      if (q < end && *q == '"' &&
          image_ref_add (refs, name, q - name, label) == -1)
        return -1;
    }
    /* The usual one: parentFileNameHint = "NAME". */
    q = p + kwlen;
    while (q < end && (*q == ' ' || *q == '\t'))
      q++;
    if (q < end && *q == '=') {
      q++;
      while (q < end && (*q == ' ' || *q == '\t'))
        q++;
      if (q < end && *q == '"') {
        name = ++q;
        while (q < end && *q != '"' && *q != '\0')
          q++;
        if (q < end && *q == '"' &&
            image_ref_add (refs, name, q - name, label) == -1)
          return -1;
      }
    }
    p += kwlen;
  }
  return 0;
}

/* Would qemu's vmdk probe accept the text: comment lines and lines of
 * spaces, then "version=1", 2 or 3 ending the line?
 */
static bool
qemu_probe_says_vmdk (const char *p, const char *end)
{
  while (p < end) {
    if (*p == '#') {
      p = memchr (p, '\n', end - p);
      if (p == NULL)
        return false;
      p++;
    }
    else if (*p == ' ') {
      while (p < end && *p == ' ')
        p++;
      if (p < end && *p == '\r')
        p++;
      if (p == end || *p != '\n')
        return false;
      p++;
    }
    else
      return end - p >= 10 && memcmp (p, "version=", 8) == 0 &&
        p[8] >= '1' && p[8] <= '3' &&
        (p[9] == '\n' || (p[9] == '\r' && end - p >= 11 && p[10] == '\n'));
  }
  return false;
}

/* createType = "VALUE" (the first well-formed one), or NULL. */
static int
find_create_type (const char *text, const char *end, char **create_type)
{
  const char *p = text;

  while ((p = memmem (p, end - p, "createType", 10)) != NULL) {
    const char *q = p + 10, *v;

    p += 10;
    while (q < end && (*q == ' ' || *q == '\t'))
      q++;
    if (q == end || *q++ != '=')
      continue;
    while (q < end && (*q == ' ' || *q == '\t'))
      q++;
    if (q == end || *q++ != '"')
      continue;
    v = q;
    while (q < end && *q != '"' && *q != '\n')
      q++;
    if (q == end || *q != '"')
      continue;
    *create_type = strndup (v, q - v);
    return *create_type ? 0 : -1;
  }
  return 0;
}

int
vmdk_descriptor_read (const char *text, size_t len, const char *label,
                      char ***refs, char **create_type,
                      uint64_t *virtual_size)
{
  const char *nul = memchr (text, '\0', len);
  size_t tlen = nul ? (size_t) (nul - text) : len;
  const char *end = text + tlen, *p, *a = NULL;
  char **list = NULL;
  char *ct = NULL;
  uint64_t sum = 0;
  bool is_descriptor, marked = false;

  *refs = NULL;
  if (create_type)
    *create_type = NULL;
  if (virtual_size)
    *virtual_size = 0;

  for (p = text; p < end; ) {
    const char *h = p, *eol;
    int r = 0;

    while (h < end && (*h == ' ' || *h == '\t'))
      h++;
    if ((size_t) (end - h) >= 21 &&
        strncasecmp (h, "# Disk DescriptorFile", 21) == 0)
      marked = true;
    /* A line of blanks leads to the next line's first word: parse that
     * once (and skip each blank run once, or this would be quadratic).
     */
    if (a == NULL || p > a) {
      a = skip_space (p, end);
      r = parse_extent (a, end, label, &list, &sum);
    }
    if (r == -1)
      goto fail;
    if (r == 1)
      marked = true;
    eol = memchr (p, '\n', end - p);
    p = eol ? eol + 1 : end;
  }
  is_descriptor = marked || memmem (text, tlen, "createType", 10) ||
    qemu_probe_says_vmdk (text, end);
  if (!is_descriptor) {
    free_string_list (list);
    return 1;
  }
  if (vmdk_parent_hints (text, len, label, &list) == -1)
    goto fail;
  if (create_type && find_create_type (text, end, &ct) == -1) {
    error ("read \"%s\": %m", label);
    goto fail;
  }
  if (list == NULL && (list = calloc (1, sizeof *list)) == NULL) {
    error ("read \"%s\": %m", label);
    goto fail;
  }
  *refs = list;
  if (create_type)
    *create_type = ct;
  if (virtual_size)
    *virtual_size = sum;
  return 0;
 fail:
  free_string_list (list);
  free (ct);
  return -1;
}

int
vmdk_descriptor_parse (const char *text, size_t len,
                       char ***refs, char **create_type)
{
  return vmdk_descriptor_read (text, len, "VMDK descriptor", refs,
                               create_type, NULL) == 0 ? 0 : -1;
}
