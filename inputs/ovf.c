/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: parse an OVF descriptor (the .ovf of an OVA or OVF export).
 *
 * What we read (DMTF DSP0243 1.x and 2.x, VMware's OVF 0.9, and what
 * vSphere's ovftool and VirtualBox write):
 *
 *   <Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" ...>
 *     <References> <File ovf:id ovf:href ovf:size [ovf:compression="gzip"]>
 *     <DiskSection> <Disk ovf:diskId ovf:fileRef ovf:capacity
 *                         ovf:capacityAllocationUnits="byte * 2^30">
 *     <DeploymentOptionSection> <Configuration ovf:id ovf:default>
 *     <VirtualSystem ovf:id> (or several in VirtualSystemCollections)
 *       <Name> <OperatingSystemSection ovf:id vmw:osType>
 *       <VirtualHardwareSection>
 *         <Item> (<StorageItem>, <EthernetPortItem> in 2.x) whose
 *           ResourceType is 3 CPUs, 4 memory, 5 IDE, 6 SCSI, 20 other
 *           storage (SATA, NVMe), 17 hard disk, 10 network adapter
 *         <vmw:Config vmw:key="firmware" vmw:value="efi">
 *
 * The envelope namespace is ".../ovf/envelope/1" (1.x), "/2" (2.x) or
 * VMware's "http://www.vmware.com/schema/ovf/1/envelope" (0.9, where
 * sections are <Section xsi:type="ovf:DiskSection_Type">, the system
 * is <Content xsi:type="ovf:VirtualSystem_Type">, and items have
 * InstanceId and Caption for InstanceID and ElementName).  Elements
 * and ovf: attributes are matched by local name in one of these
 * namespaces or none; item properties in any CIM schema namespace
 * (rasd, sasd, epasd, with or without a ".xsd" suffix) or none.
 *
 * The document is read by xmlsafe.c: no network, no DTD loading, no
 * entity substitution; a DOCTYPE is refused as soon as the parser sees
 * it, before its internal subset is read; libxml2's messages are captured.
 * Ids are looked up in sorted tables: a hostile document costs
 * O(n log n).  Empty attributes and elements count as absent.
 */

#include <config.h>

#include <ctype.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "inputs.h"

static const char *const envelope_ns[] = {
  "http://schemas.dmtf.org/ovf/envelope/1",
  "http://schemas.dmtf.org/ovf/envelope/2",
  "http://www.vmware.com/schema/ovf/1/envelope",
};
#define NR_ENVELOPE_NS (sizeof envelope_ns / sizeof envelope_ns[0])
#define CIM_NS "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
#define VMW_NS "http://www.vmware.com/schema/ovf"
#define XSI_NS "http://www.w3.org/2001/XMLSchema-instance"

/* An id and what it names: a <File>, a <Disk>, a controller item. */
struct ref {
  char *id;                     /* (owned) */
  void *p;
  bool used;
};
struct refs {
  struct ref *r;
  size_t nr;
};

struct ox {
  const char *label;
  char *config;                 /* deployment configuration or NULL (owned) */
  struct refs files, disks;
};

/* The item properties we use (InstanceId and Caption are 0.9's). */
enum { P_TYPE, P_ID, P_PARENT, P_ADDRESS, P_AOP, P_HOST, P_CONN, P_SUBTYPE,
       P_QUANTITY, P_UNITS, P_NAME, P_CAPTION, NR_PROPS };
static const struct { const char *name; int prop; } item_props[] = {
  { "ResourceType", P_TYPE }, { "InstanceID", P_ID }, { "InstanceId", P_ID },
  { "Parent", P_PARENT }, { "Address", P_ADDRESS },
  { "AddressOnParent", P_AOP }, { "HostResource", P_HOST },
  { "Connection", P_CONN }, { "ResourceSubType", P_SUBTYPE },
  { "VirtualQuantity", P_QUANTITY }, { "AllocationUnits", P_UNITS },
  { "ElementName", P_NAME }, { "Caption", P_CAPTION },
};

