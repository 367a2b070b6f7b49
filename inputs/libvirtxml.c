/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: parse a libvirt domain XML document.
 *
 * What we read (libvirt's formatdomain documentation):
 *
 *   <domain type="kvm">
 *     <name>web01</name>
 *     <memory unit="KiB">4194304</memory>      (unit defaults to KiB)
 *     <vcpu placement="static">2</vcpu>         (defaults to 1)
 *     <metadata>
 *       <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
 *         <libosinfo:os id="http://redhat.com/rhel/9.2"/>
 *       </libosinfo:libosinfo>
 *     </metadata>
 *     <os firmware="efi"> or <os><loader type="pflash">OVMF_CODE.fd</loader>
 *     <devices>
 *       <disk type="file" device="disk">
 *         <driver name="qemu" type="qcow2"/>
 *         <source file="/var/lib/libvirt/images/web01.qcow2"/>
 *         <target dev="vda" bus="virtio"/>
 *         <address type="drive" controller="0" bus="0" target="0" unit="1"/>
 *       </disk>
 *       <interface type="network">
 *         <mac address="52:54:00:12:34:56"/>
 *         <source network="default"/>
 *         <model type="virtio"/>
 *       </interface>
 *
 * Elements of the domain itself have no namespace; namespaced elements
 * (application metadata, <qemu:commandline>) are not domain elements.
 *
 * XML safety (xmlsafe.c): no network access, no DTD loading, no entity
 * substitution, and a document with a DOCTYPE is refused as soon as
 * the parser sees it, before its internal subset is read.  libxml2's
 * messages are captured instead of going to stderr.
 */

#include <config.h>

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "inputs.h"

#define LIBOSINFO_NS "http://libosinfo.org/xmlns/libvirt/domain/1.0"

/* Far more than a VM can have; keeps sorting the disks cheap. */
#define MAX_DISKS 1024

struct lx {
  const char *label;
};

/* First child element 'name' in no namespace. */
static xmlNodePtr
child (xmlNodePtr n, const char *name)
{
  for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE && c->ns == NULL &&
        strcmp ((const char *) c->name, name) == 0)
      return c;
  return NULL;
}

static bool
is_elem (xmlNodePtr n, const char *name)
{
  return n->type == XML_ELEMENT_NODE && n->ns == NULL &&
    strcmp ((const char *) n->name, name) == 0;
}

static int
nomem (const struct lx *x)
{
  error ("parse libvirt XML \"%s\": %m", x->label);
  return -1;
}

/* Attribute 'name' (no namespace) of n as a malloc'd copy in *out, or
 * NULL if absent.
 */
static int
get_attr (const struct lx *x, xmlNodePtr n, const char *name, char **out)
{
  xmlChar *v;

  *out = NULL;
  if (n == NULL || xmlHasNsProp (n, BAD_CAST name, NULL) == NULL)
    return 0;
  v = xmlGetNoNsProp (n, BAD_CAST name);
  if (v == NULL)
    return nomem (x);
  *out = strdup ((const char *) v);
  xmlFree (v);
  return *out ? 0 : nomem (x);
}

/* Text content of n as a malloc'd copy, NULL if n is NULL. */
static int
get_text (const struct lx *x, xmlNodePtr n, char **out)
{
  xmlChar *v;

  *out = NULL;
  if (n == NULL)
    return 0;
  v = xmlNodeGetContent (n);
  if (v == NULL)
    return nomem (x);
  *out = strdup ((const char *) v);
  xmlFree (v);
  return *out ? 0 : nomem (x);
}

/* ---------------------------------------------------------------- */
/* Domain properties */

/* libvirt's scaled integers: b, bytes; k, KiB (1024); KB (1000); and
 * likewise M, G, T, P, E.  Like libvirt we ignore the case.
 */
