/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: rewrite block device references (/dev/sdX and friends) in
 * guest configuration files to stable names.
 *
 * VMware guests commonly use /dev/sdX (pvscsi, LSI) or /dev/hdX names.
 * On KVM with virtio-blk the same disks become /dev/vdX, so any
 * reference by kernel name has to become a UUID= (or similar) one
 * before the first boot.  Everything here is a pure text transform.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>

#include "rewrite.h"

static const char *
lookup_dev (const struct devmap *map, size_t nr_map,
            const char *tok, size_t len)
{
  size_t i;

  if (len == 0)
    return NULL;
  for (i = 0; i < nr_map; ++i) {
    if (map[i].from == NULL || map[i].to == NULL)
      continue;
    if (strlen (map[i].from) == len && memcmp (map[i].from, tok, len) == 0)
      return map[i].to;
  }
  return NULL;
}

/* Device specs that are already stable, or that we must not touch even
 * if someone put them in the map by mistake: an LVM or dm-crypt mapping
 * is the same on the target whatever the disk bus.
 */
static int
is_stable_spec (const char *tok, size_t len)
{
  static const char *const prefixes[] = {
    "UUID=", "LABEL=", "PARTUUID=", "PARTLABEL=",
    "/dev/disk/by-", "/dev/mapper/", NULL
  };
  size_t i;

  for (i = 0; prefixes[i]; ++i) {
    size_t plen = strlen (prefixes[i]);
    if (len >= plen && strncmp (tok, prefixes[i], plen) == 0)
      return 1;
  }
  return 0;
}

static int
fstab_line (struct sbuf *out, const struct textline *l,
            const void *vmap, size_t nr_map)
{
  const struct devmap *map = vmap;
  size_t i = 0, start;
  const char *to;

  while (i < l->len && is_blank (l->p[i]))
    i++;
  if (i == l->len || l->p[i] == '#')
    goto keep;
  start = i;
  while (i < l->len && !is_blank (l->p[i]))
    i++;
  if (is_stable_spec (&l->p[start], i - start))
    goto keep;
  to = lookup_dev (map, nr_map, &l->p[start], i - start);
  if (to == NULL)
    goto keep;
  if (strbuf_splice (out, l, start, i - start, to) == -1)
    return -1;
  return 1;

 keep:
  return strbuf_addline (out, l) == -1 ? -1 : 0;
}

char *
rewrite_fstab (const char *text,
               const struct devmap *map, size_t nr_map, int *changes)
{
  return rewrite_each_line (text, fstab_line, map, nr_map, changes);
}

/* Characters that end a kernel command line token.  Quotes are included
 * because the command line usually sits inside GRUB_CMDLINE_LINUX="..."
 * or a quoted grub variable.
 */
static int
is_cmdline_sep (char c)
{
  return c == ' ' || c == '\t' || c == '"' || c == '\'';
}

static int
cmdline_line (struct sbuf *out, const struct textline *l,
              const void *vmap, size_t nr_map)
{
  const struct devmap *map = vmap;
  static const char *const keys[] = { "root=", "resume=", NULL };
  size_t i, copied = 0;
  int changed = 0;

  for (i = 0; i < l->len; ++i) {
    size_t k, klen = 0, vstart, vend;
    const char *to;

    /* '=' also counts as a start boundary so that an unquoted
     * GRUB_CMDLINE_LINUX=root=/dev/sda1 is handled.  Anything else
     * before the key (a letter, '_', '.', '-') means it is a different
     * parameter such as real_root= or systemd.resume=.
     */
    if (i > 0 && !is_cmdline_sep (l->p[i - 1]) && l->p[i - 1] != '=')
      continue;
    for (k = 0; keys[k]; ++k) {
      klen = strlen (keys[k]);
      if (l->len - i >= klen && memcmp (&l->p[i], keys[k], klen) == 0)
        break;
    }
    if (keys[k] == NULL)
      continue;

    vstart = vend = i + klen;
    while (vend < l->len && !is_cmdline_sep (l->p[vend]))
      vend++;
    to = lookup_dev (map, nr_map, &l->p[vstart], vend - vstart);
    if (to == NULL)
      continue;

    if (sbuf_add (out, &l->p[copied], vstart - copied) == -1 ||
        strbuf_adds (out, to) == -1)
      return -1;
    copied = vend;
    i = vend - 1;
    changed = 1;
  }

  if (sbuf_add (out, &l->p[copied], l->len - copied + l->eollen) == -1)
    return -1;
  return changed;
}

