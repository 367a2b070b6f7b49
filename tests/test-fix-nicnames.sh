#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every way a Linux guest names or binds a NIC survives the move
# (tests/images/phony-debian.sh nicnames, nicnames1): .link files by
# MACAddress=, PermanentMACAddress=, Path=, Driver=; udev rules by
# ATTR{address} and KERNELS; netplan and cloud-init match: + set-name;
# NetworkManager, networkd, ifcfg and wicked MAC bindings; a bridge,
# VLANs and a bond on the NICs.  Three conversions (one appliance launch
# each):
#   1. the nine-NIC guest for kvm from its libvirt XML: the MACs are
#      carried, so every MAC match stays and only what is not bound by
#      MAC moves to the target's NICs;
#   2. the same for openstack, which gives the NICs MACs of its own: the
#      guest's own names are rebound to the target's NICs by PCI path or
#      driver, names like the old hardware's give way to the target's;
#   3. the one-NIC guest from a bare disk (no MAC to carry), its name
#      given by driver and by PCI device.
# The files are read back from the output disk (debugfs on the raw
# image, no mount) and compared whole.
set -euo pipefail
source "${abs_top_srcdir:-$(dirname "$0")/..}/tests/functions.sh"
require_cmd qemu-img qemu-nbd jq debugfs
mk_tmpdir
export TMPDIR="$tmpdir/tmp"; mkdir "$TMPDIR"
start=$SECONDS

"$FERRY_IMAGES/phony-debian.sh" nicnames "$tmpdir/nicnames.img"
"$FERRY_IMAGES/phony-debian.sh" nicnames1 "$tmpdir/nicnames1.img"
{
    cat <<EOF
<domain type='kvm'>
  <name>nicnames</name>
  <memory unit='KiB'>1048576</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='$tmpdir/nicnames.img'/>
      <target dev='sda' bus='scsi'/>
    </disk>
EOF
    for i in 0 1 2 3 4 5 6 7 8; do
        echo "    <interface type='network'><mac address='00:50:56:9a:30:0$i'/><source network='default'/><model type='vmxnet3'/></interface>"
    done
    echo "  </devices>"
    echo "</domain>"
} > "$tmpdir/nicnames.xml"

# convert WHAT NAME ARGS...: convert to $tmpdir/WHAT (raw), the report in
# $rep, the disk in $disk.
convert() {
    local what="$1" name="$2" t=$SECONDS
    shift 2
    mkdir "$tmpdir/$what"
    "$FERRY" convert -q "$@" -o local -os "$tmpdir/$what" -of raw ||
        fail "$what: convert failed"
    rep="$tmpdir/$what/$name.changes.json"
    disk="$tmpdir/$what/$name-sda"
    [ -f "$rep" ] && [ -f "$disk" ] || fail "$what: outputs missing: $(ls "$tmpdir/$what")"
    [ -z "$(ls -A "$TMPDIR")" ] || fail "$what: temp files left: $(ls -A "$TMPDIR")"
    echo "converted $what in $((SECONDS - t)) s"
}

# is FILE: the output disk's FILE is exactly stdin.
is() {
    local want got
    want="$(cat)"
    got="$(debugfs -R "cat \"$1\"" "$disk?offset=1048576" 2>/dev/null)"
    [ "$got" = "$want" ] ||
        fail "$(basename "$disk"): $1 is not as expected:"$'\n'"$(diff <(echo "$want") <(echo "$got") || true)"
}
# gone FILE: the output disk has no FILE.
gone() {
    ! debugfs -R "stat \"$1\"" "$disk?offset=1048576" 2>&1 | grep -q '^Inode:' ||
        fail "$(basename "$disk"): $1 should be gone"
}
nics() { jq -r '.target_nics | join(" ")' "$rep"; }
warned() {
    jq -e --arg w "$1" '.warnings | any(test($w))' "$rep" >/dev/null ||
        fail "$(basename "$rep"): no warning matching '$1': $(jq -c .warnings "$rep")"
}
not_warned() {
    ! jq -e --arg w "$1" '.warnings | any(test($w))' "$rep" >/dev/null ||
        fail "$(basename "$rep"): unexpected warning matching '$1': $(jq -c .warnings "$rep")"
}

