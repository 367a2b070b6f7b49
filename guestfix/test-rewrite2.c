/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: unit tests for the kernel command line, swap, ifcfg and static
 * address rewriters (rewrite-boot.c, rewrite-ifcfg.c).
 *
 * Every check compares the complete output against the complete
 * expected text, and every rewrite is run a second time over its own
 * output, which must then be an unchanged copy.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include "rewrite.h"
#include "unittest.h"

static void
check_str (const char *what, const char *got, const char *expected)
{
  char *d;

  if (streq (got, expected)) {
    passed++;
    return;
  }
  failed++;
  printf ("FAIL: %s\n", what);
  if (got == NULL || expected == NULL) {
    printf ("  got %s, expected %s\n", got ? got : "NULL",
            expected ? expected : "NULL");
    return;
  }
  d = text_diff (expected, got, 3, 200);
  printf ("  --- expected / +++ got:\n%s", d ? d : "(no memory)\n");
  free (d);
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

/* Every rewriter under test, called through a context. */
typedef char *(*fn_t) (const char *in, const void *ctx, int *changes);

static void
t_run (const char *name, fn_t fn, const void *ctx, const char *in,
       const char *expected, int expected_changes)
{
  int changes = -1, changes2 = -1;
  char *out = fn (in, ctx, &changes), *out2;
  char what[256];

  snprintf (what, sizeof what, "%s: output", name);
  check_str (what, out, expected);
  snprintf (what, sizeof what, "%s: changes", name);
  check_int (what, changes, expected_changes);
  if (out == NULL)
    return;
  if (expected_changes == 0) {
    snprintf (what, sizeof what, "%s: unchanged result is a copy", name);
    check_int (what, out != in, 1);
  }
  out2 = fn (out, ctx, &changes2);
  snprintf (what, sizeof what, "%s: second pass", name);
  check_str (what, out2, out);
  check_int (what, changes2, 0);
  free (out);
  free (out2);
}

struct cmd_ctx {
  enum cmdline_kind kind;
  const char *const *add;
  const char *const *remove;
};

static char *
run_cmdline (const char *in, const void *vctx, int *changes)
{
  const struct cmd_ctx *c = vctx;

  return rewrite_cmdline_args (in, c->kind, c->add, c->remove, changes);
}

static const char *const add_con[] = {
  "console=ttyS0,115200n8", "rootdelay=300", NULL
};
static const char *const rm_early[] = { "earlyprintk", NULL };
static const char *const no_args[] = { NULL };

#define CMD(kind, add, rm) (&(struct cmd_ctx) { kind, add, rm })
#define t_cmd(name, kind, add, rm, in, out, n) \
  t_run (name, run_cmdline, CMD (kind, add, rm), in, out, n)
#define GD CMDLINE_GRUB_DEFAULT
#define CON "console=ttyS0,115200n8 rootdelay=300"

static void
test_grub_default (void)
{
  static const char *const add_flags[] = { "quiet", "nomodeset", NULL };
  static const char *const add_delay[] = { "rootdelay=300", NULL };
  static const char *const add_ttys0[] = { "console=ttyS0,115200n8", NULL };

  t_cmd ("grub debian", GD, add_con, NULL,
         "GRUB_DEFAULT=0\n"
         "GRUB_TIMEOUT=5\n"
         "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n"
         "GRUB_CMDLINE_LINUX=\"\"\n"
         "#GRUB_CMDLINE_LINUX=\"console=tty1\"\n",
         "GRUB_DEFAULT=0\n"
         "GRUB_TIMEOUT=5\n"
         "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n"
         "GRUB_CMDLINE_LINUX=\"" CON "\"\n"
         "#GRUB_CMDLINE_LINUX=\"console=tty1\"\n", 1);
  t_cmd ("grub console and replace", GD, add_con, NULL,
         "GRUB_CMDLINE_LINUX=\"console=ttyS0,9600 crashkernel=auto "
         "console=tty0 rootdelay=10\"\n",
         "GRUB_CMDLINE_LINUX=\"crashkernel=auto console=tty0 rootdelay=300 "
         "console=ttyS0,115200n8\"\n", 1);
  t_cmd ("grub console other devices kept", GD, add_ttys0, NULL,
         "GRUB_CMDLINE_LINUX=\"console=ttyS0 console=ttyS1,9600 "
         "console=tty1\"\n",
         "GRUB_CMDLINE_LINUX=\"console=ttyS1,9600 console=tty1 "
         "console=ttyS0,115200n8\"\n", 1);
  t_cmd ("grub single quotes", GD, add_con, NULL,
         "GRUB_CMDLINE_LINUX='quiet  splash'\n",
         "GRUB_CMDLINE_LINUX='quiet  splash " CON "'\n", 1);
  t_cmd ("grub unquoted", GD, add_con, NULL,
         "GRUB_CMDLINE_LINUX=quiet\n",
         "GRUB_CMDLINE_LINUX=\"quiet " CON "\"\n", 1);
  t_cmd ("grub unquoted empty", GD, add_delay, NULL,
         "GRUB_CMDLINE_LINUX=\nGRUB_TIMEOUT=1\n",
         "GRUB_CMDLINE_LINUX=\"rootdelay=300\"\nGRUB_TIMEOUT=1\n", 1);
  t_cmd ("grub absent crlf no final newline", GD, add_con, NULL,
         "GRUB_TIMEOUT=5\r\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"",
         "GRUB_TIMEOUT=5\r\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\r\n"
         "GRUB_CMDLINE_LINUX=\"" CON "\"", 1);
  t_cmd ("grub absent, only commented", GD, add_con, NULL,
         "#GRUB_CMDLINE_LINUX=\"quiet\"\n",
         "#GRUB_CMDLINE_LINUX=\"quiet\"\nGRUB_CMDLINE_LINUX=\"" CON "\"\n", 1);
  t_cmd ("grub empty file", GD, add_con, NULL, "",
         "GRUB_CMDLINE_LINUX=\"" CON "\"\n", 1);
  t_cmd ("grub absent, nothing to add", GD, no_args, rm_early,
         "GRUB_TIMEOUT=5\n", "GRUB_TIMEOUT=5\n", 0);
  t_cmd ("grub remove", GD, no_args, rm_early,
         "GRUB_CMDLINE_LINUX=\"earlyprintk=ttyS0 quiet earlyprintk=vga\"\n",
         "GRUB_CMDLINE_LINUX=\"quiet\"\n", 1);
  t_cmd ("grub remove flag and everything", GD, no_args, rm_early,
         "GRUB_CMDLINE_LINUX=\" earlyprintk \"\n",
         "GRUB_CMDLINE_LINUX=\"\"\n", 1);
  t_cmd ("grub remove and add", GD, add_con, rm_early,
         "GRUB_CMDLINE_LINUX=\"quiet earlyprintk=ttyS0\"\r\n",
         "GRUB_CMDLINE_LINUX=\"quiet " CON "\"\r\n", 1);
  t_cmd ("grub already there", GD, add_con, rm_early,
         "GRUB_CMDLINE_LINUX=\"rootdelay=300 console=ttyS0,115200n8 "
         "console=tty0\"\n",
         "GRUB_CMDLINE_LINUX=\"rootdelay=300 console=ttyS0,115200n8 "
         "console=tty0\"\n", 0);
  t_cmd ("grub duplicate key", GD, add_delay, NULL,
         "GRUB_CMDLINE_LINUX=\"rootdelay=300 quiet rootdelay=5\"\n",
         "GRUB_CMDLINE_LINUX=\"rootdelay=300 quiet\"\n", 1);
  t_cmd ("grub flags", GD, add_flags, NULL,
         "GRUB_CMDLINE_LINUX=\"quiet splash\"\n",
         "GRUB_CMDLINE_LINUX=\"quiet splash nomodeset\"\n", 1);
  t_cmd ("grub value on two lines is left alone", GD, add_con, NULL,
         "GRUB_CMDLINE_LINUX=\"quiet\nsplash\"\n",
         "GRUB_CMDLINE_LINUX=\"quiet\nsplash\"\n", 0);
  t_cmd ("grub escaped quote", GD, add_delay, NULL,
         "GRUB_CMDLINE_LINUX=\"foo=\\\"a b\\\" quiet\"\n",
         "GRUB_CMDLINE_LINUX=\"foo=\\\"a b\\\" quiet rootdelay=300\"\n", 1);
  t_cmd ("grub indented, comment after", GD, add_con, NULL,
         "  GRUB_CMDLINE_LINUX=\"quiet\" # serial\n",
         "  GRUB_CMDLINE_LINUX=\"quiet " CON "\" # serial\n", 1);
  t_cmd ("grub _DEFAULT only", GD, add_delay, NULL,
         "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"\"",
         "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n"
         "GRUB_CMDLINE_LINUX=\"rootdelay=300\"", 1);
}

static void
test_boot_files (void)
{
  t_cmd ("grub.cfg", CMDLINE_GRUB_CFG, add_con, rm_early,
         "menuentry 'Debian GNU/Linux' {\n"
         "\tinsmod ext2\n"
         "\tlinux\t/boot/vmlinuz-6.1 root=UUID=abc ro earlyprintk=ttyS0 quiet\n"
         "\tinitrd\t/boot/initrd.img-6.1\n"
         "}\n"
         "menuentry 'old' {\n"
         "\tlinux16 /vmlinuz-3.10 root=/dev/sda1 rootdelay=10 console=tty0\n"
         "\tlinuxefi /vmlinuz-4.18\n"
         "  linux /vmlinuz $kernelopts\n"
         "\tlinux\n"
         "}\n"
         "# linux /vmlinuz commented\n",
         "menuentry 'Debian GNU/Linux' {\n"
         "\tinsmod ext2\n"
         "\tlinux\t/boot/vmlinuz-6.1 root=UUID=abc ro quiet " CON "\n"
         "\tinitrd\t/boot/initrd.img-6.1\n"
         "}\n"
         "menuentry 'old' {\n"
         "\tlinux16 /vmlinuz-3.10 root=/dev/sda1 rootdelay=300 console=tty0 "
         "console=ttyS0,115200n8\n"
         "\tlinuxefi /vmlinuz-4.18 " CON "\n"
         "  linux /vmlinuz $kernelopts " CON "\n"
         "\tlinux\n"
         "}\n"
         "# linux /vmlinuz commented\n", 4);
  t_cmd ("grub.cfg crlf, trailing blank, no final newline", CMDLINE_GRUB_CFG,
         add_con, NULL,
         "\tlinux /vmlinuz \"root=UUID=x\" ro \r\n\tlinux /vmlinuz",
         "\tlinux /vmlinuz \"root=UUID=x\" ro " CON " \r\n"
         "\tlinux /vmlinuz " CON, 2);
  t_cmd ("grub.cfg remove only", CMDLINE_GRUB_CFG, no_args, rm_early,
         "linux /vmlinuz earlyprintk=ttyS0\nlinux /vmlinuz ro  earlyprintk  quiet\n",
         "linux /vmlinuz\nlinux /vmlinuz ro  quiet\n", 2);
  t_cmd ("bls", CMDLINE_BLS, add_con, NULL,
         "title Red Hat Enterprise Linux (4.18.0) 8.6\n"
         "version 4.18.0-372.el8.x86_64\n"
         "linux /vmlinuz-4.18.0-372.el8.x86_64\n"
         "initrd /initramfs-4.18.0-372.el8.x86_64.img $tuned_initrd\n"
         "options root=/dev/mapper/rhel-root ro crashkernel=auto rhgb quiet "
         "$tuned_params\n"
         "grub_users $grub_users\n",
         "title Red Hat Enterprise Linux (4.18.0) 8.6\n"
         "version 4.18.0-372.el8.x86_64\n"
         "linux /vmlinuz-4.18.0-372.el8.x86_64\n"
         "initrd /initramfs-4.18.0-372.el8.x86_64.img $tuned_initrd\n"
         "options root=/dev/mapper/rhel-root ro crashkernel=auto rhgb quiet "
         "$tuned_params " CON "\n"
         "grub_users $grub_users\n", 1);
  t_cmd ("bls no options", CMDLINE_BLS, add_con, NULL,
         "title x\nlinux /vmlinuz\n", "title x\nlinux /vmlinuz\n", 0);
  t_cmd ("bls bare options", CMDLINE_BLS, add_con, NULL,
         "options\r\n", "options " CON "\r\n", 1);
  t_cmd ("extlinux", CMDLINE_EXTLINUX, add_con, NULL,
         "DEFAULT linux\n"
         "LABEL linux\n"
         "  KERNEL /boot/vmlinuz\n"
         "  APPEND root=/dev/sda1 ro console=ttyS0,9600\n"
         "label rescue\n"
         "\tkernel /boot/vmlinuz\n"
         "\tappend initrd=/boot/initrd single\n"
         "# APPEND commented\n",
         "DEFAULT linux\n"
         "LABEL linux\n"
         "  KERNEL /boot/vmlinuz\n"
         "  APPEND root=/dev/sda1 ro " CON "\n"
         "label rescue\n"
         "\tkernel /boot/vmlinuz\n"
         "\tappend initrd=/boot/initrd single " CON "\n"
         "# APPEND commented\n", 2);
  t_cmd ("extlinux APPENDX is not APPEND", CMDLINE_EXTLINUX, add_con, NULL,
         "APPENDX a\n", "APPENDX a\n", 0);
  t_cmd ("update-extlinux", CMDLINE_UPDATE_EXTLINUX, add_con, NULL,
         "overwrite=1\n"
         "default_kernel_opts=\"quiet rootfstype=ext4\"\n"
         "modules=sd-mod,usb-storage,ext4\n",
         "overwrite=1\n"
         "default_kernel_opts=\"quiet rootfstype=ext4 " CON "\"\n"
         "modules=sd-mod,usb-storage,ext4\n", 1);
  t_cmd ("update-extlinux absent", CMDLINE_UPDATE_EXTLINUX, add_con, NULL,
         "overwrite=1\n#default_kernel_opts=\"quiet\"",
         "overwrite=1\n#default_kernel_opts=\"quiet\"", 0);
}

/* A 1024-byte grubenv with these variable lines. */
static char *
grubenv (const char *vars)
{
  char *s = malloc (1025);
  size_t len;

  if (s == NULL)
    abort ();
  len = snprintf (s, 1025, "# GRUB Environment Block\n%s", vars);
  if (len > 1024)
    len = 1024;
  memset (s + len, '#', 1024 - len);
  s[1024] = '\0';
  return s;
}

static void
test_grubenv (void)
{
  char *in, *out, big[1100];
  int changes = -1;

  in = grubenv ("saved_entry=abc\nkernelopts=root=/dev/vda1 ro quiet \n"
                "boot_success=1\n");
  out = grubenv ("saved_entry=abc\nkernelopts=root=/dev/vda1 ro quiet "
                 CON " \nboot_success=1\n");
  t_cmd ("grubenv", CMDLINE_GRUBENV, add_con, NULL, in, out, 1);
  check_int ("grubenv size", (long) strlen (out), 1024);
  free (in);
  free (out);

  in = grubenv ("kernelopts=ro earlyprintk=ttyS0\n");
  out = grubenv ("kernelopts=ro\n");
  t_cmd ("grubenv shrinks", CMDLINE_GRUBENV, no_args, rm_early, in, out, 1);
  free (out);
  t_cmd ("grubenv no kernelopts", CMDLINE_GRUBENV, add_con, NULL,
         "# GRUB Environment Block\nsaved_entry=0\n####",
         "# GRUB Environment Block\nsaved_entry=0\n####", 0);
  free (in);

  /* 24 + 1 + 11 + 980 + 1 = 1017 bytes of variables: no room. */
  memset (big, 'x', 980);
  big[980] = '\0';
  in = grubenv ("kernelopts=");
  memcpy (in + 36, big, 980);
  in[1016] = '\n';
  errno = 0;
  out = rewrite_cmdline_args (in, CMDLINE_GRUBENV, add_con, NULL, &changes);
  check_str ("grubenv full: NULL", out ? "not NULL" : "NULL", "NULL");
  check_int ("grubenv full: ENOSPC", errno, ENOSPC);
  free (out);
  free (in);
}

/*----------------------------------------------------------------------*/

static char *
run_swap (const char *in, const void *ctx, int *changes)
{
  return rewrite_fstab_drop_swap (in, ctx, changes);
}

static const char fstab_in[] =
  "# <file system> <mount point> <type> <options> <dump> <pass>\n"
  "UUID=1111 / ext4 errors=remount-ro 0 1\n"
  "# swap was on /dev/sda5 during installation\n"
  "UUID=5555 none            swap    sw              0       0\n"
  "/dev/sda2\tswap\tswap\tdefaults\t0 0\n"
  "/swapfile none swap sw 0 0\n"
  "#/dev/sdb1 none swap sw 0 0\n"
  "/dev/sdc1 /swap ext4 defaults 0 0\n"
  "swap swap\n"
  "  /dev/mapper/vg-swap none swap sw 0 0\n";

static void
test_swap (void)
{
  static const char *const devs[] = {
    "/dev/sda2", "UUID=5555", "/swapfile", NULL
  };
  static const char *const none[] = { NULL };

  t_run ("swap all", run_swap, NULL, fstab_in,
         "# <file system> <mount point> <type> <options> <dump> <pass>\n"
         "UUID=1111 / ext4 errors=remount-ro 0 1\n"
         "# swap was on /dev/sda5 during installation\n"
         "# ferry: UUID=5555 none            swap    sw              0       0\n"
         "# ferry: /dev/sda2\tswap\tswap\tdefaults\t0 0\n"
         "# ferry: /swapfile none swap sw 0 0\n"
         "#/dev/sdb1 none swap sw 0 0\n"
         "/dev/sdc1 /swap ext4 defaults 0 0\n"
         "swap swap\n"
         "# ferry:   /dev/mapper/vg-swap none swap sw 0 0\n", 4);
  t_run ("swap listed devices", run_swap, devs, fstab_in,
         "# <file system> <mount point> <type> <options> <dump> <pass>\n"
         "UUID=1111 / ext4 errors=remount-ro 0 1\n"
         "# swap was on /dev/sda5 during installation\n"
         "# ferry: UUID=5555 none            swap    sw              0       0\n"
         "# ferry: /dev/sda2\tswap\tswap\tdefaults\t0 0\n"
         "/swapfile none swap sw 0 0\n"
         "#/dev/sdb1 none swap sw 0 0\n"
         "/dev/sdc1 /swap ext4 defaults 0 0\n"
         "swap swap\n"
         "  /dev/mapper/vg-swap none swap sw 0 0\n", 2);
  t_run ("swap empty list", run_swap, none, fstab_in, fstab_in, 0);
  t_run ("swap crlf no final newline", run_swap, NULL,
         "/dev/sda1 / ext4 defaults 0 1\r\n/dev/sda2 none swap sw 0 0",
         "/dev/sda1 / ext4 defaults 0 1\r\n# ferry: /dev/sda2 none swap sw 0 0",
         1);
  t_run ("swap sda2 is not sda20", run_swap, devs,
         "/dev/sda20 none swap sw 0 0\n", "/dev/sda20 none swap sw 0 0\n", 0);
  t_run ("swap empty", run_swap, NULL, "", "", 0);
}

/*----------------------------------------------------------------------*/

struct names {
  const char *old, *new;
};

static char *
run_ifcfg (const char *in, const void *vctx, int *changes)
{
  const struct names *n = vctx;

  return rewrite_ifcfg (in, n->old, n->new, changes);
}

#define RENAME(o, n) (&(struct names) { o, n })

static void
check_device (const char *what, const char *text, const char *expected)
{
  char *d;

  errno = -1;
  d = ifcfg_device (text);
  check_str (what, d ? d : "(none)", expected ? expected : "(none)");
  if (expected == NULL)
    check_int (what, errno, 0);
  free (d);
}

static void
test_ifcfg (void)
{
  t_run ("ifcfg rhel", run_ifcfg, RENAME ("ens192", "eth0"),
         "TYPE=Ethernet\n"
         "BOOTPROTO=dhcp\n"
         "NAME=\"System ens192\"\n"
         "UUID=5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03\n"
         "DEVICE=ens192\n"
         "# HWADDR=00:50:56:aa:bb:cc\n"
         "HWADDR=00:50:56:AA:BB:CC\n"
         "ONBOOT=yes\n",
         "TYPE=Ethernet\n"
         "BOOTPROTO=dhcp\n"
         "NAME=\"System eth0\"\n"
         "UUID=5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03\n"
         "DEVICE=eth0\n"
         "# HWADDR=00:50:56:aa:bb:cc\n"
         "ONBOOT=yes\n", 3);
  t_run ("ifcfg suse", run_ifcfg, RENAME ("ens192", "eth0"),
         "BOOTPROTO='dhcp'\nSTARTMODE='auto'\nNAME='ens192'\n"
         "LLADDR='00:50:56:aa:bb:cc'\n",
         "BOOTPROTO='dhcp'\nSTARTMODE='auto'\nNAME='eth0'\n", 2);
  t_run ("ifcfg quoting and indentation", run_ifcfg, RENAME ("ens192", "ens3"),
         "NAME=ens192\n  DEVICE='ens192'\n\tMACADDR=\"00:50:56:00:00:01\"\n",
         "NAME=ens3\n  DEVICE='ens3'\n", 3);
  t_run ("ifcfg whole words only", run_ifcfg, RENAME ("ens192", "ens3"),
         "NAME=\"ens1920 ens192.10 xens192\"\nDEVICE=ens1920\n"
         "PHYSDEV=ens1920\n",
         "NAME=\"ens1920 ens192.10 xens192\"\nDEVICE=ens1920\n"
         "PHYSDEV=ens1920\n", 0);
  t_run ("ifcfg crlf, last line dropped", run_ifcfg, RENAME ("ens192", "eth0"),
         "DEVICE=ens192\r\nHWADDR=00:50:56:aa:bb:cc",
         "DEVICE=eth0", 2);
  t_run ("ifcfg same name", run_ifcfg, RENAME ("eth0", "eth0"),
         "DEVICE=eth0\nHWADDR=00:50:56:aa:bb:cc\nNAME=eth0\n",
         "DEVICE=eth0\nNAME=eth0\n", 1);
  t_run ("ifcfg lowercase keys are not keys", run_ifcfg,
         RENAME ("ens192", "eth0"),
         "device=ens192\nhwaddr=x\n", "device=ens192\nhwaddr=x\n", 0);
  t_run ("ifcfg empty", run_ifcfg, RENAME ("ens192", "eth0"), "", "", 0);

  check_device ("device quoted", "TYPE=Ethernet\nDEVICE=\"ens192\"\n",
                "ens192");
  check_device ("device none", "# DEVICE=x\nTYPE=Ethernet\n", NULL);
  check_device ("device last wins", "DEVICE=a\nDEVICE='b'\n", "b");
  check_device ("device comment after", "  DEVICE=eth0 # c", "eth0");
  check_device ("device empty file", "", NULL);
}

/*----------------------------------------------------------------------*/

static void
t_mac (const char *arg, int expected_r, const char *expected_mac,
       const char *expected_kind, const char *expected_name,
       const char *expected_ip, const char *expected_why)
{
  char *mac = (char *) "junk", *name = (char *) "junk", ipbuf[256], what[300];
  const char *kind = "junk", *why = "junk";
  struct static_ip ip;
  int r;
  size_t i, len;

  r = parse_mac_option (arg, &mac, &kind, &name, &ip, &why);
  snprintf (what, sizeof what, "--mac %s", arg);
  check_int (what, r, expected_r);
  check_str (what, mac ? mac : "NULL", expected_mac ? expected_mac : "NULL");
  check_str (what, kind ? kind : "NULL",
             expected_kind ? expected_kind : "NULL");
  check_str (what, name ? name : "NULL",
             expected_name ? expected_name : "NULL");
  check_str (what, why ? why : "NULL", expected_why ? expected_why : "NULL");
  len = snprintf (ipbuf, sizeof ipbuf, "%s %s %u",
                  ip.addr ? ip.addr : "-", ip.gw ? ip.gw : "-", ip.prefix);
  for (i = 0; ip.dns && ip.dns[i] && len < sizeof ipbuf; ++i)
    len += snprintf (ipbuf + len, sizeof ipbuf - len, " %s", ip.dns[i]);
  check_str (what, ipbuf, expected_ip ? expected_ip : "- - 0");
  free (mac);
  free (name);
  static_ip_free (&ip);
  check_int ("static_ip_free clears", ip.addr == NULL && ip.dns == NULL, 1);
}

#define MAC "52:54:00:ab:cd:ef"
#define BADMAC "the MAC address must be six hex pairs separated by ':'"
#define BADPREFIX "the prefix must be a number from 1 to 32"

#define BADADDR "the IP address must be an IPv4 dotted quad like 192.0.2.10"
#define BADDNS "each DNS server must be an IPv4 or IPv6 address"
#define NOKIND \
  "expected 'ip:', 'network:' or 'bridge:' after the MAC address"
#define NOFIELDS "expected ADDR,GW,PREFIX after 'ip:'"

static void
test_mac (void)
{
  static const struct { const char *arg, *why; } errs[] = {
    { MAC ":bridge:", "the network or bridge name is empty" },
    { "52:54:00:ab:cd", BADMAC }, { MAC, NOKIND },
    { "52:54:00:ab:cd:eg:ip:1.2.3.4,,24", BADMAC },
    { "52-54-00-ab-cd-ef:ip:1.2.3.4,,24", BADMAC },
    { "52:54:00:ab:cd:ef0:ip:1.2.3.4,,24", BADMAC },
    { MAC ":vlan:5", NOKIND },
    { MAC ":ip:1.2.3.4", NOFIELDS }, { MAC ":ip:1.2.3.4,1.2.3.1", NOFIELDS },
    { MAC ":ip:1.2.3.4,,0", BADPREFIX }, { MAC ":ip:1.2.3.4,,33", BADPREFIX },
    { MAC ":ip:1.2.3.4,,24x", BADPREFIX }, { MAC ":ip:1.2.3.4,,", BADPREFIX },
    { MAC ":ip:1.2.3.4,,024", BADPREFIX },
    { MAC ":ip:256.2.3.4,,24", BADADDR }, { MAC ":ip:1.2.3,,24", BADADDR },
    { MAC ":ip:1.2.3.04,,24", BADADDR }, { MAC ":ip:1.2.3.4.5,,24", BADADDR },
    { MAC ":ip:,,24", BADADDR },
    { MAC ":ip:1.2.3.4,gw,24",
      "the gateway must be empty or an IPv4 dotted quad" },
    { MAC ":ip:1.2.3.4,,24,8.8.8.8,dns", BADDNS },
    { MAC ":ip:1.2.3.4,,24,", BADDNS }, { MAC ":ip:1.2.3.4,,24,::1::2", BADDNS },
  };
  size_t i;

  t_mac ("52:54:00:AB:cd:EF:ip:192.0.2.10,192.0.2.1,24,192.0.2.53,2001:db8::53",
         0, MAC, "ip", NULL, "192.0.2.10 192.0.2.1 24 192.0.2.53 2001:db8::53",
         NULL);
  t_mac (MAC ":ip:10.0.0.5,,8", 0, MAC, "ip", NULL, "10.0.0.5 - 8", NULL);
  t_mac (MAC ":ip:255.255.255.255,0.0.0.0,32", 0, MAC, "ip", NULL,
         "255.255.255.255 0.0.0.0 32", NULL);
  t_mac (MAC ":network:default", 1, MAC, "network", "default", NULL, NULL);
  t_mac (MAC ":bridge:br0:x", 1, MAC, "bridge", "br0:x", NULL, NULL);
  for (i = 0; i < sizeof errs / sizeof errs[0]; ++i)
    t_mac (errs[i].arg, -1, NULL, NULL, NULL, NULL, errs[i].why);
}

/*----------------------------------------------------------------------*/

static const char *const dns2[] = { "192.0.2.53", "2001:db8::53", NULL };
static const struct static_ip ip1 = { "192.0.2.10", "192.0.2.1", 24, dns2 };
static const struct static_ip ip2 = { "198.51.100.7", NULL, 16, NULL };

struct st_ctx {
  const char *name;
  const struct static_ip *ip;
  char *(*fn) (const char *, const struct static_ip *, int *);
  char *(*named) (const char *, const char *, const struct static_ip *,
                  int *);
};

static char *
run_named (const char *in, const void *vctx, int *changes)
{
  const struct st_ctx *c = vctx;

  return c->named (in, c->name, c->ip, changes);
}

static char *
run_st (const char *in, const void *vctx, int *changes)
{
  const struct st_ctx *c = vctx;

  return c->fn (in, c->ip, changes);
}

#define ST(f, n, ip) (&(struct st_ctx) { n, &ip, NULL, f })
#define IFUP(n, ip) run_named, ST (static_ifupdown, n, ip)
#define NETPLAN(n, ip) run_named, ST (static_netplan, n, ip)
#define STF(f, ip) (&(struct st_ctx) { NULL, &ip, f, NULL })

#define IFUP_HEAD \
  "# interfaces(5)\nsource /etc/network/interfaces.d/*\n\n" \
  "auto lo\niface lo inet loopback\n\nallow-hotplug ens3\n"
#define IFUP_TAIL \
  "    mtu 1400\n\niface ens3 inet6 auto\n" \
  "iface ens4 inet static\n    address 10.1.1.1/24\n"
#define IFUP_IP1 \
  "    address 192.0.2.10/24\n    gateway 192.0.2.1\n" \
  "    dns-nameservers 192.0.2.53 2001:db8::53"

static void
test_ifupdown_static (void)
{
  t_run ("ifupdown dhcp", IFUP ("ens3", ip1),
         IFUP_HEAD "iface ens3 inet dhcp\n" IFUP_TAIL,
         IFUP_HEAD "iface ens3 inet static\n" IFUP_IP1 "\n" IFUP_TAIL, 4);
  t_run ("ifupdown static replaced", IFUP ("eth0", ip2),
         "auto eth0\niface eth0 inet static\n"
         "\taddress 10.0.0.5\n\tnetmask 255.255.255.0\n\tgateway 10.0.0.1\n"
         "\tdns-search example.com\n\tdns-nameservers 10.0.0.2\n# end\n",
         "auto eth0\niface eth0 inet static\n"
         "\taddress 198.51.100.7/16\n\tdns-search example.com\n# end\n", 4);
  t_run ("ifupdown missing, no final newline", IFUP ("ens3", ip1),
         "auto lo\niface lo inet loopback",
         "auto lo\niface lo inet loopback\n\n"
         "auto ens3\niface ens3 inet static\n" IFUP_IP1, 6);
  t_run ("ifupdown missing, allow-hotplug, crlf", IFUP ("ens3", ip2),
         "allow-hotplug ens3\r\n",
         "allow-hotplug ens3\r\n\r\niface ens3 inet static\r\n"
         "    address 198.51.100.7/16\r\n", 3);
  t_run ("ifupdown last line", IFUP ("ens3", ip1),
         "iface ens3 inet manual\n",
         "iface ens3 inet static\n" IFUP_IP1 "\n", 4);
  t_run ("ifupdown empty", IFUP ("ens3", ip2), "",
         "auto ens3\niface ens3 inet static\n    address 198.51.100.7/16\n", 3);
}

#define NP_HEAD \
  "# This is the network config written by 'subiquity'\n" \
  "network:\n  ethernets:\n    ens160:\n      dhcp4: true\n" \
  "      match:\n        macaddress: 00:50:56:aa:bb:cc\n    ens3:\n"
#define NP_4 "network:\n    version: 2\n    renderer: networkd\n" \
  "    ethernets:\n        eth0:\n"

static void
test_netplan_static (void)
{
  static const char n3[] =
    "network:\n  ethernets:\n    ens3:\n      dhcp4: true\n  version: 2\n";

  t_run ("netplan dhcp", NETPLAN ("ens3", ip1),
         NP_HEAD "      dhcp4: true\n      dhcp6: true\n  version: 2\n",
         NP_HEAD "      dhcp4: false\n      addresses: [192.0.2.10/24]\n"
         "      routes:\n        - to: default\n          via: 192.0.2.1\n"
         "      nameservers:\n        addresses: [192.0.2.53, 2001:db8::53]\n"
         "      dhcp6: true\n  version: 2\n", 7);
  t_run ("netplan static replaced, 4 spaces", NETPLAN ("eth0", ip2),
         NP_4 "            addresses:\n                - 10.0.0.5/24\n"
         "            gateway4: 10.0.0.1\n            nameservers:\n"
         "                search: [example.com]\n"
         "                addresses: [10.0.0.2]\n            optional: true\n",
         NP_4 "            dhcp4: false\n"
         "            addresses: [198.51.100.7/16]\n"
         "            optional: true\n", 6);
  t_run ("netplan not found", NETPLAN ("ens9", ip1), n3, n3, 0);
  t_run ("netplan key elsewhere is not the entry", NETPLAN ("ens3", ip1),
         "network:\n  bridges:\n    ens3:\n      dhcp4: true\n",
         "network:\n  bridges:\n    ens3:\n      dhcp4: true\n", 0);
  t_run ("netplan compact lists", NETPLAN ("ens3", ip2),
         "network:\n  ethernets:\n    \"ens3\":\n"
         "      addresses:\n      - 10.0.0.5/24\n"
         "      routes:\n      - to: default\n        via: 10.0.0.1\n"
         "      mtu: 1500\n",
         "network:\n  ethernets:\n    \"ens3\":\n      dhcp4: false\n"
         "      addresses: [198.51.100.7/16]\n      mtu: 1500\n", 5);
  t_run ("netplan empty entry, no final newline", NETPLAN ("ens3", ip2),
         "network:\n  ethernets:\n    ens3:",
         "network:\n  ethernets:\n    ens3:\n      dhcp4: false\n"
         "      addresses: [198.51.100.7/16]", 2);
  t_run ("netplan crlf", NETPLAN ("ens3", ip2),
         "network:\r\n  ethernets:\r\n    ens3:\r\n      dhcp4: yes\r\n",
         "network:\r\n  ethernets:\r\n    ens3:\r\n      dhcp4: false\r\n"
         "      addresses: [198.51.100.7/16]\r\n", 2);
}

static void
test_shvars_static (void)
{
  t_run ("ifcfg dhcp", run_st, STF (static_ifcfg, ip1),
         "TYPE=Ethernet\nBOOTPROTO=dhcp\nDEFROUTE=yes\nNAME=eth0\n"
         "DEVICE=eth0\nONBOOT=no\n",
         "TYPE=Ethernet\nBOOTPROTO=none\nIPADDR=192.0.2.10\nPREFIX=24\n"
         "GATEWAY=192.0.2.1\nDNS1=192.0.2.53\nDNS2=2001:db8::53\n"
         "DEFROUTE=yes\nNAME=eth0\nDEVICE=eth0\nONBOOT=yes\n", 7);
  t_run ("ifcfg static replaced, quoted", run_st, STF (static_ifcfg, ip2),
         "DEVICE=\"eth0\"\nBOOTPROTO=\"static\"\nIPADDR=\"10.0.0.5\"\n"
         "NETMASK=\"255.255.255.0\"\nGATEWAY=\"10.0.0.1\"\n"
         "#IPADDR=1.2.3.4\nDNS1=\"10.0.0.2\"\nDNS2=\"10.0.0.3\"\n"
         "IPADDR1=\"10.0.0.6\"\nPREFIX1=\"24\"\n",
         "DEVICE=\"eth0\"\nBOOTPROTO=\"none\"\nIPADDR=\"198.51.100.7\"\n"
         "PREFIX=\"16\"\nONBOOT=\"yes\"\n#IPADDR=1.2.3.4\n", 8);
  t_run ("ifcfg minimal, no final newline", run_st, STF (static_ifcfg, ip2),
         "DEVICE=eth0",
         "DEVICE=eth0\nBOOTPROTO=none\nIPADDR=198.51.100.7\nPREFIX=16\n"
         "ONBOOT=yes", 4);
  t_run ("ifcfg crlf", run_st, STF (static_ifcfg, ip2),
         "BOOTPROTO=dhcp\r\nONBOOT=yes\r\n",
         "BOOTPROTO=none\r\nIPADDR=198.51.100.7\r\nPREFIX=16\r\nONBOOT=yes\r\n",
         3);
  t_run ("wicked dhcp", run_st, STF (static_wicked, ip1),
         "BOOTPROTO='dhcp'\nSTARTMODE='hotplug'\nNAME='eth0'\n",
         "BOOTPROTO='static'\nIPADDR='192.0.2.10/24'\nSTARTMODE='auto'\n"
         "NAME='eth0'\n", 3);
  t_run ("wicked static replaced", run_st, STF (static_wicked, ip2),
         "BOOTPROTO='static'\nIPADDR='10.0.0.5/24'\nIPADDR_1='10.0.0.6/24'\n"
         "NETMASK='255.255.255.0'\nSTARTMODE='auto'\n",
         "BOOTPROTO='static'\nIPADDR='198.51.100.7/16'\nSTARTMODE='auto'\n", 3);
  t_run ("wicked empty", run_st, STF (static_wicked, ip2), "",
         "BOOTPROTO='static'\nIPADDR='198.51.100.7/16'\nSTARTMODE='auto'\n",
         3);
  t_run ("wicked double quotes", run_st, STF (static_wicked, ip2),
         "BOOTPROTO=\"dhcp\"\n",
         "BOOTPROTO=\"static\"\nIPADDR=\"198.51.100.7/16\"\n"
         "STARTMODE=\"auto\"\n", 3);
}

static void
test_ini_static (void)
{
  t_run ("nm dhcp", run_st, STF (static_nm_keyfile, ip1),
         "[connection]\nid=Wired connection 1\ntype=ethernet\n"
         "interface-name=ens3\n\n[ethernet]\n\n[ipv4]\nmethod=auto\n\n"
         "[ipv6]\naddr-gen-mode=default\nmethod=auto\n\n[proxy]\n",
         "[connection]\nid=Wired connection 1\ntype=ethernet\n"
         "interface-name=ens3\n\n[ethernet]\n\n[ipv4]\nmethod=manual\n"
         "address1=192.0.2.10/24,192.0.2.1\ndns=192.0.2.53;\n\n"
         "[ipv6]\naddr-gen-mode=default\nmethod=auto\n\n[proxy]\n", 3);
  t_run ("nm manual replaced", run_st, STF (static_nm_keyfile, ip2),
         "[ipv4]\naddress1=10.0.0.5/24,10.0.0.1\ndns=10.0.0.2;\n"
         "dns-search=example.com;\nmethod=manual\n",
         "[ipv4]\nmethod=manual\naddress1=198.51.100.7/16\n"
         "dns-search=example.com;\n", 5);
  t_run ("nm no section, no final newline", run_st,
         STF (static_nm_keyfile, ip1),
         "[connection]\nid=x",
         "[connection]\nid=x\n\n[ipv4]\nmethod=manual\n"
         "address1=192.0.2.10/24,192.0.2.1\ndns=192.0.2.53;", 5);
  t_run ("nm crlf, empty section", run_st, STF (static_nm_keyfile, ip2),
         "[ipv4]\r\n[ipv6]\r\nmethod=auto\r\n",
         "[ipv4]\r\nmethod=manual\r\naddress1=198.51.100.7/16\r\n"
         "[ipv6]\r\nmethod=auto\r\n", 2);
  t_run ("networkd dhcp", run_st, STF (static_networkd, ip1),
         "[Match]\nName=ens3\n\n[Network]\nDHCP=yes\n",
         "[Match]\nName=ens3\n\n[Network]\nDHCP=no\nAddress=192.0.2.10/24\n"
         "Gateway=192.0.2.1\nDNS=192.0.2.53\nDNS=2001:db8::53\n", 5);
  t_run ("networkd static replaced", run_st, STF (static_networkd, ip2),
         "[Match]\nName=en*\n\n[Network]\nDHCP=ipv6\nAddress=10.0.0.5/24\n"
         "Gateway=10.0.0.1\nDNS=10.0.0.2\nLLMNR=no\n\n[Route]\n"
         "Gateway=10.9.9.9\n",
         "[Match]\nName=en*\n\n[Network]\nDHCP=ipv6\n"
         "Address=198.51.100.7/16\nLLMNR=no\n\n[Route]\nGateway=10.9.9.9\n",
         3);
  t_run ("networkd no section", run_st, STF (static_networkd, ip2),
         "[Match]\nName=ens3\n",
         "[Match]\nName=ens3\n\n[Network]\nAddress=198.51.100.7/16\n", 3);
  t_run ("networkd comment at end, crlf", run_st, STF (static_networkd, ip2),
         "[Network]\r\nDHCP=true\r\n# static below\r\n",
         "[Network]\r\nDHCP=no\r\nAddress=198.51.100.7/16\r\n"
         "# static below\r\n", 2);
}

int
main (void)
{
  test_grub_default ();
  test_boot_files ();
  test_grubenv ();
  test_swap ();
  test_ifcfg ();
  test_mac ();
  test_ifupdown_static ();
  test_netplan_static ();
  test_shvars_static ();
  test_ini_static ();

  printf ("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
