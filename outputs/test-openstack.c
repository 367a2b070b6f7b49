/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: unit tests for the OpenStack credentials of outputs/openstack.c:
 * clouds.yaml as the openstack CLI writes it (anchors and merge keys,
 * flow mappings, directives, tags) and secure.yaml merged over it.
 * No network: os_creds_load only reads files and the environment.
 */

#include <config.h>

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outputs.h"
#include "unittest.h"

static char tmpdir[] = "/tmp/ferry-test-openstack.XXXXXX";
static char home_dir[128], conf_dir[128], work_dir[128];
static char clouds[192], secure[192], other[192];

static void
write_text (const char *path, const char *text)
{
  FILE *fp = fopen (path, "w");

  if (fp == NULL || fputs (text, fp) == EOF || fclose (fp) == EOF) {
    perror (path);
    exit (1);
  }
}

/* The last error is one line and contains a and b. */
static bool
error_says (const char *a, const char *b)
{
  const char *e = last_error ();

  return e && !strchr (e, '\n') && strstr (e, a) && (b == NULL || strstr (e, b));
}

static const char clouds_yaml[] =
  "%YAML 1.1\n"
  "---\n"
  "# a shared auth block, as the openstack CLI's users write it\n"
  "x-auth: &auth\n"
  "  auth_url: https://keystone.example:5000/v3\n"
  "  user_domain_name: Default\n"
  "  username: demo\n"
  "  password: from-clouds\n"
  "clouds:\n"
  "  dev:\n"
  "    auth:\n"
  "      <<: *auth\n"
  "      project_id: !!str 0123\n"
  "    regions: [RegionOne,\n"
  "              RegionTwo]\n"
  "    interface: internal\n"
  "    verify: no\n"
  "  prod:\n"
  "    auth: {<<: *auth,\n"
  "           username: admin}\n"
  "    region_name: RegionTwo\n";

static const char secure_yaml[] =
  "clouds:\n"
  "  dev:\n"
  "    auth:\n"
  "      password: from-secure\n"
  "  prod:\n"
  "    auth:\n"
  "      password: prod-secret\n";

