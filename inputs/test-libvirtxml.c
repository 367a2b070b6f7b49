/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the libvirt domain XML parser (inputs/libvirtxml.c). */

#include <config.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "inputs.h"
#include "unittest.h"

static int
parse (const char *xml, struct vmdesc *d)
{
  return libvirtxml_parse (xml, strlen (xml), "web01.xml", d);
}

static void
check_error (const char *xml, const char *msg, const char *what)
{
  struct vmdesc d;
  int r = parse (xml, &d);

  CHECK (r == -1 && last_error () && strstr (last_error (), msg), what);
  CHECK (d.disks == NULL && d.nics == NULL && d.name == NULL,
         "nothing left after an error");
  if (r == 0)
    vmdesc_free (&d);
}

/* A domain as virt-install and virsh dumpxml leave it. */
static const char multi[] =
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
  "<!-- WARNING: THIS IS AN AUTO-GENERATED FILE. -->\n"
  "<domain type='kvm' id='3'>\n"
  "  <name>web01</name>\n"
  "  <uuid>5c1a3b2e-7d4f-4e21-9a0b-3c2d1e0f9a8b</uuid>\n"
  "  <metadata>\n"
  "    <app:info xmlns:app='http://example.com/app'><app:os id='wrong'/></app:info>\n"
  "    <libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'>\n"
  "      <libosinfo:os id='http://redhat.com/rhel/9.2'/>\n"
  "    </libosinfo:libosinfo>\n"
  "  </metadata>\n"
  "  <memory unit='KiB'>4194304</memory>\n"
  "  <currentMemory unit='KiB'>2097152</currentMemory>\n"
  "  <vcpu placement='static'>2</vcpu>\n"
  "  <os>\n"
  "    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n"
  "    <boot dev='hd'/>\n"
  "  </os>\n"
  "  <devices>\n"
  "    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
  "    <disk type='block' device='disk'>\n"
  "      <driver name='qemu' type='raw' cache='none' io='native'/>\n"
  "      <source dev='/dev/vg0/web01-data'/>\n"
  "      <target dev='vdb' bus='virtio'/>\n"
  "      <address type='pci' domain='0x0000' bus='0x05' slot='0x00' function='0x0'/>\n"
  "    </disk>\n"
  "    <disk type='file' device='disk'>\n"
  "      <driver name='qemu' type='qcow2' discard='unmap'/>\n"
  "      <source file='/var/lib/libvirt/images/web01.qcow2' index='2'/>\n"
  "      <backingStore/>\n"
  "      <target dev='vda' bus='virtio'/>\n"
  "      <alias name='virtio-disk0'/>\n"
  "    </disk>\n"
  "    <disk type='file' device='cdrom'>\n"
  "      <driver name='qemu' type='raw'/>\n"
  "      <target dev='sda' bus='sata'/>\n"
  "      <readonly/>\n"
  "      <address type='drive' controller='0' bus='0' target='0' unit='0'/>\n"
  "    </disk>\n"
  "    <disk type='file' device='disk'>\n"
  "      <driver name='qemu' type='raw'/>\n"
  "      <source file='/srv/web01-scratch.img'/>\n"
  "      <target dev='sdb' bus='scsi'/>\n"
  "      <address type='drive' controller='1' bus='0' target='0' unit='3'/>\n"
  "    </disk>\n"
  "    <disk type='file' device='floppy'>\n"
  "      <source file='/srv/floppy.img'/>\n"
  "      <target dev='fda' bus='fdc'/>\n"
  "    </disk>\n"
  "    <controller type='scsi' index='1' model='virtio-scsi'/>\n"
  "    <interface type='network'>\n"
  "      <mac address='52:54:00:AB:cd:01'/>\n"
  "      <source network='default' portid='1'/>\n"
  "      <model type='virtio'/>\n"
  "    </interface>\n"
  "    <interface type='bridge'>\n"
  "      <mac address='52-54-00-ab-cd-02'/>\n"
  "      <source bridge='br0'/>\n"
  "      <model type='e1000e'/>\n"
  "    </interface>\n"
  "    <interface type='user'>\n"
  "      <model type='rtl8139'/>\n"
  "    </interface>\n"
  "    <interface type='hostdev'>\n"
  "      <mac address='52:54:00:ab:cd:04'/>\n"
  "    </interface>\n"
  "    <qemu:disk xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0' type='network'/>\n"
  "  </devices>\n"
  "</domain>\n";

