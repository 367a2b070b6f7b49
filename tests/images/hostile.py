#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# hostile.py DIR CANARY TEMPLATE.OVF BENIGN.vmdk
#
# Build hostile VM exports in DIR, each trying to make qemu open the
# host file CANARY (which lies outside DIR), or to crash or hang the
# prober.  One directory per case, DIR/NAME/, holding:
#   disk.*        the disk to give to -i disk
#   NAME.vmx      a VMX naming it (VMDK cases)
#   NAME.xml      a libvirt domain naming it (all cases)
# and DIR/NAME.ova, an OVA whose second disk is the case's disk,
# gzip-compressed (single-file cases).  DIR/cases.tsv lists
# NAME<TAB>DISKFILE<TAB>FORMAT<TAB>EXPECTED-REGEX, one line a case.
import gzip
import io
import os
import struct
import subprocess
import sys
import tarfile

out, canary, template, benign = sys.argv[1:5]
os.makedirs(out, exist_ok=True)
cases = []

DESC_HEAD = ('# Disk DescriptorFile\nversion=1\nCID=fffffffe\n'
             'parentCID=ffffffff\ncreateType="monolithicFlat"\n')


def case(name, disk, fmt, expect, files, single=True):
    """files: {relative name: bytes or ('symlink', target) or 'fifo'}"""
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    for rel, content in files.items():
        p = os.path.join(d, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if content == 'fifo':
            os.mkfifo(p)
        elif isinstance(content, tuple):
            os.symlink(content[1], p)
        else:
            with open(p, 'wb') as f:
                f.write(content)
    cases.append((name, disk, fmt, expect, single))


def flat(n=1 << 20):
    return bytes(n)


def qemu_img(*args):
    subprocess.run(['qemu-img'] + list(args), check=True,
                   stdout=subprocess.DEVNULL)


def qcow2(path, *opts):
    qemu_img('create', '-q', '-f', 'qcow2', *opts, path, '1M')
    with open(path, 'rb') as f:
        return f.read()


def qcow2_exts(data, drop, add=None):
    """A v3 header with its extensions rewritten: those of type 'drop'
    removed and (type, payload) 'add' put first."""
    b = bytearray(data)
    hlen = struct.unpack('>I', b[100:104])[0]
    off, exts = hlen, []
    while off + 8 <= 65536:
        t, n = struct.unpack('>II', b[off:off + 8])
        if t == 0:
            break
        if t != drop:
            exts.append((t, bytes(b[off + 8:off + 8 + n])))
        off += 8 + ((n + 7) & ~7)
    if add:
        exts.insert(0, add)
    blob = b''
    for t, p in exts:
        blob += struct.pack('>II', t, len(p)) + p + bytes((8 - len(p) % 8) % 8)
    blob += bytes(8)
    end = max(off + 8, hlen + len(blob))
    b[hlen:end] = blob.ljust(end - hlen, b'\0')
    return bytes(b)


def qcow2_set_ext(data, ext_type, payload):
    b = bytearray(qcow2_exts(data, ext_type, (ext_type, payload)))
    if ext_type == 0x44415441:             # data file: set the feature bit
        inc = struct.unpack('>Q', b[72:80])[0] | 4
        b[72:80] = struct.pack('>Q', inc)
    return bytes(b)


def qcow2_drop_backing_format(data):
    """The header without its backing-format extension: qemu-img no
    longer writes such images, old ones (and hostile ones) have them."""
    return qcow2_exts(data, 0xe2792aca)


def qcow2_backed(path, backing, fmt):
    """A qcow2 backed by 'backing', the format recorded or (fmt None) not."""
    qemu_img('create', '-q', '-f', 'qcow2', '-u', '-b', backing,
             '-F', fmt or 'raw', path, '1M')
    data = open(path, 'rb').read()
    return data if fmt else qcow2_drop_backing_format(data)


tmp = os.path.join(out, '.scratch')
os.makedirs(tmp, exist_ok=True)
q_plain = qcow2(os.path.join(tmp, 'plain.qcow2'))
ref = canary
rel_ref = os.path.relpath(canary, os.path.join(out, 'x'))

# 1. Tab-separated RW extent, with a decoy RDONLY extent in the export.
case('tab-extent', 'disk.vmdk', 'vmdk', 'canary',
     {'disk.vmdk': (DESC_HEAD + 'RDONLY 2048 FLAT "decoy-flat.vmdk" 0\n'
                    'RW\t2048\tFLAT\t"%s" 0\n' % ref).encode(),
      'decoy-flat.vmdk': flat()})
# 2. The real extent after 64 KiB of comments.
case('extent-after-64k', 'disk.vmdk', 'vmdk', 'canary',
     {'disk.vmdk': (DESC_HEAD + 'RDONLY 2048 FLAT "decoy-flat.vmdk" 0\n' +
                    '# padding padding padding padding padding\n' * 2000 +
                    'RW 2048 FLAT "%s" 0\n' % ref).encode(),
      'decoy-flat.vmdk': flat()})
# 3. Indented, CRLF and over-long extent lines.
case('indented-extent', 'disk.vmdk', 'vmdk', 'canary',
     {'disk.vmdk': (DESC_HEAD + '   \t RW 2048 FLAT "%s" 0\n' % ref).encode()})
case('crlf-extent', 'disk.vmdk', 'vmdk', 'canary',
     {'disk.vmdk': (DESC_HEAD.replace('\n', '\r\n') +
                    'RW 2048 FLAT "%s" 0\r\n' % ref).encode()})
long_ref = '/' * (511 - len(ref)) + ref
case('long-extent', 'disk.vmdk', 'vmdk', 'canary',
     {'disk.vmdk': (DESC_HEAD + '# ' + 'x' * 3000 + '\n'
                    'RW 2048 FLAT "%s" 0\n' % (long_ref + '/' * 600)).encode()})
# 4. A descriptor without its first comment line.
case('no-comment-desc', 'disk.vmdk', 'vmdk', 'canary',
     {'disk.vmdk': (DESC_HEAD.split('\n', 1)[1] +
                    'RW 2048 FLAT "%s" 0\n' % ref).encode()})
# 5. parentFileNameHint inside a comment.
case('hint-in-comment', 'disk.vmdk', 'vmdk', 'canary',
     {'disk.vmdk': (DESC_HEAD.replace('parentCID=ffffffff', 'parentCID=1234abcd') +
                    'RW 2048 FLAT "ok-flat.vmdk" 0\n'
                    '# parentFileNameHint="%s"\n' % ref).encode(),
      'ok-flat.vmdk': flat()})
# 6. A sparse VMDK whose embedded descriptor starts with a parent hint
#    (byte 512 of the file).
sp = os.path.join(tmp, 'sparse.vmdk')
qemu_img('create', '-q', '-f', 'vmdk', '-o', 'subformat=monolithicSparse', sp, '1M')
b = bytearray(open(sp, 'rb').read())
doff = struct.unpack('<Q', b[28:36])[0] * 512
dsz = struct.unpack('<Q', b[36:44])[0] * 512
text = b[doff:doff + dsz].rstrip(b'\0').replace(b'parentCID=ffffffff', b'parentCID=1234abcd')
text = ('parentFileNameHint="%s"\n' % ref).encode() + text
b[doff:doff + dsz] = text.ljust(dsz, b'\0')
case('sparse-hint-512', 'disk.vmdk', 'vmdk', 'canary', {'disk.vmdk': bytes(b)})
# 7. qcow2 backing names with a protocol prefix, a decoy "file:" dir.
for tag, fmt in (('fmt', 'raw'), ('nofmt', None)):
    p = os.path.join(tmp, 'proto-%s.qcow2' % tag)
    case('protocol-backing-' + tag, 'disk.qcow2', 'qcow2', 'file:.*canary',
         {'disk.qcow2': qcow2_backed(p, 'file:' + ref, fmt),
          'file:' + ref: flat()}, single=False)
# 8. qcow2 backed by a descriptor without the first comment line, and
#    by a file with no recorded format that is a descriptor.
for tag, text in (('nocomment', DESC_HEAD.split('\n', 1)[1]), ('desc', DESC_HEAD)):
    p = os.path.join(tmp, 'b-%s.qcow2' % tag)
    case('backing-' + tag, 'disk.qcow2', 'qcow2', 'canary',
         {'disk.qcow2': qcow2_backed(p, 'inner.vmdk', None),
          'inner.vmdk': (text + 'RW 2048 FLAT "%s" 0\n' % ref).encode()},
         single=False)
# 9. qcow2 external data files, absolute and relative.
for tag, name in (('abs', ref), ('rel', rel_ref)):
    case('data-file-' + tag, 'disk.qcow2', 'qcow2', 'canary',
         {'disk.qcow2': qcow2_set_ext(q_plain, 0x44415441, name.encode())},
         single=False)
# 10. Symlinks out of the export: an extent, and the backing file.
case('symlink-extent', 'disk.vmdk', 'vmdk', 'link-flat.vmdk',
     {'disk.vmdk': (DESC_HEAD + 'RW 2048 FLAT "link-flat.vmdk" 0\n').encode(),
      'link-flat.vmdk': ('symlink', ref)}, single=False)
p = os.path.join(tmp, 'sl.qcow2')
qemu_img('create', '-q', '-f', 'qcow2', '-u', '-b', 'base.raw', '-F', 'raw', p, '1M')
case('symlink-backing', 'disk.qcow2', 'qcow2', 'base.raw',
     {'disk.qcow2': open(p, 'rb').read(), 'base.raw': ('symlink', ref)},
     single=False)
# 11. A FIFO as an extent.
case('fifo-extent', 'disk.vmdk', 'vmdk', 'FIFO',
     {'disk.vmdk': (DESC_HEAD + 'RW 2048 FLAT "pipe-flat.vmdk" 0\n').encode(),
      'pipe-flat.vmdk': 'fifo'}, single=False)
# 12. Broken qcow2 headers: a huge header length, a huge extension, and
#     a 1 EiB virtual size.
b = bytearray(q_plain)
b[100:104] = struct.pack('>I', 0xFFFFFFFC)
case('qcow2-header-length', 'disk.qcow2', 'qcow2', 'qcow2', {'disk.qcow2': bytes(b)})
b = bytearray(q_plain)
hlen = struct.unpack('>I', b[100:104])[0]
b[hlen:hlen + 8] = struct.pack('>II', 0x12345678, 0xFFFFFFF8)
case('qcow2-ext-length', 'disk.qcow2', 'qcow2', 'qcow2', {'disk.qcow2': bytes(b)})
b = bytearray(q_plain)
b[24:32] = struct.pack('>Q', 1 << 60)
case('qcow2-1eib', 'disk.qcow2', 'qcow2', 'max-size', {'disk.qcow2': bytes(b)})

# The OVA of each single-file case: the template's second disk becomes
# the case's disk, gzip-compressed, as ovftool writes with --compress.
ovf = open(template).read()
ovf = ovf.replace('ovf:href="tpl-disk2.vmdk" ovf:id="file2"',
                  'ovf:compression="gzip" ovf:href="tpl-disk2.vmdk" ovf:id="file2"')
import re
ovf = re.sub(r'(ovf:id="file2") ovf:size="[0-9]*"', r'\1', ovf)
assert 'ovf:compression="gzip"' in ovf
benign_bytes = open(benign, 'rb').read()
for name, disk, fmt, expect, single in cases:
    if not single:
        continue
    data = open(os.path.join(out, name, disk), 'rb').read()
    with tarfile.open(os.path.join(out, name + '.ova'), 'w', format=tarfile.USTAR_FORMAT) as t:
        for member, content in (('tpl.ovf', ovf.encode()),
                                ('tpl-disk1.vmdk', benign_bytes),
                                ('tpl-disk2.vmdk', gzip.compress(data))):
            ti = tarfile.TarInfo(member)
            ti.size = len(content)
            t.addfile(ti, io.BytesIO(content))

for name, disk, fmt, expect, single in cases:
    d = os.path.join(out, name)
    path = os.path.join(d, disk)
    if fmt == 'vmdk':
        with open(os.path.join(d, name + '.vmx'), 'w') as f:
            f.write('.encoding = "UTF-8"\nconfig.version = "8"\n'
                    'virtualHW.version = "19"\ndisplayName = "%s"\n'
                    'numvcpus = "1"\nmemSize = "512"\n'
                    'scsi0.present = "TRUE"\nscsi0:0.present = "TRUE"\n'
                    'scsi0:0.deviceType = "scsi-hardDisk"\n'
                    'scsi0:0.fileName = "%s"\n' % (name, disk))
    with open(os.path.join(d, name + '.xml'), 'w') as f:
        f.write("<domain type='kvm'><name>%s</name><memory unit='MiB'>512</memory>"
                "<vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os><devices>"
                "<disk type='file' device='disk'><driver name='qemu' type='%s'/>"
                "<source file='%s'/><target dev='sda' bus='scsi'/></disk>"
                "</devices></domain>\n" % (name, fmt, path))

with open(os.path.join(out, 'cases.tsv'), 'w') as f:
    for name, disk, fmt, expect, single in cases:
        f.write('%s\t%s\t%s\t%s\t%s\n' % (name, disk, fmt, expect, 'ova' if single else '-'))
subprocess.run(['rm', '-rf', tmp], check=True)
