#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# real-debian12.sh OUTDIR
#
# Build, once, a real bootable Debian 12 guest "exported like vSphere":
# OUTDIR/deb12-vmw-disk1.vmdk, a streamOptimized VMDK of a 3 GiB disk
# (MBR, p1 = ext4 /, grub-pc in the MBR).  Print its path on stdout.
# Nothing is rebuilt while OUTDIR/deb12-vmw.stamp names the current
# recipe and the VMDK's size; bump RECIPE below whenever the recipe
# changes.  Concurrent builders serialise on OUTDIR/.lock.
#
# The guest looks like one installed on VMware:
#   - fstab, grub.cfg (root=/dev/sda1) and resume all name /dev/sda*;
#   - initramfs-tools MODULES=list with VMware/IDE/SATA drivers only, so
#     the initramfs has NO virtio drivers: booted on virtio-blk as is, it
#     stops with "Gave up waiting for root file system device" (the
#     negative control for the boot test);
#   - its NIC is named by MAC: /etc/systemd/network/10-lan.link gives
#     the NIC with MAC 00:50:56:8a:10:01 (vsphere-export.sh's default)
#     the name lan0, and /etc/network/interfaces configures lan0 by DHCP;
#   - open-vm-tools is installed;
#   - console on tty0 and ttyS0 (115200), grub on serial, timeout 1.
# ferry-boot-marker.service prints, once the system is up, one line on
# /dev/ttyS0 (see the script written below):
#   FERRY-BOOT-MARKER state=running root=/dev/vda1 nics=lan0 ipv4=lan0:10.0.2.15 failed=0
#
# Needs root (loop device, mount, chroot), debootstrap, and a Debian
# mirror: $FERRY_DEBIAN_MIRROR, else the first of this host's apt sources
# that serves bookworm (apt_mirror in tests/functions.sh); the security
# archive likewise ($FERRY_DEBIAN_SECURITY_MIRROR, else bookworm-security,
# if the host has it).
# Downloaded packages are kept in OUTDIR/.debs for rebuilds.  Verbose
# output goes to OUTDIR/deb12-vmw.build.log.  Takes 2-4 minutes.

set -euo pipefail

RECIPE=2

prog="${0##*/}"
die() { echo "$prog: $*" >&2; exit 1; }
say() { printf '%s: [%3d s] %s\n' "$prog" "$SECONDS" "$*" >&2; }

[ "$#" -eq 1 ] || die "usage: $prog OUTDIR"
[ "$(id -u)" -eq 0 ] || die "must run as root (it needs a loop device, mount and chroot)"
for cmd in debootstrap qemu-img sfdisk losetup partx mkfs.ext4 mount umount \
           chroot flock findmnt fstrim lsinitramfs sha256sum; do
    command -v "$cmd" >/dev/null 2>&1 || die "$cmd is not installed"
done

mkdir -p "$1" || die "cannot create $1"
outdir="$(cd "$1" && pwd)"
name=deb12-vmw
vmdk="$outdir/$name-disk1.vmdk"
stamp="$outdir/$name.stamp"
log="$outdir/$name.build.log"
debs="$outdir/.debs"

is_fresh() {
    [ -f "$vmdk" ] && [ -f "$stamp" ] &&
        grep -qx "recipe=$RECIPE" "$stamp" &&
        grep -qx "vmdk_size=$(stat -c %s "$vmdk")" "$stamp"
}

exec 9>"$outdir/.lock"
if ! flock -n 9; then
    say "waiting for another build ($outdir/.lock)"
    flock -w 1800 9 || die "timed out waiting for $outdir/.lock"
fi
if is_fresh; then
    echo "$vmdk"
    exit 0
fi

# ------------------------------------------------------------- settings

suite=bookworm
# The mirror: $FERRY_DEBIAN_MIRROR, else the host's own (apt_mirror).
# shellcheck source=SCRIPTDIR/../functions.sh
source "$(dirname "${BASH_SOURCE[0]}")/../functions.sh"
trap - EXIT INT TERM HUP        # those are the tests'; ours are set below
mirror="${FERRY_DEBIAN_MIRROR:-}"
[ -n "$mirror" ] || mirror="$(apt_mirror "$suite")" ||
    die "no Debian mirror to debootstrap from (set FERRY_DEBIAN_MIRROR)"
