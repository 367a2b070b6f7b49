#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/azure.sh [--image VMDK]
#
# From a VMware-exported disk to a page blob of a managed disk, three
# flows on the same guest in one run, through the same servers on
# 127.0.0.1: Azurite (a real Blob service, tests/cloud/azurite-up.sh) and
# the test suite's FAKE of Resource Manager and the token endpoint
# (tests/cloud/azure-fake.py: no real one can be installed here):
#
#   ferry -o azure        ferry convert -o azure (a managed disk: its
#                         pages straight from the copy engine to the
#                         disk's SAS, zeroes skipped, the footer last)
#   ferry -o azure blob   ferry convert -o azure -oo method=blob
#                         (the same into a storage account, SharedKey)
#   local + vpc + az      ferry convert -o local -of raw --target azure,
#                         qemu-img convert -O vpc -o subformat=fixed,
#                         force_size, then the az CLI's "az storage blob
#                         upload --type page": what users chain today
#                         (the az CLI skips all-zero 4 MiB chunks too)
#
# For each: wall seconds, the page writes and bytes Azurite received
# (from its debug log), and their ratio to the guest's data (the
# non-zero 4 KiB blocks of the converted disk; the goal for -o azure is
# at most 1.02), and the ratio of ferry -o azure's wall time to the
# flow's.  The fake answers ARM in milliseconds; Azure's own
# operations take seconds, the same for every flow that uses them.
#
# Needs the az CLI (Debian's azure-cli) for the third flow.  Default
# image: /var/cache/ferry-tests/deb12-vmw-disk1.vmdk (built by
# tests/images/real-debian12.sh).  About 6 minutes.
set -euo pipefail

prog="${0##*/}"
here="$(cd "$(dirname "$0")" && pwd)"
top="$(cd "$here/.." && pwd)"
cloud="$top/tests/cloud"
die() { echo "$prog: $*" >&2; exit 1; }
say() { printf '%s: [%4d s] %s\n' "$prog" "$SECONDS" "$*" >&2; }

img=/var/cache/ferry-tests/deb12-vmw-disk1.vmdk
while [ "$#" -gt 0 ]; do
    case "$1" in
        --image) [ "$#" -ge 2 ] || die "--image needs a path"; img="$2"; shift 2 ;;
        -h|--help) sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        *) die "unknown argument \"$1\"" ;;
    esac
done
ferry="${FERRY:-$top/ferry}"
[ -x "$ferry" ] || die "$ferry is missing: run 'make ferry' in $top"
[ -f "$img" ] || die "$img is missing: run $top/tests/images/real-debian12.sh $(dirname "$img")"
for t in /usr/bin/az /usr/bin/python3 qemu-img jq curl node bc; do
    command -v "$t" >/dev/null 2>&1 || die "$t is not installed (quickstart.sh installs all but azure-cli)"
done

