/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: unit tests for the guest config rewriters and text_diff.
 *
 * The inputs are modelled on files found on real Debian 12 and Ubuntu
 * 20.04/22.04 VMware guests.  Every check compares the complete output
 * against the complete expected text.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rewrite.h"
#include "unittest.h"

/* Print expected vs got line by line, marking the lines that differ. */
static void
show_mismatch (const char *expected, const char *got)
{
  const char *e = expected, *g = got;
  int lineno = 1;

  printf ("  --- expected / +++ got (lines marked ! differ):\n");
  while (*e || *g) {
    size_t el = strcspn (e, "\n"), gl = strcspn (g, "\n");
    int same = el == gl && memcmp (e, g, el) == 0 &&
      (e[el] == '\n') == (g[gl] == '\n');

    if (same)
      printf ("  %3d   %.*s\n", lineno, (int) el, e);
    else {
      if (*e)
        printf ("  %3d ! -%.*s%s\n", lineno, (int) el, e,
                e[el] == '\n' ? "" : "   (no newline)");
      if (*g)
        printf ("  %3d ! +%.*s%s\n", lineno, (int) gl, g,
                g[gl] == '\n' ? "" : "   (no newline)");
    }
    e += el + (e[el] == '\n');
    g += gl + (g[gl] == '\n');
    lineno++;
  }
}

static void
show_indented (const char *s)
{
  while (*s) {
    size_t len = strcspn (s, "\n");
    printf ("  %.*s\n", (int) len, s);
    s += len + (s[len] == '\n');
  }
}

static void
check_str (const char *what, const char *got, const char *expected)
{
  if (got != NULL && strcmp (got, expected) == 0) {
    passed++;
    return;
  }
  failed++;
  printf ("FAIL: %s\n", what);
  if (got == NULL)
    printf ("  got NULL\n");
  else {
    /* text_diff has its own tests below; if it is the thing that is
     * broken, the plain listing still shows what happened.
     */
    char *d = text_diff (expected, got, 3, 200);

    if (d != NULL && *d) {
      printf ("  --- expected / +++ got:\n");
      show_indented (d);
    }
    else
      show_mismatch (expected, got);
    free (d);
  }
}

static void
check_int (const char *what, long got, long expected)
{
  if (got == expected) {
    passed++;
    return;
  }
  failed++;
  printf ("FAIL: %s: expected %ld, got %ld\n", what, expected, got);
}

static void
check_true (const char *what, int cond)
{
  check_int (what, cond != 0, 1);
}

typedef char *(*dev_fn) (const char *, const struct devmap *, size_t, int *);
typedef char *(*nic_fn) (const char *, const struct nicmap *, size_t, int *);

/* Check output and change count, then that a second pass over the
 * output is a no-op (conversions can be re-run on the same guest).
 */
static void
check_result (const char *name, const char *in, char *out, int changes,
              const char *expected, int expected_changes)
{
  char what[256];

  snprintf (what, sizeof what, "%s: output", name);
  check_str (what, out, expected);
  snprintf (what, sizeof what, "%s: changes", name);
  check_int (what, changes, expected_changes);
  if (expected_changes == 0 && out != NULL) {
    snprintf (what, sizeof what, "%s: unchanged result is a copy", name);
    check_true (what, out != in);
  }
}

/* Run a rewriter of either kind: exactly one of dev, nic is set. */
struct rewriter {
  dev_fn dev;
  nic_fn nic;
};

static char *
run (struct rewriter fn, const char *in, const void *map, size_t nr,
     int *changes)
{
  return fn.dev ? fn.dev (in, map, nr, changes)
    : fn.nic (in, map, nr, changes);
}

static void
t_rewrite (const char *name, struct rewriter fn, const char *in,
           const void *map, size_t nr,
           const char *expected, int expected_changes)
{
  int changes = -1, changes2 = -1;
  char *out = run (fn, in, map, nr, &changes), *out2;
  char what[256];

  check_result (name, in, out, changes, expected, expected_changes);
  if (out == NULL)
    return;
  out2 = run (fn, out, map, nr, &changes2);
  snprintf (what, sizeof what, "%s: second pass", name);
  check_str (what, out2, out);
  check_int (what, changes2, 0);
  free (out);
  free (out2);
}

#define t_dev(name, fn, ...) \
  t_rewrite (name, (struct rewriter) { .dev = fn }, __VA_ARGS__)
#define t_nic(name, fn, ...) \
  t_rewrite (name, (struct rewriter) { .nic = fn }, __VA_ARGS__)

#define NR(a) (sizeof (a) / sizeof (a)[0])

#define UUID_ROOT "UUID=0b1c5d2e-7f3a-4e6b-9c8d-1a2b3c4d5e6f"
#define UUID_SWAP "UUID=5f6e7d8c-9b0a-4f1e-8d2c-3b4a59687766"
#define UUID_VAR  "UUID=a1b2c3d4-e5f6-4789-8abc-def012345678"

static const struct devmap devs[] = {
  { "/dev/sda1", UUID_ROOT },
  { "/dev/sda5", UUID_SWAP },
  { "/dev/sdb1", UUID_VAR },
};

/*----------------------------------------------------------------------*/

