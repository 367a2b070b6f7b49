#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# guestfix on phony Debian-family guests: inspection, each fix, the
# change report, --dry-run, and the guests ferry must refuse.  Every
# conversion is one appliance launch (about 30-45 s under TCG).
set -euo pipefail
source "${abs_top_srcdir:-$(dirname "$0")/..}/tests/functions.sh"
require_cmd qemu-img qemu-nbd jq debugfs
mk_tmpdir
export TMPDIR="$tmpdir/tmp"; mkdir "$TMPDIR"
img() { "$FERRY_IMAGES/phony-debian.sh" "$1" "$tmpdir/$1.img"; echo "$tmpdir/$1.img"; }

# Inspection of a guest whose initramfs lacks virtio.
src=$(img novirtio)
"$FERRY" inspect -i disk "$src" > "$tmpdir/inspect.json"
j() { jq -r "$1" "$tmpdir/inspect.json"; }
[ "$(j .guest.distro)" = debian ] || fail "inspect: distro"
[ "$(j .guest.major_version)" = 12 ] || fail "inspect: version"
[ "$(j .guest.firmware)" = bios ] || fail "inspect: firmware"
[ "$(j '.disks[0].format')" = raw ] || fail "inspect: format"
[ "$(j '.guest.kernels[0].version')" = 6.1.0-13-amd64 ] || fail "inspect: kernel"
[ "$(j '.guest.kernels[0].virtio.virtio_blk')" = false ] || fail "inspect: virtio_blk should be missing"
[ "$(j '.guest.kernels[0].boots_on_virtio')" = false ] || fail "inspect: boots_on_virtio"
[ "$(j '.guest.network_config[0].file')" = /etc/network/interfaces ] || fail "inspect: network config"
[ "$(j '.fstab[0].device')" = /dev/sda1 ] || fail "inspect: fstab"
# The guest's bytes that are not UTF-8 (a Latin-1 host name with a
# control byte, a file named in Latin-1) come out as valid UTF-8 JSON,
# each invalid byte as U+FFFD.
strict_json "$tmpdir/inspect.json"
[ "$(j .guest.hostname)" = "phony-caf$(printf '\uFFFD\u0001')" ] ||
    fail "inspect: hostname: $(jq .guest.hostname "$tmpdir/inspect.json")"
jq -e '.guest.network_config | any(.file == "/etc/network/interfaces.d/r\ufffdseau")' \
    "$tmpdir/inspect.json" >/dev/null || fail "inspect: network config: $(j -c .guest.network_config)"
echo "ok: inspect"

# convert VARIANT: convert and leave the report in $rep.
convert() {
    local v="$1" src before
    src=$(img "$v")
    before=$(sha256_of "$src")
    mkdir -p "$tmpdir/out-$v"
    "$FERRY" convert --machine-readable -i disk "$src" -o local -os "$tmpdir/out-$v" \
        > "$tmpdir/$v.jsonl" 2> "$tmpdir/$v.err" || fail "$v: convert failed: $(cat "$tmpdir/$v.err")"
    strict_json "$tmpdir/$v.jsonl" lines
    [ "$(sha256_of "$src")" = "$before" ] || fail "$v: the source was modified"
    rep="$tmpdir/out-$v/$v.changes.json"
    [ -f "$tmpdir/out-$v/$v-sda" ] && [ -f "$tmpdir/out-$v/$v.xml" ] && [ -f "$rep" ] ||
        fail "$v: outputs missing: $(ls "$tmpdir/out-$v")"
    [ -z "$(ls -A "$TMPDIR")" ] || fail "$v: temp files left: $(ls -A "$TMPDIR")"
    strict_json "$rep"
}
# ifupdown: devices by UUID, ens192 -> ens3.
convert ifupdown
uuid1=$(jq -r '.changes[] | select(.file == "/etc/fstab") | .diff' "$rep" | grep -oE '^\+UUID=[0-9a-f-]+\s+/\s' | grep -oE '[0-9a-f-]{36}')
[ -n "$uuid1" ] || fail "ifupdown: root not by UUID in fstab"
diff_has /etc/fstab "-/dev/sda1       /               ext4    errors=remount-ro 0       1"
diff_has /etc/network/interfaces "-allow-hotplug ens192"
diff_has /etc/network/interfaces "+allow-hotplug ens3"
diff_has /etc/network/interfaces "+iface ens3 inet dhcp"
# The diff's context holds the guest's Latin-1 comment, control bytes,
# escape sequence and broken UTF-8: escaped or replaced, never raw.
diff_has /etc/network/interfaces " # R$(printf '\uFFFD')seau principal $(printf '\u0001\u001b')[2J $(printf '\uFFFD\uFFFD \uFFFD( \uFFFD\uFFFD\uFFFD') fin"
jq -r '.changes[] | select(.file == "/boot/grub/grub.cfg") | .diff' "$rep" |
    grep -q "^+.*linux.*root=UUID=$uuid1 ro quiet resume=UUID=" || fail "ifupdown: grub.cfg root/resume"
changed /etc/initramfs-tools/conf.d/resume
[ "$(jq -r '.target_nics[0]' "$rep")" = ens3 ] || fail "ifupdown: target NIC"
# The XML puts the NIC where the guest will call it ens3: PCI slot 3.
grep -q "slot=\"0x03\"" "$tmpdir/out-ifupdown/ifupdown.xml" || fail "ifupdown: NIC slot"
if command -v virt-xml-validate >/dev/null; then
    virt-xml-validate "$tmpdir/out-ifupdown/ifupdown.xml" domain >/dev/null ||
        fail "ifupdown: libvirt XML does not validate"
