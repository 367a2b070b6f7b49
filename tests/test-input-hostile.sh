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
    # The message names the disk, or the file of its chain that holds
    # the reference, and then the reference.
    named="\"$d/[^\"]+\".*$expect"
    hostile "$name: -i disk" "$named" convert -i disk "$d/$disk"
    hostile "$name: inspect -i disk" "$named" inspect --source-only -i disk "$d/$disk"
    hostile "$name: -i libvirtxml" "$named" convert -i libvirtxml "$d/$name.xml"
    if [ "$fmt" = vmdk ]; then
        hostile "$name: -i vmx" "$named" convert -i vmx "$d/$name.vmx"
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

# Confinement: what ferry's checks let through, qemu still cannot see.
# With -io allow-external-extents an extent may be outside the image's
# directory; qemu is then shown that directory, and nothing more.  Here
# the extent is a symlink in it to the canary elsewhere: the checks
# allow it (the user trusts external extents), the sandbox does not.
mkdir "$tmpdir/ext" "$tmpdir/trusting"
ln -s "$canary" "$tmpdir/ext/link-flat.vmdk"
printf '# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="monolithicFlat"\nRW 2048 FLAT "%s" 0\n' \
    "$tmpdir/ext/link-flat.vmdk" > "$tmpdir/trusting/disk.vmdk"
hostile "confined qemu: a symlink the checks allow" \
    "qemu cannot open it: .*link-flat.vmdk.*No such file" \
    inspect --source-only -i disk "$tmpdir/trusting/disk.vmdk" -io allow-external-extents
# ... and without confinement qemu would have read it: the controls.
qemu-img info -U --output=json "$tmpdir/trusting/disk.vmdk" > "$tmpdir/control2.json" ||
    fail "control: unconfined qemu-img did not open the symlinked extent"
jq -e '."virtual-size" == 1048576' "$tmpdir/control2.json" >/dev/null ||
    fail "control: $(cat "$tmpdir/control2.json")"
echo "ok: control: unconfined, qemu-img follows the same symlink to the canary"
qemu-img info -U --output=json "$cases/tab-extent/disk.vmdk" > "$tmpdir/control.json" ||
    fail "control: qemu-img could not open the tab-separated descriptor"
jq -e --arg c "$canary" '."format-specific".data.extents | map(.filename) | index($c) != null' \
    "$tmpdir/control.json" >/dev/null ||
    fail "control: unconfined qemu does not follow the tab-separated extent: $(cat "$tmpdir/control.json")"
echo "ok: control: unconfined qemu-img follows the tab-separated extent to the canary"

# -io unconfined is the user's explicit choice; a bad -io max-size is refused.
hostile "bad max-size" 'max-size=".*": not a size' convert -i disk "$cases/qcow2-1eib/disk.qcow2" -io max-size=lots
hostile "small max-size" 'virtual size of 1.0 MiB is more than the 512.0 KiB allowed' convert -i disk "$cases/tab-extent/decoy-flat.vmdk" -if raw -io max-size=512K

# SIGKILL: nothing keeps running, and the next run sweeps the temp dir.
qemu-img create -q -f qcow2 "$tmpdir/big.qcow2" 60T
# (With credentials in the environment, which no child may inherit.)
OS_PASSWORD=ferry-secret-$marker AWS_SECRET_ACCESS_KEY=ferry-secret-$marker \
    "$FERRY" inspect --source-only -i disk "$tmpdir/big.qcow2" > /dev/null 2>&1 &
pid=$!
for (( i = 0; i < 200; i++ )); do
    pgrep -f "qemu-nbd.*$TMPDIR" >/dev/null && break
    sleep 0.05
done
nbd=$(pgrep -f "qemu-nbd.*$TMPDIR" | head -1) || fail "sigkill: qemu-nbd never started"
! tr '\0' '\n' < "/proc/$nbd/environ" | grep -q "ferry-secret" ||
    fail "qemu-nbd inherited credentials from ferry's environment"
echo "ok: qemu-nbd runs without OS_PASSWORD and AWS_SECRET_ACCESS_KEY"
kill -KILL "$pid"; wait "$pid" 2>/dev/null || true
for (( i = 0; i < 100; i++ )); do
    pgrep -f "$TMPDIR" >/dev/null || break
    sleep 0.05
done
! pgrep -f "$TMPDIR" >/dev/null || fail "sigkill: still running: $(pgrep -af "$TMPDIR")"
[ -n "$(ls -A "$TMPDIR")" ] || fail "sigkill: no temp dir left to sweep (did ferry finish first?)"
"$FERRY" inspect --source-only -i disk "$cases/qcow2-1eib/disk.qcow2" -io max-size=2E > /dev/null 2>&1 || true
[ -z "$(ls -A "$TMPDIR")" ] || fail "sigkill: the next run did not sweep $(ls -A "$TMPDIR")"
echo "ok: SIGKILL of ferry: its qemu-nbd died with it, the next run swept its temp dir"
# The sweep goes by the lock each run holds on its temp dir, not by the
# process's name or pid: a live run under another name (a test program,
# a renamed binary) keeps its dir, and a dead run's dir goes even when
# its pid now belongs to another process.
mkdir "$TMPDIR/ferry-1.live00" "$TMPDIR/ferry-$$.dead00"
: > "$TMPDIR/ferry-1.live00/.lock"
: > "$TMPDIR/ferry-$$.dead00/.lock"
flock "$TMPDIR/ferry-1.live00/.lock" sleep 30 &
holder=$!
for (( i = 0; i < 100; i++ )); do
    ! flock -n "$TMPDIR/ferry-1.live00/.lock" true 2>/dev/null || { sleep 0.05; continue; }
    break
done
"$FERRY" inspect --source-only -i disk "$cases/qcow2-1eib/disk.qcow2" -io max-size=2E > /dev/null 2>&1 || true
[ -d "$TMPDIR/ferry-1.live00" ] || fail "sweep: a running owner's temp dir was removed"
[ ! -e "$TMPDIR/ferry-$$.dead00" ] || fail "sweep: a dead run's temp dir (its pid reused) was kept"
kill "$holder"; wait "$holder" 2>/dev/null || true
rm -rf "$TMPDIR/ferry-1.live00"
echo "ok: the sweep keeps a locked temp dir and removes an unlocked one, whatever the pid"
# No sandbox to be had (here: bubblewrap hidden by a private mount
# namespace): refused with the reason, unless -io unconfined.
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
    rc=0
    err=$(unshare -m sh -c 'mount --bind "$1" "$2" && "$3" inspect --source-only -q -i disk "$4"' \
          sh "$tmpdir/zero.img" "$(command -v bwrap)" "$FERRY" "$tmpdir/zero.img" 2>&1 >/dev/null) || rc=$?
    [ "$rc" = 1 ] && grep -q '^ferry: confine qemu: .*bwrap.*-io unconfined opens it anyway' <<<"$err" ||
        fail "no sandbox: expected a refusal naming -io unconfined, got $rc: $err"
    unshare -m sh -c 'mount --bind "$1" "$2" && "$3" inspect --source-only -q -i disk "$4" -io unconfined' \
        sh "$tmpdir/zero.img" "$(command -v bwrap)" "$FERRY" "$tmpdir/zero.img" > /dev/null ||
        fail "no sandbox: -io unconfined did not open the image"
    echo "ok: no sandbox: $err; -io unconfined opens it"
fi
echo "ok: $n hostile cases refused"
