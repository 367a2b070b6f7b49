/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: list the files inside an initramfs image.
 *
 * An initramfs is a sequence of newc cpio archives, each compressed or
 * not: Debian puts an uncompressed early-microcode archive first and
 * the zstd (or gzip, xz ...) compressed main archive after it.  We
 * walk the uncompressed parts ourselves and stream compressed parts
 * through the host's decompressor, reading only the headers.
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guestfix.h"

/* Bounds on what a guest's initramfs may make us read: real ones hold
 * a few thousand files in some hundred MiB.
 */
#define MAX_ENTRIES 262144
#define MAX_BYTES (UINT64_C(4) << 30)

/* The names found so far. */
struct flist {
  char **v;                     /* NULL terminated (owned) */
  size_t n, cap;
};

static int
flist_push (struct flist *l, const char *s)
{
  if (l->n + 2 > l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 256;
    char **v = realloc (l->v, cap * sizeof *v);
    if (v == NULL)
      return -1;
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n] = strdup (s);
  if (l->v[l->n] == NULL)
    return -1;
  l->v[++l->n] = NULL;
  return 0;
}

/* A byte source: either the file itself or a decompressor's stdout. */
struct reader {
  int fd;
  unsigned char buf[65536];
  size_t pos, len;
  uint64_t consumed;            /* bytes handed out so far */
  bool too_big;                 /* MAX_BYTES or MAX_ENTRIES reached */
};

static int
rd_fill (struct reader *r)
{
  ssize_t n;

  if (r->pos < r->len)
    return 1;
  do
    n = read (r->fd, r->buf, sizeof r->buf);
  while (n == -1 && errno == EINTR);
  if (n <= 0)
    return n == 0 ? 0 : -1;
  r->pos = 0;
  r->len = n;
  return 1;
}

/* Read exactly n bytes into dst (or skip them if dst is NULL). */
static int
rd_get (struct reader *r, void *dst, uint64_t n)
{
  if (n > MAX_BYTES || r->consumed + n > MAX_BYTES) {
    r->too_big = true;
    return -1;
  }
  while (n > 0) {
    size_t k;
    int f = rd_fill (r);
    if (f <= 0)
      return -1;
    k = r->len - r->pos;
    if (k > n)
      k = n;
    if (dst) {
      memcpy (dst, r->buf + r->pos, k);
      dst = (char *) dst + k;
    }
    r->pos += k;
    r->consumed += k;
    n -= k;
  }
  return 0;
}

static unsigned long
hex8 (const char *p)
{
  char tmp[9];
  memcpy (tmp, p, 8);
  tmp[8] = '\0';
  return strtoul (tmp, NULL, 16);
}

/* Parse one newc archive from r, up to and including TRAILER!!!.
 * Returns 0 at the trailer, -1 on a format error.
 */
static int
parse_cpio (struct reader *r, struct flist *files)
{
  for (;;) {
    char hdr[110];
    char name[4096];
    unsigned long namesize, filesize;
    uint64_t pad;

    if (rd_get (r, hdr, sizeof hdr) == -1)
      return -1;
    if (memcmp (hdr, "07070", 5) != 0 || (hdr[5] != '1' && hdr[5] != '2'))
      return -1;
    filesize = hex8 (hdr + 54);
    namesize = hex8 (hdr + 94);
    if (namesize == 0 || namesize > sizeof name)
      return -1;
    if (rd_get (r, name, namesize) == -1)
      return -1;
    name[namesize - 1] = '\0';
    pad = (4 - ((110 + namesize) & 3)) & 3;
    if (rd_get (r, NULL, pad) == -1)
      return -1;
    if (strcmp (name, "TRAILER!!!") == 0)
      return 0;
    if (rd_get (r, NULL, filesize + ((4 - (filesize & 3)) & 3)) == -1)
      return -1;
    if (files->n >= MAX_ENTRIES) {
      r->too_big = true;
      return -1;
    }
    if (strcmp (name, ".") != 0 &&
        flist_push (files, name[0] == '.' && name[1] == '/' ? name + 2 : name) == -1)
      return -1;
  }
}

static const struct {
  const unsigned char magic[6];
  size_t len;
  const char *tool;
} compressors[] = {
  { { 0x28, 0xb5, 0x2f, 0xfd }, 4, "zstd" },
  { { 0x1f, 0x8b }, 2, "gzip" },
  { { 0x1f, 0x9e }, 2, "gzip" },
  { { 0xfd, '7', 'z', 'X', 'Z', 0 }, 6, "xz" },
  { { 0x5d, 0x00, 0x00 }, 3, "lzma" },
  { { 0x02, 0x21, 0x4c, 0x18 }, 4, "lz4" },
  { { 'B', 'Z', 'h' }, 3, "bzip2" },
  { { 0x89, 'L', 'Z', 'O' }, 4, "lzop" },
};

