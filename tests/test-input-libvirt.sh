#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# -i libvirt through the libvirt API (the test driver with a node file:
# one shut-off and one running domain) and -i libvirtxml with a
# multi-disk domain.  No appliance is started.
set -euo pipefail
source "${abs_top_srcdir:-$(dirname "$0")/..}/tests/functions.sh"
require_cmd qemu-img jq
mk_tmpdir
out="$tmpdir/out"; mkdir "$out"
export TMPDIR="$tmpdir/tmp"; mkdir "$TMPDIR"
expose="$abs_top_builddir/inputs/test-expose"

"$FERRY_IMAGES/phony-debian.sh" netplan "$tmpdir/g.img"
qemu-img convert -f raw -O qcow2 "$tmpdir/g.img" "$tmpdir/app01.qcow2"
head -c $(( 1024 * 1024 )) /dev/urandom > "$tmpdir/data.img"
truncate -s 32M "$tmpdir/data.img"
cp "$tmpdir/data.img" "$tmpdir/app01-data.raw"

domain_xml() {   # NAME
    cat <<EOF
  <domain type='kvm' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>$1</name>
    <memory unit='GiB'>3</memory>
    <vcpu placement='static'>6</vcpu>
    <os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type></os>
    <devices>
      <disk type='file' device='cdrom'>
        <driver name='qemu' type='raw'/>
        <target dev='sdc' bus='sata'/>
        <readonly/>
      </disk>
      <disk type='file' device='disk'>
        <driver name='qemu' type='raw'/>
        <source file='$tmpdir/app01-data.raw'/>
        <target dev='vdb' bus='virtio'/>
      </disk>
      <disk type='file' device='disk'>
        <driver name='qemu' type='qcow2'/>
        <source file='$tmpdir/app01.qcow2'/>
        <target dev='vda' bus='virtio'/>
      </disk>
      <interface type='network'>
        <mac address='52:54:00:aa:00:01'/>
        <source network='default'/>
        <model type='virtio'/>
      </interface>
      <interface type='bridge'>
        <mac address='52:54:00:aa:00:02'/>
        <source bridge='br-storage'/>
        <model type='e1000'/>
      </interface>
    </devices>
    <test:runstate>5</test:runstate>
  </domain>
EOF
}

check() {   # WHAT ARGS...
    local what="$1" lines meta; shift
    lines="$("$expose" "$@")" || fail "$what: the input failed"
    [ "$lines" = "qcow2 v3 268435456 $(sha256_of "$tmpdir/g.img")
raw - 33554432 $(sha256_of "$tmpdir/data.img")" ] || fail "$what: disks differ: $lines"
    meta="$("$FERRY" inspect --source-only "$@")"
    jq -e '.name == "app01" and .vcpus == 6 and .memory == 3221225472 and
           .firmware == "uefi" and (.disks | map(.format)) == ["qcow2", "raw"] and
           .nics == [{"mac":"52:54:00:aa:00:01","network":"default","model":"virtio"},
                     {"mac":"52:54:00:aa:00:02","network":"br-storage","model":"e1000"}]' \
        <<<"$meta" >/dev/null || fail "$what: metadata: $meta"
    echo "ok: $what: disks in target order (vda, vdb), metadata and NICs"
}

domain_xml app01 | sed '/test:runstate/d' > "$tmpdir/app01.xml"
check "libvirtxml" -i libvirtxml "$tmpdir/app01.xml"

{ echo '<node>'; domain_xml app01
  domain_xml live01 | sed 's|<test:runstate>5|<test:runstate>1|'
  echo '</node>'; } > "$tmpdir/node.xml"
check "libvirt API (test driver)" -i libvirt -ic "test://$tmpdir/node.xml" app01

expect_error "running domain" 'domain "live01" is running: shut it down first' \
    -i libvirt -ic "test://$tmpdir/node.xml" live01
expect_error "unknown domain" 'look up domain "nope"' \
    -i libvirt -ic "test://$tmpdir/node.xml" nope

# The XML's format is checked against the content.
sed "s|type='raw'/>|type='qcow2'/>|" "$tmpdir/app01.xml" > "$tmpdir/wrongfmt.xml"
expect_error "format mismatch" 'app01-data.raw": the format is given as qcow2, but the content is raw' \
    -i libvirtxml "$tmpdir/wrongfmt.xml"
sed "s|<name>app01</name>|<name>app01</name><devices><disk type='network' device='disk'><source protocol='rbd' name='pool/img'/><target dev='vdz' bus='virtio'/></disk></devices>|" \
    "$tmpdir/app01.xml" > "$tmpdir/net.xml"
expect_error "network disk" 'network disk' -i libvirtxml "$tmpdir/net.xml"
printf '<!DOCTYPE domain SYSTEM "file:///etc/passwd">\n' | cat - "$tmpdir/app01.xml" > "$tmpdir/dtd.xml"
expect_error "libvirt XML with a DTD" 'document type declarations are not allowed' \
    -i libvirtxml "$tmpdir/dtd.xml"
echo "PASS: libvirt input"