static int
unit_scale (const char *unit, uint64_t *scale)
{
  static const char prefixes[] = "kmgtpe";
  const char *p;
  uint64_t base;

  if (unit == NULL) {
    *scale = 1024;
    return 0;
  }
  if (strcasecmp (unit, "b") == 0 || strcasecmp (unit, "byte") == 0 ||
      strcasecmp (unit, "bytes") == 0) {
    *scale = 1;
    return 0;
  }
  if (unit[0] == '\0' ||
      (p = strchr (prefixes, tolower ((unsigned char) unit[0]))) == NULL)
    return -1;
  if (unit[1] == '\0' || strcasecmp (unit + 1, "ib") == 0)
    base = 1024;
  else if (strcasecmp (unit + 1, "b") == 0)
    base = 1000;
  else
    return -1;
  *scale = 1;
  for (const char *q = prefixes; q <= p; q++)
    *scale *= base;
  return 0;
}

static int
parse_memory (const struct lx *x, xmlNodePtr dom, struct vmdesc *d)
{
  xmlNodePtr mem = child (dom, "memory");
  CLEANUP_FREE char *unit = NULL;
  CLEANUP_FREE char *text = NULL;
  uint64_t n, scale;

  if (mem == NULL)
    return 0;
  if (get_attr (x, mem, "unit", &unit) == -1 ||
      get_text (x, mem, &text) == -1)
    return -1;
  if (unit_scale (unit, &scale) == -1) {
    error ("parse libvirt XML \"%s\": <memory>: unknown unit \"%s\"",
           x->label, xml_printable (unit));
    return -1;
  }
  if (xml_parse_dec (text, UINT64_MAX, &n) == -1) {
    error ("parse libvirt XML \"%s\": <memory> is not a number", x->label);
    return -1;
  }
  if (n > UINT64_MAX / scale) {
    error ("parse libvirt XML \"%s\": <memory> is too large", x->label);
    return -1;
  }
  d->memory = n * scale;
  return 0;
}

static int
parse_vcpus (const struct lx *x, xmlNodePtr dom, struct vmdesc *d)
{
  xmlNodePtr vcpu = child (dom, "vcpu");
  CLEANUP_FREE char *text = NULL;
  uint64_t n;

  d->vcpus = 1;                 /* libvirt's default */
  if (vcpu == NULL)
    return 0;
  if (get_text (x, vcpu, &text) == -1)
    return -1;
  if (xml_parse_dec (text, 65535, &n) == -1 || n == 0) {
    error ("parse libvirt XML \"%s\": <vcpu> must be a number from 1 to "
           "65535", x->label);
    return -1;
  }
  d->vcpus = n;
  return 0;
}

static int
parse_firmware (const struct lx *x, xmlNodePtr dom, struct vmdesc *d)
{
  xmlNodePtr os = child (dom, "os");
  xmlNodePtr loader = child (os, "loader");
  CLEANUP_FREE char *fw = NULL;
  CLEANUP_FREE char *type = NULL;
  CLEANUP_FREE char *path = NULL;

  d->firmware = FIRMWARE_BIOS;
  if (get_attr (x, os, "firmware", &fw) == -1)
    return -1;
  if (fw) {
    if (strcmp (fw, "efi") == 0)
      d->firmware = FIRMWARE_UEFI;
    else if (strcmp (fw, "bios") != 0) {
      error ("parse libvirt XML \"%s\": <os firmware=\"%s\">: unknown "
             "firmware (expected \"bios\" or \"efi\")", x->label,
             xml_printable (fw));
      return -1;
    }
    return 0;
  }
  if (loader == NULL)
    return 0;
  if (get_attr (x, loader, "type", &type) == -1 ||
      get_text (x, loader, &path) == -1)
    return -1;
  /* A pflash loader is UEFI's split code/vars layout; an OVMF / AAVMF /
   * edk2 image loaded as a ROM is UEFI too.
   */
  if ((type && strcmp (type, "pflash") == 0) ||
      strcasestr (path, "ovmf") || strcasestr (path, "aavmf") ||
      strcasestr (path, "edk2") || strcasestr (path, "efi"))
    d->firmware = FIRMWARE_UEFI;
  return 0;
}