static const char fstab_in[] =
  "# /etc/fstab: static file system information.\n"
  "#\n"
  "# Use 'blkid' to print the universally unique identifier for a\n"
  "# device; this may be used with UUID= as a more robust way to name devices\n"
  "# that works even if disks are added and removed. See fstab(5).\n"
  "#\n"
  "# systemd generates mount units based on this file, see systemd.mount(5).\n"
  "# Please run 'systemctl daemon-reload' after making changes here.\n"
  "#\n"
  "# <file system> <mount point>   <type>  <options>       <dump>  <pass>\n"
  "# / was on /dev/sda1 during installation\n"
  "/dev/sda1       /               ext4    errors=remount-ro 0       1\n"
  "# /home was on /dev/sda10 during installation\n"
  "/dev/sda10      /home           ext4    defaults        0       2\n"
  "# swap was on /dev/sda5 during installation\n"
  "/dev/sda5       none            swap    sw              0       0\n"
  "/dev/sdb1\t/var\text4\tdefaults\t0\t2\n"
  "UUID=8d6c0f6e-2b3a-4c1e-9f7a-1b2c3d4e5f60 /srv ext4 defaults 0 2\n"
  "/dev/mapper/vg0-data\t/data\txfs\tdefaults\t0\t0\n"
  "  /dev/sr0        /media/cdrom0   udf,iso9660 user,noauto     0       0\n"
  "\n";

static const char fstab_out[] =
  "# /etc/fstab: static file system information.\n"
  "#\n"
  "# Use 'blkid' to print the universally unique identifier for a\n"
  "# device; this may be used with UUID= as a more robust way to name devices\n"
  "# that works even if disks are added and removed. See fstab(5).\n"
  "#\n"
  "# systemd generates mount units based on this file, see systemd.mount(5).\n"
  "# Please run 'systemctl daemon-reload' after making changes here.\n"
  "#\n"
  "# <file system> <mount point>   <type>  <options>       <dump>  <pass>\n"
  "# / was on /dev/sda1 during installation\n"
  UUID_ROOT "       /               ext4    errors=remount-ro 0       1\n"
  "# /home was on /dev/sda10 during installation\n"
  "/dev/sda10      /home           ext4    defaults        0       2\n"
  "# swap was on /dev/sda5 during installation\n"
  UUID_SWAP "       none            swap    sw              0       0\n"
  UUID_VAR "\t/var\text4\tdefaults\t0\t2\n"
  "UUID=8d6c0f6e-2b3a-4c1e-9f7a-1b2c3d4e5f60 /srv ext4 defaults 0 2\n"
  "/dev/mapper/vg0-data\t/data\txfs\tdefaults\t0\t0\n"
  "  /dev/sr0        /media/cdrom0   udf,iso9660 user,noauto     0       0\n"
  "\n";

static void
test_fstab (void)
{
  /* Someone mapping an LVM path by mistake must not change fstab. */
  static const struct devmap mapper[] = {
    { "/dev/mapper/vg0-data", UUID_VAR },
  };

  t_dev ("fstab debian12", rewrite_fstab, fstab_in, devs, NR (devs),
         fstab_out, 3);
  t_dev ("fstab no trailing newline", rewrite_fstab,
         "/dev/sda1 / ext4 defaults 0 1", devs, NR (devs),
         UUID_ROOT " / ext4 defaults 0 1", 1);
  t_dev ("fstab crlf", rewrite_fstab,
         "/dev/sda1 / ext4 defaults 0 1\r\n/dev/sda5 none swap sw 0 0\r\n",
         devs, NR (devs),
         UUID_ROOT " / ext4 defaults 0 1\r\n"
         UUID_SWAP " none swap sw 0 0\r\n", 2);
  t_dev ("fstab sda10 not sda1", rewrite_fstab,
         "/dev/sda10 /home ext4 defaults 0 2\n/dev/sda1x / ext4 x 0 1\n",
         devs, NR (devs),
         "/dev/sda10 /home ext4 defaults 0 2\n/dev/sda1x / ext4 x 0 1\n", 0);
  t_dev ("fstab mapper untouched", rewrite_fstab,
         "/dev/mapper/vg0-data /data xfs defaults 0 0\n",
         mapper, NR (mapper),
         "/dev/mapper/vg0-data /data xfs defaults 0 0\n", 0);
  t_dev ("fstab empty", rewrite_fstab, "", devs, NR (devs), "", 0);
  t_dev ("fstab empty map", rewrite_fstab, fstab_in, NULL, 0, fstab_in, 0);
  t_dev ("fstab device only line", rewrite_fstab, "/dev/sda1\n",
         devs, NR (devs), UUID_ROOT "\n", 1);
}

/*----------------------------------------------------------------------*/

static const char grubcfg_in[] =
  "### BEGIN /etc/grub.d/10_linux ###\n"
  "menuentry 'Debian GNU/Linux' --class debian --class gnu-linux --class gnu "
  "--class os $menuentry_id_option 'gnulinux-simple-0b1c5d2e' {\n"
  "\tload_video\n"
  "\tinsmod gzio\n"
  "\tif [ x$grub_platform = xxen ]; then insmod xzio; insmod lzopio; fi\n"
  "\tinsmod part_msdos\n"
  "\tinsmod ext2\n"
  "\tset root='hd0,msdos1'\n"
  "\tif [ x$feature_platform_search_hint = xy ]; then\n"
  "\t  search --no-floppy --fs-uuid --set=root --hint-bios=hd0,msdos1 "
  "--hint-efi=hd0,msdos1 --hint-baremetal=ahci0,msdos1  0b1c5d2e\n"
  "\telse\n"
  "\t  search --no-floppy --fs-uuid --set=root 0b1c5d2e\n"
  "\tfi\n"
  "\techo\t'Loading Linux 6.1.0-13-amd64 ...'\n"
  "\tlinux\t/boot/vmlinuz-6.1.0-13-amd64 root=/dev/sda1 ro  quiet "
  "resume=/dev/sda5\n"
  "\techo\t'Loading initial ramdisk ...'\n"
  "\tinitrd\t/boot/initrd.img-6.1.0-13-amd64\n"
  "}\n"
  "menuentry 'Debian GNU/Linux, recovery' {\n"
  "\tlinux\t/boot/vmlinuz-6.1.0-13-amd64 root=/dev/sda10 ro single "
  "real_root=/dev/sda1 systemd.resume=/dev/sda5\n"
  "}\n";

