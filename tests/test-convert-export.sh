#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# End to end from whole exported VMs, wrapped the way vSphere exports
# them: an OVA (disk read in place inside the tar) of a phony guest, and
# a VMX datastore directory (descriptor + flat extent under a snapshot
# delta) of the real Debian 12 guest.  Each converts, keeps the source
# untouched and carries the VM's name, memory, vCPUs, MAC and network
# into the libvirt XML; the VMX's guest boots on virtio-blk +
# virtio-net with the static address --mac gave its NIC (10.0.2.50,
# which qemu's DHCP would never hand out).  (The OVA's bytes reach qemu
# exactly as a bare disk's do, test-input-ova.sh proves; a boot of the
# real guest converted from a bare disk is test-convert-boot.sh's.)
set -euo pipefail
source "${abs_top_srcdir:-$(dirname "$0")/..}/tests/functions.sh"
require_cmd qemu-img jq tar
need_real_debian12
mk_tmpdir
export TMPDIR="$tmpdir/tmp"; mkdir "$TMPDIR"
export VM_CPUS=2 VM_MEMORY_MB=1536 VM_FIRMWARE=bios

# domxml_check XML NAME MEMORY_KIB VCPUS IFTYPE SOURCE MAC
domxml_check() {
    /usr/bin/python3 - "$@" <<'EOF' || fail "libvirt XML $1 does not carry the source's metadata"
import sys, xml.etree.ElementTree as ET
path, name, mem, vcpus, iftype, source, mac = sys.argv[1:]
d = ET.parse(path).getroot()
got = (d.findtext("name"), d.findtext("memory"), d.findtext("vcpu"))
assert got == (name, mem, vcpus), got
ifs = d.findall("devices/interface")
assert len(ifs) == 1, len(ifs)
i = ifs[0]
assert i.get("type") == iftype, i.get("type")
assert i.find("source").get(iftype) == source, ET.tostring(i)
assert i.find("mac").get("address") == mac, ET.tostring(i)
assert i.find("model").get("type") == "virtio"
print(f"ok: {path.rsplit('/', 1)[1]}: {name}, {mem} KiB, {vcpus} vCPUs, {iftype} {source!r}, {mac}")
EOF
}

# 1. OVA, of a phony guest.
"$FERRY_IMAGES/phony-debian.sh" ifupdown "$tmpdir/phony.img"
qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$tmpdir/phony.img" "$tmpdir/phony.vmdk"
VM_NICS="00:50:56:8a:33:01@VM_Network" \
    "$FERRY_IMAGES/vsphere-export.sh" ova "$tmpdir/web01.ova" web01 "$tmpdir/phony.vmdk"
ova_sum=$(sha256_of "$tmpdir/web01.ova")
# inspect: the metadata and the copy estimate (trimmed in an overlay).
"$FERRY" inspect -i ova "$tmpdir/web01.ova" > "$tmpdir/inspect.json" 2>"$tmpdir/inspect.err" ||
    { cat "$tmpdir/inspect.err"; fail "inspect -i ova failed"; }
jq -e '.name == "web01" and .vcpus == 2 and .memory == 1610612736 and
       .guest.distro == "debian" and .copy_estimate > 0 and
       .copy_estimate <= .disks[0].allocated' "$tmpdir/inspect.json" >/dev/null ||
    fail "inspect -i ova: $(jq -c "{name,vcpus,memory,guest,copy_estimate,disks}" "$tmpdir/inspect.json")"
estimate=$(jq .copy_estimate "$tmpdir/inspect.json")
mkdir "$tmpdir/ova-out"
"$FERRY" convert -i ova "$tmpdir/web01.ova" -o local -os "$tmpdir/ova-out" -of qcow2 \
    > "$tmpdir/ova.log" 2>&1 || { cat "$tmpdir/ova.log"; fail "convert -i ova failed"; }
grep -q 'verified the manifest' "$tmpdir/ova.log" || fail "the manifest was not verified"
[ "$(sha256_of "$tmpdir/web01.ova")" = "$ova_sum" ] || fail "the OVA was modified"
[ -z "$(ls -A "$TMPDIR")" ] || fail "temp files left: $(ls -A "$TMPDIR")"
domxml_check "$tmpdir/ova-out/web01.xml" web01 1572864 2 network "VM Network" 00:50:56:8a:33:01
# The estimate is what the copy then wrote, give or take the initramfs
# and package changes of the conversion.
written=$(qemu-img map --output=json "$tmpdir/ova-out/web01-sda" | jq '[.[] | select(.data) | .length] | add')
echo "copy estimate $estimate bytes, written $written bytes"
# (A phony guest holds little data: the conversion's own writes, some
# hundred KiB, are allowed on top of the 10%.)
[ "$written" -gt $(( estimate * 9 / 10 )) ] && [ "$written" -lt $(( estimate * 11 / 10 + 1048576 )) ] ||
    fail "the copy estimate $estimate is not within 10% (+1 MiB) of the $written bytes written"
rm -f "$tmpdir/web01.ova"

# 2. VMX, of the real guest: this build's one conversion of it
# (converted_deb12: the network mapped to bridge br0, a static address
# for the NIC), which test-convert-boot.sh boots.
converted_deb12
[ "$(cd "$deb12_converted_dir/db01" && sha256sum ./* | sha256sum)" = "$(cat "$deb12_converted_dir/vmx.sum")" ] ||
    fail "the VMX's files were modified"
[ -z "$(ls -A "$deb12_converted_dir/tmp")" ] || fail "temp files left: $(ls -A "$deb12_converted_dir/tmp")"
domxml_check "$deb12_converted_dir/out/db01.xml" db01 1048576 1 bridge br0 00:50:56:8a:44:01
rep="$deb12_converted_rep"
for l in "+iface lan0 inet static" "+    address 10.0.2.50/24" "+    gateway 10.0.2.2"; do
    diff_has /etc/network/interfaces "$l"
done
# The snapshot delta was read: the guest found is the real one.
[ "$(jq -r .distro "$rep")" = debian ] || fail "VMX: guest: $(jq -c "{distro,os}" "$rep")"
echo "PASS: OVA and VMX exports convert"
