/* ferry: pure text rewriters for guest configuration files.
 *
 * Every function here takes the whole content of one file as a NUL
 * terminated string and returns a newly allocated string with the
 * rewritten content (the caller frees it), or NULL with errno set on
 * allocation failure.  They never touch the filesystem, never call
 * error(), and are deterministic, so they are unit tested without an
 * appliance (guestfix/test-rewrite.c).
 *
 * When nothing needs to change, the returned string is an identical copy
 * and *changes is set to 0.  Otherwise *changes is the number of
 * individual edits made (lines changed, added or removed).
 *
 * (Clarification: edits are counted per line, so a line with both
 * root= and resume= rewritten counts once, and a removed block of three
 * lines counts three.  'changes' may be NULL.  Line endings, including
 * "\r\n" and a missing final newline, are kept as they were.)
 */

#ifndef FERRY_REWRITE_H
#define FERRY_REWRITE_H

#include <stddef.h>

#include "common.h"
#include <string.h>

/* A block device name as the source guest saw it, and what to use
 * instead.  'from' is a full path such as "/dev/sda1" or "/dev/hdb2";
 * 'to' is a stable reference such as "UUID=0b1c...".
 */
struct devmap {
  const char *from;
  const char *to;
};

/* Rewrite the first field of every non-comment /etc/fstab line whose
 * device exactly matches a devmap 'from' entry.  Whitespace layout of the
 * other fields is kept.  Lines already using UUID=, LABEL=, PARTUUID=,
 * /dev/disk/by-*, /dev/mapper/... or an unmapped device are left alone.
 */
extern char *rewrite_fstab (const char *text,
                            const struct devmap *map, size_t nr_map,
                            int *changes);

/* Rewrite kernel command line device references "root=/dev/sdX" and
 * "resume=/dev/sdX" wherever they occur in the text (grub.cfg "linux"
 * lines, GRUB_CMDLINE_LINUX* in /etc/default/grub, extlinux.conf ...).
 * The replacement is "root=UUID=...".  A reference is matched as a whole
 * token: root=/dev/sda1 must not match root=/dev/sda10.
 *
 * (The key must start a token, after a blank, a quote or '=', so that
 * real_root= or systemd.resume= are not touched; the value ends at a
 * blank or a quote.)
 */
extern char *rewrite_cmdline_devices (const char *text,
                                      const struct devmap *map, size_t nr_map,
                                      int *changes);

/* Rewrite initramfs-tools "RESUME=/dev/sdX" (conf.d/resume) lines.
 * (Also RESUME="/dev/sdX" and "export RESUME=...".)
 */
extern char *rewrite_resume_conf (const char *text,
                                  const struct devmap *map, size_t nr_map,
                                  int *changes);

/* A source NIC and the target NIC that replaces it.  old_mac and new_mac
 * are lowercase "aa:bb:cc:dd:ee:ff" or NULL when unknown.
 */
struct nicmap {
  const char *old_name;         /* e.g. "ens192", "eth0" */
  const char *old_mac;          /* may be NULL */
  const char *new_name;         /* e.g. "ens3" */
  const char *new_mac;          /* may be NULL */
};

/* List the interface names configured in an ifupdown interfaces(5) file
 * ("auto X", "allow-hotplug X", "iface X inet ...").  "lo" is excluded.
 * Returns the number of names stored in *names (a NULL-terminated,
 * newly allocated array of newly allocated strings, duplicates removed,
 * in order of first appearance), or -1 on allocation failure.
 *
 * (Names are returned as written, so aliases and VLANs appear as
 * "ens192:0" and "ens192.10"; the physical device is the part before
 * the first ':' or '.'.  *names is NULL on failure.)
 */
extern int ifupdown_list_ifaces (const char *text, char ***names);

/* Rename interfaces in an ifupdown interfaces(5) file: "auto", the
 * "allow-*" lines, "iface NAME[:alias] inet|inet6 ..." and "NAME.VLAN"
 * sub-interfaces.  "hwaddress" lines naming old_mac are dropped (the new
 * NIC has its own MAC).  Methods (dhcp, static ...) and addresses are
 * kept as they are.
 *
 * (Also renamed, as whole words and with the same NAME[:.]suffix rule:
 * the arguments of "mapping", "no-auto-down", "no-scripts",
 * bridge_ports, bond-slaves, bond-primary, vlan-raw-device, and of the
 * up/down/pre-up/post-up/pre-down/post-down commands.  "ens1920" never
 * matches "ens192".)
 */
extern char *rewrite_ifupdown (const char *text,
                               const struct nicmap *map, size_t nr_map,
                               int *changes);