static int
parse_os (const struct lx *x, xmlNodePtr dom, struct vmdesc *d)
{
  xmlNodePtr meta = child (dom, "metadata");

  for (xmlNodePtr m = meta ? meta->children : NULL; m; m = m->next) {
    if (m->type != XML_ELEMENT_NODE || m->ns == NULL || m->ns->href == NULL ||
        strcmp ((const char *) m->ns->href, LIBOSINFO_NS) != 0 ||
        strcmp ((const char *) m->name, "libosinfo") != 0)
      continue;
    for (xmlNodePtr o = m->children; o; o = o->next) {
      if (o->type != XML_ELEMENT_NODE || o->ns == NULL ||
          o->ns->href == NULL ||
          strcmp ((const char *) o->ns->href, LIBOSINFO_NS) != 0 ||
          strcmp ((const char *) o->name, "os") != 0)
        continue;
      if (get_attr (x, o, "id", &d->os) == -1)
        return -1;
      if (d->os && d->os[0] == '\0') {
        free (d->os);
        d->os = NULL;
      }
      return 0;
    }
  }
  return 0;
}

/* ---------------------------------------------------------------- */
/* Disks */

/* The index of a disk name like "vdb" (1), "sdaa" (26), "hdc" (2), or
 * -1.  The letters are a bijective base-26 number, as in libvirt.
 */
static int
dev_index (const char *dev)
{
  static const char *const prefixes[] = { "xvd", "hd", "sd", "vd", "ubd" };
  long idx = 0;
  const char *p = NULL;

  if (dev == NULL)
    return -1;
  for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
    size_t n = strlen (prefixes[i]);
    if (strncmp (dev, prefixes[i], n) == 0) {
      p = dev + n;
      break;
    }
  }
  if (p == NULL || *p == '\0')
    return -1;
  for (; *p; p++) {
    if (*p < 'a' || *p > 'z' || idx > 100000)
      return -1;
    idx = idx * 26 + (*p - 'a' + 1);
  }
  return (int) idx - 1;
}

static const char *
bus_of_dev (const char *dev)
{
  if (dev == NULL)
    return NULL;
  if (strncmp (dev, "vd", 2) == 0)
    return "virtio";
  if (strncmp (dev, "sd", 2) == 0)
    return "scsi";
  if (strncmp (dev, "hd", 2) == 0)
    return "ide";
  if (strncmp (dev, "xvd", 3) == 0)
    return "xen";
  return NULL;
}

/* A drive address attribute: absent is 0. */
static int
addr_num (const struct lx *x, const char *name, xmlNodePtr addr,
          const char *attr, int *out)
{
  CLEANUP_FREE char *s = NULL;
  uint64_t n;

  *out = 0;
  if (get_attr (x, addr, attr, &s) == -1)
    return -1;
  if (s == NULL)
    return 0;
  if (xml_parse_dec (s, 65535, &n) == -1) {
    error ("parse libvirt XML \"%s\": disk %s: <address %s=\"%s\">: "
           "not a number", x->label, name, attr, xml_printable (s));
    return -1;
  }
  *out = n;
  return 0;
}

