/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit test for the target data (guestfix/targets.c, data/drivers/):
 * every shipped file loads and holds exactly what the C tables held
 * before they became data; FERRY_DATADIR is honoured; malformed files,
 * and a missing one, fail with one line naming the file.
 *
 * targets.c is included to reach its static loader.  The data
 * directory is $FERRY_DATADIR (set by TESTS_ENVIRONMENT), else
 * $abs_top_srcdir/data, else ./data.
 */

#include <config.h>

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "targets.c"
#include "unittest.h"

/* fix_lookup() is in targets.c: stand-ins for the family modules. */
static bool
matches_none (const struct guest *gu)
{
  return false;
}

static bool
matches_all (const struct guest *gu)
{
  return true;
}

const struct fix_ops debian_fix_ops = { .name = "debian", .matches = matches_none };
const struct fix_ops rhel_fix_ops = { .name = "rhel", .matches = matches_all };
const struct fix_ops suse_fix_ops = { .name = "suse", .matches = matches_all };
const struct fix_ops alpine_fix_ops = { .name = "alpine", .matches = matches_all };

/* The tables of targets.c before the data files, copied verbatim. */
static const char *const virtio_modules[] = {
  "virtio_pci", "virtio_blk", "virtio_scsi", "virtio_net", NULL
};
static const char *const aws_modules[] = { "nvme", "ena", NULL };
static const char *const azure_modules[] = {
  "hv_vmbus", "hv_storvsc", "hv_netvsc", "hv_utils", NULL
};
static const char *const openstack_cmdline[] = { "console=ttyS0", NULL };
static const char *const aws_cmdline[] = {
  "console=ttyS0,115200n8", "nvme_core.io_timeout=4294967295", NULL
};
static const char *const azure_cmdline[] = {
  "rootdelay=300", "console=ttyS0,115200n8", "earlyprintk=ttyS0", NULL
};
static const char *const ds_openstack[] = { "ConfigDrive", "OpenStack", "None", NULL };
static const char *const ds_aws[] = { "Ec2", "None", NULL };
static const char *const ds_azure[] = { "Azure", "None", NULL };

static const struct target old_targets[] = {
  { .name = "kvm", .initramfs_modules = virtio_modules,
    .nic_prefix = "ens", .nic_first_slot = 3 },
  { .name = "openstack", .initramfs_modules = virtio_modules,
    .nic_prefix = "ens", .nic_first_slot = 3,
    .cmdline_add = openstack_cmdline, .datasources = ds_openstack },
  { .name = "aws", .initramfs_modules = aws_modules,
    .nic_prefix = "ens", .nic_first_slot = 5,
    .cmdline_add = aws_cmdline, .datasources = ds_aws,
    .stable_refs_only = true },
  { .name = "azure", .initramfs_modules = azure_modules,
    .nic_prefix = "eth", .nic_first_slot = 0,
    .cmdline_add = azure_cmdline, .datasources = ds_azure,
    .stable_refs_only = true, .no_os_swap = true,
    .keeps_hyperv_tools = true },
};
#define NR_OLD (sizeof old_targets / sizeof old_targets[0])

/* Both NULL, or the same strings in the same order. */
static bool
same_list (const char *const *a, const char *const *b)
{
  size_t i;

  if (a == NULL || b == NULL)
    return a == b;
  for (i = 0; a[i] && b[i]; i++)
    if (strcmp (a[i], b[i]) != 0)
      return false;
  return a[i] == NULL && b[i] == NULL;
}

static void
check_same (const struct target *t, const struct target *want)
{
  char what[128];

#define SAME(cond, field) do {                                          \
    snprintf (what, sizeof what, "%s: %s", want->name, field);          \
    CHECK (cond, what);                                                 \
  } while (0)
  SAME (t != NULL, "loaded");
  if (t == NULL)
    return;
  SAME (streq (t->name, want->name), "name");
  SAME (same_list (t->initramfs_modules, want->initramfs_modules),
        "initramfs_modules");
  SAME (streq (t->nic_prefix, want->nic_prefix), "nic_prefix");
  SAME (t->nic_first_slot == want->nic_first_slot, "nic_first_slot");
  SAME (same_list (t->cmdline_add, want->cmdline_add), "cmdline_add");
  SAME (same_list (t->datasources, want->datasources), "datasources");
  SAME (t->stable_refs_only == want->stable_refs_only, "stable_refs_only");
  SAME (t->no_os_swap == want->no_os_swap, "no_os_swap");
  SAME (t->keeps_hyperv_tools == want->keeps_hyperv_tools, "keeps_hyperv_tools");