/* Rewrite a netplan YAML file: ethernets keys named old_name become
 * new_name (also inside "set-name:" values and bond/bridge
 * "interfaces:" lists), and "macaddress: OLD" inside a "match:" block
 * becomes the new MAC (or, if new_mac is NULL, the match block is
 * replaced by nothing and the key name is used).  Indentation and
 * comments are preserved.  Line-oriented: no general YAML parser.
 *
 * (Which entry an ethernets block belongs to is decided by its match:
 * macaddress, then set-name, then match: name, then the key.  When the
 * match: block is dropped, the set-name: line goes too and the key
 * becomes new_name even if it was an arbitrary id.  Only exact names
 * are renamed in bonds/bridges "interfaces:" (flow or block lists),
 * "primary:" and vlans "link:"; VLAN keys such as "ens160.10" are
 * valid names whatever their link is called and are kept.)
 */
extern char *rewrite_netplan (const char *text,
                              const struct nicmap *map, size_t nr_map,
                              int *changes);

/* Rewrite a NetworkManager keyfile (.nmconnection, INI style):
 * "interface-name=OLD" in [connection] and "mac-address=OLD" in
 * [ethernet] (removed when new_mac is NULL, replaced otherwise).  Also
 * an "id=" equal to the old name is renamed.
 *
 * (The file is one connection: its entry is found by mac-address, then
 * by interface-name, [vlan] parent= or id=.  [vlan] parent= is renamed
 * too.  If the entry's old_mac is NULL, a mac-address in a profile
 * whose interface-name is old_name is taken to be the old MAC.)
 */
extern char *rewrite_nm_keyfile (const char *text,
                                 const struct nicmap *map, size_t nr_map,
                                 int *changes);

/* Rewrite a systemd-networkd .network or .link file: in [Match],
 * "Name=" values (space separated lists and exact names; globs such as
 * "en*" are left alone) and "MACAddress=" / "PermanentMACAddress=".
 *
 * (MACs are replaced by new_mac, or dropped from the list when new_mac
 * is NULL; a line left empty is removed, or becomes "Name=NEW" when
 * nothing else in [Match] selects by name, since an empty [Match]
 * matches every interface.  In a .link file (one with a [Link]
 * section) a MAC with no new_mac is kept: OriginalName= would be the
 * kernel's ethN name, not new_name.)
 */
extern char *rewrite_networkd (const char *text,
                               const struct nicmap *map, size_t nr_map,
                               int *changes);

/* Remove udev persistent-net rules (70-persistent-net.rules style lines
 * with ATTR{address}=="MAC" ... NAME="ethX") that bind a name to a MAC
 * of the source.  All such lines are removed, since every source MAC
 * disappears on the target; comments are kept.
 *
 * (A rule continued with a trailing '\' is removed whole.  Rules that
 * only match on NAME== are kept.)
 */
extern char *rewrite_persistent_net_rules (const char *text, int *changes);

/* Does a kernel command line (or a file containing one) disable
 * predictable interface names (net.ifnames=0 or biosdevname=0 without
 * net.ifnames=1)?  Returns 1 or 0.
 *
 * (Lines starting with '#' are ignored.  net.ifnames takes the boolean
 * spellings systemd accepts (0/no/false/off ...).  In a file with
 * several command lines, any net.ifnames=0 wins.)
 */
extern int cmdline_disables_ifnames (const char *text);

/* A short unified-style diff of two texts, for the change report:
 * lines prefixed "-" and "+", with up to 'context' unchanged lines
 * around each change prefixed " ", and hunks separated by "@@ line N @@".
 * Returns a newly allocated string ("" when the texts are equal) or NULL
 * on allocation failure.  The diff is truncated after max_lines output
 * lines with a final "... (N more lines)" line.
 *
 * (Every hunk, the first included, starts with "@@ line N @@" where N
 * is the number in 'before' of the hunk's first line.  Every output
 * line ends with "\n"; a line without a final newline is followed by
 * "\ No newline at end of file".  context < 0 counts as 0 and
 * max_lines <= 0 means no limit.)
 */
extern char *text_diff (const char *before, const char *after,
                        int context, int max_lines);

/* ---------------------------------------------------------------------
 * Internal helpers shared by rewrite-dev.c, rewrite-net.c and
 * textdiff.c (implemented in textdiff.c).  Not part of the API above;
 * other code should not depend on them.
 * ---------------------------------------------------------------------
 */

/* Growable strings are common/common.h's struct sbuf (SBUF_INIT,
 * sbuf_add, sbuf_take); on any error the caller just frees its 's'.
 */