static void
test_multi (void)
{
  struct vmdesc d;

  CHECK (parse (multi, &d) == 0, "multi-disk domain parses");
  CHECK (streq (d.name, "web01"), "name");
  CHECK (d.memory == UINT64_C(4194304) * 1024, "memory in KiB");
  CHECK (d.vcpus == 2, "vcpu");
  CHECK (d.firmware == FIRMWARE_BIOS, "no loader: BIOS");
  CHECK (streq (d.os, "http://redhat.com/rhel/9.2"), "libosinfo os id");

  CHECK (d.nr_disks == 3, "three disks (cdrom, floppy skipped)");
  if (d.nr_disks == 3) {
    /* Sorted: scsi, then virtio by controller/unit from the dev name. */
    CHECK (streq (d.disks[0].file, "/srv/web01-scratch.img") &&
           streq (d.disks[0].bus, "scsi") && streq (d.disks[0].format, "raw") &&
           d.disks[0].controller == 1 && d.disks[0].unit == 3,
           "sdb: scsi, address controller 1 unit 3");
    CHECK (streq (d.disks[1].file, "/var/lib/libvirt/images/web01.qcow2") &&
           streq (d.disks[1].bus, "virtio") &&
           streq (d.disks[1].format, "qcow2") &&
           d.disks[1].controller == 0 && d.disks[1].unit == 0,
           "vda: qcow2 virtio, unit 0 from the name");
    CHECK (streq (d.disks[2].file, "/dev/vg0/web01-data") &&
           streq (d.disks[2].bus, "virtio") && streq (d.disks[2].format, "raw") &&
           d.disks[2].controller == 0 && d.disks[2].unit == 1,
           "vdb: block disk, pci address ignored, unit 1 from the name");
    CHECK (d.disks[0].compression == NULL && d.disks[0].capacity == 0 &&
           d.disks[0].file_size == 0, "no sizes from libvirt XML");
  }

  CHECK (d.nr_nics == 3, "three interfaces (hostdev ignored)");
  if (d.nr_nics == 3) {
    CHECK (streq (d.nics[0].mac, "52:54:00:ab:cd:01") &&
           streq (d.nics[0].network, "default") &&
           streq (d.nics[0].model, "virtio"), "network interface");
    CHECK (streq (d.nics[1].mac, "52:54:00:ab:cd:02") &&
           streq (d.nics[1].network, "br0") &&
           streq (d.nics[1].model, "e1000e"), "bridge interface");
    CHECK (d.nics[2].mac == NULL && d.nics[2].network == NULL &&
           streq (d.nics[2].model, "rtl8139"), "user interface without MAC");
  }
  vmdesc_free (&d);
}

static const char *
domain (char *buf, size_t n, const char *head, const char *devices)
{
  snprintf (buf, n,
            "<domain type='kvm'><name>t</name>%s<devices>%s"
            "<disk type='file' device='disk'><source file='/d.img'/>"
            "<target dev='vda' bus='virtio'/></disk>"
            "</devices></domain>", head, devices);
  return buf;
}

