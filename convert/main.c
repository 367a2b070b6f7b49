/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: command line. */

#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "convert.h"
#include "options.h"

/* "-io ?" and "-oo ?" print the module's keys. */
static bool
list_request (const struct kvlist *l)
{
  for (size_t i = 0; i < l->len; i++)
    if (strcmp (l->items[i].key, "?") == 0)
      return true;
  return false;
}


/* A usage error: one line naming the command, exit status 2. */
static int
usage_error (const char *cmd, const char *fs, ...)
  __attribute__ ((format (printf, 2, 3)));

static int
usage_error (const char *cmd, const char *fs, ...)
{
  va_list ap;

  fprintf (stderr, "ferry %s: ", cmd);
  va_start (ap, fs);
  vfprintf (stderr, fs, ap);
  va_end (ap);
  fputc ('\n', stderr);
  return 2;
}

/* The content of a password file without one trailing newline (owned,
 * a secret), or NULL after error().
 */
static char *
read_password_file (const char *opt, const char *path)
{
  FILE *fp = fopen (path, "re");
  char *buf = NULL;
  size_t len = 0;

  if (fp == NULL) {
    error ("%s: read the password file \"%s\": %m", opt, path);
    return NULL;
  }
  buf = malloc (4097);
  if (buf == NULL) {
    error ("%s: read the password file \"%s\": %m", opt, path);
    fclose (fp);
    return NULL;
  }
  len = fread (buf, 1, 4097, fp);
  if (ferror (fp) || len > 4096) {
    if (ferror (fp))
      error ("%s: read the password file \"%s\": %m", opt, path);
    else
      error ("%s: read the password file \"%s\": longer than 4096 bytes",
             opt, path);
    memset (buf, 0, 4097);
    free (buf);
    fclose (fp);
    return NULL;
  }
  fclose (fp);
  if (len > 0 && buf[len - 1] == '\n')
    len--;
  if (len > 0 && buf[len - 1] == '\r')
    len--;
  buf[len] = '\0';
  if (memchr (buf, '\0', len) != NULL) {
    error ("%s: read the password file \"%s\": it holds a NUL byte", opt, path);
    memset (buf, 0, len);
    free (buf);
    return NULL;
  }
  return buf;
}

static void
free_secret (char *s)
{
  if (s) {
    memset (s, 0, strlen (s));
    free (s);
  }
}

/* -n [IN:]OUT and -b [IN:]OUT.  Returns 0, or 2 after a usage error. */
static int
add_netmap (struct convert_opts *o, const char *cmd,
            const struct cli_option *opt, char *value)
{
  struct netmap *m = realloc (o->netmaps, (o->nr_netmaps + 1) * sizeof *m);
  char *colon = strchr (value, ':');
  const char *name = opt->names[0];

  if (m == NULL) {
    perror ("ferry");
    return 1;
  }
  o->netmaps = m;
  m = &o->netmaps[o->nr_netmaps++];
  m->bridge = opt->id == OPT_B;
  m->in = colon ? value : NULL;
  m->out = colon ? colon + 1 : value;
  if (colon)
    *colon = '\0';
  if (m->out[0] == '\0' || (m->in && m->in[0] == '\0')) {
    if (colon)
      *colon = ':';
    return usage_error (cmd, "%s \"%s\": use %s [IN:]OUT", name, value, name);
  }
  return 0;
}

