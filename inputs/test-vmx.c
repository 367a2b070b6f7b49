/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the VMware .vmx parser (inputs/vmx.c). */

#include <config.h>

#include <string.h>

#include "inputs.h"
#include "unittest.h"

static int
parse (const char *text, struct vmdesc *d)
{
  return vmx_parse (text, strlen (text), "web01.vmx", d);
}

/* Expect a parse error containing 'msg'. */
static void
check_error (const char *text, const char *msg, const char *what)
{
  struct vmdesc d;
  int r = parse (text, &d);

  CHECK (r == -1 && last_error () && strstr (last_error (), msg), what);
  CHECK (d.disks == NULL && d.nics == NULL && d.name == NULL,
         "nothing left after an error");
  if (r == 0)
    vmdesc_free (&d);
}

/* A VM as vSphere 7 writes it (virtual hardware 17), disks given out
 * of order, with CD-ROMs, a removed disk and two NICs.
 */
static const char vsphere7[] =
  ".encoding = \"UTF-8\"\n"
  "config.version = \"8\"\n"
  "virtualHW.version = \"17\"\n"
  "vmci0.present = \"TRUE\"\n"
  "floppy0.present = \"FALSE\"\n"
  "numvcpus = \"4\"\n"
  "cpuid.coresPerSocket = \"2\"\n"
  "memSize = \"8192\"\n"
  "bios.bootRetry.delay = \"10\"\n"
  "firmware = \"efi\"\n"
  "powerType.suspend = \"soft\"\n"
  "tools.upgrade.policy = \"manual\"\n"
  "sched.cpu.units = \"mhz\"\n"
  "sched.cpu.affinity = \"all\"\n"
  "vm.createDate = \"1642512345678901\"\n"
  "# the boot disk comes second in the file\n"
  "scsi0:1.deviceType = \"scsi-hardDisk\"\n"
  "scsi0:1.fileName = \"web01_1.vmdk\"\n"
  "scsi0:1.present = \"TRUE\"\n"
  "scsi0:1.redo = \"\"\n"
  "scsi0.virtualDev = \"pvscsi\"\n"
  "scsi0.present = \"TRUE\"\n"
  "scsi0.pciSlotNumber = \"160\"\n"
  "scsi0:0.deviceType = \"scsi-hardDisk\"\n"
  "scsi0:0.fileName = \"/vmfs/volumes/ds1/web01/web01.vmdk\"\n"
  "scsi0:0.sharedBus = \"none\"\n"
  "scsi0:0.present = \"TRUE\"\n"
  "scsi0:0.redo = \"\"\n"
  "scsi0:2.deviceType = \"scsi-hardDisk\"\n"
  "scsi0:2.fileName = \"web01_removed.vmdk\"\n"
  "scsi0:2.present = \"FALSE\"\n"
  "sata0.present = \"TRUE\"\n"
  "sata0:0.deviceType = \"cdrom-image\"\n"
  "sata0:0.fileName = \"/vmfs/volumes/ds1/iso/rhel-9.2-x86_64-dvd.iso\"\n"
  "sata0:0.present = \"TRUE\"\n"
  "sata0:0.startConnected = \"FALSE\"\n"
  "ide1:0.present = \"TRUE\"\n"
  "ide1:0.deviceType = \"atapi-cdrom\"\n"
  "ide1:0.fileName = \"CD/DVD drive 0\"\n"
  "ide1:0.startConnected = \"FALSE\"\n"
  "nvme0.present = \"TRUE\"\n"
  "nvme0:0.fileName = \"web01-000001.vmdk\"\n"
  "nvme0:0.present = \"TRUE\"\n"
  "ethernet1.virtualDev = \"e1000e\"\n"
  "ethernet1.networkName = \"Backup|20Net\"\n"
  "ethernet1.addressType = \"static\"\n"
  "ethernet1.address = \"00:50:56:3F:00:10\"\n"
  "ethernet1.generatedAddress = \"00:50:56:aa:bb:cc\"\n"
  "ethernet1.present = \"TRUE\"\n"
  "ethernet0.virtualDev = \"vmxnet3\"\n"
  "ethernet0.networkName = \"VM Network\"\n"
  "ethernet0.addressType = \"vpx\"\n"
  "ethernet0.generatedAddress = \"00:50:56:9A:12:34\"\n"
  "ethernet0.uptCompatibility = \"TRUE\"\n"
  "ethernet0.present = \"TRUE\"\n"
  "ethernet2.present = \"FALSE\"\n"
  "ethernet2.generatedAddress = \"not a mac\"\n"
  "displayName = \"web01 |22prod|22 |7C dmz\"\n"
  "guestOS = \"rhel9-64\"\n"
  "toolScripts.afterPowerOn = \"TRUE\"\n"
  "uuid.bios = \"42 1a 7c 3e 5d 9f 0b 21-8c 44 6a 1e 2f 3d 4c 5b\"\n"
  "vc.uuid = \"50 1a 2b 3c 4d 5e 6f 70-81 92 a3 b4 c5 d6 e7 f8\"\n"
  "migrate.hostLog = \"web01-2a1b3c4d.hlog\"\n"
  "nvram = \"web01.nvram\"\n"
  "svga.present = \"TRUE\"\n";

