/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: files, paths, hashes and the private temp dir. */

#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common.h"

void cleanup_free (void *ptr) { free (*(void **) ptr); }
void cleanup_fclose (void *ptr) { FILE *f = *(FILE **) ptr; if (f) fclose (f); }
void cleanup_string_list (void *ptr) { free_string_list (*(char ***) ptr); }
void cleanup_close (void *ptr) { int fd = *(int *) ptr; if (fd >= 0) close (fd); }

void
free_string_list (char **list)
{
  if (list == NULL)
    return;
  for (size_t i = 0; list[i]; i++)
    free (list[i]);
  free (list);
}

int
string_list_push (char ***list, const char *s)
{
  size_t n = string_list_len (*list);
  char **l = realloc (*list, (n + 2) * sizeof *l);

  if (l == NULL)
    return -1;
  *list = l;
  l[n] = strdup (s);
  l[n + 1] = NULL;
  return l[n] ? 0 : -1;
}

size_t
string_list_len (char *const *list)
{
  size_t n = 0;
  while (list && list[n])
    n++;
  return n;
}

/* The temp dir is process-wide state: the one thing every stage shares
 * and that must vanish on every exit path.
 */
static char tmpdir_path[PATH_MAX];
static int tmpdir_lock = -1;             /* held while the dir is ours */

static int rm_one (const char *path, const struct stat *st, int flag,
                   struct FTW *ftw);
static void sweep_stale (const char *base);

/* Is pid a live ferry?  A pid may have been reused by something else. */
static bool
ferry_alive (pid_t pid)
{
  char path[64], comm[32];
  ssize_t n;

  if (kill (pid, 0) == -1 && errno == ESRCH)
    return false;
  snprintf (path, sizeof path, "/proc/%d/comm", (int) pid);
  n = read_at (path, comm, sizeof comm - 1, 0);
  if (n <= 0)
    return true;                /* cannot tell: leave it */
  comm[n] = '\0';
  comm[strcspn (comm, "\n")] = '\0';
  return strncmp (comm, "ferry", 5) == 0 || strncmp (comm, "lt-ferry", 8) == 0;
}

/* Is the run that made temp dir 'path' still running?  Its lock says
 * so; a dir without one (made before the lock existed, or by a run
 * killed between mkdtemp and the lock) is judged by its pid.
 */
static bool
owner_alive (const char *path, pid_t pid)
{
  char lock[PATH_MAX];
  int fd;
  bool alive;

  if ((size_t) snprintf (lock, sizeof lock, "%s/.lock", path) >= sizeof lock)
    return true;
  fd = open (lock, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd == -1)
    return ferry_alive (pid);
  alive = flock (fd, LOCK_EX | LOCK_NB) == -1;
  close (fd);
  return alive;
}

/* A ferry killed by SIGKILL cannot remove its temp dir: the next run
 * removes the temp dirs (ours, "ferry-PID.*") of ferry processes that
 * are gone.  Their qemu children died with them (PR_SET_PDEATHSIG).
 */
void
tmpdir_sweep_stale (void)
{
  const char *base = getenv ("TMPDIR");

  sweep_stale (base && *base ? base : "/var/tmp");
}

