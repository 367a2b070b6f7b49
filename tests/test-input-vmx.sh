#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# -i vmx: a datastore-style directory (VMX, descriptor + flat extent, a
# snapshot delta on top) of a phony guest; and VMX/VMDK files that
# point outside their directory.  No appliance is started.
set -euo pipefail
source "${abs_top_srcdir:-$(dirname "$0")/..}/tests/functions.sh"
require_cmd qemu-img jq
mk_tmpdir
out="$tmpdir/out"; mkdir "$out"
export TMPDIR="$tmpdir/tmp"; mkdir "$TMPDIR"
expose="$abs_top_builddir/inputs/test-expose"
export VM_CPUS=3 VM_MEMORY_MB=2048 VM_FIRMWARE=bios
export VM_NICS="00:50:56:8a:20:01@VM_Network 00:50:56:8a:20:02@DMZ"

"$FERRY_IMAGES/phony-debian.sh" ifupdown "$tmpdir/g.img"
head -c $(( 2 * 1024 * 1024 )) /dev/urandom > "$tmpdir/d.img"
truncate -s 64M "$tmpdir/d.img"
for d in g d; do
    qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$tmpdir/$d.img" "$tmpdir/$d.vmdk"
done
vm="$tmpdir/db01"
"$FERRY_IMAGES/vsphere-export.sh" vmx "$vm" db01 "$tmpdir/g.vmdk" "$tmpdir/d.vmdk"
grep -q 'scsi0:0.fileName = "db01-000001.vmdk"' "$vm/db01.vmx" || fail "the VMX does not name the snapshot"
grep -q 'parentFileNameHint="db01.vmdk"' "$vm/db01-000001.vmdk" || fail "no snapshot delta"
before=$(cd "$vm" && sha256sum ./* | sha256sum)

# Through the snapshot delta, the first disk is the guest's bytes.
lines="$("$expose" -i vmx "$vm/db01.vmx")" || fail "-i vmx failed"
[ "$(wc -l <<<"$lines")" = 2 ] || fail "expected 2 disks: $lines"
[ "$(sed -n 1p <<<"$lines" | cut -d' ' -f1,3,4)" = "vmdk 268435456 $(sha256_of "$tmpdir/g.img")" ] ||
    fail "disk 1 (snapshot delta over descriptor + flat extent) differs: $lines"
[ "$(sed -n 2p <<<"$lines" | cut -d' ' -f1,3,4)" = "vmdk 67108864 $(sha256_of "$tmpdir/d.img")" ] ||
    fail "disk 2 differs: $lines"
echo "ok: two disks read through the snapshot chain and the flat extents"

meta="$("$FERRY" inspect --source-only -i vmx "$vm/db01.vmx")"
jq -e '.name == "db01" and .vcpus == 3 and .memory == 2147483648 and
       .firmware == "bios" and (.disks | length) == 2 and
       (.disks[0].path | endswith("/db01-000001.vmdk")) and
       .nics == [{"mac":"00:50:56:8a:20:01","network":"VM Network","model":"vmxnet3"},
                 {"mac":"00:50:56:8a:20:02","network":"DMZ","model":"vmxnet3"}]' \
    <<<"$meta" >/dev/null || fail "inspect --source-only: $meta"
echo "ok: metadata: name, 3 vCPUs, 2 GiB, BIOS, 2 disks, 2 NICs"

# --- Paths that lead outside the VM's directory. ---
evil="$tmpdir/evil"; mkdir "$evil"
cp "$vm/db01.vmx" "$evil/a.vmx"
cp "$tmpdir/d.vmdk" "$tmpdir/elsewhere.vmdk"
sed -i "s|scsi0:1.fileName = .*|scsi0:1.fileName = \"$tmpdir/elsewhere.vmdk\"|" "$evil/a.vmx"
cp "$vm/db01.vmdk" "$vm/db01-flat.vmdk" "$vm/db01-000001.vmdk" "$evil/"
expect_error "VMX disk by absolute path elsewhere" 'its disk ".*/elsewhere.vmdk" is outside' -i vmx "$evil/a.vmx"

sed -i 's|scsi0:1.fileName = .*|scsi0:1.fileName = "../db01/db01_1.vmdk"|' "$evil/a.vmx"
expect_error "VMX disk ../other-vm" 'is outside the VMX' -i vmx "$evil/a.vmx"

# A descriptor whose extent is /etc/shadow.
cp "$evil/a.vmx" "$evil/b.vmx"
sed -i 's|scsi0:1.present = .*|scsi0:1.present = "FALSE"|' "$evil/b.vmx"
sed -i 's|^RW \([0-9]*\) FLAT ".*"|RW \1 FLAT "/etc/shadow"|' "$evil/db01.vmdk"
grep -q '"/etc/shadow"' "$evil/db01.vmdk" || fail "could not make the evil descriptor"
expect_error "VMDK extent /etc/shadow" 'refers to "/etc/shadow", outside' -i vmx "$evil/b.vmx"

printf 'displayName = "x"\nscsi0:0.present = "TRUE\n' > "$evil/c.vmx"
expect_error "malformed VMX" 'parse VMX' -i vmx "$evil/c.vmx"

[ "$(cd "$vm" && sha256sum ./* | sha256sum)" = "$before" ] || fail "the VM's files were modified"
echo "PASS: vmx input"