struct item {
  char *p[NR_PROPS];            /* trimmed text or NULL (owned) */
  uint64_t type;                /* ResourceType */
  const char *bus;              /* controllers: "ide" "scsi" "sata" "nvme" or NULL */
  int index;                    /* controllers: index on that bus */
};

/* ---------------------------------------------------------------- */
/* Helpers */

/* error() with the "parse OVF \"LABEL\": " prefix; returns -1. */
static int __attribute__ ((format (printf, 2, 3)))
fail (const struct ox *x, const char *fs, ...)
{
  char msg[900];
  va_list args;

  va_start (args, fs);
  vsnprintf (msg, sizeof msg, fs, args);
  va_end (args);
  error ("parse OVF \"%s\": %s", x->label, msg);
  return -1;
}
#define nomem(x) fail ((x), "%m")

static bool
is_envelope_ns (xmlNsPtr ns)
{
  for (size_t i = 0; ns && ns->href && i < NR_ENVELOPE_NS; i++)
    if (strcmp ((const char *) ns->href, envelope_ns[i]) == 0)
      return true;
  return ns == NULL;
}

/* An OVF element: local name 'name' in an envelope namespace or none. */
static bool
is_ovf (xmlNodePtr n, const char *name)
{
  return n && n->type == XML_ELEMENT_NODE && is_envelope_ns (n->ns) &&
    strcmp ((const char *) n->name, name) == 0;
}

/* Take v (from libxml2): *out is a trimmed malloc'd copy, NULL if v is
 * NULL or blank.
 */
static int
take (const struct ox *x, xmlChar *v, char **out)
{
  size_t i = 0, n;

  *out = NULL;
  if (v == NULL)
    return 0;
  n = strlen ((const char *) v);
  while (n > 0 && isspace (v[n - 1]))
    n--;
  while (i < n && isspace (v[i]))
    i++;
  if (i < n && (*out = strndup ((const char *) v + i, n - i)) == NULL) {
    xmlFree (v);
    return nomem (x);
  }
  xmlFree (v);
  return 0;
}

/* Attribute 'name' of n in namespace ns (NULL: none). */
static int
attr_ns (const struct ox *x, xmlNodePtr n, const char *ns, const char *name,
         char **out)
{
  *out = NULL;
  if (n == NULL || xmlHasNsProp (n, BAD_CAST name, BAD_CAST ns) == NULL)
    return 0;
  return take (x, ns ? xmlGetNsProp (n, BAD_CAST name, BAD_CAST ns)
               : xmlGetNoNsProp (n, BAD_CAST name), out);
}

/* An ovf: attribute (any envelope namespace, or none). */
static int
ovf_attr (const struct ox *x, xmlNodePtr n, const char *name, char **out)
{
  for (size_t i = 0; i < NR_ENVELOPE_NS; i++)
    if (attr_ns (x, n, envelope_ns[i], name, out) == -1 || *out)
      return *out ? 0 : -1;
  return attr_ns (x, n, NULL, name, out);
}

/* A vmw: attribute, or one in no namespace. */
static int
vmw_attr (const struct ox *x, xmlNodePtr n, const char *name, char **out)
{
  if (attr_ns (x, n, VMW_NS, name, out) == -1)
    return -1;
  return *out ? 0 : attr_ns (x, n, NULL, name, out);
}

/* A section or system: <NAME>, or 0.9's <Section xsi:type="ovf:NAME_Type">
 * (<Content ...> for virtual systems and collections).
 */
static bool
is_section (const struct ox *x, xmlNodePtr n, const char *name)
{
  CLEANUP_FREE char *type = NULL;
  const char *t;
  size_t len = strlen (name);

  if (is_ovf (n, name))
    return true;
  if ((!is_ovf (n, "Section") && !is_ovf (n, "Content")) ||
      attr_ns (x, n, XSI_NS, "type", &type) == -1 || type == NULL)
    return false;
  t = strchr (type, ':') ? strchr (type, ':') + 1 : type;
  return strncmp (t, name, len) == 0 && strcmp (t + len, "_Type") == 0;
}

/* Bytes per allocation unit: DMTF programmatic units ("byte",
 * "byte * 2^20", "byte*10^3") and the names older exporters write
 * ("MegaBytes", "MB").  -1 if unknown, zero or too large.
 */
