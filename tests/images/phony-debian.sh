#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# phony-debian.sh VARIANT OUT.img
#
# Build a "phony" Debian-family guest disk for inspection and fixup
# tests: the files a converter looks at (os-release, fstab, grub, network
# configs, dpkg database, kernel, initramfs, modules), but no programs.
# It takes well under a second and needs neither root nor the libguestfs
# appliance.  It prints nothing on success.
#
# Disk (256 MiB sparse raw, MBR):
#   p1  from 1 MiB, ext4, the guest's /           (fstab: /dev/sda1)
#   p2  the last 32 MiB, Linux swap               (fstab: /dev/sda2)
#
# VARIANT:
#   ifupdown        Debian 12, /etc/network/interfaces: allow-hotplug ens192, dhcp
#   persistent-net  Debian 10 style: net.ifnames=0, eth0 static 192.168.50.10/24,
#                   70-persistent-net.rules binding 00:50:56:9a:01:02 to eth0
#   netplan         Ubuntu 22.04, netplan ens160 static 10.1.2.3/24, matched by
#                   MAC 00:50:56:9a:03:04 with set-name
#   nm              Debian 12, NetworkManager keyfile for ens192 (MAC
#                   00:50:56:9A:05:06), dhcp
#   networkd        Debian 12, systemd-networkd 10-ens192.network, DHCP
#   nicnames        Debian 12 with nine NICs, each named or bound its own way
#                   (MACs 00:50:56:9a:30:00 to :08, in that order):
#                     0 lan0: .link by MACAddress=, ifupdown bridge member,
#                       cloud-init network config (match: macaddress, set-name)
#                     1 wan0: .link by PermanentMACAddress=, networkd .network
#                     2 data0: udev NAME= by ATTR{address}, NM keyfile with MAC
#                     3 opt0: netplan match: macaddress + set-name, a VLAN on it
#                     4 ens224: ifcfg HWADDR= and a VLAN ifcfg, networkd by MAC
#                     5 ens256: wicked ifcfg LLADDR=, bond0 on it
#                     6 eth6: 70-persistent-net.rules, ifupdown
#                     7 stor0: .link by Path=, ifupdown static
#                     8 ens33: ifupdown only (nothing ties it to a MAC)
#   nicnames1       Debian 12, one NIC named lan0 by a .link Driver=vmxnet3
#                   and a udev KERNELS== rule; networkd .network and an NM
#                   keyfile bound only by its MAC 00:50:56:9a:40:00; a
#                   cloud-init seed network-config with set-name; systemd's
#                   own 99-default.link and 80-net-setup-link.rules
#   novirtio        as ifupdown, but the initramfs has only VMware drivers
#   noos            no operating system: a few data files only
#
# Every OS variant has kernel 6.1.0-13-amd64 (also the Debian 10 and
# Ubuntu ones, so tests can share expectations).  /lib/modules has both
# virtio and VMware drivers; the initramfs (an uncompressed early cpio
# with microcode, then a gzip'd newc cpio) has the virtio ones, or only
# vmw_pvscsi, vmxnet3 and mptspi for novirtio.  /usr/bin/ls is a 64-byte
# x86-64 ELF header so that inspection finds the architecture; it
# cannot run.  open-vm-tools is deliberately not in the dpkg database:
# nothing here can run a package manager.

set -euo pipefail

prog="${0##*/}"
die() { echo "$prog: $*" >&2; exit 1; }

[ "$#" -eq 2 ] || die "usage: $prog VARIANT OUT.img (variants: ifupdown persistent-net netplan nm networkd nicnames nicnames1 novirtio noos)"
variant="$1"
out="$2"

case "$variant" in
    ifupdown|novirtio|nm|networkd|nicnames|nicnames1) os=debian12 ;;
    persistent-net)                os=debian10 ;;
    netplan)                       os=ubuntu2204 ;;
    noos)                          os=none ;;
    *) die "unknown variant '$variant' (ifupdown persistent-net netplan nm networkd nicnames nicnames1 novirtio noos)" ;;
esac

for cmd in sfdisk mke2fs mkswap cpio gzip dd truncate; do
    command -v "$cmd" >/dev/null 2>&1 || die "$cmd is not installed"
done

kver=6.1.0-13-amd64
disk_mib=256
swap_mib=32
p1_start=2048                                      # sectors: 1 MiB
p2_start=$(( (disk_mib - swap_mib) * 2048 ))
p1_size=$(( p2_start - p1_start ))
p2_size=$(( swap_mib * 2048 ))

umask 022
work="$(mktemp -d "${TMPDIR:-/tmp}/phony-debian.XXXXXX")"
trap 'rm -rf -- "$work"' EXIT
root="$work/root"
mkdir "$root"