static const char grubcfg_out[] =
  "### BEGIN /etc/grub.d/10_linux ###\n"
  "menuentry 'Debian GNU/Linux' --class debian --class gnu-linux --class gnu "
  "--class os $menuentry_id_option 'gnulinux-simple-0b1c5d2e' {\n"
  "\tload_video\n"
  "\tinsmod gzio\n"
  "\tif [ x$grub_platform = xxen ]; then insmod xzio; insmod lzopio; fi\n"
  "\tinsmod part_msdos\n"
  "\tinsmod ext2\n"
  "\tset root='hd0,msdos1'\n"
  "\tif [ x$feature_platform_search_hint = xy ]; then\n"
  "\t  search --no-floppy --fs-uuid --set=root --hint-bios=hd0,msdos1 "
  "--hint-efi=hd0,msdos1 --hint-baremetal=ahci0,msdos1  0b1c5d2e\n"
  "\telse\n"
  "\t  search --no-floppy --fs-uuid --set=root 0b1c5d2e\n"
  "\tfi\n"
  "\techo\t'Loading Linux 6.1.0-13-amd64 ...'\n"
  "\tlinux\t/boot/vmlinuz-6.1.0-13-amd64 root=" UUID_ROOT " ro  quiet "
  "resume=" UUID_SWAP "\n"
  "\techo\t'Loading initial ramdisk ...'\n"
  "\tinitrd\t/boot/initrd.img-6.1.0-13-amd64\n"
  "}\n"
  "menuentry 'Debian GNU/Linux, recovery' {\n"
  "\tlinux\t/boot/vmlinuz-6.1.0-13-amd64 root=/dev/sda10 ro single "
  "real_root=/dev/sda1 systemd.resume=/dev/sda5\n"
  "}\n";

static const char default_grub_in[] =
  "# If you change this file, run 'update-grub' afterwards to update\n"
  "# /boot/grub/grub.cfg.\n"
  "\n"
  "GRUB_DEFAULT=0\n"
  "GRUB_TIMEOUT=5\n"
  "GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`\n"
  "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet resume=/dev/sda5\"\n"
  "GRUB_CMDLINE_LINUX=\"root=/dev/sda1 net.ifnames=0 biosdevname=0\"\n"
  "#GRUB_CMDLINE_LINUX=\"root=/dev/sda10\"\n";

static const char default_grub_out[] =
  "# If you change this file, run 'update-grub' afterwards to update\n"
  "# /boot/grub/grub.cfg.\n"
  "\n"
  "GRUB_DEFAULT=0\n"
  "GRUB_TIMEOUT=5\n"
  "GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`\n"
  "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet resume=" UUID_SWAP "\"\n"
  "GRUB_CMDLINE_LINUX=\"root=" UUID_ROOT " net.ifnames=0 biosdevname=0\"\n"
  "#GRUB_CMDLINE_LINUX=\"root=/dev/sda10\"\n";

static void
test_cmdline (void)
{
  t_dev ("grub.cfg", rewrite_cmdline_devices, grubcfg_in, devs, NR (devs),
         grubcfg_out, 1);
  t_dev ("default/grub", rewrite_cmdline_devices, default_grub_in,
         devs, NR (devs), default_grub_out, 2);
  t_dev ("extlinux no newline", rewrite_cmdline_devices,
         "  APPEND root=/dev/sdb1 resume=/dev/sda5", devs, NR (devs),
         "  APPEND root=" UUID_VAR " resume=" UUID_SWAP, 1);
  t_dev ("unquoted default/grub", rewrite_cmdline_devices,
         "GRUB_CMDLINE_LINUX=root=/dev/sda1\n", devs, NR (devs),
         "GRUB_CMDLINE_LINUX=root=" UUID_ROOT "\n", 1);
  t_dev ("cmdline already uuid", rewrite_cmdline_devices,
         "linux /vmlinuz root=UUID=1234 ro resume=/dev/sda50 rootfoo=/dev/sda1\n",
         devs, NR (devs),
         "linux /vmlinuz root=UUID=1234 ro resume=/dev/sda50 rootfoo=/dev/sda1\n",
         0);
}

static void
test_resume (void)
{
  t_dev ("resume conf", rewrite_resume_conf,
         "RESUME=/dev/sda5\n", devs, NR (devs),
         "RESUME=" UUID_SWAP "\n", 1);
  t_dev ("resume conf quoted", rewrite_resume_conf,
         "# generated by the installer\nRESUME=\"/dev/sda5\"\n",
         devs, NR (devs),
         "# generated by the installer\nRESUME=\"" UUID_SWAP "\"\n", 1);
  t_dev ("resume conf export, no newline", rewrite_resume_conf,
         "export RESUME=/dev/sda5", devs, NR (devs),
         "export RESUME=" UUID_SWAP, 1);
  t_dev ("resume conf untouched", rewrite_resume_conf,
         "# RESUME=/dev/sda5\nRESUME=none\nRESUME=/dev/sda50\n",
         devs, NR (devs),
         "# RESUME=/dev/sda5\nRESUME=none\nRESUME=/dev/sda50\n", 0);
}

