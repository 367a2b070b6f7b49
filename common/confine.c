/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: running qemu where it cannot see the host.
 *
 * A VM export is someone else's data.  Image formats name other files
 * (backing files, VMDK extents, qcow2 data files), and qemu follows
 * those names by its own rules, which ferry's prober can only
 * approximate.  So every qemu that opens source data runs under
 * bubblewrap in fresh namespaces: it sees /usr (its own binary and
 * libraries), a /dev with only null, zero, random and the like, a
 * private /proc and /tmp, the paths this run lets it read, and the
 * socket directory.  No network, no host block devices, no other
 * files, no capabilities, and as root an unprivileged uid.  A hostile
 * reference then fails inside qemu with "no such file".
 */

#include <config.h>

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

int
confine_allow (struct confine *c, const char *path, bool writable)
{
  char ***l = writable ? &c->rw : &c->ro;

  for (size_t i = 0; *l && (*l)[i]; i++)
    if (strcmp ((*l)[i], path) == 0)
      return 0;
  if (string_list_push (l, path) == -1) {
    error ("confine qemu: %m");
    return -1;
  }
  return 0;
}

void
confine_free (struct confine *c)
{
  free_string_list (c->ro);
  free_string_list (c->rw);
  c->ro = c->rw = NULL;
}

/* What bubblewrap needs for qemu: the top-level directories of a
 * merged-/usr system are symlinks into /usr; on an older layout they
 * are directories and are bound read-only as they are.
 */
static const char *const system_dirs[] = {
  "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", NULL
};

struct argv_builder {
  const char **v;
  size_t n, cap;
  char **owned;                 /* strings to free with the vector */
};

static int
push (struct argv_builder *b, const char *s)
{
  if (b->n + 2 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 64;
    const char **v = realloc (b->v, cap * sizeof *v);
    if (v == NULL)
      return -1;
    b->v = v;
    b->cap = cap;
  }
  b->v[b->n++] = s;
  b->v[b->n] = NULL;
  return 0;
}

static int
push_owned (struct argv_builder *b, const char *s)
{
  size_t k = string_list_len (b->owned);

  if (string_list_push (&b->owned, s) == -1)
    return -1;
  return push (b, b->owned[k]);
}

void
confined_argv_free (struct confined_argv *a)
{
  free (a->argv);
  free_string_list (a->owned);
  a->argv = NULL;
  a->owned = NULL;
}

int
confine_argv (const struct confine *c, const char *const *argv,
              struct confined_argv *out)
{
  struct argv_builder b = { 0 };
  int ok = 0;

  memset (out, 0, sizeof *out);
  if (c == NULL || c->off) {
    for (size_t i = 0; argv[i]; i++)
      ok |= push (&b, argv[i]);
    goto done;
  }
  ok |= push (&b, BWRAP);
  /* --unshare-all: user (where possible), ipc, pid, net, uts, cgroup. */
  ok |= push (&b, "--unshare-all");
  if (geteuid () == 0) {
    /* As root, a user namespace of our own maps us to nobody; with
     * every capability dropped, qemu has no root power over files.
     */
    ok |= push (&b, "--unshare-user");
    ok |= push (&b, "--uid");
    ok |= push (&b, "65534");
    ok |= push (&b, "--gid");
    ok |= push (&b, "65534");
  }
  ok |= push (&b, "--die-with-parent");
  ok |= push (&b, "--new-session");
  ok |= push (&b, "--cap-drop");
  ok |= push (&b, "ALL");
  ok |= push (&b, "--ro-bind");
  ok |= push (&b, "/usr");
  ok |= push (&b, "/usr");
  for (size_t i = 0; system_dirs[i]; i++) {
    struct stat st;
    char target[256];
    ssize_t n;

    if (lstat (system_dirs[i], &st) == -1)
      continue;
    if (S_ISLNK (st.st_mode) &&
        (n = readlink (system_dirs[i], target, sizeof target - 1)) > 0) {
      target[n] = '\0';
      ok |= push (&b, "--symlink");
      ok |= push_owned (&b, target);
      ok |= push (&b, system_dirs[i]);
    }
    else if (S_ISDIR (st.st_mode)) {
      ok |= push (&b, "--ro-bind");
      ok |= push (&b, system_dirs[i]);
      ok |= push (&b, system_dirs[i]);
    }
  }
  ok |= push (&b, "--ro-bind-try");
  ok |= push (&b, "/etc/ld.so.cache");
  ok |= push (&b, "/etc/ld.so.cache");
  ok |= push (&b, "--dev");
  ok |= push (&b, "/dev");
  ok |= push (&b, "--proc");
  ok |= push (&b, "/proc");
  ok |= push (&b, "--tmpfs");
  ok |= push (&b, "/tmp");
  for (size_t i = 0; c->ro && c->ro[i]; i++) {
    ok |= push (&b, "--ro-bind");
    ok |= push (&b, c->ro[i]);
    ok |= push (&b, c->ro[i]);
  }
  for (size_t i = 0; c->rw && c->rw[i]; i++) {
    ok |= push (&b, "--bind");
    ok |= push (&b, c->rw[i]);
    ok |= push (&b, c->rw[i]);
  }
  ok |= push (&b, "--chdir");
  ok |= push (&b, "/");
  ok |= push (&b, "--");
  for (size_t i = 0; argv[i]; i++)
    ok |= push (&b, argv[i]);

 done:
  if (ok != 0 || b.v == NULL) {
    free (b.v);
    free_string_list (b.owned);
    error ("confine \"%s\": %m", argv[0]);
    return -1;
  }
  out->argv = b.v;
  out->owned = b.owned;
  return 0;
}

static void probe (void);

/* Run /bin/true in the sandbox once per process: bubblewrap may be
 * missing, or user namespaces may be disabled (sysctl, a container).
 * The verdict is the environment's, not configuration, so it is kept.
 */
static int verdict;             /* 0 unknown, 1 works, -1 does not */
static char why[256];

bool
confine_available (void)
{
  probe ();
  return verdict == 1;
}

int
confine_check (void)
{
  probe ();
  if (verdict == 1)
    return 0;
  error ("confine qemu: %s; refusing to open an untrusted image without "
         "confinement (-io unconfined opens it anyway, with qemu able to "
         "read any host file the image names)", why);
  return -1;
}

static void
probe (void)
{
  struct confine c = { 0 };
  struct confined_argv a;
  CLEANUP_FREE char *err = NULL;
  const char *const argv[] = { "/bin/true", NULL };
  int r;

  if (verdict == 0) {
    if (access (BWRAP, X_OK) == -1) {
      snprintf (why, sizeof why, "%s: %s (install the bubblewrap package)",
                BWRAP, strerror (errno));
      verdict = -1;
    }
    else if (confine_argv (&c, argv, &a) == -1) {
      snprintf (why, sizeof why, "out of memory");
      verdict = -1;
    }
    else {
      r = run_command_timeout (a.argv, NULL, &err, 30);
      confined_argv_free (&a);
      if (r == 0)
        verdict = 1;
      else {
        size_t len = err ? strcspn (err, "\n") : 0;
        snprintf (why, sizeof why, "bubblewrap cannot create a sandbox "
                  "here: %.*s", (int) (len > 200 ? 200 : len),
                  err && len ? err : "it failed");
        verdict = -1;
      }
    }
  }
}
