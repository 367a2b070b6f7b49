#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# phony-linux.sh OUTDIR
#
# Build the "phony" guests of the non-Debian families, one raw disk
# each, in OUTDIR (VARIANT.img).  Like phony-debian.sh they hold the
# files a converter reads and writes, not a working OS; unlike it their
# layouts need LVM, XFS and btrfs, so the disks are assembled in one
# guestfish session (one appliance launch for all of them, about 30 s
# under TCG).  The result is cached by the caller (tests/functions.sh
# phony_linux) keyed on this script's checksum.
#
# The guests' package and initramfs tools are shell scripts run by a
# static busybox (/usr/bin/busybox, copied from the host's
# busybox-static), so ferry's real code paths run them in the guest:
#   dracut    builds a gzip'd newc cpio with the modules named by
#             --add-drivers and /etc/dracut.conf.d add_drivers; fails
#             (exit 1, dracut-like message) if /etc/ferry-phony-fail exists
#   mkinitfs  (Alpine) the same from features= and features.d/*.modules
#   rpm       -qa, -e, -Uvh on the list in /var/lib/phony-rpm/installed
#   apk       del/add on /lib/apk/db/installed
# Every tool appends its arguments to /var/log/phony-tools.log.
#
# Variants (all BIOS, MBR):
#   rocky9   Rocky Linux 9.3: /boot ext4 (sda1, by UUID) + LVM PV (sda2),
#            VG rl: root XFS, swap; BLS entries with options; NM keyfile
#            ens192 bound to MAC 00:50:56:9a:10:01; SELinux enforcing;
#            cloud-init installed but disabled, with old instance state;
#            open-vm-tools and a vmware-tools yum repo, and VMware Tools
#            from the tarball (vmware-uninstall-tools.pl).  No ena module.
#   alma8    AlmaLinux 8.9 (ID_LIKE rhel): one ext4 root /dev/sda1 and
#            swap /dev/sda2, both by device name in fstab; grubenv
#            kernelopts with root=/dev/sda1 resume=/dev/sda2, BLS entries
#            "options $kernelopts"; ifcfg-ens192 with HWADDR and
#            NAME="System ens192"; SELinux permissive; hyperv-daemons
#            (it came from Hyper-V); a second disk (alma8-disk2.img) with
#            /data on /dev/sdb1 by device name.
#   amzn2023 Amazon Linux 2023, UEFI: GPT, ESP on sda1 (/boot/efi, with
#            EFI/amzn/shimx64.efi and grubx64.efi but no EFI/BOOT), XFS root
#            sda2 by UUID, BLS; cloud-init on; nvme and ena modules
#            available but not in the initramfs.
#   sles15   SLES 15 SP5: swap /dev/sda1 by name, btrfs root sda2 with
#            subvolumes @/home and @/var (the top level is /); grub2 grub.cfg (linux lines);
#            wicked ifcfg-eth0 with LLADDR; net.ifnames=0; a
#            70-persistent-net.rules; initrd-VERSION; VirtualBox guest
#            additions installed from their .run (uninstall.sh in /opt).
#   alpine   Alpine 3.19: /boot ext4 sda1, swap sda2, root ext4 sda3, all
#            by device name; extlinux.conf and update-extlinux.conf;
#            /etc/network/interfaces eth0 dhcp; mkinitfs; open-vm-tools in
#            the apk database; no udev, so NICs keep kernel names.
#   alma8fail  alma8 whose dracut fails (/etc/ferry-phony-fail).
#   tworoots   two operating systems (the alpine and sles15 trees on
#              sda1 and sda2): ferry must ask for --root.
set -euo pipefail

prog="${0##*/}"
die() { echo "$prog: $*" >&2; exit 1; }
[ "$#" -eq 1 ] || die "usage: $prog OUTDIR"
outdir="$1"
mkdir -p "$outdir"
for cmd in guestfish busybox tar truncate; do
    command -v "$cmd" >/dev/null 2>&1 || die "$cmd is not installed"
done
bb="$(command -v busybox)"
# A dynamic busybox would need the host's libc inside the guest.
! ldd "$bb" >/dev/null 2>&1 ||
    die "$bb is not a static busybox (install busybox-static)"

umask 022
work="$(mktemp -d "${TMPDIR:-/tmp}/phony-linux.XXXXXX")"
trap 'rm -rf -- "$work"' EXIT

# put ROOT PATH [MODE]: stdin to ROOT/PATH.
put() {
    local path="$1/$2"
    mkdir -p "${path%/*}"
    cat > "$path"
    [ -z "${3:-}" ] || chmod "$3" "$path"
}
uuid() { cat /proc/sys/kernel/random/uuid; }

