/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: inspecting and fixing the guest through libguestfs.
 *
 * The guest's disks are qcow2 overlays over the read-only source, so
 * every write lands in the overlay.  The guest's filesystems are never
 * mounted on the host; files we need to look at are read through the
 * appliance.
 */

#ifndef FERRY_GUESTFIX_H
#define FERRY_GUESTFIX_H

#include <guestfs.h>

#include "common.h"
#include "rewrite.h"

/* What a target needs from the guest. */
struct target {
  const char *name;                     /* "kvm" */
  const char *const *initramfs_modules; /* modules the boot needs */
  const char *nic_prefix;               /* predictable name prefix: "ens" */
  unsigned nic_first_slot;              /* PCI slot of the first NIC, or
                                         * the first index for "eth" */
  const char *const *cmdline_add;       /* kernel arguments it needs, or NULL */
  const char *const *datasources;       /* cloud-init datasource_list, or NULL
                                         * to leave cloud-init's choice */
  bool stable_refs_only;                /* no /dev/sdX etc. may remain */
  bool no_os_swap;                      /* no swap on the OS disk (Azure) */
  bool keeps_hyperv_tools;              /* Hyper-V daemons are wanted there */
};
/* The target called name, loaded from data/drivers on first use; NULL
 * after error() if it is unknown or its data cannot be read.
 */
extern const struct target *target_lookup (const char *name);
/* "kvm, openstack, aws, azure" (static). */
extern const char *target_names (void);

/* One installed kernel. */
struct guest_kernel {
  char *version;                /* "6.1.0-13-amd64": /lib/modules/VERSION (owned) */
  char *name;                   /* /boot/vmlinuz-NAME: the version, or a
                                 * flavour such as Alpine's "virt" (owned) */
  char *initrd;                 /* "/boot/initrd.img-..." or NULL (owned) */
  char **initrd_files;          /* file names in the initrd (owned) or NULL */
  char *initrd_copy;            /* the host copy inspection listed, in the
                                 * run's temp dir (owned path), or NULL */
  char **builtin;               /* modules.builtin basenames (owned) or NULL */
};

/* A network configuration file found in the guest. */
struct guest_netconf {
  char *path;                   /* owned */
  const char *kind;             /* "ifupdown", "netplan", "nm", "networkd",
                                 * "udev", "ifcfg" (RHEL), "wicked" (SUSE),
                                 * "cloud-init" (its own network config) */
};

/* What inspection found. */
struct guest {
  char *root;                   /* appliance device of the root fs (owned) */
  char *type, *distro, *product_name, *hostname, *arch, *package_format;
  int major, minor;
  enum firmware firmware;
  char **mountpoints;           /* pairs: mountpoint, device (owned) */
  struct guest_kernel *kernels;
  size_t nr_kernels;
  struct guest_netconf *netconfs;
  size_t nr_netconfs;
  char **packages;              /* installed package names (owned) */
  char *cloud_init_version;     /* the cloud-init package's version, or NULL (owned) */
  char *fstab;                  /* /etc/fstab content or NULL (owned) */
  char *os_id, *os_id_like;     /* os-release ID= and ID_LIKE= (owned) or NULL */
};
extern void guest_free (struct guest *gu);

/* A change to one file, or another action, for the report. */
struct change {
  char *path;                   /* guest path (owned) */
  const char *action;           /* "modified", "regenerated", ... */
  char *reason;                 /* short explanation (owned) */
  char before[65], after[65];   /* sha256, "" if absent */
  char *diff;                   /* short diff or NULL (owned) */
  char *orig;                   /* the file before ferry's first change to
                                 * it, NULL if it did not exist (owned) */
};

struct report {
  struct change *changes;
  size_t nr_changes;
  char **packages_removed;      /* owned, NULL terminated, may be NULL */
  char **warnings;              /* owned, NULL terminated, may be NULL */
  char **nic_names;             /* the target NIC names chosen (owned) */
  struct initramfs_choice *initramfs; /* per kernel, nr_initramfs of them */
  size_t nr_initramfs;
  bool dry_run;
};
/* How one kernel's initramfs was made (owned strings). */
struct initramfs_choice {
  char *kernel, *file;
  char *method;                 /* "append", "rebuild" or "kept" */
  char *tool;                   /* what ran: "ferry" or the guest's tool */
  char *reason;
};
extern int report_initramfs (struct report *r, const char *kernel,
                             const char *file, const char *method,
                             const char *tool, const char *reason);
