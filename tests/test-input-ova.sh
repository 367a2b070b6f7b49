#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# -i ova: vSphere-style OVAs and unpacked OVF directories of a phony
# guest.  The disks read in place inside the tar (and inflated from
# gzip) must give the guest's exact bytes; the metadata must be read;
# the manifest must be checked; hostile exports must be refused with
# one line, exit 1 and nothing left behind.  No appliance is started.
set -euo pipefail
source "${abs_top_srcdir:-$(dirname "$0")/..}/tests/functions.sh"
require_cmd qemu-img jq tar gzip
mk_tmpdir
out="$tmpdir/out"; mkdir "$out"
export TMPDIR="$tmpdir/tmp"; mkdir "$TMPDIR"
expose="$abs_top_builddir/inputs/test-expose"
export VM_CPUS=4 VM_MEMORY_MB=3072 VM_FIRMWARE=efi
export VM_NICS="00:50:56:8a:10:01@VM_Network 00:50:56:8a:10:02@Backup_LAN"

# Two disks: the phony guest and a small data disk.
"$FERRY_IMAGES/phony-debian.sh" ifupdown "$tmpdir/g.img"
qemu-img resize -q -f raw "$tmpdir/g.img" 1G
head -c $(( 3 * 1024 * 1024 )) /dev/urandom > "$tmpdir/d.img"
truncate -s 1G "$tmpdir/d.img"
for d in g d; do
    qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$tmpdir/$d.img" "$tmpdir/$d.vmdk"
done
sum_g=$(sha256_of "$tmpdir/g.img") sum_d=$(sha256_of "$tmpdir/d.img")
"$FERRY_IMAGES/vsphere-export.sh" ova "$tmpdir/web01.ova" web01 "$tmpdir/g.vmdk" "$tmpdir/d.vmdk"
"$FERRY_IMAGES/vsphere-export.sh" ovadir "$tmpdir/web01-dir" web01 "$tmpdir/g.vmdk" "$tmpdir/d.vmdk"
ova_sum=$(sha256_of "$tmpdir/web01.ova")

check_disks() {   # WHAT ARGS...
    local what="$1" lines; shift
    lines="$("$expose" "$@")" || fail "$what: the input failed"
    [ "$(wc -l <<<"$lines")" = 2 ] || fail "$what: expected 2 disks: $lines"
    [ "$(sed -n 1p <<<"$lines")" = "vmdk streamOptimized 1073741824 $sum_g" ] ||
        fail "$what: disk 1 differs: $(sed -n 1p <<<"$lines")"
    [ "$(sed -n 2p <<<"$lines")" = "vmdk streamOptimized 1073741824 $sum_d" ] ||
        fail "$what: disk 2 differs: $(sed -n 2p <<<"$lines")"
    [ -z "$(ls -A "$TMPDIR")" ] || fail "$what: temp files left: $(ls -A "$TMPDIR")"
    echo "ok: $what: both disks read back exactly, in order"
}
check_disks "ova, in place" -i ova "$tmpdir/web01.ova"
check_disks "ova directory" -i ova "$tmpdir/web01-dir"
[ "$(sha256_of "$tmpdir/web01.ova")" = "$ova_sum" ] || fail "the OVA was modified"

# The metadata, as ferry inspect reports it.
meta="$("$FERRY" inspect --source-only -i ova "$tmpdir/web01.ova")"
jq -e '.name == "web01" and .vcpus == 4 and .memory == 3221225472 and
       .firmware == "uefi" and (.disks | length) == 2 and
       .disks[0].path == "'"$tmpdir"'/web01.ova:web01-disk1.vmdk" and
       .disks[1].allocated >= 3145728 and .disks[1].allocated < 8388608 and
       .nics == [{"mac":"00:50:56:8a:10:01","network":"VM Network","model":"vmxnet3"},
                 {"mac":"00:50:56:8a:10:02","network":"Backup LAN","model":"vmxnet3"}]' \
    <<<"$meta" >/dev/null || fail "inspect --source-only: $meta"
echo "ok: metadata: name, 4 vCPUs, 3 GiB, UEFI, 2 disks, 2 NICs with MAC and network"

# gzip-compressed disks (ovf:compression="gzip"), inflated in TMPDIR.
gz="$tmpdir/gz"; mkdir "$gz"
cp "$tmpdir/web01-dir/web01.ovf" "$gz/"
for i in 1 2; do gzip -c "$tmpdir/web01-dir/web01-disk$i.vmdk" > "$gz/web01-disk$i.vmdk"; done
sed -i -e 's|ovf:href="\(web01-disk[12].vmdk\)" ovf:id="\(file[12]\)" ovf:size="[0-9]*"|ovf:compression="gzip" ovf:href="\1" ovf:id="\2"|' "$gz/web01.ovf"
grep -q 'ovf:compression="gzip"' "$gz/web01.ovf" || fail "could not make the gzip OVF"
( cd "$gz" && for f in web01.ovf web01-disk1.vmdk web01-disk2.vmdk; do
      echo "SHA1($f)= $(sha1sum "$f" | cut -d' ' -f1)"; done > web01.mf )