# skeleton ROOT: usrmerged tree, static busybox with the applets the
# phony tools use (hard links, so /usr/bin/ls is a real x86-64 ELF for
# inspection's architecture check).
skeleton() {
    local r="$1" a
    mkdir -p "$r"/{usr/bin,usr/sbin,usr/lib,usr/lib64,boot,dev,proc,sys,run,tmp,var/tmp,var/log,var/lib,etc/sysconfig,root,home,opt,mnt}
    ln -s usr/bin "$r/bin"; ln -s usr/sbin "$r/sbin"
    ln -s usr/lib "$r/lib"; ln -s usr/lib64 "$r/lib64"
    cp "$bb" "$r/usr/bin/busybox"
    for a in sh ls cat cp mv rm mkdir find cpio gzip sed grep awk head tail \
             mktemp touch echo tr sort uniq xargs basename dirname true false; do
        ln "$r/usr/bin/busybox" "$r/usr/bin/$a"
    done
}

# dep_line EXT MOD ALL...: MOD's modules.dep line, naming the modules it
# depends on as the real kernel's do (virtio_ring, nvme-core, hv_vmbus)
# when they are among ALL.
dep_line() {
    local ext="$1" m="$2" d line
    shift 2
    line="kernel/$m$ext:"
    case "$m" in
        */virtio_pci|*/virtio_blk|*/virtio_scsi|*/virtio_net) d=drivers/virtio/virtio_ring ;;
        */nvme) d=drivers/nvme/host/nvme-core ;;
        */hv_storvsc|*/hv_netvsc|*/hv_utils) d=drivers/hv/hv_vmbus ;;
        *) d= ;;
    esac
    if [ -n "$d" ] && printf '%s\n' "$@" | grep -qx "$d"; then
        line="$line kernel/$d$ext"
    fi
    printf '%s\n' "$line"
}

# modules ROOT KVER EXT MOD...: dummy modules and their modules.dep.
# MOD is a path under kernel/ without the extension.
modules() {
    local r="$1" kver="$2" ext="$3" m
    shift 3
    mkdir -p "$r/usr/lib/modules/$kver"
    for m in "$@"; do
        mkdir -p "$r/usr/lib/modules/$kver/kernel/${m%/*}"
        printf 'phony %s\n' "${m##*/}" > "$r/usr/lib/modules/$kver/kernel/$m$ext"
        dep_line "$ext" "$m" "$@"
    done > "$r/usr/lib/modules/$kver/modules.dep"
    : > "$r/usr/lib/modules/$kver/modules.builtin"
}

# initrd ROOT KVER OUT EXT MOD...: an initramfs holding only MODs and
# their modules.dep, as dracut and mkinitfs write one.
initrd() {
    local r="$1" kver="$2" out="$3" ext="$4" t m
    shift 4
    t="$work/initrd.$$"
    rm -rf "$t"; mkdir -p "$t/usr/lib/modules/$kver"
    printf '#!/bin/sh\n' > "$t/init"
    for m in "$@"; do
        mkdir -p "$t/usr/lib/modules/$kver/kernel/${m%/*}"
        printf 'phony %s\n' "${m##*/}" > "$t/usr/lib/modules/$kver/kernel/$m$ext"
        dep_line "$ext" "$m" "$@" >> "$t/usr/lib/modules/$kver/modules.dep"
    done
    (cd "$t" && find . -mindepth 1 | LC_ALL=C sort |
         cpio -o -H newc -R 0:0 --quiet | gzip -n) > "$r/$out"
    rm -rf "$t"
}

vmw_mods=(drivers/scsi/vmw_pvscsi drivers/net/vmxnet3/vmxnet3 drivers/ata/ata_piix)
virtio_mods=(drivers/virtio/virtio_ring drivers/virtio/virtio_pci drivers/block/virtio_blk drivers/scsi/virtio_scsi drivers/net/virtio_net)
hv_mods=(drivers/hv/hv_vmbus drivers/scsi/hv_storvsc drivers/net/hyperv/hv_netvsc drivers/hv/hv_utils)
aws_mods=(drivers/nvme/host/nvme drivers/nvme/host/nvme-core drivers/net/ethernet/amazon/ena/ena)