/* One line of a text: 'len' bytes of content at 'p', followed by
 * 'eollen' bytes of line ending ("\n", "\r\n", or nothing for a last
 * line without newline).
 */
struct textline {
  const char *p;
  size_t len;
  size_t eollen;
};

/* Split text into lines.  *lines is a newly allocated array (never NULL
 * on success, even when *nr is 0).  Returns 0, or -1 with errno = ENOMEM.
 */
extern int split_lines (const char *text,
                        struct textline **lines, size_t *nr);

static inline int
strbuf_adds (struct sbuf *sb, const char *s)
{
  return sbuf_add (sb, s, strlen (s));
}

/* Append a line exactly as it was, with its own line ending.  */
static inline int
strbuf_addline (struct sbuf *sb, const struct textline *l)
{
  return sbuf_add (sb, l->p, l->len + l->eollen);
}

/* Append line 'l' (with its line ending) with bytes [off, off+len) of
 * it replaced by 'repl'.  Returns 0 or -1.
 */
extern int strbuf_splice (struct sbuf *sb, const struct textline *l,
                          size_t off, size_t len, const char *repl);

/* Rewrite a text line by line: 'fn' appends line 'l', changed or not,
 * to 'out' and returns 1 if it changed it (or dropped it), 0 if not, -1
 * on error.  Implements the conventions of the API above (identical
 * copy, *changes, NULL with errno).
 */
typedef int (*line_rewriter) (struct sbuf *out, const struct textline *l,
                              const void *map, size_t nr_map);
extern char *rewrite_each_line (const char *text, line_rewriter fn,
                                const void *map, size_t nr_map,
                                int *changes);

/* ---------------------------------------------------------------------
 * Kernel command lines, swap, RHEL/SUSE interface files and static
 * addresses (rewrite-boot.c, rewrite-ifcfg.c, rewrite-static.c).
 * ---------------------------------------------------------------------
 */

/* Which kind of file holds a kernel command line. */
enum cmdline_kind {
  /* /etc/default/grub: the GRUB_CMDLINE_LINUX="..." assignment (not
   * GRUB_CMDLINE_LINUX_DEFAULT).  The value may be double-quoted,
   * single-quoted or unquoted (an unquoted value that changes is
   * written back double-quoted).  If there is no GRUB_CMDLINE_LINUX=
   * line at all, GRUB_CMDLINE_LINUX="ARGS" is appended at the end.
   * Commented lines are ignored, and so is a double-quoted value that
   * continues on the next line.
   */
  CMDLINE_GRUB_DEFAULT,
  /* grub.cfg: lines whose first word is linux, linux16 or linuxefi
   * (indented): the arguments after the kernel path.
   */
  CMDLINE_GRUB_CFG,
  /* /boot/loader/entries/\*.conf: the "options ..." line(s).  No options
   * line: unchanged.
   */
  CMDLINE_BLS,
  /* /boot/grub2/grubenv: the "kernelopts=..." line.  The file is
   * re-padded with '#' to its old length (a grubenv block is 1024
   * bytes); if the new content does not fit, NULL with errno = ENOSPC.
   * No kernelopts line: unchanged.
   */
  CMDLINE_GRUBENV,
  /* extlinux.conf / syslinux.cfg: "APPEND ..." lines (keyword case
   * insensitive, may be indented).
   */
  CMDLINE_EXTLINUX,
  /* Alpine /etc/update-extlinux.conf: default_kernel_opts="...".  If
   * absent, unchanged.
   */
  CMDLINE_UPDATE_EXTLINUX,
};

/* Make sure every kernel command line of the given kind carries the
 * arguments in 'add' (NULL-terminated, e.g. "console=ttyS0,115200n8",
 * "rootdelay=300", "nvme_core.io_timeout=4294967295") and none of the
 * arguments whose key is in 'remove' (NULL-terminated keys, e.g.
 * "earlyprintk"; may be NULL).  Rules for each arg A=V in add:
 *  - if the exact token A=V is already present, nothing changes for it;
 *  - key "console": an existing console= token naming the same device
 *    (the part before the first ',' of the value, e.g. "ttyS0") is
 *    removed and A=V is appended at the end (the last console= is the
 *    kernel's primary console); console= tokens for other devices (tty0,
 *    tty1) are kept;
 *  - any other key: an existing token with the same key (the text
 *    before '=', or the whole token for flags without '=') is replaced
 *    in place by A=V; if none, A=V is appended at the end.
 * Tokens are separated by blanks; the separators and quoting of the
 * rest of the line are kept; a quoted token is treated as a plain one.
 * Idempotent: a second run changes nothing.
 *
 * (Details: for a key other than console, "already present" means
 * every token with that key is exactly A=V; otherwise the first one is
 * replaced and the later ones, which would override it, are removed.
 * A token removed by 'remove' is kept if it is exactly one of 'add'.
 * When every argument of a line is removed, the blanks around them go
 * too.)
 */