# Forks cost milliseconds here, so the helpers use shell builtins.

# put PATH [MODE]: write stdin (text) to $root/PATH, creating directories.
put() {
    local path="$root/$1" text=""
    [ -d "${path%/*}" ] || mkdir -p "${path%/*}"
    IFS= read -r -d '' text || true
    printf '%s' "$text" > "$path"
    [ "${2:-0644}" = 0644 ] || chmod "$2" "$path"
}

# dummy PATH...: create small placeholder files.
dummy() {
    local f
    for f in "$@"; do
        [ -d "$root/${f%/*}" ] || mkdir -p "$root/${f%/*}"
        printf 'phony %s\n' "${f##*/}" > "$root/$f"
    done
}

read -r fs_uuid < /proc/sys/kernel/random/uuid

# ---------------------------------------------------------------- noos

make_noos() {
    mkdir -p "$root/data/blobs"
    put README.txt <<< 'Quarterly numbers, do not delete.'
    printf 'id,name,amount\n1,alpha,10\n2,beta,20\n' > "$root/data/report-2023.csv"
    head -c 262144 /dev/urandom > "$root/data/blobs/blob-0001.bin"
    head -c 65536 /dev/urandom > "$root/data/blobs/blob-0002.bin"
}

# ------------------------------------------------------------ skeleton

make_skeleton() {
    local m="usr/lib/modules/$kver/kernel"
    # One mkdir for the directories every OS variant has (forks are slow).
    (cd "$root" && mkdir -p usr/bin usr/sbin usr/lib usr/lib64 usr/share usr/local/bin \
         boot/grub dev etc/default etc/initramfs-tools/conf.d home media/cdrom0 mnt \
         opt proc run srv sys var/cache var/lib/dpkg/info var/log var/spool \
         root tmp var/tmp "$m/fs/ext4" \
         "$m/drivers"/{ata,block,virtio,scsi,misc/vmw_vmci,message/fusion} \
         "$m/drivers/net"/{vmxnet3,ethernet/intel/e1000} &&
         chmod 0700 root && chmod 1777 tmp var/tmp)
    ln -s usr/bin "$root/bin"
    ln -s usr/sbin "$root/sbin"
    ln -s usr/lib "$root/lib"
    ln -s usr/lib64 "$root/lib64"
    # The x86-64 ELF header (inspection reads the architecture from it).
    {
        printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\002\000\076\000\001\000\000\000'
        printf '\000%.0s' {1..40}
    } > "$root/usr/bin/ls"
    chmod 0755 "$root/usr/bin/ls"
}

# ------------------------------------------------------------ identity

make_identity() {
    case "$os" in
    debian12)
        put usr/lib/os-release <<'EOF'
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
EOF
        put etc/debian_version <<< 12.2
        ;;
    debian10)
        put usr/lib/os-release <<'EOF'
PRETTY_NAME="Debian GNU/Linux 10 (buster)"
NAME="Debian GNU/Linux"
VERSION_ID="10"
VERSION="10 (buster)"
VERSION_CODENAME=buster
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
EOF
        put etc/debian_version <<< 10.13
        ;;
    ubuntu2204)
        put usr/lib/os-release <<'EOF'
PRETTY_NAME="Ubuntu 22.04.3 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.3 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
UBUNTU_CODENAME=jammy
EOF
        put etc/lsb-release <<'EOF'
DISTRIB_ID=Ubuntu
DISTRIB_RELEASE=22.04
DISTRIB_CODENAME=jammy
DISTRIB_DESCRIPTION="Ubuntu 22.04.3 LTS"
EOF
        put etc/debian_version <<< bookworm/sid
        ;;
    esac
    ln -s ../usr/lib/os-release "$root/etc/os-release"

    if [ "$variant" = novirtio ]; then
        printf 'phony-caf\xe9\x01\n' > "$root/etc/hostname"   # Latin-1 and a control byte
    else
        put etc/hostname <<< "phony-$variant"
    fi
    put etc/hosts <<EOF
127.0.0.1	localhost
127.0.1.1	phony-$variant.example.com	phony-$variant

# The following lines are desirable for IPv6 capable hosts
::1     localhost ip6-localhost ip6-loopback
ff02::1 ip6-allnodes
ff02::2 ip6-allrouters
EOF
    put etc/fstab <<'EOF'
