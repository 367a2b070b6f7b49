#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A KVM whose test guest runs but whose appliance hangs (nested
# virtualisation on some clouds, and CI machines): ferry must give the
# KVM launch up after its short limit, say so once, run the appliance
# under TCG in the same run, and remember the verdict so the next run
# goes straight to TCG.
#
# The hang is simulated: LIBGUESTFS_HV points at a wrapper of the real
# qemu that runs the 512-byte probe under TCG (so the probe passes) and
# replaces any appliance launch under KVM with a process that never
# starts (named qemu-system-*, as the real one).  Everything else is
# the real qemu, the real libguestfs appliance and the real guest.
# One appliance launch under TCG plus the 30 s KVM limit: about 75 s.
set -euo pipefail
source "${abs_top_srcdir:-$(dirname "$0")/..}/tests/functions.sh"
require_cmd qemu-system-x86_64 jq
[ -e /dev/kvm ] || skip "no /dev/kvm: ferry never tries KVM here"
mk_tmpdir
export TMPDIR="$tmpdir/tmp"; mkdir "$TMPDIR"
"$FERRY_IMAGES/phony-debian.sh" ifupdown "$tmpdir/g.img"

real="$(command -v qemu-system-x86_64)"
mkdir "$tmpdir/bin"
cp "$(command -v sleep)" "$tmpdir/bin/qemu-system-hang"
cat > "$tmpdir/bin/qemu-wrapper" <<EOF
#!/bin/bash
args=("\$@") kernel= kvm= probe=
for a in "\$@"; do
    case "\$a" in
    -kernel) kernel=1 ;;
    *accel=kvm*) kvm=1 ;;
    *kvmprobe.img*) probe=1 ;;
    esac
done
if [ -n "\$probe" ]; then
    for i in "\${!args[@]}"; do [ "\${args[\$i]}" != kvm ] || args[\$i]=tcg; done
    exec "$real" "\${args[@]}"
fi
if [ -n "\$kernel" ] && [ -n "\$kvm" ]; then
    echo "\$(date +%s) kvm launch" >> "$tmpdir/kvm-launches"
    exec "$tmpdir/bin/qemu-system-hang" 3600
fi
exec "$real" "\$@"
EOF
chmod +x "$tmpdir/bin/qemu-wrapper"
export LIBGUESTFS_HV="$tmpdir/bin/qemu-wrapper"
export FERRY_KVM_MEMO="$tmpdir/kvm-memo"
unset LIBGUESTFS_BACKEND_SETTINGS FERRY_LAUNCH_TIMEOUT

# 1. No memo: the probe passes, the KVM launch hangs, TCG takes over.
t0=$(date +%s)
"$FERRY" inspect -i disk "$tmpdir/g.img" > "$tmpdir/1.json" 2> "$tmpdir/1.err" ||
    fail "first run failed: $(cat "$tmpdir/1.err")"
t1=$(date +%s)
jq -e '.guest.distro == "debian"' "$tmpdir/1.json" >/dev/null || fail "first run: no guest inspected"
[ "$(wc -l < "$tmpdir/kvm-launches")" = 1 ] || fail "first run: expected one KVM launch, got $(cat "$tmpdir/kvm-launches")"
[ "$(grep -c 'KVM' "$tmpdir/1.err")" = 1 ] || fail "first run: not one line about KVM: $(cat "$tmpdir/1.err")"
grep -q 'hung under KVM (no start within 30 s): running it under TCG' "$tmpdir/1.err" ||
    fail "first run: no message about the hang: $(cat "$tmpdir/1.err")"
! grep -q 'trying once more' "$tmpdir/1.err" || fail "first run: KVM was tried twice"
[ -s "$FERRY_KVM_MEMO" ] || fail "first run: the verdict was not remembered"
! pgrep -f "$tmpdir/bin/qemu-system-hang" >/dev/null || fail "first run: the hung qemu is still running"
echo "ok: KVM hang detected, TCG in the same run, $((t1 - t0)) s, verdict remembered"

# 2. With the memo: straight to TCG, no KVM launch, said once.  The
#    TCG launch itself is what run 1 proved; here it is cut short
#    (FERRY_LAUNCH_TIMEOUT=1 kills it once qemu has run 1 s), since
#    only the choice of accelerator is in question.
rc=0
FERRY_LAUNCH_TIMEOUT=1 "$FERRY" inspect -i disk "$tmpdir/g.img" > /dev/null 2> "$tmpdir/2.err" || rc=$?
t2=$(date +%s)
[ "$rc" = 1 ] && grep -q 'did not start within 1 s, twice' "$tmpdir/2.err" ||
    fail "second run: expected the cut-short TCG launch, got $rc: $(cat "$tmpdir/2.err")"
[ "$(wc -l < "$tmpdir/kvm-launches")" = 1 ] || fail "second run: KVM was tried again"
[ "$(grep -c 'KVM' "$tmpdir/2.err")" = 1 ] &&
    grep -q 'failed or hung under KVM on an earlier run' "$tmpdir/2.err" ||
    fail "second run: not one line saying the memo was used: $(cat "$tmpdir/2.err")"
echo "ok: the memo sends the next run straight to TCG ($((t2 - t1)) s, launch cut short)"
