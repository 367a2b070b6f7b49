/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: the option table and the parser that reads it.
 *
 * Every option is spelled out in full: there is no prefix matching, no
 * cluster of short options and no value glued to a short option, so
 * that a virt-v2v spelling ferry does not know (-ip, -it) is refused,
 * never read as something else.
 */

#include <config.h>

#include <stdarg.h>
#include <string.h>

#include "options.h"

const char *const cli_section_names[NR_SECTIONS] = {
  [SEC_INPUT] = "Input",
  [SEC_OUTPUT] = "Output",
  [SEC_CONVERSION] = "Conversion",
  [SEC_GENERAL] = "General",
};

const char *const cli_synopsis[] = {
  "ferry convert -i INPUT FILE... -o OUTPUT [OPTION...]",
  "ferry copy -i INPUT FILE... -o OUTPUT [OPTION...]",
  "ferry inspect [--source-only] -i INPUT FILE... [OPTION...]",
  NULL
};

/* The --help text and the man page are written from this; the "@M@"
 * in the -i and -o texts is replaced by the registered modules.
 */
const struct cli_option cli_options[] = {
  /* Input. */
  { OPT_I, { "-i" }, { NULL }, "INPUT", VAL_INPUTS, NULL, CMD_ALL, SEC_INPUT,
    "input module (default: disk; the list is below)",
    "The input module: @M@\n(C<disk> is the default).  See L</INPUT MODULES>." },
  { OPT_IF, { "-if" }, { "--if" }, "FORMAT", VAL_WORDS,
    "raw qcow2 vmdk vhd vhdx vdi", CMD_ALL, SEC_INPUT,
    "disk format, instead of detecting it from content",
    "The disk format: C<raw>, C<qcow2>, C<vmdk>, C<vhd>, C<vhdx> or C<vdi>.\n"
    "Without it the format is detected from the file's content (magic bytes,\n"
    "VMDK descriptor), never by letting qemu probe.  A file that matches no\n"
    "known format and holds no partition table or filesystem is refused\n"
    "unless you say C<-if raw>.  If you give a format that contradicts the\n"
    "content, ferry refuses the file, except C<-if raw>, which reads any file\n"
    "as raw bytes (a raw guest disk may start with a qcow2 header)." },
  { OPT_IO, { "-io" }, { "--io" }, "KEY[=VAL]", VAL_NONE, NULL, CMD_ALL,
    SEC_INPUT, "input option; -io ? lists them",
    "An option for the input module.  C<-io ?> lists the keys." },
  { OPT_IC, { "-ic" }, { "--ic" }, "URI", VAL_NONE, NULL, CMD_ALL, SEC_INPUT,
    "libvirt connection URI (-i libvirt)",
    "The libvirt connection URI for C<-i libvirt>, e.g. C<qemu:///system>.\n"
    "Without it libvirt's default connection is used." },
  { OPT_IP, { "-ip" }, { "--ip", "--password-file" }, "FILE", VAL_FILE, NULL,
    CMD_ALL, SEC_INPUT,
    "read the input's password from FILE (-i libvirt)",
    "Read the password of the input's connection from FILE (its content,\n"
    "without one trailing newline).  For C<-i libvirt>: the password libvirt\n"
    "asks for when it opens the B<-ic> connection.  The other inputs take no\n"
    "password and refuse it.  The password is never printed.  Also spelled\n"
    "B<--password-file>." },

  /* Output. */
  { OPT_O, { "-o" }, { NULL }, "OUTPUT", VAL_OUTPUTS, NULL, CMD_OUT,
    SEC_OUTPUT, "output module (default: local; the list is below)",
    "The output module: @M@ (C<local> is the default).  See\n"
    "L</OUTPUT MODULES>." },
  { OPT_OS, { "-os" }, { "--os" }, "DIR", VAL_DIR, NULL, CMD_OUT, SEC_OUTPUT,
    "output directory (-o local)",
    "The output directory (for C<-o local>).  It must exist and be writable;\n"
    "this is checked before any slow work." },
  { OPT_OF, { "-of" }, { "--of" }, "FORMAT", VAL_WORDS, "qcow2 raw", CMD_OUT,
    SEC_OUTPUT, "output disk format: qcow2 (default) or raw",
    "The output disk format: C<qcow2> (the default) or C<raw> (a sparse\n"
    "file)." },
  { OPT_OA, { "-oa" }, { "--oa" }, "ALLOC", VAL_WORDS, "sparse preallocated",
    CMD_OUT, SEC_OUTPUT, "sparse (default) or preallocated",
    "C<sparse> (the default) or C<preallocated>." },
  { OPT_ON, { "-on" }, { "--on" }, "NAME", VAL_NONE, NULL, CMD_OUT, SEC_OUTPUT,
    "name of the converted guest",
    "The name of the converted guest.  The default is the source's name\n"
    "(for bare disks, the first disk's file name without its extension)." },
  { OPT_OO, { "-oo" }, { "--oo" }, "KEY[=VAL]", VAL_NONE, NULL, CMD_OUT,
    SEC_OUTPUT, "output option; -oo ? lists them",
    "An option for the output module.  C<-oo ?> lists the keys.  Unknown\n"
    "keys are errors." },
  { OPT_OP, { "-op" }, { "--op" }, "FILE", VAL_FILE, NULL, CMD_OUT, SEC_OUTPUT,
    "read the output's password from FILE (-o openstack)",
    "Read the password of the output's connection from FILE (its content,\n"
    "without one trailing newline).  For C<-o openstack>: the Keystone\n"
    "password, used instead of the one in F<clouds.yaml> or C<OS_PASSWORD>.\n"
    "The other outputs take no password and refuse it.  The password is\n"
    "never printed." },
  { OPT_OS_CLOUD, { "--os-cloud" }, { NULL }, "NAME", VAL_NONE, NULL, CMD_OUT,
    SEC_OUTPUT, "-o openstack: the cloud in clouds.yaml (-oo cloud=NAME)",
    "For B<-o openstack>: the cloud to use from F<clouds.yaml>; the same as\n"
    "B<-oo cloud=>NAME." },
  { OPT_N, { "-n", "--network" }, { NULL }, "[IN:]OUT", VAL_NONE, NULL,
    CMD_OUT, SEC_OUTPUT,
    "connect NICs on source network IN (all others\n"
    "without IN) to network OUT",
    "Connect the NICs that were on source network IN to the target network\n"
    "OUT.  Without IN, every NIC that no other B<-n> or B<-b> matched goes\n"
    "to OUT.  May be given several times.  Without any, the target XML names\n"
    "the source's networks as they are." },
  { OPT_B, { "-b", "--bridge" }, { NULL }, "[IN:]OUT", VAL_NONE, NULL, CMD_OUT,
    SEC_OUTPUT, "the same, to host bridge OUT",
    "The same, to the host bridge OUT (C<< <interface type=\"bridge\"> >>)." },

  /* Conversion. */
  { OPT_TARGET, { "--target" }, { NULL }, "TARGET", VAL_TARGETS, NULL, CMD_OUT,
    SEC_CONVERSION, "what the guest must boot on (default: the output's)",
    "What the guest must boot on: C<kvm>, C<openstack>, C<aws> or C<azure>.\n"
    "The default is the output's (C<kvm> for C<-o local>, C<openstack> for\n"
    "C<-o openstack>).  See L</TARGETS>." },
  { OPT_ROOT, { "--root" }, { NULL }, "ROOT", VAL_WORDS, "ask single first",
    CMD_CONVERT | CMD_INSPECT, SEC_CONVERSION,
    "ask, single (default), first, or /dev/sdXN",
    "Which operating system to convert when the disks hold more than one:\n"
    "C<ask> (prompt on a terminal), C<single> (the default: refuse if there\n"
    "is more than one), C<first>, or a device such as C</dev/sda2>." },
  { OPT_MAC, { "--mac" }, { NULL }, "MAC:ip:ADDR,GW,PREFIX[,DNS...]", VAL_NONE,
    NULL, CMD_OUT, SEC_CONVERSION,
    "the NIC with this MAC keeps a static address;\n"
    "--mac MAC:network:NAME or MAC:bridge:NAME connects it to NAME",
    "The source NIC with this MAC keeps a static IPv4 address on the\n"
    "target: ADDR/PREFIX, gateway GW (may be empty) and DNS servers, written\n"
    "into whichever network stack the guest uses for that NIC (ifupdown,\n"
    "netplan, NetworkManager, systemd-networkd, ifcfg, wicked) after the\n"
    "configuration has been moved to the target's NIC.  If nothing\n"
    "configures it, an ifupdown or ifcfg file is created.  Repeat for more\n"
    "NICs.  A MAC the source does not have is an error.\n"
    "\n"
    "B<--mac> MAC:network:NAME and B<--mac> MAC:bridge:NAME connect the NIC\n"
    "with this MAC to network (bridge) NAME in the output's metadata, like\n"
    "B<-n>/B<-b> for one NIC." },
  { OPT_INJECT, { "--inject-package" }, { NULL }, "DIR", VAL_DIR, NULL,
    CMD_CONVERT, SEC_CONVERSION,
    "install the .deb/.rpm/.apk files in DIR in the guest",
    "Install every package file in DIR (F<.deb>, F<.rpm> or F<.apk>,\n"
    "whichever the guest uses) in the guest, offline, with its own package\n"
    "tool (C<dpkg -i>, C<rpm -Uvh>, C<apk add>): cloud-init, qemu-guest-agent\n"
    "and the like for guests that lack them.  Dependencies must be in DIR too." },
  { OPT_INITRAMFS, { "--initramfs" }, { NULL }, "MODE", VAL_WORDS,
    "auto append rebuild", CMD_CONVERT, SEC_CONVERSION,
    "how drivers get into the initramfs: auto (default), append, rebuild",
    "How the target's drivers get into the guest's initramfs.\n"
    "\n"
    "C<append> adds them, with the modules they depend on, the guest's module\n"
    "indexes and the family's module-load list, to the image that boots the\n"
    "guest now.  ferry does it on the host from the guest's own\n"
    "F</lib/modules>, and runs no guest code: a few seconds instead of the\n"
    "minute or more that the guest's tool takes in the appliance.  An image\n"
    "ferry cannot extend (no module index of its own, an unknown compressor)\n"
    "is an error that says why.  A resume device that changed is left as it\n"
    "was in the image, with a warning.\n"
    "\n"
    "C<rebuild> runs the guest's own tool in the appliance\n"
    "(C<update-initramfs>, C<dracut> or C<mkinitfs>), as virt-v2v does.\n"
    "\n"
    "C<auto>, the default, appends where ferry's test suite boots an\n"
    "appended image of that kind (initramfs-tools: Debian and Ubuntu), and\n"
    "rebuilds otherwise, when the resume device changed, or when appending\n"
    "cannot be done.\n"
    "\n"
    "Either way the guest's own configuration\n"
    "(F</etc/initramfs-tools/modules>, F</etc/dracut.conf.d>,\n"
    "F</etc/mkinitfs/features.d>) names the drivers, so that the next kernel\n"
    "update builds an image with them, and the change report's C<initramfs>\n"
    "list says, per kernel, which was done and why." },
  { OPT_DRY_RUN, { "--dry-run" }, { NULL }, NULL, VAL_NONE, NULL, CMD_OUT,
    SEC_CONVERSION, "inspect and plan, write nothing",
    "Inspect the guest and plan every change, print the plan, and write\n"
    "nothing: no output files, and the appliance opens the disks read-only." },
  { OPT_SOURCE_ONLY, { "--source-only" }, { NULL }, NULL, VAL_NONE, NULL,
    CMD_INSPECT, SEC_CONVERSION, "inspect: the source's metadata, not the guest's",
    "For B<inspect>: print only what the source's metadata and allocation\n"
    "say, without starting the appliance (no guest inspection, no\n"
    "C<copy_estimate>).  It takes a second, not a minute." },
  { OPT_PRINT_SOURCE, { "--print-source" }, { NULL }, NULL, VAL_NONE, NULL,
    CMD_ALL, SEC_CONVERSION, "the same as inspect --source-only",
    "Do what B<ferry inspect --source-only> does with the same input\n"
    "options, whatever the command: print the source's metadata as JSON and\n"
    "stop.  Output and conversion options are then ignored." },
  { OPT_WORKERS, { "--workers" }, { NULL }, "N", VAL_WORDS,
    "1 2 3 4 5 6 7 8", CMD_OUT, SEC_CONVERSION,
    "parallel copy requests (default 4)",
    "Number of parallel copy requests, 1 to 8 (default 4)." },

  /* General. */
  { OPT_MACHINE, { "--machine-readable" }, { NULL }, NULL, VAL_NONE, NULL,
    CMD_ALL, SEC_GENERAL, "progress and results as JSON lines on stdout",
    "Print JSON lines on stdout instead of messages: C<stage>, C<progress>\n"
    "(bytes done and total), C<info>, C<warning>, C<plan> (with\n"
    "B<--dry-run>) and a final C<result> with C<ok> and, on failure, the\n"
    "C<error> message." },
  { OPT_QUIET, { "-q", "--quiet" }, { NULL }, NULL, VAL_NONE, NULL, CMD_ALL,
    SEC_GENERAL, "only errors",
    "Print only warnings and errors." },
  { OPT_VERBOSE, { "-v", "--verbose" }, { NULL }, NULL, VAL_NONE, NULL,
    CMD_ALL, SEC_GENERAL, "debug messages (twice: libguestfs debug and trace)",
    "Print debug messages, including each command ferry runs.  Twice:\n"
    "libguestfs' own debug messages and its trace (as B<-x>)." },
  { OPT_TRACE, { "-x" }, { NULL }, NULL, VAL_NONE, NULL, CMD_ALL, SEC_GENERAL,
    "trace the libguestfs calls",
    "Trace each libguestfs call ferry makes, with its arguments and result,\n"
    "on stderr (libguestfs' own trace)." },
  { OPT_VERSION, { "-V", "--version" }, { NULL }, NULL, VAL_NONE, NULL,
    CMD_ALL, SEC_GENERAL, "print the version",
    "Print the version and exit." },
  { OPT_HELP, { "-h", "--help" }, { NULL }, NULL, VAL_NONE, NULL, CMD_ALL,
    SEC_GENERAL, "this help",
    "Print a summary of the options and exit." },
};
const size_t nr_cli_options = sizeof cli_options / sizeof cli_options[0];

