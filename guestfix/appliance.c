/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: the libguestfs appliance: launch with a working accelerator,
 * choose the root, mount, trim, close.
 */

#include <config.h>

#include <inttypes.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "guestfix.h"

/* A 512-byte boot sector that prints a marker on COM1 and exits qemu
 * through isa-debug-exit.  Booting it under -accel kvm tells whether KVM
 * really runs guests: on hosts with broken nested virtualisation
 * /dev/kvm opens fine but guests hang or qemu asserts.
 */
static const unsigned char probe_code[] = {
  0x31, 0xc0,             /* xor ax,ax */
  0x8e, 0xd8,             /* mov ds,ax */
  0xfc,                   /* cld */
  0xba, 0xf8, 0x03,       /* mov dx,0x3f8 */
  0xbe, 0x1b, 0x7c,       /* mov si,msg */
  0xac,                   /* lodsb */
  0x08, 0xc0,             /* or al,al */
  0x74, 0x03,             /* jz done */
  0xee,                   /* out dx,al */
  0xeb, 0xf8,             /* jmp lodsb */
  0xb0, 0x10,             /* done: mov al,0x10 */
  0xe6, 0xf4,             /* out 0xf4,al: isa-debug-exit, status 33 */
  0xfa, 0xf4,             /* cli; hlt */
  0xeb, 0xfd,             /* jmp hlt */
  'F', 'E', 'R', 'R', 'Y', 'K', 'V', 'M', 'O', 'K', 0,
};

static const char *hv_path (void);

/* Returns true if KVM can run a guest here; *why says why not.  The
 * probe runs the qemu the appliance will run.
 */
static bool
kvm_works (const char **why)
{
  const char *tmpdir = tmpdir_create ();
  CLEANUP_FREE char *img = NULL, *drive = NULL, *out = NULL;
  unsigned char sector[512];
  int fd, r;

  if (access ("/dev/kvm", R_OK | W_OK) == -1) {
    *why = "/dev/kvm is not available";
    return false;
  }
  if (tmpdir == NULL || asprintf (&img, "%s/kvmprobe.img", tmpdir) == -1 ||
      asprintf (&drive, "file=%s,format=raw,if=floppy", img) == -1) {
    *why = "cannot prepare the probe";
    return false;
  }
  memset (sector, 0, sizeof sector);
  memcpy (sector, probe_code, sizeof probe_code);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  fd = open (img, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd == -1 || write (fd, sector, sizeof sector) != sizeof sector) {
    if (fd >= 0)
      close (fd);
    *why = "cannot write the probe";
    return false;
  }
  close (fd);

  {
    /* --foreground: timeout kills qemu alone, not its own process
     * group (itself included), and then exits with 137.
     */
    const char *argv[] = {
      "timeout", "--foreground", "--signal=KILL", "15",
      hv_path (), "-accel", "kvm", "-nodefaults", "-display", "none",
      "-no-user-config", "-m", "16", "-serial", "stdio",
      "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
      "-drive", drive, "-boot", "a", NULL
    };
    r = run_command (argv, &out, NULL);
  }
  unlink (img);
  if (r == 33 && out && strstr (out, "FERRYKVMOK"))
    return true;
  *why = r == 137 ? "a test guest hung under KVM"
    : "a test guest failed under KVM";
  return false;
}

/* Some hosts run the probe under KVM but not the appliance (qemu
 * asserts once the guest kernel starts).  That is remembered in a small
 * file next to libguestfs' appliance cache, keyed on the host kernel
 * and the qemu binary, so later runs go straight to TCG.
 */
static char *
kvm_memo_path (void)
{
  const char *dir = getenv ("LIBGUESTFS_CACHEDIR");
  const char *memo = getenv ("FERRY_KVM_MEMO");
  char *p;

  if (memo && *memo)
    return strdup (memo);
  if (dir == NULL || *dir == '\0')
    dir = "/var/tmp";
  if (asprintf (&p, "%s/.ferry-kvm-broken-%u", dir, (unsigned) geteuid ()) == -1)
    return NULL;
  return p;
}

/* The qemu the appliance runs: libguestfs' LIBGUESTFS_HV, or ours. */
static const char *
hv_path (void)
{
  const char *hv = getenv ("LIBGUESTFS_HV");
  return hv && *hv ? hv : QEMU_SYSTEM;
}

