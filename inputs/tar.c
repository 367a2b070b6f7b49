/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: index a tar archive in place.
 *
 * An OVA is a tar of the OVF, its manifest and the disks, and can be
 * hundreds of GiB: only the headers are read (pread, never the member
 * data), and each regular file is listed with the offset and size of
 * its data so that the disks can be read where they are.
 *
 * Understood: v7, ustar (name prefix), GNU (long names 'L', long links
 * 'K', base-256 numbers, old sparse headers skipped) and pax (extended
 * headers 'x' with path and size; global headers 'g' ignored).  The
 * archive is untrusted: absolute names, ".." components, duplicate
 * names, bad checksums and members running past the end are refused.
 */

#include <config.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "inputs.h"

#define BLOCK 512

/* Largest pax extended header or GNU long name we read into memory. */
#define MAX_EXTENDED (1024 * 1024)
#define MAX_LONGNAME (64 * 1024)

/* Header field offsets (ustar; GNU shares the first 345 bytes). */
#define H_NAME 0
#define H_SIZE 124
#define H_CHKSUM 148
#define H_TYPEFLAG 156
#define H_MAGIC 257
#define H_PREFIX 345
#define H_GNU_ISEXTENDED 482
#define H_GNU_EXT_ISEXTENDED 504   /* in a sparse extension block */

/* Where the reader is, and what the extended headers said about the
 * next entry.
 */
struct tar_state {
  int fd;
  uint64_t size;                /* archive size */
  const char *label;
  struct tar_index *idx;
  size_t cap;
  /* Names of entries that are not regular files nor directories (links,
   * devices...): a regular file may not share its name with them.
   */
  char **others;
  size_t nr_others, cap_others;
  /* Pending for the next entry. */
  char *pax_path;               /* pax "path" (owned) or NULL */
  bool have_pax_size;
  uint64_t pax_size;
  bool pax_sparse;              /* GNU.sparse.* keys: data is not the file */
  char *long_name;              /* GNU 'L' (owned) or NULL */
};

static int
read_full (struct tar_state *st, void *buf, size_t len, uint64_t off)
{
  size_t done = 0;

  while (done < len) {
    ssize_t r = pread (st->fd, (char *) buf + done, len - done, off + done);
    if (r == -1) {
      if (errno == EINTR && !interrupted ())
        continue;
      error ("read OVA \"%s\": %m", st->label);
      return -1;
    }
    if (r == 0) {
      error ("read OVA \"%s\": unexpected end of file at offset %llu",
             st->label, (unsigned long long) (off + done));
      return -1;
    }
    done += r;
  }
  return 0;
}

static bool
is_zero (const unsigned char *p, size_t len)
{
  for (size_t i = 0; i < len; i++)
    if (p[i])
      return false;
  return true;
}

/* A numeric header field: octal digits (leading spaces, ended by NUL or
 * space, or filling the field), or GNU base-256 when the first byte has
 * its high bit set.  Values above INT64_MAX (and negative base-256
 * values) are refused.  Returns 0 or -1.
 */
static int
parse_number (const unsigned char *p, size_t len, uint64_t *out)
{
  uint64_t v = 0;
  size_t i = 0;

  if (p[0] & 0x80) {
    if (p[0] != 0x80)
      return -1;                /* negative, or too large for 63 bits */
    for (i = 1; i < len; i++) {
      if (v >> 55)
        return -1;
      v = v << 8 | p[i];
    }
    if (v > INT64_MAX)
      return -1;
    *out = v;
    return 0;
  }
  while (i < len && p[i] == ' ')
    i++;
  for (; i < len && p[i] != '\0' && p[i] != ' '; i++) {
    if (p[i] < '0' || p[i] > '7' || v > (INT64_MAX >> 3))
      return -1;
    v = v << 3 | (p[i] - '0');
  }
  *out = v;
  return 0;
}

/* The stored checksum against the unsigned sum (POSIX) and the signed
 * sum (some old writers) of the header, the checksum field counting as
 * spaces.
 */