extern int report_file (struct report *r, const char *path,
                        const char *before, const char *after,
                        const char *reason);
extern int report_action (struct report *r, const char *path,
                          const char *action, const char *reason);
extern int report_warning (struct report *r, const char *fs, ...)
  __attribute__ ((format (printf, 2, 3)));
extern void report_free (struct report *r);
/* The change report document (owned). */
extern char *report_json (const struct report *r, const struct source *src,
                          const struct guest *gu, const struct target *t);
/* Print a few lines summarising the report for people. */
extern void report_print_summary (const struct report *r);

/* appliance.c: one libguestfs handle over the overlays. */
struct appliance_opts {
  bool readonly;                /* inspect / dry-run: never write */
  const char *root_choice;      /* --root ask|single|first|/dev/X */
};
/* Create the handle, add the disks, launch (with the KVM probe and TCG
 * fallback), inspect and mount the chosen root.  Returns NULL after
 * error().
 */
extern guestfs_h *appliance_open (const struct source *src,
                                  const struct appliance_opts *o,
                                  struct guest *gu);
/* Trim (unless readonly), unmount and close.  Returns -1 if the final
 * sync/shutdown failed: then the overlay may be incomplete.
 */
extern int appliance_close (guestfs_h *g, bool trim);

/* launch.c: guestfs_launch, but the appliance's qemu is killed if the
 * launch takes more than timeout seconds (0: no limit); then it returns
 * -1 with *timed_out set.
 */
extern int appliance_launch (guestfs_h *g, int timeout, bool *timed_out);

/* inspect.c */
extern int inspect_guest (guestfs_h *g, struct guest *gu);
/* The inspection as a JSON object inside j (under key). */
extern void inspect_json (struct json *j, const struct guest *gu);

/* initramfs.c: list the files in an initramfs image on the host
 * (concatenated cpio archives, compressed or not).  Returns a NULL
 * terminated list (owned) or NULL after error().
 */
extern char **initramfs_list (const char *path);
/* Start argv (a decompressor or compressor) in the sandbox with stdin
 * on fd in and stdout on fd out, its output capped at max_out bytes
 * (0: no cap) and stderr on /dev/null.  Returns its pid (the caller
 * reaps it) or -1 after error().
 */
extern pid_t initramfs_filter_spawn (const char *const *argv, int in, int out,
                                     uint64_t max_out);
/* Where the compressed part of an initramfs starts (*offset) and the
 * host tool that decompresses it (*tool, static); with no compressed
 * part, *offset is the end of its archives and *tool NULL.  Returns 0
 * or -1 after error().
 */
extern int initramfs_split (const char *path, uint64_t *offset,
                            const char **tool);
struct fix_params;

/* initramfs-add.c: add modules to_add to kernel k's initramfs on the
 * host: the modules and their dependencies from the guest's
 * /lib/modules, module indexes from the host's depmod (confined),
 * merged into the image's main archive and recompressed with its own
 * compressor, behind its early archives as they were.  load_list, if
 * not NULL, names the image's module-load list ("conf/modules"), which
 * gets a line for each module it lacks.  No guest code runs.  On 1,
 * *files (owned) lists the new image, read from the copy it uploaded
 * (so that it is not downloaded again to be checked).  Returns 1 when
 * done; 0 when the image is not one it can extend, with *why (owned)
 * saying why; -1 after error().
 */
extern int initramfs_add_modules (guestfs_h *g, struct guest_kernel *k,
                                  char *const *to_add, const char *load_list,
                                  char ***files, char **why);
/* initramfs-mode.c: --initramfs auto|append|rebuild for one kernel,
 * whose image the family's tool writes at path initrd; to_add are the
 * target's modules the guest lacks (NULL if none), force says that the
 * resume device changed.  Returns 1 when the image was extended on the
 * host, or left as it is under append (reported either way); 0 when
 * the caller must run the family's tool, *why (owned) saying why for
 * the report (initramfs_rebuilt); -1 after error().
 */
struct initramfs_family {
  const char *tool;             /* "update-initramfs", for messages */
  bool boot_proved;             /* auto appends: the suite boots the result */
  const char *load_list;        /* the image's module-load list, or NULL */
};
/* *why (owned, replacing what it held) from a format, also logged
 * with debug(); 0, or -1 after error().
 */
