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

#endif /* FERRY_REWRITE_H */