#undef SAME
}

/* The last error is one line that names path and contains fragment. */
static bool
error_says (const char *path, const char *fragment)
{
  const char *e = last_error ();

  return e && strstr (e, path) && strstr (e, fragment) && !strchr (e, '\n');
}

static char tmpdir[] = "/tmp/ferry-test-targets.XXXXXX";
static char drivers[sizeof tmpdir + 16], kvm_json[sizeof drivers + 16];

static void
write_kvm (const char *text)
{
  FILE *fp = fopen (kvm_json, "w");

  if (fp == NULL || fputs (text, fp) == EOF || fclose (fp) == EOF) {
    perror (kvm_json);
    exit (1);
  }
}

/* A valid kvm.json with the first occurrence of 'from' replaced by
 * 'to' must be refused with an error containing 'fragment'.
 */
static const char good_kvm[] =
  "{\n"
  "  \"name\": \"kvm\",\n"
  "  \"notes\": [\"a comment\"],\n"
  "  \"initramfs_modules\": [\"virtio_pci\", \"virtio_blk\"],\n"
  "  \"nic_prefix\": \"ens\",\n"
  "  \"nic_first_slot\": 3,\n"
  "  \"kernel_args\": null,\n"
  "  \"cloud_init_datasources\": null,\n"
  "  \"stable_refs_only\": false,\n"
  "  \"no_os_swap\": false,\n"
  "  \"keeps_hyperv_tools\": false\n"
  "}\n";

/* kvm.json holding text must be refused with one line naming it and
 * containing fragment.
 */
static void
refused_text (const char *text, const char *fragment)
{
  struct target t;
  char what[512];
  int r;

  write_kvm (text);
  r = target_load (tmpdir, "$FERRY_DATADIR", "kvm", &t);
  snprintf (what, sizeof what, "refused, with '%s'", fragment);
  CHECK (r == -1, what);
  snprintf (what, sizeof what, "one line naming kvm.json with '%s'", fragment);
  CHECK (r == -1 && error_says (kvm_json, fragment), what);
  CHECK (t.name == NULL && t.initramfs_modules == NULL && t.nic_prefix == NULL,
         "nothing kept on error");
  if (r == 0)
    target_free (&t);
}

static void
refused (const char *from, const char *to, const char *fragment)
{
  const char *at = strstr (good_kvm, from);
  struct sbuf b = SBUF_INIT;

  if (at == NULL) {
    fprintf (stderr, "test bug: no '%s' in the template\n", from);
    exit (1);
  }
  sbuf_add (&b, good_kvm, at - good_kvm);
  sbuf_puts (&b, to);
  sbuf_puts (&b, at + strlen (from));
  refused_text (b.s, fragment);
  sbuf_free (&b);
}

