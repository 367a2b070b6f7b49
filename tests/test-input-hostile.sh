#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Hostile VM exports (tests/images/hostile.py builds them at check time):
# image references that try to make qemu read a host file (a canary
# outside the export), headers that used to crash or hang the prober,
# FIFOs and symlinks.  Through -i disk, -i vmx, -i libvirtxml and -i ova
# (as a gzip'd second disk), each must end in exit 1 within 10 s with
# one line naming the file and the reference, nothing written, no
# process left behind, and the canary's contents in no output.  Then
# the confinement itself: with ferry's own checks out of the way
# (-io allow-external-extents), qemu still cannot open the canary.
# No appliance is started.
set -euo pipefail
source "${abs_top_srcdir:-$(dirname "$0")/..}/tests/functions.sh"
require_cmd qemu-img bwrap /usr/bin/python3 jq
mk_tmpdir
out="$tmpdir/out"; mkdir "$out"
export TMPDIR="$tmpdir/tmp"; mkdir "$TMPDIR"

# The canary: a 1 MiB file outside every export, with a marker that
# must never be printed or written anywhere.
marker="FERRY-CANARY-$RANDOM$RANDOM$RANDOM"
canary="$tmpdir/canary.raw"
{ yes "$marker" || :; } | head -c 1048576 > "$canary"

# A benign disk and an OVF template with two disks (tpl-disk1, -disk2).
head -c 1048576 /dev/zero > "$tmpdir/zero.img"
printf '\x55\xaa' | dd of="$tmpdir/zero.img" bs=1 seek=510 conv=notrunc status=none
qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$tmpdir/zero.img" "$tmpdir/benign.vmdk"
"$FERRY_IMAGES/vsphere-export.sh" ovadir "$tmpdir/tpl" tpl "$tmpdir/benign.vmdk" "$tmpdir/benign.vmdk"
cases="$tmpdir/cases"
/usr/bin/python3 "$FERRY_IMAGES/hostile.py" "$cases" "$canary" "$tmpdir/tpl/tpl.ovf" "$tmpdir/benign.vmdk"

check_no_canary() {   # WHAT FILE...
    local what="$1"; shift
    ! grep -rqF -- "$marker" "$@" "$out" "$TMPDIR" 2>/dev/null ||
        fail "$what: the canary's contents appear in the output"
}

# hostile WHAT PATTERN CMD ARGS...: ferry CMD ARGS exits 1 within 10 s,
# one line matching PATTERN, nothing left behind.
n=0
hostile() {
    local what="$1" pattern="$2" cmd="$3"; shift 3
    local rc=0 t0 t1 ms
    local -a args=("$@")
    [ "$cmd" = inspect ] || args+=(-o local -os "$out")
    t0=$(date +%s%N)
    "$FERRY" "$cmd" -q "${args[@]}" > "$tmpdir/stdout" 2> "$tmpdir/stderr" || rc=$?
    t1=$(date +%s%N); ms=$(( (t1 - t0) / 1000000 ))
    [ "$rc" -eq 1 ] || fail "$what: expected exit 1, got $rc: $(head -c 2000 "$tmpdir/stderr")"
    [ "$ms" -le 10000 ] || fail "$what: took $ms ms (more than 10 s)"
    [ "$(wc -l < "$tmpdir/stderr")" -eq 1 ] || fail "$what: not one line: $(head -c 2000 "$tmpdir/stderr")"
    grep -qE -- "$pattern" "$tmpdir/stderr" || fail "$what: '$(cat "$tmpdir/stderr")' does not match '$pattern'"
    ! grep -q $'\e' "$tmpdir/stderr" || fail "$what: escape sequence in the message"
    check_no_canary "$what" "$tmpdir/stdout" "$tmpdir/stderr"
    check_clean "$what"
    ! pgrep -f "bwrap.*$tmpdir" >/dev/null || fail "$what: bwrap left running"
    n=$((n + 1))
    echo "ok: $what ($ms ms): $(cat "$tmpdir/stderr")"
}

while IFS=$'\t' read -r name disk fmt expect ova; do
    d="$cases/$name"
    hostile "$name: -i disk" "\"$d/$disk\".*$expect|$expect.*\"$d/$disk\"" \
        convert -i disk "$d/$disk"
    hostile "$name: inspect -i disk" "$disk.*$expect|$expect" inspect --source-only -i disk "$d/$disk"
    hostile "$name: -i libvirtxml" "$disk.*$expect" convert -i libvirtxml "$d/$name.xml"
    if [ "$fmt" = vmdk ]; then
        hostile "$name: -i vmx" "$disk.*$expect" convert -i vmx "$d/$name.vmx"
    fi
    if [ "$ova" = ova ]; then
        # Inside an archive a disk may refer to no file at all.
        hostile "$name: -i ova, gzip'd" "$name.ova:tpl-disk2.vmdk.*($expect|refers to|archive)" \
            convert -i ova "$cases/$name.ova"
    fi
done < "$cases/cases.tsv"

# A FIFO as the disk, and as the second disk of an OVA directory.
mkfifo "$tmpdir/pipe.vmdk"
hostile "fifo disk" '"'"$tmpdir"'/pipe.vmdk": it is a FIFO' convert -i disk "$tmpdir/pipe.vmdk"
cp -r "$tmpdir/tpl" "$tmpdir/fifo-ovf"; rm "$tmpdir/fifo-ovf/tpl-disk2.vmdk" "$tmpdir/fifo-ovf/tpl.mf"
mkfifo "$tmpdir/fifo-ovf/tpl-disk2.vmdk"
hostile "fifo in an OVF directory" 'tpl-disk2.vmdk.*not a regular file' convert -i ova "$tmpdir/fifo-ovf"

# A manifest that omits a disk is an error, not "verified".
cp -r "$tmpdir/tpl" "$tmpdir/short-mf"
sed -i '/tpl-disk2/d' "$tmpdir/short-mf/tpl.mf"
hostile "manifest without a disk" 'does not list the disk "tpl-disk2.vmdk"' convert -i ova "$tmpdir/short-mf"

# Confinement: -io allow-external-extents lets ferry's own checks pass
# the canary, and qemu, which cannot see it, is what refuses.
for name in tab-extent data-file-abs; do
    d="$cases/$name"; disk=$(awk -F'\t' -v n="$name" '$1 == n { print $2 }' "$cases/cases.tsv")
    hostile "$name: confined qemu" "qemu (cannot open|would open).*canary|canary.*(No such file|does not exist)" \
        convert -i disk "$d/$disk" -io allow-external-extents
done
# ... and without confinement qemu would have read it: the control.
qemu-img info -U --output=json "$cases/tab-extent/disk.vmdk" > "$tmpdir/control.json" ||
    fail "control: qemu-img could not open the tab-separated descriptor"
jq -e --arg c "$canary" '."format-specific".data.extents | map(.filename) | index($c) != null' \
    "$tmpdir/control.json" >/dev/null ||
    fail "control: unconfined qemu does not follow the tab-separated extent: $(cat "$tmpdir/control.json")"
echo "ok: control: unconfined qemu-img follows the tab-separated extent to the canary"

# -io unconfined is the user's explicit choice; a bad -io max-size is refused.
hostile "bad max-size" 'max-size=".*": not a size' convert -i disk "$cases/qcow2-1eib/disk.qcow2" -io max-size=lots
hostile "small max-size" 'more than the 512 KiB allowed' convert -i disk "$cases/tab-extent/decoy-flat.vmdk" -if raw -io max-size=512K
echo "ok: $n hostile cases refused"