# What both conversions of the nine-NIC guest leave the same.
common_nine() {
    is /etc/network/interfaces <<'EOF'
# This file describes the network interfaces available on your system
# and how to activate them. For more information, see interfaces(5).

source /etc/network/interfaces.d/*

# The loopback network interface
auto lo
iface lo inet loopback

# The LAN (named by MAC in 10-lan.link), in a bridge
allow-hotplug lan0
iface lan0 inet manual

auto br0
iface br0 inet dhcp
	bridge_ports lan0

# Storage (named by PCI path in 12-stor.link)
auto stor0
iface stor0 inet static
	address 10.9.0.5/24
EOF
    unchanged /etc/network/interfaces
    # Nothing ties stor0 and ens33 to a MAC: the last two NICs, in order.
    is /etc/systemd/network/12-stor.link <<'EOF'
[Match]
Path=pci-0000:00:0a.0

[Link]
Name=stor0
EOF
    is /etc/network/interfaces.d/ens33 <<'EOF'
auto ens11
iface ens11 inet dhcp
EOF
    warned "cannot be mapped with confidence: no MAC ties stor0, ens33 to the source VM's NICs"
    is /etc/systemd/network/20-wan.network <<'EOF'
[Match]
Name=wan0

[Network]
DHCP=yes
EOF
    # ifcfg and its VLAN renamed with the NIC; the bond's member too.
    gone /etc/sysconfig/network-scripts/ifcfg-ens224
    gone /etc/sysconfig/network-scripts/ifcfg-ens224.100
    is /etc/sysconfig/network-scripts/ifcfg-ens7.100 <<'EOF'
DEVICE=ens7.100
PHYSDEV=ens7
VLAN=yes
BOOTPROTO=dhcp
ONBOOT=yes
EOF
    gone /etc/sysconfig/network/ifcfg-ens256
    is /etc/sysconfig/network/ifcfg-bond0 <<'EOF'
STARTMODE='auto'
BOOTPROTO='dhcp'
BONDING_MASTER='yes'
BONDING_SLAVE0='ens8'
EOF
}

# 1. kvm: the libvirt XML carries the MACs.
convert kvm nicnames -i libvirtxml "$tmpdir/nicnames.xml"
[ "$(nics)" = "lan0 wan0 data0 opt0 ens7 ens8 eth6 stor0 ens11" ] || fail "kvm: target NICs: $(nics)"
common_nine
for f in /etc/systemd/network/10-lan.link /etc/systemd/network/11-wan.link \
         /etc/udev/rules.d/70-persistent-net.rules /etc/udev/rules.d/71-data.rules \
         /etc/netplan/60-opt.yaml /etc/cloud/cloud.cfg.d/50-curtin-networking.cfg \
         /etc/NetworkManager/system-connections/data0.nmconnection \
         /etc/systemd/network/30-ens224.network /etc/network/interfaces.d/eth6; do
    unchanged "$f"
done
is /etc/udev/rules.d/70-persistent-net.rules <<'EOF'
# PCI device 0x15ad:0x07b0 (vmxnet3)
SUBSYSTEM=="net", ACTION=="add", DRIVERS=="?*", ATTR{address}=="00:50:56:9a:30:06", ATTR{dev_id}=="0x0", ATTR{type}=="1", KERNEL=="eth*", NAME="eth6"
EOF
is /etc/sysconfig/network-scripts/ifcfg-ens7 <<'EOF'
DEVICE=ens7
HWADDR=00:50:56:9A:30:04
TYPE=Ethernet
BOOTPROTO=dhcp
ONBOOT=yes
EOF
is /etc/sysconfig/network/ifcfg-ens8 <<'EOF'
STARTMODE='hotplug'
BOOTPROTO='none'
LLADDR='00:50:56:9a:30:05'
EOF
not_warned 'still names MAC'
echo "ok: kvm: MACs carried, every MAC match kept"

# 2. openstack: new MACs.
convert openstack nicnames -i libvirtxml "$tmpdir/nicnames.xml" --target openstack
[ "$(nics)" = "lan0 wan0 data0 opt0 ens7 ens8 ens9 stor0 ens11" ] || fail "openstack: target NICs: $(nics)"
common_nine
is /etc/systemd/network/10-lan.link <<'EOF'
[Match]
Path=pci-0000:00:03.0

[Link]
Name=lan0
EOF
is /etc/systemd/network/11-wan.link <<'EOF'
[Match]
Path=pci-0000:00:04.0

[Link]
Name=wan0
EOF
is /etc/udev/rules.d/71-data.rules <<'EOF'
# The data network keeps its name.
SUBSYSTEM=="net", ACTION=="add", KERNELS=="0000:00:05.0", NAME="data0"
EOF
# eth6 was the old hardware's name: its rule goes, the NIC is ens9.
is /etc/udev/rules.d/70-persistent-net.rules <<'EOF'
# PCI device 0x15ad:0x07b0 (vmxnet3)
EOF
is /etc/network/interfaces.d/eth6 <<'EOF'
auto ens9
iface ens9 inet dhcp
EOF
is /etc/NetworkManager/system-connections/data0.nmconnection <<'EOF'
[connection]
id=data0
type=ethernet
interface-name=data0

[ethernet]

[ipv4]
address1=10.8.0.5/24
method=manual
EOF
is /etc/netplan/60-opt.yaml <<'EOF'
network:
  version: 2
  ethernets:
    opt:
      match:
        name: eth3
      set-name: opt0
      dhcp4: true
  vlans:
    opt0.20:
      id: 20
      link: opt0
EOF
is /etc/cloud/cloud.cfg.d/50-curtin-networking.cfg <<'EOF'
network:
  version: 2
  ethernets:
    lan0:
      match:
        name: eth0
      set-name: lan0
      dhcp4: true
EOF
is /etc/sysconfig/network-scripts/ifcfg-ens7 <<'EOF'
DEVICE=ens7
TYPE=Ethernet
BOOTPROTO=dhcp
ONBOOT=yes
EOF
is /etc/systemd/network/30-ens224.network <<'EOF'
[Match]
Name=ens7

[Network]
DHCP=yes
EOF
is /etc/sysconfig/network/ifcfg-ens8 <<'EOF'
STARTMODE='hotplug'
BOOTPROTO='none'
EOF
diff_has /etc/systemd/network/10-lan.link "-MACAddress=00:50:56:9a:30:00"
not_warned 'still names MAC'
echo "ok: openstack: own names rebound to the new NICs, the rest renamed"

# 3. A bare disk: one NIC, lan0 by driver and PCI device.
convert disk nicnames1 -i disk "$tmpdir/nicnames1.img"
[ "$(nics)" = lan0 ] || fail "disk: target NICs: $(nics)"
unchanged /etc/network/interfaces
is /etc/systemd/network/10-lan.link <<'EOF'
[Match]
Path=pci-0000:00:03.0
Driver=virtio_net

[Link]
Name=lan0
EOF
is /etc/udev/rules.d/72-lan.rules <<'EOF'
SUBSYSTEM=="net", ACTION=="add", KERNELS=="0000:00:03.0", NAME="lan0"
EOF
is /etc/systemd/network/20-lan.network <<'EOF'
[Match]
Name=lan0

[Network]
DHCP=yes
EOF
is "/etc/NetworkManager/system-connections/Wired connection 1.nmconnection" <<'EOF'
[connection]
id=Wired connection 1
type=ethernet
autoconnect-priority=-999
interface-name=lan0

[ethernet]

[ipv4]
method=auto
EOF
is /var/lib/cloud/seed/nocloud/network-config <<'EOF'
version: 2
ethernets:
  lan0:
    match:
      driver: virtio_net
    set-name: lan0
    dhcp4: true
EOF
unchanged /usr/lib/systemd/network/99-default.link
unchanged /usr/lib/udev/rules.d/80-net-setup-link.rules
not_warned 'mapped with confidence'
not_warned 'still names MAC'
echo "ok: bare disk: lan0 by driver and PCI device, bound to the target's NIC"
echo "PASS: NIC names ($((SECONDS - start)) s)"
