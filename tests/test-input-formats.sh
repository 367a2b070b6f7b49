#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every supported source format is detected from its content and
# exposed over NBD with exactly the guest's bytes, and the source file
# is not modified.
set -euo pipefail
source "${abs_top_srcdir:-$(dirname "$0")/..}/tests/functions.sh"
require_cmd qemu-img qemu-nbd
mk_tmpdir
expose="$abs_top_builddir/inputs/test-expose"

raw="$tmpdir/disk.img"
"$FERRY_IMAGES/phony-debian.sh" ifupdown "$raw"
size=$(stat -c %s "$raw")
want=$(sha256_of "$raw")

check() {
    local file="$1" fmt="$2" sub="$3"
    local before out
    before=$(sha256_of "$file")
    out=$("$expose" "$file") || fail "$file: expose failed"
    read -r f s vsize hash <<<"$out"
    [ "$f" = "$fmt" ] || fail "$file: detected format $f, expected $fmt"
    [ "$s" = "$sub" ] || fail "$file: detected subformat $s, expected $sub"
    [ "$vsize" = "$size" ] || fail "$file: virtual size $vsize, expected $size"
    [ "$hash" = "$want" ] || fail "$file: content over NBD differs from the guest's"
    [ "$(sha256_of "$file")" = "$before" ] || fail "$file: the source was modified"
    echo "ok: $fmt $sub"
}

conv() { qemu-img convert -q -f raw -O "$1" ${2:+-o "$2"} "$raw" "$3"; }

check "$raw" raw -
conv qcow2 "" "$tmpdir/d.qcow2";                     check "$tmpdir/d.qcow2" qcow2 v3
conv qcow2 compat=0.10 "$tmpdir/d2.qcow2";           check "$tmpdir/d2.qcow2" qcow2 v2
conv vmdk subformat=monolithicSparse "$tmpdir/ms.vmdk";  check "$tmpdir/ms.vmdk" vmdk monolithicSparse
conv vmdk subformat=streamOptimized "$tmpdir/so.vmdk";   check "$tmpdir/so.vmdk" vmdk streamOptimized
mkdir "$tmpdir/flat"
conv vmdk subformat=monolithicFlat "$tmpdir/flat/mf.vmdk"; check "$tmpdir/flat/mf.vmdk" vmdk monolithicFlat
mkdir "$tmpdir/split"
conv vmdk subformat=twoGbMaxExtentSparse "$tmpdir/split/ts.vmdk"
check "$tmpdir/split/ts.vmdk" vmdk twoGbMaxExtentSparse
conv vpc subformat=fixed,force_size=on "$tmpdir/f.vhd";     check "$tmpdir/f.vhd" vpc fixed
conv vpc subformat=dynamic,force_size=on "$tmpdir/d.vhd";   check "$tmpdir/d.vhd" vpc dynamic
conv vhdx "" "$tmpdir/d.vhdx";                        check "$tmpdir/d.vhdx" vhdx -
conv vdi "" "$tmpdir/d.vdi";                          check "$tmpdir/d.vdi" vdi -

# A qcow2 with a backing file in the same directory, with and without a
# recorded backing format: the chain is read, and nothing is probed.
qemu-img create -q -f qcow2 -b d.qcow2 -F qcow2 "$tmpdir/top.qcow2"
check "$tmpdir/top.qcow2" qcow2 v3
qemu-img create -q -f qcow2 -b disk.img -F raw "$tmpdir/top2.qcow2"
# Blank the backing-format header extension (type 0xe2792aca), as old
# qemu-img versions wrote such files.
off=$(LC_ALL=C grep -obUaP '\xe2\x79\x2a\xca' "$tmpdir/top2.qcow2" | head -1 | cut -d: -f1)
[ -n "$off" ] || fail "no backing format extension found"
printf '\0\0\0\0' | dd of="$tmpdir/top2.qcow2" bs=1 seek="$off" conv=notrunc status=none
qemu-img info "$tmpdir/top2.qcow2" | grep -q 'backing file format' &&
    fail "could not remove the backing format"
check "$tmpdir/top2.qcow2" qcow2 v3

# -if raw reads a qcow2 file as raw bytes: the guest disk may really
# contain a qcow2 header.
out=$("$expose" "$tmpdir/d.qcow2" raw)
[ "$(cut -d' ' -f1 <<<"$out")" = raw ] || fail "-if raw not honoured"
[ "$(cut -d' ' -f3 <<<"$out")" = "$(stat -c %s "$tmpdir/d.qcow2")" ] || fail "-if raw size"
echo "PASS: input formats"