static char *
kvm_memo_key (void)
{
  struct utsname u;
  struct stat st;
  char *k;

  if (uname (&u) == -1 || stat (hv_path (), &st) == -1)
    return NULL;
  if (asprintf (&k, "%s %s %lld\n", u.release, hv_path (),
                (long long) st.st_mtime) == -1)
    return NULL;
  return k;
}

static bool
kvm_memo_broken (void)
{
  CLEANUP_FREE char *path = kvm_memo_path (), *key = kvm_memo_key ();
  char buf[512];
  ssize_t n;
  int fd;

  if (path == NULL || key == NULL ||
      (fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
    return false;
  n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0)
    return false;
  buf[n] = '\0';
  return strcmp (buf, key) == 0;
}

static void
kvm_memo_set (void)
{
  CLEANUP_FREE char *path = kvm_memo_path (), *key = kvm_memo_key ();
  int fd;

  if (path == NULL || key == NULL)
    return;
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd == -1)
    return;                     /* only an optimisation */
  if (write (fd, key, strlen (key)) != (ssize_t) strlen (key))
    unlink (path);
  close (fd);
}

/* Decide the accelerator once per run and tell the user once. */
static bool
want_tcg (void)
{
  const char *s = getenv ("LIBGUESTFS_BACKEND_SETTINGS");
  const char *why = NULL;

  if (s && strstr (s, "force_tcg"))
    return true;
  /* The memo first: the probe costs seconds when KVM hangs. */
  if (kvm_memo_broken ())
    why = "a guest failed or hung under KVM on an earlier run";
  else if (kvm_works (&why))
    return false;
  else if (access ("/dev/kvm", F_OK) == 0)
    kvm_memo_set ();            /* KVM is there and does not run guests */
  info ("KVM is not usable here (%s): running the appliance under TCG "
        "software emulation, which is slower", why);
  return true;
}

static int
set_tcg (guestfs_h *g)
{
  CLEANUP_STRING_LIST char **old = guestfs_get_backend_settings (g);
  size_t n = string_list_len (old);
  const char **s = calloc (n + 2, sizeof *s);
  int r;

  if (s == NULL)
    return -1;
  for (size_t i = 0; i < n; i++)
    s[i] = old[i];
  s[n] = "force_tcg";
  r = guestfs_set_backend_settings (g, (char *const *) s);
  free (s);
  return r;
}

static guestfs_h *
make_handle (const struct source *src, bool readonly, bool tcg)
{
  guestfs_h *g = guestfs_create ();

  if (g == NULL) {
    error ("create libguestfs handle: %m");
    return NULL;
  }
  guestfs_set_error_handler (g, NULL, NULL);
  if (log_get ()->verbose >= 2)
    guestfs_set_verbose (g, 1);
  if (log_get ()->verbose >= 2 || log_get ()->trace)
    guestfs_set_trace (g, 1);
  /* Two vCPUs let multi-threaded TCG use both host cores for the
   * initramfs rebuild; 2 GiB keeps compressors from swapping.
   */
  guestfs_set_smp (g, 2);
  guestfs_set_memsize (g, 2048);
  if (tcg && set_tcg (g) == -1) {
    error ("configure libguestfs for TCG: %s", guestfs_last_error (g));
    guestfs_close (g);
    return NULL;
  }
  for (size_t i = 0; i < src->nr_disks; i++) {
    const char *file = src->disks[i].overlay;
    if (guestfs_add_drive_opts (g, file,
                                GUESTFS_ADD_DRIVE_OPTS_FORMAT, "qcow2",
                                GUESTFS_ADD_DRIVE_OPTS_READONLY, readonly,
                                GUESTFS_ADD_DRIVE_OPTS_DISCARD, "besteffort",
                                GUESTFS_ADD_DRIVE_OPTS_CACHEMODE, "unsafe",
                                -1) == -1) {
      error ("add disk \"%s\" to the appliance: %s", file,
             guestfs_last_error (g));
      guestfs_close (g);
      return NULL;
    }
  }
  return g;
}