static void
test_ifnames (void)
{
  check_int ("ifnames: default/grub net.ifnames=0",
             cmdline_disables_ifnames (default_grub_in), 1);
  check_int ("ifnames: proc cmdline plain",
             cmdline_disables_ifnames ("BOOT_IMAGE=/vmlinuz root=/dev/sda1 "
                                       "ro quiet\n"), 0);
  check_int ("ifnames: biosdevname=0 alone",
             cmdline_disables_ifnames ("ro quiet biosdevname=0"), 1);
  check_int ("ifnames: biosdevname=0 net.ifnames=1",
             cmdline_disables_ifnames ("biosdevname=0 net.ifnames=1"), 0);
  check_int ("ifnames: commented out",
             cmdline_disables_ifnames ("#GRUB_CMDLINE_LINUX=\"net.ifnames=0\"\n"
                                       "GRUB_CMDLINE_LINUX=\"\"\n"), 0);
  check_int ("ifnames: not a token",
             cmdline_disables_ifnames ("xnet.ifnames=0 net.ifnames=00"), 0);
  check_int ("ifnames: boolean spelling",
             cmdline_disables_ifnames ("\tlinux /vmlinuz net.ifnames=no\n"), 1);
  check_int ("ifnames: empty", cmdline_disables_ifnames (""), 0);
}

/*----------------------------------------------------------------------*/

static const struct nicmap nics[] = {
  { "ens192", "00:50:56:aa:bb:cc", "ens3", "52:54:00:12:34:56", NULL, NULL },
  { "ens224", "00:50:56:aa:bb:dd", "ens4", "52:54:00:12:34:57", NULL, NULL },
};
static const struct nicmap nics_nomac[] = {
  { "ens192", "00:50:56:aa:bb:cc", "ens3", NULL, NULL, NULL },
};

static const char ifupdown_dhcp_in[] =
  "# This file describes the network interfaces available on your system\n"
  "# and how to activate them. For more information, see interfaces(5).\n"
  "\n"
  "source /etc/network/interfaces.d/*\n"
  "\n"
  "# The loopback network interface\n"
  "auto lo\n"
  "iface lo inet loopback\n"
  "\n"
  "# The primary network interface\n"
  "allow-hotplug ens192\n"
  "iface ens192 inet dhcp\n";

static const char ifupdown_dhcp_out[] =
  "# This file describes the network interfaces available on your system\n"
  "# and how to activate them. For more information, see interfaces(5).\n"
  "\n"
  "source /etc/network/interfaces.d/*\n"
  "\n"
  "# The loopback network interface\n"
  "auto lo\n"
  "iface lo inet loopback\n"
  "\n"
  "# The primary network interface\n"
  "allow-hotplug ens3\n"
  "iface ens3 inet dhcp\n";

static const char ifupdown_static_in[] =
  "auto lo ens192\n"
  "iface lo inet loopback\n"
  "\n"
  "# The primary network interface (ens192)\n"
  "iface ens192 inet static\n"
  "\taddress 192.168.10.20\n"
  "\tnetmask 255.255.255.0\n"
  "\tgateway 192.168.10.1\n"
  "\tdns-nameservers 192.168.10.1 8.8.8.8\n"
  "\thwaddress ether 00:50:56:AA:BB:CC\n"
  "\tup ip route add 10.0.0.0/8 via 192.168.10.254 dev ens192\n"
  "\n"
  "auto ens192:0\n"
  "iface ens192:0 inet static\n"
  "    address 192.168.10.21/24\n"
  "\n"
  "auto ens192.10\n"
  "iface ens192.10 inet static\n"
  "    address 10.10.0.5/24\n"
  "    vlan-raw-device ens192\n"
  "\n"
  "allow-hotplug ens1920\n"
  "iface ens1920 inet dhcp\n"
  "    hwaddress 00:50:56:11:22:33\n"
  "\n"
  "iface ens192 inet6 auto\n";

static const char ifupdown_static_out[] =
  "auto lo ens3\n"
  "iface lo inet loopback\n"
  "\n"
  "# The primary network interface (ens192)\n"
  "iface ens3 inet static\n"
  "\taddress 192.168.10.20\n"
  "\tnetmask 255.255.255.0\n"
  "\tgateway 192.168.10.1\n"
  "\tdns-nameservers 192.168.10.1 8.8.8.8\n"
  "\tup ip route add 10.0.0.0/8 via 192.168.10.254 dev ens3\n"
  "\n"
  "auto ens3:0\n"
  "iface ens3:0 inet static\n"
  "    address 192.168.10.21/24\n"
  "\n"
  "auto ens3.10\n"
  "iface ens3.10 inet static\n"
  "    address 10.10.0.5/24\n"
  "    vlan-raw-device ens3\n"
  "\n"
  "allow-hotplug ens1920\n"
  "iface ens1920 inet dhcp\n"
  "    hwaddress 00:50:56:11:22:33\n"
  "\n"
  "iface ens3 inet6 auto\n";

static const char ifupdown_bridge_in[] =
  "auto br0\n"
  "iface br0 inet dhcp\n"
  "  bridge_ports ens192 ens224\n"
  "  bridge_stp off\n"
  "iface ens192 inet manual\n"
  "iface ens224 inet manual";

static const char ifupdown_bridge_out[] =
  "auto br0\n"
  "iface br0 inet dhcp\n"
  "  bridge_ports ens3 ens4\n"
  "  bridge_stp off\n"
  "iface ens3 inet manual\n"
  "iface ens4 inet manual";

static void
check_names (const char *what, const char *text, const char *const *want)
{
  char **names = NULL;
  int n = ifupdown_list_ifaces (text, &names), i, nwant = 0;
  char buf[256];

  while (want[nwant])
    nwant++;
  snprintf (buf, sizeof buf, "%s: count", what);
  check_int (buf, n, nwant);
  if (n < 0)
    return;
  for (i = 0; i < n && i < nwant; ++i) {
    snprintf (buf, sizeof buf, "%s: name %d", what, i);
    check_str (buf, names[i], want[i]);
  }
  snprintf (buf, sizeof buf, "%s: NULL terminated", what);
  check_true (buf, names[n] == NULL);
  for (i = 0; i < n; ++i)
    free (names[i]);
  free (names);
}

