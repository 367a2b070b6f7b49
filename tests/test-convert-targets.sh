#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The real Debian 12 guest (exported like vSphere) for the cloud
# targets:
#   aws    converted, then booted under qemu TCG the way a Nitro
#          instance presents it: the root disk on an NVMe controller and
#          the NIC in PCI slot 5 (ens5).  It must come up with its root
#          on /dev/nvme0n1p1 and an IPv4 lease.  (qemu has no ENA: the
#          NIC is virtio-net, whose driver loads from the root fs.)
#   azure  converted; the initramfs on the output disk, read back with
#          libguestfs and listed with lsinitramfs, holds the Hyper-V
#          drivers, and the kernel arguments are Azure's.  (qemu has no
#          VMBus, so it cannot be booted here.)
set -euo pipefail
source "${abs_top_srcdir:-$(dirname "$0")/..}/tests/functions.sh"
require_cmd qemu-system-x86_64 qemu-img jq lsinitramfs
need_real_debian12            # sets $deb12_vmdk, or skips
mk_tmpdir
export TMPDIR="$tmpdir/tmp"; mkdir "$TMPDIR"
src="$deb12_vmdk"
before=$(sha256_of "$src")
name=deb12-vmw-disk1

echo "converting for aws"
mkdir "$tmpdir/aws"
"$FERRY" convert -q -i disk "$src" -o local -os "$tmpdir/aws" -of qcow2 --target aws ||
    fail "aws: convert failed"
rep="$tmpdir/aws/$name.changes.json"
out="$tmpdir/aws/$name-sda"
jq -e '.changes[] | select(.action == "regenerated") | .reason | test("nvme ena")' "$rep" >/dev/null ||
    fail "aws: initramfs not regenerated with nvme and ena: $(jq -c '.changes' "$rep")"
d=$(jq -r '.changes[] | select(.file == "/boot/grub/grub.cfg") | .diff' "$rep")
grep -qE '^\+\s+linux\s+/boot/vmlinuz-\S+ root=UUID=[0-9a-f-]{36} .*console=ttyS0,115200n8 nvme_core\.io_timeout=4294967295' <<<"$d" ||
    fail "aws: grub.cfg: $d"
# The guest names its NIC lan0 by MAC; AWS gives it another MAC, so the
# .link file picks it by the PCI slot Nitro puts it in.
[ "$(jq -r '.target_nics[0]' "$rep")" = lan0 ] || fail "aws: target NIC"
diff_has /etc/systemd/network/10-lan.link "+Path=pci-0000:00:05.0"
qemu-img check -q "$out" || fail "aws: output qcow2 is corrupt"

echo "booting it on NVMe, NIC in slot 5"
boot_expect aws "$out" qcow2 nvme 0x5 /dev/nvme0n1p1 'lan0:10\.0\.2\.[0-9]+'
rm -rf "$tmpdir/aws"
echo "ok: aws"

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
peer_guestfs virt-copy-out -a "$out" "$initrd" "$tmpdir/azure" ||
    fail "azure: cannot read $initrd from the output"
lsinitramfs "$tmpdir/azure/${initrd##*/}" > "$tmpdir/azure/list"
for m in hv_vmbus hv_storvsc hv_netvsc hv_utils; do
    grep -qE "/$m\.ko(\.[a-z]+)?$" "$tmpdir/azure/list" ||
        fail "azure: $m is not in $initrd on the output disk"
done
echo "ok: azure: $(grep -cE '/hv_[a-z_]+\.ko' "$tmpdir/azure/list") Hyper-V modules in ${initrd##*/}"
[ "$(sha256_of "$src")" = "$before" ] || fail "the source VMDK was modified"
[ -z "$(ls -A "$TMPDIR")" ] || fail "temp files left: $(ls -A "$TMPDIR")"
echo "PASS: targets"