static int
choose_root (guestfs_h *g, char **roots, const char *choice, char **root)
{
  size_t n = string_list_len (roots);

  if (n == 0) {
    error ("inspect the guest: no operating system was found on the disks");
    return -1;
  }
  if (choice && strncmp (choice, "/dev/", 5) == 0) {
    for (size_t i = 0; i < n; i++)
      if (strcmp (roots[i], choice) == 0) {
        *root = strdup (roots[i]);
        return 0;
      }
    error ("--root \"%s\": no operating system root on that device", choice);
    return -1;
  }
  if (n == 1 || (choice && strcmp (choice, "first") == 0)) {
    *root = strdup (roots[0]);
    return 0;
  }
  if (choice && strcmp (choice, "ask") == 0 && isatty (0)) {
    char line[64];
    fprintf (stderr, "ferry: this guest has %zu operating systems:\n", n);
    for (size_t i = 0; i < n; i++) {
      CLEANUP_FREE char *prod = guestfs_inspect_get_product_name (g, roots[i]);
      fprintf (stderr, "  [%zu] %s (%s)\n", i + 1, roots[i], prod ? prod : "?");
    }
    fprintf (stderr, "which one to convert [1-%zu]? ", n);
    if (fgets (line, sizeof line, stdin)) {
      unsigned long k = strtoul (line, NULL, 10);
      if (k >= 1 && k <= n) {
        *root = strdup (roots[k - 1]);
        return 0;
      }
    }
  }
  {
    struct sbuf b = SBUF_INIT;
    for (size_t i = 0; i < n; i++)
      sbuf_printf (&b, "%s%s", i ? ", " : "", roots[i]);
    error ("inspect the guest: %zu operating systems found (%s); choose "
           "one with --root /dev/X or --root first", n, b.s ? b.s : "");
    sbuf_free (&b);
  }
  return -1;
}

static int
compare_mp (const void *a, const void *b)
{
  const char *const *pa = a, *const *pb = b;
  return (int) strlen (pa[0]) - (int) strlen (pb[0]);
}

static int
mount_root (guestfs_h *g, const char *root, bool readonly)
{
  CLEANUP_STRING_LIST char **mps = guestfs_inspect_get_mountpoints (g, root);
  size_t n = string_list_len (mps) / 2;

  if (mps == NULL) {
    error ("inspect the guest: %s", guestfs_last_error (g));
    return -1;
  }
  /* Shorter mountpoints first, so / is mounted before /boot. */
  qsort (mps, n, 2 * sizeof (char *), compare_mp);
  for (size_t i = 0; i < n; i++) {
    const char *mp = mps[2*i], *dev = mps[2*i + 1];
    int r = readonly ? guestfs_mount_ro (g, dev, mp) : guestfs_mount (g, dev, mp);
    if (r == -1) {
      if (strcmp (mp, "/") == 0) {
        error ("mount the guest's root \"%s\": %s", dev, guestfs_last_error (g));
        return -1;
      }
      debug ("mount %s on %s failed: %s", dev, mp, guestfs_last_error (g));
    }
  }
  return 0;
}

/* Seconds an appliance's qemu may take to start the daemon:
 * FERRY_LAUNCH_TIMEOUT, or 300 under TCG (a launch takes 10 to 30 s on
 * 2 cores).  Under KVM it starts in a few seconds, so 30 s without a
 * daemon means KVM hangs here: the launch is given up and TCG takes
 * over.  (The appliance build before qemu starts is not counted.)
 */
static int
launch_timeout (bool tcg)
{
  const char *s = getenv ("FERRY_LAUNCH_TIMEOUT");
  char *end;
  long t;

  if (s && *s) {
    errno = 0;
    t = strtol (s, &end, 10);
    if (errno == 0 && *end == '\0' && t > 0 && t < 86400)
      return (int) t;
    warning ("FERRY_LAUNCH_TIMEOUT=\"%s\" is not a number of seconds: ignored", s);
  }
  return tcg ? 300 : 30;
}

/* Launch *gp, tries times at most; a launch that hangs is tried again
 * with a new handle.  0: launched.  -1: libguestfs failed
 * (guestfs_last_error (*gp) says why).  -2: it hung every time; *gp is
 * still open.  -3: failed after error(); *gp is closed or NULL.
 */
static int
launch (guestfs_h **gp, const struct source *src, bool readonly, bool tcg,
        int tries)
{
  int t = launch_timeout (tcg);
  bool hung;

  for (int i = 0; i < tries; i++) {
    if (i > 0) {
      info ("the appliance did not start within %d s (it hung): trying once more", t);
      guestfs_close (*gp);
      *gp = make_handle (src, readonly, tcg);
      if (*gp == NULL)
        return -3;
    }
    if (appliance_launch (*gp, t, &hung) == 0)
      return 0;
    if (!hung)
      return -1;
    if (interrupted ())
      return -1;
  }
  return -2;
}