/* The action of one option.  Returns -1 to go on, or an exit status. */
static int
apply_option (struct convert_opts *o, struct log_settings *ls,
              const char *cmd, const struct cli_option *opt, char *value,
              const char **ipfile, const char **opfile)
{
  switch (opt->id) {
  case OPT_I: o->input = value; break;
  case OPT_IF: o->input_format = value; break;
  case OPT_IC: o->conn_uri = value; break;
  case OPT_IP: *ipfile = value; break;
  case OPT_O: o->output = value; break;
  case OPT_OS: o->oargs.dir = value; break;
  case OPT_OF: o->oargs.format = value; break;
  case OPT_OA: o->oargs.allocation = value; break;
  case OPT_ON: o->oargs.name = value; break;
  case OPT_OP: *opfile = value; break;
  case OPT_IO:
  case OPT_OO:
    if (kvlist_add (opt->id == OPT_IO ? &o->io : &o->oo, value) == -1) {
      perror ("ferry");
      return 1;
    }
    break;
  case OPT_OS_CLOUD: {
    CLEANUP_FREE char *kv = NULL;
    if (asprintf (&kv, "cloud=%s", value) == -1 || kvlist_add (&o->oo, kv) == -1) {
      perror ("ferry");
      return 1;
    }
    break;
  }
  case OPT_N:
  case OPT_B: {
    int r = add_netmap (o, cmd, opt, value);
    if (r)
      return r;
    break;
  }
  case OPT_TARGET: o->target = value; break;
  case OPT_ROOT: o->root = value; break;
  case OPT_INJECT: o->inject_dir = value; break;
  case OPT_INITRAMFS:
    if (strcmp (value, "auto") == 0)
      o->initramfs = INITRAMFS_AUTO;
    else if (strcmp (value, "append") == 0)
      o->initramfs = INITRAMFS_APPEND;
    else if (strcmp (value, "rebuild") == 0)
      o->initramfs = INITRAMFS_REBUILD;
    else
      return usage_error (cmd, "--initramfs \"%s\": use auto, append or rebuild",
                          value);
    break;
  case OPT_MAC:
    if (string_list_push (&o->macs, value) == -1) {
      perror ("ferry");
      return 1;
    }
    break;
  case OPT_DRY_RUN: o->dry_run = true; break;
  case OPT_SOURCE_ONLY: o->source_only = true; break;
  case OPT_PRINT_SOURCE: o->print_source = true; break;
  case OPT_WORKERS: {
    char *end;
    unsigned long n = strtoul (value, &end, 10);
    if (*value < '0' || *value > '9' || *end || n < 1 || n > 8)
      return usage_error (cmd, "--workers \"%s\": use a number from 1 to 8",
                          value);
    o->workers = n;
    break;
  }
  case OPT_MACHINE: ls->machine_readable = true; break;
  case OPT_QUIET: ls->quiet = true; break;
  case OPT_VERBOSE: ls->verbose++; break;
  case OPT_TRACE: ls->trace = true; break;
  case OPT_VERSION: printf ("ferry %s\n", PACKAGE_VERSION); return 0;
  case OPT_HELP: cli_print_help (stdout); return 0;
  }
  return -1;
}

/* -io ? or -oo ?: print the keys.  Returns -1 if not asked. */
static int
list_keys (const struct convert_opts *o)
{
  char what[64];

  if (list_request (&o->io)) {
    const struct input_ops *ops = input_lookup (o->input ? o->input : "disk");
    if (ops == NULL) {
      error ("-i \"%s\": unknown input", o->input);
      return 1;
    }
    snprintf (what, sizeof what, "-i %s", ops->name);
    optdesc_print (stdout, ops->options, what);
    return 0;
  }
  if (list_request (&o->oo)) {
    const struct output_ops *ops = output_lookup (o->output ? o->output : "local");
    if (ops == NULL) {
      error ("-o \"%s\": unknown output", o->output);
      return 1;
    }
    snprintf (what, sizeof what, "-o %s", ops->name);
    optdesc_print (stdout, ops->options, what);
    return 0;
  }
  return -1;
}

/* -ip and -op: refuse them where no password is taken, then read the
 * files.  Returns -1 to go on, or an exit status.
 */
static int
read_passwords (struct convert_opts *o, const char *cmd, bool inspect,
                const char *ipfile, const char *opfile)
{
  if (ipfile) {
    const struct input_ops *ops = input_lookup (o->input ? o->input : "disk");
    if (ops && !ops->takes_password)
      return usage_error (cmd, "-ip: -i %s takes no password", ops->name);
    if (ops && (o->in_password = read_password_file ("-ip", ipfile)) == NULL)
      return 1;
  }
  if (opfile && !inspect) {
    const struct output_ops *ops = output_lookup (o->output ? o->output : "local");
    if (ops && !ops->takes_password)
      return usage_error (cmd, "-op: -o %s takes no password", ops->name);
    if (ops && (o->out_password = read_password_file ("-op", opfile)) == NULL)
      return 1;
    o->oargs.password = o->out_password;
  }
  return -1;
}