static bool
checksum_ok (const unsigned char *h)
{
  uint64_t stored;
  unsigned long usum = 0;
  long ssum = 0;

  if (parse_number (h + H_CHKSUM, 8, &stored) == -1)
    return false;
  for (size_t i = 0; i < BLOCK; i++) {
    unsigned char c = i >= H_CHKSUM && i < H_CHKSUM + 8 ? ' ' : h[i];
    usum += c;
    ssum += (signed char) c;
  }
  return stored == usum || (ssum >= 0 && stored == (unsigned long) ssum);
}

static uint64_t
round_up (uint64_t n)
{
  return (n + BLOCK - 1) & ~(uint64_t) (BLOCK - 1);
}

/* Check that 'len' bytes of data at 'off' lie inside the archive.
 * 'name' is the member's name, or NULL for an extended header, which
 * 'what' describes.
 */
static int
check_data (struct tar_state *st, const char *name, const char *what,
            uint64_t hdr_off, uint64_t off, uint64_t len)
{
  if (off <= st->size && len <= st->size - off)
    return 0;
  if (name)
    error ("read OVA \"%s\": member \"%s\" is truncated: the archive ends "
           "at %llu, the member needs %llu", st->label, name,
           (unsigned long long) st->size, (unsigned long long) (off + len));
  else
    error ("read OVA \"%s\": the %s at offset %llu is truncated: the archive "
           "ends at %llu, it needs %llu", st->label, what ? what : "header",
           (unsigned long long) hdr_off, (unsigned long long) st->size,
           (unsigned long long) (off + len));
  return -1;
}

/* Read the data of an extended header ('x', 'L') into memory, NUL
 * terminated (owned).
 */
static char *
read_extended (struct tar_state *st, uint64_t hdr_off, uint64_t len,
               uint64_t max, const char *what)
{
  char *buf;

  if (len > max) {
    error ("read OVA \"%s\": %s at offset %llu is too large (%llu bytes)",
           st->label, what, (unsigned long long) hdr_off,
           (unsigned long long) len);
    return NULL;
  }
  if (check_data (st, NULL, what, hdr_off, hdr_off + BLOCK, len) == -1)
    return NULL;
  buf = malloc (len + 1);
  if (buf == NULL) {
    error ("read OVA \"%s\": %m", st->label);
    return NULL;
  }
  if (read_full (st, buf, len, hdr_off + BLOCK) == -1) {
    free (buf);
    return NULL;
  }
  buf[len] = '\0';
  return buf;
}

/* Parse the records of a pax extended header: "LEN KEY=VALUE\n". */
static int
parse_pax (struct tar_state *st, const char *data, size_t len, uint64_t hdr_off)
{
  size_t pos = 0;

  while (pos < len) {
    const char *rec = data + pos, *key, *eq, *val, *end;
    size_t reclen = 0, i = 0, vlen;

    /* Some writers pad the data with NULs; anything else after the
     * padding would be read differently by other readers.
     */
    if (data[pos] == '\0') {
      if (!is_zero ((const unsigned char *) data + pos, len - pos))
        goto malformed;
      break;
    }
    while (pos + i < len && data[pos + i] >= '0' && data[pos + i] <= '9' &&
           reclen <= len) {
      reclen = reclen * 10 + (data[pos + i] - '0');
      i++;
    }
    if (i == 0 || pos + i >= len || data[pos + i] != ' ' ||
        reclen <= i + 1 || reclen > len - pos || rec[reclen - 1] != '\n')
      goto malformed;
    key = rec + i + 1;
    end = rec + reclen - 1;
    eq = memchr (key, '=', end - key);
    if (eq == NULL || eq == key)
      goto malformed;
    val = eq + 1;
    vlen = end - val;

    if (eq - key == 4 && memcmp (key, "path", 4) == 0) {
      free (st->pax_path);
      st->pax_path = NULL;
      if (memchr (val, '\0', vlen)) {
        error ("read OVA \"%s\": pax header at offset %llu: the path "
               "contains a NUL byte", st->label, (unsigned long long) hdr_off);
        return -1;
      }
      /* An empty value restores the name of the header itself. */
      if (vlen > 0 && (st->pax_path = strndup (val, vlen)) == NULL) {
        error ("read OVA \"%s\": %m", st->label);
        return -1;
      }
    }
    else if (eq - key == 4 && memcmp (key, "size", 4) == 0) {
      uint64_t v = 0;
      bool ok = vlen > 0 && vlen <= 19;

      for (size_t k = 0; ok && k < vlen; k++) {
        if (val[k] < '0' || val[k] > '9')
          ok = false;
        else
          v = v * 10 + (val[k] - '0');
      }
      if (!ok || v > INT64_MAX) {
        error ("read OVA \"%s\": pax header at offset %llu: the size "
               "\"%.*s\" is not a decimal number", st->label,
               (unsigned long long) hdr_off,
               (int) (vlen > 40 ? 40 : vlen), val);
        return -1;
      }
      st->have_pax_size = true;
      st->pax_size = v;
    }
    else if (eq - key > 11 && memcmp (key, "GNU.sparse.", 11) == 0)
      st->pax_sparse = true;
    pos += reclen;
  }
  return 0;

 malformed:
  error ("read OVA \"%s\": pax header at offset %llu is corrupt "
         "(malformed record at byte %zu)", st->label,
         (unsigned long long) hdr_off, pos);
  return -1;
}

