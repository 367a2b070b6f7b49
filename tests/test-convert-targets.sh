#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The real Debian 12 guest (exported like vSphere) for azure: the
# initramfs on the output disk, read back with debugfs and listed with
# lsinitramfs, holds the Hyper-V drivers, and the kernel arguments
# are Azure's.  (qemu has no VMBus, so it cannot be booted here.  The
# aws target is converted and booted on NVMe by test-convert-layout.sh,
# on the LVM guest.)
set -euo pipefail
source "${abs_top_srcdir:-$(dirname "$0")/..}/tests/functions.sh"
require_cmd qemu-img jq lsinitramfs debugfs
need_real_debian12            # sets $deb12_vmdk, or skips
mk_tmpdir
export TMPDIR="$tmpdir/tmp"; mkdir "$TMPDIR"
src="$deb12_vmdk"
before=$(sha256_of "$src")
name=deb12-vmw-disk1

echo "converting for azure"
mkdir "$tmpdir/azure"
"$FERRY" convert -q -i disk "$src" -o local -os "$tmpdir/azure" -of raw --target azure ||
    fail "azure: convert failed"
rep="$tmpdir/azure/$name.changes.json"
out="$tmpdir/azure/$name-sda"
initrd=$(jq -r '.changes[] | select(.action == "regenerated") | .file' "$rep")
[ -n "$initrd" ] || fail "azure: initramfs not regenerated"
d=$(jq -r '.changes[] | select(.file == "/etc/default/grub") | .diff' "$rep")
grep -qE '^\+GRUB_CMDLINE_LINUX=".*rootdelay=300 console=ttyS0,115200n8 earlyprintk=ttyS0"' <<<"$d" ||
    fail "azure: /etc/default/grub: $d"
# Off PCI (hv_netvsc), lan0 is picked by the kernel's name.
[ "$(jq -r '.target_nics[0]' "$rep")" = lan0 ] || fail "azure: target NIC"
diff_has /etc/systemd/network/10-lan.link "+OriginalName=eth0"
# Read from the output's root filesystem (ext4 at 1 MiB) with debugfs:
# no mount, no appliance.
debugfs -R "dump $initrd $tmpdir/azure/${initrd##*/}" "$out?offset=1048576" 2>/dev/null &&
    [ -s "$tmpdir/azure/${initrd##*/}" ] || fail "azure: cannot read $initrd from the output"
lsinitramfs "$tmpdir/azure/${initrd##*/}" > "$tmpdir/azure/list"
for m in hv_vmbus hv_storvsc hv_netvsc hv_utils; do
    grep -qE "/$m\.ko(\.[a-z]+)?$" "$tmpdir/azure/list" ||
        fail "azure: $m is not in $initrd on the output disk"
done
echo "ok: azure: $(grep -cE '/hv_[a-z_]+\.ko' "$tmpdir/azure/list") Hyper-V modules in ${initrd##*/}"
[ "$(sha256_of "$src")" = "$before" ] || fail "the source VMDK was modified"
[ -z "$(ls -A "$TMPDIR")" ] || fail "temp files left: $(ls -A "$TMPDIR")"
echo "PASS: azure"
