/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: unit tests for the NIC names on the target (nicname.c) and the
 * guest's naming rules moved to the target's NIC (nicbind.c), with the
 * parts of the netplan, NetworkManager and ifcfg rewriters that keep or
 * rebind a NIC.  Every rewriter check compares the whole output, then
 * runs the rewriter again on it, which must change nothing.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rewrite.h"
#include "unittest.h"

#define NR(a) (sizeof (a) / sizeof (a)[0])

static void
check_str (const char *what, const char *got, const char *expected)
{
  char *d;

  if (got && strcmp (got, expected) == 0) {
    passed++;
    return;
  }
  failed++;
  printf ("FAIL: %s\n", what);
  if (got == NULL) {
    printf ("  got NULL\n");
    return;
  }
  d = text_diff (expected, got, 3, 200);
  printf ("  --- expected / +++ got:\n%s", d ? d : "");
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

/* ------------------------------------------------------------------ */
/* The target's NICs. */

/* kvm/openstack on the pc machine: virtio-net in slot 3. */
static const struct nic_props kvm0 = {
  "eth0", NULL, "pci-0000:00:03.0", "0000:00:03.0", "virtio_net",
  "virtio-pci", "ens3", "enp0s3"
};
/* The same with its MAC carried (libvirt XML). */
static const struct nic_props kvm0_mac = {
  "eth0", "00:50:56:9a:30:00", "pci-0000:00:03.0", "0000:00:03.0",
  "virtio_net", "virtio-pci", "ens3", "enp0s3"
};
static const struct nic_props kvm1 = {
  "eth1", NULL, "pci-0000:00:04.0", "0000:00:04.0", "virtio_net",
  "virtio-pci", "ens4", "enp0s4"
};
/* Azure: hv_netvsc on the VMBus, no PCI path. */
static const struct nic_props azure0 = {
  "eth0", NULL, NULL, NULL, "hv_netvsc", NULL, NULL, NULL
};

static const char lan_link[] =
  "# named by MAC (vSphere)\n"
  "[Match]\n"
  "MACAddress=00:50:56:9a:30:00\n"
  "\n"
  "[Link]\n"
  "Name=lan0\n";

struct eval_case {
  const char *what;
  const struct name_file *links;
  size_t nr_links;
  const struct name_file *rules;
  size_t nr_rules;
  int ifnames_off;
  const struct nic_props *nic;
  const char *name, *how;
  int unsure;
};

static void
t_eval (const struct eval_case *c)
{
  const struct nic_naming n = {
    c->links, c->nr_links, c->rules, c->nr_rules, c->ifnames_off
  };
  struct nic_name out;
  char what[256];

  snprintf (what, sizeof what, "eval %s: name", c->what);
  check_int (what, nic_name_eval (&n, c->nic, &out), 0);
  check_str (what, out.name, c->name);
  snprintf (what, sizeof what, "eval %s: how", c->what);
  check_str (what, out.how, c->how);
  snprintf (what, sizeof what, "eval %s: unsure", c->what);
  check_int (what, out.unsure != NULL, c->unsure);
}

#define LINKS(a) a, NR (a)
#define NONE NULL, 0

static void
test_eval_links (void)
{
  static const struct name_file lan[] = {
    { "/etc/systemd/network/10-lan.link", lan_link },
  };
  static const struct name_file perm[] = {
    { "/etc/systemd/network/10-lan.link",
      "[Match]\nPermanentMACAddress=00:50:56:9A:30:00\n[Link]\nName=lan0\n" },
  };
  static const struct name_file by_path[] = {
    { "/etc/systemd/network/10-stor.link",
      "[Match]\nPath=pci-0000:00:0[34].0\n[Link]\nName=stor0\n" },
  };
  static const struct name_file by_driver[] = {
    { "/etc/systemd/network/10-any.link",
      "[Match]\nDriver=vmxnet3 virtio_net\nType=ether\n[Link]\nName=any0\n" },
  };
  static const struct name_file neg[] = {
    { "/etc/systemd/network/10-notvirtio.link",
      "[Match]\nDriver=!virtio_net\n[Link]\nName=other0\n" },
  };
  static const struct name_file orig[] = {
    { "/etc/systemd/network/10-first.link",
      "[Match]\nOriginalName=eth0\n[Link]\nName=first0\n" },
  };
  static const struct name_file kind[] = {
    { "/etc/systemd/network/10-bond.link",
      "[Match]\nKind=bond\n[Link]\nName=bond9\n" },
  };
  static const struct name_file reset[] = {
    { "/etc/systemd/network/10-reset.link",
      "[Match]\nDriver=vmxnet3\nDriver=\nOriginalName=eth*\n[Link]\nName=r0\n" },
  };
  /* /etc hides /usr/lib by file name; order is by file name alone. */
  static const struct name_file hide[] = {
    { "/usr/lib/systemd/network/99-default.link",
      "[Match]\nOriginalName=*\n[Link]\nNamePolicy=slot path\n" },
    { "/etc/systemd/network/99-default.link",
      "[Match]\nOriginalName=*\n[Link]\nNamePolicy=path\n" },
  };
  static const struct name_file masked[] = {
    { "/lib/systemd/network/99-default.link",
      "[Match]\nOriginalName=*\n[Link]\nNamePolicy=slot\n" },
    { "/etc/systemd/network/99-default.link", NULL },
  };
  static const struct name_file order[] = {
    { "/etc/systemd/network/20-a.link",
      "[Match]\nDriver=virtio_net\n[Link]\nName=a0\n" },
    { "/usr/lib/systemd/network/05-b.link",
      "[Match]\nOriginalName=eth0\n[Link]\nName=b0\n" },
  };
  static const struct name_file empty_match[] = {
    { "/etc/systemd/network/10-all.link", "[Match]\n[Link]\nName=all0\n" },
  };
  static const struct name_file first_wins[] = {
    { "/etc/systemd/network/10-nothing.link",
      "[Match]\nOriginalName=eth0\n[Link]\nDescription=no name\n" },
    { "/etc/systemd/network/11-late.link",
      "[Match]\nOriginalName=eth0\n[Link]\nName=late0\n" },
  };
  static const struct name_file mac_policy[] = {
    { "/etc/systemd/network/10-mac.link",
      "[Match]\nOriginalName=*\n[Link]\nNamePolicy=mac\nName=fallback0\n" },
  };
  static const struct name_file cond[] = {
    { "/etc/systemd/network/10-vm.link",
      "[Match]\nVirtualization=vm\nOriginalName=eth0\n[Link]\nName=vm0\n" },
  };
  static const struct eval_case cases[] = {
    { "no files: systemd's default", NONE, NONE, 0, &kvm0, "ens3", "NamePolicy=slot", 0 },
    { "no files, net.ifnames=0", NONE, NONE, 1, &kvm0, "eth0", "kernel name", 0 },
    { "no files, azure", NONE, NONE, 0, &azure0, "eth0", "kernel name", 0 },
    { "MACAddress=, MAC not carried", LINKS (lan), NONE, 0, &kvm0, "ens3", "NamePolicy=slot", 0 },
    { "MACAddress=, MAC carried", LINKS (lan), NONE, 0, &kvm0_mac, "lan0", "Name=", 0 },
    { "MACAddress=, carried, net.ifnames=0", LINKS (lan), NONE, 1, &kvm0_mac, "lan0", "Name=", 0 },
    { "PermanentMACAddress=", LINKS (perm), NONE, 0, &kvm0_mac, "lan0", "Name=", 0 },
    { "Path= glob", LINKS (by_path), NONE, 0, &kvm1, "stor0", "Name=", 0 },
    { "Path=, azure", LINKS (by_path), NONE, 0, &azure0, "eth0", "kernel name", 0 },
    { "Driver= list, Type=ether", LINKS (by_driver), NONE, 0, &kvm0, "any0", "Name=", 0 },
    { "Driver=!virtio_net", LINKS (neg), NONE, 0, &kvm0, "ens3", "NamePolicy=slot", 0 },
    { "Driver=!virtio_net, azure", LINKS (neg), NONE, 0, &azure0, "other0", "Name=", 0 },
    { "OriginalName=", LINKS (orig), NONE, 0, &kvm0, "first0", "Name=", 0 },
    { "OriginalName=, second NIC", LINKS (orig), NONE, 0, &kvm1, "ens4", "NamePolicy=slot", 0 },
    { "Kind=", LINKS (kind), NONE, 0, &kvm0, "ens3", "NamePolicy=slot", 0 },
    { "empty assignment resets", LINKS (reset), NONE, 0, &kvm0, "r0", "Name=", 0 },
    { "/etc hides /usr/lib", LINKS (hide), NONE, 0, &kvm0, "enp0s3", "NamePolicy=path", 0 },
    { "masked 99-default.link", LINKS (masked), NONE, 0, &kvm0, "eth0", "kernel name", 0 },
    { "lexical order across dirs", LINKS (order), NONE, 0, &kvm0, "b0", "Name=", 0 },
    { "empty [Match]: ignored", LINKS (empty_match), NONE, 0, &kvm0, "ens3", "NamePolicy=slot", 0 },
    { "first match wins, even nameless", LINKS (first_wins), NONE, 0, &kvm0, "eth0", "kernel name", 0 },
    { "NamePolicy=mac, MAC unknown", LINKS (mac_policy), NONE, 0, &kvm0, "fallback0", "Name=", 1 },
    { "NamePolicy=mac, MAC known", LINKS (mac_policy), NONE, 0, &kvm0_mac, "enx0050569a3000", "NamePolicy=mac", 0 },
    { "condition taken as met", LINKS (cond), NONE, 0, &kvm0, "vm0", "Name=", 1 },
  };

  for (size_t i = 0; i < NR (cases); i++)
    t_eval (&cases[i]);
}

static void
test_eval_rules (void)
{
  static const struct name_file pnet[] = {
    { "/etc/udev/rules.d/70-persistent-net.rules",
      "# PCI device 0x15ad:0x07b0 (vmxnet3)\n"
      "SUBSYSTEM==\"net\", ACTION==\"add\", DRIVERS==\"?*\", "
      "ATTR{address}==\"00:50:56:9a:30:00\", ATTR{dev_id}==\"0x0\", "
      "ATTR{type}==\"1\", KERNEL==\"eth*\", NAME=\"eth7\"\n" },
  };
  static const struct name_file kernels[] = {
    { "/etc/udev/rules.d/72-lan.rules",
      "SUBSYSTEM==\"net\", ACTION==\"add\", KERNELS==\"0000:00:03.0\", \\\n"
      "  NAME=\"lan0\"\n" },
  };
  static const struct name_file drivers[] = {
    { "/etc/udev/rules.d/72-drv.rules",
      "SUBSYSTEM==\"net\", DRIVERS==\"e1000|virtio_net\", NAME=\"drv0\"\n" },
  };
  static const struct name_file late[] = {
    { "/etc/udev/rules.d/99-late.rules",
      "SUBSYSTEM==\"net\", ACTION==\"add\", KERNEL==\"eth0\", NAME=\"late0\"\n" },
  };
  static const struct name_file early_final[] = {
    { "/etc/udev/rules.d/60-final.rules",
      "SUBSYSTEM==\"net\", ACTION==\"add\", NAME:=\"fin0\"\n" },
    { "/etc/udev/rules.d/99-late.rules",
      "SUBSYSTEM==\"net\", ACTION==\"add\", NAME=\"late0\"\n" },
  };
  static const struct name_file path_env[] = {
    { "/etc/udev/rules.d/81-path.rules",
      "SUBSYSTEM==\"net\", ACTION==\"add\", NAME=\"$env{ID_NET_NAME_PATH}\"\n" },
  };
  static const struct name_file biosdev[] = {
    { "/usr/lib/udev/rules.d/71-biosdevname.rules",
      "SUBSYSTEM==\"net\", KERNEL==\"eth*\", "
      "PROGRAM=\"/sbin/biosdevname --policy physical -i %k\", NAME=\"%c\"\n" },
  };
  static const struct name_file attrs[] = {
    { "/etc/udev/rules.d/72-vendor.rules",
      "SUBSYSTEM==\"net\", ATTRS{vendor}==\"0x15ad\", NAME=\"vmw0\"\n" },
  };
  static const struct name_file masked_setup[] = {
    { "/etc/udev/rules.d/80-net-setup-link.rules", NULL },
  };
  static const struct name_file name_match[] = {
    { "/etc/udev/rules.d/90-x.rules",
      "SUBSYSTEM==\"net\", NAME==\"\", NAME=\"unnamed0\"\n"
      "SUBSYSTEM==\"net\", NAME==\"ens3\", NAME=\"was3\"\n" },
  };
  static const struct name_file lan[] = {
    { "/etc/systemd/network/10-lan.link", lan_link },
  };
  static const struct name_file mac_env[] = {
    { "/etc/udev/rules.d/81-mac.rules",
      "SUBSYSTEM==\"net\", ACTION==\"add\", NAME=\"$env{ID_NET_NAME_MAC}\"\n" },
  };
  /* ATTRS{} unknown, but the rule is for another NIC anyway. */
  static const struct name_file other[] = {
    { "/etc/udev/rules.d/72-other.rules",
      "SUBSYSTEM==\"net\", KERNELS==\"0000:00:09.0\", ATTRS{vendor}==\"0x8086\", NAME=\"oth0\"\n" },
  };
  static const struct name_file cond_other[] = {
    { "/etc/systemd/network/10-vm.link",
      "[Match]\nVirtualization=vm\nOriginalName=eth9\n[Link]\nName=vm9\n" },
  };
  static const struct eval_case cases[] = {
    { "$env{ID_NET_NAME_MAC}", NONE, LINKS (mac_env), 0, &kvm0_mac, "enx0050569a3000", "NAME=", 0 },
    { "unknown key of a rule for another NIC", NONE, LINKS (other), 0, &kvm0, "ens3", "NamePolicy=slot", 0 },
    { "condition of a .link for another NIC", LINKS (cond_other), NONE, 0, &kvm0, "ens3", "NamePolicy=slot", 0 },
    { "persistent-net, MAC carried", NONE, LINKS (pnet), 0, &kvm0_mac, "eth7", "NAME=", 0 },
    { "persistent-net, MAC not carried", NONE, LINKS (pnet), 0, &kvm0, "ens3", "NamePolicy=slot", 0 },
    { "KERNELS=, continued", NONE, LINKS (kernels), 0, &kvm0, "lan0", "NAME=", 0 },
    { "KERNELS=, other slot", NONE, LINKS (kernels), 0, &kvm1, "ens4", "NamePolicy=slot", 0 },
    { "DRIVERS= alternatives", NONE, LINKS (drivers), 0, &kvm1, "drv0", "NAME=", 0 },
    { "a rule after 80 overrides .link", NONE, LINKS (late), 0, &kvm0, "late0", "NAME=", 0 },
    { "NAME:= is final", NONE, LINKS (early_final), 0, &kvm0, "fin0", "NAME=", 0 },
    { "$env{ID_NET_NAME_PATH}", NONE, LINKS (path_env), 0, &kvm0, "enp0s3", "NAME=", 0 },
    { "biosdevname names no VM NIC", NONE, LINKS (biosdev), 0, &kvm0, "ens3", "NamePolicy=slot", 0 },
    { "ATTRS{vendor}: unknown", NONE, LINKS (attrs), 0, &kvm0, "ens3", "NamePolicy=slot", 1 },
    { "masked 80-net-setup-link.rules", LINKS (lan), LINKS (masked_setup), 0, &kvm0_mac, "eth0", "kernel name", 0 },
    { "NAME== sees the name so far", NONE, LINKS (name_match), 0, &kvm0, "was3", "NAME=", 0 },
  };

  for (size_t i = 0; i < NR (cases); i++)
    t_eval (&cases[i]);
}

/* ------------------------------------------------------------------ */

static void
test_bindings (void)
{
  struct nic_binding *b;
  size_t nr;

  check_int ("bindings link", nic_bindings (lan_link, 'l', &b, &nr), 0);
  check_int ("bindings link: count", nr, 1);
  if (nr == 1) {
    check_str ("bindings link: name", b[0].name, "lan0");
    check_str ("bindings link: mac", b[0].mac, "00:50:56:9a:30:00");
  }
  nic_bindings_free (b, nr);

  check_int ("bindings udev",
             nic_bindings ("# x\nSUBSYSTEM==\"net\", ATTR{address}==\"00:50:56:9A:30:02\", "
                           "NAME=\"data0\"\nSUBSYSTEM==\"net\", KERNELS==\"0000:13:00.0\", "
                           "NAME=\"stor0\"\nSUBSYSTEM==\"net\", NAME=\"$env{ID_NET_NAME}\"\n",
                           'u', &b, &nr), 0);
  check_int ("bindings udev: count", nr, 2);
  if (nr == 2) {
    check_str ("bindings udev: name", b[0].name, "data0");
    check_str ("bindings udev: mac lowercase", b[0].mac, "00:50:56:9a:30:02");
    check_str ("bindings udev: by path", b[1].name, "stor0");
    check_int ("bindings udev: no mac", b[1].mac == NULL, 1);
  }
  nic_bindings_free (b, nr);

  check_int ("bindings netplan",
             nic_bindings ("network:\n  version: 2\n  ethernets:\n"
                           "    opt:\n      match:\n        macaddress: \"00:50:56:9a:30:03\"\n"
                           "      set-name: opt0  # optional\n      dhcp4: true\n"
                           "    ens160:\n      dhcp4: true\n"
                           "    id2:\n      match:\n        driver: e1000\n"
                           "      set-name: drv0\n"
                           "  vlans:\n    opt0.20:\n      link: opt0\n",
                           'n', &b, &nr), 0);
  check_int ("bindings netplan: count", nr, 2);
  if (nr == 2) {
    check_str ("bindings netplan: set-name", b[0].name, "opt0");
    check_str ("bindings netplan: mac", b[0].mac, "00:50:56:9a:30:03");
    check_str ("bindings netplan: by driver", b[1].name, "drv0");
    check_int ("bindings netplan: no mac", b[1].mac == NULL, 1);
  }
  nic_bindings_free (b, nr);
}

/* ------------------------------------------------------------------ */

static void
free_ties (struct nic_tie *t, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (t[i].mac);
}

static void
test_tie (void)
{
  struct nic_binding lan = { (char *) "lan0", (char *) "00:50:56:9a:30:00" };
  struct nic_binding bare = { (char *) "lan0", NULL };
  char *names1[] = { (char *) "lan0", (char *) "ens33", NULL };
  char *names2[] = { (char *) "ens224", (char *) "ens256", NULL };
  char *names3[] = { (char *) "lan0", NULL };
  char *tn_a[] = { (char *) "ens224", NULL }, *tn_b[] = { (char *) "ens256", NULL };
  char **tn2[] = { tn_a, tn_b }, **tn3[] = { names3 };
  const char *macs1[] = { "00:50:56:9a:30:08", "00:50:56:9a:30:00" };
  const char *macs2[] = { "00:50:56:9a:30:05", "00:50:56:9a:30:04" };
  const char *nomacs[] = { NULL, NULL };
  const char *texts2[] = {
    "DEVICE=ens224\nHWADDR=00:50:56:9A:30:04\n",
    "STARTMODE=auto\nLLADDR='00:50:56:9a:30:05'\n",
  };
  const char *texts3[] = { "[Match]\nMACAddress=00:50:56:9A:40:00\n" };
  struct nic_tie t[2];

  check_int ("tie by binding MAC", nic_tie_names (names1, 2, &lan, 1, macs1, 2,
                                                  NULL, NULL, 0, t), 0);
  check_str ("tie by binding MAC: NIC 1", t[1].name, "lan0");
  check_int ("tie by binding MAC: NIC 1 by MAC", t[1].by_order, 0);
  check_int ("tie by binding MAC: NIC 1 bound", t[1].bound, 1);
  check_str ("tie by binding MAC: NIC 0 the rest", t[0].name, "ens33");
  check_int ("tie by binding MAC: NIC 0 by order", t[0].by_order, 1);
  check_int ("tie by binding MAC: NIC 0 no MAC", t[0].mac == NULL, 1);
  free_ties (t, 2);

  check_int ("tie by a config's MAC", nic_tie_names (names2, 2, NULL, 0, macs2, 2,
                                                     texts2, tn2, 2, t), 0);
  check_str ("tie by a config's MAC: NIC 0", t[0].name, "ens256");
  check_str ("tie by a config's MAC: NIC 1", t[1].name, "ens224");
  check_str ("tie by a config's MAC: its MAC", t[1].mac, "00:50:56:9a:30:04");
  check_int ("tie by a config's MAC: not bound", t[1].bound, 0);
  free_ties (t, 2);

  check_int ("tie in order: a guess", nic_tie_names (names2, 2, NULL, 0, nomacs, 2,
                                                     NULL, NULL, 0, t), 1);
  check_str ("tie in order: NIC 0", t[0].name, "ens224");
  check_str ("tie in order: NIC 1", t[1].name, "ens256");
  free_ties (t, 2);

  check_int ("tie one NIC, its one MAC", nic_tie_names (names3, 1, &bare, 1, nomacs, 1,
                                                        texts3, tn3, 1, t), 0);
  check_str ("tie one NIC, its one MAC: name", t[0].name, "lan0");
  check_str ("tie one NIC, its one MAC: mac", t[0].mac, "00:50:56:9a:40:00");
  check_int ("tie one NIC, its one MAC: bound", t[0].bound, 1);
  free_ties (t, 1);

  check_int ("tie more names than NICs", nic_tie_names (names1, 2, NULL, 0, nomacs, 1,
                                                        NULL, NULL, 0, t), 0);
  check_str ("tie more names than NICs: the first", t[0].name, "lan0");
  free_ties (t, 1);

  /* Names no config uses (systemd's idrac ...) only go by MAC. */
  {
    char *names4[] = { (char *) "ens192", (char *) "idrac", (char *) "lan0", NULL };
    const char *macs4[] = { NULL, "00:50:56:9a:30:00" };
    check_int ("tie unused names", nic_tie_names (names4, 1, &lan, 1, macs4, 2,
                                                  NULL, NULL, 0, t), 0);
    check_str ("tie unused names: used, in order", t[0].name, "ens192");
    check_str ("tie unused names: unused, by MAC", t[1].name, "lan0");
    free_ties (t, 2);
    check_int ("tie unused names, one NIC", nic_tie_names (names4 + 1, 0, NULL, 0,
                                                           macs4, 1, NULL, NULL, 0, t), 0);
    check_int ("tie unused names, one NIC: none", t[0].name == NULL, 1);
    free_ties (t, 1);
  }
}

/* ------------------------------------------------------------------ */
/* Rewriters: output, change count, then a second pass is a no-op. */

typedef char *(*bind_fn) (const char *, const struct nicmap *,
                          const struct nic_props *, size_t, int *);

static void
t_bind (const char *what, bind_fn fn, const char *in, const struct nicmap *map,
        const struct nic_props *props, size_t nr, const char *expected,
        int expected_changes)
{
  char w[256], *out, *again;
  int changes = -1, changes2 = -1;

  out = fn (in, map, props, nr, &changes);
  snprintf (w, sizeof w, "%s: output", what);
  check_str (w, out, expected);
  snprintf (w, sizeof w, "%s: changes", what);
  check_int (w, changes, expected_changes);
  if (out) {
    again = fn (out, map, props, nr, &changes2);
    snprintf (w, sizeof w, "%s: second pass", what);
    check_str (w, again, out);
    check_int (w, changes2, 0);
    free (again);
  }
  free (out);
}

/* NIC 0: lan0 by MAC 00:50:56:9a:30:00, carried (kvm) or not. */
static const struct nicmap carried[] = {
  { "lan0", "00:50:56:9a:30:00", "lan0", "00:50:56:9a:30:00", NULL, NULL },
};
static const struct nicmap carried_new[] = {
  { "lan0", "00:50:56:9a:30:00", "lan0", "52:54:00:00:00:01", NULL, NULL },
};
static const struct nicmap rebound[] = {
  { "lan0", "00:50:56:9a:30:00", "lan0", NULL, "driver", "virtio_net" },
};
static const struct nicmap renamed_away[] = {
  { "lan0", "00:50:56:9a:30:00", NULL, NULL, NULL, NULL },
};
static const struct nic_props one[] = { { "eth0", NULL, "pci-0000:00:03.0",
    "0000:00:03.0", "virtio_net", "virtio-pci", "ens3", "enp0s3" } };
static const struct nic_props one_azure[] = { { "eth0", NULL, NULL, NULL,
    "hv_netvsc", NULL, NULL, NULL } };

static void
test_link_file (void)
{
  static const char rebound_out[] =
    "# named by MAC (vSphere)\n"
    "[Match]\n"
    "Path=pci-0000:00:03.0\n"
    "\n"
    "[Link]\n"
    "Name=lan0\n";
  static const char more_in[] =
    "[Match]\r\n"
    "PermanentMACAddress=00:50:56:9A:30:00 00:50:56:9a:30:09\r\n"
    "Driver=vmxnet3\r\n"
    "Path=pci-0000:0b:00.0\r\n"
    "OriginalName=eth*\r\n"
    "[Link]\r\n"
    "Name=lan0\r\n";

  t_bind (".link carried, same MAC", rewrite_link_file, lan_link,
          carried, one, 1, lan_link, 0);
  t_bind (".link carried, new MAC", rewrite_link_file, lan_link,
          carried_new, one, 1,
          "# named by MAC (vSphere)\n[Match]\nMACAddress=52:54:00:00:00:01\n"
          "\n[Link]\nName=lan0\n", 1);
  t_bind (".link rebound by path", rewrite_link_file, lan_link,
          rebound, one, 1, rebound_out, 1);
  t_bind (".link rebound, azure", rewrite_link_file, lan_link,
          rebound, one_azure, 1,
          "# named by MAC (vSphere)\n[Match]\nOriginalName=eth0\n"
          "\n[Link]\nName=lan0\n", 1);
  t_bind (".link name does not survive", rewrite_link_file, lan_link,
          renamed_away, one, 1, lan_link, 0);
  t_bind (".link of another name", rewrite_link_file,
          "[Match]\nMACAddress=00:50:56:9a:30:00\n[Link]\nName=wan0\n",
          rebound, one, 1,
          "[Match]\nMACAddress=00:50:56:9a:30:00\n[Link]\nName=wan0\n", 0);
  t_bind (".link MAC, driver and path lines rebound, CRLF", rewrite_link_file,
          more_in, rebound, one, 1,
          "[Match]\r\nDriver=virtio_net\r\nPath=pci-0000:00:03.0\r\n"
          "OriginalName=eth*\r\n[Link]\r\nName=lan0\r\n", 3);
  t_bind (".link carried keeps the MAC, fixes the driver", rewrite_link_file,
          "[Match]\nMACAddress=00:50:56:9a:30:00\nDriver=vmxnet3\n[Link]\nName=lan0\n",
          carried, one, 1,
          "[Match]\nMACAddress=00:50:56:9a:30:00\nDriver=virtio_net\n[Link]\nName=lan0\n", 1);
  t_bind (".link OriginalName of another NIC", rewrite_link_file,
          "[Match]\nOriginalName=eth1\n[Link]\nName=lan0\n", rebound, one, 1,
          "[Match]\nPath=pci-0000:00:03.0\nOriginalName=eth0\n[Link]\nName=lan0\n", 2);
  t_bind (".link by driver alone gets a path", rewrite_link_file,
          "[Link]\nName=lan0\n[Match]\nDriver=vmxnet3", rebound, one, 1,
          "[Link]\nName=lan0\n[Match]\nPath=pci-0000:00:03.0\nDriver=virtio_net", 2);
  t_bind (".link path to azure", rewrite_link_file,
          "[Match]\nPath=pci-0000:0b:00.0\n[Link]\nName=lan0\n", rebound,
          one_azure, 1, "[Match]\nOriginalName=eth0\n[Link]\nName=lan0\n", 1);
}

static void
test_udev_rules (void)
{
  static const char pnet[] =
    "# PCI device 0x15ad:0x07b0 (vmxnet3)\n"
    "SUBSYSTEM==\"net\", ACTION==\"add\", DRIVERS==\"?*\", "
    "ATTR{address}==\"00:50:56:9a:30:00\", ATTR{dev_id}==\"0x0\", "
    "ATTR{type}==\"1\", KERNEL==\"eth*\", NAME=\"lan0\"\n";
  static const struct nicmap ethmap[] = {
    { "eth0", "00:50:56:9a:30:00", NULL, NULL, NULL, NULL },
  };

  t_bind ("udev carried, same MAC", rewrite_udev_rules, pnet, carried, one, 1,
          pnet, 0);
  t_bind ("udev carried, new MAC", rewrite_udev_rules, pnet, carried_new, one, 1,
          "# PCI device 0x15ad:0x07b0 (vmxnet3)\n"
          "SUBSYSTEM==\"net\", ACTION==\"add\", DRIVERS==\"?*\", "
          "ATTR{address}==\"52:54:00:00:00:01\", ATTR{dev_id}==\"0x0\", "
          "ATTR{type}==\"1\", KERNEL==\"eth*\", NAME=\"lan0\"\n", 1);
  t_bind ("udev rebound to the PCI device", rewrite_udev_rules, pnet,
          rebound, one, 1,
          "# PCI device 0x15ad:0x07b0 (vmxnet3)\n"
          "SUBSYSTEM==\"net\", ACTION==\"add\", DRIVERS==\"?*\", "
          "KERNELS==\"0000:00:03.0\", ATTR{dev_id}==\"0x0\", "
          "ATTR{type}==\"1\", KERNEL==\"eth*\", NAME=\"lan0\"\n", 1);
  t_bind ("udev rebound, azure", rewrite_udev_rules,
          "SUBSYSTEM==\"net\", ATTR{address}==\"00:50:56:9a:30:00\", NAME=\"lan0\"\n",
          rebound, one_azure, 1,
          "SUBSYSTEM==\"net\", KERNEL==\"eth0\", NAME=\"lan0\"\n", 1);
  t_bind ("udev rebound: KERNELS and DRIVERS, address goes", rewrite_udev_rules,
          "SUBSYSTEM==\"net\", KERNELS==\"0000:0b:00.0\", DRIVERS==\"vmxnet3\", \\\n"
          "  ATTR{address}==\"00:50:56:9a:30:00\", NAME=\"lan0\"\n",
          rebound, one, 1,
          "SUBSYSTEM==\"net\", KERNELS==\"0000:00:03.0\", DRIVERS==\"virtio_net\", \\\n"
          "  NAME=\"lan0\"\n", 2);
  t_bind ("udev last token removed", rewrite_udev_rules,
          "KERNELS==\"0000:0b:00.0\", NAME=\"lan0\", ATTR{address}==\"00:50:56:9a:30:00\"\n",
          rebound, one, 1,
          "KERNELS==\"0000:00:03.0\", NAME=\"lan0\"\n", 1);
  t_bind ("udev name does not survive: removed", rewrite_udev_rules, pnet,
          renamed_away, one, 1, "# PCI device 0x15ad:0x07b0 (vmxnet3)\n", 1);
  t_bind ("udev eth0 by MAC, not carried: removed", rewrite_udev_rules,
          "SUBSYSTEM==\"net\", ATTR{address}==\"00:50:56:9a:30:00\", NAME=\"eth0\"\n"
          "SUBSYSTEM==\"net\", KERNELS==\"0000:0b:00.0\", NAME=\"eth9\"\n",
          ethmap, one, 1,
          "SUBSYSTEM==\"net\", KERNELS==\"0000:0b:00.0\", NAME=\"eth9\"\n", 1);
  t_bind ("udev without map: every MAC rule goes", rewrite_udev_rules, pnet,
          NULL, NULL, 0, "# PCI device 0x15ad:0x07b0 (vmxnet3)\n", 1);
}

/* ------------------------------------------------------------------ */
/* The rewriters of rewrite-net.c and rewrite-ifcfg.c, for names that
 * stay and MACs that are carried.
 */

typedef char *(*nic_fn) (const char *, const struct nicmap *, size_t, int *);

static char *
run_nic (nic_fn fn, const char *in, const struct nicmap *map, size_t nr,
         int *changes)
{
  return fn (in, map, nr, changes);
}

static void
t_nic (const char *what, nic_fn fn, const char *in, const struct nicmap *map,
       size_t nr, const char *expected, int expected_changes)
{
  char w[256], *out, *again;
  int changes = -1, changes2 = -1;

  out = run_nic (fn, in, map, nr, &changes);
  snprintf (w, sizeof w, "%s: output", what);
  check_str (w, out, expected);
  snprintf (w, sizeof w, "%s: changes", what);
  check_int (w, changes, expected_changes);
  if (out) {
    again = run_nic (fn, out, map, nr, &changes2);
    snprintf (w, sizeof w, "%s: second pass", what);
    check_str (w, again, out);
    check_int (w, changes2, 0);
    free (again);
  }
  free (out);
}

static const char netplan_opt[] =
  "network:\n"
  "  version: 2\n"
  "  ethernets:\n"
  "    opt:\n"
  "      match:\n"
  "        macaddress: \"00:50:56:9a:30:03\"\n"
  "        name: ens224\n"
  "      set-name: opt0\n"
  "      dhcp4: true\n"
  "  vlans:\n"
  "    opt0.20:\n"
  "      id: 20\n"
  "      link: opt0\n";

static void
test_netplan_keep (void)
{
  static const struct nicmap by_driver[] = {
    { "opt0", "00:50:56:9a:30:03", "opt0", NULL, "driver", "virtio_net" },
  };
  static const struct nicmap by_name[] = {
    { "opt0", "00:50:56:9a:30:03", "opt0", NULL, "name", "eth3" },
  };
  static const struct nicmap kept[] = {
    { "opt0", "00:50:56:9a:30:03", "opt0", "00:50:56:9a:30:03", NULL, NULL },
  };
  static const struct nicmap has_driver[] = {
    { "opt0", NULL, "opt0", NULL, "driver", "virtio_net" },
  };

  t_nic ("netplan set-name kept, match by driver", rewrite_netplan, netplan_opt,
         by_driver, 1,
         "network:\n  version: 2\n  ethernets:\n    opt:\n      match:\n"
         "        driver: virtio_net\n      set-name: opt0\n      dhcp4: true\n"
         "  vlans:\n    opt0.20:\n      id: 20\n      link: opt0\n", 2);
  t_nic ("netplan set-name kept, match by kernel name", rewrite_netplan,
         netplan_opt, by_name, 1,
         "network:\n  version: 2\n  ethernets:\n    opt:\n      match:\n"
         "        name: eth3\n      set-name: opt0\n      dhcp4: true\n"
         "  vlans:\n    opt0.20:\n      id: 20\n      link: opt0\n", 2);
  t_nic ("netplan carried MAC", rewrite_netplan, netplan_opt, kept, 1,
         netplan_opt, 0);
  t_nic ("netplan match by driver already", rewrite_netplan,
         "network:\n  ethernets:\n    id0:\n      match:\n        driver: vmxnet3\n"
         "      set-name: opt0\n",
         has_driver, 1,
         "network:\n  ethernets:\n    id0:\n      match:\n        driver: virtio_net\n"
         "      set-name: opt0\n", 1);
}

static void
test_nm_bind (void)
{
  static const struct nicmap nomac[] = {
    { "ens192", "00:50:56:aa:bb:dd", "ens3", NULL, NULL, NULL },
  };
  static const struct nicmap kept[] = {
    { "data0", "00:50:56:9a:30:02", "data0", "00:50:56:9a:30:02", NULL, NULL },
  };
  static const char wired[] =
    "[connection]\nid=Wired connection 1\ntype=ethernet\n"
    "autoconnect-priority=-999\n\n[ethernet]\nmac-address=00:50:56:AA:BB:DD\n"
    "\n[ipv4]\nmethod=auto\n";
  static const char data0[] =
    "[connection]\nid=data0\ntype=ethernet\ninterface-name=data0\n\n"
    "[ethernet]\nmac-address=00:50:56:9A:30:02\n\n[ipv4]\nmethod=auto\n";

  t_nic ("nm by MAC only, MAC not carried: bound by name", rewrite_nm_keyfile,
         wired, nomac, 1,
         "[connection]\nid=Wired connection 1\ntype=ethernet\n"
         "autoconnect-priority=-999\ninterface-name=ens3\n\n[ethernet]\n"
         "\n[ipv4]\nmethod=auto\n", 2);
  t_nic ("nm carried MAC, other case", rewrite_nm_keyfile, data0, kept, 1,
         data0, 0);
}

static void
test_ifcfg_nics (void)
{
  static const struct nicmap carried_ens[] = {
    { "ens224", "00:50:56:9a:30:04", "ens7", "00:50:56:9a:30:04", NULL, NULL },
    { "ens256", "00:50:56:9a:30:05", "ens8", NULL, NULL, NULL },
  };
  char *out;
  int changes;

#define T_IFCFG(what, in, name, map, expected, n) do {                    \
    out = rewrite_ifcfg_nics (in, name, map, NR (map), &changes);        \
    check_str (what, out, expected);                                     \
    check_int (what, changes, n);                                        \
    free (out);                                                          \
  } while (0)

  T_IFCFG ("ifcfg carried HWADDR stays",
           "DEVICE=ens224\nHWADDR=00:50:56:9A:30:04\nONBOOT=yes\n", "ens224",
           carried_ens, "DEVICE=ens7\nHWADDR=00:50:56:9A:30:04\nONBOOT=yes\n", 1);
  T_IFCFG ("ifcfg VLAN of it",
           "DEVICE=ens224.100\nPHYSDEV=ens224\nVLAN=yes\n", "ens224.100",
           carried_ens, "DEVICE=ens7.100\nPHYSDEV=ens7\nVLAN=yes\n", 2);
  T_IFCFG ("wicked LLADDR not carried",
           "STARTMODE='auto'\nLLADDR='00:50:56:9a:30:05'\n", "ens256",
           carried_ens, "STARTMODE='auto'\n", 1);
  T_IFCFG ("wicked bond members",
           "BONDING_MASTER='yes'\nBONDING_SLAVE0='ens256'\nBONDING_SLAVE1='ens224'\n"
           "BRIDGE_PORTS='ens2560 ens256'\n", "bond0", carried_ens,
           "BONDING_MASTER='yes'\nBONDING_SLAVE0='ens8'\nBONDING_SLAVE1='ens7'\n"
           "BRIDGE_PORTS='ens2560 ens8'\n", 3);
  T_IFCFG ("ifcfg of no entry: a carried MAC stays, others go",
           "DEVICE=bond0\nMACADDR=00:50:56:9a:30:04\nHWADDR=00:50:56:9a:30:05\n",
           "bond0", carried_ens, "DEVICE=bond0\nMACADDR=00:50:56:9a:30:04\n", 1);
}

int
main (void)
{
  test_eval_links ();
  test_eval_rules ();
  test_bindings ();
  test_tie ();
  test_link_file ();
  test_udev_rules ();
  test_netplan_keep ();
  test_nm_bind ();
  test_ifcfg_nics ();
  printf ("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
