/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: --initramfs auto|append|rebuild, for every family.
 *
 * append adds the target's modules to the image that boots the guest
 * now, on the host (initramfs-add.c): no guest code runs, and an image
 * it cannot extend is an error that says why.  rebuild runs the guest's
 * own tool in the appliance (update-initramfs, dracut, mkinitfs).  auto
 * appends where ferry's test suite boots an appended image of that
 * family (initramfs-tools images: the real Debian 12 guests), and
 * rebuilds elsewhere or where appending cannot be done.  The choice
 * and its reason go into the change report's "initramfs" list.
 *
 * Appending cannot change what only the guest's tool writes into the
 * image, the resume device among it.  Under append a stale resume
 * device stays, with a warning: it delays the boot by the resume
 * timeout, it does not break it.  Under auto it makes a rebuild.
 */

#include <config.h>

#include <stdarg.h>
#include <string.h>

#include "guestfix.h"

int
initramfs_why (char **why, const char *fs, ...)
{
  va_list ap;
  char *t;
  int r;

  va_start (ap, fs);
  r = vasprintf (&t, fs, ap);
  va_end (ap);
  if (r == -1) {
    error ("choose how to make the initramfs: %m");
    return -1;
  }
  free (*why);
  *why = t;
  debug ("initramfs: %s", t);
  return 0;
}

/* The modules of to_add that kernel k lacks: 0 with *lack (owned, NULL
 * if none), or -1 after error().
 */
static int
lacking (const struct guest_kernel *k, char *const *to_add, char ***lack)
{
  *lack = NULL;
  for (size_t i = 0; to_add && to_add[i]; i++)
    if (!kernel_has_module (k, to_add[i]) &&
        string_list_push (lack, to_add[i]) == -1) {
      error ("choose how to make the initramfs: %m");
      return -1;
    }
  return 0;
}

static int
kept_resume_warning (struct report *r, const struct guest_kernel *k)
{
  return report_warning (r, "kernel %s: the initramfs keeps its old resume "
                         "device (--initramfs append runs no guest tool to "
                         "rewrite it; a stale one delays the boot by the "
                         "resume timeout)", k->version);
}

int
initramfs_choose (guestfs_h *g, struct guest_kernel *k, const char *initrd,
                  char *const *to_add, bool force, const struct fix_params *p,
                  const struct initramfs_family *fam, struct report *r,
                  char **why)
{
  CLEANUP_STRING_LIST char **lack = NULL;
  CLEANUP_FREE char *cant = NULL, *reason = NULL, *mods = NULL;
  struct sbuf names = SBUF_INIT;
  char **files = NULL;
  int added = 0;

  *why = NULL;
  if (p->initramfs == INITRAMFS_REBUILD)
    return initramfs_why (why, "--initramfs rebuild");
  if (lacking (k, to_add, &lack) == -1)
    return -1;
  if (lack == NULL) {
    /* Nothing to add: only the resume device changed. */
    if (p->initramfs == INITRAMFS_AUTO)
      return initramfs_why (why, "the resume device changed, which only %s "
                      "writes into the image", fam->tool);
    if (kept_resume_warning (r, k) == -1 ||
        report_initramfs (r, k->version, initrd, "kept", "none",
                          "--initramfs append: only the resume device "
                          "changed, and only the guest's tool rewrites it") == -1)
      return -1;
    return 1;
  }
  if (p->initramfs == INITRAMFS_AUTO && !fam->boot_proved)
    return initramfs_why (why, "--initramfs auto: ferry's tests boot appended "
                    "images of initramfs-tools only, not of %s; --initramfs "
                    "append adds the drivers without it", fam->tool);
  if (p->initramfs == INITRAMFS_AUTO && force)
    return initramfs_why (why, "the resume device changed too, which only %s "
                    "writes into the image; --initramfs append adds the "
                    "drivers and keeps the old resume device", fam->tool);

  for (size_t i = 0; lack[i]; i++)
    sbuf_printf (&names, "%s%s", i ? " " : "", lack[i]);
  if ((mods = sbuf_take (&names)) == NULL ||
      asprintf (&reason, "add %s, on the host: %s was not run", mods,
                fam->tool) == -1) {
    error ("choose how to make the initramfs: %m");
    return -1;
  }
  if (k->initrd == NULL || strcmp (k->initrd, initrd) != 0) {
    if (initramfs_why (&cant, "the kernel has no image at %s to add to", initrd) == -1)
      return -1;
  }
  else if (p->dry_run)
    added = 1;                  /* planned: the image is not read */
  else {
    double t0 = now_seconds ();
    added = initramfs_add_modules (g, k, lack, fam->load_list, &files, &cant);
    if (added == -1)
      return -1;
    if (added == 1) {
      debug ("added %s to the initramfs of %s on the host in %.1f s",
             mods, k->version, now_seconds () - t0);
      if (initramfs_check (k, initrd, files, p, "adding the modules") == -1)
        return -1;
    }
  }
  if (added == 1) {
    if (report_action (r, initrd, "regenerated", reason) == -1 ||
        report_initramfs (r, k->version, initrd, "append", "ferry",
                          p->initramfs == INITRAMFS_APPEND
                          ? "--initramfs append"
                          : "--initramfs auto: ferry's tests boot appended "
                            "initramfs-tools images") == -1 ||
        (force && kept_resume_warning (r, k) == -1))
      return -1;
    return 1;
  }
  if (p->initramfs == INITRAMFS_APPEND) {
    error ("add %s to the initramfs of kernel %s: %s (--initramfs rebuild "
           "runs %s in the guest instead)", mods, k->version, cant, fam->tool);
    return -1;
  }
  return initramfs_why (why, "--initramfs auto: %s", cant);
}

int
initramfs_rebuilt (struct report *r, const struct guest_kernel *k,
                   const char *initrd, const struct initramfs_family *fam,
                   const char *why)
{
  return report_initramfs (r, k->version, initrd, "rebuild", fam->tool, why);
}