/* virt-v2v 2.2's options (virt-v2v --long-options, --short-options)
 * that ferry does not have.
 */
const struct cli_unsupported cli_unsupported[] = {
  { "-it", NULL }, { "--it", NULL },
  { "-oc", "use -o local -os DIR, then virsh define DIR/NAME.xml" },
  { "--oc", "use -o local -os DIR, then virsh define DIR/NAME.xml" },
  { "--in-place", NULL },
  { "--compressed", NULL },
  { "--key", NULL }, { "--keys-from-stdin", NULL }, { "--echo-keys", NULL },
  { "--bandwidth", NULL }, { "--bandwidth-file", NULL },
  { "--color", NULL }, { "--colors", NULL }, { "--colour", NULL },
  { "--colours", NULL }, { "--wrap", NULL }, { "--debug-gc", NULL },
  { "--no-trim", "ferry always trims the guest's filesystems before the copy" },
  { "--vmtype", NULL },
  { "--qemu-boot", NULL },
  { "--vddk-config", NULL }, { "--vddk-cookie", NULL },
  { "--vddk-libdir", NULL }, { "--vddk-nfchostport", NULL },
  { "--vddk-port", NULL }, { "--vddk-snapshot", NULL },
  { "--vddk-thumbprint", NULL }, { "--vddk-transports", NULL },
  { "--vdsm-compat", NULL }, { "--vdsm-image-uuid", NULL },
  { "--vdsm-ovf-flavour", NULL }, { "--vdsm-ovf-output", NULL },
  { "--vdsm-vm-uuid", NULL }, { "--vdsm-vol-uuid", NULL },
};
const size_t nr_cli_unsupported =
  sizeof cli_unsupported / sizeof cli_unsupported[0];