static int
parse_units (const char *s, uint64_t *scale)
{
  static const char *const names[] = { "KiloBytes", "MegaBytes", "GigaBytes",
                                        "TeraBytes" };
  static const char *const abbrevs[] = { "KB", "MB", "GB", "TB" };
  char *end;

  for (int i = 0; i < 4; i++)
    if (strcasecmp (s, names[i]) == 0 || strcasecmp (s, abbrevs[i]) == 0) {
      *scale = UINT64_C(1) << (10 * (i + 1));
      return 0;
    }
  if (strncasecmp (s, "byte", 4) != 0)
    return -1;
  s += 4 + (s[4] == 's' || s[4] == 'S');
  for (*scale = 1;;) {
    uint64_t base, exp = 1;

    s += strspn (s, " ");
    if (*s == '\0')
      return 0;
    if (*s++ != '*')
      return -1;
    s += strspn (s, " ");
    if (!isdigit ((unsigned char) *s) ||
        (base = strtoull (s, &end, 10)) == 0 || base > UINT32_MAX)
      return -1;
    s = end + strspn (end, " ");
    if (*s == '^') {
      s += 1 + strspn (s + 1, " ");
      if (!isdigit ((unsigned char) *s) || (exp = strtoull (s, &end, 10)) > 64)
        return -1;
      s = end;
    }
    for (; exp > 0; exp--) {
      if (*scale > UINT64_MAX / base)
        return -1;
      *scale *= base;
    }
  }
}

/* ---------------------------------------------------------------- */
/* Id tables */

static int
refs_add (const struct ox *x, struct refs *rs, const char *id, void *p)
{
  struct ref *nr = realloc (rs->r, (rs->nr + 1) * sizeof *nr);
  char *copy = strdup (id);

  if (nr)
    rs->r = nr;
  if (nr == NULL || copy == NULL) {
    free (copy);
    return nomem (x);
  }
  rs->r[rs->nr++] = (struct ref) { .id = copy, .p = p };
  return 0;
}

static int
ref_cmp (const void *a, const void *b)
{
  return strcmp (((const struct ref *) a)->id, ((const struct ref *) b)->id);
}

/* Sort; if 'what' is not NULL refuse duplicates, naming it. */
static int
refs_sort (const struct ox *x, struct refs *rs, const char *what)
{
  if (rs->nr > 1)
    qsort (rs->r, rs->nr, sizeof *rs->r, ref_cmp);
  for (size_t i = 1; what && i < rs->nr; i++)
    if (strcmp (rs->r[i - 1].id, rs->r[i].id) == 0)
      return fail (x, "%s \"%s\" is defined twice", what,
                   xml_printable (rs->r[i].id));
  return 0;
}

static struct ref *
refs_find (const struct refs *rs, const char *id)
{
  struct ref key = { .id = (char *) id };

  if (rs->nr == 0 || id == NULL)
    return NULL;
  return bsearch (&key, rs->r, rs->nr, sizeof *rs->r, ref_cmp);
}

static void
refs_free (struct refs *rs)
{
  for (size_t i = 0; i < rs->nr; i++)
    free (rs->r[i].id);
  free (rs->r);
}

/* ---------------------------------------------------------------- */
/* The envelope: References, DiskSection, DeploymentOptionSection */

static int
read_envelope (struct ox *x, xmlNodePtr env)
{
  for (xmlNodePtr s = env->children; s; s = s->next) {
    bool files = is_ovf (s, "References");
    bool disks = !files && is_section (x, s, "DiskSection");
    bool deploy = !files && !disks &&
      is_section (x, s, "DeploymentOptionSection");
    const char *elem = files ? "File" : disks ? "Disk" : "Configuration";

    for (xmlNodePtr c = s->children; (files || disks || deploy) && c;
         c = c->next) {
      CLEANUP_FREE char *def = NULL;
      CLEANUP_FREE char *id = NULL;

      if (!is_ovf (c, elem))
        continue;
      if (ovf_attr (x, c, disks ? "diskId" : "id", &id) == -1)
        return -1;
      if (id == NULL)
        return fail (x, "a <%s> has no ovf:%s", elem, disks ? "diskId" : "id");
      if (!deploy) {
        if (refs_add (x, files ? &x->files : &x->disks, id, c) == -1)
          return -1;
        continue;
      }
      /* The default configuration, else the first. */
      if (ovf_attr (x, c, "default", &def) == -1)
        return -1;
      if (x->config == NULL || (def && strcmp (def, "true") == 0)) {
        free (x->config);
        x->config = id;
        id = NULL;
      }
    }
  }
  return refs_sort (x, &x->files, "file") == -1 ||
    refs_sort (x, &x->disks, "disk") == -1 ? -1 : 0;
}

