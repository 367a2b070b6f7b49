#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# End to end on the second real guest, a different layout: Debian 12
# with /boot on /dev/sda1 and the root and swap on LVM
# (tests/images/real-debian12-lvm.sh), exported like vSphere.  ferry
# must move /boot to its UUID, leave the LVM names alone (they are
# stable), rebuild an initramfs that has virtio and still assembles the
# volume group, and the result must boot on virtio-blk to its LVM root
# with an IPv4 lease.
set -euo pipefail
source "${abs_top_srcdir:-$(dirname "$0")/..}/tests/functions.sh"
require_cmd qemu-system-x86_64 qemu-img jq
need_real_debian12_lvm        # sets $deb12lvm_vmdk
mk_tmpdir
export TMPDIR="$tmpdir/tmp"; mkdir "$TMPDIR"
src="$deb12lvm_vmdk"
before=$(sha256_of "$src")

mkdir "$tmpdir/out"
"$FERRY" convert -q -i disk "$src" -o local -os "$tmpdir/out" -of qcow2 || fail "convert failed"
[ "$(sha256_of "$src")" = "$before" ] || fail "the source VMDK was modified"
[ -z "$(ls -A "$TMPDIR")" ] || fail "temp files left: $(ls -A "$TMPDIR")"
rep="$tmpdir/out/deb12-lvm-disk1.changes.json"
out="$tmpdir/out/deb12-lvm-disk1-sda"
diff_has /etc/fstab "-/dev/sda1       /boot           ext4    defaults        0       2"
d=$(jq -r '.changes[] | select(.file == "/etc/fstab") | .diff' "$rep")
grep -qE '^\+UUID=[0-9a-f-]{36}\s+/boot\s' <<<"$d" || fail "/boot not by UUID: $d"
grep -q '^[-+]/dev/mapper/' <<<"$d" && fail "LVM names should stay: $d"
jq -e '.changes[] | select(.action == "regenerated")' "$rep" >/dev/null || fail "initramfs not regenerated"
echo "ok: /boot by UUID, LVM names kept"

# The first guest's NIC, lan0 by a .link file, keeps its name.
boot_expect lvm "$out" qcow2 virtio 3 /dev/mapper/deb12vg-root 'lan0:10\.0\.2\.[0-9]+'
echo "PASS: LVM layout boots"