# The phony tools.
tools_rpm() {
    local r="$1"
    put "$r" usr/bin/dracut 0755 <<'EOF'
#!/usr/bin/busybox sh
# phony dracut (see tests/images/phony-linux.sh)
echo "dracut $*" >> /var/log/phony-tools.log
if [ -e /etc/ferry-phony-fail ]; then
    echo "dracut: FAILED: installing kernel module 'virtio_blk': No space left on device" >&2
    exit 1
fi
drivers=
while [ $# -gt 2 ]; do
    case "$1" in
        --add-drivers) drivers="$drivers $2"; shift 2 ;;
        *) shift ;;
    esac
done
out="$1"; kver="$2"
for f in /etc/dracut.conf.d/*.conf; do
    [ -f "$f" ] || continue
    drivers="$drivers $(sed -n 's/^add_drivers+*="\(.*\)"/\1/p' "$f")"
done
t=$(mktemp -d)
mkdir -p "$t/usr/lib/modules/$kver"
echo '#!/bin/sh' > "$t/init"
for d in $drivers; do
    f=$(find "/usr/lib/modules/$kver/kernel" -name "$d.ko*" | head -n 1)
    [ -n "$f" ] || { echo "dracut: FATAL: module '$d' not found for kernel $kver" >&2; exit 1; }
    mkdir -p "$t${f%/*}"
    cp "$f" "$t$f"
done
(cd "$t" && find . | cpio -o -H newc 2>/dev/null | gzip) > "$out"
rm -rf "$t"
EOF
    put "$r" usr/bin/rpm 0755 <<'EOF'
#!/usr/bin/busybox sh
# phony rpm (see tests/images/phony-linux.sh)
echo "rpm $*" >> /var/log/phony-tools.log
db=/var/lib/phony-rpm/installed
case "$1" in
    -qa) cat "$db" ;;
    -e)  shift
         for p in "$@"; do
             grep -qx "$p" "$db" || { echo "error: package $p is not installed" >&2; exit 1; }
             grep -vx "$p" "$db" > "$db.new"; mv "$db.new" "$db"
         done ;;
    -Uvh) shift
         for f in "$@"; do
             case "$f" in --*) continue ;; esac
             n=${f##*/}; echo "${n%%-[0-9]*}" >> "$db"
         done ;;
    *)   echo "rpm: phony rpm cannot do: $*" >&2; exit 1 ;;
esac
EOF
}

write_rpmdb() {
    local r="$1"; shift
    mkdir -p "$r/var/lib/phony-rpm"
    printf '%s\n' "$@" > "$r/var/lib/phony-rpm/installed"
}

# BLS entry ROOT KVER OPTIONS
bls() {
    local r="$1" kver="$2" opts="$3"
    put "$r" "boot/loader/entries/0f1e2d3c4b5a69788796a5b4c3d2e1f0-$kver.conf" <<EOF
title Linux ($kver)
version $kver
linux /vmlinuz-$kver
initrd /initramfs-$kver.img \$tuned_initrd
options $opts
grub_users \$grub_users
grub_arg --unrestricted
grub_class kernel
EOF
}

