#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# End to end on the second real guest, a different layout and a cloud
# target: Debian 12 with /boot on /dev/sda1 and the root and swap on LVM
# (tests/images/real-debian12-lvm.sh), exported like vSphere, converted
# for aws.  ferry must move /boot to its UUID, leave the LVM names
# alone (they are stable), give the kernel AWS's arguments, rebuild an
# initramfs that has nvme and ena (appended on the host: --initramfs
# auto) and still assembles the volume group,
# and bind the NIC's name (lan0, from a MAC-bound .link file) to the PCI
# slot Nitro puts the NIC in.  The result is booted under qemu TCG the
# way a Nitro instance presents it: the root disk on an NVMe controller,
# the NIC in PCI slot 5.  It must reach its LVM root with an IPv4 lease
# on lan0.  (qemu has no ENA: the NIC is virtio-net, whose driver loads
# from the root fs.)
set -euo pipefail
source "${abs_top_srcdir:-$(dirname "$0")/..}/tests/functions.sh"
require_cmd qemu-system-x86_64 qemu-img jq
need_real_debian12_lvm        # sets $deb12lvm_vmdk
mk_tmpdir
export TMPDIR="$tmpdir/tmp"; mkdir "$TMPDIR"
src="$deb12lvm_vmdk"
before=$(sha256_of "$src")

mkdir "$tmpdir/out"
"$FERRY" convert -q -i disk "$src" -o local -os "$tmpdir/out" -of qcow2 --target aws ||
    fail "convert failed"
[ "$(sha256_of "$src")" = "$before" ] || fail "the source VMDK was modified"
[ -z "$(ls -A "$TMPDIR")" ] || fail "temp files left: $(ls -A "$TMPDIR")"
rep="$tmpdir/out/deb12-lvm-disk1.changes.json"
out="$tmpdir/out/deb12-lvm-disk1-sda"
qemu-img check -q "$out" || fail "output qcow2 is corrupt"
diff_has /etc/fstab "-/dev/sda1       /boot           ext4    defaults        0       2"
d=$(jq -r '.changes[] | select(.file == "/etc/fstab") | .diff' "$rep")
grep -qE '^\+UUID=[0-9a-f-]{36}\s+/boot\s' <<<"$d" || fail "/boot not by UUID: $d"
grep -q '^[-+]/dev/mapper/' <<<"$d" && fail "LVM names should stay: $d"
echo "ok: /boot by UUID, LVM names kept"
jq -e '.changes[] | select(.action == "regenerated") | .reason | test("nvme ena")' "$rep" >/dev/null ||
    fail "initramfs not regenerated with nvme and ena: $(jq -c '.changes' "$rep")"
jq -e '.initramfs | length == 1 and .[0].method == "append" and .[0].tool == "ferry"' "$rep" >/dev/null ||
    fail "initramfs not appended to (--initramfs auto): $(jq -c .initramfs "$rep")"
d=$(jq -r '.changes[] | select(.file == "/boot/grub/grub.cfg") | .diff' "$rep")
grep -qE '^\+\s+linux\s+/vmlinuz-\S+ root=/dev/mapper/deb12vg-root .*console=ttyS0,115200n8 nvme_core\.io_timeout=4294967295' <<<"$d" ||
    fail "grub.cfg: $d"
# AWS gives the NIC another MAC, so the .link file picks it by the PCI
# slot Nitro puts it in.
[ "$(jq -r '.target_nics[0]' "$rep")" = lan0 ] || fail "target NIC: $(jq -c .target_nics "$rep")"
diff_has /etc/systemd/network/10-lan.link "+Path=pci-0000:00:05.0"
echo "ok: aws: nvme and ena, AWS's kernel arguments, lan0 in slot 5"

echo "booting it on NVMe, NIC in slot 5"
boot_expect aws "$out" qcow2 nvme 0x5 /dev/mapper/deb12vg-root 'lan0:10\.0\.2\.[0-9]+'
echo "PASS: LVM layout boots as on AWS"