security="${FERRY_DEBIAN_SECURITY_MIRROR:-}"
[ -n "$security" ] || security="$(apt_mirror "$suite-security" 2>/dev/null)" ||
    security=
disk_size=3G
base_pkgs=systemd-sysv,udev,dbus,kmod,ifupdown,isc-dhcp-client,iproute2,netbase,initramfs-tools,zstd,busybox,e2fsprogs
late_pkgs=(linux-image-amd64 grub-pc open-vm-tools)
vmware_modules=(vmw_pvscsi mptspi mptsas ahci ata_piix sd_mod ext4 vmxnet3 e1000)

# ---------------------------------------------------------------- state

work=
mnt=
loopdev=

cleanup() {
    local rc=$?
    set +e
    if [ -n "$mnt" ] && findmnt -rn -o TARGET | grep -qF -- "$mnt"; then
        umount -R "$mnt" 2>/dev/null || umount -R -l "$mnt"
    fi
    if [ -n "$loopdev" ]; then
        partx -d "$loopdev" 2>/dev/null
        losetup -d "$loopdev"
    fi
    if [ -n "$work" ]; then
        if [ -n "$mnt" ] && findmnt -rn -o TARGET | grep -qF -- "$mnt"; then
            echo "$prog: $mnt is still mounted; leaving $work" >&2
        else
            rm -rf --one-file-system -- "$work"
        fi
    fi
    if [ "$rc" -ne 0 ]; then
        echo "$prog: build failed (status $rc); end of $log:" >&2
        tail -n 25 "$log" | sed 's/^/  | /' >&2
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# run CMD...: run a noisy command with its output in the build log.
run() {
    printf '+ %s\n' "$*" >> "$log"
    "$@" >> "$log" 2>&1 || die "failed: $* (see $log)"
}

# in_chroot CMD...: run CMD in the guest with a clean environment and
# no stdin.
in_chroot() {
    run chroot "$mnt" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
        LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true \
        "$@" < /dev/null
}

# ----------------------------------------------------------------- disk

rm -f -- "$stamp"
: > "$log"
say "building $vmdk (mirror $mirror; log $log)"
work="$(mktemp -d "$outdir/.build.XXXXXX")"
raw="$work/disk.raw"
mnt="$work/root"
mkdir "$mnt"

truncate -s "$disk_size" "$raw"
run sfdisk -q "$raw" <<< "label: dos
start=2048, type=83, bootable"
loopdev="$(losetup --find --show --partscan "$raw")" || die "losetup failed"
part="${loopdev}p1"
# The kernel may not scan the partitions of a loop device by itself.
[ -b "$part" ] || partx -a "$loopdev" 2>/dev/null || true
for _ in 1 2 3 4 5 6 7 8 9 10; do
    [ -b "$part" ] && break
    sleep 0.5
done
[ -b "$part" ] || die "$part did not appear"
run mkfs.ext4 -q "$part"
mount "$part" "$mnt"

# ----------------------------------------------------------- debootstrap

say "debootstrap $suite (minbase)"
mkdir -p "$debs"
run debootstrap --variant=minbase --include="$base_pkgs" --cache-dir="$debs" \
    "$suite" "$mnt" "$mirror"

mount -t proc proc "$mnt/proc"
mount -t sysfs sysfs "$mnt/sys"
mount --bind /dev "$mnt/dev"
mkdir -p "$mnt/var/cache/apt/archives"
mount --bind "$debs" "$mnt/var/cache/apt/archives"
mkdir -p "$mnt/var/cache/apt/archives/partial"
printf '#!/bin/sh\nexit 101\n' > "$mnt/usr/sbin/policy-rc.d"
chmod 0755 "$mnt/usr/sbin/policy-rc.d"

{
    echo "deb $mirror $suite main"
    echo "deb $mirror $suite-updates main"
    [ -z "$security" ] || echo "deb $security $suite-security main"
} > "$mnt/etc/apt/sources.list"

# ------------------------------------------------- initramfs: VMware only

sed -i 's/^MODULES=.*/MODULES=list/' "$mnt/etc/initramfs-tools/initramfs.conf"
grep -qx 'MODULES=list' "$mnt/etc/initramfs-tools/initramfs.conf" ||
    die "could not set MODULES=list in initramfs.conf"
{
    echo "# Drivers for VMware virtual hardware (PVSCSI, LSI Logic, SATA/IDE, vmxnet3, e1000)."
    printf '%s\n' "${vmware_modules[@]}"
} > "$mnt/etc/initramfs-tools/modules"
echo RESUME=none > "$mnt/etc/initramfs-tools/conf.d/resume"

# --------------------------------------------------- kernel, grub, tools

say "installing ${late_pkgs[*]}"
# Preseed: do not ask where to install GRUB (it is installed below).
printf '%s\n' "grub-pc grub-pc/install_devices multiselect " \
    "grub-pc grub-pc/install_devices_empty boolean true" > "$mnt/root/preseed"
in_chroot debconf-set-selections /root/preseed
rm -f "$mnt/root/preseed"
in_chroot apt-get -q update
in_chroot apt-get -q -y --no-install-recommends install "${late_pkgs[@]}"

kvers=("$mnt"/lib/modules/*)
if [ "${#kvers[@]}" -ne 1 ] || [ ! -d "${kvers[0]}" ]; then
    die "expected one kernel in /lib/modules"
fi
kver="${kvers[0]##*/}"
initrd="$mnt/boot/initrd.img-$kver"
[ -f "$initrd" ] || die "no initramfs for $kver"
lsinitramfs "$initrd" > "$work/initrd.list" || die "lsinitramfs failed on $initrd"
if grep -qE '/virtio_blk\.ko(\.[a-z]+)?$' "$work/initrd.list"; then
    die "the initramfs contains virtio_blk.ko; it must have no virtio drivers"
fi
grep -qE '/vmw_pvscsi\.ko(\.[a-z]+)?$' "$work/initrd.list" ||
    die "the initramfs lacks vmw_pvscsi.ko: MODULES=list was not honoured"
{
    echo "modules in initrd.img-$kver:"
    grep -oE '[^/]+\.ko(\.[a-z]+)?$' "$work/initrd.list" | sort | paste -sd' ' -
} >> "$log"

# -------------------------------------------------------- configuration

say "configuring the guest (kernel $kver)"
echo "$name" > "$mnt/etc/hostname"
cat > "$mnt/etc/hosts" <<EOF
127.0.0.1	localhost
127.0.1.1	$name.example.com	$name

# The following lines are desirable for IPv6 capable hosts
::1     localhost ip6-localhost ip6-loopback
ff02::1 ip6-allnodes
ff02::2 ip6-allrouters
EOF
cat > "$mnt/etc/fstab" <<'EOF'
# /etc/fstab: static file system information.
#
# <file system> <mount point>   <type>  <options>       <dump>  <pass>
/dev/sda1       /               ext4    errors=remount-ro 0       1
EOF
mkdir -p "$mnt/etc/network/interfaces.d"
cat > "$mnt/etc/network/interfaces" <<'EOF'
# This file describes the network interfaces available on your system
# and how to activate them. For more information, see interfaces(5).

source /etc/network/interfaces.d/*

# The loopback network interface
auto lo
iface lo inet loopback

# The primary network interface
allow-hotplug lan0
iface lan0 inet dhcp
EOF
# The NIC is named by its MAC, as admins do to keep a name across
# hardware changes (systemd.link(5)).
mkdir -p "$mnt/etc/systemd/network"
cat > "$mnt/etc/systemd/network/10-lan.link" <<'EOF'
[Match]
MACAddress=00:50:56:8a:10:01

[Link]
Name=lan0
EOF
# An exported VM has its own machine-id (and no first-boot questions).
tr -d '-' < /proc/sys/kernel/random/uuid > "$mnt/etc/machine-id"
: > "$mnt/etc/resolv.conf"

# The boot marker.  Type=simple, not oneshot: "is-system-running --wait"
# waits for every boot job to finish, which would include a oneshot's own.
cat > "$mnt/usr/local/sbin/ferry-boot-marker" <<'EOF'
#!/bin/sh
# Print one line on the serial console once the system is up, for
# ferry's boot tests.  Waits up to 60 s for an IPv4 address first.
i=0
while [ "$i" -lt 60 ] && [ -z "$(ip -4 -o addr show scope global 2>/dev/null)" ]; do
    sleep 1
    i=$((i + 1))
done
state=$(timeout 120 systemctl is-system-running --wait 2>/dev/null)
root=$(findmnt -no SOURCE /)
nics=$(ls /sys/class/net | grep -vx lo | paste -sd, -)
ipv4=$(ip -4 -o addr show scope global | awk '{ sub(/\/.*/, "", $4); print $2 ":" $4 }' | paste -sd, -)
failed=$(systemctl list-units --failed --plain --no-legend | wc -l)
line="FERRY-BOOT-MARKER state=${state:-unknown} root=$root nics=$nics ipv4=$ipv4 failed=$failed"
echo "$line"
printf '%s\n' "$line" > /dev/ttyS0
EOF
chmod 0755 "$mnt/usr/local/sbin/ferry-boot-marker"
cat > "$mnt/etc/systemd/system/ferry-boot-marker.service" <<'EOF'
[Unit]
Description=Print the ferry boot-test marker on ttyS0
Wants=network-online.target
After=network-online.target multi-user.target

