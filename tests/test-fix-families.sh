#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# guestfix on the phony guests of the other families and layouts
# (tests/images/phony-linux.sh), one target each, with the rewritten
# files asserted line by line from the change report, and the guests
# ferry must refuse.  Every conversion is one appliance launch.
set -euo pipefail
source "${abs_top_srcdir:-$(dirname "$0")/..}/tests/functions.sh"
require_cmd qemu-img qemu-nbd jq debugfs cpio guestfish
phony_linux                     # sets $phony_dir
mk_tmpdir
export TMPDIR="$tmpdir/tmp"; mkdir "$TMPDIR"

# convert VARIANT TARGET [ARGS...]: convert to $tmpdir/out-VARIANT-TARGET,
# check the source is untouched and nothing is left over; the report
# is in $rep.
convert() {
    local v="$1" t="$2" src="$phony_dir/$1.img" before o
    shift 2
    o="$tmpdir/out-$v-$t"
    mkdir -p "$o"
    before=$(sha256_of "$src")
    "$FERRY" convert -q -i disk "$src" -o local -os "$o" --target "$t" "$@" ||
        fail "$v ($t): convert failed"
    [ "$(sha256_of "$src")" = "$before" ] || fail "$v: the source was modified"
    rep="$o/$v.changes.json"
    [ -f "$o/$v-sda" ] && [ -f "$rep" ] || fail "$v: outputs missing: $(ls "$o")"
    [ -z "$(ls -A "$TMPDIR")" ] || fail "$v: temp files left: $(ls -A "$TMPDIR")"
    [ "$(jq -r .target "$rep")" = "$t" ] || fail "$v: report target"
}
action() {
    jq -e --arg f "$1" --arg a "$2" '.changes[] | select(.file == $f and .action == $a)' \
       "$rep" >/dev/null || fail "$(basename "$rep"): no '$2' of $1"
}
removed_pkgs() { jq -r '.packages_removed | join(" ")' "$rep"; }
# initramfs METHOD TOOL REASON-REGEX: how the report says the (first)
# kernel's initramfs was made.
initramfs() {
    jq -e --arg m "$1" --arg t "$2" --arg r "$3" \
       '.initramfs | length == 1 and (.[0] | .method == $m and .tool == $t and (.reason | test($r)))' \
       "$rep" >/dev/null || fail "$(basename "$rep"): initramfs not $1 by $2 ($3): $(jq -c .initramfs "$rep")"
}
# has_modules LABEL INITRD MOD...: the gzip'd newc image (read back from
# an output disk) holds every MOD, by the host's cpio.
has_modules() {
    local label="$1" mods m
    mods=$(zcat -- "$2" | cpio -t --quiet 2>/dev/null | sed -n 's|.*/\([^/]*\)\.ko[^/]*$|\1|p')
    shift 2
    for m in "$@"; do
        grep -qx -- "$m" <<<"$mods" || fail "$label: the initramfs lacks $m: $(tr '\n' ' ' <<<"$mods")"
    done
}
nic() { jq -r '.target_nics[0]' "$rep"; }
warned() {
    jq -e --arg w "$1" '.warnings | any(test($w))' "$rep" >/dev/null ||
        fail "$(basename "$rep"): no warning matching '$1': $(jq -c .warnings "$rep")"
}

# Rocky 9 for OpenStack: LVM root on XFS, separate /boot, NM keyfile,
# SELinux enforcing, VMware tools from rpm, from the tarball and a
# VMware repo, cloud-init disabled by the installer.
convert rocky9 openstack
f=/etc/NetworkManager/system-connections/ens192.nmconnection
diff_has $f "-interface-name=ens192"
diff_has $f "+interface-name=ens3"
diff_has $f "-mac-address=00:50:56:9A:10:01"
unchanged /etc/fstab                       # LVM and UUID: already stable
action /etc/yum.repos.d/vmware-tools.repo deleted
diff_has /etc/dracut.conf.d/90-ferry-openstack.conf '+add_drivers+=" virtio_pci virtio_blk virtio_scsi virtio_net "'
action /boot/initramfs-5.14.0-362.8.1.el9_3.x86_64.img regenerated
initramfs rebuild dracut '^--initramfs auto: .*initramfs-tools only, not of dracut'
action /usr/bin/vmware-uninstall-tools.pl ran
diff_has /boot/loader/entries/0f1e2d3c4b5a69788796a5b4c3d2e1f0-5.14.0-362.8.1.el9_3.x86_64.conf \
    "+options root=/dev/mapper/rl-root ro resume=/dev/mapper/rl-swap rd.lvm.lv=rl/root rd.lvm.lv=rl/swap rhgb quiet console=ttyS0"