tar -C "$gz" --format=ustar -cf "$tmpdir/gz.ova" web01.ovf web01.mf web01-disk1.vmdk web01-disk2.vmdk
check_disks "gzip-compressed disks (SHA1 manifest)" -i ova "$tmpdir/gz.ova"

# A pax-format tar (long names, as some exporters write).
tar -C "$tmpdir/web01-dir" --format=pax -cf "$tmpdir/pax.ova" web01.ovf web01.mf web01-disk1.vmdk web01-disk2.vmdk
check_disks "pax tar" -i ova "$tmpdir/pax.ova"

# --- Hostile or broken exports. ---
bad="$tmpdir/bad"
# 1. A disk changed after export: the manifest names it.
cp -r "$tmpdir/web01-dir" "$bad"
printf 'X' | dd of="$bad/web01-disk2.vmdk" bs=1 seek=70000 conv=notrunc status=none
expect_error "manifest mismatch" 'SHA256 of "web01-disk2.vmdk" does not match' -i ova "$bad"
lines="$("$expose" -i ova -io skip-manifest "$bad" 2>/dev/null)" || fail "skip-manifest: refused"
echo "ok: -io skip-manifest reads it anyway"
rm -rf "$bad"

# 2. A truncated OVA (a cut-off download).
head -c $(( $(stat -c %s "$tmpdir/web01.ova") - 200000 )) "$tmpdir/web01.ova" > "$tmpdir/cut.ova"
expect_error "truncated OVA" 'truncated' -i ova "$tmpdir/cut.ova"

# 3. Tar members escaping the archive.
/usr/bin/python3 - "$tmpdir" <<'EOF'
import io, sys, tarfile
d = sys.argv[1]
def mk(name, members):
    with tarfile.open(f"{d}/{name}", "w", format=tarfile.USTAR_FORMAT) as t:
        for n, data in members:
            ti = tarfile.TarInfo(n); ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
ovf = open(f"{d}/web01-dir/web01.ovf", "rb").read()
mk("dotdot.ova", [("web01.ovf", ovf), ("../../etc/passwd", b"root:x:0:0::/root:/bin/sh\n")])
mk("abs.ova", [("web01.ovf", ovf), ("/etc/passwd", b"x\n")])
EOF
expect_error "tar member ../../etc/passwd" '"\.\./\.\./etc/passwd"' -i ova "$tmpdir/dotdot.ova"
expect_error "tar member /etc/passwd" '"/etc/passwd"' -i ova "$tmpdir/abs.ova"

# 4. An OVF that references files outside the export.
mk_evil_dir() {   # NAME SED-EXPRESSION
    rm -rf "$tmpdir/$1"; cp -r "$tmpdir/web01-dir" "$tmpdir/$1"
    sed -i -e "$2" "$tmpdir/$1/web01.ovf"
    rm "$tmpdir/$1/web01.mf"
}
mk_evil_dir evil-href 's|ovf:href="web01-disk2.vmdk"|ovf:href="../../../etc/shadow"|'
expect_error "OVF href ../../../etc/shadow" 'outside the export' -i ova "$tmpdir/evil-href"

# 5. XML attacks: an entity bomb and an external DTD are refused before
#    anything is expanded or fetched.
mk_evil_dir bomb '1a<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
sed -i -e 's|<Name>web01</Name>|<Name>\&lol3;</Name>|' "$tmpdir/bomb/web01.ovf"
expect_error "OVF entity bomb" 'document type declarations are not allowed' -i ova "$tmpdir/bomb"
mk_evil_dir dtd '1a<!DOCTYPE Envelope SYSTEM "file:///etc/passwd">'
expect_error "OVF external DTD" 'document type declarations are not allowed' -i ova "$tmpdir/dtd"

# 6. Not an OVA at all, and an OVA without an OVF.
expect_error "not a tar" 'not a tar archive' -i ova "$tmpdir/g.vmdk"
tar -C "$tmpdir" --format=ustar -cf "$tmpdir/noovf.ova" d.vmdk
expect_error "no OVF" 'no \.ovf descriptor' -i ova "$tmpdir/noovf.ova"

[ "$(sha256_of "$tmpdir/web01.ova")" = "$ova_sum" ] || fail "the OVA was modified"
echo "PASS: ova input"