static void
test_ifupdown (void)
{
  static const char *const dhcp_names[] = { "ens192", NULL };
  static const char *const static_names[] = {
    "ens192", "ens192:0", "ens192.10", "ens1920", NULL
  };
  static const char *const bridge_names[] = {
    "br0", "ens192", "ens224", NULL
  };
  static const char *const none[] = { NULL };

  t_nic ("ifupdown dhcp", rewrite_ifupdown, ifupdown_dhcp_in,
         nics, NR (nics), ifupdown_dhcp_out, 2);
  t_nic ("ifupdown static", rewrite_ifupdown, ifupdown_static_in,
         nics, NR (nics), ifupdown_static_out, 10);
  t_nic ("ifupdown bridge", rewrite_ifupdown, ifupdown_bridge_in,
         nics, NR (nics), ifupdown_bridge_out, 3);
  t_nic ("ifupdown no map", rewrite_ifupdown, ifupdown_static_in,
         NULL, 0, ifupdown_static_in, 0);

  check_names ("list dhcp", ifupdown_dhcp_in, dhcp_names);
  check_names ("list static", ifupdown_static_in, static_names);
  check_names ("list bridge", ifupdown_bridge_in, bridge_names);
  check_names ("list lo only", "auto lo\niface lo inet loopback\n", none);
  check_names ("list empty", "", none);
}

/*----------------------------------------------------------------------*/

static const char netplan_subiquity_in[] =
  "# This is the network config written by 'subiquity'\n"
  "network:\n"
  "  ethernets:\n"
  "    ens160:\n"
  "      addresses:\n"
  "      - 192.168.1.50/24\n"
  "      gateway4: 192.168.1.1\n"
  "      nameservers:\n"
  "        addresses:\n"
  "        - 192.168.1.1\n"
  "        - 8.8.8.8\n"
  "        search: []\n"
  "  version: 2\n";

static const char netplan_subiquity_out[] =
  "# This is the network config written by 'subiquity'\n"
  "network:\n"
  "  ethernets:\n"
  "    ens3:\n"
  "      addresses:\n"
  "      - 192.168.1.50/24\n"
  "      gateway4: 192.168.1.1\n"
  "      nameservers:\n"
  "        addresses:\n"
  "        - 192.168.1.1\n"
  "        - 8.8.8.8\n"
  "        search: []\n"
  "  version: 2\n";

static const struct nicmap nics160[] = {
  { "ens160", "00:50:56:9a:12:34", "ens3", "52:54:00:ab:cd:ef", NULL, NULL },
  { "ens192", "00:50:56:9a:56:78", "ens4", "52:54:00:ab:cd:f0", NULL, NULL },
};
static const struct nicmap nics160_nomac[] = {
  { "ens160", "00:50:56:9a:12:34", "ens3", NULL, NULL, NULL },
};

/* cloud-init's 50-cloud-init.yaml on Ubuntu pins the NIC by MAC. */
static const char netplan_match_in[] =
  "# This file is generated from information provided by the datasource.\n"
  "network:\n"
  "    ethernets:\n"
  "        ens160:\n"
  "            dhcp4: true\n"
  "            match:\n"
  "                macaddress: 00:50:56:9A:12:34\n"
  "            set-name: ens160\n"
  "        id1:\n"
  "            match:\n"
  "                macaddress: \"00:50:56:9a:56:78\"\n"
  "            set-name: \"lan1\"  # storage network\n"
  "            addresses: [10.0.0.2/24]\n"
  "    version: 2\n";

static const char netplan_match_out[] =
  "# This file is generated from information provided by the datasource.\n"
  "network:\n"
  "    ethernets:\n"
  "        ens3:\n"
  "            dhcp4: true\n"
  "            match:\n"
  "                macaddress: 52:54:00:ab:cd:ef\n"
  "            set-name: ens3\n"
  "        id1:\n"
  "            match:\n"
  "                macaddress: \"52:54:00:ab:cd:f0\"\n"
  "            set-name: \"lan1\"  # storage network\n"
  "            addresses: [10.0.0.2/24]\n"
  "    version: 2\n";

static const char netplan_match_nomac_out[] =
  "# This file is generated from information provided by the datasource.\n"
  "network:\n"
  "    ethernets:\n"
  "        ens3:\n"
  "            dhcp4: true\n"
  "        id1:\n"
  "            match:\n"
  "                macaddress: \"00:50:56:9a:56:78\"\n"
  "            set-name: \"lan1\"  # storage network\n"
  "            addresses: [10.0.0.2/24]\n"
  "    version: 2\n";

static const char netplan_bond_in[] =
  "network:\n"
  "  version: 2\n"
  "  renderer: networkd\n"
  "  ethernets:\n"
  "    ens160: {}\n"
  "    ens192:\n"
  "      dhcp4: no\n"
  "  bonds:\n"
  "    bond0:\n"
  "      interfaces: [ens160, \"ens192\"]\n"
  "      parameters:\n"
  "        mode: active-backup\n"
  "        primary: ens160\n"
  "  bridges:\n"
  "    br0:\n"
  "      interfaces:\n"
  "      - ens192\n"
  "      - bond0\n"
  "      addresses:\n"
  "      - ens160\n"
  "  vlans:\n"
  "    ens160.10:\n"
  "      id: 10\n"
  "      link: ens160\n"
  "\n"
  "  wifis:\n"
  "    ens160: {}\n";

