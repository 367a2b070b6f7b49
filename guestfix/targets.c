/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: targets and the registry of fix modules.
 *
 * What each target needs from the guest is data, one JSON file per
 * target: DATADIR/drivers/NAME.json, where DATADIR is $FERRY_DATADIR
 * if set, else the compiled-in FERRY_DATADIR ($(pkgdatadir)), except
 * for the ferry binary of the build tree (FERRY_BUILDDIR/ferry, not
 * installed), which reads the source tree's FERRY_SRCDATADIR.  The
 * files are read once, at the first target_lookup() of a known name,
 * and checked.  Each holds one object with exactly these keys:
 *
 *   "name"                    string: NAME, the file's own name
 *   "notes"                   array of strings (optional): comments
 *   "initramfs_modules"       array of 1 to 64 module names the boot needs
 *   "nic_prefix"              string, lowercase letters: "ens", "eth"
 *   "nic_first_slot"          integer 0 to 31: the PCI slot of the first
 *                             NIC, or the first index for "eth"
 *   "kernel_args"             null or array of kernel arguments to add
 *   "cloud_init_datasources"  null (leave cloud-init's choice) or array
 *                             of datasource names: its datasource_list
 *   "stable_refs_only"        boolean: no /dev/sdX etc. may remain
 *   "no_os_swap"              boolean: no swap on the OS disk
 *   "keeps_hyperv_tools"      boolean: the Hyper-V daemons are wanted
 *
 * An unknown, duplicate or missing key, a wrong type or a value out of
 * range is an error, in one line naming the file.
 */

#include <config.h>

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "guestfix.h"

#if !defined FERRY_DATADIR || !defined FERRY_BUILDDIR || !defined FERRY_SRCDATADIR
#error "FERRY_DATADIR, FERRY_BUILDDIR and FERRY_SRCDATADIR must be defined"
#endif

/* The targets this version's fixes know, in the order of target_names(). */
static const char *const target_list[] = { "kvm", "openstack", "aws", "azure" };
#define NR_TARGETS (sizeof target_list / sizeof target_list[0])

static struct target loaded[NR_TARGETS];
static bool have_loaded;

/* Bigger than that is not one of ours. */
#define MAX_DATA_FILE (64 * 1024)
/* initramfs_plan() and the family fixes keep a bool need[64]. */
#define MAX_MODULES 64

/* Is this program the build tree's, not an installed copy?  That is,
 * is /proc/self/exe in FERRY_BUILDDIR itself?
 */
static bool
running_uninstalled (void)
{
  char exe[PATH_MAX], *slash;
  CLEANUP_FREE char *builddir = NULL;
  ssize_t n = readlink ("/proc/self/exe", exe, sizeof exe - 1);

  if (n <= 0)
    return false;
  exe[n] = '\0';
  slash = strrchr (exe, '/');
  if (slash == NULL)
    return false;
  *slash = '\0';
  builddir = realpath (FERRY_BUILDDIR, NULL);
  return builddir && strcmp (exe, builddir) == 0;
}

/* The data directory and, for messages, where it came from. */
static const char *
targets_datadir (const char **origin)
{
  const char *d = getenv ("FERRY_DATADIR");

  if (d && *d) {
    *origin = "$FERRY_DATADIR";
    return d;
  }
  if (running_uninstalled ()) {
    *origin = "the source tree's data, as ferry runs from its build tree; "
      "set FERRY_DATADIR to use another";
    return FERRY_SRCDATADIR;
  }
  *origin = "the built-in data directory; set FERRY_DATADIR to use another";
  return FERRY_DATADIR;
}

static void
target_free (struct target *t)
{
  free ((char *) t->name);
  free_string_list ((char **) t->initramfs_modules);
  free ((char *) t->nic_prefix);
  free_string_list ((char **) t->cmdline_add);
  free_string_list ((char **) t->datasources);
  memset (t, 0, sizeof *t);
}

/* The whole file (owned, NUL-terminated; *len without the NUL), or
 * NULL after error().
 */
static char *
read_data_file (const char *path, const char *origin, size_t *len)
{
  CLEANUP_FCLOSE FILE *fp = fopen (path, "re");
  char *text;
  size_t n;

  if (fp == NULL) {
    error ("read target data \"%s\": %m (looked in %s)", path, origin);
    return NULL;
  }
  text = malloc (MAX_DATA_FILE + 1);
  if (text == NULL) {
    error ("read target data \"%s\": %m", path);
    return NULL;
  }
  n = fread (text, 1, MAX_DATA_FILE + 1, fp);
  if (ferror (fp)) {
    error ("read target data \"%s\": %m", path);
    free (text);
    return NULL;
  }
  if (n > MAX_DATA_FILE) {
    error ("read target data \"%s\": bigger than %d bytes", path, MAX_DATA_FILE);
    free (text);
    return NULL;
  }
  text[n] = '\0';
  *len = n;
  return text;
}

/* Is s 1 to max bytes of letters, digits and the characters in extra? */
static bool
valid_word (const char *s, const char *extra, size_t max)
{
  size_t n = strlen (s);

  if (n == 0 || n > max)
    return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
          (*s >= '0' && *s <= '9') || strchr (extra, *s) != NULL))
      return false;
  return true;
}