guestfs_h *
appliance_open (const struct source *src, const struct appliance_opts *o,
                struct guest *gu)
{
  bool tcg = want_tcg ();
  guestfs_h *g;
  int r;
  CLEANUP_STRING_LIST char **roots = NULL;
  double t0 = now_seconds ();

  g = make_handle (src, o->readonly, tcg);
  if (g == NULL)
    return NULL;
  /* Under KVM one try: a hang or a failure there is KVM's, and TCG
   * takes over at once, said once and remembered for later runs.
   */
  r = launch (&g, src, o->readonly, tcg, tcg ? 2 : 1);
  if ((r == -1 || r == -2) && !tcg && !interrupted ()) {
    /* libguestfs' message goes on with debugging advice: its first
     * line says it.
     */
    const char *e = r == -1 ? guestfs_last_error (g) : NULL;
    int len = e ? (int) strcspn (e, "\n") : 0;

    if (r == -2)
      info ("the appliance hung under KVM (no start within %d s): running "
            "it under TCG software emulation from now on, which is slower",
            launch_timeout (false));
    else
      info ("the appliance failed to start under KVM (%.*s): running it "
            "under TCG software emulation from now on, which is slower",
            len, e ? e : "");
    kvm_memo_set ();
    guestfs_close (g);
    g = make_handle (src, o->readonly, true);
    if (g == NULL)
      return NULL;
    tcg = true;
    r = launch (&g, src, o->readonly, true, 2);
  }
  if (r == -1)
    error ("start the libguestfs appliance: %s", guestfs_last_error (g));
  else if (r == -2)
    error ("start the libguestfs appliance: it did not start within %d s, "
           "twice (FERRY_LAUNCH_TIMEOUT sets the limit)", launch_timeout (tcg));
  if (r < 0) {
    if (g && r != -3)
      guestfs_close (g);
    return NULL;
  }
  debug ("appliance launched in %.1f s", now_seconds () - t0);
  t0 = now_seconds ();
  if (interrupted ())
    goto fail;

  roots = guestfs_inspect_os (g);
  if (roots == NULL) {
    error ("inspect the guest: %s", guestfs_last_error (g));
    goto fail;
  }
  debug ("phase inspect libguestfs: %.2f s", now_seconds () - t0);
  if (choose_root (g, roots, o->root_choice, &gu->root) == -1)
    goto fail;
  if (mount_root (g, gu->root, o->readonly) == -1)
    goto fail;
  if (inspect_guest (g, gu) == -1)
    goto fail;
  debug ("phase inspect: %.2f s", now_seconds () - t0);
  return g;

 fail:
  guestfs_close (g);
  return NULL;
}

int
appliance_close (guestfs_h *g, bool trim)
{
  int ret = 0;

  if (trim) {
    CLEANUP_STRING_LIST char **mps = guestfs_mountpoints (g);
    /* Free blocks become holes in the overlay and the copy skips them.
     * Not every filesystem supports it: that only costs copy time.
     */
    for (size_t i = 0; mps && mps[i]; i += 2) {
      double t0 = now_seconds ();
      struct guestfs_statvfs *sv;
      uint64_t free_bytes = UINT64_MAX;

      /* A filesystem with (almost) no free blocks has nothing to trim:
       * no round trip for it.
       */
      guestfs_push_error_handler (g, NULL, NULL);
      sv = guestfs_statvfs (g, mps[i + 1]);
      guestfs_pop_error_handler (g);
      if (sv) {
        free_bytes = (uint64_t) sv->bfree * (uint64_t) sv->frsize;
        guestfs_free_statvfs (sv);
      }
      if (free_bytes < (UINT64_C(1) << 20)) {
        debug ("phase fstrim %s: skipped, %" PRIu64 " bytes free", mps[i + 1], free_bytes);
        continue;
      }
      if (guestfs_fstrim (g, mps[i + 1], -1) == -1)
        debug ("fstrim %s: %s", mps[i + 1], guestfs_last_error (g));
      debug ("phase fstrim %s: %.2f s", mps[i + 1], now_seconds () - t0);
    }
  }
  {
    double t0 = now_seconds ();
    if (guestfs_umount_all (g) == -1 || guestfs_sync (g) == -1 ||
        guestfs_shutdown (g) == -1) {
      error ("close the appliance: %s", guestfs_last_error (g));
      ret = -1;
    }
    debug ("phase shutdown: %.2f s", now_seconds () - t0);
  }
  guestfs_close (g);
  return ret;
}