fi
qemu-img check -q "$tmpdir/out-ifupdown/ifupdown-sda" || fail "ifupdown: output qcow2 is corrupt"
echo "ok: ifupdown"

# The report says what is really on the output disk: the file read
# back from the output's filesystem (debugfs, no mount, no appliance).
qemu-img convert -O raw "$tmpdir/out-ifupdown/ifupdown-sda" "$tmpdir/ifupdown.raw"
debugfs -R "cat /etc/network/interfaces" "$tmpdir/ifupdown.raw?offset=1048576" > "$tmpdir/if.txt" 2>/dev/null
grep -qx "iface ens3 inet dhcp" "$tmpdir/if.txt" || fail "output disk: interfaces not rewritten: $(cat "$tmpdir/if.txt")"
! grep -q ens192 "$tmpdir/if.txt" || fail "output disk: ens192 still there"
rm -f "$tmpdir/ifupdown.raw"
echo "ok: output disk matches the report"

# persistent-net: net.ifnames=0 keeps eth0; the MAC-pinning rule goes.
convert persistent-net
[ "$(jq -r '.target_nics[0]' "$rep")" = eth0 ] || fail "persistent-net: target NIC should be eth0"
unchanged /etc/network/interfaces
changed /etc/udev/rules.d/70-persistent-net.rules
jq -r '.changes[] | select(.file == "/etc/udev/rules.d/70-persistent-net.rules") | .diff' "$rep" |
    grep -q '^-SUBSYSTEM=="net".*00:50:56:9a:01:02.*NAME="eth0"' || fail "persistent-net: rule not removed"
echo "ok: persistent-net"

# --dry-run, of the netplan guest (Ubuntu 22.04, static, matched by
# MAC): the plan, and nothing written.  The plan's report holds the
# diffs a conversion would make: static stays static, the MAC match
# goes.  (NetworkManager keyfiles and networkd files, renamed and
# rebound, are test-fix-nicnames.sh's.)
src=$(img netplan)
mkdir "$tmpdir/dry"
"$FERRY" convert --dry-run --machine-readable -i disk "$src" -o local -os "$tmpdir/dry" > "$tmpdir/plan.jsonl"
[ -z "$(ls -A "$tmpdir/dry")" ] || fail "dry run wrote files"
[ -z "$(ls -A "$TMPDIR")" ] || fail "dry run: temp files left: $(ls -A "$TMPDIR")"
jq -se 'map(select(.type == "result"))[0].ok' "$tmpdir/plan.jsonl" >/dev/null || fail "dry run: no ok result"
jq -se 'map(select(.type == "plan"))[0].report' "$tmpdir/plan.jsonl" > "$tmpdir/plan.json"
rep="$tmpdir/plan.json"
[ "$(jq -r .dry_run "$rep")" = true ] || fail "dry run: the report does not say so"
f=/etc/netplan/00-installer-config.yaml
changed $f
diff_has $f "+    ens3:"
d=$(jq -r --arg f $f '.changes[] | select(.file == $f) | .diff' "$rep")
grep -q '^-.*macaddress: 00:50:56:9a:03:04' <<<"$d" || fail "netplan: MAC match not removed"
grep -q '^+.*10.1.2.3/24' <<<"$d" && fail "netplan: address line should be unchanged"
echo "ok: dry run (netplan)"

# Refusals: one clear line, exit 1, nothing left.
refuse() {
    local v="$1" pattern="$2" src err rc=0
    src=$(img "$v")
    mkdir "$tmpdir/r-$v"
    err=$("$FERRY" convert -q -i disk "$src" -o local -os "$tmpdir/r-$v" 2>&1) || rc=$?
    [ "$rc" = 1 ] || fail "$v: expected exit 1, got $rc: $err"
    grep -qE "$pattern" <<<"$err" || fail "$v: '$err' does not match '$pattern'"
    [ "$(grep -c '^ferry: ' <<<"$err")" = 1 ] || fail "$v: not one line: $err"
    [ -z "$(ls -A "$tmpdir/r-$v")" ] || fail "$v: output left behind"
    [ -z "$(ls -A "$TMPDIR")" ] || fail "$v: temp files left"
    echo "ok: $v refused: $err"
}
refuse novirtio 'update-initramfs is not installed in the guest, and the initramfs of 6\.1\.0-13-amd64 lacks virtio_pci \(the resume device changed too.*--initramfs append adds the drivers'
refuse noos 'no operating system was found'
# The same guest with --initramfs append: no guest tool is needed, the
# drivers are added on the host and the old resume device stays.
mkdir "$tmpdir/append"
"$FERRY" convert -q -i disk "$tmpdir/novirtio.img" -o local -os "$tmpdir/append" \
    --initramfs append 2>"$tmpdir/append.err" ||
    fail "novirtio --initramfs append: $(cat "$tmpdir/append.err")"
rep="$tmpdir/append/novirtio.changes.json"
jq -e '.initramfs | length == 1 and .[0].method == "append" and .[0].tool == "ferry"' "$rep" >/dev/null ||
    fail "novirtio --initramfs append: $(jq -c .initramfs "$rep")"
grep -q 'the initramfs keeps its old resume device' "$tmpdir/append.err" ||
    fail "novirtio --initramfs append: no resume warning: $(cat "$tmpdir/append.err")"
echo "ok: novirtio with --initramfs append: converted without update-initramfs"
echo "PASS: fix phony"