/* ---------------------------------------------------------------- */
/* Virtual hardware */

static const char *
item_name (const struct item *it)
{
  return xml_printable (it->p[P_NAME] ? it->p[P_NAME] :
                    it->p[P_CAPTION] ? it->p[P_CAPTION] : it->p[P_ID]);
}

/* Does item n apply: not a min or max bound, and in the deployment
 * configuration if it lists some?
 */
static int
item_applies (const struct ox *x, xmlNodePtr n, bool *applies)
{
  CLEANUP_FREE char *bound = NULL;
  CLEANUP_FREE char *conf = NULL;
  size_t len = x->config ? strlen (x->config) : 0;

  if (ovf_attr (x, n, "bound", &bound) == -1 ||
      ovf_attr (x, n, "configuration", &conf) == -1)
    return -1;
  *applies = !bound || (strcmp (bound, "min") != 0 &&
                        strcmp (bound, "max") != 0);
  if (*applies && conf && x->config) {
    *applies = false;
    for (const char *p = conf; *p; p += strspn (p, " \t\r\n")) {
      size_t w = strcspn (p, " \t\r\n");
      *applies |= w == len && strncmp (p, x->config, len) == 0;
      p += w;
    }
  }
  return 0;
}

static int
read_item (const struct ox *x, xmlNodePtr n, struct item *it)
{
  memset (it, 0, sizeof *it);
  it->index = -1;
  for (xmlNodePtr c = n->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE ||
        (c->ns && (c->ns->href == NULL ||
                   strncmp ((const char *) c->ns->href, CIM_NS,
                            strlen (CIM_NS)) != 0)))
      continue;
    for (size_t i = 0; i < sizeof item_props / sizeof item_props[0]; i++) {
      int p = item_props[i].prop;

      if (it->p[p] == NULL &&
          strcmp ((const char *) c->name, item_props[i].name) == 0 &&
          take (x, xmlNodeGetContent (c), &it->p[p]) == -1)
        return -1;
    }
  }
  if (it->p[P_TYPE] && xml_parse_dec (it->p[P_TYPE], 65535, &it->type) == -1)
    return fail (x, "item \"%s\": ResourceType \"%s\" is not a number",
                 item_name (it), xml_printable (it->p[P_TYPE]));
  return 0;
}

/* Storage controllers (5 IDE, 6 parallel SCSI, 7 FC, 8 iSCSI, 20 other
 * storage) and the bus we know them as.
 */
static bool
controller_bus (const struct item *it, const char **bus)
{
  const char *sub = it->p[P_SUBTYPE] ? it->p[P_SUBTYPE] : "";

  *bus = it->type == 5 ? "ide" : it->type == 6 ? "scsi" : NULL;
  if (it->type == 20 && strcasestr (sub, "nvme"))
    *bus = "nvme";
  else if (it->type == 20 && (strcasestr (sub, "sata") ||
                              strcasestr (sub, "ahci")))
    *bus = "sata";
  return (it->type >= 5 && it->type <= 8) || it->type == 20;
}

/* out's file, compression and file_size from the <File> 'id'. */
static int
add_file (const struct ox *x, const char *disk, const char *id,
          struct vmdesc_disk *out)
{
  struct ref *f = refs_find (&x->files, id);
  CLEANUP_FREE char *size = NULL;
  CLEANUP_FREE char *chunk = NULL;

