#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/families.sh [--logs DIR]
#
# What ferry and virt-v2v each do to the same phony guests of every
# family (tests/images/phony-linux.sh: Rocky 9 on LVM/XFS, AlmaLinux 8
# with ifcfg, Amazon Linux 2023, SLES 15 on btrfs, Alpine 3.19; and
# phony-debian.sh's Debian 12 with ifupdown), for KVM; and the real
# Debian 12 guest of the test suite (debian12-real: debootstrapped,
# exported like vSphere), when the suite has built it.
# Both run in the same session, one after the other:
#
#   ferry      ferry convert -i disk IMG -o local -os D -of qcow2
#   virt-v2v   virt-v2v -i disk IMG -o local -os D -of qcow2
#
# For each guest it prints each tool's exit status and wall time, and
# the files each changed: ferry's from its change report, virt-v2v's
# from `virt-diff --checksum` between the source and its output (so
# files virt-v2v touched without changing their content are not
# listed; on debian12-real, without --checksum, a file whose time or
# size changed is listed).  The phony guests' tools are busybox scripts (see
# phony-linux.sh), so virt-v2v's calls to rpm and dracut run too.
#
# Environment: FERRY (default ../ferry), TMPDIR (default /var/tmp),
# FERRY_TEST_CACHE (where the phony guests are cached), GUESTS (the
# rows, default "debian12 rocky9 alma8 amzn2023 sles15 alpine
# debian12-real"), BOOT=1 (boot both tools' debian12-real outputs under
# qemu TCG, virtio-blk and virtio-net, as tests/test-convert-boot.sh
# does, and add the verdict to the row: about 3 minutes each).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
FERRY="${FERRY:-$here/../ferry}"
logs=
[ "${1:-}" = --logs ] && { logs="$2"; mkdir -p "$logs"; }
for c in virt-v2v virt-diff jq "$FERRY"; do
    command -v "$c" >/dev/null || { echo "families.sh: $c is not installed" >&2; exit 1; }
done
work="$(mktemp -d "${TMPDIR:-/var/tmp}/ferry-families.XXXXXX")"
trap 'rm -rf -- "$work"' EXIT
export TMPDIR="$work"
# The peers have no TCG fallback: use TCG when a KVM appliance fails.
export LIBGUESTFS_BACKEND=direct
if ! guestfish -a /dev/null run >/dev/null 2>&1; then
    export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
fi
cache="${FERRY_TEST_CACHE:-/var/cache/ferry-tests}"
sum="$(sha256sum < "$here/../tests/images/phony-linux.sh")"
phony="$cache/phony-linux-${sum:0:12}"
if [ ! -f "$phony/.done" ]; then
    mkdir -p "$cache"
    "$here/../tests/images/phony-linux.sh" "$phony" > "$phony.log" 2>&1
    touch "$phony/.done"
fi

"$here/../tests/images/phony-debian.sh" ifupdown "$work/debian12.img"
# boots DISK: the boot verdict line of tests/functions.sh's boot_guest.
boots() {
    (
        abs_top_srcdir="$here/.." abs_top_builddir="$here/.."
        # shellcheck disable=SC1091
        source "$here/../tests/functions.sh"
        boot_guest "$1" qcow2 "$work/boot.log" 400 virtio 2>/dev/null || true
    )
}
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }'; }

