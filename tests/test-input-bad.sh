#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Bad input: one clear line, exit 1, nothing left behind (no output
# files, no temp dir, no qemu-nbd).  None of these needs the appliance.
set -euo pipefail
source "${abs_top_srcdir:-$(dirname "$0")/..}/tests/functions.sh"
require_cmd qemu-img
mk_tmpdir
out="$tmpdir/out"; mkdir "$out"
export TMPDIR="$tmpdir/tmp"; mkdir "$TMPDIR"

"$FERRY_IMAGES/phony-debian.sh" ifupdown "$tmpdir/good.img"

expect_error "missing file" 'open ".*/nope.vmdk": No such file or directory' \
    -i disk "$tmpdir/nope.vmdk"
: > "$tmpdir/empty.img"
expect_error "zero-length file" 'file is empty' -i disk "$tmpdir/empty.img"
head -c 1048576 /dev/urandom > "$tmpdir/garbage.img"
expect_error "garbage file" 'not a disk image' -i disk "$tmpdir/garbage.img"
expect_error "directory" 'is a directory' -i disk "$tmpdir"
gzip -c "$tmpdir/good.img" > "$tmpdir/good.img.gz"
expect_error "compressed file" 'gzip-compressed file, not a disk image' -i disk "$tmpdir/good.img.gz"

# Truncated images, made by qemu-img and then cut.
qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$tmpdir/good.img" "$tmpdir/s.vmdk"
head -c $(( $(stat -c %s "$tmpdir/s.vmdk") / 2 )) "$tmpdir/s.vmdk" > "$tmpdir/cut.vmdk"
expect_error "truncated streamOptimized vmdk" 'truncated' -i disk "$tmpdir/cut.vmdk"
qemu-img convert -f raw -O qcow2 "$tmpdir/good.img" "$tmpdir/q.qcow2"
head -c 65536 "$tmpdir/q.qcow2" > "$tmpdir/cut.qcow2"
expect_error "truncated qcow2" 'qcow2 file is truncated' -i disk "$tmpdir/cut.qcow2"
qemu-img convert -f raw -O vmdk -o subformat=monolithicSparse "$tmpdir/good.img" "$tmpdir/m.vmdk"
head -c 65536 "$tmpdir/m.vmdk" > "$tmpdir/cut2.vmdk"
expect_error "truncated monolithicSparse vmdk" 'truncated' -i disk "$tmpdir/cut2.vmdk"

# References outside the image's directory.
mkdir "$tmpdir/a" "$tmpdir/b"
qemu-img create -q -f qcow2 -b "$tmpdir/b/../q.qcow2" -F qcow2 "$tmpdir/a/overlay.qcow2"
expect_error "backing file outside the directory" 'outside the image.s directory' \
    -i disk "$tmpdir/a/overlay.qcow2"
printf '# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="monolithicFlat"\nRW 2048 FLAT "/etc/shadow" 0\n' > "$tmpdir/a/shadow.vmdk"
expect_error "extent naming /etc/shadow" 'refers to "/etc/shadow", outside' \
    -i disk "$tmpdir/a/shadow.vmdk"

# Output problems found before any slow work.
expect_error "output dir missing" 'output directory ".*/missing": No such file' \
    -i disk "$tmpdir/good.img" -o local -os "$tmpdir/missing"
expect_error "output dir not writable" 'is not writable' \
    -i disk "$tmpdir/good.img" -o local -os /proc/self
touch "$out/good-sda"
err="$("$FERRY" convert -q -i disk "$tmpdir/good.img" -o local -os "$out" 2>&1)" && fail "overwrote an existing output"
grep -q 'already exists' <<<"$err" || fail "existing output: $err"
[ ! -s "$out/good-sda" ] || fail "existing output was modified"
rm "$out/good-sda"
check_clean "existing output"
echo "PASS: bad input"
