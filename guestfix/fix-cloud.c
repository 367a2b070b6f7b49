/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: what ties the guest to its old platform or keeps it from
 * joining the new one: the old hypervisors' tools, cloud-init's state
 * and datasource, and packages the user wants installed offline.
 */

#include <config.h>

#include <dirent.h>
#include <string.h>

#include "guestfix.h"

/* ---------------------------------------------------------------- */
/* cloud-init. */

/* Files installers drop to switch cloud-init off after installation. */
static const char *const ci_disablers[] = {
  "/etc/cloud/cloud-init.disabled",
  "/etc/cloud/cloud.cfg.d/99-installer.cfg",
  "/etc/cloud/cloud.cfg.d/subiquity-disable-cloudinit-networking.cfg",
  NULL
};

int
fix_cloudinit (guestfs_h *g, struct guest *gu, const struct fix_params *p,
               struct report *r)
{
  const struct target *t = p->target;
  struct sbuf b = SBUF_INIT;
  CLEANUP_FREE char *cfg = NULL, *path = NULL;
  bool exists;
  CLEANUP_FREE char *before = NULL;

  (void) gu;
  if (t->datasources == NULL)
    return 0;                   /* plain KVM: no metadata service */
  if (!guest_has_file (g, "/etc/cloud/cloud.cfg")) {
    if (strcmp (t->name, "azure") == 0 &&
        (guest_has_file (g, "/usr/sbin/waagent") ||
         guest_has_file (g, "/usr/bin/waagent")))
      return report_warning (r, "cloud-init is not installed; the guest has "
                             "WALinuxAgent, which provisions it on Azure");
    return report_warning (r, "cloud-init is not installed in the guest: on "
                           "%s it will not get its hostname, SSH keys or "
                           "user data (install it with --inject-package DIR)",
                           t->name);
  }

  for (size_t i = 0; ci_disablers[i]; i++) {
    bool there;
    CLEANUP_FREE char *text = gfile_read (g, ci_disablers[i], &there);
    if (!there)
      continue;
    if (text == NULL)
      return -1;
    if (gfile_update (g, r, p->dry_run, ci_disablers[i], text,
                      NULL, "it keeps cloud-init from running") == -1)
      return -1;
  }

  sbuf_printf (&b, "# Written by ferry for the %s target.\ndatasource_list: [", t->name);
  for (size_t i = 0; t->datasources[i]; i++)
    sbuf_printf (&b, "%s %s", i ? "," : "", t->datasources[i]);
  sbuf_puts (&b, " ]\n");
  cfg = sbuf_take (&b);
  if (cfg == NULL ||
      asprintf (&path, "/etc/cloud/cloud.cfg.d/90-ferry-datasource.cfg") == -1) {
    error ("configure cloud-init: %m");
    return -1;
  }
  before = gfile_read (g, path, &exists);
  if (before == NULL && exists)
    return -1;
  if (gfile_update (g, r, p->dry_run, path, before, cfg,
                    "cloud-init looks only for the target's datasource") == -1)
    return -1;

  /* Its record of the old instance: without this it thinks it has
   * already run and skips the per-instance modules.
   */
  if (guestfs_is_dir (g, "/var/lib/cloud/instances") > 0 ||
      guestfs_exists (g, "/var/lib/cloud/instance") > 0) {
    static const char *const state[] = {
      "/var/lib/cloud/instance", "/var/lib/cloud/instances",
      "/var/lib/cloud/data", "/var/lib/cloud/sem", NULL
    };
    if (!p->dry_run)
      for (size_t i = 0; state[i]; i++)
        if (guestfs_rm_rf (g, state[i]) == -1) {
          error ("clean cloud-init's state: %s", guestfs_last_error (g));
          return -1;
        }
    if (report_action (r, "/var/lib/cloud/instances", "removed",
                       "cloud-init runs as on a new instance") == -1)
      return -1;
  }
  return 0;
}

/* cloud-init's own network configuration, which wins over the
 * datasource's: a "network:" key in cloud.cfg or cloud.cfg.d/\*.cfg,
 * and the NoCloud seeds' network-config.  Version 2 is netplan's
 * format, so fix_network rewrites these files with the netplan files.
 */
