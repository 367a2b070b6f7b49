/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: the parts of initramfs-add.c that read the guest's bytes
 * (modules.dep, the image's decompressed cpio archive) and write the
 * merged archive.  No libguestfs here: the unit test and the fuzzer
 * use them on files.
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "guestfix.h"

#define MAX_MODULES 8192

/* A relative path from the guest (modules.dep, the image's names) that
 * may be used under our tree: no "..", no leading '/', printable.
 */
bool
initramfs_safe_rel (const char *s)
{
  if (*s == '\0' || *s == '/' || strlen (s) > 1024)
    return false;
  for (const char *p = s; *p; p++)
    if ((unsigned char) *p < 0x21 || (unsigned char) *p > 0x7e)
      return false;
  for (const char *p = s; p; p = strchr (p, '/')) {
    if (*p == '/')
      p++;
    if (strncmp (p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0'))
      return false;
  }
  return true;
}

/* "kernel/drivers/block/virtio_blk.ko.xz" -> is it module 'mod'
 * (where '-' and '_' are the same)?
 */
static bool
path_is_module (const char *path, size_t len, const char *mod)
{
  const char *base = path;
  size_t n = strlen (mod);

  for (size_t i = 0; i < len; i++)
    if (path[i] == '/')
      base = path + i + 1;
  if ((size_t) (path + len - base) < n + 3)
    return false;
  for (size_t i = 0; i < n; i++) {
    char a = base[i] == '-' ? '_' : base[i], b = mod[i] == '-' ? '_' : mod[i];
    if (a != b)
      return false;
  }
  return strncmp (base + n, ".ko", 3) == 0;
}

bool
string_list_has (char *const *l, const char *s)
{
  for (size_t i = 0; l && l[i]; i++)
    if (strcmp (l[i], s) == 0)
      return true;
  return false;
}

/* The modules.dep line of the module at 'rel', or of module 'mod'
 * when rel is NULL: a pointer into dep, its length in *len.
 */
static const char *
dep_line (const char *dep, const char *rel, const char *mod, size_t *len)
{
  for (const char *l = dep; *l; ) {
    const char *nl = strchr (l, '\n'), *colon;
    size_t ll = nl ? (size_t) (nl - l) : strlen (l);
    colon = memchr (l, ':', ll);
    if (colon) {
      size_t pl = colon - l;
      if (rel ? (strlen (rel) == pl && strncmp (l, rel, pl) == 0)
              : path_is_module (l, pl, mod)) {
        *len = ll;
        return l;
      }
    }
    l += ll + (nl != NULL);
  }
  return NULL;
}

char **
modules_dep_closure (const char *dep, char *const *to_add)
{
  CLEANUP_STRING_LIST char **out = NULL;

  for (size_t i = 0; to_add[i]; i++) {
    size_t len;
    const char *l = dep_line (dep, NULL, to_add[i], &len);
    CLEANUP_FREE char *rel = NULL;
    if (l == NULL)
      return NULL;
    rel = strndup (l, (const char *) memchr (l, ':', len) - l);
    if (rel == NULL || (!string_list_has (out, rel) && string_list_push (&out, rel) == -1))
      return NULL;
  }
  /* Breadth first: each added path's own line lists its dependencies. */
  for (size_t i = 0; out && out[i]; i++) {
    size_t len;
    const char *l = dep_line (dep, out[i], NULL, &len), *p, *end;
    if (l == NULL)
      return NULL;
    end = l + len;
    p = (const char *) memchr (l, ':', len) + 1;
    while (p < end) {
      const char *q;
      CLEANUP_FREE char *d = NULL;
      while (p < end && *p == ' ')
        p++;
      for (q = p; q < end && *q != ' '; q++)
        ;
      if (q > p) {
        d = strndup (p, q - p);
        if (d == NULL || i > MAX_MODULES ||
            (!string_list_has (out, d) && string_list_push (&out, d) == -1))
          return NULL;
      }
      p = q;
    }
  }
  char **r = out;
  out = NULL;
  return r;
}

/* ---------------------------------------------------------------- */
/* newc cpio. */

struct cpio_out {
  int fd;
  uint64_t off;
  unsigned ino;
  bool failed;
};

static void
out_bytes (struct cpio_out *o, const void *p, size_t n)
{
  while (!o->failed && n > 0) {
    ssize_t w = write (o->fd, p, n);
    if (w <= 0) {
      o->failed = true;
      return;
    }
    p = (const char *) p + w;
    n -= w;
    o->off += w;
  }
}

static void
out_pad (struct cpio_out *o, unsigned to)
{
  static const char zeros[512];
  out_bytes (o, zeros, (to - (o->off % to)) % to);
}

static void
out_header (struct cpio_out *o, const char *name, unsigned mode,
            unsigned nlink, uint64_t size)
{
  char h[111];
  snprintf (h, sizeof h,
            "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
            0x66000000u + o->ino++, mode, 0u, 0u, nlink, (unsigned) time (NULL),
            (unsigned) size, 0u, 0u, 0u, 0u, (unsigned) strlen (name) + 1, 0u);
  out_bytes (o, h, 110);
  out_bytes (o, name, strlen (name) + 1);
  out_pad (o, 4);
}

/* Copy the file at path into the archive as 'name'. */
static int
out_file (struct cpio_out *o, const char *name, const char *path)
{
  char buf[65536];
  struct stat st;
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  ssize_t n;

  if (fd == -1 || fstat (fd, &st) == -1 || st.st_size > UINT32_MAX) {
    if (fd >= 0) close (fd);
    return -1;
  }
  out_header (o, name, S_IFREG | 0644, 1, st.st_size);
  while ((n = read (fd, buf, sizeof buf)) > 0)
    out_bytes (o, buf, n);
  close (fd);
  out_pad (o, 4);
  return n < 0 || o->failed ? -1 : 0;
}

static unsigned long
hex8 (const unsigned char *p)
{
  char t[9];
  memcpy (t, p, 8);
  t[8] = '\0';
  return strtoul (t, NULL, 16);
}

/* Read one newc header and its name (NUL-terminated, in name[4096])
 * from f, with the padding after it.  true with *mode, *size and *ns
 * (the name's size in the header, its NUL included) set; false at the
 * end of what can be read as an entry.
 */
static bool
read_header (FILE *f, unsigned char h[110], char name[4096],
             unsigned long *mode, unsigned long *size, size_t *namesize)
{
  unsigned char pad[4];
  unsigned long ns;
  size_t np;

  if (fread (h, 1, 110, f) != 110 || memcmp (h, "07070", 5) != 0 ||
      (h[5] != '1' && h[5] != '2'))
    return false;
  *mode = hex8 (h + 14);
  ns = hex8 (h + 94);
  *size = hex8 (h + 54);
  if (ns == 0 || ns > 4096 || fread (name, 1, ns, f) != ns || name[ns - 1] != '\0')
    return false;
  np = (4 - ((110 + ns) & 3)) & 3;
  *namesize = ns;
  return fread (pad, 1, np, f) == np;
}

/* The entry named cap->name is held in cap->data instead of copied. */
struct cpio_capture {
  const char *name;             /* or NULL */
  char *data;                   /* owned, NUL-terminated */
  size_t len;
  bool found;
};

#define MAX_CAPTURE 65536

static int
copy_entries (int in, struct cpio_out *o, char *const *drop, char ***names,
              struct cpio_capture *cap)
{
  FILE *f = fdopen (dup (in), "r");
  unsigned char h[110], buf[65536];
  int ret = 0;

  if (f == NULL)
    return -1;
  for (;;) {
    char name[4096];
    unsigned long fs, mode;
    size_t ns;
    bool keep;

    if (!read_header (f, h, name, &mode, &fs, &ns))
      break;
    if (strcmp (name, "TRAILER!!!") == 0) {
      int c;
      while ((c = getc (f)) == 0)
        ;
      ret = c == EOF ? 1 : 0;   /* a second archive: not ours to merge */
      break;
    }
    const char *n = strncmp (name, "./", 2) == 0 ? name + 2 : name;
    keep = !string_list_has (drop, n);
    if (cap && cap->name && strcmp (n, cap->name) == 0 &&
        (mode & S_IFMT) == S_IFREG) {
      /* The module-load list: read, rewritten by the caller. */
      size_t padded = fs + ((4 - (fs & 3)) & 3);
      if (cap->found || fs > MAX_CAPTURE)
        break;                  /* twice, or too long: not one we merge */
      free (cap->data);
      cap->data = malloc (padded + 1);
      if (cap->data == NULL) {
        ret = -1;
        break;
      }
      if (fread (cap->data, 1, padded, f) != padded)
        break;
      cap->data[fs] = '\0';
      cap->len = fs;
      cap->found = true;
      continue;
    }
    if (keep) {
      out_bytes (o, h, 110);
      out_bytes (o, name, ns);
      out_pad (o, 4);
      if (string_list_push (names, n) == -1) {
        ret = -1;
        break;
      }
    }
    for (uint64_t left = fs + ((4 - (fs & 3)) & 3); left > 0; ) {
      size_t k = left > sizeof buf ? sizeof buf : left;
      if (fread (buf, 1, k, f) != k) {
        left = 1;
        break;
      }
      if (keep)
        out_bytes (o, buf, k);
      left -= k;
    }
    if (keep)
      out_pad (o, 4);
    if (o->failed) {
      ret = -1;
      break;
    }
  }
  fclose (f);
  return ret;
}


int
cpio_extract (const char *cpio, const char *prefix, char *const *rels,
              const char *tree, char ***got)
{
  FILE *f = fopen (cpio, "re");
  unsigned char h[110], buf[65536];
  size_t plen = strlen (prefix);
  int ret = 0;

  *got = NULL;
  if (f == NULL) {
    error ("read \"%s\": %m", cpio);
    return -1;
  }
  for (;;) {
    char name[4096];
    unsigned long fs, mode;
    size_t ns;
    int out = -1;

    if (!read_header (f, h, name, &mode, &fs, &ns) || strcmp (name, "TRAILER!!!") == 0)
      break;
    const char *n = strncmp (name, "./", 2) == 0 ? name + 2 : name;
    if ((mode & S_IFMT) == S_IFREG && fs > 0 && strncmp (n, prefix, plen) == 0 &&
        string_list_has (rels, n + plen) && !string_list_has (*got, n + plen)) {
      CLEANUP_FREE char *path = NULL;
      /* rels were checked by initramfs_safe_rel, and their directories
       * made by the caller: nothing here follows a link.
       */
      if (asprintf (&path, "%s/%s", tree, n + plen) == -1 ||
          (out = open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                       0644)) == -1 ||
          string_list_push (got, n + plen) == -1) {
        error ("extract \"%s\" from the initramfs: %m", n);
        if (out >= 0) close (out);
        ret = -1;
        break;
      }
    }
    for (uint64_t left = fs + ((4 - (fs & 3)) & 3), data = fs; left > 0; ) {
      size_t k = left > sizeof buf ? sizeof buf : left;
      if (fread (buf, 1, k, f) != k) {
        left = 0;
        break;
      }
      if (out >= 0 && data > 0) {
        size_t w = k < data ? k : data;
        if (write (out, buf, w) != (ssize_t) w) {
          error ("extract \"%s\" from the initramfs: %m", n);
          ret = -1;
        }
        data -= w;
      }
      left -= k;
    }
    if (out >= 0 && close (out) == -1) {
      error ("extract \"%s\" from the initramfs: %m", n);
      ret = -1;
    }
    if (ret == -1)
      break;
  }
  fclose (f);
  if (ret == -1) {
    free_string_list (*got);
    *got = NULL;
    return -1;
  }
  return (int) string_list_len (*got);
}

int
cpio_copy_entries (int in, int out, char *const *drop, char ***names)
{
  struct cpio_out o = { .fd = out };
  return copy_entries (in, &o, drop, names, NULL);
}

/* The module-load list: the image's lines, then each module of mods
 * that no line names first.
 */
static int
out_load_list (struct cpio_out *o, const char *name,
               const struct cpio_capture *cap, char *const *mods)
{
  struct sbuf b = SBUF_INIT;
  CLEANUP_FREE char *text = NULL;

  if (cap->found && cap->len > 0) {
    sbuf_add (&b, cap->data, cap->len);
    if (cap->data[cap->len - 1] != '\n')
      sbuf_puts (&b, "\n");
  }
  for (size_t i = 0; mods && mods[i]; i++) {
    bool listed = false;
    size_t n = strlen (mods[i]);
    for (const char *l = cap->found ? cap->data : ""; *l && !listed; ) {
      const char *eol = strchrnul (l, '\n');
      listed = (size_t) (eol - l) >= n && memcmp (l, mods[i], n) == 0 &&
        (l[n] == '\n' || l[n] == ' ' || l[n] == '\t' || l[n] == '\0');
      l = *eol ? eol + 1 : eol;
    }
    if (!listed)
      sbuf_printf (&b, "%s\n", mods[i]);
  }
  text = sbuf_take (&b);
  if (text == NULL)
    return -1;
  out_header (o, name, S_IFREG | 0644, 1, strlen (text));
  out_bytes (o, text, strlen (text));
  out_pad (o, 4);
  return o->failed ? -1 : 0;
}

int
cpio_merge (const char *main_cpio, const char *merged, const char *prefix,
            char *const *fresh, const char *tree, const char *const *indexes,
            const char *load_list, char *const *load_mods)
{
  CLEANUP_STRING_LIST char **drop = NULL, **names = NULL;
  CLEANUP_CLOSE int in = open (main_cpio, O_RDONLY | O_CLOEXEC);
  struct cpio_out o = { .fd = -1 };
  struct cpio_capture cap = { .name = load_list };
  int r;

  for (size_t i = 0; indexes[i]; i++) {
    CLEANUP_FREE char *n = NULL;
    if (asprintf (&n, "%s%s", prefix, indexes[i]) == -1 ||
        string_list_push (&drop, n) == -1)
      goto nomem;
  }
  o.fd = open (merged, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (in == -1 || o.fd == -1) {
    error ("merge the initramfs archive \"%s\": %m", merged);
    if (o.fd >= 0) close (o.fd);
    return -1;
  }
  /* The old entries less the indexes, then the new modules (and the
   * directories the image lacks), the new indexes, one trailer.
   */
  r = copy_entries (in, &o, drop, &names, &cap);
  if (r == 1 && load_list) {
    /* Its directories, those the image lacks ("conf"). */
    CLEANUP_FREE char *dir = strdup (load_list);
    for (char *s = dir ? strchr (dir, '/') : NULL; s; s = strchr (s + 1, '/')) {
      *s = '\0';
      if (!string_list_has (names, dir)) {
        out_header (&o, dir, S_IFDIR | 0755, 2, 0);
        if (string_list_push (&names, dir) == -1)
          o.failed = true;
      }
      *s = '/';
    }
    if (dir == NULL || out_load_list (&o, load_list, &cap, load_mods) == -1)
      o.failed = true;
  }
  free (cap.data);
  if (r == 1) {
    for (size_t i = 0; fresh && fresh[i] && !o.failed; i++) {
      CLEANUP_FREE char *name = NULL, *path = NULL;
      if (asprintf (&name, "%s%s", prefix, fresh[i]) == -1 ||
          asprintf (&path, "%s/%s", tree, fresh[i]) == -1) {
        o.failed = true;
        break;
      }
      /* Parent directories first, those the image lacks. */
      for (char *s = strchr (name, '/'); s; s = strchr (s + 1, '/')) {
        *s = '\0';
        if (!string_list_has (names, name)) {
          out_header (&o, name, S_IFDIR | 0755, 2, 0);
          if (string_list_push (&names, name) == -1)
            o.failed = true;
        }
        *s = '/';
      }
      if (out_file (&o, name, path) == -1)
        o.failed = true;
    }
    for (size_t i = 0; indexes[i] && !o.failed; i++) {
      CLEANUP_FREE char *name = NULL, *path = NULL;
      if (asprintf (&name, "%s%s", prefix, indexes[i]) == -1 ||
          asprintf (&path, "%s/%s", tree, indexes[i]) == -1) {
        o.failed = true;
        break;
      }
      if (access (path, F_OK) == 0 && out_file (&o, name, path) == -1)
        o.failed = true;
    }
    out_header (&o, "TRAILER!!!", 0, 1, 0);
    out_pad (&o, 512);
  }
  if (close (o.fd) == -1 || o.failed)
    r = -1;
  if (r == -1)
    error ("merge the initramfs archive \"%s\": %m", merged);
  return r;
 nomem:
  error ("merge the initramfs archive \"%s\": %m", merged);
  return -1;
}