static void
clear_pending (struct tar_state *st)
{
  free (st->pax_path);
  free (st->long_name);
  st->pax_path = st->long_name = NULL;
  st->have_pax_size = st->pax_sparse = false;
  st->pax_size = 0;
}

/* The entry's name as written: pax path, GNU long name, or the header's
 * name (with the ustar prefix).  Owned.
 */
static char *
entry_name (struct tar_state *st, const unsigned char *h)
{
  const char *name = (const char *) h + H_NAME;
  const char *prefix = (const char *) h + H_PREFIX;
  size_t nlen = strnlen (name, 100), plen;
  char *s;

  if (st->pax_path)
    s = strdup (st->pax_path);
  else if (st->long_name)
    s = strdup (st->long_name);
  else if (memcmp (h + H_MAGIC, "ustar\0", 6) == 0 &&
           (plen = strnlen (prefix, 155)) > 0) {
    s = malloc (plen + 1 + nlen + 1);
    if (s) {
      memcpy (s, prefix, plen);
      s[plen] = '/';
      memcpy (s + plen + 1, name, nlen);
      s[plen + 1 + nlen] = '\0';
    }
  }
  else
    s = strndup (name, nlen);
  if (s == NULL)
    error ("read OVA \"%s\": %m", st->label);
  return s;
}

/* Refuse names that could lead outside an extraction directory, and
 * strip leading "./".  Returns the normalised name inside 'name' (not
 * owned), or NULL after error().
 */
static const char *
check_name (struct tar_state *st, const char *name, uint64_t hdr_off,
            bool allow_empty)
{
  const char *p;

  while (name[0] == '.' && name[1] == '/') {
    name += 2;
    while (name[0] == '/')
      name++;
  }
  if (strcmp (name, ".") == 0)
    name = "";
  if (name[0] == '\0' && !allow_empty) {
    error ("read OVA \"%s\": the member at offset %llu has an empty name",
           st->label, (unsigned long long) hdr_off);
    return NULL;
  }
  if (name[0] == '/') {
    error ("read OVA \"%s\": member \"%s\" has an absolute name; refusing it",
           st->label, name);
    return NULL;
  }
  for (p = name; *p; ) {
    size_t n = strcspn (p, "/");
    if (n == 2 && p[0] == '.' && p[1] == '.') {
      error ("read OVA \"%s\": member \"%s\" has a \"..\" component; "
             "refusing it", st->label, name);
      return NULL;
    }
    p += n;
    while (*p == '/')
      p++;
  }
  return name;
}

static int
add_member (struct tar_state *st, const char *name, uint64_t off, uint64_t size)
{
  struct tar_index *idx = st->idx;

  if (idx->nr == st->cap) {
    size_t cap = st->cap ? st->cap * 2 : 16;
    struct tar_member *m = realloc (idx->members, cap * sizeof *m);
    if (m == NULL)
      goto nomem;
    idx->members = m;
    st->cap = cap;
  }
  idx->members[idx->nr].name = strdup (name);
  if (idx->members[idx->nr].name == NULL)
    goto nomem;
  idx->members[idx->nr].offset = off;
  idx->members[idx->nr].size = size;
  idx->nr++;
  return 0;
 nomem:
  error ("read OVA \"%s\": %m", st->label);
  return -1;
}