char **
cloudinit_network_files (guestfs_h *g)
{
  static const char *const dirs[] = { "/etc/cloud/cloud.cfg.d", "/var/lib/cloud/seed", NULL };
  char **list = NULL;

  if (guest_has_file (g, "/etc/cloud/cloud.cfg") &&
      string_list_push (&list, "/etc/cloud/cloud.cfg") == -1)
    goto nomem;
  for (size_t d = 0; dirs[d]; d++) {
    CLEANUP_STRING_LIST char **names = NULL;
    if (guestfs_is_dir (g, dirs[d]) <= 0)
      continue;
    names = guestfs_ls (g, dirs[d]);
    for (size_t i = 0; names && names[i]; i++) {
      CLEANUP_FREE char *path = NULL;
      size_t n = strlen (names[i]);
      /* cloud.cfg.d/NAME.cfg, or seed/SOURCE/network-config */
      if (d == 0 ? (n <= 4 || strcmp (names[i] + n - 4, ".cfg") != 0 ||
                    asprintf (&path, "%s/%s", dirs[d], names[i]) == -1)
          : asprintf (&path, "%s/%s/network-config", dirs[d], names[i]) == -1) {
        path = NULL;
        continue;
      }
      if (guest_has_file (g, path) && string_list_push (&list, path) == -1)
        goto nomem;
    }
  }
  if (list == NULL && (list = calloc (1, sizeof *list)) == NULL)
    goto nomem;
  return list;
 nomem:
  error ("list cloud-init's network config: %m");
  free_string_list (list);
  return NULL;
}

/* ---------------------------------------------------------------- */
/* The old hypervisors' tools. */

static bool
prefixed (const char *s, const char *const *prefixes)
{
  for (size_t i = 0; prefixes[i]; i++)
    if (strncmp (s, prefixes[i], strlen (prefixes[i])) == 0)
      return true;
  return false;
}

static const char *const vmware_pkgs[] = {
  "open-vm-tools", "vmware-tools", NULL
};
static const char *const hyperv_pkgs[] = {
  "hyperv-daemons", "hypervkvpd", "hypervvssd", "hypervfcopyd", "hyper-v", NULL
};
static const char *const vbox_pkgs[] = {
  "virtualbox-guest-", "VBoxGuestAdditions", NULL
};

bool
hypervisor_tool_package (const char *name, bool keep_hyperv)
{
  return prefixed (name, vmware_pkgs) || prefixed (name, vbox_pkgs) ||
    (!keep_hyperv && prefixed (name, hyperv_pkgs));
}

/* Repository definitions that would reinstall VMware's tools. */
static int
remove_repos (guestfs_h *g, const struct fix_params *p, struct report *r)
{
  static const char *const dirs[] = {
    "/etc/yum.repos.d", "/etc/zypp/repos.d", "/etc/apt/sources.list.d", NULL
  };

  for (size_t d = 0; dirs[d]; d++) {
    CLEANUP_STRING_LIST char **files = NULL;
    if (guestfs_is_dir (g, dirs[d]) <= 0)
      continue;
    files = guestfs_ls (g, dirs[d]);
    for (size_t i = 0; files && files[i]; i++) {
      CLEANUP_FREE char *path = NULL, *text = NULL;
      bool exists;
      if (strstr (files[i], "vmware") == NULL ||
          asprintf (&path, "%s/%s", dirs[d], files[i]) == -1)
        continue;
      text = gfile_read (g, path, &exists);
      if (text && gfile_update (g, r, p->dry_run, path, text, NULL,
                                "VMware tools repository") == -1)
        return -1;
    }
  }
  return 0;
}

/* Tools installed from a tarball, with their own uninstallers. */
static int
run_uninstallers (guestfs_h *g, const struct fix_params *p, struct report *r)
{
  static const char *const fixed[] = { "/usr/bin/vmware-uninstall-tools.pl", NULL };
  CLEANUP_STRING_LIST char **found = NULL;
  CLEANUP_STRING_LIST char **opt = NULL;

  for (size_t i = 0; fixed[i]; i++)
    if (guest_has_file (g, fixed[i]))
      string_list_push (&found, fixed[i]);
  if (guestfs_is_dir (g, "/opt") > 0)
    opt = guestfs_ls (g, "/opt");
  for (size_t i = 0; opt && opt[i]; i++) {
    CLEANUP_FREE char *u = NULL;
    if (strncmp (opt[i], "VBoxGuestAdditions", 18) == 0 &&
        asprintf (&u, "/opt/%s/uninstall.sh", opt[i]) > 0 && guest_has_file (g, u))
      string_list_push (&found, u);
  }
  for (size_t i = 0; found && found[i]; i++) {
    const char *argv[] = { found[i], NULL };
    CLEANUP_FREE char *out = NULL, *what = NULL;
    if (!p->dry_run) {
      if (asprintf (&what, "run %s", found[i]) == -1) {
        error ("remove the old hypervisor's tools: %m");
        return -1;
      }
      out = grun (g, what, argv);
      if (out == NULL) {
        report_warning (r, "could not uninstall tools: %s", last_error ());
        continue;
      }
    }
    if (report_action (r, found[i], "ran", "tarball-installed tools of the old "
                       "hypervisor") == -1)
      return -1;
  }
  return 0;
}