char *
rewrite_cmdline_devices (const char *text,
                         const struct devmap *map, size_t nr_map,
                         int *changes)
{
  return rewrite_each_line (text, cmdline_line, map, nr_map, changes);
}

static int
resume_line (struct sbuf *out, const struct textline *l,
             const void *vmap, size_t nr_map)
{
  const struct devmap *map = vmap;
  size_t i = 0, vstart, vend;
  const char *to;

  while (i < l->len && is_blank (l->p[i]))
    i++;
  /* The file is sourced by the initramfs shell scripts, so tolerate
   * the occasional "export RESUME=...".
   */
  if (l->len - i > 7 && strncmp (&l->p[i], "export", 6) == 0 &&
      is_blank (l->p[i + 6])) {
    i += 6;
    while (i < l->len && is_blank (l->p[i]))
      i++;
  }
  if (l->len - i < 7 || strncmp (&l->p[i], "RESUME=", 7) != 0)
    goto keep;
  vstart = i + 7;
  if (vstart < l->len && (l->p[vstart] == '"' || l->p[vstart] == '\'')) {
    const char *q = memchr (&l->p[vstart + 1], l->p[vstart],
                            l->len - vstart - 1);
    if (q == NULL)
      goto keep;
    vstart++;
    vend = q - l->p;
  }
  else {
    vend = vstart;
    while (vend < l->len && !is_blank (l->p[vend]) && l->p[vend] != '#' &&
           l->p[vend] != ';')
      vend++;
  }
  to = lookup_dev (map, nr_map, &l->p[vstart], vend - vstart);
  if (to == NULL)
    goto keep;
  if (strbuf_splice (out, l, vstart, vend - vstart, to) == -1)
    return -1;
  return 1;

 keep:
  return strbuf_addline (out, l) == -1 ? -1 : 0;
}

char *
rewrite_resume_conf (const char *text,
                     const struct devmap *map, size_t nr_map, int *changes)
{
  return rewrite_each_line (text, resume_line, map, nr_map, changes);
}

/* systemd/udev parse net.ifnames= with parse_boolean(), so accept the
 * same spellings.  Returns 1 true, 0 false, -1 not a boolean.
 */
static int
parse_bool (const char *s, size_t len)
{
  static const char *const t[] = { "1", "yes", "y", "true", "t", "on", NULL };
  static const char *const f[] = { "0", "no", "n", "false", "f", "off", NULL };
  size_t i;

  for (i = 0; t[i]; ++i)
    if (strlen (t[i]) == len && strncasecmp (s, t[i], len) == 0)
      return 1;
  for (i = 0; f[i]; ++i)
    if (strlen (f[i]) == len && strncasecmp (s, f[i], len) == 0)
      return 0;
  return -1;
}

int
cmdline_disables_ifnames (const char *text)
{
  const char *p = text;
  int ifnames = -1, biosdevname = -1;

  while (*p) {
    const char *eol = strchr (p, '\n');
    const char *q = p;

    if (eol == NULL)
      eol = p + strlen (p);

    /* A commented-out GRUB_CMDLINE_LINUX in /etc/default/grub is a
     * common leftover and says nothing about the running system.
     */
    while (q < eol && (is_blank (*q) || *q == '\r'))
      q++;
    if (q < eol && *q == '#') {
      p = *eol ? eol + 1 : eol;
      continue;
    }

    while (q < eol) {
      const char *tok;
      size_t len;

      while (q < eol && (is_cmdline_sep (*q) || *q == '\r'))
        q++;
      tok = q;
      while (q < eol && !is_cmdline_sep (*q) && *q != '\r')
        q++;
      len = q - tok;
      if (len > 12 && strncmp (tok, "net.ifnames=", 12) == 0) {
        int b = parse_bool (tok + 12, len - 12);
        /* On one command line the last setting wins; across several
         * grub.cfg entries, any entry disabling it is what matters.
         */
        if (b == 0)
          ifnames = 0;
        else if (b == 1 && ifnames != 0)
          ifnames = 1;
      }
      else if (len == 13 && strncmp (tok, "biosdevname=0", 13) == 0)
        biosdevname = 0;
    }
    p = *eol ? eol + 1 : eol;
  }

  if (ifnames == 0)
    return 1;
  if (biosdevname == 0 && ifnames != 1)
    return 1;
  return 0;
}
