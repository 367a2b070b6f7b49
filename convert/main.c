/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: command line. */

#include <config.h>

#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "convert.h"

static void
usage (FILE *fp)
{
  fprintf (fp,
"ferry: move a virtual machine to another hypervisor or cloud, offline\n"
"\n"
"Usage:\n"
"  ferry convert -i INPUT [-io KEY=VAL ...] FILE... -o OUTPUT [-oX ...]\n"
"  ferry copy -i INPUT [-io KEY=VAL ...] FILE... -o OUTPUT [-oX ...]\n"
"  ferry inspect [--source-only] -i INPUT [-io KEY=VAL ...] FILE...\n"
"\n"
"Input:\n"
"  -i INPUT            input module (default: disk)\n"
"  -if FORMAT          disk format, instead of detecting it from content\n"
"  -io KEY[=VAL]       input option; -io ? lists them\n"
"  -ic URI             libvirt connection URI (-i libvirt)\n"
"\n"
"Output (convert, copy):\n"
"  -o OUTPUT           output module (default: local)\n"
"  -os DIR             output directory\n"
"  -of FORMAT          output disk format: qcow2 (default) or raw\n"
"  -oa ALLOC           sparse (default) or preallocated\n"
"  -on NAME            name of the converted guest\n"
"  -oo KEY[=VAL]       output option; -oo ? lists them\n"
"  --os-cloud NAME     -o openstack: the cloud in clouds.yaml (-oo cloud=NAME)\n"
"  -n [IN:]OUT         connect NICs on source network IN (all others\n"
"                      without IN) to network OUT\n"
"  -b [IN:]OUT         the same, to host bridge OUT\n"
"\n"
"Conversion:\n"
"  --target TARGET     what the guest must boot on (default: the output's)\n"
"                      (kvm, openstack, aws, azure)\n"
"  --root ROOT         ask, single (default), first, or /dev/sdXN\n"
"  --mac MAC:ip:ADDR,GW,PREFIX[,DNS...]\n"
"                      the NIC with this MAC keeps a static address\n"
"  --mac MAC:network:NAME, --mac MAC:bridge:NAME\n"
"                      connect the NIC with this MAC to NAME\n"
"  --inject-package DIR  install the .deb/.rpm/.apk files in DIR in the guest\n"
"  --dry-run           inspect and plan, write nothing\n"
"  --source-only       inspect: the source's metadata, not the guest's\n"
"  --workers N         parallel copy requests (default 4)\n"
"\n"
"General:\n"
"  --machine-readable  progress and results as JSON lines on stdout\n"
"  -q, --quiet         only errors\n"
"  -v, --verbose       debug messages (twice: libguestfs trace)\n"
"  -V, --version       print the version\n"
"  -h, --help          this help\n"
"\n"
"Inputs:\n");
  input_list (fp);
  fprintf (fp, "Outputs:\n");
  output_list (fp);
  fprintf (fp, "\nSee ferry(1) for details.\n");
}

enum {
  OPT_IF = 256, OPT_IO, OPT_IC, OPT_OO, OPT_OS, OPT_OF, OPT_OA, OPT_ON,
  OPT_TARGET, OPT_ROOT, OPT_DRY_RUN, OPT_MACHINE, OPT_WORKERS,
  OPT_SOURCE_ONLY, OPT_OS_CLOUD, OPT_MAC, OPT_INJECT,
};

static const struct option long_options[] = {
  { "i", required_argument, NULL, 'i' },
  { "o", required_argument, NULL, 'o' },
  { "if", required_argument, NULL, OPT_IF },
  { "io", required_argument, NULL, OPT_IO },
  { "ic", required_argument, NULL, OPT_IC },
  { "n", required_argument, NULL, 'n' },
  { "b", required_argument, NULL, 'b' },
  { "oo", required_argument, NULL, OPT_OO },
  { "os", required_argument, NULL, OPT_OS },
  { "of", required_argument, NULL, OPT_OF },
  { "oa", required_argument, NULL, OPT_OA },
  { "on", required_argument, NULL, OPT_ON },
  { "target", required_argument, NULL, OPT_TARGET },
  { "root", required_argument, NULL, OPT_ROOT },
  { "mac", required_argument, NULL, OPT_MAC },
  { "inject-package", required_argument, NULL, OPT_INJECT },
  { "dry-run", no_argument, NULL, OPT_DRY_RUN },
  { "source-only", no_argument, NULL, OPT_SOURCE_ONLY },
  { "os-cloud", required_argument, NULL, OPT_OS_CLOUD },
  { "machine-readable", no_argument, NULL, OPT_MACHINE },
  { "workers", required_argument, NULL, OPT_WORKERS },
  { "q", no_argument, NULL, 'q' },
  { "quiet", no_argument, NULL, 'q' },
  { "v", no_argument, NULL, 'v' },
  { "verbose", no_argument, NULL, 'v' },
  { "V", no_argument, NULL, 'V' },
  { "version", no_argument, NULL, 'V' },
  { "h", no_argument, NULL, 'h' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 }
};

/* "-io ?" and "-oo ?" print the module's keys. */
static bool
list_request (const struct kvlist *l)
{
  for (size_t i = 0; i < l->len; i++)
    if (strcmp (l->items[i].key, "?") == 0)
      return true;
  return false;
}