extern char *rewrite_cmdline_args (const char *text, enum cmdline_kind kind,
                                   const char *const *add,
                                   const char *const *remove, int *changes);

/* /etc/fstab: comment out (prefix "# ferry: ") every non-comment swap
 * line (third field "swap") whose device (first field) is one of
 * 'devices' (NULL-terminated, exact strings such as "/dev/sda2" or
 * "UUID=abcd..."), or every swap line if devices is NULL.  Swap files
 * (first field a path not under /dev/) are included only when devices
 * is NULL.
 */
extern char *rewrite_fstab_drop_swap (const char *text,
                                      const char *const *devices,
                                      int *changes);

/* A RHEL-family (/etc/sysconfig/network-scripts/ifcfg-NAME) or SUSE
 * wicked (/etc/sysconfig/network/ifcfg-NAME) interface file: rename the
 * interface old_name to new_name in DEVICE=, NAME= (when its value is
 * old_name, or a phrase containing old_name as a whole word like "System
 * ens192"), and drop the lines that tie it to the source NIC: HWADDR=,
 * and SUSE's LLADDR=.  MACADDR= (which sets a MAC) is dropped too.
 * Values may be quoted with " or ' or unquoted; keep the quoting style.
 * Keys are upper case, lines may have leading blanks, '#' comments kept.
 *
 * (A whole word in NAME= is delimited by characters other than letters,
 * digits and "_-.:", so "ens192.10" does not contain "ens192".)
 */
extern char *rewrite_ifcfg (const char *text, const char *old_name,
                            const char *new_name, int *changes);

/* The DEVICE= value of an ifcfg file (unquoted, newly allocated), or
 * NULL if there is none (errno 0) or on ENOMEM (errno ENOMEM).
 * (With several DEVICE= lines the last one wins, as in the shell.)
 */
extern char *ifcfg_device (const char *text);

/* A static IPv4 configuration from --mac MAC:ip:ADDR,GW,PREFIX[,DNS...]. */
struct static_ip {
  const char *addr;             /* "192.0.2.10" */
  const char *gw;               /* "192.0.2.1", or NULL/"" for none */
  unsigned prefix;              /* 24 */
  const char *const *dns;       /* NULL-terminated, may be NULL */
};

/* Parse the value of --mac: "MAC:ip:ADDR,GW,PREFIX[,DNS...]" where MAC
 * is 6 hex pairs separated by ':' (any case).  Also accept the virt-v2v
 * forms "MAC:network:NAME" and "MAC:bridge:NAME" by returning 1 with
 * *kind set to "network"/"bridge" and *name set (newly allocated).
 * For "ip" returns 0, fills *mac (newly allocated, lowercase) and *ip
 * (ip->addr/gw/dns newly allocated; free with static_ip_free).  Validate:
 * IPv4 dotted quads (each 0..255), prefix 1..32, gateway optional (empty
 * field means none), DNS entries IPv4 or IPv6 text.  On a syntax error
 * return -1 with *why pointing to a static lowercase English phrase such
 * as "the prefix must be a number from 1 to 32" (the caller wraps it in
 * its error message).
 *
 * (*mac is filled for "network" and "bridge" too, and *kind is "ip" for
 * 0.  Whatever the result, *mac, *name and *ip are reset first, and on
 * -1 nothing is left allocated; out of memory is -1 with errno ENOMEM
 * and *why "out of memory".  Octets with leading zeros ("010") are
 * refused, since some tools read them as octal.  A gateway given as
 * empty is stored as NULL.)
 */
extern int parse_mac_option (const char *arg, char **mac, const char **kind,
                             char **name, struct static_ip *ip,
                             const char **why);
extern void static_ip_free (struct static_ip *ip);