pid_t
initramfs_filter_spawn (const char *const *argv, int in, int out,
                        uint64_t max_out)
{
  struct confine sandbox = { 0 };
  struct confined_argv ca = { 0 };
  pid_t pid;

  /* The filter reads the guest's bytes: it runs in the sandbox with
   * nothing but its stdin and stdout (unconfined only where no sandbox
   * can be made here, as the input was then allowed to run so).
   */
  if (confine_argv (confine_available () ? &sandbox : NULL, argv, &ca) == -1)
    return -1;
  pid = fork ();
  if (pid == -1) {
    error ("run %s: fork: %m", argv[0]);
    confined_argv_free (&ca);
    return -1;
  }
  if (pid == 0) {
    int devnull = open ("/dev/null", O_WRONLY);
    signal (SIGPIPE, SIG_DFL);
    prctl (PR_SET_PDEATHSIG, SIGKILL);
    if (max_out) {
      struct rlimit rl = { max_out, max_out };
      setrlimit (RLIMIT_FSIZE, &rl);
    }
    dup2 (in, 0);
    dup2 (out, 1);
    /* Trailing padding after a compressed stream makes some
     * decompressors complain: that is not our concern.
     */
    if (devnull >= 0)
      dup2 (devnull, 2);
    closefrom (3);
    execvp (ca.argv[0], (char *const *) ca.argv);
    _exit (127);
  }
  confined_argv_free (&ca);
  return pid;
}

/* Decompress the rest of the file from 'offset' and parse every cpio
 * archive in the output.
 */
static int
list_compressed (const char *path, uint64_t offset, const char *tool,
                 struct flist *files)
{
  const char *const argv[] = { tool, "-dc", NULL };
  int in = open (path, O_RDONLY | O_CLOEXEC);
  int pfd[2];
  pid_t pid;
  int status, ret = 0;
  struct reader *r;
  bool too_big;

  if (in == -1 || lseek (in, offset, SEEK_SET) == -1 ||
      pipe2 (pfd, O_CLOEXEC) == -1) {
    error ("read initramfs \"%s\": %m", path);
    if (in >= 0) close (in);
    return -1;
  }
  pid = initramfs_filter_spawn (argv, in, pfd[1], 0);
  close (in);
  close (pfd[1]);
  if (pid == -1) {
    close (pfd[0]);
    return -1;
  }
  r = calloc (1, sizeof *r);
  if (r == NULL) {
    close (pfd[0]);
    kill (pid, SIGKILL);
    waitpid (pid, NULL, 0);
    return -1;
  }
  r->fd = pfd[0];
  /* The decompressed stream may itself hold several archives. */
  for (;;) {
    unsigned char c;
    if (rd_fill (r) <= 0)
      break;
    c = r->buf[r->pos];
    if (c == 0) {                /* padding between archives */
      rd_get (r, NULL, 1);
      continue;
    }
    if (parse_cpio (r, files) == -1) {
      ret = -1;
      break;
    }
  }
  close (pfd[0]);
  too_big = r->too_big;
  free (r);
  kill (pid, SIGTERM);
  waitpid (pid, &status, 0);
  if (too_big) {
    error ("read initramfs \"%s\": it holds more than %d files or %llu GiB; "
           "refusing it", path, MAX_ENTRIES,
           (unsigned long long) (MAX_BYTES >> 30));
    return -1;
  }
  if (WIFEXITED (status) && WEXITSTATUS (status) == 127) {
    error ("read initramfs \"%s\": it is %s-compressed and \"%s\" is not "
           "installed on this host", path, tool, tool);
    return -1;
  }
  if (ret == -1)
    error ("read initramfs \"%s\": corrupt %s-compressed cpio archive",
           path, tool);
  return ret;
}