static void
test_merged (void)
{
  struct os_creds c;

  write_text (clouds, clouds_yaml);
  CHECK (os_creds_load ("dev", NULL, &c) == 0, "clouds.yaml alone: loaded");
  CHECK (streq (c.auth_url, "https://keystone.example:5000/v3") &&
         streq (c.username, "demo") && streq (c.password, "from-clouds") &&
         streq (c.user_domain_name, "Default"),
         "the merged auth block");
  CHECK (streq (c.project_id, "0123"), "!!str keeps the leading zero");
  CHECK (streq (c.region, "RegionOne"), "regions over two lines: the first");
  CHECK (streq (c.interface, "internal") && c.insecure, "interface, verify: no");
  CHECK (c.source && strstr (c.source, clouds) && !strstr (c.source, "secure"),
         "the source names clouds.yaml");
  os_creds_free (&c);

  /* secure.yaml in another of the places: the working directory. */
  write_text (secure, secure_yaml);
  CHECK (os_creds_load ("dev", NULL, &c) == 0, "with secure.yaml: loaded");
  CHECK (streq (c.password, "from-secure") && streq (c.username, "demo") &&
         streq (c.project_id, "0123") &&
         streq (c.auth_url, "https://keystone.example:5000/v3"),
         "secure.yaml's value wins, clouds.yaml's others stay");
  CHECK (c.source && strstr (c.source, clouds) && strstr (c.source, "secure.yaml"),
         "the source names both files");
  os_creds_free (&c);
  CHECK (os_creds_load ("prod", NULL, &c) == 0, "prod: loaded");
  CHECK (streq (c.username, "admin") && streq (c.password, "prod-secret") &&
         streq (c.region, "RegionTwo") && !c.insecure,
         "a merge key in a flow mapping over two lines");
  os_creds_free (&c);

  /* OS_CLIENT_SECURE_FILE names another file. */
  write_text (other, "clouds: {dev: {auth: {password: from-env-file}}}\n");
  setenv ("OS_CLIENT_SECURE_FILE", other, 1);
  CHECK (os_creds_load ("dev", NULL, &c) == 0 && streq (c.password, "from-env-file"),
         "OS_CLIENT_SECURE_FILE");
  os_creds_free (&c);
  unsetenv ("OS_CLIENT_SECURE_FILE");

  /* A secure.yaml with a cloud clouds.yaml does not have. */
  write_text (secure, "clouds:\n  extra:\n    auth:\n      auth_url: http://e/v3\n"
              "      token: t\n");
  CHECK (os_creds_load ("extra", NULL, &c) == 0 && streq (c.auth_url, "http://e/v3") &&
         streq (c.auth_type, "v3token"), "a cloud from secure.yaml alone");
  os_creds_free (&c);

  /* Errors name the file, the line and the column. */
  write_text (secure, "clouds:\n  dev: [\n");
  CHECK (os_creds_load ("dev", NULL, &c) == -1 &&
         error_says ("\"secure.yaml\" line 3 column 1", NULL), "a bad secure.yaml: named");
  os_creds_free (&c);
  write_text (secure, "- a list\n");
  CHECK (os_creds_load ("dev", NULL, &c) == -1 && error_says ("\"secure.yaml\"", "not a mapping"),
         "a secure.yaml that is not a mapping");
  os_creds_free (&c);
  unlink (secure);
  write_text (clouds, "clouds:\n  dev:\n    auth: *nope\n");
  CHECK (os_creds_load ("dev", NULL, &c) == -1 &&
         error_says (clouds, "line 3 column 11: unknown alias"),
         "a bad clouds.yaml: file, line, column");
  os_creds_free (&c);
  write_text (clouds, clouds_yaml);
  CHECK (os_creds_load ("nope", NULL, &c) == -1 && error_says (clouds, "no cloud \"nope\""),
         "an unknown cloud");
  os_creds_free (&c);
}

int
main (void)
{
  if (mkdtemp (tmpdir) == NULL) {
    perror ("mkdtemp");
    return 1;
  }
  snprintf (home_dir, sizeof home_dir, "%s/home", tmpdir);
  snprintf (conf_dir, sizeof conf_dir, "%s/home/.config", tmpdir);
  snprintf (work_dir, sizeof work_dir, "%s/work", tmpdir);
  snprintf (clouds, sizeof clouds, "%s/openstack/clouds.yaml", conf_dir);
  snprintf (secure, sizeof secure, "%s/secure.yaml", work_dir);
  snprintf (other, sizeof other, "%s/other.yaml", tmpdir);
  if (mkdir (home_dir, 0700) == -1 || mkdir (conf_dir, 0700) == -1 ||
      mkdir (work_dir, 0700) == -1 || chdir (work_dir) == -1) {
    perror (tmpdir);
    return 1;
  }
  strcat (conf_dir, "/openstack");
  if (mkdir (conf_dir, 0700) == -1) {
    perror (conf_dir);
    return 1;
  }
  setenv ("HOME", home_dir, 1);
  unsetenv ("XDG_CONFIG_HOME");
  unsetenv ("OS_CLIENT_CONFIG_FILE");
  unsetenv ("OS_CLIENT_SECURE_FILE");
  unsetenv ("OS_CLOUD");
  unsetenv ("OS_REGION_NAME");
  unsetenv ("OS_INTERFACE");

  test_merged ();

  unlink (clouds);
  unlink (secure);
  unlink (other);
  rmdir (conf_dir);
  conf_dir[strlen (conf_dir) - strlen ("/openstack")] = '\0';
  rmdir (conf_dir);
  rmdir (home_dir);
  if (chdir ("/") == -1 || rmdir (work_dir) == -1 || rmdir (tmpdir) == -1)
    perror (tmpdir);
  printf ("test-openstack: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