printf '| guest | tool | exit | wall s | files changed |\n| --- | --- | --- | --- | --- |\n'
for v in ${GUESTS:-debian12 rocky9 alma8 amzn2023 sles15 alpine debian12-real}; do
    img="$phony/$v.img" fmt=raw
    [ "$v" != debian12 ] || img="$work/debian12.img"
    if [ "$v" = debian12-real ]; then
        img="$cache/deb12-vmw-disk1.vmdk" fmt=vmdk
        [ -f "$img" ] || { echo "| $v | (not built: run tests/test-convert-boot.sh first) | | | |"; continue; }
    fi
    # ferry
    mkdir "$work/f-$v"
    t0=$(date +%s.%N); rc=0
    "$FERRY" convert -q -i disk "$img" -o local -os "$work/f-$v" -of qcow2 \
        > "$work/f-$v.log" 2>&1 || rc=$?
    t=$(elapsed "$t0")
    if [ "$rc" = 0 ]; then
        files=$(jq -r '[.changes[] | "\(.file) (\(.action))"] + [.packages_removed[] | "removed package \(.)"] | join(", ")' \
                    "$work/f-$v"/*.changes.json)
    else
        files="$(tail -n 1 "$work/f-$v.log")"
    fi
    if [ "$rc" = 0 ] && [ "$v" = debian12-real ] && [ "${BOOT:-}" = 1 ]; then
        files="$files; boot: $(boots "$(ls "$work/f-$v"/*-sda)")"
    fi
    printf '| %s | ferry | %s | %s | %s |\n' "$v" "$rc" "$t" "$files"
    # virt-v2v
    mkdir "$work/v-$v"
    t0=$(date +%s.%N); rc=0
    timeout 900 virt-v2v -i disk "$img" -o local -os "$work/v-$v" -of qcow2 \
        > "$work/v-$v.log" 2>&1 || rc=$?
    t=$(elapsed "$t0")
    out=$(ls "$work/v-$v"/*-sda 2>/dev/null | head -n 1 || true)
    if [ "$rc" = 0 ] && [ -n "$out" ]; then
        # "- X" / "+ X" with identical X only differ in st_dev (some
        # appliance kernels): not a change.  "=" lines changed content.
        # --checksum reads every file through the appliance: minutes
        # for a phony guest, far too long for the real one, where
        # changed times and sizes are compared instead.
        ck=--checksum
        [ "$fmt" = raw ] || ck=
        files=$(timeout 1800 virt-diff $ck --format="$fmt" -a "$img" --format=qcow2 -A "$out" 2>/dev/null |
                    awk '# Only the listing lines ("SIGN TYPE MODE SIZE PATH"),
                         # not the inline diffs of changed text files.
                         /^[-+=] [-dlbcpsu?] +[0-7]+ +[0-9]+ \// {
                             p = $5
                             if ($2 == "d") next                 # directories: noise
                             t = substr($0, 3)
                             if ($1 == "=") eq[p] = 1
                             else if ($1 == "-") old[p] = t
                             else new[p] = t
                         }
                         END {
                             for (p in eq) print p " (changed)"
                             for (p in old) if (!(p in eq)) {
                                 if (!(p in new)) print p " (deleted)"
                                 else if (old[p] != new[p]) print p " (changed)"
                             }
                             for (p in new) if (!(p in old) && !(p in eq)) print p " (added)"
                         }' | sort |
                    # Package removals delete hundreds of files: list
                    # /etc and /boot (a directory with more than 3
                    # alike as one line), count the rest.
                    awk '/^\/(etc|boot)\// {
                             d = $1; sub(/\/[^\/]*$/, "", d)
                             if (d ~ /^\/etc\/rc[0-6S]\.d$/) d = "/etc/rc?.d"
                             if (d ~ /^\/etc\/vmware-tools/) d = "/etc/vmware-tools"
                             k = d SUBSEP $NF; c[k]++; l[k] = l[k] $0 "\n"; next
                         }
                         { n[$NF]++ }
                         END {
                             for (k in c) {
                                 split(k, a, SUBSEP)
                                 if (c[k] <= 3) printf "%s", l[k]
                                 else printf "%s/* (%d files %s\n", a[1], c[k], substr(a[2], 2)
                             }
                             for (x in n) printf "%d other files %s\n", n[x], x
                         }' | sort |
                    paste -sd, - | sed 's/,/, /g')
        if [ "$v" = debian12-real ] && [ "${BOOT:-}" = 1 ]; then
            files="$files; boot: $(boots "$out")"
        fi
    else
        files="$(grep -E 'virt-v2v: error' "$work/v-$v.log" | head -n 1)"
    fi
    printf '| %s | virt-v2v | %s | %s | %s |\n' "$v" "$rc" "$t" "$files"
    [ -z "$logs" ] || cp "$work/f-$v.log" "$work/v-$v.log" "$logs/"
    rm -rf "$work/f-$v" "$work/v-$v"
done
