#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# real-debian12-lvm.sh OUTDIR
#
# Build, once, a second real bootable Debian 12 guest with a different
# layout, from the first one (real-debian12.sh, built first if needed):
# OUTDIR/deb12-lvm-disk1.vmdk, streamOptimized like vSphere exports,
# 3 GiB:
#   p1   ext4 /boot                       (fstab: /dev/sda1)
#   p2   LVM PV of VG deb12vg:
#          root  ext4 /                   (fstab: /dev/mapper/deb12vg-root)
#          swap  128 MiB                  (fstab: /dev/mapper/deb12vg-swap)
# with lvm2 installed in the guest and grub reinstalled for this
# layout.  Everything else (VMware-only initramfs, ens192 by DHCP,
# open-vm-tools, the boot marker) is the first guest's, so its marker
# says root=/dev/mapper/deb12vg-root.  Prints the VMDK's path.
#
# The host may have no device-mapper (containers), so the disk is laid
# out inside one libguestfs appliance (guestfish).  lvm2 and the
# packages it needs that a minbase system lacks are fetched on the host
# with apt-get download (the host is Debian 12 too) and installed with
# dpkg in the guest.  Takes 2-3 minutes; rebuilt only when this script
# or the first guest changes.
set -euo pipefail
prog="${0##*/}"
die() { echo "$prog: $*" >&2; exit 1; }
[ "$#" -eq 1 ] || die "usage: $prog OUTDIR"
here="$(cd "$(dirname "$0")" && pwd)"
for cmd in guestfish qemu-img sha256sum flock apt-get; do
    command -v "$cmd" >/dev/null 2>&1 || die "$cmd is not installed"
done
mkdir -p "$1"
outdir="$(cd "$1" && pwd)"
base="$("$here/real-debian12.sh" "$outdir")" || die "the first guest could not be built"
vmdk="$outdir/deb12-lvm-disk1.vmdk"
stamp="$outdir/deb12-lvm.stamp"
log="$outdir/deb12-lvm.build.log"
key="script=$(sha256sum < "$0" | cut -c1-16) base=$(grep '^vmdk_sha256=' "$outdir/deb12-vmw.stamp" | cut -c13-28)"

exec 9>"$outdir/.lock-lvm"
flock -w 1800 9 || die "timed out waiting for $outdir/.lock-lvm"
if [ -f "$vmdk" ] && [ -f "$stamp" ] && grep -qxF "$key" "$stamp"; then
    echo "$vmdk"
    exit 0
fi
rm -f "$stamp"
work="$(mktemp -d "$outdir/.build-lvm.XXXXXX")"
trap 'rc=$?; rm -rf -- "$work"; [ $rc -eq 0 ] || { echo "$prog: failed; end of $log:" >&2; tail -n 20 "$log" | sed "s/^/  | /" >&2; }' EXIT
echo "$prog: building $vmdk (log $log)" >&2

mkdir "$work/debs"
(cd "$work/debs" && apt-get download -q lvm2 dmeventd libdevmapper-event1.02.1 \
     liblvm2cmd2.03 libaio1 libedit2) > "$log" 2>&1 ||
    die "apt-get download of lvm2 failed (see $log)"
truncate -s 3G "$work/disk.raw"
cat > "$work/fstab" <<'EOF'
# /etc/fstab: static file system information.
#
# <file system> <mount point>   <type>  <options>       <dump>  <pass>
/dev/mapper/deb12vg-root /      ext4    errors=remount-ro 0       1
/dev/sda1       /boot           ext4    defaults        0       2
/dev/mapper/deb12vg-swap none   swap    sw              0       0
EOF
export LIBGUESTFS_BACKEND="${LIBGUESTFS_BACKEND:-direct}"
[ -n "${LIBGUESTFS_BACKEND_SETTINGS:-}" ] || export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
# In the appliance the old disk is sda and the new one sdb.
guestfish -x <<EOF >> "$log" 2>&1
add $base readonly:true format:vmdk
add $work/disk.raw format:raw
run
part-init /dev/sdb mbr
part-add /dev/sdb p 2048 526335
part-add /dev/sdb p 526336 -1
part-set-bootable /dev/sdb 1 true
part-set-mbr-id /dev/sdb 2 0x8e
mkfs ext4 /dev/sdb1
pvcreate /dev/sdb2
vgcreate deb12vg /dev/sdb2
lvcreate swap deb12vg 128
lvcreate-free root deb12vg 100
mkfs ext4 /dev/deb12vg/root
mkswap /dev/deb12vg/swap
mount /dev/deb12vg/root /
mkdir /boot
mount /dev/sdb1 /boot
mkdir /old
mount-ro /dev/sda1 /old
glob cp-a /old/* /
umount /old
rmdir /old
upload $work/fstab /etc/fstab
copy-in $work/debs /var/tmp
# lvm2's trigger rebuilds the initramfs (with the lvm2 hook, the root
# being on LVM by then): the one rebuild, the slow step under TCG.
sh "DEBIAN_FRONTEND=noninteractive dpkg -i /var/tmp/debs/*.deb && rm -rf /var/tmp/debs"
sh "grub-install --target=i386-pc /dev/sdb && grub-mkconfig -o /boot/grub/grub.cfg"
sh "sed -i 's|/dev/sdb1|/dev/sda1|g' /boot/grub/grub.cfg"
fstrim /boot
fstrim /
umount-all
EOF
qemu-img convert -f raw -O vmdk -o subformat=streamOptimized,adapter_type=lsilogic \
    "$work/disk.raw" "$work/out.vmdk"
mv -f "$work/out.vmdk" "$vmdk"
echo "$key" > "$stamp"
echo "$vmdk"