static const char *
type_of (const json_t *v)
{
  return tree_type_name (v);
}

/* The array member 'key' as a NULL-terminated list (owned) in *out:
 * 1 to max words, each valid_word (extra, 64).  With nullable, JSON
 * null gives *out = NULL.  Returns 0, or -1 after error().
 */
static int
word_list (const char *path, const json_t *v, const char *key,
           bool nullable, size_t max, const char *extra, const char *what,
           char ***out)
{
  char **l = NULL;

  *out = NULL;
  if (nullable && json_is_null (v))
    return 0;
  if (!json_is_array (v)) {
    error ("target data \"%s\": \"%s\" must be %san array of %ss, not %s",
           path, key, nullable ? "null or " : "", what, type_of (v));
    return -1;
  }
  if (json_array_size (v) == 0 || json_array_size (v) > max) {
    error ("target data \"%s\": \"%s\" must have 1 to %zu %ss, not %zu%s",
           path, key, max, what, json_array_size (v),
           nullable ? " (null for none)" : "");
    return -1;
  }
  for (size_t i = 0; i < json_array_size (v); i++) {
    const char *it = json_string_value (json_array_get (v, i));
    if (it == NULL || !valid_word (it, extra, 64)) {
      error ("target data \"%s\": \"%s\" item %zu is not a %s (1 to 64 "
             "letters%s digits%s%s%s)", path, key, i + 1, what,
             *extra ? "," : " or", *extra ? " or any of \"" : "", extra,
             *extra ? "\"" : "");
      free_string_list (l);
      return -1;
    }
    if (string_list_push (&l, it) == -1) {
      error ("target data \"%s\": %m", path);
      free_string_list (l);
      return -1;
    }
  }
  *out = l;
  return 0;
}

static const char *const known_keys[] = {
  "name", "notes", "initramfs_modules", "nic_prefix", "nic_first_slot",
  "kernel_args", "cloud_init_datasources", "stable_refs_only",
  "no_os_swap", "keeps_hyperv_tools", NULL
};

/* Check the keys of object o: each known, every one but "notes"
 * present (json_read refused a key given twice).  Returns 0, or -1
 * after error().
 */
static int
check_keys (const char *path, const json_t *o)
{
  const char *key;
  json_t *v;

  json_object_foreach ((json_t *) o, key, v) {
    size_t k;
    for (k = 0; known_keys[k]; k++)
      if (strcmp (key, known_keys[k]) == 0)
        break;
    if (known_keys[k] == NULL) {
      error ("target data \"%s\": unknown key \"%s\"", path, key);
      return -1;
    }
  }
  for (size_t k = 0; known_keys[k]; k++)
    if (strcmp (known_keys[k], "notes") != 0 &&
        json_object_get (o, known_keys[k]) == NULL) {
      error ("target data \"%s\": no \"%s\"", path, known_keys[k]);
      return -1;
    }
  return 0;
}

static int
get_bool (const char *path, const json_t *o, const char *key, bool *out)
{
  const json_t *v = json_object_get (o, key);

  if (!json_is_boolean (v)) {
    error ("target data \"%s\": \"%s\" must be true or false, not %s",
           path, key, type_of (v));
    return -1;
  }
  *out = json_is_true (v);
  return 0;
}

/* Parse and check the data of target 'name' in text[0..len) into *t
 * (its strings owned).  Returns 0, or -1 after error() (*t is then
 * empty).
 */
