/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: OVF manifests (".mf") and the digests they list.
 *
 * A manifest has one line per file of the export:
 *
 *   SHA256(disk1.vmdk)= 0123abcd...
 *
 * with SHA1 (OVF 1.x), SHA256 (OVF 2.x) or SHA512.  Writers differ in
 * spacing and line endings; all of those are accepted.  The names are
 * siblings of the manifest: anything with a '/' is refused.
 */

#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "inputs.h"

/* Digest reads are done in chunks of this size, checking interrupted()
 * in between.
 */
#define CHUNK (1024 * 1024)

static const struct {
  const char *name;
  size_t hexlen;
  const EVP_MD *(*md) (void);
} algos[] = {
  { "SHA1", 40, EVP_sha1 },
  { "SHA256", 64, EVP_sha256 },
  { "SHA512", 128, EVP_sha512 },
};
#define NR_ALGOS (sizeof algos / sizeof algos[0])

static int
find_algo (const char *name, size_t len)
{
  for (size_t i = 0; i < NR_ALGOS; i++)
    if (strlen (algos[i].name) == len && strncasecmp (algos[i].name, name, len) == 0)
      return (int) i;
  return -1;
}

void
manifest_free (struct manifest *m)
{
  if (m == NULL)
    return;
  for (size_t i = 0; i < m->nr; i++) {
    free (m->entries[i].file);
    free (m->entries[i].algo);
    free (m->entries[i].digest);
  }
  free (m->entries);
  memset (m, 0, sizeof *m);
}

static bool
is_blank (char c)
{
  return c == ' ' || c == '\t';
}

/* Parse one line (without its line ending) into e.  Returns 0, or -1
 * after error().
 */
static int
parse_line (const char *line, size_t len, size_t lineno, const char *label,
            struct manifest_entry *e)
{
  const char *p = line, *end = line + len;
  const char *algo, *name, *name_end, *hex, *hex_end, *eq;
  size_t algo_len, name_len;
  int a;

  while (p < end && is_blank (*p))
    p++;
  algo = p;
  while (p < end && isalnum ((unsigned char) *p))
    p++;
  algo_len = p - algo;
  while (p < end && is_blank (*p))
    p++;
  if (algo_len == 0 || p == end || *p != '(')
    goto malformed;
  name = p + 1;

  /* The digest follows the last '=' (hex has none), so a name may hold
   * '=' and ')'.
   */
  eq = NULL;
  for (const char *q = name; q < end; q++)
    if (*q == '=')
      eq = q;
  if (eq == NULL)
    goto malformed;
  name_end = eq;
  while (name_end > name && is_blank (name_end[-1]))
    name_end--;
  if (name_end == name || name_end[-1] != ')')
    goto malformed;
  name_end--;
  name_len = name_end - name;

  hex = eq + 1;
  while (hex < end && is_blank (*hex))
    hex++;
  hex_end = end;
  while (hex_end > hex && is_blank (hex_end[-1]))
    hex_end--;
  for (const char *q = hex; q < hex_end; q++)
    if (!isxdigit ((unsigned char) *q))
      goto malformed;

  a = find_algo (algo, algo_len);
  if (a == -1) {
    error ("read manifest \"%s\": line %zu: unsupported digest algorithm "
           "\"%.*s\" (SHA1, SHA256 and SHA512 are supported)", label, lineno,
           (int) (algo_len > 32 ? 32 : algo_len), algo);
    return -1;
  }
  if (name_len == 0 || memchr (name, '\0', name_len))
    goto malformed;
  if (memchr (name, '/', name_len) ||
      (name_len == 1 && name[0] == '.') ||
      (name_len == 2 && name[0] == '.' && name[1] == '.')) {
    error ("read manifest \"%s\": line %zu: \"%.*s\" is not a file beside "
           "the manifest; refusing it", label, lineno,
           (int) (name_len > 256 ? 256 : name_len), name);
    return -1;
  }
  if ((size_t) (hex_end - hex) != algos[a].hexlen) {
    error ("read manifest \"%s\": line %zu: the %s digest of \"%.*s\" has "
           "%zu hex digits, it should have %zu", label, lineno,
           algos[a].name, (int) (name_len > 256 ? 256 : name_len), name,
           (size_t) (hex_end - hex), algos[a].hexlen);
    return -1;
  }