int
main (int argc, char *argv[])
{
  struct convert_opts o;
  struct log_settings ls = { 0 };
  const char *cmd;
  int c, r, ret;

  memset (&o, 0, sizeof o);
  if (argc < 2) {
    usage (stderr);
    return 1;
  }
  cmd = argv[1];
  if (strcmp (cmd, "--help") == 0 || strcmp (cmd, "-h") == 0) {
    usage (stdout);
    return 0;
  }
  if (strcmp (cmd, "--version") == 0 || strcmp (cmd, "-V") == 0) {
    printf ("ferry %s\n", PACKAGE_VERSION);
    return 0;
  }
  if (strcmp (cmd, "convert") != 0 && strcmp (cmd, "copy") != 0 &&
      strcmp (cmd, "inspect") != 0) {
    fprintf (stderr, "ferry: unknown command \"%s\" (use convert, copy or "
             "inspect; see ferry --help)\n", cmd);
    return 1;
  }
  o.copy_only = strcmp (cmd, "copy") == 0;
  argc--;
  argv++;

  while ((c = getopt_long_only (argc, argv, "i:o:n:b:qvVh", long_options, NULL)) != -1) {
    switch (c) {
    case 'i': o.input = optarg; break;
    case 'o': o.output = optarg; break;
    case OPT_IF: o.input_format = optarg; break;
    case OPT_IC: o.conn_uri = optarg; break;
    case 'n':
    case 'b': {
      struct netmap *m = realloc (o.netmaps, (o.nr_netmaps + 1) * sizeof *m);
      char *colon = strchr (optarg, ':');
      if (m == NULL) {
        perror ("ferry");
        { ret = 1; goto out; }
      }
      o.netmaps = m;
      m = &o.netmaps[o.nr_netmaps++];
      m->bridge = c == 'b';
      m->in = colon ? optarg : NULL;
      m->out = colon ? colon + 1 : optarg;
      if (colon)
        *colon = '\0';
      if (m->out[0] == '\0' || (m->in && m->in[0] == '\0')) {
        fprintf (stderr, "ferry: -%c \"%s\": use -%c [IN:]OUT\n", c, optarg, c);
        { ret = 1; goto out; }
      }
      break;
    }
    case OPT_IO:
    case OPT_OO:
      if (kvlist_add (c == OPT_IO ? &o.io : &o.oo, optarg) == -1) {
        perror ("ferry");
        { ret = 1; goto out; }
      }
      break;
    case OPT_OS: o.oargs.dir = optarg; break;
    case OPT_OF: o.oargs.format = optarg; break;
    case OPT_OA: o.oargs.allocation = optarg; break;
    case OPT_ON: o.oargs.name = optarg; break;
    case OPT_TARGET: o.target = optarg; break;
    case OPT_ROOT: o.root = optarg; break;
    case OPT_INJECT: o.inject_dir = optarg; break;
    case OPT_MAC:
      if (string_list_push (&o.macs, optarg) == -1) {
        perror ("ferry");
        { ret = 1; goto out; }
      }
      break;
    case OPT_DRY_RUN: o.dry_run = true; break;
    case OPT_SOURCE_ONLY: o.source_only = true; break;
    case OPT_OS_CLOUD: {
      CLEANUP_FREE char *kv = NULL;
      if (asprintf (&kv, "cloud=%s", optarg) == -1 || kvlist_add (&o.oo, kv) == -1) {
        perror ("ferry");
        { ret = 1; goto out; }
      }
      break;
    }
    case OPT_MACHINE: ls.machine_readable = true; break;
    case OPT_WORKERS: {
      char *end;
      unsigned long n = strtoul (optarg, &end, 10);
      if (*optarg == '\0' || *end || n < 1 || n > 8) {
        fprintf (stderr, "ferry: --workers \"%s\": use a number from 1 to 8\n", optarg);
        { ret = 1; goto out; }
      }
      o.workers = n;
      break;
    }
    case 'q': ls.quiet = true; break;
    case 'v': ls.verbose++; break;
    case 'V': printf ("ferry %s\n", PACKAGE_VERSION); { ret = 0; goto out; }
    case 'h': usage (stdout); { ret = 0; goto out; }
    default:
      fprintf (stderr, "ferry: see ferry --help\n");
      { ret = 1; goto out; }
    }
  }
  log_configure (&ls);

  if (list_request (&o.io)) {
    const struct input_ops *ops = input_lookup (o.input ? o.input : "disk");
    if (ops == NULL) {
      error ("-i \"%s\": unknown input", o.input);
      { ret = 1; goto out; }
    }
    {
      char what[64];
      snprintf (what, sizeof what, "-i %s", ops->name);
      optdesc_print (stdout, ops->options, what);
    }
    { ret = 0; goto out; }
  }
  if (list_request (&o.oo)) {
    const struct output_ops *ops = output_lookup (o.output ? o.output : "local");
    if (ops == NULL) {
      error ("-o \"%s\": unknown output", o.output);
      { ret = 1; goto out; }
    }
    {
      char what[64];
      snprintf (what, sizeof what, "-o %s", ops->name);
      optdesc_print (stdout, ops->options, what);
    }
    { ret = 0; goto out; }
  }

  o.oargs.options = &o.oo;
  o.files = &argv[optind];
  o.nr_files = argc - optind;
  if (strcmp (cmd, "inspect") != 0 && o.output == NULL && o.oargs.dir == NULL &&
      !o.dry_run) {
    error ("%s: say where to write: -o local -os DIR", cmd);
    { ret = 1; goto out; }
  }

  signals_install ();
  tmpdir_sweep_stale ();
  if (strcmp (cmd, "inspect") != 0)
    r = run_convert (&o);
  else
    r = run_inspect (&o);
  ret = r == 0 ? 0 : 1;
 out:
  kvlist_free (&o.io);
  kvlist_free (&o.oo);
  free (o.netmaps);
  free_string_list (o.macs);
  return ret;
}