static int
target_parse (const char *path, const char *name, const char *text,
              size_t len, struct target *t)
{
  json_t *root;
  const json_t *v;
  char **l;
  int64_t slot;
  int ret = -1;

  memset (t, 0, sizeof *t);
  root = json_read (text, len, path, true);
  if (root == NULL)
    return -1;
  if (!json_is_object (root)) {
    error ("target data \"%s\": must be an object, not %s", path, type_of (root));
    goto out;
  }
  if (check_keys (path, root) == -1)
    goto out;

  v = json_object_get (root, "name");
  if (!json_is_string (v) || strcmp (json_string_value (v), name) != 0) {
    error ("target data \"%s\": \"name\" must be \"%s\", the file's name",
           path, name);
    goto out;
  }
  if ((t->name = strdup (name)) == NULL)
    goto oom;

  v = json_object_get (root, "notes");
  if (v) {
    bool ok = json_is_array (v);
    for (size_t i = 0; ok && i < json_array_size (v); i++)
      ok = json_is_string (json_array_get (v, i));
    if (!ok) {
      error ("target data \"%s\": \"notes\" must be an array of strings", path);
      goto out;
    }
  }

  if (word_list (path, json_object_get (root, "initramfs_modules"), "initramfs_modules",
                 false, MAX_MODULES, "_-", "kernel module name", &l) == -1)
    goto out;
  t->initramfs_modules = (const char *const *) l;

  v = json_object_get (root, "nic_prefix");
  if (!json_is_string (v) || !valid_word (json_string_value (v), "", 8) ||
      strspn (json_string_value (v), "abcdefghijklmnopqrstuvwxyz") !=
      strlen (json_string_value (v))) {
    error ("target data \"%s\": \"nic_prefix\" must be 1 to 8 lowercase "
           "letters (\"ens\")", path);
    goto out;
  }
  if ((t->nic_prefix = strdup (json_string_value (v))) == NULL)
    goto oom;

  if (!tree_int (root, "nic_first_slot", &slot) || slot < 0 || slot > 31) {
    error ("target data \"%s\": \"nic_first_slot\" must be an integer from "
           "0 to 31", path);
    goto out;
  }
  t->nic_first_slot = (unsigned) slot;

  if (word_list (path, json_object_get (root, "kernel_args"), "kernel_args", true, 32,
                 "_-.,:=/+@", "kernel argument", &l) == -1)
    goto out;
  t->cmdline_add = (const char *const *) l;

  if (word_list (path, json_object_get (root, "cloud_init_datasources"),
                 "cloud_init_datasources", true, 32, "",
                 "cloud-init datasource name", &l) == -1)
    goto out;
  t->datasources = (const char *const *) l;

  if (get_bool (path, root, "stable_refs_only", &t->stable_refs_only) == -1 ||
      get_bool (path, root, "no_os_swap", &t->no_os_swap) == -1 ||
      get_bool (path, root, "keeps_hyperv_tools", &t->keeps_hyperv_tools) == -1)
    goto out;
  ret = 0;
  goto out;

 oom:
  error ("target data \"%s\": %m", path);
 out:
  json_decref (root);
  if (ret == -1)
    target_free (t);
  return ret;
}

/* Read DIR/drivers/NAME.json into *t.  Returns 0, or -1 after error(). */
static int
target_load (const char *dir, const char *origin, const char *name,
             struct target *t)
{
  CLEANUP_FREE char *path = NULL, *text = NULL;
  size_t len;

  memset (t, 0, sizeof *t);
  if (asprintf (&path, "%s/drivers/%s.json", dir, name) == -1) {
    error ("read target data: %m");
    return -1;
  }
  text = read_data_file (path, origin, &len);
  if (text == NULL)
    return -1;
  return target_parse (path, name, text, len, t);
}

/* Every target's data from DIR into out[NR_TARGETS], or nothing.
 * Returns 0, or -1 after error().
 */
static int
targets_load_all (const char *dir, const char *origin, struct target *out)
{
  struct target tmp[NR_TARGETS];

  for (size_t i = 0; i < NR_TARGETS; i++)
    if (target_load (dir, origin, target_list[i], &tmp[i]) == -1) {
      while (i > 0)
        target_free (&tmp[--i]);
      return -1;
    }
  memcpy (out, tmp, sizeof tmp);
  return 0;
}

const struct target *
target_lookup (const char *name)
{
  size_t i;

  for (i = 0; i < NR_TARGETS; i++)
    if (strcmp (target_list[i], name) == 0)
      break;
  if (i == NR_TARGETS) {
    /* Unknown: no need to read anything. */
    error ("--target \"%s\": unknown target (this version supports: %s)",
           name, target_names ());
    return NULL;
  }
  if (!have_loaded) {
    const char *origin, *dir = targets_datadir (&origin);
    if (targets_load_all (dir, origin, loaded) == -1)
      return NULL;
    have_loaded = true;
  }
  return &loaded[i];
}

const char *
target_names (void)
{
  return "kvm, openstack, aws, azure";
}

extern const struct fix_ops debian_fix_ops, rhel_fix_ops, suse_fix_ops,
  alpine_fix_ops;

static const struct fix_ops *const fixers[] = {
  &debian_fix_ops, &rhel_fix_ops, &suse_fix_ops, &alpine_fix_ops,
};

const struct fix_ops *
fix_lookup (const struct guest *gu)
{
  for (size_t i = 0; i < sizeof fixers / sizeof fixers[0]; i++)
    if (fixers[i]->matches (gu))
      return fixers[i];
  return NULL;
}