  e->file = strndup (name, name_len);
  e->algo = strdup (algos[a].name);
  e->digest = strndup (hex, hex_end - hex);
  if (e->file == NULL || e->algo == NULL || e->digest == NULL) {
    error ("read manifest \"%s\": %m", label);
    return -1;
  }
  for (char *q = e->digest; *q; q++)
    *q = tolower ((unsigned char) *q);
  return 0;

 malformed:
  error ("read manifest \"%s\": line %zu is malformed (expected "
         "\"SHA256(FILE)= HEX\")", label, lineno);
  return -1;
}

int
manifest_parse (const char *text, size_t len, const char *label,
                struct manifest *m)
{
  const char *p = text, *end = text + len;
  size_t lineno = 0, cap = 0;

  memset (m, 0, sizeof *m);
  /* A UTF-8 byte order mark, as some Windows tools write. */
  if (len >= 3 && memcmp (p, "\xef\xbb\xbf", 3) == 0)
    p += 3;

  while (p < end) {
    const char *line = p, *eol = p, *q;
    size_t linelen;

    /* Lines end with LF, CRLF or (old Macs) CR. */
    while (eol < end && *eol != '\n' && *eol != '\r')
      eol++;
    linelen = eol - line;
    p = eol;
    if (p < end && *p == '\r')
      p++;
    if (p < end && *p == '\n')
      p++;
    lineno++;
    for (q = line; q < line + linelen && is_blank (*q); q++)
      ;
    if (q == line + linelen)
      continue;                 /* blank line */

    if (m->nr == cap) {
      size_t ncap = cap ? cap * 2 : 8;
      struct manifest_entry *n = realloc (m->entries, ncap * sizeof *n);
      if (n == NULL) {
        error ("read manifest \"%s\": %m", label);
        goto fail;
      }
      m->entries = n;
      cap = ncap;
    }
    memset (&m->entries[m->nr], 0, sizeof m->entries[m->nr]);
    m->nr++;
    if (parse_line (line, linelen, lineno, label, &m->entries[m->nr - 1]) == -1)
      goto fail;
  }
  return 0;

 fail:
  manifest_free (m);
  return -1;
}

int
digest_range (int fd, uint64_t offset, uint64_t size, const char *algo,
              const char *label, char *out)
{
  static const char digits[] = "0123456789abcdef";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned mdlen = 0;
  CLEANUP_FREE unsigned char *buf = NULL;
  EVP_MD_CTX *ctx = NULL;
  uint64_t done = 0;
  int a = find_algo (algo, strlen (algo));
  int ret = -1;

  out[0] = '\0';
  if (a == -1) {
    error ("read \"%s\": unsupported digest algorithm \"%s\"", label, algo);
    return -1;
  }
  if (offset > INT64_MAX || size > INT64_MAX - offset) {
    error ("read \"%s\": offset out of range", label);
    return -1;
  }
  buf = malloc (CHUNK);
  ctx = EVP_MD_CTX_new ();
  if (buf == NULL || ctx == NULL) {
    error ("read \"%s\": %m", label);
    goto out;
  }
  if (!EVP_DigestInit_ex (ctx, algos[a].md (), NULL)) {
    error ("read \"%s\": cannot initialise the %s digest", label, algos[a].name);
    goto out;
  }
  while (done < size) {
    size_t n = size - done < CHUNK ? size - done : CHUNK;
    ssize_t r;

    if (interrupted ()) {
      error ("read \"%s\": interrupted", label);
      goto out;
    }
    r = pread (fd, buf, n, offset + done);
    if (r == -1) {
      if (errno == EINTR)
        continue;               /* interrupted() decides */
      error ("read \"%s\": %m", label);
      goto out;
    }
    if (r == 0) {
      error ("read \"%s\": unexpected end of file", label);
      goto out;
    }
    if (!EVP_DigestUpdate (ctx, buf, r)) {
      error ("read \"%s\": %s digest failed", label, algos[a].name);
      goto out;
    }
    done += r;
  }
  if (!EVP_DigestFinal_ex (ctx, md, &mdlen)) {
    error ("read \"%s\": %s digest failed", label, algos[a].name);
    goto out;
  }
  for (unsigned i = 0; i < mdlen; i++) {
    out[2*i] = digits[md[i] >> 4];
    out[2*i+1] = digits[md[i] & 15];
  }
  out[2*mdlen] = '\0';
  ret = 0;
 out:
  EVP_MD_CTX_free (ctx);
  return ret;
}