static void
test_memory_units (void)
{
  static const struct { const char *unit; uint64_t bytes; } t[] = {
    { NULL, UINT64_C(1000) * 1024 },
    { "b", 1000 }, { "bytes", 1000 },
    { "KB", 1000000 }, { "k", 1024000 }, { "KiB", 1024000 },
    { "MB", UINT64_C(1000) * 1000000 }, { "M", UINT64_C(1000) << 20 },
    { "MiB", UINT64_C(1000) << 20 },
    { "GB", UINT64_C(1000) * 1000000000 }, { "G", UINT64_C(1000) << 30 },
    { "GiB", UINT64_C(1000) << 30 },
    { "TB", UINT64_C(1000) * 1000000000000 }, { "T", UINT64_C(1000) << 40 },
    { "TiB", UINT64_C(1000) << 40 },
  };
  char head[128], buf[1024], what[64];
  struct vmdesc d;

  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    if (t[i].unit)
      snprintf (head, sizeof head, "<memory unit='%s'> 1000 </memory>", t[i].unit);
    else
      snprintf (head, sizeof head, "<memory>1000</memory>");
    snprintf (what, sizeof what, "memory unit %s", t[i].unit ? t[i].unit : "(default)");
    CHECK (parse (domain (buf, sizeof buf, head, ""), &d) == 0 &&
           d.memory == t[i].bytes, what);
    vmdesc_free (&d);
  }
  CHECK (parse (domain (buf, sizeof buf, "", ""), &d) == 0 && d.memory == 0 &&
         d.vcpus == 1 && d.os == NULL && d.nr_nics == 0,
         "no memory: 0, no vcpu: 1, no metadata: no os");
  vmdesc_free (&d);

  check_error (domain (buf, sizeof buf, "<memory unit='TiB'>16777216</memory>", ""),
               "parse libvirt XML \"web01.xml\": <memory> is too large",
               "memory overflow");
  check_error (domain (buf, sizeof buf,
                       "<memory unit='b'>18446744073709551616</memory>", ""),
               "<memory> is not a number", "memory beyond 64 bits");
  check_error (domain (buf, sizeof buf, "<memory unit='KiB'>-1</memory>", ""),
               "<memory> is not a number", "negative memory");
  check_error (domain (buf, sizeof buf, "<memory unit='furlongs'>1</memory>", ""),
               "<memory>: unknown unit \"furlongs\"", "unknown unit");
  check_error (domain (buf, sizeof buf, "<vcpu>0</vcpu>", ""),
               "<vcpu> must be a number from 1", "zero vcpus");
}

static void
test_firmware (void)
{
  char buf[1024];
  struct vmdesc d;

  CHECK (parse (domain (buf, sizeof buf, "<os firmware='efi'><type>hvm</type></os>", ""),
                &d) == 0 && d.firmware == FIRMWARE_UEFI, "os firmware='efi'");
  vmdesc_free (&d);
  CHECK (parse (domain (buf, sizeof buf,
                        "<os><type>hvm</type><loader readonly='yes' type='pflash'>"
                        "/usr/share/edk2/ovmf/OVMF_CODE.secboot.fd</loader>"
                        "<nvram>/var/lib/libvirt/qemu/nvram/t_VARS.fd</nvram></os>", ""),
                &d) == 0 && d.firmware == FIRMWARE_UEFI, "pflash loader");
  vmdesc_free (&d);
  CHECK (parse (domain (buf, sizeof buf,
                        "<os><loader type='rom'>/usr/share/OVMF/OVMF.fd</loader></os>", ""),
                &d) == 0 && d.firmware == FIRMWARE_UEFI, "OVMF loaded as a ROM");
  vmdesc_free (&d);
  CHECK (parse (domain (buf, sizeof buf,
                        "<os><loader type='rom'>/usr/share/seabios/bios-256k.bin</loader>"
                        "</os>", ""),
                &d) == 0 && d.firmware == FIRMWARE_BIOS, "SeaBIOS ROM loader");
  vmdesc_free (&d);
  CHECK (parse (domain (buf, sizeof buf, "<os firmware='bios'/>", ""), &d) == 0 &&
         d.firmware == FIRMWARE_BIOS, "os firmware='bios'");
  vmdesc_free (&d);
  check_error (domain (buf, sizeof buf, "<os firmware='uboot'/>", ""),
               "<os firmware=\"uboot\">: unknown firmware", "unknown firmware");
}