static const char netplan_bond_out[] =
  "network:\n"
  "  version: 2\n"
  "  renderer: networkd\n"
  "  ethernets:\n"
  "    ens3: {}\n"
  "    ens4:\n"
  "      dhcp4: no\n"
  "  bonds:\n"
  "    bond0:\n"
  "      interfaces: [ens3, \"ens4\"]\n"
  "      parameters:\n"
  "        mode: active-backup\n"
  "        primary: ens3\n"
  "  bridges:\n"
  "    br0:\n"
  "      interfaces:\n"
  "      - ens4\n"
  "      - bond0\n"
  "      addresses:\n"
  "      - ens160\n"
  "  vlans:\n"
  "    ens160.10:\n"
  "      id: 10\n"
  "      link: ens3\n"
  "\n"
  "  wifis:\n"
  "    ens160: {}\n";

static void
test_netplan (void)
{
  t_nic ("netplan subiquity", rewrite_netplan, netplan_subiquity_in,
         nics160, NR (nics160), netplan_subiquity_out, 1);
  t_nic ("netplan match+set-name", rewrite_netplan, netplan_match_in,
         nics160, NR (nics160), netplan_match_out, 4);
  t_nic ("netplan match, no new mac", rewrite_netplan, netplan_match_in,
         nics160_nomac, NR (nics160_nomac), netplan_match_nomac_out, 4);
  t_nic ("netplan bond/bridge/vlan", rewrite_netplan, netplan_bond_in,
         nics160, NR (nics160), netplan_bond_out, 6);
  t_nic ("netplan id key, match by name, no new mac", rewrite_netplan,
         "network:\n  ethernets:\n    id0:\n      match:\n"
         "        name: ens160\n      set-name: ens160\n      dhcp4: true\n",
         nics160_nomac, NR (nics160_nomac),
         "network:\n  ethernets:\n    ens3:\n      dhcp4: true\n", 4);
  t_nic ("netplan id key kept with new mac", rewrite_netplan,
         "network:\n  ethernets:\n    id0:\n      match:\n"
         "        macaddress: 00:50:56:9a:12:34\n        name: ens160\n"
         "      set-name: ens160\n",
         nics160, NR (nics160),
         "network:\n  ethernets:\n    id0:\n      match:\n"
         "        macaddress: 52:54:00:ab:cd:ef\n        name: ens3\n"
         "      set-name: ens3\n", 3);
  t_nic ("netplan unrelated", rewrite_netplan, netplan_subiquity_in,
         nics, NR (nics), netplan_subiquity_in, 0);
  t_nic ("netplan no trailing newline", rewrite_netplan,
         "network:\n  ethernets:\n    \"ens160\":\n      dhcp4: true",
         nics160, NR (nics160),
         "network:\n  ethernets:\n    \"ens3\":\n      dhcp4: true", 1);
}

/*----------------------------------------------------------------------*/

static const char nm_in[] =
  "[connection]\n"
  "id=ens192\n"
  "uuid=5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03\n"
  "type=ethernet\n"
  "interface-name=ens192\n"
  "timestamp=1700000000\n"
  "\n"
  "[ethernet]\n"
  "mac-address=00:50:56:AA:BB:CC\n"
  "\n"
  "[ipv4]\n"
  "address1=192.168.10.20/24,192.168.10.1\n"
  "dns=192.168.10.1;\n"
  "method=manual\n"
  "\n"
  "[proxy]\n";

static const char nm_out[] =
  "[connection]\n"
  "id=ens3\n"
  "uuid=5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03\n"
  "type=ethernet\n"
  "interface-name=ens3\n"
  "timestamp=1700000000\n"
  "\n"
  "[ethernet]\n"
  "mac-address=52:54:00:12:34:56\n"
  "\n"
  "[ipv4]\n"
  "address1=192.168.10.20/24,192.168.10.1\n"
  "dns=192.168.10.1;\n"
  "method=manual\n"
  "\n"
  "[proxy]\n";

static const char nm_nomac_out[] =
  "[connection]\n"
  "id=ens3\n"
  "uuid=5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03\n"
  "type=ethernet\n"
  "interface-name=ens3\n"
  "timestamp=1700000000\n"
  "\n"
  "[ethernet]\n"
  "\n"
  "[ipv4]\n"
  "address1=192.168.10.20/24,192.168.10.1\n"
  "dns=192.168.10.1;\n"
  "method=manual\n"
  "\n"
  "[proxy]\n";

/* The profile NM creates by itself: bound only by MAC. */
static const char nm_wired_in[] =
  "[connection]\n"
  "id=Wired connection 1\n"
  "uuid=0a8f2c1e-3b4d-4e5f-8a9b-0c1d2e3f4a5b\n"
  "type=ethernet\n"
  "autoconnect-priority=-999\n"
  "\n"
  "[ethernet]\n"
  "mac-address=00:50:56:AA:BB:DD\n"
  "\n"
  "[ipv4]\n"
  "method=auto\n";

static const char nm_wired_out[] =
  "[connection]\n"
  "id=Wired connection 1\n"
  "uuid=0a8f2c1e-3b4d-4e5f-8a9b-0c1d2e3f4a5b\n"
  "type=ethernet\n"
  "autoconnect-priority=-999\n"
  "\n"
  "[ethernet]\n"
  "mac-address=52:54:00:12:34:57\n"
  "\n"
  "[ipv4]\n"
  "method=auto\n";

static void
test_nm (void)
{
  static const struct nicmap nomac_unknown_old[] = {
    { "ens192", NULL, "ens3", "52:54:00:12:34:56", NULL, NULL },
  };

  t_nic ("nm keyfile", rewrite_nm_keyfile, nm_in, nics, NR (nics),
         nm_out, 3);
  t_nic ("nm keyfile no new mac", rewrite_nm_keyfile, nm_in,
         nics_nomac, NR (nics_nomac), nm_nomac_out, 3);
  t_nic ("nm keyfile old mac unknown", rewrite_nm_keyfile, nm_in,
         nomac_unknown_old, NR (nomac_unknown_old), nm_out, 3);
  t_nic ("nm wired by mac", rewrite_nm_keyfile, nm_wired_in,
         nics, NR (nics), nm_wired_out, 1);
  t_nic ("nm unrelated", rewrite_nm_keyfile, nm_wired_in,
         nics160, NR (nics160), nm_wired_in, 0);
  t_nic ("nm vlan parent", rewrite_nm_keyfile,
         "[connection]\nid=vlan10\ntype=vlan\ninterface-name=ens192.10\n"
         "\n[vlan]\nid=10\nparent=ens192",
         nics, NR (nics),
         "[connection]\nid=vlan10\ntype=vlan\ninterface-name=ens192.10\n"
         "\n[vlan]\nid=10\nparent=ens3", 1);
}