grubenv() {
    local r="$1" body="$2" pad
    pad=$(( 1024 - ${#body} ))
    { printf '%s' "$body"; printf '#%.0s' $(seq "$pad"); } > "$r/boot/grub2/grubenv"
}

# ------------------------------------------------------------- rocky9
boot_rocky=$(uuid)
make_rocky9() {
    local r="$work/rocky9" kver=5.14.0-362.8.1.el9_3.x86_64
    skeleton "$r"; tools_rpm "$r"
    put "$r" etc/os-release <<'EOF'
NAME="Rocky Linux"
VERSION="9.3 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.3"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"
EOF
    echo "Rocky Linux release 9.3 (Blue Onyx)" | put "$r" etc/redhat-release
    echo "Rocky Linux release 9.3 (Blue Onyx)" | put "$r" etc/rocky-release
    echo "phony-rocky9" | put "$r" etc/hostname
    put "$r" etc/fstab <<EOF
#
# /etc/fstab
# Created by anaconda on Tue Nov 14 10:02:11 2023
#
/dev/mapper/rl-root     /                       xfs     defaults        0 0
UUID=$boot_rocky /boot                   ext4    defaults        1 2
/dev/mapper/rl-swap     none                    swap    defaults        0 0
EOF
    modules "$r" "$kver" .ko.xz "${vmw_mods[@]}" "${virtio_mods[@]}" "${hv_mods[@]}" \
        drivers/nvme/host/nvme drivers/nvme/host/nvme-core fs/xfs/xfs
    echo "phony vmlinuz $kver" | put "$r" "boot/vmlinuz-$kver"
    initrd "$r" "$kver" "boot/initramfs-$kver.img" .ko.xz "${vmw_mods[@]}" fs/xfs/xfs
    bls "$r" "$kver" "root=/dev/mapper/rl-root ro resume=/dev/mapper/rl-swap rd.lvm.lv=rl/root rd.lvm.lv=rl/swap rhgb quiet"
    mkdir -p "$r/boot/grub2"
    put "$r" boot/grub2/grub.cfg <<'EOF'
### BEGIN /etc/grub.d/10_linux ###
insmod part_msdos
insmod ext2
set root='hd0,msdos1'
insmod blscfg
blscfg
### END /etc/grub.d/10_linux ###
EOF
    grubenv "$r" $'# GRUB Environment Block\nsaved_entry=0f1e2d3c4b5a69788796a5b4c3d2e1f0-'"$kver"$'\nboot_success=0\n'
    put "$r" etc/default/grub <<'EOF'
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR="$(sed 's, release .*$,,g' /etc/system-release)"
GRUB_DEFAULT=saved
GRUB_DISABLE_SUBMENU=true
GRUB_TERMINAL_OUTPUT="console"
GRUB_CMDLINE_LINUX="resume=/dev/mapper/rl-swap rd.lvm.lv=rl/root rd.lvm.lv=rl/swap rhgb quiet"
GRUB_DISABLE_RECOVERY="true"
GRUB_ENABLE_BLSCFG=true
EOF
    put "$r" etc/NetworkManager/system-connections/ens192.nmconnection 0600 <<'EOF'
[connection]
id=ens192
uuid=2b7a2e4c-7d0e-3c3b-8d7a-0d2c1f9f3a11
type=ethernet
autoconnect-priority=-999
interface-name=ens192

[ethernet]
mac-address=00:50:56:9A:10:01

[ipv4]
method=auto

[ipv6]
addr-gen-mode=eui64
method=auto
EOF
    put "$r" etc/selinux/config <<'EOF'
# This file controls the state of SELinux on the system.
SELINUX=enforcing
SELINUXTYPE=targeted
EOF
    put "$r" etc/cloud/cloud.cfg <<'EOF'
users:
 - default
disable_root: true
datasource_list: [ NoCloud, ConfigDrive, OpenStack, Ec2, None ]
EOF
    echo | put "$r" etc/cloud/cloud-init.disabled
    mkdir -p "$r/var/lib/cloud/instances/i-0a1b2c3d/sem" "$r/var/lib/cloud/data"
    echo vsphere-1 > "$r/var/lib/cloud/data/instance-id"
    ln -s /var/lib/cloud/instances/i-0a1b2c3d "$r/var/lib/cloud/instance"
    put "$r" etc/yum.repos.d/vmware-tools.repo <<'EOF'
[vmware-tools]
name=VMware Tools
baseurl=https://packages.vmware.com/tools/releases/latest/rhel9/x86_64
enabled=1
EOF
    write_rpmdb "$r" bash kernel-core open-vm-tools open-vm-tools-desktop cloud-init NetworkManager
    mkdir -p "$r/etc/vmware-tools"
    echo 'libdir = "/usr/lib/vmware-tools"' > "$r/etc/vmware-tools/locations"
    put "$r" usr/bin/vmware-uninstall-tools.pl 0755 <<'EOF'
#!/usr/bin/busybox sh
# phony VMware Tools tarball uninstaller (the real one is perl)
echo "vmware-uninstall-tools.pl $*" >> /var/log/phony-tools.log
rm -rf /etc/vmware-tools /usr/bin/vmware-uninstall-tools.pl
EOF
}

# -------------------------------------------------------------- alma8
make_alma8() {
    local r="$work/alma8" kver=4.18.0-513.5.1.el8_9.x86_64
    skeleton "$r"; tools_rpm "$r"
    put "$r" etc/os-release <<'EOF'
NAME="AlmaLinux"
VERSION="8.9 (Midnight Oncilla)"
ID="almalinux"
ID_LIKE="rhel centos fedora"
VERSION_ID="8.9"
PLATFORM_ID="platform:el8"
PRETTY_NAME="AlmaLinux 8.9 (Midnight Oncilla)"
EOF
    echo "AlmaLinux release 8.9 (Midnight Oncilla)" | put "$r" etc/redhat-release
    echo "AlmaLinux release 8.9 (Midnight Oncilla)" | put "$r" etc/almalinux-release
    echo "phony-alma8" | put "$r" etc/hostname
    put "$r" etc/fstab <<'EOF'
/dev/sda1               /                       ext4    defaults        1 1
/dev/sda2               swap                    swap    defaults        0 0
/dev/sdb1               /data                   ext4    defaults        1 2
EOF
    mkdir -p "$r/data"
    modules "$r" "$kver" .ko.xz "${vmw_mods[@]}" "${virtio_mods[@]}" "${hv_mods[@]}"
    echo "phony vmlinuz $kver" | put "$r" "boot/vmlinuz-$kver"
    initrd "$r" "$kver" "boot/initramfs-$kver.img" .ko.xz "${hv_mods[@]}"
    bls "$r" "$kver" '$kernelopts'
    mkdir -p "$r/boot/grub2"
    grubenv "$r" $'# GRUB Environment Block\nsaved_entry=0f1e2d3c4b5a69788796a5b4c3d2e1f0-'"$kver"$'\nkernelopts=root=/dev/sda1 ro resume=/dev/sda2 rhgb quiet \nboot_success=0\n'
    put "$r" etc/default/grub <<'EOF'
GRUB_TIMEOUT=5
GRUB_DEFAULT=saved
GRUB_CMDLINE_LINUX="resume=/dev/sda2 rhgb quiet"
GRUB_ENABLE_BLSCFG=true
EOF
    put "$r" etc/sysconfig/network-scripts/ifcfg-ens192 <<'EOF'
TYPE=Ethernet
BOOTPROTO=dhcp
DEFROUTE=yes
NAME="System ens192"
UUID=5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03
DEVICE=ens192
HWADDR=00:15:5D:01:02:03
ONBOOT=yes
EOF
    put "$r" etc/sysconfig/network-scripts/ifcfg-lo <<'EOF'
DEVICE=lo
IPADDR=127.0.0.1
ONBOOT=yes
EOF
    put "$r" etc/selinux/config <<'EOF'
SELINUX=permissive
SELINUXTYPE=targeted
EOF
    write_rpmdb "$r" bash kernel-core hyperv-daemons hyperv-daemons-license NetworkManager
}

# ----------------------------------------------------------- amzn2023
root_amzn=$(uuid)
make_amzn2023() {
    local r="$work/amzn2023" kver=6.1.61-85.141.amzn2023.x86_64
    skeleton "$r"; tools_rpm "$r"
    put "$r" etc/os-release <<'EOF'
NAME="Amazon Linux"
VERSION="2023"
ID="amzn"
ID_LIKE="fedora"
VERSION_ID="2023"
PLATFORM_ID="platform:al2023"
PRETTY_NAME="Amazon Linux 2023"
EOF
    echo "Amazon Linux release 2023 (Amazon Linux)" | put "$r" etc/system-release
    echo "phony-amzn2023" | put "$r" etc/hostname
    put "$r" etc/fstab <<EOF
UUID=$root_amzn     /           xfs    defaults,noatime  1   1
LABEL=ESP           /boot/efi   vfat   defaults,noatime,uid=0,gid=0,umask=0077,shortname=winnt,x-systemd.automount 0 2
EOF
    modules "$r" "$kver" .ko.xz "${virtio_mods[@]}" "${aws_mods[@]}" fs/xfs/xfs
    echo "phony vmlinuz $kver" | put "$r" "boot/vmlinuz-$kver"
    initrd "$r" "$kver" "boot/initramfs-$kver.img" .ko.xz "${virtio_mods[@]}" fs/xfs/xfs
    bls "$r" "$kver" "root=UUID=$root_amzn ro console=tty0 console=ttyS0,115200n8 nvme_core.io_timeout=4294967295 rd.emergency=poweroff rd.shell=0 selinux=1 security=selinux quiet"
    mkdir -p "$r/boot/grub2"
    grubenv "$r" $'# GRUB Environment Block\nsaved_entry=0f1e2d3c4b5a69788796a5b4c3d2e1f0-'"$kver"$'\n'
    put "$r" etc/default/grub <<'EOF'
GRUB_CMDLINE_LINUX="console=tty0 console=ttyS0,115200n8 nvme_core.io_timeout=4294967295 rd.emergency=poweroff rd.shell=0 selinux=1 security=selinux quiet"
GRUB_TIMEOUT=0
GRUB_ENABLE_BLSCFG=true
EOF
    put "$r" etc/selinux/config <<'EOF'
SELINUX=disabled
EOF
    put "$r" etc/cloud/cloud.cfg <<'EOF'
users:
 - default
datasource_list: [ Ec2, None ]
EOF
    write_rpmdb "$r" bash kernel cloud-init amazon-ec2-net-utils
    mkdir -p "$r/boot/efi/EFI/amzn"
    echo "phony shim" > "$r/boot/efi/EFI/amzn/shimx64.efi"
    echo "phony grub" > "$r/boot/efi/EFI/amzn/grubx64.efi"
    (cd "$r/boot/efi" && tar -cf "$work/amzn2023-esp.tar" .)
    rm -rf "$r/boot/efi/EFI"
}

# ------------------------------------------------------------- sles15
root_sles=$(uuid)
make_sles15() {
    local r="$work/sles15" kver=5.14.21-150500.55.39-default
    skeleton "$r"; tools_rpm "$r"
    mkdir -p "$r/home" "$r/var"
    put "$r" etc/os-release <<'EOF'
NAME="SLES"
VERSION="15-SP5"
VERSION_ID="15.5"
PRETTY_NAME="SUSE Linux Enterprise Server 15 SP5"
ID="sles"
ID_LIKE="suse"
CPE_NAME="cpe:/o:suse:sles:15:sp5"
EOF
    echo "phony-sles15" | put "$r" etc/hostname
    put "$r" etc/fstab <<EOF
/dev/sda1  swap  swap  defaults  0  0
UUID=$root_sles  /  btrfs  defaults  0  0
UUID=$root_sles  /home  btrfs  subvol=/@/home  0  0
UUID=$root_sles  /var  btrfs  subvol=/@/var  0  0
EOF
    modules "$r" "$kver" .ko.zst "${vmw_mods[@]}" "${virtio_mods[@]}" "${hv_mods[@]}" fs/btrfs/btrfs
    echo "phony vmlinuz $kver" | put "$r" "boot/vmlinuz-$kver"
    initrd "$r" "$kver" "boot/initrd-$kver" .ko.zst "${vmw_mods[@]}" fs/btrfs/btrfs
    put "$r" etc/default/grub <<'EOF'
GRUB_DISTRIBUTOR="SLES"
GRUB_DEFAULT=saved
GRUB_TIMEOUT=8
GRUB_CMDLINE_LINUX_DEFAULT="splash=silent resume=/dev/sda1 mitigations=auto quiet security=apparmor"
GRUB_CMDLINE_LINUX="net.ifnames=0"
EOF
    put "$r" boot/grub2/grub.cfg <<EOF
menuentry 'SLES 15-SP5' --class sles --class gnu-linux --class gnu --class os {
	insmod btrfs
	search --no-floppy --fs-uuid --set=root $root_sles
	echo	'Loading Linux $kver ...'
	linux	/boot/vmlinuz-$kver root=UUID=$root_sles net.ifnames=0 splash=silent resume=/dev/sda1 mitigations=auto quiet security=apparmor
	echo	'Loading initial ramdisk ...'
	initrd	/boot/initrd-$kver
}
EOF
    put "$r" etc/sysconfig/network/ifcfg-eth0 <<'EOF'
BOOTPROTO='dhcp'
STARTMODE='auto'
ZONE=''
LLADDR='00:50:56:9a:20:02'
EOF
    put "$r" etc/sysconfig/network/ifcfg-lo <<'EOF'
IPADDR=127.0.0.1/8
STARTMODE=nfsroot
EOF
    put "$r" etc/udev/rules.d/70-persistent-net.rules <<'EOF'
SUBSYSTEM=="net", ACTION=="add", DRIVERS=="?*", ATTR{address}=="00:50:56:9a:20:02", ATTR{type}=="1", KERNEL=="eth*", NAME="eth0"
EOF
    write_rpmdb "$r" bash kernel-default open-vm-tools wicked
    put "$r" opt/VBoxGuestAdditions-7.0.12/uninstall.sh 0755 <<'EOF'
#!/usr/bin/busybox sh
# phony VirtualBox guest additions uninstaller
echo "VBoxGuestAdditions uninstall.sh $*" >> /var/log/phony-tools.log
rm -rf /opt/VBoxGuestAdditions-7.0.12
EOF
}

# ------------------------------------------------------------- alpine
make_alpine() {
    local r="$work/alpine" kver=6.6.14-0-virt
    skeleton "$r"
    put "$r" etc/os-release <<'EOF'
NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.19.1
PRETTY_NAME="Alpine Linux v3.19"
EOF
    echo 3.19.1 | put "$r" etc/alpine-release
    echo "phony-alpine" | put "$r" etc/hostname
    put "$r" etc/fstab <<'EOF'
/dev/sda3	/	ext4	rw,relatime 0 1
/dev/sda1	/boot	ext4	rw,relatime 0 2
/dev/sda2	swap	swap	defaults	0 0
EOF
    modules "$r" "$kver" .ko.gz "${vmw_mods[@]}" "${virtio_mods[@]}" "${aws_mods[@]}" "${hv_mods[@]}" fs/ext4/ext4
    echo "phony vmlinuz $kver" | put "$r" boot/vmlinuz-virt
    initrd "$r" "$kver" boot/initramfs-virt .ko.gz "${vmw_mods[@]}" fs/ext4/ext4
    put "$r" etc/mkinitfs/mkinitfs.conf <<'EOF'
features="ata base ide scsi usb ext4"
EOF
    echo 'kernel/drivers/ata/*.ko*' | put "$r" etc/mkinitfs/features.d/ata.modules
    echo 'kernel/drivers/scsi/vmw_pvscsi.ko*' | put "$r" etc/mkinitfs/features.d/scsi.modules
    echo 'kernel/fs/ext4/*.ko*' | put "$r" etc/mkinitfs/features.d/ext4.modules
    put "$r" boot/extlinux.conf <<EOF
DEFAULT menu.c32
PROMPT 0
TIMEOUT 10
LABEL virt
  MENU LABEL Linux virt
  LINUX vmlinuz-virt
  INITRD initramfs-virt
  APPEND root=/dev/sda3 modules=sd-mod,usb-storage,ext4 quiet rootfstype=ext4
EOF
    put "$r" etc/update-extlinux.conf <<'EOF'
overwrite=1
default_kernel_opts="quiet rootfstype=ext4"
modules=sd-mod,usb-storage,ext4
root=/dev/sda3
EOF
    put "$r" etc/network/interfaces <<'EOF'
auto lo
iface lo inet loopback

auto eth0
iface eth0 inet dhcp
EOF
    put "$r" sbin/mkinitfs 0755 <<'EOF'
#!/usr/bin/busybox sh
# phony mkinitfs (see tests/images/phony-linux.sh): -o OUT KVER
echo "mkinitfs $*" >> /var/log/phony-tools.log
[ "$1" = -o ] || { echo "mkinitfs: phony: want -o OUT KVER" >&2; exit 1; }
out="$2"; kver="$3"
. /etc/mkinitfs/mkinitfs.conf
t=$(mktemp -d)
echo '#!/bin/sh' > "$t/init"
for f in $features; do
    [ -f "/etc/mkinitfs/features.d/$f.modules" ] || continue
    while read -r glob; do
        for m in /lib/modules/$kver/$glob; do
            [ -f "$m" ] || continue
            mkdir -p "$t${m%/*}"; cp "$m" "$t$m"
        done
    done < "/etc/mkinitfs/features.d/$f.modules"
done
(cd "$t" && find . | cpio -o -H newc 2>/dev/null | gzip) > "$out"
rm -rf "$t"
EOF
    put "$r" sbin/apk 0755 <<'EOF'
#!/usr/bin/busybox sh
# phony apk (see tests/images/phony-linux.sh)
echo "apk $*" >> /var/log/phony-tools.log
db=/lib/apk/db/installed
case "$1" in
    del) shift
         for p in "$@"; do
             case "$p" in --*) continue ;; esac
             awk -v p="P:$p" 'BEGIN { RS = ""; ORS = "\n\n" } { keep = 1; n = split($0, l, "\n"); for (i = 1; i <= n; i++) if (l[i] == p) keep = 0; if (keep) print }' "$db" > "$db.new"
             mv "$db.new" "$db"
         done ;;
    *)   echo "apk: phony apk cannot do: $*" >&2; exit 1 ;;
esac
EOF
    mkdir -p "$r/lib/apk/db"
    printf 'P:%s\nV:%s\nA:x86_64\n\n' musl 1.2.4-r2 busybox 1.36.1-r15 \
        linux-virt 6.6.14-r0 open-vm-tools 12.3.5-r1 > "$r/lib/apk/db/installed"
}