# /etc/fstab: static file system information.
#
# Use 'blkid' to print the universally unique identifier for a
# device; this may be used with UUID= as a more robust way to name devices
# that works even if disks are added and removed. See fstab(5).
#
# <file system> <mount point>   <type>  <options>       <dump>  <pass>
/dev/sda1       /               ext4    errors=remount-ro 0       1
/dev/sda2       none            swap    sw              0       0
/dev/sr0        /media/cdrom0   udf,iso9660 user,noauto     0       0
EOF
}

# --------------------------------------------------------- boot chain

make_kernel() {
    local m=usr/lib/modules/$kver/kernel/drivers
    put "boot/vmlinuz-$kver" <<< "phony vmlinuz: Linux version $kver (debian-kernel@lists.debian.org)"
    put "boot/config-$kver" <<'EOF'
#
# Automatically generated file; DO NOT EDIT.
# Linux/x86 6.1.55 Kernel Configuration
#
CONFIG_VIRTIO=y
CONFIG_VIRTIO_PCI=m
CONFIG_VIRTIO_BLK=m
CONFIG_VIRTIO_NET=m
CONFIG_SCSI_VIRTIO=m
CONFIG_VMWARE_PVSCSI=m
CONFIG_VMXNET3=m
CONFIG_FUSION_SPI=m
CONFIG_EXT4_FS=m
EOF
    dummy "boot/System.map-$kver"
    ln -s "boot/vmlinuz-$kver" "$root/vmlinuz"
    ln -s "boot/initrd.img-$kver" "$root/initrd.img"

    dummy "$m/block/virtio_blk.ko" "$m/net/virtio_net.ko" \
          "$m/virtio/virtio_pci.ko" "$m/scsi/virtio_scsi.ko" \
          "$m/scsi/vmw_pvscsi.ko" "$m/net/vmxnet3/vmxnet3.ko" \
          "$m/message/fusion/mptbase.ko" "$m/message/fusion/mptscsih.ko" \
          "$m/message/fusion/mptspi.ko" "$m/misc/vmw_vmci/vmw_vmci.ko" \
          "$m/ata/ata_piix.ko" "$m/ata/ahci.ko" "$m/net/ethernet/intel/e1000/e1000.ko"
    dummy "usr/lib/modules/$kver/kernel/fs/ext4/ext4.ko"
    put "usr/lib/modules/$kver/modules.dep" <<'EOF'
kernel/drivers/block/virtio_blk.ko:
kernel/drivers/net/virtio_net.ko:
kernel/drivers/virtio/virtio_pci.ko:
kernel/drivers/scsi/virtio_scsi.ko:
kernel/drivers/scsi/vmw_pvscsi.ko:
kernel/drivers/net/vmxnet3/vmxnet3.ko:
kernel/drivers/message/fusion/mptbase.ko:
kernel/drivers/message/fusion/mptscsih.ko: kernel/drivers/message/fusion/mptbase.ko
kernel/drivers/message/fusion/mptspi.ko: kernel/drivers/message/fusion/mptscsih.ko kernel/drivers/message/fusion/mptbase.ko
kernel/drivers/misc/vmw_vmci/vmw_vmci.ko:
kernel/drivers/ata/ata_piix.ko:
kernel/drivers/ata/ahci.ko:
kernel/drivers/net/ethernet/intel/e1000/e1000.ko:
kernel/fs/ext4/ext4.ko:
EOF
    (cd "$root/usr/lib/modules/$kver" && find . -name '*.ko' -printf '%P\n' |
         LC_ALL=C sort | sed "s|^|/lib/modules/$kver/|") > "$work/ko.list"
    {
        printf '/.\n/boot\n/boot/System.map-%s\n/boot/config-%s\n/boot/vmlinuz-%s\n' \
            "$kver" "$kver" "$kver"
        cat "$work/ko.list"
    } | put "var/lib/dpkg/info/linux-image-$kver.list"
}

