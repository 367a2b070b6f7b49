#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# CLI: help, version, module option listing, option errors, and that
# --help and the man page document the same options.
set -euo pipefail
source "${abs_top_srcdir:-$(dirname "$0")/..}/tests/functions.sh"
mk_tmpdir

"$FERRY" --help | grep -q '^  ferry convert -i INPUT' || fail "--help has no usage line"
"$FERRY" --version | grep -qE '^ferry [0-9]+\.[0-9]+\.[0-9]+$' || fail "--version"

# -oo ? and -io ? list the keys and exit 0.
out="$("$FERRY" convert -o local -oo '?')"
grep -q 'memory=SIZE' <<<"$out" || fail "-oo ? does not list memory: $out"
grep -q 'vcpus=N' <<<"$out" || fail "-oo ? does not list vcpus: $out"
out="$("$FERRY" convert -i disk -io '?')"
grep -q 'allow-external-extents' <<<"$out" || fail "-io ? does not list allow-external-extents"

# Errors: exit 1 and one line naming the problem.
expect_error() {
    local pattern="$1"; shift
    local err rc=0
    err="$("$@" -q 2>&1 >/dev/null)" || rc=$?
    [ "$rc" -eq 1 ] || fail "expected exit 1 from '$*', got $rc ($err)"
    grep -qE -- "$pattern" <<<"$err" || fail "'$*': message '$err' does not match '$pattern'"
    [ "$(wc -l <<<"$err")" -eq 1 ] || fail "'$*': more than one line: $err"
}
img="$tmpdir/x.img"
"$FERRY_IMAGES/phony-debian.sh" noos "$img"
expect_error 'unknown option "colour" for -o local' \
    "$FERRY" convert -i disk "$img" -o local -os "$tmpdir" -oo colour=blue
expect_error 'option "memory" of -o local needs a value' \
    "$FERRY" convert -i disk "$img" -o local -os "$tmpdir" -oo memory
expect_error '-oo memory="lots": not a size' \
    "$FERRY" convert -i disk "$img" -o local -os "$tmpdir" -oo memory=lots
expect_error 'unknown option "bogus" for -i disk' \
    "$FERRY" convert -i disk "$img" -io bogus -o local -os "$tmpdir"
expect_error '-i "floppy": unknown input' \
    "$FERRY" convert -i floppy "$img" -o local -os "$tmpdir"
expect_error '-o "tape": unknown output' \
    "$FERRY" convert -i disk "$img" -o tape -os "$tmpdir"
expect_error '--target "mainframe": unknown target' \
    "$FERRY" convert -i disk "$img" -o local -os "$tmpdir" --target mainframe
expect_error 'unknown command "frobnicate"' "$FERRY" frobnicate
expect_error 'output format "vdi" is not supported' \
    "$FERRY" convert -i disk "$img" -o local -os "$tmpdir" -of vdi
expect_error '-if "floppy": unknown format' \
    "$FERRY" convert -i disk -if floppy "$img" -o local -os "$tmpdir"

# --help and the man page document the same options.
pod="$abs_top_srcdir/docs/ferry.pod"
for opt in $("$FERRY" --help | grep -oE '^  (-[a-zA-Z]+|--[a-z-]+)' | tr -d ' '); do
    grep -qE "^=item B<$opt>" "$pod" || fail "option $opt is in --help but not in docs/ferry.pod"
done
for opt in $(grep -oE '^=item B<-[-a-z]+>' "$pod" | sed 's/=item B<\(.*\)>/\1/'); do
    "$FERRY" --help | grep -qE -- "(^|[ ,])$opt( |,|$)" ||
        fail "option $opt is in docs/ferry.pod but not in --help"
done
echo "PASS: cli"