int
main (void)
{
  const char *dir = getenv ("FERRY_DATADIR"), *src = getenv ("abs_top_srcdir");
  CLEANUP_FREE char *srcdata = NULL;
  struct target all[NR_TARGETS], t;
  const struct target *kvm;
  struct guest gu;

  if (dir == NULL || *dir == '\0') {
    if (asprintf (&srcdata, "%s/data", src && *src ? src : ".") == -1)
      exit (1);
    dir = srcdata;
    setenv ("FERRY_DATADIR", dir, 1);
  }

  /* Every shipped file: exactly the old tables, in the old order. */
  CHECK (NR_TARGETS == NR_OLD, "as many targets as before");
  CHECK (targets_load_all (dir, "$FERRY_DATADIR", all) == 0,
         "load every data file");
  for (size_t i = 0; i < NR_OLD; i++) {
    CHECK (streq (target_list[i], old_targets[i].name), "target order");
    check_same (&all[i], &old_targets[i]);
  }
  for (size_t i = 0; i < NR_TARGETS; i++)
    target_free (&all[i]);

  /* The public interface, through $FERRY_DATADIR. */
  CHECK (target_lookup ("nope") == NULL, "unknown target");
  CHECK (!have_loaded, "an unknown target reads no data");
  for (size_t i = 0; i < NR_OLD; i++)
    check_same (target_lookup (old_targets[i].name), &old_targets[i]);
  kvm = target_lookup ("kvm");
  setenv ("FERRY_DATADIR", "/nonexistent", 1);
  CHECK (target_lookup ("kvm") == kvm, "read once per run");
  CHECK (streq (target_names (), "kvm, openstack, aws, azure"), "target_names");
  memset (&gu, 0, sizeof gu);
  CHECK (fix_lookup (&gu) == &rhel_fix_ops, "fix_lookup: the first that matches");

  /* A missing file says where it looked. */
  CHECK (targets_load_all ("/nonexistent", "$FERRY_DATADIR", all) == -1,
         "missing data directory");
  CHECK (error_says ("/nonexistent/drivers/kvm.json", "$FERRY_DATADIR"),
         "missing: names the file and $FERRY_DATADIR");
  CHECK (error_says ("/nonexistent/drivers/kvm.json", "No such file"),
         "missing: says why");
  {
    const char *origin, *d;
    setenv ("FERRY_DATADIR", "", 1);
    CHECK (!running_uninstalled (), "a test program is not the build tree's ferry");
    d = targets_datadir (&origin);
    CHECK (streq (d, FERRY_DATADIR) && strstr (origin, "FERRY_DATADIR"),
           "empty $FERRY_DATADIR: the built-in directory");
    CHECK (target_load (d, origin, "kvm", &t) == 0 || error_says (d, "set FERRY_DATADIR"),
           "built-in directory: loads once installed, else says how to override");
    if (t.name)
      target_free (&t);
  }

  /* Malformed files. */
  if (mkdtemp (tmpdir) == NULL) {
    perror ("mkdtemp");
    exit (1);
  }
  snprintf (drivers, sizeof drivers, "%s/drivers", tmpdir);
  snprintf (kvm_json, sizeof kvm_json, "%s/kvm.json", drivers);
  if (mkdir (drivers, 0700) == -1) {
    perror (drivers);
    exit (1);
  }

  write_kvm (good_kvm);
  CHECK (target_load (tmpdir, "$FERRY_DATADIR", "kvm", &t) == 0,
         "the malformed cases' template is good");
  CHECK (t.name && t.initramfs_modules && streq (t.initramfs_modules[1], "virtio_blk") &&
         t.initramfs_modules[2] == NULL && t.cmdline_add == NULL &&
         t.datasources == NULL, "template values");
  target_free (&t);

  refused_text ("", "parse JSON");
  refused_text ("[1, 2]\n", "must be an object, not array");
  refused_text ("\"kvm\"\n", "must be an object, not string");
  refused ("\"nic_first_slot\": 3,", "\"nic_first_slot\": 3", "parse JSON");
  refused ("{", "[", "parse JSON");
  refused ("{\n", "[{\n", "parse JSON");
  refused ("  \"name\": \"kvm\",\n", "", "no \"name\"");
  refused ("  \"no_os_swap\": false,\n", "", "no \"no_os_swap\"");
  refused ("\"notes\"", "\"note\"", "unknown key \"note\"");
  refused ("\"name\": \"kvm\",", "\"name\": \"kvm\", \"name\": \"kvm\",",
           "key \"name\" given twice");
  refused ("\"name\": \"kvm\"", "\"name\": \"aws\"", "\"name\" must be \"kvm\"");
  refused ("\"name\": \"kvm\"", "\"name\": 1", "\"name\" must be \"kvm\"");
  refused ("[\"a comment\"]", "\"a comment\"", "\"notes\" must be an array of strings");
  refused ("[\"a comment\"]", "[1]", "\"notes\" must be an array of strings");
  refused ("[\"virtio_pci\", \"virtio_blk\"]", "\"virtio_pci\"",
           "\"initramfs_modules\" must be an array of kernel module names, not string");
  refused ("[\"virtio_pci\", \"virtio_blk\"]", "null",
           "\"initramfs_modules\" must be an array of kernel module names, not null");
  refused ("[\"virtio_pci\", \"virtio_blk\"]", "[]",
           "\"initramfs_modules\" must have 1 to 64 kernel module names, not 0");
  refused ("\"virtio_blk\"]", "\"virtio blk\"]",
           "\"initramfs_modules\" item 2 is not a kernel module name");
  refused ("\"virtio_blk\"]", "\"\"]",
           "\"initramfs_modules\" item 2 is not a kernel module name");
  refused ("\"virtio_blk\"]", "2]",
           "\"initramfs_modules\" item 2 is not a kernel module name");
  {
    struct sbuf many = SBUF_INIT;
    sbuf_puts (&many, "[");
    for (int i = 0; i < 65; i++)
      sbuf_printf (&many, "%s\"m%d\"", i ? ", " : "", i);
    sbuf_puts (&many, "]");
    refused ("[\"virtio_pci\", \"virtio_blk\"]", many.s,
             "must have 1 to 64 kernel module names, not 65");
    sbuf_free (&many);
  }
  refused ("\"ens\"", "\"Ens\"", "\"nic_prefix\" must be 1 to 8 lowercase letters");
  refused ("\"ens\"", "\"\"", "\"nic_prefix\" must be 1 to 8 lowercase letters");
  refused ("\"ens\"", "3", "\"nic_prefix\" must be 1 to 8 lowercase letters");
  refused ("\"nic_first_slot\": 3", "\"nic_first_slot\": \"3\"",
           "\"nic_first_slot\" must be an integer from 0 to 31");
  refused ("\"nic_first_slot\": 3", "\"nic_first_slot\": 3.5",
           "\"nic_first_slot\" must be an integer from 0 to 31");
  refused ("\"nic_first_slot\": 3", "\"nic_first_slot\": -1",
           "\"nic_first_slot\" must be an integer from 0 to 31");
  refused ("\"nic_first_slot\": 3", "\"nic_first_slot\": 32",
           "\"nic_first_slot\" must be an integer from 0 to 31");
  refused ("\"kernel_args\": null", "\"kernel_args\": []",
           "\"kernel_args\" must have 1 to 32 kernel arguments, not 0 (null for none)");
  refused ("\"kernel_args\": null", "\"kernel_args\": \"console=ttyS0\"",
           "\"kernel_args\" must be null or an array of kernel arguments, not string");
  refused ("\"kernel_args\": null", "\"kernel_args\": [\"a=\\\"b\\\"\"]",
           "\"kernel_args\" item 1 is not a kernel argument");
  refused ("\"cloud_init_datasources\": null",
           "\"cloud_init_datasources\": [\"Ec2\", \"No ne\"]",
           "\"cloud_init_datasources\" item 2 is not a cloud-init datasource name");
  refused ("\"cloud_init_datasources\": null", "\"cloud_init_datasources\": {}",
           "\"cloud_init_datasources\" must be null or an array of cloud-init "
           "datasource names, not object");
  refused ("\"stable_refs_only\": false", "\"stable_refs_only\": \"false\"",
           "\"stable_refs_only\" must be true or false, not string");
  refused ("\"keeps_hyperv_tools\": false", "\"keeps_hyperv_tools\": 0",
           "\"keeps_hyperv_tools\" must be true or false, not number");

  /* One bad file of four: nothing is loaded. */
  unlink (kvm_json);
  CHECK (targets_load_all (tmpdir, "$FERRY_DATADIR", all) == -1,
         "a directory without kvm.json");
  CHECK (error_says (kvm_json, "No such file"), "missing kvm.json: names it");

  rmdir (drivers);
  rmdir (tmpdir);
  printf ("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