  if (f == NULL)
    return fail (x, "disk \"%s\" refers to file \"%s\" which is not in "
                 "References", xml_printable (disk), xml_printable (id));
  if (ovf_attr (x, f->p, "href", &out->file) == -1 ||
      ovf_attr (x, f->p, "size", &size) == -1 ||
      ovf_attr (x, f->p, "compression", &out->compression) == -1 ||
      ovf_attr (x, f->p, "chunkSize", &chunk) == -1)
    return -1;
  if (out->file == NULL)
    return fail (x, "file \"%s\" has no ovf:href", xml_printable (id));
  if (size && xml_parse_dec (size, UINT64_MAX, &out->file_size) == -1)
    return fail (x, "file \"%s\": size \"%s\" is not a number",
                 xml_printable (id), xml_printable (size));
  if (out->compression && strcmp (out->compression, "identity") == 0) {
    free (out->compression);
    out->compression = NULL;
  }
  if (out->compression && strcmp (out->compression, "gzip") != 0)
    return fail (x, "file \"%s\": unsupported compression \"%s\" (only gzip "
                 "is supported)", xml_printable (id),
                 xml_printable (out->compression));
  if (chunk)
    return fail (x, "file \"%s\" is split into chunks (ovf:chunkSize), "
                 "which is not supported", xml_printable (id));
  return 0;
}

/* out's capacity and file from the <Disk> 'id'. */
static int
add_vdisk (const struct ox *x, const struct item *it, const char *id,
           struct vmdesc_disk *out)
{
  struct ref *r = refs_find (&x->disks, id);
  CLEANUP_FREE char *file = NULL;
  CLEANUP_FREE char *cap = NULL;
  CLEANUP_FREE char *units = NULL;
  uint64_t n = 0, scale = 1;

  if (r == NULL)
    return fail (x, "hard disk \"%s\" refers to disk \"%s\" which is not in "
                 "the DiskSection", item_name (it), xml_printable (id));
  if (r->used)
    return fail (x, "disk \"%s\" is attached twice", xml_printable (id));
  r->used = true;
  if (ovf_attr (x, r->p, "fileRef", &file) == -1 ||
      ovf_attr (x, r->p, "capacity", &cap) == -1 ||
      ovf_attr (x, r->p, "capacityAllocationUnits", &units) == -1)
    return -1;
  if (file == NULL)
    return fail (x, "disk \"%s\" has no file (an empty disk to be created "
                 "is not supported)", xml_printable (id));
  if (units && parse_units (units, &scale) == -1)
    return fail (x, "disk \"%s\": unknown capacity unit \"%s\"",
                 xml_printable (id), xml_printable (units));
  if (cap && xml_parse_dec (cap, UINT64_MAX, &n) == -1)
    return fail (x, "disk \"%s\": capacity \"%s\" is not a number",
                 xml_printable (id), xml_printable (cap));
  if (cap && n > UINT64_MAX / scale)
    return fail (x, "disk \"%s\": capacity \"%s\" * %s is too large",
                 xml_printable (id), xml_printable (cap),
                 xml_printable (units));
  out->capacity = cap ? n * scale : 0;
  return add_file (x, id, file, out);
}

static int
add_disk (const struct ox *x, const struct item *it, const struct refs *ctrls,
          struct vmdesc *d)
{
  static const char *const prefixes[] = {
    "ovf:/disk/", "ovf://disk/", "/disk/", "ovf:/file/", "ovf://file/", "/file/",
  };
  const char *host = it->p[P_HOST];
  struct vmdesc_disk *nd, *out;
  struct ref *c = refs_find (ctrls, it->p[P_PARENT]);
  size_t i;
  uint64_t n = 0;

  if (host == NULL)
    return fail (x, "hard disk \"%s\" has no HostResource", item_name (it));
  for (i = 0; i < 6; i++)
    if (strncmp (host, prefixes[i], strlen (prefixes[i])) == 0)
      break;
  if (i == 6)
    return fail (x, "hard disk \"%s\": unrecognised HostResource \"%s\" "
                 "(expected \"ovf:/disk/ID\")", item_name (it),
                 xml_printable (host));
  host += strlen (prefixes[i]);
  if (it->p[P_AOP] && xml_parse_dec (it->p[P_AOP], 65535, &n) == -1)
    return fail (x, "hard disk \"%s\": AddressOnParent \"%s\" is not a "
                 "number", item_name (it), xml_printable (it->p[P_AOP]));