static void
test_vsphere7 (void)
{
  struct vmdesc d;

  CHECK (parse (vsphere7, &d) == 0, "vSphere 7 VMX parses");
  CHECK (streq (d.name, "web01 \"prod\" | dmz"), "displayName with |22 and |7C");
  CHECK (d.vcpus == 4, "numvcpus");
  CHECK (d.memory == UINT64_C(8192) << 20, "memSize in MiB");
  CHECK (d.firmware == FIRMWARE_UEFI, "firmware efi");
  CHECK (streq (d.os, "rhel9-64"), "guestOS");

  CHECK (d.nr_disks == 3, "three hard disks (CD-ROMs and removed disk skipped)");
  if (d.nr_disks == 3) {
    CHECK (streq (d.disks[0].file, "/vmfs/volumes/ds1/web01/web01.vmdk"),
           "scsi0:0 first, absolute fileName kept as written");
    CHECK (streq (d.disks[0].bus, "scsi") && d.disks[0].controller == 0 &&
           d.disks[0].unit == 0, "scsi0:0 address");
    CHECK (streq (d.disks[1].file, "web01_1.vmdk") &&
           streq (d.disks[1].bus, "scsi") && d.disks[1].controller == 0 &&
           d.disks[1].unit == 1, "scsi0:1 second");
    CHECK (streq (d.disks[2].file, "web01-000001.vmdk") &&
           streq (d.disks[2].bus, "nvme") && d.disks[2].controller == 0 &&
           d.disks[2].unit == 0, "nvme0:0 snapshot delta kept as written");
    CHECK (d.disks[0].format == NULL && d.disks[0].compression == NULL &&
           d.disks[0].capacity == 0 && d.disks[0].file_size == 0,
           "no format, size or compression from a VMX");
  }

  CHECK (d.nr_nics == 2, "two NICs (ethernet2 not present)");
  if (d.nr_nics == 2) {
    CHECK (streq (d.nics[0].mac, "00:50:56:9a:12:34"),
           "ethernet0 generated MAC, lowercased");
    CHECK (streq (d.nics[0].network, "VM Network"), "ethernet0 networkName");
    CHECK (streq (d.nics[0].model, "vmxnet3"), "ethernet0 vmxnet3");
    CHECK (streq (d.nics[1].mac, "00:50:56:3f:00:10"),
           "ethernet1 static address wins over generatedAddress");
    CHECK (streq (d.nics[1].network, "Backup Net"), "networkName |20 escape");
    CHECK (streq (d.nics[1].model, "e1000e"), "ethernet1 e1000e");
  }
  vmdesc_free (&d);
  CHECK (d.name == NULL && d.disks == NULL && d.nr_disks == 0,
         "vmdesc_free resets");
}