static int
add_other (struct tar_state *st, const char *name)
{
  if (st->nr_others == st->cap_others) {
    size_t cap = st->cap_others ? st->cap_others * 2 : 16;
    char **l = realloc (st->others, cap * sizeof *l);
    if (l == NULL)
      goto nomem;
    st->others = l;
    st->cap_others = cap;
  }
  st->others[st->nr_others] = strdup (name);
  if (st->others[st->nr_others] == NULL)
    goto nomem;
  st->nr_others++;
  return 0;
 nomem:
  error ("read OVA \"%s\": %m", st->label);
  return -1;
}

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Two entries with the same name: which one is meant depends on the
 * reader (extraction keeps the last).  Refuse the archive.
 */
static int
check_duplicates (struct tar_state *st)
{
  size_t n = st->idx->nr + st->nr_others, k = 0;
  CLEANUP_FREE const char **names = NULL;

  if (n < 2)
    return 0;
  names = malloc (n * sizeof *names);
  if (names == NULL) {
    error ("read OVA \"%s\": %m", st->label);
    return -1;
  }
  for (size_t i = 0; i < st->idx->nr; i++)
    names[k++] = st->idx->members[i].name;
  for (size_t i = 0; i < st->nr_others; i++)
    names[k++] = st->others[i];
  qsort (names, n, sizeof *names, compare_names);
  for (size_t i = 1; i < n; i++)
    if (strcmp (names[i - 1], names[i]) == 0) {
      error ("read OVA \"%s\": \"%s\" appears more than once in the archive; "
             "refusing an ambiguous archive", st->label, names[i]);
      return -1;
    }
  return 0;
}

/* Skip the extension blocks of an old GNU sparse header ('S'); returns
 * the offset after them, or 0 after error().
 */
static uint64_t
skip_sparse_ext (struct tar_state *st, const unsigned char *h, uint64_t off)
{
  unsigned char b[BLOCK];
  bool more = h[H_GNU_ISEXTENDED] != 0;

  while (more) {
    if (st->size - off < BLOCK) {
      error ("read OVA \"%s\": the archive is truncated (a sparse header "
             "extension at offset %llu is incomplete)", st->label,
             (unsigned long long) off);
      return 0;
    }
    if (read_full (st, b, BLOCK, off) == -1)
      return 0;
    more = b[H_GNU_EXT_ISEXTENDED] != 0;
    off += BLOCK;
  }
  return off;
}

/* Handle the entry whose header 'h' is at 'off'.  Sets *next to the
 * offset of the following header.
 */
static int
read_entry (struct tar_state *st, const unsigned char *h, uint64_t off,
            uint64_t *next)
{
  char type = h[H_TYPEFLAG];
  uint64_t hsize, dsize, data = off + BLOCK;
  CLEANUP_FREE char *raw = NULL;
  const char *name;
  size_t len;
  bool regular;

  if (parse_number (h + H_SIZE, 12, &hsize) == -1) {
    error ("read OVA \"%s\": tar header at offset %llu is corrupt "
           "(bad size field)", st->label, (unsigned long long) off);
    return -1;
  }

  /* Extended headers: they describe the next entry. */
  if (type == 'x' || type == 'L') {
    bool pax = type == 'x';
    CLEANUP_FREE char *ext =
      read_extended (st, off, hsize, pax ? MAX_EXTENDED : MAX_LONGNAME,
                     pax ? "pax extended header" : "GNU long name");
    if (ext == NULL)
      return -1;
    if (pax) {
      if (parse_pax (st, ext, hsize, off) == -1)
        return -1;
    }
    else {
      free (st->long_name);
      st->long_name = ext;
      ext = NULL;
    }
    *next = data + round_up (hsize);
    return 0;
  }
  if (type == 'g' || type == 'K') {
    if (check_data (st, NULL,
                    type == 'g' ? "pax global header" : "GNU long link",
                    off, data, hsize) == -1)
      return -1;
    *next = data + round_up (hsize);
    return 0;
  }

  /* A real entry: its name and the length of its data. */
  raw = entry_name (st, h);
  if (raw == NULL)
    return -1;
  len = strlen (raw);
  regular = type == '0' || type == '\0' || type == '7';
  dsize = st->have_pax_size ? st->pax_size : hsize;
  switch (type) {
  case '1': case '2': case '3': case '4': case '6':
    /* POSIX: no data.  GNU tar would skip 'size' bytes anyway: refuse
     * what readers could disagree on.
     */
    if (dsize != 0) {
      error ("read OVA \"%s\": tar header at offset %llu is corrupt "
             "(a link or device entry with a size)", st->label,
             (unsigned long long) off);
      return -1;
    }
    break;
  case '5':
    dsize = 0;                  /* a directory's size is not data */
    break;
  case 'S':
    data = skip_sparse_ext (st, h, data);
    if (data == 0)
      return -1;
    break;
  }
  if (check_data (st, raw, NULL, off, data, dsize) == -1)
    return -1;
  *next = data + round_up (dsize);

  /* Only regular files are listed.  v7 writers mark directories with a
   * trailing slash on a regular file entry.
   */
  if (type == '5' || (regular && len > 0 && raw[len - 1] == '/')) {
    if (check_name (st, raw, off, true) == NULL)
      return -1;
  }
  else if (regular && st->pax_sparse)
    debug ("%s: skipping sparse member \"%s\"", st->label, raw);
  else if (regular) {
    name = check_name (st, raw, off, false);
    if (name == NULL || add_member (st, name, data, dsize) == -1)
      return -1;
  }
  else if (type != 'V') {
    /* Links and the rest: not listed, but their names may not collide
     * with a listed member.
     */
    name = check_name (st, raw, off, false);
    if (name == NULL || add_other (st, name) == -1)
      return -1;
  }
  clear_pending (st);
  return 0;
}