for v in rocky9 alma8 amzn2023 sles15 alpine; do
    "make_$v"
    echo "ferry phony $v" > "$work/$v/etc/machine-id"
    (cd "$work/$v" && tar --numeric-owner --owner=0 --group=0 -cf "$work/$v.tar" .)
done

# One appliance for all the disks.
for v in rocky9 alma8 amzn2023 sles15 alpine alma8fail tworoots alma8-disk2; do
    rm -f "$outdir/$v.img"
    truncate -s 1G "$outdir/$v.img"
done
export LIBGUESTFS_BACKEND="${LIBGUESTFS_BACKEND:-direct}"
if [ -z "${LIBGUESTFS_BACKEND_SETTINGS:-}" ]; then
    export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
fi
w="$work"
guestfish --rw \
    -a "$outdir/rocky9.img" -a "$outdir/alma8.img" -a "$outdir/amzn2023.img" \
    -a "$outdir/sles15.img" -a "$outdir/alpine.img" -a "$outdir/alma8fail.img" \
    -a "$outdir/tworoots.img" -a "$outdir/alma8-disk2.img" <<EOF
run
# rocky9: sda1 /boot, sda2 LVM (rl-root XFS 600M, rl-swap 32M)
part-init /dev/sda mbr
part-add /dev/sda p 2048 264191
part-add /dev/sda p 264192 -1
mkfs ext4 /dev/sda1
set-uuid /dev/sda1 $boot_rocky
pvcreate /dev/sda2
vgcreate rl /dev/sda2
lvcreate root rl 600
lvcreate swap rl 32
mkfs xfs /dev/rl/root
mkswap /dev/rl/swap
mount /dev/rl/root /
mkdir /boot
mount /dev/sda1 /boot
tar-in $w/rocky9.tar /
umount-all
# alma8: sda1 ext4 root, sda2 swap
part-init /dev/sdb mbr
part-add /dev/sdb p 2048 1957887
part-add /dev/sdb p 1957888 -1
mkfs ext4 /dev/sdb1
mkswap /dev/sdb2
mount /dev/sdb1 /
tar-in $w/alma8.tar /
umount-all
# amzn2023: GPT, sdc1 ESP, sdc2 XFS root
part-init /dev/sdc gpt
part-add /dev/sdc p 2048 206847
part-add /dev/sdc p 206848 -34
part-set-gpt-type /dev/sdc 1 C12A7328-F81F-11D2-BA4B-00A0C93EC93B
mkfs vfat /dev/sdc1 label:ESP
mkfs xfs /dev/sdc2
set-uuid /dev/sdc2 $root_amzn
mount /dev/sdc2 /
tar-in $w/amzn2023.tar /
mkdir-p /boot/efi
mount /dev/sdc1 /boot/efi
tar-in $w/amzn2023-esp.tar /boot/efi
umount-all
# sles15: sdd1 swap, sdd2 btrfs with @/home and @/var
part-init /dev/sdd mbr
part-add /dev/sdd p 2048 67583
part-add /dev/sdd p 67584 -1
mkswap /dev/sdd1
mkfs-btrfs /dev/sdd2
set-uuid /dev/sdd2 $root_sles
mount /dev/sdd2 /
mkdir /@
btrfs-subvolume-create /@/home
btrfs-subvolume-create /@/var
mkdir /home
mkdir /var
mount-options subvol=@/home /dev/sdd2 /home
mount-options subvol=@/var /dev/sdd2 /var
tar-in $w/sles15.tar /
umount-all
# alpine: sde1 /boot, sde2 swap, sde3 root
part-init /dev/sde mbr
part-add /dev/sde p 2048 133119
part-add /dev/sde p 133120 198655
part-add /dev/sde p 198656 -1
mkfs ext4 /dev/sde1
mkswap /dev/sde2
mkfs ext4 /dev/sde3
mount /dev/sde3 /
mkdir /boot
mount /dev/sde1 /boot
tar-in $w/alpine.tar /
umount-all
# alma8fail: as alma8, with a dracut that fails
part-init /dev/sdf mbr
part-add /dev/sdf p 2048 1957887
part-add /dev/sdf p 1957888 -1
mkfs ext4 /dev/sdf1
mkswap /dev/sdf2
mount /dev/sdf1 /
tar-in $w/alma8.tar /
write /etc/ferry-phony-fail "fail"
umount-all
# tworoots
part-init /dev/sdg mbr
part-add /dev/sdg p 2048 1048575
part-add /dev/sdg p 1048576 -1
mkfs ext4 /dev/sdg1
mkfs ext4 /dev/sdg2
mount /dev/sdg1 /
tar-in $w/alpine.tar /
umount-all
mount /dev/sdg2 /
tar-in $w/rocky9.tar /
umount-all
# alma8-disk2: /data of alma8
part-init /dev/sdh mbr
part-add /dev/sdh p 2048 -1
mkfs ext4 /dev/sdh1
mount /dev/sdh1 /
write /README "alma8 data disk"
umount-all
EOF