static void
test_disks (void)
{
  char buf[2048];
  struct vmdesc d;

  /* IDE drive addresses, names without an address, "aio". */
  CHECK (parse (domain (buf, sizeof buf, "",
                        "<disk device='disk'><driver name='file' type='aio'/>"
                        "<source file='/c.img'/><target dev='hdc'/>"
                        "<address type='drive' controller='0' bus='1' unit='0'/></disk>"
                        "<disk type='file'><source file='/b.img'/><target dev='hdb'/></disk>"
                        "<disk type='file' device='lun'><source file='/x.img'/>"
                        "<target dev='sdab' bus='usb'/></disk>"
                        "<disk type='block' device='cdrom'><target dev='hdd'/></disk>"),
                &d) == 0 && d.nr_disks == 4, "IDE disks parse");
  if (d.nr_disks == 4) {
    CHECK (streq (d.disks[0].file, "/d.img") && streq (d.disks[0].bus, "virtio"),
           "virtio before ide");
    CHECK (streq (d.disks[1].file, "/b.img") && streq (d.disks[1].bus, "ide") &&
           d.disks[1].unit == 1 && d.disks[1].format == NULL,
           "hdb: bus from the name, unit 1");
    CHECK (streq (d.disks[2].file, "/c.img") && streq (d.disks[2].format, "raw") &&
           d.disks[2].controller == 0 && d.disks[2].unit == 2,
           "hdc: drive address bus 1 unit 0 is position 2, aio is raw");
    CHECK (streq (d.disks[3].file, "/x.img") && streq (d.disks[3].bus, "usb") &&
           d.disks[3].unit == 27, "usb bus kept as given, sdab is index 27");
  }
  vmdesc_free (&d);

  CHECK (parse (domain (buf, sizeof buf, "",
                        "<disk type='file' device='disk'><source file='/e.img'/>"
                        "<target dev='weird0' bus='sata'/></disk>"), &d) == 0 &&
         d.nr_disks == 2 && streq (d.disks[0].file, "/e.img") &&
         d.disks[0].controller == -1 && d.disks[0].unit == -1,
         "unknown dev name: controller and unit unknown");
  vmdesc_free (&d);

  check_error (domain (buf, sizeof buf, "",
                       "<disk type='network' device='disk'><driver name='qemu' type='raw'/>"
                       "<source protocol='rbd' name='pool/img'><host name='mon1'/></source>"
                       "<target dev='vdb' bus='virtio'/></disk>"),
               "parse libvirt XML \"web01.xml\": disk vdb: network disks (rbd, iscsi, "
               "nbd, gluster, http ...) are not supported; copy it to a file first",
               "network disk refused");
  check_error (domain (buf, sizeof buf, "",
                       "<disk type='volume' device='disk'>"
                       "<source pool='default' volume='x.qcow2'/>"
                       "<target dev='vdc'/></disk>"),
               "disk vdc: storage pool volumes are not supported", "volume disk refused");
  check_error (domain (buf, sizeof buf, "",
                       "<disk type='dir' device='disk'><source dir='/srv'/></disk>"),
               "disk #1: disks of type \"dir\" are not supported", "dir disk refused");
  check_error (domain (buf, sizeof buf, "",
                       "<disk type='file' device='disk'><target dev='vdb'/></disk>"),
               "disk vdb has no <source file=...>", "disk without source");
  check_error (domain (buf, sizeof buf, "",
                       "<disk type='block' device='disk'><source file='/x'/>"
                       "<target dev='vdb'/></disk>"),
               "disk vdb has no <source dev=...>", "block disk without dev");
  check_error (domain (buf, sizeof buf, "",
                       "<disk type='file' device='tape'><source file='/x'/></disk>"),
               "disk #1: unknown device \"tape\"", "unknown device");
  check_error (domain (buf, sizeof buf, "",
                       "<disk type='file'><source file='/x'/><target dev='sda'/>"
                       "<address type='drive' controller='0x1'/></disk>"),
               "disk sda: <address controller=\"0x1\">: not a number",
               "bad drive address");
  check_error ("<domain><name>t</name><devices><disk device='cdrom'/></devices></domain>",
               "parse libvirt XML \"web01.xml\": no hard disk found", "only a CD-ROM");
  check_error ("<domain><devices/></domain>", "<domain> has no <name>", "no name");

  /* Too many disks, in reverse order. */
  {
    size_t n = 0, cap = 1100 * 80;
    char *t = malloc (cap);
    if (t == NULL)
      abort ();
    n += snprintf (t + n, cap - n, "<domain><name>t</name><devices>");
    for (int i = 1100; i > 0; i--)
      n += snprintf (t + n, cap - n, "<disk><source file='/d'/>"
                     "<target dev='sd%c%c'/></disk>",
                     'a' + i / 26 % 26, 'a' + i % 26);
    snprintf (t + n, cap - n, "</devices></domain>");
    check_error (t, "parse libvirt XML \"web01.xml\": more than 1024 disks",
                 "disk limit");
    free (t);
  }
}