static int
parse_disk (const struct lx *x, xmlNodePtr disk, size_t pos, struct vmdesc *d)
{
  xmlNodePtr target = child (disk, "target");
  xmlNodePtr source = child (disk, "source");
  xmlNodePtr addr = child (disk, "address");
  CLEANUP_FREE char *type = NULL;
  CLEANUP_FREE char *device = NULL;
  CLEANUP_FREE char *dev = NULL;
  CLEANUP_FREE char *bus = NULL;
  CLEANUP_FREE char *file = NULL;
  CLEANUP_FREE char *format = NULL;
  CLEANUP_FREE char *addr_type = NULL;
  struct vmdesc_disk *nd, *out;
  char name[80];
  const char *src_attr;

  if (get_attr (x, disk, "type", &type) == -1 ||
      get_attr (x, disk, "device", &device) == -1 ||
      get_attr (x, target, "dev", &dev) == -1 ||
      get_attr (x, target, "bus", &bus) == -1 ||
      get_attr (x, child (disk, "driver"), "type", &format) == -1 ||
      get_attr (x, addr, "type", &addr_type) == -1)
    return -1;
  if (dev && dev[0] && strcmp (xml_printable (dev), dev) == 0)
    snprintf (name, sizeof name, "%s", dev);
  else
    snprintf (name, sizeof name, "#%zu", pos);

  if (device && (strcmp (device, "cdrom") == 0 ||
                 strcmp (device, "floppy") == 0)) {
    debug ("libvirt XML \"%s\": removable disk %s skipped", x->label, name);
    return 0;
  }
  if (device && strcmp (device, "disk") != 0 && strcmp (device, "lun") != 0) {
    error ("parse libvirt XML \"%s\": disk %s: unknown device \"%s\"",
           x->label, name, xml_printable (device));
    return -1;
  }

  if (type == NULL || strcmp (type, "file") == 0)
    src_attr = "file";
  else if (strcmp (type, "block") == 0)
    src_attr = "dev";
  else if (strcmp (type, "network") == 0) {
    error ("parse libvirt XML \"%s\": disk %s: network disks (rbd, iscsi, "
           "nbd, gluster, http ...) are not supported; copy it to a file "
           "first", x->label, name);
    return -1;
  }
  else if (strcmp (type, "volume") == 0) {
    error ("parse libvirt XML \"%s\": disk %s: storage pool volumes are "
           "not supported; use the volume's path (virsh vol-path) as a "
           "<disk type=\"file\"> or <disk type=\"block\">", x->label, name);
    return -1;
  }
  else {
    error ("parse libvirt XML \"%s\": disk %s: disks of type \"%s\" are "
           "not supported", x->label, name, xml_printable (type));
    return -1;
  }
  if (get_attr (x, source, src_attr, &file) == -1)
    return -1;
  if (file == NULL || file[0] == '\0') {
    error ("parse libvirt XML \"%s\": disk %s has no <source %s=...>",
           x->label, name, src_attr);
    return -1;
  }

  if (d->nr_disks == MAX_DISKS) {
    error ("parse libvirt XML \"%s\": more than %d disks", x->label,
           MAX_DISKS);
    return -1;
  }
  nd = realloc (d->disks, (d->nr_disks + 1) * sizeof *nd);
  if (nd == NULL)
    return nomem (x);
  d->disks = nd;
  out = &d->disks[d->nr_disks++];
  memset (out, 0, sizeof *out);
  out->file = file;
  file = NULL;
  if (format && strcmp (format, "aio") == 0)   /* old Xen name for raw */
    strcpy (format, "raw");
  out->format = format;
  format = NULL;
  if (bus == NULL && bus_of_dev (dev) && (bus = strdup (bus_of_dev (dev))) == NULL)
    return nomem (x);
  out->bus = bus;
  bus = NULL;

  if (addr && addr_type && strcmp (addr_type, "drive") == 0) {
    int ctrl, abus, unit;
    if (addr_num (x, name, addr, "controller", &ctrl) == -1 ||
        addr_num (x, name, addr, "bus", &abus) == -1 ||
        addr_num (x, name, addr, "unit", &unit) == -1)
      return -1;
    out->controller = ctrl;
    /* IDE: two channels (bus) of master and slave (unit). */
    out->unit = out->bus && strcmp (out->bus, "ide") == 0 ? abus * 2 + unit : unit;
  }
  else {
    out->unit = dev_index (dev);
    out->controller = out->unit >= 0 ? 0 : -1;
  }
  return 0;
}

/* ---------------------------------------------------------------- */
/* Network interfaces */

