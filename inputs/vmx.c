/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: parse VMware .vmx files.
 *
 * The format has no specification.  What we rely on, from the files
 * VMware products write and from libvirt's and virt-v2v's test data:
 *
 *  - One 'key = "value"' per line.  Spaces around '=' are optional and
 *    the quotes may be missing (packer writes some values bare, and an
 *    empty 'ide1:0.fileName =' is seen in the wild).  Blank lines and
 *    lines starting with '#' (including a "#!/usr/bin/vmware" first
 *    line) are ignored.  '.encoding = "UTF-8"' is an ordinary key.
 *    Values never span lines.
 *  - Keys are ASCII and compared case insensitively: we lowercase them.
 *    They are namespaced with dots: "scsi0:1.fileName".
 *  - In values "|XX" is the byte 0xXX: "|22" is '"', "|7C" is '|'.  We
 *    refuse a '|' that is not followed by two hex digits, and "|00".
 *  - Booleans are "TRUE" / "FALSE" in any case.
 *  - NS.present = "FALSE" turns off the device NS, and a device whose
 *    present key is missing is not there either.
 *  - VMware refuses duplicate keys; we let the last one win.
 *
 * The parser copies the text once, splits it in place, sorts the
 * entries by key and looks devices up by binary search, so a large or
 * hostile file costs O(n log n).
 */

#include <config.h>

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "inputs.h"

struct vmx_entry {
  const char *key;              /* lowercased, points into vmx->buf */
  const char *value;            /* unescaped, points into vmx->buf */
  size_t line;
  size_t seq;                   /* position in the file */
};

struct vmx {
  const char *label;
  const char *text;             /* the caller's text */
  char *buf;                    /* a copy, split in place */
  struct vmx_entry *e;
  size_t nr, cap;
};

/* Keys are lowercased in place; messages show them as written, which
 * is at the same offset in the caller's text.
 */
static const char *
orig_key (const struct vmx *v, const char *key)
{
  return v->text + (key - v->buf);
}
#define KEYFMT "\"%.*s\""
#define KEYARG(v, k) (int) strlen (k), orig_key ((v), (k))

static void
vmx_free (struct vmx *v)
{
  free (v->buf);
  free (v->e);
}