  nd = realloc (d->disks, (d->nr_disks + 1) * sizeof *nd);
  if (nd == NULL)
    return nomem (x);
  d->disks = nd;
  out = &d->disks[d->nr_disks++];
  memset (out, 0, sizeof *out);
  out->unit = it->p[P_AOP] ? (int) n : -1;
  out->controller = c ? ((const struct item *) c->p)->index : -1;
  if (c && ((const struct item *) c->p)->bus &&
      (out->bus = strdup (((const struct item *) c->p)->bus)) == NULL)
    return nomem (x);
  if (i < 3)
    return add_vdisk (x, it, host, out);
  return add_file (x, item_name (it), host, out);  /* a file, no <Disk> */
}

static int
add_nic (const struct ox *x, struct item *it, struct vmdesc *d)
{
  struct vmdesc_nic *nn, *nic;

  nn = realloc (d->nics, (d->nr_nics + 1) * sizeof *nn);
  if (nn == NULL)
    return nomem (x);
  d->nics = nn;
  nic = &d->nics[d->nr_nics++];
  memset (nic, 0, sizeof *nic);
  if (it->p[P_ADDRESS] &&
      (nic->mac = mac_normalise (it->p[P_ADDRESS])) == NULL)
    return fail (x, "network adapter \"%s\": \"%s\" is not a MAC address",
                 item_name (it), xml_printable (it->p[P_ADDRESS]));
  nic->network = it->p[P_CONN];
  nic->model = it->p[P_SUBTYPE];
  it->p[P_CONN] = it->p[P_SUBTYPE] = NULL;
  for (char *p = nic->model; p && *p; p++)
    *p = tolower ((unsigned char) *p);
  return 0;
}

static int
set_cpu_memory (const struct ox *x, const struct item *it, struct vmdesc *d)
{
  const char *q = it->p[P_QUANTITY], *units = it->p[P_UNITS];
  uint64_t n, scale = UINT64_C(1) << 20;  /* memory: MB by default */

  if (it->type == 3) {
    if (xml_parse_dec (q, 65535, &n) == -1 || n == 0)
      return fail (x, "the number of virtual CPUs \"%s\" must be a number "
                   "from 1 to 65535", xml_printable (q));
    d->vcpus = n;
    return 0;
  }
  if (units && parse_units (units, &scale) == -1)
    return fail (x, "memory: unknown allocation unit \"%s\"",
                 xml_printable (units));
  if (xml_parse_dec (q, UINT64_MAX, &n) == -1)
    return fail (x, "memory size \"%s\" is not a number", xml_printable (q));
  if (n > UINT64_MAX / scale)
    return fail (x, "memory size \"%s\" is too large", xml_printable (q));
  d->memory = n * scale;
  return 0;
}

/* <vmw:Config vmw:key="firmware" vmw:value="efi"/> (or ExtraConfig). */
static int
read_vmw_config (const struct ox *x, xmlNodePtr n, struct vmdesc *d)
{
  CLEANUP_FREE char *key = NULL;
  CLEANUP_FREE char *value = NULL;

  if (vmw_attr (x, n, "key", &key) == -1)
    return -1;
  if (key == NULL || strcmp (key, "firmware") != 0)
    return 0;
  if (vmw_attr (x, n, "value", &value) == -1)
    return -1;
  if (value && strcasecmp (value, "efi") == 0)
    d->firmware = FIRMWARE_UEFI;
  else if (value && strcasecmp (value, "bios") == 0)
    d->firmware = FIRMWARE_BIOS;
  else
    return fail (x, "unknown firmware \"%s\" (expected \"bios\" or "
                 "\"efi\")", xml_printable (value));
  return 0;
}