static void
sweep_stale (const char *base)
{
  DIR *d = opendir (base);
  struct dirent *e;

  if (d == NULL)
    return;
  while ((e = readdir (d)) != NULL) {
    char path[PATH_MAX], *end;
    struct stat st;
    long pid;

    if (strncmp (e->d_name, "ferry-", 6) != 0)
      continue;
    pid = strtol (e->d_name + 6, &end, 10);
    if (end == e->d_name + 6 || *end != '.' || pid <= 0 || pid == getpid ())
      continue;
    if ((size_t) snprintf (path, sizeof path, "%s/%s", base, e->d_name) >= sizeof path ||
        lstat (path, &st) == -1 || !S_ISDIR (st.st_mode) ||
        st.st_uid != geteuid () || owner_alive (path, (pid_t) pid))
      continue;
    debug ("removing the temp dir of an earlier run that was killed: %s", path);
    nftw (path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  }
  closedir (d);
}

const char *
tmpdir_create (void)
{
  const char *base = getenv ("TMPDIR");

  if (tmpdir_path[0])
    return tmpdir_path;
  /* Overlays can grow to gigabytes; /var/tmp is on disk, /tmp may be
   * a small tmpfs.
   */
  if (base == NULL || *base == '\0')
    base = "/var/tmp";
  snprintf (tmpdir_path, sizeof tmpdir_path, "%s/ferry-%d.XXXXXX", base,
            (int) getpid ());
  if (mkdtemp (tmpdir_path) == NULL) {
    error ("create temporary directory in \"%s\": %m", base);
    tmpdir_path[0] = '\0';
    return NULL;
  }
  /* Held while we run (the lock goes with the process, however it
   * ends): a sweep that can take it knows the owner is gone.
   */
  {
    char lock[PATH_MAX + 8];
    snprintf (lock, sizeof lock, "%s/.lock", tmpdir_path);
    tmpdir_lock = open (lock, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (tmpdir_lock == -1 || flock (tmpdir_lock, LOCK_EX | LOCK_NB) == -1) {
      error ("lock temporary directory \"%s\": %m", tmpdir_path);
      if (tmpdir_lock >= 0) close (tmpdir_lock);
      tmpdir_lock = -1;
      unlink (lock);
      rmdir (tmpdir_path);
      tmpdir_path[0] = '\0';
      return NULL;
    }
  }
  debug ("temp dir: %s", tmpdir_path);
  return tmpdir_path;
}

static int
rm_one (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  if (flag == FTW_DP)
    rmdir (path);
  else
    unlink (path);
  return 0;
}

void
tmpdir_cleanup (void)
{
  if (tmpdir_path[0] == '\0')
    return;
  nftw (tmpdir_path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  tmpdir_path[0] = '\0';
  if (tmpdir_lock >= 0)
    close (tmpdir_lock);
  tmpdir_lock = -1;
}

static void
hex (const unsigned char *md, unsigned len, char *out)
{
  static const char digits[] = "0123456789abcdef";
  for (unsigned i = 0; i < len; i++) {
    out[2*i] = digits[md[i] >> 4];
    out[2*i+1] = digits[md[i] & 15];
  }
  out[2*len] = '\0';
}

void
sha256_buf (const void *buf, size_t len, char out[65])
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned mdlen = 0;

  EVP_Digest (buf, len, md, &mdlen, EVP_sha256 (), NULL);
  hex (md, mdlen, out);
}

int
sha256_file (const char *path, char out[65])
{
  CLEANUP_CLOSE int fd = open (path, O_RDONLY | O_CLOEXEC);
  EVP_MD_CTX *ctx;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned mdlen = 0;
  static char buf[1 << 20];
  ssize_t r;

  if (fd == -1) {
    error ("open \"%s\": %m", path);
    return -1;
  }
  ctx = EVP_MD_CTX_new ();
  if (ctx == NULL || !EVP_DigestInit_ex (ctx, EVP_sha256 (), NULL)) {
    error ("sha256: cannot initialise digest");
    EVP_MD_CTX_free (ctx);
    return -1;
  }
  while ((r = read (fd, buf, sizeof buf)) > 0)
    EVP_DigestUpdate (ctx, buf, r);
  if (r == -1) {
    error ("read \"%s\": %m", path);
    EVP_MD_CTX_free (ctx);
    return -1;
  }
  EVP_DigestFinal_ex (ctx, md, &mdlen);
  EVP_MD_CTX_free (ctx);
  hex (md, mdlen, out);
  return 0;
}

ssize_t
read_at (const char *path, void *buf, size_t len, off_t offset)
{
  CLEANUP_CLOSE int fd = open (path, O_RDONLY | O_CLOEXEC);
  size_t done = 0;

  if (fd == -1)
    return -1;
  while (done < len) {
    ssize_t r = pread (fd, (char *) buf + done, len - done, offset + done);
    if (r == -1) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    if (r == 0)
      break;
    done += r;
  }
  return done;
}

char *
dir_of (const char *path)
{
  char *copy = strdup (path), *slash, *real;

  if (copy == NULL)
    return NULL;
  slash = strrchr (copy, '/');
  if (slash == NULL) {
    free (copy);
    return realpath (".", NULL);
  }
  if (slash == copy)
    slash[1] = '\0';
  else
    *slash = '\0';
  real = realpath (copy, NULL);
  free (copy);
  return real;
}

int
path_is_within (const char *path, const char *dir)
{
  CLEANUP_FREE char *rp = realpath (path, NULL);
  CLEANUP_FREE char *rd = realpath (dir, NULL);
  size_t n;

  if (rp == NULL || rd == NULL)
    return -1;
  n = strlen (rd);
  if (strcmp (rd, "/") == 0)
    return 1;
  return strncmp (rp, rd, n) == 0 && (rp[n] == '/' || rp[n] == '\0');
}

int
write_file_atomic (const char *path, const char *data, size_t len)
{
  CLEANUP_FREE char *tmp = NULL;
  int fd;
  size_t done = 0;

  if (asprintf (&tmp, "%s.ferry-tmp", path) == -1) {
    error ("write \"%s\": %m", path);
    return -1;
  }
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd == -1) {
    error ("create \"%s\": %m", tmp);
    return -1;
  }
  while (done < len) {
    ssize_t r = write (fd, data + done, len - done);
    if (r == -1) {
      if (errno == EINTR)
        continue;
      error ("write \"%s\": %m", tmp);
      close (fd);
      unlink (tmp);
      return -1;
    }
    done += r;
  }
  if (fsync (fd) == -1 || close (fd) == -1) {
    error ("write \"%s\": %m", tmp);
    unlink (tmp);
    return -1;
  }
  if (rename (tmp, path) == -1) {
    error ("rename \"%s\": %m", path);
    unlink (tmp);
    return -1;
  }
  return 0;
}

bool
buf_is_zero (const void *p, size_t len)
{
  const unsigned char *b = p;

  /* After the first 16 bytes, compare the buffer with itself shifted
   * by 16: memcmp is vectorised, a byte loop is not.
   */
  if (len < 16)
    return len == 0 || (b[0] == 0 && memcmp (b, b + 1, len - 1) == 0);
  for (size_t i = 0; i < 16; i++)
    if (b[i])
      return false;
  return memcmp (b, b + 16, len - 16) == 0;
}

const char *
human_size (uint64_t bytes, char buf[32])
{
  static const char *units[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB" };
  double v = bytes;
  int u = 0;

  while (v >= 1024 && u < 5) {
    v /= 1024;
    u++;
  }
  if (u == 0)
    snprintf (buf, 32, "%llu bytes", (unsigned long long) bytes);
  else
    snprintf (buf, 32, "%.1f %s", v, units[u]);
  return buf;
}

double
now_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

const char *
firmware_name (enum firmware f)
{
  switch (f) {
  case FIRMWARE_BIOS: return "bios";
  case FIRMWARE_UEFI: return "uefi";
  default: return "unknown";
  }
}

void
source_free (struct source *s)
{
  for (size_t i = 0; i < s->nr_disks; i++) {
    free (s->disks[i].path);
    free (s->disks[i].label);
    free (s->disks[i].format);
    free (s->disks[i].subformat);
    free (s->disks[i].uri);
    free (s->disks[i].overlay);
    confine_free (&s->disks[i].confine);
  }
  free (s->disks);
  for (size_t i = 0; i < s->nr_nics; i++) {
    free (s->nics[i].mac);
    free (s->nics[i].network);
    free (s->nics[i].model);
    free (s->nics[i].map);
  }
  free (s->nics);
  free (s->name);
  memset (s, 0, sizeof *s);
}

char *
qemu_opt_escape (const char *s)
{
  struct sbuf b = SBUF_INIT;

  for (; *s; s++)
    if (sbuf_add (&b, s, 1) == -1 || (*s == ',' && sbuf_add (&b, ",", 1) == -1)) {
      sbuf_free (&b);
      return NULL;
    }
  return sbuf_take (&b);
}