extern int initramfs_why (char **why, const char *fs, ...)
  __attribute__ ((format (printf, 2, 3)));
extern int initramfs_choose (guestfs_h *g, struct guest_kernel *k,
                             const char *initrd, char *const *to_add,
                             bool force, const struct fix_params *p,
                             const struct initramfs_family *fam,
                             struct report *r, char **why);
/* After the family's tool rebuilt it: the report's initramfs entry. */
extern int initramfs_rebuilt (struct report *r, const struct guest_kernel *k,
                              const char *initrd,
                              const struct initramfs_family *fam,
                              const char *why);
/* initramfs-merge.c: the parts of it that read the guest's bytes.
 * modules_dep_closure: the relative paths (owned) of modules 'mods'
 * and of everything they depend on, by the modules.dep text 'dep'; NULL
 * if one is not in it.  cpio_copy_entries: copy the entries of the newc
 * archive read from fd 'in' (one archive, then only zeros) to fd 'out',
 * except those named in 'drop' and the trailer, and add the names kept
 * to *names (owned); 1 if done, 0 if the input is not of that shape, -1
 * on a write or memory error.  cpio_merge: write to 'merged' the
 * archive main_cpio less the indexes under 'prefix' (names ending in
 * '/', as "usr/lib/modules/V/"), plus the modules 'fresh' and the
 * 'indexes' (relative names) read from directory 'tree', with the
 * directories the archive lacks, and a trailer; 1, 0 or -1 as
 * cpio_copy_entries, after error() on -1; load_list (or NULL) is the
 * image's module-load list, rewritten with a line for each of
 * load_mods it lacks.  initramfs_safe_rel: 'rel'
 * may be used under a directory of ours (printable, not absolute, no
 * "..").
 */
extern char **modules_dep_closure (const char *dep, char *const *mods);
extern int cpio_copy_entries (int in, int out, char *const *drop, char ***names);
extern int cpio_merge (const char *main_cpio, const char *merged,
                       const char *prefix, char *const *fresh,
                       const char *tree, const char *const *indexes,
                       const char *load_list, char *const *load_mods);
extern bool initramfs_safe_rel (const char *rel);
/* cpio_extract: write each regular file of the newc archive at path
 * cpio whose name is prefix + one of rels to tree/REL (the directories
 * must exist; nothing is overwritten or followed), and list the rels
 * written in *got (owned).  Returns how many, or -1 after error().
 */
extern int cpio_extract (const char *cpio, const char *prefix,
                         char *const *rels, const char *tree, char ***got);
/* Is s in the NULL-terminated list l (NULL: empty)? */
extern bool string_list_has (char *const *l, const char *s);
/* Does the kernel provide module 'mod' in its initrd or built in? */
extern bool kernel_has_module (const struct guest_kernel *k, const char *mod);

/* --mac MAC:ip:... : a static address for the NIC that had MAC. */
struct mac_ip {
  char *mac;                    /* lowercase (owned) */
  struct static_ip ip;          /* owned: static_ip_free */
};

/* Fix modules: one per OS family. */
/* --initramfs: how the target's modules get into the initramfs. */
enum initramfs_mode {
  INITRAMFS_AUTO,               /* append where boot-proved, else rebuild */
  INITRAMFS_APPEND,             /* on the host; no guest code runs */
  INITRAMFS_REBUILD,            /* the guest's own tool, in the appliance */
};

struct fix_params {
  const struct target *target;
  bool dry_run;
  enum initramfs_mode initramfs;
  size_t nr_nics;               /* target NICs */
  const struct source_nic *nics; /* the source's NICs, nr_nics of them */
  const struct mac_ip *mac_ips; /* --mac ...:ip:..., nr_mac_ips of them */
  size_t nr_mac_ips;
  const char *inject_dir;       /* --inject-package DIR or NULL */
  bool kernel_nic_names;        /* the guest has no udev renaming: eth0 ... */
};

/* Time one step of a fix, so that steps still chain with ||: r is the
 * step's result, returned; "phase fix NAME: S s" since *t goes to the
 * debug log, and *t becomes now.
 */
static inline int
phase_step (double *t, const char *name, int r)
{
  double now = now_seconds ();
  debug ("phase fix %s: %.2f s", name, now - *t);
  *t = now;
  return r;
}

