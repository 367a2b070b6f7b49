#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# End to end on the real Debian 12 guest exported like vSphere
# (a VMX datastore directory: descriptor, flat extent and snapshot
# delta; no virtio in its initramfs, fstab by /dev/sda1, ifupdown on
# lan0, a name a .link file gives the NIC with the MAC
# 00:50:56:8a:10:01, open-vm-tools):
#   1. negative control: the original on virtio-blk cannot find its root
#      (the outcome depends only on the guest image and on boot_guest,
#      so it is kept in the test cache, keyed by both);
#   2. ferry converts it, without touching the source (this build's one
#      conversion of the real guest, which the other tests reuse:
#      tests/functions.sh converted_deb12), with the VMX's network
#      mapped to a bridge and a static address for its NIC;
#   3. the result boots on virtio-blk + virtio-net to multi-user, root on
#      /dev/vda*, no failed units, and the static address 10.0.2.50
#      (which qemu's DHCP would never hand out) on its virtio NIC, which
#      is still lan0: the .link file named a MAC the VM no longer has,
#      so it now picks the NIC by its PCI path.
set -euo pipefail
source "${abs_top_srcdir:-$(dirname "$0")/..}/tests/functions.sh"
require_cmd qemu-system-x86_64 qemu-img jq
need_real_debian12            # sets $deb12_vmdk, or skips (not root, no debootstrap)
mk_tmpdir
export TMPDIR="$tmpdir/tmp"; mkdir "$TMPDIR"
src="$deb12_vmdk"
before=$(sha256_of "$src")

echo "negative control: the unconverted guest on virtio-blk"
ctl="$(ferry_test_cache)/negative-control-$(cut -c1-16 <<<"$before")-$(sha256_of "$abs_top_srcdir/tests/functions.sh" | cut -c1-12)"
if [ -s "$ctl" ]; then
    line=$(cat "$ctl")
    echo "(from the test cache, $ctl)"
else
    rm -f "$(ferry_test_cache)"/negative-control-*
    rc=0
    line=$(boot_guest "$src" vmdk "$tmpdir/neg.log" 300 virtio) || rc=$?
    [ "$rc" = 1 ] || fail "negative control: expected a boot failure, got $rc: $line"
    echo "$line" > "$ctl"
fi
grep -q 'Gave up waiting for root' <<<"$line" || fail "negative control: $line"
echo "ok: $line"

echo "converting (or reusing this build's conversion)"
converted_deb12
[ "$(sha256_of "$src")" = "$before" ] || fail "the source VMDK was modified"
[ "$(cd "$deb12_converted_dir/db01" && sha256sum ./* | sha256sum)" = "$(cat "$deb12_converted_dir/vmx.sum")" ] ||
    fail "the VMX's files were modified"
jq -se 'map(select(.type == "result"))[0].ok' "$deb12_converted_dir/convert.jsonl" >/dev/null ||
    fail "no ok result in the machine-readable output"
jq -se 'map(select(.type == "progress"))[-1] | .bytes_done == .bytes_total and .bytes_total > 0' \
    "$deb12_converted_dir/convert.jsonl" >/dev/null || fail "progress did not reach its total"
[ -z "$(ls -A "$deb12_converted_dir/tmp")" ] || fail "temp files left: $(ls -A "$deb12_converted_dir/tmp")"
cat "$deb12_converted_dir/time"
out="$deb12_converted"
rep="$deb12_converted_rep"
qemu-img check -q "$out" || fail "output qcow2 is corrupt"
jq -e '.packages_removed | index("open-vm-tools")' "$rep" >/dev/null || fail "open-vm-tools not removed"
jq -e '.changes[] | select(.action == "regenerated")' "$rep" >/dev/null || fail "initramfs not regenerated"
# --initramfs auto appends to initramfs-tools images: no update-initramfs.
jq -e '.initramfs | length == 1 and .[0].method == "append" and .[0].tool == "ferry"' "$rep" >/dev/null ||
    fail "initramfs not appended to: $(jq -c .initramfs "$rep")"
# Only the guest's data crossed: trimmed free space was skipped.
alloc=$(du -B1 "$out" | cut -f1)
[ "$alloc" -lt $(( 1536 * 1024 * 1024 )) ] || fail "output is not sparse: $alloc bytes"
# The NIC keeps the guest's name, bound to the target's NIC.
diff_has /etc/systemd/network/10-lan.link "-MACAddress=00:50:56:8a:10:01"
diff_has /etc/systemd/network/10-lan.link "+Path=pci-0000:00:03.0"
for l in "+iface lan0 inet static" "+    address 10.0.2.50/24" "+    gateway 10.0.2.2"; do
    diff_has /etc/network/interfaces "$l"
done
[ "$(jq -r '.target_nics | join(" ")' "$rep")" = lan0 ] || fail "target NIC: $(jq -c .target_nics "$rep")"

echo "booting the converted guest on virtio-blk + virtio-net"
line=$(boot_expect virtio "$out" qcow2 virtio 3 '/dev/vda[0-9]' 'lan0:10\.0\.2\.50') || exit 1
grep -q ' nics=lan0 ' <<<"$line" || fail "the virtio NIC is not lan0: $line"
[ "$(sha256_of "$src")" = "$before" ] || fail "the source VMDK was modified"
echo "PASS: converted guest boots"