make_initrd() {
    local early="$work/early" main="$work/initrd" m
    m="usr/lib/modules/$kver/kernel/drivers"

    local -a kos kodirs
    if [ "$variant" = novirtio ]; then
        kos=(scsi/vmw_pvscsi.ko net/vmxnet3/vmxnet3.ko message/fusion/mptspi.ko)
        kodirs=("$main/$m"/{scsi,net/vmxnet3,message/fusion})
    else
        kos=(block/virtio_blk.ko net/virtio_net.ko virtio/virtio_pci.ko scsi/virtio_scsi.ko)
        kodirs=("$main/$m"/{block,net,virtio,scsi})
    fi
    mkdir -p "$early/kernel/x86/microcode" "${kodirs[@]}" \
        "$main"/{conf/conf.d,scripts/init-top,scripts/local-top,scripts/local-premount,usr/bin,usr/sbin,usr/lib,etc,run,var}
    printf 'phony microcode\n' > "$early/kernel/x86/microcode/GenuineIntel.bin"
    ln -s usr/bin "$main/bin"
    ln -s usr/sbin "$main/sbin"
    ln -s usr/lib "$main/lib"
    printf '#!/bin/sh\n# phony /init\n' > "$main/init"
    chmod 0755 "$main/init"
    printf 'MODULES=most\nBUSYBOX=auto\nCOMPRESS=gzip\n' > "$main/conf/initramfs.conf"
    printf 'DPKG_ARCH=amd64\n' > "$main/conf/arch.conf"
    printf 'RESUME=/dev/sda2\n' > "$main/conf/conf.d/resume"
    printf '#!/bin/sh\n# phony\n' > "$main/scripts/local"
    printf '#!/bin/sh\n# phony\n' > "$main/scripts/functions"
    local ko
    for ko in "${kos[@]}"; do
        printf 'phony %s\n' "${ko##*/}" > "$main/$m/$ko"
        printf 'kernel/drivers/%s:\n' "$ko"
    done > "$work/initrd-modules.dep"
    mv "$work/initrd-modules.dep" "$main/usr/lib/modules/$kver/modules.dep"

    {
        (cd "$early" && find . -mindepth 1 | LC_ALL=C sort |
             cpio -o -H newc -R 0:0 --reproducible --quiet)
        (cd "$main" && find . -mindepth 1 | LC_ALL=C sort |
             cpio -o -H newc -R 0:0 --reproducible --quiet | gzip -n -9)
    } > "$root/boot/initrd.img-$kver"
}