diff_has /etc/default/grub '+GRUB_CMDLINE_LINUX="resume=/dev/mapper/rl-swap rd.lvm.lv=rl/root rd.lvm.lv=rl/swap rhgb quiet console=ttyS0"'
action /etc/cloud/cloud-init.disabled deleted
diff_has /etc/cloud/cloud.cfg.d/90-ferry-datasource.cfg '+datasource_list: [ ConfigDrive, OpenStack, None ]'
action /var/lib/cloud/instances removed
action /.autorelabel created
[ "$(removed_pkgs)" = "open-vm-tools open-vm-tools-desktop" ] || fail "rocky9: removed: $(removed_pkgs)"
[ "$(nic)" = ens3 ] || fail "rocky9: NIC $(nic)"
echo "ok: rocky9 (LVM, XFS, /boot, NM keyfile, SELinux, dracut, cloud-init)"

# AlmaLinux 8 for KVM, two disks, with a static address for its NIC
# and a package injected: the source MAC is given by a libvirt domain,
# the disks by device names.
cat > "$tmpdir/alma8.xml" <<EOF
<domain type='kvm'>
  <name>alma8</name>
  <memory unit='KiB'>1048576</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='$phony_dir/alma8.img'/>
      <target dev='sda' bus='scsi'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='$phony_dir/alma8-disk2.img'/>
      <target dev='sdb' bus='scsi'/>
    </disk>
    <interface type='network'>
      <mac address='00:15:5d:01:02:03'/>
      <source network='External'/>
      <model type='e1000'/>
    </interface>
  </devices>
</domain>
EOF
mkdir "$tmpdir/pkgs"
echo "phony package" > "$tmpdir/pkgs/qemu-guest-agent-8.0.0-1.el8.x86_64.rpm"
o="$tmpdir/out-alma8-kvm"; mkdir "$o"
"$FERRY" convert -q -i libvirtxml "$tmpdir/alma8.xml" -o local -os "$o" \
    --inject-package "$tmpdir/pkgs" \
    --mac 00:15:5D:01:02:03:ip:192.0.2.10,192.0.2.1,24,192.0.2.53,192.0.2.54 ||
    fail "alma8: convert failed"
rep="$o/alma8.changes.json"
uuid_root=$(jq -r '.changes[] | select(.file == "/etc/fstab") | .diff' "$rep" |
                grep -oE '^\+UUID=[0-9a-f-]+\s+/\s' | grep -oE '[0-9a-f-]{36}')
[ -n "$uuid_root" ] || fail "alma8: root not by UUID in fstab"
d=$(jq -r '.changes[] | select(.file == "/boot/grub2/grubenv") | .diff' "$rep")
grep -qE "^\+kernelopts=root=UUID=$uuid_root ro resume=UUID=[0-9a-f-]{36} rhgb quiet \$" <<<"$d" ||
    fail "alma8: grubenv kernelopts: $d"
unchanged /boot/loader/entries/0f1e2d3c4b5a69788796a5b4c3d2e1f0-4.18.0-513.5.1.el8_9.x86_64.conf
diff_has /etc/default/grub '+GRUB_CMDLINE_LINUX="resume=UUID='"$(grep -oE 'resume=UUID=[0-9a-f-]{36}' <<<"$d" | head -1 | cut -d= -f3)"' rhgb quiet"'
jq -r '.changes[] | select(.file == "/etc/fstab") | .diff' "$rep" | grep -qE '^\+UUID=[0-9a-f-]{36}\s+/data\s' ||
    fail "alma8: /data on the second disk not by UUID"
[ -f "$o/alma8-sdb" ] || fail "alma8: second disk not written"
action qemu-guest-agent-8.0.0-1.el8.x86_64.rpm installed
action /etc/sysconfig/network-scripts/ifcfg-ens192 deleted
f=/etc/sysconfig/network-scripts/ifcfg-ens3
action $f created
for l in '+NAME="System ens3"' '+DEVICE=ens3' '+BOOTPROTO=none' '+IPADDR=192.0.2.10' \
         '+PREFIX=24' '+GATEWAY=192.0.2.1' '+DNS1=192.0.2.53' '+DNS2=192.0.2.54' '+ONBOOT=yes'; do
    diff_has $f "$l"