[Service]
Type=simple
ExecStart=/usr/local/sbin/ferry-boot-marker

[Install]
WantedBy=multi-user.target
EOF
in_chroot systemctl enable ferry-boot-marker.service

# ------------------------------------------------------------------ grub

cat > "$mnt/etc/default/grub" <<'EOF'
# If you change this file, run 'update-grub' afterwards to update
# /boot/grub/grub.cfg.

GRUB_DEFAULT=0
GRUB_TIMEOUT=1
GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`
GRUB_CMDLINE_LINUX_DEFAULT=""
GRUB_CMDLINE_LINUX="console=tty0 console=ttyS0,115200"
GRUB_TERMINAL="serial console"
GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
GRUB_DISABLE_LINUX_UUID=true
GRUB_DISABLE_RECOVERY=true
EOF
say "grub-install and grub-mkconfig"
in_chroot grub-install --target=i386-pc --boot-directory=/boot "$loopdev"
in_chroot grub-mkconfig -o /boot/grub/grub.cfg
# grub-mkconfig saw the loop device; the guest on VMware sees sda.
sed -i "s|$part|/dev/sda1|g" "$mnt/boot/grub/grub.cfg"
if grep -q loop "$mnt/boot/grub/grub.cfg"; then
    die "grub.cfg still names a loop device"
fi
grep -qE "^[[:space:]]*linux[[:space:]]+/boot/vmlinuz-$kver root=/dev/sda1 .*console=ttyS0,115200" \
    "$mnt/boot/grub/grub.cfg" || die "unexpected linux line in grub.cfg"
grep -E '^[[:space:]]*linux[[:space:]]' "$mnt/boot/grub/grub.cfg" >> "$log"

# ---------------------------------------------------------------- finish

rm -f "$mnt/usr/sbin/policy-rc.d"
rm -rf "$mnt"/var/lib/apt/lists/*_* "$mnt"/tmp/* "$mnt"/var/tmp/*
umount -R "$mnt/var/cache/apt/archives" "$mnt/dev" "$mnt/sys" "$mnt/proc"
run fstrim "$mnt"
umount "$mnt"
partx -d "$loopdev" 2>/dev/null || true
losetup -d "$loopdev"
loopdev=

say "exporting streamOptimized VMDK"
run qemu-img convert -f raw -O vmdk \
    -o subformat=streamOptimized,adapter_type=lsilogic "$raw" "$work/$name-disk1.vmdk"
rm -f -- "$raw"
mv -f -- "$work/$name-disk1.vmdk" "$vmdk"
{
    echo "recipe=$RECIPE"
    echo "vmdk_size=$(stat -c %s "$vmdk")"
    echo "vmdk_sha256=$(sha256sum < "$vmdk" | cut -d' ' -f1)"
    echo "kernel=$kver"
    echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "build_seconds=$SECONDS"
} > "$stamp.tmp"
mv -f -- "$stamp.tmp" "$stamp"
say "done: $vmdk ($(( $(stat -c %s "$vmdk") / 1048576 )) MiB)"
echo "$vmdk"