/* ferry --dump-options=pod|synopsis|bash: the generated views. */
static int
dump_options (const char *what)
{
  if (strcmp (what, "pod") == 0)
    cli_print_pod_options (stdout);
  else if (strcmp (what, "synopsis") == 0)
    cli_print_pod_synopsis (stdout);
  else if (strcmp (what, "bash") == 0)
    cli_print_bash (stdout);
  else {
    fprintf (stderr, "ferry: --dump-options=\"%s\": use pod, synopsis or bash\n",
             what);
    return 2;
  }
  return fflush (stdout) == 0 ? 0 : 1;
}

int
main (int argc, char *argv[])
{
  struct convert_opts o;
  struct log_settings ls = { 0 };
  struct cli_parser p;
  const struct cli_option *opt;
  const char *value, *cmd, *ipfile = NULL, *opfile = NULL;
  enum cli_result cr;
  bool inspect;
  int r, ret;

  memset (&o, 0, sizeof o);
  if (argc < 2) {
    fprintf (stderr, "ferry: no command (use convert, copy or inspect; "
             "see ferry --help)\n");
    return 2;
  }
  cmd = argv[1];
  if (strcmp (cmd, "--help") == 0 || strcmp (cmd, "-h") == 0) {
    cli_print_help (stdout);
    return 0;
  }
  if (strcmp (cmd, "--version") == 0 || strcmp (cmd, "-V") == 0) {
    printf ("ferry %s\n", PACKAGE_VERSION);
    return 0;
  }
  if (strncmp (cmd, "--dump-options=", 15) == 0)
    return dump_options (cmd + 15);
  if (cli_cmd_bit (cmd) == 0) {
    fprintf (stderr, "ferry: unknown command \"%s\" (use convert, copy or "
             "inspect; see ferry --help)\n", cmd);
    return 2;
  }
  o.copy_only = strcmp (cmd, "copy") == 0;

  cli_parser_init (&p, argc, argv, 2, cmd);
  ret = -1;
  while (ret == -1 && (cr = cli_next (&p, &opt, &value)) != CLI_END) {
    if (cr == CLI_ERROR)
      ret = usage_error (cmd, "%s", p.err);
    else if (cr == CLI_OPERAND && string_list_push (&o.operands, value) == -1) {
      perror ("ferry");
      ret = 1;
    }
    else if (cr == CLI_OPTION)
      ret = apply_option (&o, &ls, cmd, opt, (char *) value, &ipfile, &opfile);
  }
  if (ret != -1)
    goto out;
  log_configure (&ls);
  if ((ret = list_keys (&o)) != -1)
    goto out;

  inspect = strcmp (cmd, "inspect") == 0 || o.print_source;
  if (o.print_source)
    o.source_only = true;
  if ((ret = read_passwords (&o, cmd, inspect, ipfile, opfile)) != -1)
    goto out;
  o.oargs.options = &o.oo;
  o.files = o.operands;
  o.nr_files = string_list_len (o.operands);
  if (!inspect && o.output == NULL && o.oargs.dir == NULL && !o.dry_run) {
    ret = usage_error (cmd, "say where to write: -o local -os DIR");
    goto out;
  }

  signals_install ();
  tmpdir_sweep_stale ();
  if (!inspect)
    r = run_convert (&o);
  else
    r = run_inspect (&o);
  ret = r == 0 ? 0 : 1;
  {
    /* ferry's own peak, without its children (qemu, qemu-nbd): the
     * figure bench/convert.sh reports.
     */
    struct rusage ru;
    if (getrusage (RUSAGE_SELF, &ru) == 0)
      debug ("peak RSS of ferry itself: %.1f MiB", ru.ru_maxrss / 1024.0);
  }
 out:
  kvlist_free (&o.io);
  kvlist_free (&o.oo);
  free (o.netmaps);
  free_string_list (o.macs);
  free_string_list (o.operands);
  free_secret (o.in_password);
  free_secret (o.out_password);
  return ret;
}