work="$(mktemp -d "${TMPDIR:-/var/tmp}/ferry-bench-azure.XXXXXX")"
fake_pid=
cleanup() {
    [ -z "$fake_pid" ] || kill "$fake_pid" 2>/dev/null || true
    "$cloud/azurite-down.sh" "$work/azurite" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

say "starting Azurite and the ARM fake"
"$cloud/azurite-up.sh" "$work/azurite" > "$work/azurite-up.log" 2>&1 ||
    { cat "$work/azurite-up.log"; die "azurite-up.sh failed"; }
# shellcheck disable=SC1091
source "$work/azurite/env"
/usr/bin/python3 "$cloud/azure-fake.py" --azurite-env "$work/azurite/env" --state-dir "$work/fake" \
    --tls-dir "$work/azurite/tls" --resource-group bench > "$work/fake.log" 2> "$work/fake.err" &
fake_pid=$!
for (( i = 0; i < 100; i++ )); do
    [ -s "$work/fake/env" ] && break
    sleep 0.1
done
[ -s "$work/fake/env" ] || die "azure-fake.py did not start: $(cat "$work/fake.err")"
# shellcheck disable=SC1091
source "$work/fake/env"
export HOME="$work/home" AZURE_CONFIG_DIR="$work/home/.azure" REQUESTS_CA_BUNDLE="$AZURITE_CA"
export AZURE_TENANT_ID="$AZFAKE_TENANT" AZURE_CLIENT_ID="$AZFAKE_CLIENT_ID"
export AZURE_CLIENT_SECRET="$AZFAKE_CLIENT_SECRET" AZURE_AUTHORITY_HOST="$AZFAKE_AUTHORITY"
export AZURE_ARM_ENDPOINT="$AZFAKE_ENDPOINT" AZURE_SUBSCRIPTION_ID="$AZFAKE_SUBSCRIPTION"
mkdir -p "$HOME"
tool() { /usr/bin/python3 "$cloud/azblob-tool.py" "$work/azurite/env" "$@"; }
tool mkcontainer vhds

# Page writes and bytes Azurite took since line $1 of its debug log.
declare -A wall reqs bytes
sent() {   # FLOW MARK
    local w; w=$(tool writes "$work/azurite/debug.log" "$2")
    reqs[$1]=$(jq '.update | length' <<<"$w")
    bytes[$1]=$(jq '[.update[][3]] | add // 0' <<<"$w")
}
mark() { wc -l < "$work/azurite/debug.log"; }

m=$(mark); t0=$SECONDS
say "ferry -o azure (a managed disk)"
"$ferry" convert -q -i disk "$img" -o azure -oo resource-group=bench -on b1 > /dev/null
wall[disk]=$((SECONDS - t0)); sent disk "$m"
container=$(curl -sf --cacert "$AZURITE_CA" "$AZFAKE_ENDPOINT/_fake/state" | jq -r '.disks["b1-disk1"].container')
tool get "$AZURITE_BLOB_ENDPOINT/$container/abcd" "$work/b1.vhd"

m=$(mark); t0=$SECONDS
say "ferry -o azure -oo method=blob"
AZURE_STORAGE_CONNECTION_STRING="$AZURITE_CONNECTION_STRING" "$ferry" convert -q -i disk "$img" \
    -o azure -oo method=blob -oo subscription= -on b2 > /dev/null
wall[blob]=$((SECONDS - t0)); sent blob "$m"

m=$(mark); t0=$SECONDS
say "ferry -o local -of raw, qemu-img convert -O vpc, az storage blob upload"
mkdir "$work/local"
"$ferry" convert -q -i disk "$img" -o local -os "$work/local" -of raw -on chain --target azure
size=$(stat -c %s "$work/local/chain-sda")
qemu-img convert -f raw -O vpc -o subformat=fixed,force_size "$work/local/chain-sda" "$work/chain.vhd"
rm -f "$work/local/chain-sda"
/usr/bin/az storage blob upload --connection-string "$AZURITE_CONNECTION_STRING" -c vhds \
    -n chain.vhd -f "$work/chain.vhd" --type page --only-show-errors -o none > /dev/null 2>&1
wall[chain]=$((SECONDS - t0)); sent chain "$m"
rm -f "$work/chain.vhd"

# The guest's data: the converted disk's non-zero 4 KiB blocks.
data=$(/usr/bin/python3 - "$work/b1.vhd" <<'PYEOF'
import os, sys
n = 0
with open(sys.argv[1], "rb") as f:
    left = os.fstat(f.fileno()).st_size - 512
    while left > 0:
        b = f.read(min(1 << 20, left))
        left -= len(b)
        for i in range(0, len(b), 4096):
            if b[i:i + 4096].strip(b"\0"):
                n += 4096
print(n)
PYEOF
)

printf '\n%-24s %8s %10s %14s %10s %12s\n' flow "wall s" "requests" "bytes sent" "/ data" "ferry/flow"
for f in disk blob chain; do
    case $f in
        disk) name="ferry -o azure" ;;
        blob) name="ferry -o azure blob" ;;
        chain) name="local + vpc + az upload" ;;
    esac
    printf '%-24s %8d %10d %14d %10.3f %12.2f\n' "$name" "${wall[$f]}" "${reqs[$f]}" "${bytes[$f]}" \
        "$(echo "${bytes[$f]} / $data" | bc -l)" "$(echo "${wall[disk]} / ${wall[$f]}" | bc -l)"
done
printf '\nguest data: %d bytes (non-zero 4 KiB blocks of the converted disk, %d bytes virtual)\n' "$data" "$size"