static int
is_blank (int c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int
hexval (int c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Decode the |XX escapes of a value in place. */
static int
unescape (struct vmx *v, size_t lineno, const char *key, char *s)
{
  char *out = s;

  for (const char *p = s; *p; p++) {
    int hi, lo;

    if (*p != '|') {
      *out++ = *p;
      continue;
    }
    hi = hexval ((unsigned char) p[1]);
    lo = hi >= 0 ? hexval ((unsigned char) p[2]) : -1;
    if (hi < 0 || lo < 0) {
      error ("parse VMX \"%s\" line %zu: invalid escape in the value of "
             KEYFMT " (a \"|\" must be followed by two hex digits, like "
             "|22 for a double quote or |7C for \"|\")",
             v->label, lineno, KEYARG (v, key));
      return -1;
    }
    if (hi == 0 && lo == 0) {
      error ("parse VMX \"%s\" line %zu: the value of " KEYFMT " contains "
             "the escape |00 (a NUL byte)", v->label, lineno, KEYARG (v, key));
      return -1;
    }
    *out++ = (char) (hi << 4 | lo);
    p += 2;
  }
  *out = '\0';
  return 0;
}

/* Parse one non-blank, non-comment line (trailing blanks removed). */
static int
parse_line (struct vmx *v, size_t lineno, char *line)
{
  char *eq = strchr (line, '=');
  char *key = line, *kend, *val;
  struct vmx_entry *e;

  if (eq == NULL) {
    error ("parse VMX \"%s\" line %zu: expected 'key = \"value\"' "
           "but there is no \"=\" in this line", v->label, lineno);
    return -1;
  }
  kend = eq;
  while (kend > key && is_blank (kend[-1]))
    kend--;
  *kend = '\0';
  if (*key == '\0') {
    error ("parse VMX \"%s\" line %zu: no key before \"=\"",
           v->label, lineno);
    return -1;
  }
  for (char *p = key; *p; p++) {
    unsigned char c = *p;
    if (c <= ' ' || c >= 0x7f || c == '"' || c == '#' || c == '|') {
      error ("parse VMX \"%s\" line %zu: invalid character in the key "
             "(keys are ASCII words like scsi0:0.fileName)",
             v->label, lineno);
      return -1;
    }
    *p = tolower (c);
  }

  val = eq + 1;
  while (is_blank (*val))
    val++;
  if (*val == '"') {
    char *q = strchr (val + 1, '"');
    if (q == NULL) {
      error ("parse VMX \"%s\" line %zu: the value of " KEYFMT " has no "
             "closing quote", v->label, lineno, KEYARG (v, key));
      return -1;
    }
    if (q[1] != '\0') {
      error ("parse VMX \"%s\" line %zu: unexpected text after the "
             "closing quote of the value of " KEYFMT " (a double quote "
             "inside a value is written |22)", v->label, lineno,
             KEYARG (v, key));
      return -1;
    }
    *q = '\0';
    val++;
  }
  else if (strchr (val, '"')) {
    error ("parse VMX \"%s\" line %zu: stray double quote in the value "
           "of " KEYFMT, v->label, lineno, KEYARG (v, key));
    return -1;
  }
  if (unescape (v, lineno, key, val) == -1)
    return -1;

  if (v->nr == v->cap) {
    size_t cap = v->cap ? v->cap * 2 : 64;
    struct vmx_entry *n = realloc (v->e, cap * sizeof *n);
    if (n == NULL) {
      error ("parse VMX \"%s\": %m", v->label);
      return -1;
    }
    v->e = n;
    v->cap = cap;
  }
  e = &v->e[v->nr];
  e->key = key;
  e->value = val;
  e->line = lineno;
  e->seq = v->nr;
  v->nr++;
  return 0;
}

static int
entry_cmp (const void *a, const void *b)
{
  const struct vmx_entry *x = a, *y = b;
  int r = strcmp (x->key, y->key);

  if (r != 0)
    return r;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Split the text into entries, sort them by key and drop all but the
 * last of each duplicated key.
 */
static int
vmx_read (struct vmx *v, const char *text, size_t len)
{
  const char *nul = memchr (text, '\0', len);
  char *p, *end;
  size_t lineno = 0, j;

  if (nul) {
    size_t line = 1;
    for (const char *q = text; q < nul; q++)
      line += *q == '\n';
    error ("parse VMX \"%s\" line %zu: the file contains a NUL byte "
           "(is it a binary file?)", v->label, line);
    return -1;
  }

  v->buf = malloc (len + 1);
  if (v->buf == NULL) {
    error ("parse VMX \"%s\": %m", v->label);
    return -1;
  }
  memcpy (v->buf, text, len);
  v->buf[len] = '\0';
  p = v->buf;
  end = v->buf + len;
  if (len >= 3 && memcmp (p, "\xef\xbb\xbf", 3) == 0)
    p += 3;                     /* UTF-8 byte order mark */

  while (p < end) {
    char *eol = memchr (p, '\n', end - p);
    char *line = p, *t;

    if (eol == NULL)
      eol = end;
    *eol = '\0';
    p = eol + 1;
    lineno++;

    while (is_blank (*line))
      line++;
    t = line + strlen (line);
    while (t > line && is_blank (t[-1]))
      t--;
    *t = '\0';
    if (*line == '\0' || *line == '#')
      continue;
    if (parse_line (v, lineno, line) == -1)
      return -1;
  }

  if (v->nr == 0)
    return 0;
  qsort (v->e, v->nr, sizeof *v->e, entry_cmp);
  j = 0;
  for (size_t i = 0; i < v->nr; i++) {
    if (i + 1 < v->nr && strcmp (v->e[i].key, v->e[i + 1].key) == 0) {
      debug ("parse VMX \"%s\" line %zu: duplicate key " KEYFMT ", the "
             "last one (line %zu) wins", v->label, v->e[i].line,
             KEYARG (v, v->e[i].key), v->e[i + 1].line);
      continue;
    }
    v->e[j++] = v->e[i];
  }
  v->nr = j;
  return 0;
}

static int
key_cmp (const void *k, const void *e)
{
  return strcmp (k, ((const struct vmx_entry *) e)->key);
}

/* Look up a key given as a printf format (lowercase). */
static const struct vmx_entry *
vmx_get (const struct vmx *v, const char *fs, ...)
  __attribute__ ((format (printf, 2, 3)));

static const struct vmx_entry *
vmx_get (const struct vmx *v, const char *fs, ...)
{
  char key[128];
  va_list args;
  int n;

  va_start (args, fs);
  n = vsnprintf (key, sizeof key, fs, args);
  va_end (args);
  if (n < 0 || (size_t) n >= sizeof key || v->nr == 0)
    return NULL;
  return bsearch (key, v->e, v->nr, sizeof *v->e, key_cmp);
}

static const char *
vmx_value (const struct vmx_entry *e)
{
  return e ? e->value : NULL;
}

/* A boolean key: 1 true, 0 false, 'dflt' if absent, -1 after error. */
static int
vmx_bool (const struct vmx *v, const struct vmx_entry *e, int dflt)
{
  if (e == NULL)
    return dflt;
  if (strcasecmp (e->value, "true") == 0)
    return 1;
  if (strcasecmp (e->value, "false") == 0)
    return 0;
  error ("parse VMX \"%s\" line %zu: " KEYFMT " must be TRUE or FALSE",
         v->label, e->line, KEYARG (v, e->key));
  return -1;
}

/* A decimal number (digits only) from 'min' to 'max'. */
static int
vmx_uint (const struct vmx *v, const struct vmx_entry *e, uint64_t min,
          uint64_t max, uint64_t *out)
{
  const char *s = e->value;
  uint64_t n = 0;

  if (*s == '\0')
    goto bad;
  for (; *s; s++) {
    if (*s < '0' || *s > '9')
      goto bad;
    if (n > (max - (*s - '0')) / 10)
      goto range;
    n = n * 10 + (*s - '0');
  }
  if (n < min)
    goto range;
  *out = n;
  return 0;
 bad:
  error ("parse VMX \"%s\" line %zu: " KEYFMT " is not a number",
         v->label, e->line, KEYARG (v, e->key));
  return -1;
 range:
  error ("parse VMX \"%s\" line %zu: " KEYFMT " must be from %" PRIu64
         " to %" PRIu64, v->label, e->line, KEYARG (v, e->key), min, max);
  return -1;
}

/* A value for a message: as is if short printable ASCII. */
static const char *
printable (const char *s)
{
  size_t n = 0;

  for (; s[n]; n++)
    if (s[n] < 0x20 || s[n] > 0x7e || n >= 64)
      return "(unprintable)";
  return s;
}

static int
dup_value (const struct vmx *v, const char *s, char **out)
{
  *out = NULL;
  if (s == NULL || *s == '\0')
    return 0;
  *out = strdup (s);
  if (*out == NULL) {
    error ("parse VMX \"%s\": %m", v->label);
    return -1;
  }
  return 0;
}

/* ---------------------------------------------------------------- */
/* Device names: "scsi0:1", "ethernet2". */

/* Read a decimal device number at *pp.  Returns 1 if there are no
 * digits (not a device key), 0 with *pp moved past them, or -1 if they
 * are out of range or have leading zeros.
 */
static int
devnum (const char **pp, int *out)
{
  const char *p = *pp;
  size_t n = 0;
  int val = 0;

  while (p[n] >= '0' && p[n] <= '9') {
    if (n < 4)
      val = val * 10 + (p[n] - '0');
    n++;
  }
  if (n == 0)
    return 1;
  *pp = p + n;
  if (n > 3 || val > 255 || (n > 1 && p[0] == '0'))
    return -1;
  *out = val;
  return 0;
}

/* vSphere allows 256 disks a VM; the limit keeps sorting cheap. */
#define MAX_DISKS 1024

static const char *const disk_buses[] = { "scsi", "sata", "ide", "nvme" };
#define NR_BUSES (sizeof disk_buses / sizeof disk_buses[0])

/* Does the key name a disk slot "BUSX:Y.SUFFIX"?  Returns 1 if yes
 * (*bus, *ctrl, *unit set), 0 if not, -1 after error.
 */
static int
disk_key (const struct vmx *v, const struct vmx_entry *e, const char *suffix,
          size_t *bus, int *ctrl, int *unit)
{
  for (size_t b = 0; b < NR_BUSES; b++) {
    size_t blen = strlen (disk_buses[b]);
    const char *p = e->key;
    int r1, r2;

    if (strncmp (p, disk_buses[b], blen) != 0)
      continue;
    p += blen;
    r1 = devnum (&p, ctrl);
    if (r1 == 1 || *p != ':')
      return 0;
    p++;
    r2 = devnum (&p, unit);
    if (r2 == 1 || *p != '.' || strcmp (p + 1, suffix) != 0)
      return 0;
    if (r1 == -1 || r2 == -1) {
      error ("parse VMX \"%s\" line %zu: " KEYFMT ": the controller and "
             "unit must be decimal numbers from 0 to 255", v->label, e->line,
             KEYARG (v, e->key));
      return -1;
    }
    *bus = b;
    return 1;
  }
  return 0;
}

static bool
is_disk_type (const char *t)
{
  static const char *const types[] = {
    "scsi-hardDisk", "disk", "ata-hardDisk", "plainDisk",
  };

  if (t == NULL || *t == '\0')
    return true;
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    if (strcasecmp (t, types[i]) == 0)
      return true;
  return false;
}

static bool
is_cdrom_type (const char *t)
{
  return t && (strcasecmp (t, "cdrom-image") == 0 ||
               strcasecmp (t, "atapi-cdrom") == 0 ||
               strcasecmp (t, "cdrom-raw") == 0);
}

static bool
ends_with_vmdk (const char *s)
{
  size_t n = strlen (s);

  return n > 5 && strcasecmp (s + n - 5, ".vmdk") == 0;
}

static int
find_disks (const struct vmx *v, struct vmdesc *d)
{
  for (size_t i = 0; i < v->nr; i++) {
    const struct vmx_entry *e = &v->e[i];
    const char *bus, *type;
    struct vmdesc_disk *disk, *n;
    size_t b;
    int ctrl, unit, r;

    r = disk_key (v, e, "filename", &b, &ctrl, &unit);
    if (r == -1)
      return -1;
    if (r == 0)
      continue;
    bus = disk_buses[b];

    r = vmx_bool (v, vmx_get (v, "%s%d.present", bus, ctrl), 1);
    if (r == -1)
      return -1;
    if (r == 0) {
      debug ("VMX \"%s\": %s%d:%d skipped: controller %s%d is not present",
             v->label, bus, ctrl, unit, bus, ctrl);
      continue;
    }
    r = vmx_bool (v, vmx_get (v, "%s%d:%d.present", bus, ctrl, unit), 0);
    if (r == -1)
      return -1;
    if (r == 0) {
      debug ("VMX \"%s\": %s%d:%d skipped: not present",
             v->label, bus, ctrl, unit);
      continue;
    }
    type = vmx_value (vmx_get (v, "%s%d:%d.devicetype", bus, ctrl, unit));
    if (is_cdrom_type (type))
      continue;
    if (!is_disk_type (type)) {
      warning ("VMX \"%s\": %s%d:%d of device type \"%s\" is not a hard "
               "disk; ignored", v->label, bus, ctrl, unit, printable (type));
      continue;
    }
    if (!ends_with_vmdk (e->value)) {
      if (e->value[0])
        warning ("VMX \"%s\": %s%d:%d is not a .vmdk file; ignored",
                 v->label, bus, ctrl, unit);
      continue;
    }

    if (d->nr_disks == MAX_DISKS) {
      error ("parse VMX \"%s\": more than %d hard disks", v->label,
             MAX_DISKS);
      return -1;
    }
    n = realloc (d->disks, (d->nr_disks + 1) * sizeof *n);
    if (n == NULL)
      goto nomem;
    d->disks = n;
    disk = &d->disks[d->nr_disks];
    memset (disk, 0, sizeof *disk);
    d->nr_disks++;
    disk->controller = ctrl;
    disk->unit = unit;
    disk->file = strdup (e->value);
    disk->bus = strdup (bus);
    if (disk->file == NULL || disk->bus == NULL)
      goto nomem;
  }
  vmdesc_sort_disks (d);
  return 0;
 nomem:
  error ("parse VMX \"%s\": %m", v->label);
  return -1;
}

/* ---------------------------------------------------------------- */

struct nic_slot {
  int port;
  struct vmdesc_nic nic;
};

static int
nic_slot_cmp (const void *a, const void *b)
{
  const struct nic_slot *x = a, *y = b;

  return x->port < y->port ? -1 : x->port > y->port;
}

static int
find_nics (const struct vmx *v, struct vmdesc *d)
{
  struct nic_slot *slots = NULL;
  size_t nr = 0;
  int ret = -1;

  for (size_t i = 0; i < v->nr; i++) {
    const struct vmx_entry *e = &v->e[i];
    const char *p = e->key, *mac, *type, *model;
    struct nic_slot *s;
    int port, r;

    if (strncmp (p, "ethernet", 8) != 0)
      continue;
    p += 8;
    r = devnum (&p, &port);
    if (r == 1 || strcmp (p, ".present") != 0)
      continue;
    if (r == -1) {
      error ("parse VMX \"%s\" line %zu: " KEYFMT ": the network adapter "
             "number must be a decimal number from 0 to 255",
             v->label, e->line, KEYARG (v, e->key));
      goto out;
    }
    r = vmx_bool (v, e, 0);
    if (r == -1)
      goto out;
    if (r == 0)
      continue;

    s = realloc (slots, (nr + 1) * sizeof *s);
    if (s == NULL)
      goto nomem;
    slots = s;
    s = &slots[nr++];
    memset (s, 0, sizeof *s);
    s->port = port;

    type = vmx_value (vmx_get (v, "ethernet%d.addresstype", port));
    if (type && strcasecmp (type, "static") == 0)
      e = vmx_get (v, "ethernet%d.address", port);
    else
      e = vmx_get (v, "ethernet%d.generatedaddress", port);
    mac = vmx_value (e);
    if (mac && *mac) {
      s->nic.mac = mac_normalise (mac);
      if (s->nic.mac == NULL) {
        error ("parse VMX \"%s\" line %zu: " KEYFMT " is not a MAC address",
               v->label, e->line, KEYARG (v, e->key));
        goto out;
      }
    }
    if (dup_value (v, vmx_value (vmx_get (v, "ethernet%d.networkname", port)),
                   &s->nic.network) == -1)
      goto out;
    model = vmx_value (vmx_get (v, "ethernet%d.virtualdev", port));
    if (model == NULL || *model == '\0')
      model = "vlance";             /* VMware's default adapter */
    if (dup_value (v, model, &s->nic.model) == -1)
      goto out;
    for (char *c = s->nic.model; *c; c++)
      *c = tolower ((unsigned char) *c);
  }

  if (nr > 0) {
    qsort (slots, nr, sizeof *slots, nic_slot_cmp);
    d->nics = calloc (nr, sizeof *d->nics);
    if (d->nics == NULL)
      goto nomem;
    for (size_t i = 0; i < nr; i++) {
      d->nics[i] = slots[i].nic;
      memset (&slots[i].nic, 0, sizeof slots[i].nic);
    }
    d->nr_nics = nr;
  }
  ret = 0;
  goto out;
 nomem:
  error ("parse VMX \"%s\": %m", v->label);
 out:
  for (size_t i = 0; i < nr; i++) {
    free (slots[i].nic.mac);
    free (slots[i].nic.network);
    free (slots[i].nic.model);
  }
  free (slots);
  return ret;
}

/* ---------------------------------------------------------------- */

static int
parse_config (const struct vmx *v, struct vmdesc *d)
{
  const struct vmx_entry *e;
  uint64_t n;

  if (dup_value (v, vmx_value (vmx_get (v, "displayname")), &d->name) == -1 ||
      dup_value (v, vmx_value (vmx_get (v, "guestos")), &d->os) == -1)
    return -1;

  d->vcpus = 1;                 /* VMware's default */
  if ((e = vmx_get (v, "numvcpus")) != NULL) {
    if (vmx_uint (v, e, 1, 65535, &n) == -1)
      return -1;
    d->vcpus = n;
  }

  if ((e = vmx_get (v, "memsize")) != NULL) {
    if (vmx_uint (v, e, 0, UINT64_MAX >> 20, &n) == -1)
      return -1;
    d->memory = n << 20;        /* MiB */
  }

  d->firmware = FIRMWARE_BIOS;  /* VMware's default */
  if ((e = vmx_get (v, "firmware")) != NULL) {
    if (strcasecmp (e->value, "efi") == 0)
      d->firmware = FIRMWARE_UEFI;
    else if (strcasecmp (e->value, "bios") != 0) {
      error ("parse VMX \"%s\" line %zu: unknown firmware \"%s\" "
             "(expected \"bios\" or \"efi\")", v->label, e->line,
             printable (e->value));
      return -1;
    }
  }
  return 0;
}

static int
check_not_vmx (const char *text, size_t len, const char *label)
{
  const char *what = NULL;
  size_t i = 0;

  if (len >= 4 && (memcmp (text, "KDMV", 4) == 0 ||
                   memcmp (text, "COWD", 4) == 0))
    what = "a VMDK disk image";
  else if (len >= 21 && memcmp (text, "# Disk DescriptorFile", 21) == 0)
    what = "a VMDK disk descriptor";
  else {
    if (len >= 3 && memcmp (text, "\xef\xbb\xbf", 3) == 0)
      i = 3;
    while (i < len && isspace ((unsigned char) text[i]))
      i++;
    if (i < len && text[i] == '<')
      what = "an XML document (OVF or libvirt XML?)";
  }
  if (what) {
    error ("parse VMX \"%s\": this is %s, not a VMware .vmx file",
           label, what);
    return -1;
  }
  return 0;
}

int
vmx_parse (const char *text, size_t len, const char *label, struct vmdesc *d)
{
  struct vmx v = { .label = label, .text = text };

  memset (d, 0, sizeof *d);
  if (check_not_vmx (text, len, label) == -1 ||
      vmx_read (&v, text, len) == -1 ||
      parse_config (&v, d) == -1 ||
      find_disks (&v, d) == -1 ||
      find_nics (&v, d) == -1)
    goto err;
  if (d->nr_disks == 0) {
    error ("parse VMX \"%s\": no hard disk found", label);
    goto err;
  }
  vmx_free (&v);
  return 0;
 err:
  vmx_free (&v);
  vmdesc_free (d);
  return -1;
}