/* The family's package tool: remove and install argv (without file
 * names), and the package files' extension (".deb").
 */
struct pkg_tool {
  const char *const *remove;
  const char *const *install;
  const char *ext;
};
/* fix-common.c: the steps every family takes before its initramfs, in
 * order (devices, swap, cmdline, network, tools, inject, cloud-init,
 * uefi), each timed by phase_step from *t.  *force says whether the
 * initramfs must be rebuilt for the resume device.  0 or -1 after
 * error().
 */
extern int fix_shared_steps (guestfs_h *g, struct guest *gu,
                             const struct fix_params *p, struct report *r,
                             const struct pkg_tool *pt, double *t, bool *force);

struct fix_ops {
  /* Family name for messages ("debian"). */
  const char *name;
  /* Does this module handle the inspected guest? */
  bool (*matches) (const struct guest *gu);
  /* Plan and (unless dry_run) apply the fixes, recording every change
   * in r.  Returns 0 or -1 after error().
   */
  int (*fix) (guestfs_h *g, struct guest *gu, const struct fix_params *p,
              struct report *r);
};

extern const struct fix_ops *fix_lookup (const struct guest *gu);

/* Steps every family shares (guestfix/fix-common.c, fix-net.c,
 * fix-cloud.c).  Each returns 0 or -1 after error(), and records what
 * it changes (or would change, with dry_run) in r.
 */
/* Device names -> UUID in fstab, bootloader configs and the resume
 * config; *resume_changed tells whether the initramfs must be rebuilt
 * for it.  On targets with stable_refs_only, a device name that cannot
 * be mapped is an error.
 */
extern int fix_devices (guestfs_h *g, struct guest *gu,
                        const struct fix_params *p, struct report *r,
                        bool *resume_changed);
/* The target's kernel arguments on every bootloader config. */
extern int fix_cmdline (guestfs_h *g, struct guest *gu,
                        const struct fix_params *p, struct report *r);
/* No swap on the OS disk (targets with no_os_swap).  Returns 1 if swap
 * was removed (the initramfs' resume device must go too), 0 if not.
 */
extern int fix_swap (guestfs_h *g, struct guest *gu,
                     const struct fix_params *p, struct report *r);
/* Network configs moved to the target's NICs; --mac static addresses. */
extern int fix_network (guestfs_h *g, struct guest *gu,
                        const struct fix_params *p, struct report *r);
/* cloud-init re-enabled with the target's datasource. */
extern int fix_cloudinit (guestfs_h *g, struct guest *gu,
                          const struct fix_params *p, struct report *r);
/* fix-nicnames.c: the guest's NIC naming rules as files, .link files or
 * udev rules files.
 */
struct namefiles {
  struct name_file *f;          /* path and current text (both owned) */
  char **before;                /* the text as read (owned), NULL if masked */
  size_t nr;
};
/* Read the .link files of /etc/systemd/network and /usr/local/lib, /usr/lib
 * and /lib/systemd/network, and the udev rules of the same places (of
 * the package directories only the files whose names say "net" or
 * "biosdev"; the others count for their names only).  Returns 0, or -1
 * after error().
 */
extern int namefiles_read (guestfs_h *g, struct namefiles *links,
                           struct namefiles *rules);
/* Rewrite, in memory, the files under dir with rewrite_link_file (link)
 * or rewrite_udev_rules.  Returns 0, or -1 with errno ENOMEM.
 */
extern int namefiles_move (struct namefiles *nf, const char *dir,
                           const struct nicmap *map,
                           const struct nic_props *props, size_t nr, bool link);
/* Write (unless dry_run) and record the files that changed. */
extern int namefiles_write (guestfs_h *g, struct report *r, bool dry_run,
                            const struct namefiles *nf, const char *reason);
extern void namefiles_free (struct namefiles *nf);

/* Target NIC i as the guest's udev will see it, with the storage for its
 * strings: the kernel's ethN, the PCI slot of a target whose names are
 * "ens" (nic_first_slot + i on bus 0), its driver from the target's
 * modules, and mac when the target keeps the source's MACs.
 */
struct target_nic {
  char kernel[24], path[32], pci[24], slot[24], pathname[24];
  struct nic_props props;
};
extern void target_nic_props (const struct target *t, size_t i,
                              const char *mac, struct target_nic *tn);