done
# The libvirt XML carries the source's MAC to the target: HWADDR stays.
diff_has $f '+HWADDR=00:15:5D:01:02:03'
[ "$(removed_pkgs)" = "hyperv-daemons hyperv-daemons-license" ] || fail "alma8: removed: $(removed_pkgs)"
action /.autorelabel created
# What the report says is on the output disk (debugfs on the root's
# ext4, no mount, no appliance).
qemu-img convert -O raw "$o/alma8-sda" "$tmpdir/alma8.raw"
debugfs -R "cat $f" "$tmpdir/alma8.raw?offset=1048576" > "$tmpdir/ifcfg.txt" 2>/dev/null
grep -qx 'IPADDR=192.0.2.10' "$tmpdir/ifcfg.txt" && grep -qx 'DEVICE=ens3' "$tmpdir/ifcfg.txt" ||
    fail "alma8: output disk: $(cat "$tmpdir/ifcfg.txt")"
rm -f "$tmpdir/alma8.raw"
echo "ok: alma8 (two disks, ifcfg renamed, --mac static, grubenv, Hyper-V daemons, --inject-package)"

# Amazon Linux 2023 for AWS: nvme + ena, Ec2 datasource, ens5; the
# initramfs appended to on the host (nvme needs nvme-core, which the
# target's list does not name), dracut's config still written for the
# next kernel update.
convert amzn2023 aws --initramfs append
f=/etc/dracut.conf.d/90-ferry-aws.conf
diff_has $f '+add_drivers+=" nvme ena "'
action /boot/initramfs-6.1.61-85.141.amzn2023.x86_64.img regenerated
initramfs append ferry '^--initramfs append$'
diff_has /etc/cloud/cloud.cfg.d/90-ferry-datasource.cfg '+datasource_list: [ Ec2, None ]'
unchanged /etc/fstab
unchanged /etc/default/grub                # already has AWS's arguments
[ "$(nic)" = ens5 ] || fail "amzn2023: NIC $(nic)"
action /boot/efi/EFI/BOOT/BOOTX64.EFI created
grep -q "firmware=['\"]efi['\"]" "$tmpdir/out-amzn2023-aws/amzn2023.xml" || fail "amzn2023: XML without UEFI firmware"
echo "ok: amzn2023 (aws, UEFI)"

# SLES 15 for Azure: btrfs subvolumes, swap by device name (dropped),
# wicked, Hyper-V drivers and Azure's kernel arguments.
convert sles15 azure --initramfs append
d=$(jq -r '.changes[] | select(.file == "/etc/fstab") | .diff' "$rep")
grep -qE '^-/dev/sda1  swap  swap  defaults  0  0$' <<<"$d" || fail "sles15: swap line: $d"
grep -qE '^\+# ferry: UUID=[0-9a-f-]{36}  swap  swap  defaults  0  0$' <<<"$d" || fail "sles15: swap not dropped: $d"
d=$(jq -r '.changes[] | select(.file == "/boot/grub2/grub.cfg") | .diff' "$rep")
grep -qE '^\+	linux	/boot/vmlinuz-\S+ root=UUID=[0-9a-f-]{36} net.ifnames=0 splash=silent mitigations=auto quiet security=apparmor rootdelay=300 console=ttyS0,115200n8 earlyprintk=ttyS0$' <<<"$d" ||
    fail "sles15: grub.cfg: $d"
diff_has /etc/default/grub '+GRUB_CMDLINE_LINUX="net.ifnames=0 rootdelay=300 console=ttyS0,115200n8 earlyprintk=ttyS0"'
diff_has /etc/sysconfig/network/ifcfg-eth0 "-LLADDR='00:50:56:9a:20:02'"
changed /etc/udev/rules.d/70-persistent-net.rules
diff_has /etc/dracut.conf.d/90-ferry-azure.conf '+add_drivers+=" hv_vmbus hv_storvsc hv_netvsc hv_utils "'
action /boot/initrd-5.14.21-150500.55.39-default regenerated
initramfs append ferry '^--initramfs append$'
warned 'kernel 5.14.21-150500.55.39-default: the initramfs keeps its old resume device'
[ "$(nic)" = eth0 ] || fail "sles15: NIC $(nic)"
[ "$(removed_pkgs)" = open-vm-tools ] || fail "sles15: removed: $(removed_pkgs)"
action /opt/VBoxGuestAdditions-7.0.12/uninstall.sh ran
warned 'swap removed'
echo "ok: sles15 (azure, btrfs)"