static void
test_defaults (void)
{
  struct vmdesc d;
  const char *t =
    "#!/usr/bin/vmware\n"
    "\n"
    "   # indented comment\n"
    "DISPLAYNAME=plain\r\n"
    "ide0:0.present=\"true\"\r\n"
    "ide0:0.fileName=\"disk.VMDK\"\r\n"
    "ide0:0.deviceType = \"ata-hardDisk\"\r\n"
    "ide1:0.fileName =\n"
    "ide1:0.present = \"TRUE\"\n"
    "ide1:0.deviceType = \"cdrom-raw\"\n"
    "ethernet0.present = \"True\"\n"
    "ethernet0.connectionType = \"nat\"\n"
    "memsize = \"1024\"\n"
    "memsize = \"2048\"\n";

  CHECK (parse (t, &d) == 0, "minimal VMX parses");
  CHECK (streq (d.name, "plain"), "unquoted value, uppercase key, no spaces");
  CHECK (d.vcpus == 1, "numvcpus defaults to 1");
  CHECK (d.memory == UINT64_C(2048) << 20, "duplicate key: last wins");
  CHECK (d.firmware == FIRMWARE_BIOS, "firmware defaults to BIOS");
  CHECK (d.os == NULL, "no guestOS");
  CHECK (d.nr_disks == 1 && streq (d.disks[0].file, "disk.VMDK") &&
         streq (d.disks[0].bus, "ide") && d.disks[0].unit == 0,
         "IDE ata-hardDisk, CRLF, .VMDK in capitals");
  CHECK (d.nr_nics == 1 && d.nics[0].mac == NULL &&
         d.nics[0].network == NULL && streq (d.nics[0].model, "vlance"),
         "NIC without address: no MAC, no network, vlance");
  vmdesc_free (&d);

  /* Controller not present, disk present missing, other device types. */
  t = "scsi0.present = \"FALSE\"\n"
    "scsi0:0.present = \"TRUE\"\n"
    "scsi0:0.fileName = \"off.vmdk\"\n"
    "scsi1:0.fileName = \"nopresent.vmdk\"\n"
    "sata0:1.present = \"TRUE\"\n"
    "sata0:1.deviceType = \"disk\"\n"
    "sata0:1.fileName = \"sata.vmdk\"\n"
    "sata0:0.present = \"TRUE\"\n"
    "sata0:0.deviceType = \"plainDisk\"\n"
    "sata0:0.fileName = \"flat.vmdk\"\n"
    "scsi2:3.present = \"TRUE\"\n"
    "scsi2:3.deviceType = \"scsi-passthru\"\n"
    "scsi2:3.fileName = \"/vmfs/devices/genscsi/tape.vmdk\"\n"
    "scsi3:0.present = \"TRUE\"\n"
    "scsi3:0.fileName = \"image.iso\"\n"
    "scsi10:15.present = \"TRUE\"\n"
    "scsi10:15.fileName = \"high.vmdk\"\n"
    "firmware = \"BIOS\"\n";
  CHECK (parse (t, &d) == 0, "controller/presence variants parse");
  CHECK (d.firmware == FIRMWARE_BIOS, "firmware bios");
  CHECK (d.nr_disks == 3, "only present disks of disk types");
  if (d.nr_disks == 3) {
    CHECK (streq (d.disks[0].file, "high.vmdk") && d.disks[0].controller == 10 &&
           d.disks[0].unit == 15, "scsi10:15 (scsi sorts before sata)");
    CHECK (streq (d.disks[1].file, "flat.vmdk") && streq (d.disks[1].bus, "sata"),
           "sata0:0 plainDisk");
    CHECK (streq (d.disks[2].file, "sata.vmdk") && d.disks[2].unit == 1,
           "sata0:1 disk");
  }
  CHECK (d.name == NULL, "no displayName: NULL name");
  CHECK (d.nr_nics == 0 && d.nics == NULL, "no NICs");
  vmdesc_free (&d);

  /* A UTF-8 byte order mark and an empty quoted value. */
  t = "\xef\xbb\xbf.encoding = \"UTF-8\"\ndisplayName = \"\"\n"
    "scsi0:0.present = \"TRUE\"\nscsi0:0.fileName = \"caf\xc3\xa9.vmdk\"";
  CHECK (parse (t, &d) == 0 && d.name == NULL && d.nr_disks == 1 &&
         streq (d.disks[0].file, "caf\xc3\xa9.vmdk"),
         "BOM, empty displayName, UTF-8 fileName, no final newline");
  vmdesc_free (&d);
}

