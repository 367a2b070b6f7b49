#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/openstack.sh [--image VMDK] [--keep-state DIR]
#
# Upload benchmark: the time from a VMware-exported disk to an active
# Glance image, against real Keystone and Glance started on 127.0.0.1
# by tests/cloud/openstack-up.sh, for three flows on the same guest in
# one run:
#
#   ferry -o openstack   ferry convert -i disk IMG -o openstack -of qcow2
#                        (converted and streamed to Glance, no temp copy)
#   v2v + image create   virt-v2v -i disk IMG -o local -of qcow2, then
#                        openstack image create --file (what virt-v2v's
#                        -o glance does: a full local copy, then upload)
#   ferry local + create ferry convert -o local -of qcow2, then
#                        openstack image create --file (isolates what
#                        streaming saves)
#
# For each: wall seconds, the bytes Glance stored, and the ratio of
# ferry -o openstack's wall time to the flow's.
#
# Default image: /var/cache/ferry-tests/deb12-vmw-disk1.vmdk, built by
#   tests/images/real-debian12.sh /var/cache/ferry-tests
# Needs the packages of the -o openstack tests (quickstart.sh installs
# them) and virt-v2v.  Everything goes into a private work dir under
# $TMPDIR (default /var/tmp), removed on exit with the servers stopped;
# --keep-state DIR keeps the Keystone/Glance state in DIR instead (a
# warm start next time).
set -euo pipefail

prog="${0##*/}"
here="$(cd "$(dirname "$0")" && pwd)"
top="$(cd "$here/.." && pwd)"
die() { echo "$prog: $*" >&2; exit 1; }
say() { printf '%s: [%4d s] %s\n' "$prog" "$SECONDS" "$*" >&2; }

img=/var/cache/ferry-tests/deb12-vmw-disk1.vmdk
state=
while [ "$#" -gt 0 ]; do
    case "$1" in
        --image) [ "$#" -ge 2 ] || die "--image needs a path"; img="$2"; shift 2 ;;
        --keep-state) [ "$#" -ge 2 ] || die "--keep-state needs a directory"; state="$2"; shift 2 ;;
        -h|--help) sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        *) die "unknown argument \"$1\"" ;;
    esac
done
ferry="${FERRY:-$top/ferry}"
[ -x "$ferry" ] || die "$ferry is missing: run 'make ferry' in $top"
[ -f "$img" ] || die "$img is missing: run $top/tests/images/real-debian12.sh $(dirname "$img")"
for t in virt-v2v guestfish openstack qemu-img jq curl /usr/bin/time; do
    command -v "$t" >/dev/null 2>&1 || die "$t is not installed"
done

work="$(mktemp -d "${TMPDIR:-/var/tmp}/ferry-bench-os.XXXXXX")"
[ -n "$state" ] || state="$work/os"
cleanup() {
    "$top/tests/cloud/openstack-down.sh" "$state" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export LIBGUESTFS_CACHEDIR="${LIBGUESTFS_CACHEDIR:-${TMPDIR:-/var/tmp}}"
export LIBGUESTFS_BACKEND=direct
mkdir "$work/tmp"
export TMPDIR="$work/tmp"

if ! guestfish --ro -a /dev/null run >/dev/null 2>&1 </dev/null; then
    # KVM opens but cannot run the appliance (nested virtualisation):
    # virt-v2v has no fallback; ferry finds out by itself.
    say "the libguestfs appliance fails under KVM here: virt-v2v runs under TCG"
    peer_env=(LIBGUESTFS_BACKEND_SETTINGS=force_tcg)
else
    peer_env=()
fi
say "starting Keystone and Glance"
"$top/tests/cloud/openstack-up.sh" "$state" > "$work/up.log" 2>&1 ||
    { cat "$work/up.log" >&2; die "could not start Keystone and Glance"; }
# shellcheck disable=SC1091
source "$state/env"
token() { "$top/tests/cloud/os-token.sh" "$state"; }
# stored NAME: the size Glance stored for image NAME, if it is active.
stored() {
    curl -sf -H "X-Auth-Token: $(token)" "$GLANCE_URL/v2/images?name=$1" |
        jq -r '.images[0] | if .status == "active" then .size else "not-active" end'
}
# timed LOG CMD...: run CMD, append its wall seconds to $wall.
timed() {
    local log="$1"; shift
    /usr/bin/time -f '%e' -o "$work/time" "$@" > "$log" 2>&1 ||
        { tail -20 "$log" >&2; die "failed: $*"; }
    wall=$(awk -v a="$wall" '{ printf "%.1f", a + $1 }' "$work/time")
}
create=(openstack image create --disk-format qcow2 --container-format bare -f value -c id)

name=$(basename "$img" .vmdk)
say "ferry -o openstack"
wall=0; timed "$work/ferry-os.log" "$ferry" convert -v -i disk "$img" -o openstack -of qcow2 -oo image-name=bench-ferry
w_ferry=$wall s_ferry=$(stored bench-ferry)

say "virt-v2v -o local, then openstack image create"
mkdir "$work/v2v"
wall=0; timed "$work/v2v.log" env ${peer_env[@]+"${peer_env[@]}"} virt-v2v -i disk "$img" -o local -os "$work/v2v" -of qcow2
timed "$work/v2v-up.log" "${create[@]}" --file "$work/v2v/$name-sda" bench-v2v
w_v2v=$wall s_v2v=$(stored bench-v2v)
rm -rf "$work/v2v"

say "ferry -o local, then openstack image create"
mkdir "$work/local"
wall=0; timed "$work/local.log" "$ferry" convert -i disk "$img" -o local -os "$work/local" -of qcow2
timed "$work/local-up.log" "${create[@]}" --file "$work/local/$name-sda" bench-local
w_local=$wall s_local=$(stored bench-local)

data=$(sed -n 's/.*copy sda: [0-9]* requests, \([0-9]*\) data bytes.*/\1/p' "$work/ferry-os.log")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "ferry upload benchmark: $name ($(qemu-img info --output=json "$img" | jq '."virtual-size" / 1073741824 * 10 | floor / 10') GiB virtual)"
echo "host: $(nproc) cores; load average at end $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-24s %8s %14s %18s\n' flow "wall s" "stored bytes" "ferry-os / flow"
printf '%-24s %8s %14s %18s\n' "ferry -o openstack" "$w_ferry" "$s_ferry" 1.00
printf '%-24s %8s %14s %18s\n' "v2v + image create" "$w_v2v" "$s_v2v" "$(ratio "$w_ferry" "$w_v2v")"
printf '%-24s %8s %14s %18s\n' "ferry local + create" "$w_local" "$s_local" "$(ratio "$w_ferry" "$w_local")"
[ -z "$data" ] || echo "ferry -o openstack: $data bytes of guest data copied, $s_ferry bytes stored (qcow2 overhead $(awk -v a="$s_ferry" -v b="$data" 'BEGIN { printf "%.1f%%", (a - b) * 100 / b }'))"
