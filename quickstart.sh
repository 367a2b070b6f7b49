#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# quickstart.sh: on a fresh Debian 12 machine, install what ferry needs,
# build it, build the sample guest (a Debian 12 VM exported the way
# vSphere exports it) and convert it for KVM.  Run as root.
#
#   FERRY_SAMPLE_OUT  where the converted sample goes (default /var/tmp/ferry-sample)
#   FERRY_TEST_CACHE  where the sample guest is cached (default /var/cache/ferry-tests)
set -euo pipefail
cd "$(dirname "$0")"

packages=(
    # build
    build-essential autoconf automake pkg-config perl
    libguestfs-dev libnbd-dev libvirt-dev libxml2-dev libssl-dev
    libcurl4-openssl-dev zlib1g-dev libjansson-dev libyaml-dev
    # run: qemu, NBD, the libguestfs appliance (it needs a host kernel)
    qemu-utils qemu-system-x86 nbdkit libnbd-bin libguestfs-tools bubblewrap
    guestfs-tools libguestfs-xfs linux-image-amd64 zstd xz-utils lz4 gzip
    # tests, sample guest and benchmark peers
    debootstrap fdisk dosfstools e2fsprogs util-linux cpio
    initramfs-tools-core jq libvirt-clients virt-v2v time
    # phony guests of every family: their tools are busybox scripts
    busybox-static btrfs-progs lvm2 xfsprogs
    # -o openstack tests: real Keystone and Glance on 127.0.0.1
    keystone glance-api uwsgi uwsgi-plugin-python3 python3-openstackclient curl openssl
    # -o aws tests: S3 from Ceph radosgw on a memstore cluster; RBD later
    ceph-mon ceph-osd radosgw ceph-common awscli librbd-dev
    # -o azure tests: Microsoft's Python SDK reads back what ferry wrote to Azurite
    python3-azure-storage
)
# -o azure tests: Azurite (Blob) from npm, run by Node.js
command -v npm >/dev/null || packages+=(nodejs npm)
if [ "$(id -u)" -ne 0 ]; then
    echo "quickstart.sh: run as root (it installs packages and builds a guest image)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    apt-get update -q
    # Keystone, Glance and Ceph must not start as system services (the
    # tests start their own): keep invoke-rc.d from starting anything.
    policy=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        policy=1
    fi
    apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=900 "${missing[@]}"
    [ -z "$policy" ] || rm -f /usr/sbin/policy-rc.d
fi

# Azurite, pinned, from the npm registry that npm is configured for.
azurite_dir=/usr/local/lib/ferry-azurite
if [ ! -x "$azurite_dir/node_modules/.bin/azurite-blob" ]; then
    mkdir -p "$azurite_dir"
    npm install --prefix "$azurite_dir" --no-audit --no-fund --loglevel=error azurite@3.35.0
fi

[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure --enable-werror
make -j2

# The sample: build (or reuse) the cached VMware-style guest, convert it.
cache="${FERRY_TEST_CACHE:-/var/cache/ferry-tests}"
mkdir -p "$cache"
vmdk="$(tests/images/real-debian12.sh "$cache")"
out="${FERRY_SAMPLE_OUT:-/var/tmp/ferry-sample}"
rm -rf "$out"
mkdir -p "$out"
export LIBGUESTFS_BACKEND="${LIBGUESTFS_BACKEND:-direct}"
./ferry convert -i disk "$vmdk" -o local -os "$out" -of qcow2
echo "quickstart.sh: the converted guest is in $out (virsh define $out/deb12-vmw-disk1.xml)"