/*----------------------------------------------------------------------*/

static void
test_networkd (void)
{
  t_nic ("networkd name", rewrite_networkd,
         "[Match]\nName=ens192\n\n[Network]\nDHCP=yes\n",
         nics, NR (nics),
         "[Match]\nName=ens3\n\n[Network]\nDHCP=yes\n", 1);
  t_nic ("networkd name list and glob", rewrite_networkd,
         "[Match]\nName=ens224 en* ens1920 ens192\n",
         nics, NR (nics),
         "[Match]\nName=ens4 en* ens1920 ens3\n", 1);
  t_nic ("networkd mac", rewrite_networkd,
         "# static\n[Match]\nMACAddress=00:50:56:AA:BB:CC\nName=ens192\n\n"
         "[Network]\nAddress=192.168.10.20/24\nGateway=192.168.10.1\n"
         "DNS=192.168.10.1\n",
         nics, NR (nics),
         "# static\n[Match]\nMACAddress=52:54:00:12:34:56\nName=ens3\n\n"
         "[Network]\nAddress=192.168.10.20/24\nGateway=192.168.10.1\n"
         "DNS=192.168.10.1\n", 2);
  t_nic ("networkd mac only, no new mac", rewrite_networkd,
         "[Match]\nMACAddress=00:50:56:aa:bb:cc\n\n[Network]\nDHCP=ipv4\n",
         nics_nomac, NR (nics_nomac),
         "[Match]\nName=ens3\n\n[Network]\nDHCP=ipv4\n", 1);
  t_nic ("networkd mac list, no new mac", rewrite_networkd,
         "[Match]\nName=ens192\nMACAddress=00:50:56:11:22:33 "
         "00:50:56:aa:bb:cc  00:50:56:44:55:66\n"
         "PermanentMACAddress=00:50:56:aa:bb:cc\n",
         nics_nomac, NR (nics_nomac),
         "[Match]\nName=ens3\nMACAddress=00:50:56:11:22:33  "
         "00:50:56:44:55:66\n", 3);
  t_nic ("networkd outside Match", rewrite_networkd,
         "[Network]\nVLAN=ens192\n[Link]\nName=ens192\n",
         nics, NR (nics),
         "[Network]\nVLAN=ens192\n[Link]\nName=ens192\n", 0);
  t_nic (".link file mac", rewrite_networkd,
         "[Match]\nMACAddress=00:50:56:aa:bb:cc\n\n[Link]\nName=lan0\n",
         nics, NR (nics),
         "[Match]\nMACAddress=52:54:00:12:34:56\n\n[Link]\nName=lan0\n", 1);
  t_nic (".link file, no new mac", rewrite_networkd,
         "[Match]\nMACAddress=00:50:56:aa:bb:cc\n\n[Link]\nName=lan0\n",
         nics_nomac, NR (nics_nomac),
         "[Match]\nMACAddress=00:50:56:aa:bb:cc\n\n[Link]\nName=lan0\n", 0);
}

/*----------------------------------------------------------------------*/

static const char udev_in[] =
  "# This file was automatically generated by the /lib/udev/write_net_rules\n"
  "# program, run by the persistent-net-generator.rules rules file.\n"
  "#\n"
  "# You can modify it, as long as you keep each rule on a single\n"
  "# line, and change only the value of the NAME= key.\n"
  "\n"
  "# PCI device 0x15ad:0x07b0 (vmxnet3)\n"
  "SUBSYSTEM==\"net\", ACTION==\"add\", DRIVERS==\"?*\", "
  "ATTR{address}==\"00:50:56:aa:bb:cc\", ATTR{dev_id}==\"0x0\", "
  "ATTR{type}==\"1\", KERNEL==\"eth*\", NAME=\"eth0\"\n"
  "\n"
  "# PCI device 0x8086:0x100f (e1000)\n"
  "SUBSYSTEM==\"net\", ACTION==\"add\", DRIVERS==\"?*\", "
  "ATTR{address}==\"00:50:56:aa:bb:dd\", ATTR{dev_id}==\"0x0\", "
  "ATTR{type}==\"1\", KERNEL==\"eth*\", \\\n"
  "    NAME=\"eth1\"\n"
  "# local tweak, not a naming rule\n"
  "SUBSYSTEM==\"net\", ATTR{address}==\"00:50:56:aa:bb:cc\", "
  "NAME==\"eth0\", RUN+=\"/usr/local/bin/tune eth0\"\n";

static const char udev_out[] =
  "# This file was automatically generated by the /lib/udev/write_net_rules\n"
  "# program, run by the persistent-net-generator.rules rules file.\n"
  "#\n"
  "# You can modify it, as long as you keep each rule on a single\n"
  "# line, and change only the value of the NAME= key.\n"
  "\n"
  "# PCI device 0x15ad:0x07b0 (vmxnet3)\n"
  "\n"
  "# PCI device 0x8086:0x100f (e1000)\n"
  "# local tweak, not a naming rule\n"
  "SUBSYSTEM==\"net\", ATTR{address}==\"00:50:56:aa:bb:cc\", "
  "NAME==\"eth0\", RUN+=\"/usr/local/bin/tune eth0\"\n";