/* Rewrite one interface's configuration to the static address.  Each
 * takes the whole file, the interface name the file configures on the
 * target (already renamed), and returns the rewritten text:
 *  - ifupdown (interfaces(5)): the "iface NAME inet ..." stanza becomes
 *    "iface NAME inet static" with indented "address A/P", "gateway G",
 *    "dns-nameservers D1 D2" lines (old address/netmask/gateway/
 *    dns-nameservers/broadcast/network lines of that stanza removed,
 *    other option lines kept); if there is no stanza for NAME, append
 *    "auto NAME" + the stanza at the end.  inet6 stanzas untouched.
 *  - netplan (YAML, line oriented, 2+ spaces indentation as found): in
 *    the ethernets entry whose key is NAME: remove "dhcp4: ..." and any
 *    existing addresses/routes/gateway4/nameservers sub-blocks, insert
 *    "dhcp4: false", "addresses: [A/P]", "routes:\n - to: default\n
 *    via: G" (gateway4 is not used), "nameservers:\n addresses: [D1,
 *    D2]" at the entry's child indentation.  If NAME's entry is not
 *    found, return an identical copy with *changes = 0.
 *  - ifcfg (RHEL): BOOTPROTO=none, IPADDR=A, PREFIX=P, GATEWAY=G,
 *    DNS1=.., DNS2=.. (replacing existing ones, removing NETMASK=,
 *    existing DNSn=, GATEWAY=, PREFIX=, IPADDR=), ONBOOT=yes.
 *  - wicked (SUSE ifcfg): BOOTPROTO='static', IPADDR='A/P',
 *    STARTMODE='auto' (gateway and DNS live elsewhere on SUSE: ignored).
 *  - nm keyfile: section [ipv4]: method=manual, address1=A/P,G (or A/P
 *    without gw), dns=D1;D2; (replace existing keys of [ipv4]; create
 *    the section at the end if missing).
 *  - networkd .network: in [Network]: DHCP=yes/ipv4/true becomes
 *    DHCP=no, Address=A/P, Gateway=G, DNS=D lines are added (replacing
 *    existing Address=/Gateway=/DNS=); [Network] is created if missing.
 *
 * (Details common to all: *changes counts the lines of a line diff
 * between input and result, a changed line once.  The new lines go
 * where the first line they replace was, else after the line that introduces the entry or
 * section (ifupdown, netplan: at the end of the entry; networkd: at the
 * end of the section); new lines use the file's line ending.  The
 * ifupdown stanza handled is the first "iface NAME inet" one, and
 * "auto NAME" is only appended when no auto/allow-* line names NAME.
 * A netplan entry written in flow style ("NAME: {...}") counts as not
 * found.  ifcfg and wicked also drop the numbered or suffixed variants
 * (IPADDR0=, NETMASK1=, IPADDR_1=, PREFIXLEN=), keep BOOTPROTO= and
 * ONBOOT=/STARTMODE= in place, and write new values with the quote of
 * the existing BOOTPROTO= (none for ifcfg, ' for wicked if there is
 * none).  The nm keyfile [ipv4] also loses gateway=, addresses= and
 * addressN=; its dns= only lists the IPv4 servers.  networkd keeps
 * DHCP=ipv6 and DHCP=no as they are.)
 */
extern char *static_ifupdown (const char *text, const char *name,
                              const struct static_ip *ip, int *changes);
extern char *static_netplan (const char *text, const char *name,
                             const struct static_ip *ip, int *changes);
extern char *static_ifcfg (const char *text, const struct static_ip *ip,
                           int *changes);
extern char *static_wicked (const char *text, const struct static_ip *ip,
                            int *changes);
extern char *static_nm_keyfile (const char *text, const struct static_ip *ip,
                                int *changes);
extern char *static_networkd (const char *text, const struct static_ip *ip,
                              int *changes);

/* Internal helper of rewrite-ifcfg.c and rewrite-static.c (implemented
 * in rewrite-ifcfg.c): output built line by line.  New lines take the
 * file's first line ending; textout_finish keeps a missing final
 * newline missing and sets *changes from a line diff of the result
 * against 'text' (0 for an identical copy).  The functions returning
 * int return 0 or -1; textout_fail frees everything and returns NULL
 * with errno ENOMEM.
 */
struct textout {
  struct sbuf s;
  const char *eol;              /* for new lines */
  int open;                     /* the last line written has no ending */
};
extern void textout_init (struct textout *o,
                          const struct textline *lines, size_t nr);
extern int textout_line (struct textout *o, const struct textline *l);
extern int textout_splice (struct textout *o, const struct textline *l,
                           size_t off, size_t len, const char *repl);
extern int textout_new (struct textout *o, const char *fs, ...)
  __attribute__ ((format (printf, 2, 3)));
extern char *textout_finish (struct textout *o, const char *text,
                             int *changes);
extern char *textout_fail (struct textout *o, struct textline *lines);

#endif /* FERRY_REWRITE_H */