unsigned
cli_cmd_bit (const char *name)
{
  if (strcmp (name, "convert") == 0)
    return CMD_CONVERT;
  if (strcmp (name, "copy") == 0)
    return CMD_COPY;
  if (strcmp (name, "inspect") == 0)
    return CMD_INSPECT;
  return 0;
}

void
cli_parser_init (struct cli_parser *p, int argc, char **argv, int first,
                 const char *cmdname)
{
  memset (p, 0, sizeof *p);
  p->argc = argc;
  p->argv = argv;
  p->next = first;
  p->cmdname = cmdname;
  p->cmd = cli_cmd_bit (cmdname);
}

static enum cli_result
fail (struct cli_parser *p, const char *fs, ...)
  __attribute__ ((format (printf, 2, 3)));

static enum cli_result
fail (struct cli_parser *p, const char *fs, ...)
{
  va_list ap;

  va_start (ap, fs);
  vsnprintf (p->err, sizeof p->err, fs, ap);
  va_end (ap);
  return CLI_ERROR;
}

/* The option spelled exactly name[0..len), or NULL. */
static const struct cli_option *
lookup (const char *name, size_t len)
{
  for (size_t i = 0; i < nr_cli_options; i++) {
    const struct cli_option *o = &cli_options[i];
    for (size_t k = 0; k < 3; k++) {
      const char *n = o->names[k];
      const char *a = o->aliases[k];
      if (n && strlen (n) == len && strncmp (n, name, len) == 0)
        return o;
      if (a && strlen (a) == len && strncmp (a, name, len) == 0)
        return o;
    }
  }
  return NULL;
}

