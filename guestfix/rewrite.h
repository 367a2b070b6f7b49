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
 */

#ifndef FERRY_REWRITE_H
#define FERRY_REWRITE_H

#include <stddef.h>
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
 */
extern char *rewrite_cmdline_devices (const char *text,
                                      const struct devmap *map, size_t nr_map,
                                      int *changes);

/* Rewrite initramfs-tools "RESUME=/dev/sdX" (conf.d/resume) lines.  */
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
 */
extern int ifupdown_list_ifaces (const char *text, char ***names);

/* Rename interfaces in an ifupdown interfaces(5) file: "auto", the
 * "allow-*" lines, "iface NAME[:alias] inet|inet6 ..." and "NAME.VLAN"
 * sub-interfaces.  "hwaddress" lines naming old_mac are dropped (the new
 * NIC has its own MAC).  Methods (dhcp, static ...) and addresses are
 * kept as they are.
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
 */
extern char *rewrite_netplan (const char *text,
                              const struct nicmap *map, size_t nr_map,
                              int *changes);

/* Rewrite a NetworkManager keyfile (.nmconnection, INI style):
 * "interface-name=OLD" in [connection] and "mac-address=OLD" in
 * [ethernet] (removed when new_mac is NULL, replaced otherwise).  Also
 * an "id=" equal to the old name is renamed.
 */
extern char *rewrite_nm_keyfile (const char *text,
                                 const struct nicmap *map, size_t nr_map,
                                 int *changes);

/* Rewrite a systemd-networkd .network or .link file: in [Match],
 * "Name=" values (space separated lists and exact names; globs such as
 * "en*" are left alone) and "MACAddress=" / "PermanentMACAddress=".
 */
extern char *rewrite_networkd (const char *text,
                               const struct nicmap *map, size_t nr_map,
                               int *changes);

/* Remove udev persistent-net rules (70-persistent-net.rules style lines
 * with ATTR{address}=="MAC" ... NAME="ethX") that bind a name to a MAC
 * of the source.  All such lines are removed, since every source MAC
 * disappears on the target; comments are kept.
 */
extern char *rewrite_persistent_net_rules (const char *text, int *changes);

/* Does a kernel command line (or a file containing one) disable
 * predictable interface names (net.ifnames=0 or biosdevname=0 without
 * net.ifnames=1)?  Returns 1 or 0.
 */
extern int cmdline_disables_ifnames (const char *text);

/* A short unified-style diff of two texts, for the change report:
 * lines prefixed "-" and "+", with up to 'context' unchanged lines
 * around each change prefixed " ", and hunks separated by "@@ line N @@".
 * Returns a newly allocated string ("" when the texts are equal) or NULL
 * on allocation failure.  The diff is truncated after max_lines output
 * lines with a final "... (N more lines)" line.
 */
extern char *text_diff (const char *before, const char *after,
                        int context, int max_lines);

/* ---------------------------------------------------------------------
 * Internal helpers shared by rewrite-dev.c, rewrite-net.c and
 * textdiff.c (implemented in textdiff.c).  Not part of the API above;
 * other code should not depend on them.
 * ---------------------------------------------------------------------
 */

/* A growable NUL terminated string.  Initialise with STRBUF_INIT.  On
 * any error the caller just frees 'ptr'.
 */
struct strbuf {
  char *ptr;
  size_t len;
  size_t cap;
};
#define STRBUF_INIT { .ptr = NULL, .len = 0, .cap = 0 }

/* Append n bytes.  Returns 0, or -1 with errno = ENOMEM.  */
extern int strbuf_add (struct strbuf *sb, const char *s, size_t n);

/* Hand over the string (never NULL on success, "" if nothing was added).
 * Returns NULL with errno = ENOMEM on failure, after freeing the buffer.
 */
extern char *strbuf_finish (struct strbuf *sb);

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
strbuf_adds (struct strbuf *sb, const char *s)
{
  return strbuf_add (sb, s, strlen (s));
}

/* Append a line exactly as it was, with its own line ending.  */
static inline int
strbuf_addline (struct strbuf *sb, const struct textline *l)
{
  return strbuf_add (sb, l->p, l->len + l->eollen);
}

/* Append line 'l' (with its line ending) with bytes [off, off+len) of
 * it replaced by 'repl'.  Returns 0 or -1.
 */
extern int strbuf_splice (struct strbuf *sb, const struct textline *l,
                          size_t off, size_t len, const char *repl);

/* Rewrite a text line by line: 'fn' appends line 'l', changed or not,
 * to 'out' and returns 1 if it changed it (or dropped it), 0 if not, -1
 * on error.  Implements the conventions of the API above (identical
 * copy, *changes, NULL with errno).
 */
typedef int (*line_rewriter) (struct strbuf *out, const struct textline *l,
                              const void *map, size_t nr_map);
extern char *rewrite_each_line (const char *text, line_rewriter fn,
                                const void *map, size_t nr_map,
                                int *changes);

#endif /* FERRY_REWRITE_H */