static void
t_rules (const char *name, const char *in, const char *expected,
         int expected_changes)
{
  int changes = -1;
  char *out = rewrite_persistent_net_rules (in, &changes);

  check_result (name, in, out, changes, expected, expected_changes);
  free (out);
}

static void
test_udev (void)
{
  t_rules ("persistent-net rules", udev_in, udev_out, 3);
  t_rules ("persistent-net no newline",
           "SUBSYSTEM==\"net\", ATTR{address}==\"00:50:56:aa:bb:cc\", "
           "NAME:=\"eth0\"", "", 1);
  t_rules ("persistent-net commented-out rule",
           "# SUBSYSTEM==\"net\", ATTR{address}==\"00:50:56:aa:bb:cc\", "
           "NAME=\"eth0\"\n",
           "# SUBSYSTEM==\"net\", ATTR{address}==\"00:50:56:aa:bb:cc\", "
           "NAME=\"eth0\"\n", 0);
  t_rules ("persistent-net comments only",
           "# This file was automatically generated\n",
           "# This file was automatically generated\n", 0);
}

/*----------------------------------------------------------------------*/

static void
t_diff (const char *name, const char *a, const char *b, int context,
        int max_lines, const char *expected)
{
  char *d = text_diff (a, b, context, max_lines);

  check_str (name, d, expected);
  free (d);
}

static void
test_diff (void)
{
  char *big_a, *big_b, *d;
  size_t i, len = 0, want_lines;

  t_diff ("diff equal", fstab_in, fstab_in, 3, 0, "");
  t_diff ("diff both empty", "", "", 3, 0, "");
  t_diff ("diff one line", "a\nb\nc\nd\ne\n", "a\nb\nC\nd\ne\n", 1, 0,
          "@@ line 2 @@\n b\n-c\n+C\n d\n");
  t_diff ("diff two hunks",
          "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n",
          "1\nTWO\n3\n4\n5\n6\n7\n8\nNINE\n10\n", 1, 0,
          "@@ line 1 @@\n 1\n-2\n+TWO\n 3\n"
          "@@ line 8 @@\n 8\n-9\n+NINE\n 10\n");
  t_diff ("diff hunks merged", "1\n2\n3\n4\n5\n", "1\nx\n3\ny\n5\n", 1, 0,
          "@@ line 1 @@\n 1\n-2\n+x\n 3\n-4\n+y\n 5\n");
  t_diff ("diff context 0 insert and delete", "a\nb\nc\n", "a\nc\nd\n", 0, 0,
          "@@ line 2 @@\n-b\n@@ line 4 @@\n+d\n");
  t_diff ("diff from empty", "", "x\ny\n", 2, 0, "@@ line 1 @@\n+x\n+y\n");
  t_diff ("diff to empty", "x\n", "", 2, 0, "@@ line 1 @@\n-x\n");
  t_diff ("diff no newline at end", "a\nb", "a\nb\n", 1, 0,
          "@@ line 1 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
  t_diff ("diff truncated", "1\n2\n3\n4\n5\n6\n", "one\ntwo\n3\n4\n5\nsix\n",
          0, 4, "@@ line 1 @@\n-1\n-2\n+one\n... (4 more lines)\n");
  t_diff ("diff fstab", fstab_in, fstab_out, 1, 0,
          "@@ line 11 @@\n"
          " # / was on /dev/sda1 during installation\n"
          "-/dev/sda1       /               ext4    errors=remount-ro 0       1\n"
          "+" UUID_ROOT "       /               ext4    errors=remount-ro 0       1\n"
          " # /home was on /dev/sda10 during installation\n"
          "@@ line 15 @@\n"
          " # swap was on /dev/sda5 during installation\n"
          "-/dev/sda5       none            swap    sw              0       0\n"
          "-/dev/sdb1\t/var\text4\tdefaults\t0\t2\n"
          "+" UUID_SWAP "       none            swap    sw              0       0\n"
          "+" UUID_VAR "\t/var\text4\tdefaults\t0\t2\n"
          " UUID=8d6c0f6e-2b3a-4c1e-9f7a-1b2c3d4e5f60 /srv ext4 defaults 0 2\n");

  /* 2500 x 2500 lines, all different: above the LCS cell limit, so it
   * must fall back to a whole replacement rather than use 12 MB+.
   */
  big_a = malloc (2500 * 16);
  big_b = malloc (2500 * 16);
  if (big_a == NULL || big_b == NULL) {
    printf ("FAIL: out of memory in test\n");
    failed++;
    free (big_a);
    free (big_b);
    return;
  }
  for (i = 0; i < 2500; ++i)
    len += sprintf (big_a + len, "a%zu\n", i);
  len = 0;
  for (i = 0; i < 2500; ++i)
    len += sprintf (big_b + len, "b%zu\n", i);
  t_diff ("diff big truncated", big_a, big_b, 3, 4,
          "@@ line 1 @@\n-a0\n-a1\n-a2\n... (4997 more lines)\n");
  d = text_diff (big_a, big_b, 3, 0);
  want_lines = 0;
  for (i = 0; d != NULL && d[i]; ++i)
    want_lines += d[i] == '\n';
  check_int ("diff big untruncated lines", (long) want_lines, 5001);
  check_true ("diff big order",
              d != NULL && strstr (d, "-a2499\n+b0\n") != NULL);
  free (d);
  free (big_a);
  free (big_b);
}

int
main (void)
{
  test_fstab ();
  test_cmdline ();
  test_resume ();
  test_ifnames ();
  test_ifupdown ();
  test_netplan ();
  test_nm ();
  test_networkd ();
  test_udev ();
  test_diff ();

  printf ("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