char **
initramfs_list (const char *path)
{
  struct flist files = { 0 };
  struct reader *r = calloc (1, sizeof *r);
  struct stat st;

  if (r == NULL || flist_push (&files, "") == -1)
    goto nomem;
  /* The list starts empty: the placeholder only allocated it. */
  free (files.v[0]);
  files.v[0] = NULL;
  files.n = 0;
  r->fd = open (path, O_RDONLY | O_CLOEXEC);
  if (r->fd == -1 || fstat (r->fd, &st) == -1) {
    error ("read initramfs \"%s\": %m", path);
    goto fail;
  }
  for (;;) {
    unsigned char m[6];
    size_t avail;
    int f = rd_fill (r);

    if (f == 0)
      break;                    /* end of file */
    if (f < 0) {
      error ("read initramfs \"%s\": %m", path);
      goto fail;
    }
    avail = r->len - r->pos;
    if (r->buf[r->pos] == 0) {
      rd_get (r, NULL, 1);      /* padding */
      continue;
    }
    if (avail < 6) {
      /* Move the tail to the front and top up. */
      memmove (r->buf, r->buf + r->pos, avail);
      r->len = avail;
      r->pos = 0;
      ssize_t n = read (r->fd, r->buf + avail, sizeof r->buf - avail);
      if (n > 0)
        r->len += n;
      avail = r->len;
      if (avail < 6)
        break;
    }
    memcpy (m, r->buf + r->pos, 6);
    if (memcmp (m, "07070", 5) == 0) {
      if (parse_cpio (r, &files) == -1) {
        if (r->too_big)
          error ("read initramfs \"%s\": it holds more than %d files or "
                 "%llu GiB; refusing it", path, MAX_ENTRIES,
                 (unsigned long long) (MAX_BYTES >> 30));
        else
          error ("read initramfs \"%s\": corrupt cpio archive", path);
        goto fail;
      }
      continue;
    }
    for (size_t i = 0; i < sizeof compressors / sizeof compressors[0]; i++)
      if (memcmp (m, compressors[i].magic, compressors[i].len) == 0) {
        if (list_compressed (path, r->consumed, compressors[i].tool, &files) == -1)
          goto fail;
        goto done;
      }
    error ("read initramfs \"%s\": unknown data at offset %llu", path,
           (unsigned long long) r->consumed);
    goto fail;
  }
 done:
  close (r->fd);
  free (r);
  return files.v;
 nomem:
  error ("read initramfs \"%s\": %m", path);
 fail:
  if (r && r->fd > 0)
    close (r->fd);
  free (r);
  free_string_list (files.v);
  return NULL;
}

int
initramfs_split (const char *path, uint64_t *offset, const char **tool)
{
  struct flist names = { 0 };
  struct reader *r = calloc (1, sizeof *r);
  int ret = -1;

  *offset = 0;
  *tool = NULL;
  if (r == NULL) {
    error ("read initramfs \"%s\": %m", path);
    return -1;
  }
  r->fd = open (path, O_RDONLY | O_CLOEXEC);
  if (r->fd == -1) {
    error ("read initramfs \"%s\": %m", path);
    free (r);
    return -1;
  }
  for (;;) {
    int f = rd_fill (r);
    if (f <= 0) {
      if (f < 0)
        error ("read initramfs \"%s\": %m", path);
      ret = f < 0 ? -1 : 0;
      break;
    }
    if (r->buf[r->pos] == 0) {
      rd_get (r, NULL, 1);
      continue;
    }
    if (r->len - r->pos < 6) {
      /* Top the buffer up so that a magic is seen whole. */
      size_t avail = r->len - r->pos;
      ssize_t n;
      memmove (r->buf, r->buf + r->pos, avail);
      r->len = avail;
      r->pos = 0;
      n = read (r->fd, r->buf + avail, sizeof r->buf - avail);
      if (n > 0)
        r->len += n;
    }
    /* A compressed part follows the uncompressed archives the cpio
     * parser walked.
     */
    if (memcmp (r->buf + r->pos, "07070", r->len - r->pos < 5 ? r->len - r->pos : 5) != 0) {
      for (size_t i = 0; i < sizeof compressors / sizeof compressors[0]; i++)
        if (compressors[i].len <= r->len - r->pos &&
            memcmp (r->buf + r->pos, compressors[i].magic, compressors[i].len) == 0) {
          *offset = r->consumed;
          *tool = compressors[i].tool;
          ret = 0;
          goto out;
        }
      error ("read initramfs \"%s\": unknown data at offset %llu", path,
             (unsigned long long) r->consumed);
      break;
    }
    if (parse_cpio (r, &names) == -1) {
      error ("read initramfs \"%s\": corrupt cpio archive", path);
      break;
    }
  }
 out:
  *offset = *tool ? *offset : r->consumed;
  close (r->fd);
  free (r);
  free_string_list (names.v);
  return ret;
}

bool
kernel_has_module (const struct guest_kernel *k, const char *mod)
{
  size_t n = strlen (mod);
  char **lists[2] = { k->initrd_files, k->builtin };

  for (int l = 0; l < 2; l++)
    for (size_t i = 0; lists[l] && lists[l][i]; i++) {
      const char *f = lists[l][i];
      const char *base = strrchr (f, '/') ? strrchr (f, '/') + 1 : f;
      /* virtio_blk.ko, virtio_blk.ko.xz, virtio_blk.ko.zst ... */
      if (strncmp (base, mod, n) == 0 && strncmp (base + n, ".ko", 3) == 0)
        return true;
    }
  return false;
}
