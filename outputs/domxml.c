/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: the libvirt domain XML for converted guests. */

#include <config.h>

#include <string.h>

#include <libxml/xmlwriter.h>

#include "outputs.h"

/* Fixed PCI slots on the i440fx ("pc") machine: slot 1 is the PIIX3,
 * slot 2 the VGA.  NIC i sits at 3+i so that the guest names it ens3,
 * ens4 ... (guestfix relies on this), the disks follow.
 */
#define FIRST_SLOT 3

static void
pci_address (xmlTextWriterPtr w, unsigned slot)
{
  char s[8];

  snprintf (s, sizeof s, "0x%02x", slot);
  xmlTextWriterStartElement (w, BAD_CAST "address");
  xmlTextWriterWriteAttribute (w, BAD_CAST "type", BAD_CAST "pci");
  xmlTextWriterWriteAttribute (w, BAD_CAST "domain", BAD_CAST "0x0000");
  xmlTextWriterWriteAttribute (w, BAD_CAST "bus", BAD_CAST "0x00");
  xmlTextWriterWriteAttribute (w, BAD_CAST "slot", BAD_CAST s);
  xmlTextWriterWriteAttribute (w, BAD_CAST "function", BAD_CAST "0x0");
  xmlTextWriterEndElement (w);
}

static void
empty (xmlTextWriterPtr w, const char *name, const char *attr, const char *value)
{
  xmlTextWriterStartElement (w, BAD_CAST name);
  if (attr)
    xmlTextWriterWriteAttribute (w, BAD_CAST attr, BAD_CAST value);
  xmlTextWriterEndElement (w);
}