static const struct cli_unsupported *
lookup_unsupported (const char *name, size_t len)
{
  for (size_t i = 0; i < nr_cli_unsupported; i++)
    if (strlen (cli_unsupported[i].name) == len &&
        strncmp (cli_unsupported[i].name, name, len) == 0)
      return &cli_unsupported[i];
  return NULL;
}

/* "convert" or "convert and copy", for a message. */
static void
cmds_text (unsigned cmds, char *buf, size_t len)
{
  static const char *const names[] = { "convert", "copy", "inspect" };
  size_t n = 0, done = 0;

  for (size_t i = 0; i < 3; i++)
    n += (cmds >> i) & 1;
  buf[0] = '\0';
  for (size_t i = 0; i < 3; i++) {
    if (!((cmds >> i) & 1))
      continue;
    done++;
    snprintf (buf + strlen (buf), len - strlen (buf), "%s%s",
              done == 1 ? "" : done == n ? " and " : ", ", names[i]);
  }
}

enum cli_result
cli_next (struct cli_parser *p, const struct cli_option **opt,
          const char **value)
{
  const char *a, *eq;
  size_t namelen;
  const struct cli_option *o;
  const struct cli_unsupported *u;

  *opt = NULL;
  *value = NULL;
  if (p->next >= p->argc)
    return CLI_END;
  a = p->argv[p->next++];
  if (p->no_more_options || a[0] != '-' || a[1] == '\0') {
    *value = a;
    return CLI_OPERAND;
  }
  if (strcmp (a, "--") == 0) {
    p->no_more_options = true;
    return cli_next (p, opt, value);
  }
  eq = strchr (a, '=');
  namelen = eq ? (size_t) (eq - a) : strlen (a);
  o = lookup (a, namelen);
  if (o == NULL) {
    u = lookup_unsupported (a, namelen);
    if (u)
      return fail (p, "option \"%.*s\" is not supported by ferry%s%s%s",
                   (int) namelen, a, u->instead ? " (" : "",
                   u->instead ? u->instead : "", u->instead ? ")" : "");
    return fail (p, "unknown option \"%s\" (see ferry --help)", a);
  }
  if (!(o->cmds & p->cmd)) {
    char cmds[64];
    cmds_text (o->cmds, cmds, sizeof cmds);
    return fail (p, "option \"%.*s\" is not for %s (only for %s)",
                 (int) namelen, a, p->cmdname, cmds);
  }
  if (o->arg == NULL) {
    if (eq)
      return fail (p, "option \"%.*s\" takes no value", (int) namelen, a);
  }
  else if (eq)
    *value = eq + 1;
  else if (p->next < p->argc)
    *value = p->argv[p->next++];
  else
    return fail (p, "option \"%s\" needs a value: %s %s", a, a, o->arg);
  *opt = o;
  return CLI_OPTION;
}