int
tar_index_read (int fd, uint64_t size, const char *label,
                struct tar_index *idx)
{
  struct tar_state st = { .fd = fd, .size = size, .label = label, .idx = idx };
  unsigned char h[BLOCK];
  uint64_t off = 0;
  int ret = -1;

  memset (idx, 0, sizeof *idx);
  if (size > INT64_MAX) {
    error ("read OVA \"%s\": archive too large", label);
    return -1;
  }
  for (;;) {
    uint64_t next;

    if (interrupted ()) {
      error ("read OVA \"%s\": interrupted", label);
      goto out;
    }
    /* Some writers end the archive without the two zero blocks. */
    if (off >= size)
      break;
    if (size - off < BLOCK) {
      error ("read OVA \"%s\": the archive is truncated (the tar header at "
             "offset %llu is incomplete)", label, (unsigned long long) off);
      goto out;
    }
    if (read_full (&st, h, BLOCK, off) == -1)
      goto out;
    if (is_zero (h, BLOCK)) {
      /* The end: two zero blocks, or one at the end of the file. */
      if (size - off < 2 * BLOCK)
        break;
      if (read_full (&st, h, BLOCK, off + BLOCK) == -1)
        goto out;
      if (is_zero (h, BLOCK))
        break;
      error ("read OVA \"%s\": tar header at offset %llu is corrupt "
             "(a lone zero block precedes it)", label,
             (unsigned long long) (off + BLOCK));
      goto out;
    }
    if (!checksum_ok (h)) {
      error ("read OVA \"%s\": tar header at offset %llu is corrupt "
             "(bad checksum)", label, (unsigned long long) off);
      goto out;
    }
    if (read_entry (&st, h, off, &next) == -1)
      goto out;
    off = next;
  }
  if (st.pax_path || st.long_name || st.have_pax_size)
    debug ("%s: extended header at the end of the archive ignored", label);
  if (check_duplicates (&st) == -1)
    goto out;
  ret = 0;
 out:
  clear_pending (&st);
  for (size_t i = 0; i < st.nr_others; i++)
    free (st.others[i]);
  free (st.others);
  if (ret == -1)
    tar_index_free (idx);
  return ret;
}

void
tar_index_free (struct tar_index *idx)
{
  for (size_t i = 0; i < idx->nr; i++)
    free (idx->members[i].name);
  free (idx->members);
  memset (idx, 0, sizeof *idx);
}

const struct tar_member *
tar_find (const struct tar_index *idx, const char *name)
{
  for (size_t i = 0; i < idx->nr; i++)
    if (strcmp (idx->members[i].name, name) == 0)
      return &idx->members[i];
  return NULL;
}