static void
test_interfaces (void)
{
  char buf[2048];

  check_error (domain (buf, sizeof buf, "",
                       "<interface type='network'><mac address='52:54:00:zz:00:01'/>"
                       "</interface>"),
               "<mac address=\"52:54:00:zz:00:01\">: not a MAC address", "bad MAC");
}

static void
test_safety (void)
{
  char buf[4096];
  struct vmdesc d;
  int fd, saved;
  char tmp[] = "/tmp/ferry-test-libvirtxml.XXXXXX";
  off_t size;

  /* libxml2 must not write to stderr: redirect it to a file while
   * parsing the bad documents, then check the file holds only our
   * messages.
   */
  fd = mkstemp (tmp);
  if (fd == -1)
    abort ();
  fflush (stderr);
  saved = dup (2);
  dup2 (fd, 2);

  check_error ("<?xml version='1.0'?>\n<!DOCTYPE domain SYSTEM "
               "'http://example.com/domain.dtd'>\n<domain><name>x</name></domain>",
               "parse libvirt XML \"web01.xml\": document type declarations are "
               "not allowed", "external DOCTYPE refused");
  check_error ("<!DOCTYPE domain [ <!ENTITY n 'x'> ]><domain><name>&n;</name></domain>",
               "document type declarations are not allowed", "internal subset refused");
  snprintf (buf, sizeof buf,
            "<?xml version='1.0'?>\n"
            "<!DOCTYPE lolz [\n"
            " <!ENTITY lol 'lol'>\n"
            " <!ENTITY lol1 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>\n"
            " <!ENTITY lol2 '&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;'>\n"
            " <!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>\n"
            " <!ENTITY lol4 '&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;'>\n"
            " <!ENTITY lol5 '&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;'>\n"
            " <!ENTITY lol6 '&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;'>\n"
            " <!ENTITY lol7 '&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;'>\n"
            " <!ENTITY lol8 '&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;'>\n"
            " <!ENTITY lol9 '&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;'>\n"
            " <!ENTITY xxe SYSTEM 'file:///etc/passwd'>\n"
            "]>\n<domain><name>&lol9;&xxe;</name></domain>\n");
  check_error (buf, "document type declarations are not allowed",
               "billion laughs / XXE refused");
  check_error ("<domain><name>x</name>\n<devices>\n</domain>",
               "parse libvirt XML \"web01.xml\": not well-formed XML (line 3)",
               "malformed (tag mismatch)");
  check_error ("", "not well-formed XML (line 1)", "empty document");
  check_error ("<domain><name>&undefined;</name></domain>", "not well-formed XML",
               "undefined entity");
  check_error ("<?xml version='1.0'?>\n<domcapabilities/>",
               "the root element is <domcapabilities>, not <domain>", "wrong root");
  check_error ("<domain xmlns='http://example.com/x'><name>x</name></domain>",
               "the root element is <domain> in a namespace, not <domain>",
               "namespaced root");
  check_error ("<domain><name>a\xff\xfe</name></domain>", "not well-formed XML",
               "invalid UTF-8");

  fflush (stderr);
  dup2 (saved, 2);
  close (saved);
  size = lseek (fd, 0, SEEK_END);
  {
    char *log = calloc (1, size + 1);
    bool only_ours = true;
    if (log == NULL || pread (fd, log, size, 0) != size)
      abort ();
    for (char *l = strtok (log, "\n"); l; l = strtok (NULL, "\n"))
      if (strncmp (l, "ferry: parse libvirt XML", 24) != 0) {
        fprintf (stderr, "unexpected stderr line: %s\n", l);
        only_ours = false;
      }
    CHECK (only_ours, "libxml2 printed nothing on stderr");
    free (log);
  }
  close (fd);
  unlink (tmp);

  /* The parser still works after the refusals (error handler restored). */
  CHECK (parse (multi, &d) == 0 && d.nr_disks == 3, "parse again after errors");
  vmdesc_free (&d);
}

int
main (void)
{
  test_multi ();
  test_memory_units ();
  test_firmware ();
  test_disks ();
  test_interfaces ();
  test_safety ();
  printf ("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