char *
domxml_build (const struct source *src, const char *name, enum firmware fw,
              uint64_t memory, unsigned vcpus, char *const *disk_paths,
              const char *disk_format)
{
  xmlBufferPtr buf = xmlBufferCreate ();
  xmlTextWriterPtr w = buf ? xmlNewTextWriterMemory (buf, 0) : NULL;
  unsigned slot = FIRST_SLOT;
  char *ret = NULL;
  char tmp[64];

  if (w == NULL) {
    error ("build libvirt XML: out of memory");
    if (buf)
      xmlBufferFree (buf);
    return NULL;
  }
  xmlTextWriterSetIndent (w, 1);
  xmlTextWriterSetIndentString (w, BAD_CAST "  ");
  xmlTextWriterStartDocument (w, NULL, NULL, NULL);
  xmlTextWriterStartElement (w, BAD_CAST "domain");
  xmlTextWriterWriteAttribute (w, BAD_CAST "type", BAD_CAST "kvm");
  xmlTextWriterWriteElement (w, BAD_CAST "name", BAD_CAST name);

  snprintf (tmp, sizeof tmp, "%llu", (unsigned long long) (memory / 1024));
  xmlTextWriterStartElement (w, BAD_CAST "memory");
  xmlTextWriterWriteAttribute (w, BAD_CAST "unit", BAD_CAST "KiB");
  xmlTextWriterWriteString (w, BAD_CAST tmp);
  xmlTextWriterEndElement (w);
  xmlTextWriterStartElement (w, BAD_CAST "currentMemory");
  xmlTextWriterWriteAttribute (w, BAD_CAST "unit", BAD_CAST "KiB");
  xmlTextWriterWriteString (w, BAD_CAST tmp);
  xmlTextWriterEndElement (w);
  snprintf (tmp, sizeof tmp, "%u", vcpus);
  xmlTextWriterWriteElement (w, BAD_CAST "vcpu", BAD_CAST tmp);

  xmlTextWriterStartElement (w, BAD_CAST "os");
  if (fw == FIRMWARE_UEFI)
    xmlTextWriterWriteAttribute (w, BAD_CAST "firmware", BAD_CAST "efi");
  xmlTextWriterStartElement (w, BAD_CAST "type");
  xmlTextWriterWriteAttribute (w, BAD_CAST "arch", BAD_CAST "x86_64");
  xmlTextWriterWriteAttribute (w, BAD_CAST "machine", BAD_CAST "pc");
  xmlTextWriterWriteString (w, BAD_CAST "hvm");
  xmlTextWriterEndElement (w);
  empty (w, "boot", "dev", "hd");
  xmlTextWriterEndElement (w);

  xmlTextWriterStartElement (w, BAD_CAST "features");
  empty (w, "acpi", NULL, NULL);
  empty (w, "apic", NULL, NULL);
  xmlTextWriterEndElement (w);
  empty (w, "cpu", "mode", "host-model");
  empty (w, "clock", "offset", "utc");
  xmlTextWriterWriteElement (w, BAD_CAST "on_poweroff", BAD_CAST "destroy");
  xmlTextWriterWriteElement (w, BAD_CAST "on_reboot", BAD_CAST "restart");
  xmlTextWriterWriteElement (w, BAD_CAST "on_crash", BAD_CAST "restart");

  xmlTextWriterStartElement (w, BAD_CAST "devices");
  for (size_t i = 0; i < src->nr_nics; i++) {
    xmlTextWriterStartElement (w, BAD_CAST "interface");
    const struct source_nic *n = &src->nics[i];
    const char *kind = n->bridge ? "bridge" : "network";

    xmlTextWriterWriteAttribute (w, BAD_CAST "type", BAD_CAST kind);
    if (n->mac)
      empty (w, "mac", "address", n->mac);
    empty (w, "source", kind,
           n->map ? n->map : n->network ? n->network : "default");
    empty (w, "model", "type", "virtio");
    pci_address (w, slot++);
    xmlTextWriterEndElement (w);
  }
  for (size_t i = 0; i < src->nr_disks; i++) {
    char dev[16];
    snprintf (dev, sizeof dev, "vd%c", (char) ('a' + (i % 26)));
    xmlTextWriterStartElement (w, BAD_CAST "disk");
    xmlTextWriterWriteAttribute (w, BAD_CAST "type", BAD_CAST "file");
    xmlTextWriterWriteAttribute (w, BAD_CAST "device", BAD_CAST "disk");
    xmlTextWriterStartElement (w, BAD_CAST "driver");
    xmlTextWriterWriteAttribute (w, BAD_CAST "name", BAD_CAST "qemu");
    xmlTextWriterWriteAttribute (w, BAD_CAST "type", BAD_CAST disk_format);
    xmlTextWriterWriteAttribute (w, BAD_CAST "discard", BAD_CAST "unmap");
    xmlTextWriterEndElement (w);
    empty (w, "source", "file", disk_paths[i]);
    xmlTextWriterStartElement (w, BAD_CAST "target");
    xmlTextWriterWriteAttribute (w, BAD_CAST "dev", BAD_CAST dev);
    xmlTextWriterWriteAttribute (w, BAD_CAST "bus", BAD_CAST "virtio");
    xmlTextWriterEndElement (w);
    pci_address (w, slot++);
    xmlTextWriterEndElement (w);
  }
  xmlTextWriterStartElement (w, BAD_CAST "serial");
  xmlTextWriterWriteAttribute (w, BAD_CAST "type", BAD_CAST "pty");
  xmlTextWriterEndElement (w);
  xmlTextWriterStartElement (w, BAD_CAST "console");
  xmlTextWriterWriteAttribute (w, BAD_CAST "type", BAD_CAST "pty");
  xmlTextWriterEndElement (w);
  xmlTextWriterStartElement (w, BAD_CAST "input");
  xmlTextWriterWriteAttribute (w, BAD_CAST "type", BAD_CAST "tablet");
  xmlTextWriterWriteAttribute (w, BAD_CAST "bus", BAD_CAST "usb");
  xmlTextWriterEndElement (w);
  xmlTextWriterStartElement (w, BAD_CAST "graphics");
  xmlTextWriterWriteAttribute (w, BAD_CAST "type", BAD_CAST "vnc");
  xmlTextWriterWriteAttribute (w, BAD_CAST "autoport", BAD_CAST "yes");
  xmlTextWriterEndElement (w);
  xmlTextWriterStartElement (w, BAD_CAST "video");
  empty (w, "model", "type", "vga");
  xmlTextWriterEndElement (w);
  xmlTextWriterStartElement (w, BAD_CAST "rng");
  xmlTextWriterWriteAttribute (w, BAD_CAST "model", BAD_CAST "virtio");
  xmlTextWriterStartElement (w, BAD_CAST "backend");
  xmlTextWriterWriteAttribute (w, BAD_CAST "model", BAD_CAST "random");
  xmlTextWriterWriteString (w, BAD_CAST "/dev/urandom");
  xmlTextWriterEndElement (w);
  pci_address (w, slot++);
  xmlTextWriterEndElement (w);
  xmlTextWriterStartElement (w, BAD_CAST "memballoon");
  xmlTextWriterWriteAttribute (w, BAD_CAST "model", BAD_CAST "virtio");
  pci_address (w, slot++);
  xmlTextWriterEndElement (w);
  xmlTextWriterEndElement (w);  /* devices */
  xmlTextWriterEndElement (w);  /* domain */
  if (xmlTextWriterEndDocument (w) < 0) {
    error ("build libvirt XML: libxml2 writer failed");
    goto out;
  }
  xmlFreeTextWriter (w);
  w = NULL;
  ret = strdup ((const char *) xmlBufferContent (buf));
  if (ret == NULL)
    error ("build libvirt XML: %m");
 out:
  if (w)
    xmlFreeTextWriter (w);
  xmlBufferFree (buf);
  return ret;
}