static int
read_hardware (const struct ox *x, xmlNodePtr vhs, struct vmdesc *d)
{
  static const char *const buses[] = { "ide", "scsi", "sata", "nvme" };
  struct item *items = NULL, *ni;
  struct refs ctrls = { NULL, 0 };
  int counts[4] = { 0 };
  size_t nr = 0;
  int ret = -1;

  for (xmlNodePtr c = vhs->children; c; c = c->next) {
    bool applies;

    if (c->type == XML_ELEMENT_NODE && c->ns && c->ns->href &&
        strcmp ((const char *) c->ns->href, VMW_NS) == 0 &&
        (strcmp ((const char *) c->name, "Config") == 0 ||
         strcmp ((const char *) c->name, "ExtraConfig") == 0)) {
      if (read_vmw_config (x, c, d) == -1)
        goto out;
      continue;
    }
    if (!is_ovf (c, "Item") && !is_ovf (c, "StorageItem") &&
        !is_ovf (c, "EthernetPortItem"))
      continue;
    if (item_applies (x, c, &applies) == -1)
      goto out;
    if (!applies)
      continue;
    if ((ni = realloc (items, (nr + 1) * sizeof *ni)) == NULL) {
      nomem (x);
      goto out;
    }
    items = ni;
    if (read_item (x, c, &items[nr++]) == -1)
      goto out;
  }

  /* Number the controllers per bus in document order, unless their
   * Address says otherwise, and index them by InstanceID.
   */
  for (size_t i = 0; i < nr; i++) {
    struct item *it = &items[i];
    uint64_t a;

    if (!controller_bus (it, &it->bus))
      continue;
    for (size_t b = 0; it->bus && b < 4; b++)
      if (strcmp (it->bus, buses[b]) == 0)
        it->index = counts[b]++;
    if (xml_parse_dec (it->p[P_ADDRESS], 65535, &a) == 0)
      it->index = a;
    if (it->p[P_ID] && refs_add (x, &ctrls, it->p[P_ID], it) == -1)
      goto out;
  }
  refs_sort (x, &ctrls, NULL);

  for (size_t i = 0; i < nr; i++) {
    struct item *it = &items[i];
    int r = 0;

    if (it->p[P_TYPE] == NULL)
      continue;
    if (it->type == 3 || it->type == 4)
      r = set_cpu_memory (x, it, d);
    else if (it->type == 17)
      r = add_disk (x, it, &ctrls, d);
    else if (it->type == 10)
      r = add_nic (x, it, d);
    if (r == -1)        /* CD-ROMs, floppies ... are ignored */
      goto out;
  }
  ret = 0;
 out:
  for (size_t i = 0; i < nr; i++)
    for (size_t p = 0; p < NR_PROPS; p++)
      free (items[i].p[p]);
  free (items);
  refs_free (&ctrls);
  return ret;
}

/* ---------------------------------------------------------------- */
/* Virtual systems */

struct system {
  xmlNodePtr node;
  char *name;                   /* <Name>, else ovf:id (owned) */
  char *id;                     /* ovf:id or NULL (owned) */
};
struct systems {
  struct system *s;
  size_t nr;
};

static void
systems_free (struct systems *ss)
{
  for (size_t i = 0; i < ss->nr; i++) {
    free (ss->s[i].name);
    free (ss->s[i].id);
  }
  free (ss->s);
}

static int
find_systems (const struct ox *x, xmlNodePtr parent, struct systems *ss)
{
  for (xmlNodePtr c = parent->children; c; c = c->next) {
    struct system *ns, *s;

    if (is_section (x, c, "VirtualSystemCollection")) {
      if (find_systems (x, c, ss) == -1)
        return -1;
      continue;
    }
    if (!is_section (x, c, "VirtualSystem"))
      continue;
    if ((ns = realloc (ss->s, (ss->nr + 1) * sizeof *ns)) == NULL)
      return nomem (x);
    ss->s = ns;
    s = &ss->s[ss->nr++];
    *s = (struct system) { .node = c };
    if (ovf_attr (x, c, "id", &s->id) == -1)
      return -1;
    for (xmlNodePtr n = c->children; n && s->name == NULL; n = n->next)
      if (is_ovf (n, "Name") && take (x, xmlNodeGetContent (n), &s->name) == -1)
        return -1;
    if (s->name == NULL && s->id && (s->name = strdup (s->id)) == NULL)
      return nomem (x);
    if (s->name == NULL)
      return fail (x, "virtual system #%zu has neither a <Name> nor an "
                   "ovf:id", ss->nr);
  }
  return 0;
}

