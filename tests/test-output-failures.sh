#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Failures during the conversion leave nothing behind: the output disk
# filling up during the copy, SIGINT in the middle of the copy (both
# with "ferry copy": the output's failure paths are the same as
# convert's, without an appliance), and an appliance that does not
# start in time (killed, tried once more).
set -euo pipefail
source "${abs_top_srcdir:-$(dirname "$0")/..}/tests/functions.sh"
require_root
require_cmd qemu-img qemu-nbd jq mount
mk_tmpdir
export TMPDIR="$tmpdir/tmp"; mkdir "$TMPDIR"

src="$tmpdir/guest.img"
"$FERRY_IMAGES/phony-debian.sh" ifupdown "$src"
# A second disk of incompressible data, so the copy takes a few seconds.
head -c $(( 768 * 1024 * 1024 )) /dev/urandom > "$tmpdir/data.img"

no_leftovers() {
    [ -z "$(ls -A "$1")" ] || fail "$2: files left in the output: $(ls -A "$1")"
    [ -z "$(ls -A "$TMPDIR")" ] || fail "$2: temp files left: $(ls -A "$TMPDIR")"
    ! pgrep -f "qemu-nbd.*$TMPDIR" >/dev/null || fail "$2: qemu-nbd still running"
}

# 1. Disk full: a 64 MiB filesystem for a 768 MiB disk.
small="$tmpdir/small"; mkdir "$small"
mount -t tmpfs -o size=64m ferry-test "$small"
umount_small() { umount "$small" 2>/dev/null || true; }
at_exit umount_small
for fmt in qcow2 raw; do
    rc=0
    err=$("$FERRY" copy -q -if raw -i disk "$src" "$tmpdir/data.img" \
          -o local -os "$small" -of "$fmt" 2>&1) || rc=$?
    [ "$rc" = 1 ] || fail "disk full ($fmt): expected exit 1, got $rc: $err"
    grep -q '^ferry: write "sdb": .*No space left on device' <<<"$err" ||
        fail "disk full ($fmt): unclear message: $err"
    no_leftovers "$small" "disk full ($fmt)"
    echo "ok: disk full ($fmt): $(grep '^ferry: write' <<<"$err")"
done

# 2. SIGINT once the copy has started.  The copy of these disks takes
# well under a second from the page cache, so polling a file would
# often see it only after it finished: read the events through a FIFO
# and send the signal the moment the copy stage is announced.
out="$tmpdir/out"; mkdir "$out"
mkfifo "$tmpdir/events.fifo"
"$FERRY" copy --machine-readable --workers 1 -if raw -i disk "$src" "$tmpdir/data.img" \
    -o local -os "$out" > "$tmpdir/events.fifo" 2> "$tmpdir/err" &
pid=$!
sent=
while IFS= read -r line; do
    printf '%s\n' "$line" >> "$tmpdir/events.jsonl"
    if [ -z "$sent" ] && [[ $line == *'"type":"stage","stage":"copy"'* ]]; then
        kill -INT "$pid"; sent=1
    fi
done < "$tmpdir/events.fifo"
[ -n "$sent" ] || fail "sigint: the copy never started: $(cat "$tmpdir/err")"
rc=0; wait "$pid" || rc=$?
[ "$rc" = 1 ] || fail "sigint: expected exit 1, got $rc"
grep -q 'interrupted' "$tmpdir/err" || fail "sigint: no 'interrupted' message: $(cat "$tmpdir/err")"
jq -se 'map(select(.type == "result"))[0].ok == false' "$tmpdir/events.jsonl" >/dev/null ||
    fail "sigint: machine-readable result is not a failure"
no_leftovers "$out" "sigint"
echo "ok: sigint: $(grep '^ferry:' "$tmpdir/err" | tail -1)"
# 3. An appliance that does not start within FERRY_LAUNCH_TIMEOUT (1 s:
# no launch is that fast) is killed and tried once more, then ferry
# gives up with one line; no qemu is left running.
out="$tmpdir/out3"; mkdir "$out"
rc=0
err=$(FERRY_LAUNCH_TIMEOUT=1 "$FERRY" convert -i disk "$src" -o local -os "$out" 2>&1) || rc=$?
[ "$rc" = 1 ] || fail "launch timeout: expected exit 1, got $rc: $err"
grep -q 'did not start within 1 s (it hung): trying once more' <<<"$err" ||
    fail "launch timeout: no retry: $err"
[ "$(grep '^ferry:' <<<"$err" | tail -1)" = "ferry: start the libguestfs appliance: it did not start within 1 s, twice (FERRY_LAUNCH_TIMEOUT sets the limit)" ] ||
    fail "launch timeout: unclear message: $err"
no_leftovers "$out" "launch timeout"
! pgrep -f "qemu-system.*$TMPDIR" >/dev/null || fail "launch timeout: the appliance is still running"
echo "ok: launch timeout: $(grep '^ferry:' <<<"$err" | tail -1)"
echo "PASS: output failures"
