/* SPDX-License-Identifier: GPL-2.0-or-later */
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
 *
 * new_mac is set only when the target NIC will have that MAC (it is
 * carried to the target): matches on old_mac then become matches on
 * new_mac.  With new_mac NULL, matches on the old MAC are dropped or
 * replaced so that the config follows the target's NIC whatever its MAC.
 * new_name equal to old_name means the guest's own name for the NIC
 * (lan0, given by a .link file, a udev rule or set-name:) survives.
 */
struct nicmap {
  const char *old_name;         /* e.g. "ens192", "eth0" */
  const char *old_mac;          /* may be NULL */
  const char *new_name;         /* e.g. "ens3" */
  const char *new_mac;          /* may be NULL */
  /* For a name that survives with new_mac NULL: what identifies the
   * target's NIC instead of the old MAC in a netplan match: block, as
   * a key and value ("driver", "virtio_net"; "name", "eth1"), or NULL.
   */
  const char *match_key, *match_val;
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
 * cloud-init's version 2 network config is this format too.
 *
 * (An entry whose set-name: is old_name, with new_name equal to
 * old_name, new_mac NULL and match_key set, keeps its name: its match:
 * then names the target's NIC, the macaddress: line becoming
 * "MATCH_KEY: MATCH_VAL" (or an existing MATCH_KEY: line taking the
 * value, and the macaddress: line going), and a name: line going
 * unless match_key is "name".)
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
 * an "id=" equal to the old name is renamed.  A profile that loses its
 * mac-address and has no interface-name gets "interface-name=NEW" at
 * the end of [connection], so that it still applies to one NIC only.
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
 * disappears on the target; comments are kept.  (nicname.c; it is
 * rewrite_udev_rules with no map.)
 *
 * (A rule continued with a trailing '\' is removed whole.  Rules that
 * only match on NAME== are kept.)
 */
extern char *rewrite_persistent_net_rules (const char *text, int *changes);

/* ---------------------------------------------------------------------
 * Which name a NIC gets in the guest on the target (nicname.c), and the
 * guest's own naming rules moved to the target's NIC (nicbind.c).
 * ---------------------------------------------------------------------
 */

/* One NIC as the target's udev sees it when it appears.  NULL: not
 * known offline (a cloud assigns the MAC) or not there (no PCI path on
 * Hyper-V's VMBus).
 */
struct nic_props {
  const char *kernel_name;      /* the kernel's name: "eth0" */
  const char *mac;              /* "52:54:00:12:34:56" */
  const char *path;             /* ID_PATH: "pci-0000:00:03.0" */
  const char *pci;              /* its PCI device (udev KERNELS): "0000:00:03.0" */
  const char *driver;           /* "virtio_net" */
  const char *parent_driver;    /* the driver above it: "virtio-pci" */
  const char *slot_name;        /* ID_NET_NAME_SLOT: "ens3" */
  const char *path_name;        /* ID_NET_NAME_PATH: "enp0s3" */
};

/* A file of the guest's naming policy, a systemd .link file or a udev
 * rules file, by its full path: its directory decides which of two
 * files of the same name counts.
 */
struct name_file {
  const char *path;             /* "/etc/systemd/network/10-lan.link" */
  const char *text;             /* NULL: masked (a symlink to /dev/null) */
};

struct nic_naming {
  const struct name_file *links;  /* .link files, any order */
  size_t nr_links;
  const struct name_file *rules;  /* udev rules files, any order */
  size_t nr_rules;
  int ifnames_off;              /* net.ifnames=0 on the kernel command line */
};

struct nic_name {
  char name[16];                /* the NIC's name in the guest */
  const char *how;              /* static: "kernel name", "NamePolicy=slot",
                                 * "Name=", "NAME=" */
  const char *file;             /* path of the file that decided, or NULL */
  const char *unsure;           /* static: why it may be another name, or NULL */
};

/* The name udev gives NIC 'nic' in a guest with naming policy 'n':
 *  - the first .link file whose [Match] fits the NIC applies, the files
 *    of /etc/systemd/network, /run/systemd/network,
 *    /usr/local/lib/systemd/network, /usr/lib/systemd/network and
 *    /lib/systemd/network taken together in the lexical order of their
 *    names (a file hides those of the same name in the directories
 *    after its own; a masked one counts as absent).  Its NamePolicy=
 *    (not with ifnames_off) gives the first name it can (slot, path,
 *    mac; kernel, database, onboard and keep give none for a virtual
 *    NIC), else its Name=, else the NIC keeps the kernel's name.  A
 *    [Match] without settings makes the file ignored, as systemd 252
 *    does.  When no file is called 99-default.link, systemd's own is
 *    assumed (NamePolicy=keep kernel database onboard slot path);
 *  - then the rules files of /etc/udev/rules.d, /run/udev/rules.d,
 *    /usr/local/lib/udev/rules.d, /usr/lib/udev/rules.d and
 *    /lib/udev/rules.d, in the same order, may assign NAME= in a rule
 *    whose matches fit the NIC; 80-net-setup-link.rules (assumed if
 *    absent, but not if masked) applies the .link's name only if no
 *    rule assigned one before it; NAME:= is final.
 * Match keys the NIC's properties do not answer (ATTRS{}, ENV{},
 * PROGRAM, Property= ...) make the rule or file not match, and
 * conditions (Virtualization= ...) are taken as met; either sets
 * out->unsure, as does NamePolicy=mac when the MAC is not known.
 * Returns 0, or -1 with errno ENOMEM.
 *
 * (udev rules: keys ACTION, SUBSYSTEM(S), KERNEL(S), DRIVER(S), NAME
 * and ATTR(S){address,type,dev_id,dev_port,addr_assign_type} are
 * evaluated, values as '|' separated globs; NAME= takes a literal name,
 * %k, $env{ID_NET_NAME} (the .link's) or $env{ID_NET_NAME_SLOT/PATH/MAC};
 * a PROGRAM running biosdevname gives nothing, as biosdevname names no
 * virtual NIC; GOTO and LABEL are not followed.  An unknown MAC matches
 * only a glob.)
 */
extern int nic_name_eval (const struct nic_naming *n,
                          const struct nic_props *nic, struct nic_name *out);

/* A name a guest file gives a NIC, and the MAC that selects the NIC
 * (lowercase, NULL if it is selected otherwise).
 */
struct nic_binding {
  char *name;
  char *mac;
};

/* The literal names a file gives NICs: kind 'l', a .link file ([Link]
 * Name=, with the first MAC of MACAddress= or PermanentMACAddress=);
 * 'u', a udev rules file (each rule assigning NAME= a literal name,
 * with its ATTR{address}== MAC); 'n', netplan or cloud-init version 2
 * YAML (each ethernets entry with set-name:, with its match:
 * macaddress:).  *b is newly allocated (never NULL on success) with *nr
 * entries; free with nic_bindings_free.  Returns 0, or -1 with errno
 * ENOMEM.
 */
extern int nic_bindings (const char *text, char kind,
                         struct nic_binding **b, size_t *nr);
extern void nic_bindings_free (struct nic_binding *b, size_t nr);

/* One source NIC and the guest's name for it (nic_tie_names). */
struct nic_tie {
  const char *name;             /* points into names, or NULL */
  char *mac;                    /* the MAC the guest ties it to (owned), or NULL */
  int by_order;                 /* tied by order: nothing names its MAC */
  int bound;                    /* a binding gives the name */
};

/* Tie the guest's NIC names to the source VM's NICs.  names (NULL
 * terminated) are the nr_used names configs use, in the order they use
 * them, then the others bindings b give (systemd's own rules name USB
 * management NICs "idrac" ...); macs[i] is source NIC i's MAC (NULL if
 * unknown); texts[f] is a config file and text_names[f] (NULL
 * terminated, may be NULL) the names it configures.
 *  - NIC i takes the name a binding gives its MAC, else the only name a
 *    config that mentions its MAC configures;
 *  - the used names left go to the NICs left, in order (by_order);
 *    names beyond the NICs, and unused ones not tied by MAC, are tied
 *    to none;
 *  - tie[i].mac is the MAC it was tied by, else the MAC of a binding of
 *    its name, else, with one NIC, the only MAC the configs and
 *    bindings mention.
 * Returns 1 if the order chose between NICs or names (with more than
 * one NIC: the mapping is a guess), 0 if not, -1 with errno ENOMEM
 * (tie[].mac then freed).
 */
extern int nic_tie_names (char *const *names, size_t nr_used,
                          const struct nic_binding *b,
                          size_t nb, const char *const *macs, size_t nr_nics,
                          const char *const *texts, char **const *text_names,
                          size_t nr_texts, struct nic_tie *tie);

/* Move a .link file to the target's NICs.  The map entry is the one
 * whose old_name is the file's [Link] Name=; props[i] is the target NIC
 * of map[i].  With no such entry, or one whose name does not survive
 * (new_name not old_name) and whose MAC is not carried (new_mac NULL),
 * the file stays as it is: it will match nothing.  Otherwise:
 *  - MACAddress= and PermanentMACAddress= values equal to old_mac
 *    become new_mac; with new_mac NULL those lines go, and the first
 *    one becomes "Path=ID_PATH" (or "OriginalName=KERNEL" for a NIC
 *    without a PCI path) unless the file has such a line already;
 *  - Path=, Driver= and OriginalName= lines that do not fit the target
 *    NIC take its path, driver and kernel name.
 * Conventions as for the other rewriters (*changes from a line diff).
 */
extern char *rewrite_link_file (const char *text, const struct nicmap *map,
                                const struct nic_props *props, size_t nr_map,
                                int *changes);

/* Move udev rules that assign NAME= to the target's NICs.  The map
 * entry of a rule is the one whose old_mac is its ATTR{address}== (or
 * ATTRS{address}==) value, else the one whose old_name is its NAME=;
 * props[i] is the target NIC of map[i].
 *  - new_mac set: the address takes new_mac;
 *  - new_mac NULL and the name survives (new_name equal to old_name and
 *    to the rule's NAME): the address match becomes KERNELS=="PCI"
 *    (KERNEL=="KERNEL" without a PCI device), or goes if the rule has
 *    that key already;
 *  - in both cases KERNELS==, KERNEL== and DRIVERS== values that do not
 *    fit the target NIC take its PCI device (else kernel name), kernel
 *    name and driver;
 *  - any other rule that assigns NAME= and matches an address is
 *    removed whole (with its continuation lines): that MAC will not be
 *    on the target.
 * Rules that only match NAME==, comments and other rules are kept.
 */
extern char *rewrite_udev_rules (const char *text, const struct nicmap *map,
                                 const struct nic_props *props, size_t nr_map,
                                 int *changes);

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

/* A space or a tab. */
static inline int
is_blank (char c)
{
  return c == ' ' || c == '\t';
}

/* Are the len bytes at p (NULL: no) exactly the string s? */
static inline bool
span_is (const char *p, size_t len, const char *s)
{
  return p != NULL && s != NULL && strlen (s) == len &&
    memcmp (p, s, len) == 0;
}

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
 * Internal helpers shared by nicname.c and nicbind.c (implemented in
 * nicname.c).
 * ---------------------------------------------------------------------
 */

/* Is [p, p+len) a MAC "aa:bb:cc:dd:ee:ff" (any case), that MAC, a name
 * the kernel takes for an interface (1 to 15 bytes, no '/', ':', blanks,
 * quotes, '$' or '%')?
 */
extern int nic_is_mac (const char *p, size_t len);
extern int nic_mac_eq (const char *p, size_t len, const char *mac);
extern int nic_valid_name (const char *p, size_t len);
/* The next blank separated token of [*s, end). */
extern int nic_next_tok (const char **s, const char *end,
                         const char **tok, size_t *len);

/* One line of a systemd unit-style (INI) file. */
struct ini_line {
  const char *sect, *key, *val;   /* NULL if none; sect is the current one */
  size_t sectlen, keylen, vallen;
  int is_sect;
};
/* Split and parse text: *lines and *il (nr entries each, newly
 * allocated).  Returns 0, or -1 with errno ENOMEM (nothing allocated).
 */
extern int ini_parse (const char *text, struct textline **lines,
                      struct ini_line **il, size_t *nr);
extern int ini_is (const struct ini_line *l, const char *sect,
                   const char *key);
/* The first [Match] line of key whose values count (after the last
 * empty assignment), or -1 if it is not set.
 */
extern long ini_key_start (const struct ini_line *il, size_t nr,
                           const char *key);
/* The [Link] line giving key its value (the last, if not empty), or NULL. */
extern const struct ini_line *ini_link_value (const struct ini_line *il,
                                              size_t nr, const char *key);
/* Does str fit the glob list of one value ("!" patterns negated)? */
extern int ini_line_fits (const char *val, size_t len, const char *str);

/* One KEY[{attr}]OP"value" of a udev rule. */
struct udev_tok {
  size_t line;                  /* index of its physical line */
  size_t start, len;            /* the whole token in that line */
  const char *key, *attr, *val; /* attr NULL if none; val inside the quotes */
  size_t keylen, attrlen, vallen;
  char op[3];                   /* "==", "!=", "=", "+=", "-=", ":=" */
};
/* One rule: the physical lines [first, end), continued by '\'. */
struct udev_rule {
  struct udev_tok *t;           /* nr tokens (owned: free (t) when done) */
  size_t nr, cap;
  size_t first, end;
  int comment, bad;             /* a comment; a line udev would not parse */
};
/* Parse the rule starting at line k into r (which keeps its buffer
 * between calls: start it zeroed).  Returns 0, or -1 on ENOMEM.
 */
extern int udev_parse_rule (const struct textline *lines, size_t nr,
                            size_t k, struct udev_rule *r);
extern int udev_key_is (const struct udev_tok *t, const char *key);
extern int udev_attr_is (const struct udev_tok *t, const char *key,
                         const char *attr);
extern int udev_is_match (const struct udev_tok *t);
extern int udev_assigns_name (const struct udev_tok *t);
/* Does one of vals (NULLs skipped) fit the value's '|' separated globs? */
extern int udev_fits_any (const struct udev_tok *t, const char *const *vals,
                          size_t nv);

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
 * interface old_name to new_name in DEVICE= (also its VLANs and aliases,
 * "ens192.10", "ens192:1"), NAME= (when its value is old_name, or a
 * phrase containing old_name as a whole word like "System ens192"), and
 * where a VLAN, bond or bridge names it as a member (PHYSDEV=,
 * ETHERDEVICE=, BONDING_SLAVE*=, BRIDGE_PORTS=), and drop the lines that
 * tie it to the source NIC: HWADDR=, and SUSE's LLADDR=.  MACADDR=
 * (which sets a MAC) is dropped too.
 * Values may be quoted with " or ' or unquoted; keep the quoting style.
 * Keys are upper case, lines may have leading blanks, '#' comments kept.
 *
 * (A whole word in NAME= is delimited by characters other than letters,
 * digits and "_-.:", so "ens192.10" does not contain "ens192".)
 */
extern char *rewrite_ifcfg (const char *text, const char *old_name,
                            const char *new_name, int *changes);

/* rewrite_ifcfg for all the NICs of a map at once.  'name' is the
 * interface the file configures (its DEVICE=, else from its file
 * name).  The entry whose old_name is name, or name's physical device
 * ("ens192" of "ens192.10" or "ens192:1"), renames DEVICE= (keeping the
 * suffix) and NAME= as rewrite_ifcfg does.  Its MAC lines (HWADDR=,
 * LLADDR=, MACADDR=) take new_mac where they are old_mac (or any value
 * if old_mac is NULL), or go when new_mac is NULL; a MAC line in a file
 * of no entry stays only if it is the old_mac of an entry with a
 * new_mac (and takes it).  The interface names in PHYSDEV=,
 * ETHERDEVICE= (VLANs), BONDING_SLAVE*= and BRIDGE_PORTS= are renamed
 * as whole words for every entry.  rewrite_ifcfg (text, O, N) is this
 * with name O and the one entry {O, NULL, N, NULL}.
 */
extern char *rewrite_ifcfg_nics (const char *text, const char *name,
                                 const struct nicmap *map, size_t nr_map,
                                 int *changes);

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