static int
choose_system (const struct ox *x, const struct systems *ss,
               const char *vm_name, size_t *chosen)
{
  struct sbuf names = SBUF_INIT;
  size_t found = 0;

  if (ss->nr == 0)
    return fail (x, "it holds no VirtualSystem");
  if (vm_name == NULL && ss->nr == 1) {
    *chosen = 0;
    return 0;
  }
  for (size_t i = 0; vm_name && i < ss->nr; i++)
    if (strcmp (ss->s[i].name, vm_name) == 0 ||
        (ss->s[i].id && strcmp (ss->s[i].id, vm_name) == 0)) {
      if (found++ == 0)
        *chosen = i;
    }
  if (found == 1)
    return 0;
  for (size_t i = 0; i < ss->nr && i < 10; i++)
    sbuf_printf (&names, "%s%s", i ? ", " : "", xml_printable (ss->s[i].name));
  if (ss->nr > 10)
    sbuf_puts (&names, ", ...");
  if (vm_name == NULL)
    fail (x, "it holds %zu virtual machines (%s): choose one with -io vm=NAME",
          ss->nr, names.s ? names.s : "");
  else if (found == 0)
    fail (x, "no virtual machine \"%s\" in it (it holds: %s)",
          xml_printable (vm_name), names.s ? names.s : "");
  else
    fail (x, "%zu virtual machines are called \"%s\"", found,
          xml_printable (vm_name));
  sbuf_free (&names);
  return -1;
}

static int
read_system (const struct ox *x, xmlNodePtr vs, struct vmdesc *d)
{
  xmlNodePtr vhs = NULL, os = NULL;

  for (xmlNodePtr c = vs->children; c; c = c->next) {
    if (vhs == NULL && is_section (x, c, "VirtualHardwareSection"))
      vhs = c;
    else if (os == NULL && is_section (x, c, "OperatingSystemSection"))
      os = c;
  }
  if (os && (attr_ns (x, os, VMW_NS, "osType", &d->os) == -1 ||
             (d->os == NULL && ovf_attr (x, os, "id", &d->os) == -1)))
    return -1;
  if (vhs == NULL)
    return fail (x, "virtual machine \"%s\" has no VirtualHardwareSection",
                 xml_printable (d->name));
  return read_hardware (x, vhs, d);
}

int
ovf_parse (const char *xml, size_t len, const char *label,
           const char *vm_name, struct vmdesc *d)
{
  struct ox x = { .label = label };
  struct systems ss = { NULL, 0 };
  xmlDocPtr doc;
  xmlNodePtr root;
  size_t chosen = 0;
  int r = -1;

  memset (d, 0, sizeof *d);
  doc = xml_read_untrusted (xml, len, "OVF", label,
                            "possible entity expansion attack");
  if (doc == NULL)
    return -1;
  root = xmlDocGetRootElement (doc);
  if (!is_ovf (root, "Envelope")) {
    fail (&x, "the root element is <%s>%s, not an OVF <Envelope>",
          root ? xml_printable ((const char *) root->name) : "",
          root && !is_envelope_ns (root->ns) ? " in a foreign namespace" : "");
    goto out;
  }
  if (read_envelope (&x, root) == -1 ||
      find_systems (&x, root, &ss) == -1 ||
      choose_system (&x, &ss, vm_name, &chosen) == -1)
    goto out;
  d->name = ss.s[chosen].name;
  ss.s[chosen].name = NULL;
  if (read_system (&x, ss.s[chosen].node, d) == -1)
    goto out;
  vmdesc_sort_disks (d);
  r = 0;
 out:
  systems_free (&ss);
  refs_free (&x.files);
  refs_free (&x.disks);
  free (x.config);
  xmlFreeDoc (doc);
  if (r == -1)
    vmdesc_free (d);
  return r;
}