static int
parse_interface (const struct lx *x, xmlNodePtr iface, struct vmdesc *d)
{
  xmlNodePtr source = child (iface, "source");
  CLEANUP_FREE char *type = NULL;
  CLEANUP_FREE char *mac = NULL;
  struct vmdesc_nic *nn, *nic;

  if (get_attr (x, iface, "type", &type) == -1)
    return -1;
  if (type == NULL ||
      (strcmp (type, "network") != 0 && strcmp (type, "bridge") != 0 &&
       strcmp (type, "direct") != 0 && strcmp (type, "user") != 0 &&
       strcmp (type, "ethernet") != 0)) {
    warning ("libvirt XML \"%s\": <interface type=\"%s\"> ignored",
             x->label, xml_printable (type));
    return 0;
  }

  nn = realloc (d->nics, (d->nr_nics + 1) * sizeof *nn);
  if (nn == NULL)
    return nomem (x);
  d->nics = nn;
  nic = &d->nics[d->nr_nics++];
  memset (nic, 0, sizeof *nic);

  if (get_attr (x, child (iface, "mac"), "address", &mac) == -1)
    return -1;
  if (mac) {
    nic->mac = mac_normalise (mac);
    if (nic->mac == NULL) {
      error ("parse libvirt XML \"%s\": <mac address=\"%s\">: not a MAC "
             "address", x->label, xml_printable (mac));
      return -1;
    }
  }
  if (strcmp (type, "network") == 0 &&
      get_attr (x, source, "network", &nic->network) == -1)
    return -1;
  if (strcmp (type, "bridge") == 0 &&
      get_attr (x, source, "bridge", &nic->network) == -1)
    return -1;
  if (get_attr (x, child (iface, "model"), "type", &nic->model) == -1)
    return -1;
  return 0;
}

/* ---------------------------------------------------------------- */

static int
parse_domain (const struct lx *x, xmlNodePtr dom, struct vmdesc *d)
{
  xmlNodePtr devices = child (dom, "devices");
  size_t pos = 0;

  if (get_text (x, child (dom, "name"), &d->name) == -1)
    return -1;
  if (d->name == NULL || d->name[0] == '\0') {
    error ("parse libvirt XML \"%s\": <domain> has no <name>", x->label);
    return -1;
  }
  if (parse_memory (x, dom, d) == -1 ||
      parse_vcpus (x, dom, d) == -1 ||
      parse_firmware (x, dom, d) == -1 ||
      parse_os (x, dom, d) == -1)
    return -1;

  for (xmlNodePtr c = devices ? devices->children : NULL; c; c = c->next) {
    if (is_elem (c, "disk")) {
      if (parse_disk (x, c, ++pos, d) == -1)
        return -1;
    }
    else if (is_elem (c, "interface")) {
      if (parse_interface (x, c, d) == -1)
        return -1;
    }
  }
  if (d->nr_disks == 0) {
    error ("parse libvirt XML \"%s\": no hard disk found", x->label);
    return -1;
  }
  vmdesc_sort_disks (d);
  return 0;
}

int
libvirtxml_parse (const char *xml, size_t len, const char *label,
                  struct vmdesc *d)
{
  struct lx x = { .label = label };
  xmlDocPtr doc;
  xmlNodePtr root;
  int r = -1;

  memset (d, 0, sizeof *d);
  doc = xml_read_untrusted (xml, len, "libvirt XML", label, NULL);
  if (doc == NULL)
    return -1;
  root = xmlDocGetRootElement (doc);
  if (root == NULL || !is_elem (root, "domain")) {
    error ("parse libvirt XML \"%s\": the root element is <%s>%s, not "
           "<domain> (is this a libvirt domain XML?)", label,
           root ? xml_printable ((const char *) root->name) : "",
           root && root->ns ? " in a namespace" : "");
    goto out;
  }
  r = parse_domain (&x, root, d);
 out:
  xmlFreeDoc (doc);
  if (r == -1)
    vmdesc_free (d);
  return r;
}