/* Does the target keep the source's MACs (kvm: the libvirt XML carries
 * them), rather than give its NICs new ones (the clouds)?
 */
extern bool target_keeps_macs (const struct target *t);

/* The files that may hold cloud-init's own network config (cloud.cfg,
 * cloud.cfg.d/NAME.cfg, seed/SOURCE/network-config): a NULL terminated
 * list (owned), or NULL after error().
 */
extern char **cloudinit_network_files (guestfs_h *g);
/* UEFI guests: EFI/BOOT/BOOTX64.EFI when it is missing. */
extern int fix_uefi_fallback (guestfs_h *g, struct guest *gu,
                              const struct fix_params *p, struct report *r);
/* Whether package NAME is a hypervisor's guest tools (VMware,
 * VirtualBox, and Hyper-V unless keep_hyperv).
 */
extern bool hypervisor_tool_package (const char *name, bool keep_hyperv);
/* The old hypervisors' tools.  remove_argv is the family's package
 * removal command without package names ({"rpm", "-e", NULL}).
 */
extern int remove_tools (guestfs_h *g, struct guest *gu,
                         const struct fix_params *p, struct report *r,
                         const char *const *remove_argv);
/* --inject-package: install_argv is the family's local install
 * command without file names ({"rpm", "-Uvh", NULL}); ext ".rpm".
 */
extern int inject_packages (guestfs_h *g, const struct fix_params *p,
                            struct report *r, const char *ext,
                            const char *const *install_argv);

/* Which kernels need a new initramfs, and which of the target's
 * modules must be added.  need[i] is set for kernel i (at most 64);
 * *to_add (owned) lists the missing modules.  A kernel that does not
 * have one of them at all is an error naming it.  force rebuilds every
 * kernel that has an initramfs.  Returns 1 if anything needs doing, 0
 * if not, -1 after error().
 */
extern int initramfs_plan (guestfs_h *g, const struct guest *gu,
                           const struct fix_params *p, bool force,
                           bool need[64], char ***to_add);
/* After a rebuild: read back kernel k's initramfs (path) and check
 * that it holds every module of the target.
 */
extern int initramfs_verify (guestfs_h *g, struct guest_kernel *k,
                             const char *path, const struct fix_params *p,
                             const char *tool);
/* The same for an image already listed on the host: files (owned,
 * NULL after an error) are the names in the new image at path.
 */
extern int initramfs_check (struct guest_kernel *k, const char *path,
                            char **files, const struct fix_params *p,
                            const char *tool);
/* "add virtio_blk virtio_net" for the report (owned). */
extern char *initramfs_reason (const struct guest_kernel *k, char **to_add);
/* Append lines to a guest config file (created if missing) unless every
 * one is already there; records the change.
 */
extern int gfile_append_lines (guestfs_h *g, struct report *r, bool dry_run,
                               const char *path, const char *const *lines,
                               const char *reason);
/* Is path a file (symlinks followed) in the guest? */
extern bool guest_has_file (guestfs_h *g, const char *path);

/* fix-rhel.c, shared with fix-suse.c. */
/* Is the guest one of ids (libguestfs distro, os-release ID or ID_LIKE)? */
extern bool os_like (const struct guest *gu, const char *const *ids);
/* Rebuild the initramfs with dracut; initrd_fmt names it from the
 * kernel version: PREFIX VERSION SUFFIX ("/boot/initramfs-", ".img").
 */
extern int dracut_initramfs (guestfs_h *g, struct guest *gu,
                             const struct fix_params *p, struct report *r,
                             bool force, const char *initrd_prefix,
                  const char *initrd_suffix);
/* Fill gu->packages from the guest's rpm if inspection found none. */
extern int rpm_packages (guestfs_h *g, struct guest *gu);

/* Guest file helpers (guestfix/gfile.c). */
/* Read a guest file, NULL (no error) if it does not exist. */
extern char *gfile_read (guestfs_h *g, const char *path, bool *exists);
/* Write content to a guest file unless dry_run, and record it. */
extern int gfile_update (guestfs_h *g, struct report *r, bool dry_run,
                         const char *path, const char *before,
                         const char *after, const char *reason);
/* Run a command in the guest (chroot); stdout (owned) or NULL after
 * error() naming what failed with the command's last output line.
 */
extern char *grun (guestfs_h *g, const char *what, const char *const *argv);

#endif /* FERRY_GUESTFIX_H */