# Alpine for KVM (virt-v2v does not convert it): mkinitfs, extlinux,
# no udev so eth0 stays eth0.
convert alpine kvm --initramfs append
diff_has /boot/extlinux.conf "-  APPEND root=/dev/sda3 modules=sd-mod,usb-storage,ext4 quiet rootfstype=ext4"
d=$(jq -r '.changes[] | select(.file == "/etc/update-extlinux.conf") | .diff' "$rep")
grep -qE '^\+root=UUID=[0-9a-f-]{36}$' <<<"$d" || fail "alpine: update-extlinux.conf: $d"
diff_has /etc/mkinitfs/mkinitfs.conf '+features="ata base ide scsi usb ext4 ferry-kvm"'
diff_has /etc/mkinitfs/features.d/ferry-kvm.modules '+kernel/drivers/block/virtio_blk.ko*'
action /boot/initramfs-virt regenerated
initramfs append ferry '^--initramfs append$'
unchanged /etc/network/interfaces
[ "$(nic)" = eth0 ] || fail "alpine: NIC $(nic)"
[ "$(removed_pkgs)" = open-vm-tools ] || fail "alpine: removed: $(removed_pkgs)"
echo "ok: alpine (mkinitfs, extlinux)"

# The three appended images, read back from the output disks: alpine's
# /boot is ext4 (debugfs, no appliance); amzn2023's XFS and sles15's
# btrfs take one guestfish launch for both.
qemu-img convert -O raw "$tmpdir/out-alpine-kvm/alpine-sda" "$tmpdir/alpine.raw"
debugfs -R "dump /initramfs-virt $tmpdir/alpine.initrd" "$tmpdir/alpine.raw?offset=1048576" 2>/dev/null
rm -f "$tmpdir/alpine.raw"
peer_guestfs guestfish --ro --format=qcow2 -a "$tmpdir/out-amzn2023-aws/amzn2023-sda" \
    -a "$tmpdir/out-sles15-azure/sles15-sda" <<EOF || fail "guestfish could not read the output disks"
run
mount-ro /dev/sda2 /
download /boot/initramfs-6.1.61-85.141.amzn2023.x86_64.img $tmpdir/amzn2023.initrd
umount-all
mount-ro /dev/sdb2 /
download /boot/initrd-5.14.21-150500.55.39-default $tmpdir/sles15.initrd
EOF
# nvme-core and virtio_ring come from the guests' modules.dep, not from
# the targets' lists.
has_modules amzn2023 "$tmpdir/amzn2023.initrd" nvme nvme-core ena virtio_blk xfs
has_modules sles15 "$tmpdir/sles15.initrd" hv_vmbus hv_storvsc hv_netvsc hv_utils btrfs
has_modules alpine "$tmpdir/alpine.initrd" virtio_pci virtio_blk virtio_scsi virtio_net virtio_ring ext4
echo "ok: the appended images hold the targets' modules and their dependencies"

# Refusals: one line, exit 1, nothing written.
out="$tmpdir/refused"; mkdir "$out"
expect_error "kernel without the target's drivers" \
    'kernel 5\.14\.0-362\.8\.1\.el9_3\.x86_64 has no ena module: it cannot boot on aws' \
    -i disk "$phony_dir/rocky9.img" --target aws --initramfs append
expect_error "initramfs tool fails" \
    "rebuild the initramfs with dracut: dracut: FAILED: installing kernel module 'virtio_blk'" \
    -i disk "$phony_dir/alma8fail.img"
# The same guest with --initramfs append: its broken dracut never runs.
convert alma8fail kvm --initramfs append
initramfs append ferry '^--initramfs append$'
echo "ok: alma8fail with --initramfs append: converted without running the guest's dracut"
expect_error "two roots without --root" \
    'inspect the guest: 2 operating systems found .*--root' \
    -i disk "$phony_dir/tworoots.img"
expect_error "--mac for a NIC the source lacks" \
    '--mac 00:11:22:33:44:55: the source VM has no NIC with this MAC' \
    -i libvirtxml "$tmpdir/alma8.xml" --mac 00:11:22:33:44:55:ip:10.0.0.2,,24 --dry-run
expect_error "--mac syntax" \
    '--mac "00:11:22:33:44:55:ip:10.0.0.2,10.0.0.1,33": .*prefix' \
    -i libvirtxml "$tmpdir/alma8.xml" --mac 00:11:22:33:44:55:ip:10.0.0.2,10.0.0.1,33
expect_error "unknown target" \
    '--target "gce": unknown target \(this version supports: kvm, openstack, aws, azure\)' \
    -i disk "$phony_dir/alma8.img" --target gce
echo "PASS: fix families"