int
remove_tools (guestfs_h *g, struct guest *gu, const struct fix_params *p,
              struct report *r, const char *const *remove_argv)
{
  const char **argv;
  size_t n = 0, k = 0, first;
  CLEANUP_FREE char *out = NULL;

  if (run_uninstallers (g, p, r) == -1 || remove_repos (g, p, r) == -1)
    return -1;
  for (size_t i = 0; gu->packages && gu->packages[i]; i++)
    n++;
  argv = calloc (n + 8, sizeof *argv);
  if (argv == NULL) {
    error ("remove the old hypervisor's tools: %m");
    return -1;
  }
  for (size_t i = 0; remove_argv[i]; i++)
    argv[k++] = remove_argv[i];
  first = k;
  for (size_t i = 0; gu->packages && gu->packages[i]; i++) {
    const char *pkg = gu->packages[i];
    if (hypervisor_tool_package (pkg, p->target->keeps_hyperv_tools))
      argv[k++] = pkg;
  }
  argv[k] = NULL;
  if (k == first) {
    free (argv);
    return 0;
  }
  if (!p->dry_run) {
    CLEANUP_FREE char *what = NULL;
    if (asprintf (&what, "remove the old hypervisor's tools with %s",
                  remove_argv[0][0] == '/' && remove_argv[1] && strchr (remove_argv[1], '=')
                  ? remove_argv[2] : remove_argv[0]) == -1) {
      error ("remove the old hypervisor's tools: %m");
      free (argv);
      return -1;
    }
    out = grun (g, what, argv);
    if (out == NULL) {
      /* The guest still boots with them installed: warn, don't fail. */
      report_warning (r, "could not remove the old hypervisor's tools: %s",
                      last_error ());
      free (argv);
      return 0;
    }
  }
  for (size_t i = first; i < k; i++)
    string_list_push (&r->packages_removed, argv[i]);
  free (argv);
  return 0;
}

/* ---------------------------------------------------------------- */
/* --inject-package DIR: local packages installed offline. */

int
inject_packages (guestfs_h *g, const struct fix_params *p, struct report *r,
                 const char *ext, const char *const *install_argv)
{
  CLEANUP_STRING_LIST char **pkgs = NULL;
  CLEANUP_STRING_LIST char **guest_paths = NULL;
  DIR *dir;
  struct dirent *de;
  const char **argv = NULL;
  size_t k = 0;
  int ret = -1;

  if (p->inject_dir == NULL)
    return 0;
  dir = opendir (p->inject_dir);
  if (dir == NULL) {
    error ("--inject-package \"%s\": %m", p->inject_dir);
    return -1;
  }
  while ((de = readdir (dir)) != NULL) {
    size_t n = strlen (de->d_name), e = strlen (ext);
    if (n > e && strcmp (de->d_name + n - e, ext) == 0)
      string_list_push (&pkgs, de->d_name);
  }
  closedir (dir);
  if (pkgs == NULL) {
    error ("--inject-package \"%s\": no %s files in it (this guest installs "
           "%s packages)", p->inject_dir, ext, ext + 1);
    return -1;
  }
  argv = calloc (string_list_len (pkgs) + 8, sizeof *argv);
  if (argv == NULL)
    goto nomem;
  for (size_t i = 0; install_argv[i]; i++)
    argv[k++] = install_argv[i];
  if (!p->dry_run && guestfs_mkdir_p (g, "/var/tmp/ferry-inject") == -1) {
    error ("--inject-package: %s", guestfs_last_error (g));
    goto out;
  }
  for (size_t i = 0; pkgs[i]; i++) {
    CLEANUP_FREE char *local = NULL, *gp = NULL;
    if (asprintf (&local, "%s/%s", p->inject_dir, pkgs[i]) == -1 ||
        asprintf (&gp, "/var/tmp/ferry-inject/%s", pkgs[i]) == -1)
      goto nomem;
    if (!p->dry_run && guestfs_upload (g, local, gp) == -1) {
      error ("--inject-package: copy \"%s\" into the guest: %s", local,
             guestfs_last_error (g));
      goto out;
    }
    string_list_push (&guest_paths, gp);
  }
  for (size_t i = 0; guest_paths && guest_paths[i]; i++)
    argv[k++] = guest_paths[i];
  argv[k] = NULL;
  if (!p->dry_run) {
    CLEANUP_FREE char *o = grun (g, "--inject-package: install the packages", argv);
    guestfs_rm_rf (g, "/var/tmp/ferry-inject");
    if (o == NULL)
      goto out;
  }
  for (size_t i = 0; pkgs[i]; i++)
    if (report_action (r, pkgs[i], "installed", "--inject-package") == -1)
      goto out;
  ret = 0;
  goto out;
 nomem:
  error ("--inject-package: %m");
 out:
  free (argv);
  return ret;
}