make_grub() {
    local extra="" name=Debian class=debian title="Debian GNU/Linux"
    if [ "$variant" = persistent-net ]; then
        extra="net.ifnames=0 biosdevname=0 "
    fi
    if [ "$os" = ubuntu2204 ]; then
        name=Ubuntu class=ubuntu title=Ubuntu
    fi
    local cmdline="root=/dev/sda1 ro ${extra}quiet resume=/dev/sda2"
    local search="search --no-floppy --fs-uuid --set=root --hint-bios=hd0,msdos1 --hint-efi=hd0,msdos1 --hint-baremetal=ahci0,msdos1  $fs_uuid"

    put etc/default/grub <<EOF
# If you change this file, run 'update-grub' afterwards to update
# /boot/grub/grub.cfg.
# For full documentation of the options in this file, see:
#   info -f grub -n 'Simple configuration'

GRUB_DEFAULT=0
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR=\`lsb_release -i -s 2> /dev/null || echo $name\`
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
GRUB_CMDLINE_LINUX="${extra% }"

# Uncomment to disable graphical terminal (grub-pc only)
#GRUB_TERMINAL=console
EOF

    put boot/grub/grub.cfg <<EOF
#
# DO NOT EDIT THIS FILE
#
# It is automatically generated by grub-mkconfig using templates
# from /etc/grub.d and settings from /etc/default/grub
#

### BEGIN /etc/grub.d/00_header ###
if [ -s \$prefix/grubenv ]; then
  set have_grubenv=true
  load_env
fi
if [ "\${next_entry}" ] ; then
   set default="\${next_entry}"
   set next_entry=
   save_env next_entry
   set boot_once=true
else
   set default="0"
fi

function load_video {
  if [ x\$feature_all_video_module = xy ]; then
    insmod all_video
  else
    insmod efi_gop
    insmod efi_uga
    insmod ieee1275_fb
    insmod vbe
    insmod vga
    insmod video_bochs
    insmod video_cirrus
  fi
}

if [ x\$feature_default_font_path = xy ] ; then
   font=unicode
else
insmod part_msdos
insmod ext2
set root='hd0,msdos1'
if [ x\$feature_platform_search_hint = xy ]; then
  $search
else
  search --no-floppy --fs-uuid --set=root $fs_uuid
fi
    font="/usr/share/grub/unicode.pf2"
fi

if loadfont \$font ; then
  set gfxmode=auto
  load_video
  insmod gfxterm
  set locale_dir=\$prefix/locale
  set lang=en_US
  insmod gettext
fi
terminal_output gfxterm
if [ "\${recordfail}" = 1 ] ; then
  set timeout=30
else
  if [ x\$feature_timeout_style = xy ] ; then
    set timeout_style=menu
    set timeout=5
  # Fallback normal timeout code in case the timeout_style feature is
  # unavailable.
  else
    set timeout=5
  fi
fi
### END /etc/grub.d/00_header ###

### BEGIN /etc/grub.d/10_linux ###
function gfxmode {
	set gfxpayload="\${1}"
}
set linux_gfx_mode=
export linux_gfx_mode
menuentry '$title' --class $class --class gnu-linux --class gnu --class os \$menuentry_id_option 'gnulinux-simple-$fs_uuid' {
	load_video
	insmod gzio
	if [ x\$grub_platform = xxen ]; then insmod xzio; insmod lzopio; fi
	insmod part_msdos
	insmod ext2
	set root='hd0,msdos1'
	if [ x\$feature_platform_search_hint = xy ]; then
	  $search
	else
	  search --no-floppy --fs-uuid --set=root $fs_uuid
	fi
	echo	'Loading Linux $kver ...'
	linux	/boot/vmlinuz-$kver $cmdline
	echo	'Loading initial ramdisk ...'
	initrd	/boot/initrd.img-$kver
}
submenu 'Advanced options for $title' \$menuentry_id_option 'gnulinux-advanced-$fs_uuid' {
	menuentry '$title, with Linux $kver (recovery mode)' --class $class --class gnu-linux --class gnu --class os \$menuentry_id_option 'gnulinux-$kver-recovery-$fs_uuid' {
		load_video
		insmod gzio
		insmod part_msdos
		insmod ext2
		set root='hd0,msdos1'
		search --no-floppy --fs-uuid --set=root $fs_uuid
		echo	'Loading Linux $kver ...'
		linux	/boot/vmlinuz-$kver root=/dev/sda1 ro ${extra}single resume=/dev/sda2
		echo	'Loading initial ramdisk ...'
		initrd	/boot/initrd.img-$kver
	}
}
### END /etc/grub.d/10_linux ###
EOF

    put etc/initramfs-tools/conf.d/resume <<< 'RESUME=/dev/sda2'
    put etc/initramfs-tools/initramfs.conf <<'EOF'
#
# initramfs.conf
# Configuration file for mkinitramfs(8). See initramfs.conf(5).
#
MODULES=most
BUSYBOX=auto
COMPRESS=zstd
DEVICE=
NFSROOT=auto
RUNSIZE=10%
FSTYPE=auto
EOF
    put etc/initramfs-tools/modules <<'EOF'
# List of modules that you want to include in your initramfs.
# They will be loaded at boot time in the order below.
EOF
}

# ------------------------------------------------------------- network

# The top of Debian's /etc/network/interfaces.
ifaces_head='# This file describes the network interfaces available on your system
# and how to activate them. For more information, see interfaces(5).

source /etc/network/interfaces.d/*

# The loopback network interface
auto lo
iface lo inet loopback'

make_network() {
    case "$variant" in
    ifupdown|novirtio)
        mkdir -p "$root/etc/network/interfaces.d"
        # Bytes that are not UTF-8 where a guest's admin may leave them:
        # a Latin-1 comment (R\xe9seau), control characters, an escape
        # sequence and broken UTF-8 in a config file, and a file named
        # in Latin-1.  Every JSON ferry writes must stay valid UTF-8.
        put etc/network/interfaces <<EOF
$ifaces_head

# The primary network interface
$(printf '# R\xe9seau principal \x01\x1b[2J \xff\xfe \xc3\x28 \xed\xa0\x80 fin')
allow-hotplug ens192
iface ens192 inet dhcp
EOF
        printf '# r\xe9serv\xe9\n' > "$root/etc/network/interfaces.d/r$(printf '\xe9')seau"
        ;;
    persistent-net)
        mkdir -p "$root/etc/network/interfaces.d"
        put etc/network/interfaces <<EOF
$ifaces_head

# The primary network interface
auto eth0
iface eth0 inet static
	address 192.168.50.10/24
	gateway 192.168.50.1
	# dns-* options are implemented by the resolvconf package, if installed
	dns-nameservers 192.168.50.1
EOF
        put etc/udev/rules.d/70-persistent-net.rules <<'EOF'
# This file was automatically generated by the /lib/udev/write_net_rules
# program, run by the persistent-net-generator.rules rules file.
#
# You can modify it, as long as you keep each rule on a single
# line, and change only the value of the NAME= key.

# PCI device 0x15ad:0x07b0 (vmxnet3)
SUBSYSTEM=="net", ACTION=="add", DRIVERS=="?*", ATTR{address}=="00:50:56:9a:01:02", ATTR{dev_id}=="0x0", ATTR{type}=="1", KERNEL=="eth*", NAME="eth0"
EOF
        ;;
    netplan)
        put etc/netplan/00-installer-config.yaml 0600 <<'EOF'
# This is the network config written by 'subiquity'
network:
  ethernets:
    ens160:
      match:
        macaddress: 00:50:56:9a:03:04
      set-name: ens160
      addresses: [10.1.2.3/24]
      routes:
        - to: default
          via: 10.1.2.1
      nameservers:
        addresses: [10.1.2.1, 10.1.2.2]
        search: [example.com]
  version: 2
EOF
        ;;
    nm)
        mkdir -p "$root/etc/network/interfaces.d"
        put etc/network/interfaces <<< "$ifaces_head"
        put etc/NetworkManager/NetworkManager.conf <<'EOF'
[main]
plugins=ifupdown,keyfile

[ifupdown]
managed=false
EOF
        put "etc/NetworkManager/system-connections/Wired connection 1.nmconnection" 0600 <<'EOF'
[connection]
id=Wired connection 1
uuid=3f0c8d5e-7a51-4a4e-9a38-2f4b1c6d9e01
type=ethernet
autoconnect-priority=-999
interface-name=ens192
timestamp=1700000000

[ethernet]
mac-address=00:50:56:9A:05:06

[ipv4]
method=auto

[ipv6]
addr-gen-mode=stable-privacy
method=auto

[proxy]
EOF
        ;;
    networkd)
        put etc/systemd/network/10-ens192.network <<'EOF'
[Match]
Name=ens192

[Network]
DHCP=yes
EOF
        mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
        ln -s /lib/systemd/system/systemd-networkd.service \
            "$root/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"
        ;;
    nicnames) make_nicnames ;;
    nicnames1) make_nicnames1 ;;
    esac
}

# nicnames: nine NICs, each named or bound another way.
make_nicnames() {
    local mac=00:50:56:9a:30
    mkdir -p "$root/etc/network/interfaces.d"
    put etc/network/interfaces <<EOF
$ifaces_head

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
    printf 'auto eth6\niface eth6 inet dhcp\n' | put etc/network/interfaces.d/eth6
    printf 'auto ens33\niface ens33 inet dhcp\n' | put etc/network/interfaces.d/ens33
    printf '[Match]\nMACAddress=%s:00\n\n[Link]\nName=lan0\n' $mac |
        put etc/systemd/network/10-lan.link
    printf '[Match]\nPermanentMACAddress=%s:01\n\n[Link]\nName=wan0\n' $mac |
        put etc/systemd/network/11-wan.link
    printf '[Match]\nPath=pci-0000:13:00.0\n\n[Link]\nName=stor0\n' |
        put etc/systemd/network/12-stor.link
    printf '[Match]\nName=wan0\n\n[Network]\nDHCP=yes\n' |
        put etc/systemd/network/20-wan.network
    printf '[Match]\nMACAddress=%s:04\n\n[Network]\nDHCP=yes\n' $mac |
        put etc/systemd/network/30-ens224.network
    put etc/udev/rules.d/70-persistent-net.rules <<EOF
# PCI device 0x15ad:0x07b0 (vmxnet3)
SUBSYSTEM=="net", ACTION=="add", DRIVERS=="?*", ATTR{address}=="$mac:06", ATTR{dev_id}=="0x0", ATTR{type}=="1", KERNEL=="eth*", NAME="eth6"
EOF
    put etc/udev/rules.d/71-data.rules <<EOF
# The data network keeps its name.
SUBSYSTEM=="net", ACTION=="add", ATTR{address}=="$mac:02", NAME="data0"
EOF
    put etc/NetworkManager/system-connections/data0.nmconnection 0600 <<'EOF'
[connection]
id=data0
type=ethernet
interface-name=data0

[ethernet]
mac-address=00:50:56:9A:30:02

[ipv4]
address1=10.8.0.5/24
method=manual
EOF
    put etc/netplan/60-opt.yaml 0600 <<EOF
network:
  version: 2
  ethernets:
    opt:
      match:
        macaddress: "$mac:03"
      set-name: opt0
      dhcp4: true
  vlans:
    opt0.20:
      id: 20
      link: opt0
EOF
    put etc/sysconfig/network-scripts/ifcfg-ens224 <<'EOF'
DEVICE=ens224
HWADDR=00:50:56:9A:30:04
TYPE=Ethernet
BOOTPROTO=dhcp
ONBOOT=yes
EOF
    put etc/sysconfig/network-scripts/ifcfg-ens224.100 <<'EOF'
DEVICE=ens224.100
PHYSDEV=ens224
VLAN=yes
BOOTPROTO=dhcp
ONBOOT=yes
EOF
    put etc/sysconfig/network/ifcfg-ens256 <<EOF
STARTMODE='hotplug'
BOOTPROTO='none'
LLADDR='$mac:05'
EOF
    put etc/sysconfig/network/ifcfg-bond0 <<'EOF'
STARTMODE='auto'
BOOTPROTO='dhcp'
BONDING_MASTER='yes'
BONDING_SLAVE0='ens256'
EOF
    put etc/cloud/cloud.cfg.d/50-curtin-networking.cfg <<EOF
network:
  version: 2
  ethernets:
    lan0:
      match:
        macaddress: "$mac:00"
      set-name: lan0
      dhcp4: true
EOF
}

# nicnames1: one NIC, lan0 by driver and by PCI device.
make_nicnames1() {
    mkdir -p "$root/etc/network/interfaces.d"
    put etc/network/interfaces <<EOF
$ifaces_head

# The primary network interface
allow-hotplug lan0
iface lan0 inet dhcp
EOF
    printf '[Match]\nDriver=vmxnet3\n\n[Link]\nName=lan0\n' |
        put etc/systemd/network/10-lan.link
    printf '[Match]\nMACAddress=00:50:56:9a:40:00\n\n[Network]\nDHCP=yes\n' |
        put etc/systemd/network/20-lan.network
    put etc/udev/rules.d/72-lan.rules <<'EOF'
SUBSYSTEM=="net", ACTION=="add", KERNELS=="0000:0b:00.0", NAME="lan0"
EOF
    put "etc/NetworkManager/system-connections/Wired connection 1.nmconnection" 0600 <<'EOF'
[connection]
id=Wired connection 1
type=ethernet
autoconnect-priority=-999

[ethernet]
mac-address=00:50:56:9A:40:00

[ipv4]
method=auto
EOF
    put var/lib/cloud/seed/nocloud/network-config <<'EOF'
version: 2
ethernets:
  lan0:
    match:
      macaddress: '00:50:56:9a:40:00'
    set-name: lan0
    dhcp4: true
EOF
    # systemd 252's own.
    put usr/lib/systemd/network/99-default.link <<'EOF'
[Match]
OriginalName=*

[Link]
NamePolicy=keep kernel database onboard slot path
AlternativeNamesPolicy=database onboard slot path
MACAddressPolicy=persistent
EOF
    put usr/lib/udev/rules.d/80-net-setup-link.rules <<'EOF'
# do not edit this file, it will be overwritten on update

SUBSYSTEM!="net", GOTO="net_setup_link_end"

IMPORT{builtin}="path_id"

ACTION=="remove", GOTO="net_setup_link_end"

IMPORT{builtin}="net_setup_link"

NAME=="", ENV{ID_NET_NAME}!="", NAME="$env{ID_NET_NAME}"

LABEL="net_setup_link_end"
EOF
}

# ---------------------------------------------------------------- dpkg

# stanza PACKAGE VERSION SECTION PRIORITY MAINTAINER DESCRIPTION [DEPENDS]
stanza() {
    printf 'Package: %s\nStatus: install ok installed\nPriority: %s\nSection: %s\n' "$1" "$4" "$3"
    printf 'Installed-Size: %s\nMaintainer: %s\nArchitecture: amd64\nVersion: %s\n' \
        "$(( ${#1} * 97 + 120 ))" "$5" "$2"
    [ -z "${7:-}" ] || printf 'Depends: %s\n' "$7"
    printf 'Description: %s\n %s\n\n' "$6" "This package is part of a phony test guest."
}

make_dpkg() {
    local kmaint="Debian Kernel Team <debian-kernel@lists.debian.org>"
    local sdmaint="Debian systemd Maintainers <pkg-systemd-maintainers@lists.alioth.debian.org>"
    local grubmaint="GRUB Maintainers <pkg-grub-devel@alioth-lists.debian.net>"
    local irmaint="Debian kernel team <debian-kernel@lists.debian.org>"
    local basefiles initramfs grub systemd dpkgv
    case "$os" in
    debian12) basefiles=12.4+deb12u2 initramfs=0.142 grub=2.06-13 systemd=252.17-1~deb12u1 dpkgv=1.21.22 ;;
    debian10) basefiles=10.3+deb10u13 initramfs=0.133+deb10u1 grub=2.06-3~deb10u4 systemd=241-7~deb10u10 dpkgv=1.19.8 ;;
    ubuntu2204)
        basefiles=12ubuntu4.4 initramfs=0.140ubuntu13.4 grub=2.06-2ubuntu7.2 systemd=249.11-0ubuntu3.11 dpkgv=1.21.1ubuntu2.2
        kmaint="Ubuntu Kernel Team <kernel-team@lists.ubuntu.com>"
        sdmaint="Ubuntu Developers <ubuntu-devel-discuss@lists.ubuntu.com>"
        grubmaint="$sdmaint" irmaint="$sdmaint" ;;
    esac
    {
        stanza base-files "$basefiles" admin required "Santiago Vila <sanvila@debian.org>" \
            "Debian base system miscellaneous files"
        stanza dpkg "$dpkgv" admin required "Dpkg Developers <debian-dpkg@lists.debian.org>" \
            "Debian package management system"
        stanza "linux-image-$kver" 6.1.55-1 kernel optional "$kmaint" \
            "Linux $kver for 64-bit PCs (signed)" "kmod, linux-base (>= 4.3~), initramfs-tools (>= 0.120+deb8u2) | linux-initramfs-tool"
        [ "$os" = ubuntu2204 ] ||
            stanza linux-image-amd64 6.1.55-1 kernel optional "$kmaint" \
                "Linux for 64-bit PCs (meta-package)" "linux-image-$kver (= 6.1.55-1)"
        stanza initramfs-tools "$initramfs" utils optional "$irmaint" \
            "generic modular initramfs generator (automation)" "initramfs-tools-core (= $initramfs), linux-base"
        stanza grub-pc "$grub" admin optional "$grubmaint" \
            "GRand Unified Bootloader, version 2 (PC/BIOS version)" "grub-common (= $grub), grub2-common (= $grub), grub-pc-bin (= $grub), ucf"
        stanza systemd "$systemd" admin important "$sdmaint" "system and service manager"
        stanza udev "$systemd" admin important "$sdmaint" "/dev/ and hotplug management daemon"
        case "$variant" in
        ifupdown|novirtio|persistent-net)
            stanza ifupdown "$([ "$os" = debian10 ] && echo 0.8.35 || echo 0.8.41)" admin important \
                "Debian Network Team <team+debian-network@tracker.debian.org>" \
                "high level tools to configure network interfaces" "iproute2, adduser"
            stanza isc-dhcp-client "$([ "$os" = debian10 ] && echo 4.4.1-2+deb10u3 || echo 4.4.3-P1-2)" \
                net important "Debian ISC DHCP Maintainers <isc-dhcp@packages.debian.org>" \
                "DHCP client for automatically obtaining an IP address"
            ;;
        netplan)
            stanza netplan.io 0.106.1-7ubuntu0.22.04.2 net important "$sdmaint" \
                "YAML network configuration abstraction for various backends" "systemd (>= 248~), iproute2"
            ;;
        nm)
            stanza network-manager 1.42.4-1 net optional \
                "Utopia Maintenance Team <pkg-utopia-maintainers@lists.alioth.debian.org>" \
                "network management framework (daemon and userspace tools)" "dbus, udev, libnm0 (>= 1.42.4)"
            ;;
        esac
    } | put var/lib/dpkg/status
    : > "$root/var/lib/dpkg/available"
}

# -------------------------------------------------------------- build

if [ "$os" = none ]; then
    make_noos
else
    make_skeleton
    make_identity
    make_kernel
    make_initrd
    make_grub
    make_network
    make_dpkg
fi

img="$work/disk.img"
swap="$work/swap.img"
truncate -s "${disk_mib}M" "$img"
table="label: dos
unit: sectors

start=$p1_start, size=$p1_size, type=83, bootable
start=$p2_start, size=$p2_size, type=82"
sfdisk -q --no-reread --no-tell-kernel "$img" <<< "$table" >/dev/null ||
    die "sfdisk failed on $img"

mke2fs -q -F -t ext4 -b 4096 -U "$fs_uuid" -E "offset=$(( p1_start * 512 )),root_owner=0:0" \
    -d "$root" "$img" "$(( p1_size / 2 ))k" || die "mke2fs failed"

# mke2fs -d copies the owners of the files; make them root's when the
# tree was made by someone else.
if [ "$EUID" -ne 0 ]; then
    command -v debugfs >/dev/null 2>&1 || die "debugfs is not installed"
    (cd "$root" && find . -mindepth 1 -printf '%P\n') |
        while IFS= read -r f; do
            printf 'sif "/%s" uid 0\nsif "/%s" gid 0\n' "$f" "$f"
        done > "$work/owners.cmd"
    debugfs -w -f "$work/owners.cmd" "$img?offset=$(( p1_start * 512 ))" >/dev/null 2>"$work/debugfs.err" ||
        die "debugfs failed: $(cat "$work/debugfs.err")"
fi

truncate -s "${swap_mib}M" "$swap"
chmod 0600 "$swap"
mkswap "$swap" >/dev/null 2>"$work/mkswap.err" || die "mkswap failed: $(cat "$work/mkswap.err")"
dd if="$swap" of="$img" bs=1M seek=$(( p2_start / 2048 )) conv=notrunc,sparse status=none ||
    die "dd of swap failed"

mv -f -- "$img" "$out" || die "cannot write $out"