static void
test_errors (void)
{
  struct vmdesc d;
  static const char nul_text[] = "displayName = \"a\"\nfoo\0bar = \"x\"\n";

  check_error ("displayName = \"bad |2G escape\"\nscsi0:0.present = \"TRUE\"\n",
               "parse VMX \"web01.vmx\" line 1: invalid escape in the value of "
               "\"displayName\"", "invalid escape |2G");
  check_error ("displayName = \"trailing |\"\n", "line 1: invalid escape",
               "escape cut short");
  check_error ("guestOS = \"x|00y\"\n", "|00", "|00 refused");
  check_error ("# comment\n\nconfig.version = \"8\"\nthis line has no equals\n",
               "parse VMX \"web01.vmx\" line 4: expected 'key = \"value\"' but "
               "there is no \"=\"", "line without '=' with its number");
  check_error ("config.version = \"8\"\n", "parse VMX \"web01.vmx\": no hard disk found",
               "no disks");
  check_error ("scsi0:0.present = \"TRUE\"\nscsi0:0.deviceType = \"cdrom-image\"\n"
               "scsi0:0.fileName = \"x.vmdk\"\n", "no hard disk found",
               "only a CD-ROM");
  check_error ("scsi0:0.present = \"TRUE\"\nscsi0:0.fileName = \"a.vmdk\"\n"
               "ethernet0.present = \"TRUE\"\n"
               "ethernet0.generatedAddress = \"00:50:56:zz:00:01\"\n",
               "line 4: \"ethernet0.generatedAddress\" is not a MAC address",
               "bad generated MAC");
  check_error ("scsi0:0.present = \"TRUE\"\nscsi0:0.fileName = \"a.vmdk\"\n"
               "ethernet0.present = \"TRUE\"\nethernet0.addressType = \"static\"\n"
               "ethernet0.address = \"00:50:56:00:01\"\n",
               "\"ethernet0.address\" is not a MAC address", "short static MAC");
  CHECK (vmx_parse (nul_text, sizeof nul_text - 1, "web01.vmx", &d) == -1 &&
         strstr (last_error (), "line 2: the file contains a NUL byte"),
         "NUL byte refused with its line");
  check_error ("displayName = \"unterminated\n", "has no closing quote",
               "unterminated quote");
  check_error ("displayName = \"a\" \"b\"\n", "unexpected text after the closing quote",
               "text after the closing quote");
  check_error ("displayName = a\"b\n", "stray double quote", "stray quote");
  check_error (" = \"x\"\n", "line 1: no key before", "empty key");
  check_error ("my key = \"x\"\n", "invalid character in the key", "space in key");
  check_error ("scsi0:0.present = \"yes\"\nscsi0:0.fileName = \"a.vmdk\"\n",
               "line 1: \"scsi0:0.present\" must be TRUE or FALSE", "bad boolean");
  check_error ("scsi0:300.present = \"TRUE\"\nscsi0:300.fileName = \"a.vmdk\"\n",
               "\"scsi0:300.fileName\": the controller and unit must be decimal",
               "unit out of range");
  check_error ("scsi00:1.fileName = \"a.vmdk\"\n", "must be decimal numbers",
               "leading zero");
  check_error ("ethernet999.present = \"TRUE\"\n", "network adapter number",
               "NIC number out of range");
  check_error ("numvcpus = \"two\"\nscsi0:0.present = \"TRUE\"\n"
               "scsi0:0.fileName = \"a.vmdk\"\n",
               "line 1: \"numvcpus\" is not a number", "bad numvcpus");
  check_error ("numvcpus = \"0\"\n", "\"numvcpus\" must be from 1 to 65535",
               "zero vcpus");
  check_error ("memsize = \"99999999999999999999\"\n", "\"memsize\" must be from 0 to",
               "memsize overflow");
  check_error ("memSize = \"17592186044416\"\n",
               "\"memSize\" must be from 0 to 17592186044415",
               "memsize * MiB overflows 64 bits");
  check_error ("firmware = \"coreboot\"\n", "unknown firmware \"coreboot\"",
               "unknown firmware");
  check_error ("KDMV\x01\0\0\0", "this is a VMDK disk image", "VMDK given as VMX");
  check_error ("# Disk DescriptorFile\nversion=1\n", "VMDK disk descriptor",
               "VMDK descriptor given as VMX");
  check_error ("  <?xml version=\"1.0\"?>\n<domain/>\n", "an XML document",
               "XML given as VMX");
  check_error ("", "no hard disk found", "empty file");

  /* Too many disks. */
  {
    size_t n = 0, cap = 1100 * 80;
    char *t = malloc (cap);
    if (t == NULL)
      abort ();
    for (int c = 0; c < 5; c++)
      for (int u = 0; u < 220; u++)
        n += snprintf (t + n, cap - n, "sata%d:%d.present = \"TRUE\"\n"
                       "sata%d:%d.fileName = \"d.vmdk\"\n", c, u, c, u);
    check_error (t, "parse VMX \"web01.vmx\": more than 1024 hard disks",
                 "disk limit");
    free (t);
  }
}

int
main (void)
{
  test_vsphere7 ();
  test_defaults ();
  test_errors ();
  printf ("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
