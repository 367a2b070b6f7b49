/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: -i libvirt (a domain through the libvirt API) and
 * -i libvirtxml (a domain's XML in a file).  Both end in the same
 * description; the disks are the files the domain uses, opened
 * read-only where they are.
 */

#include <config.h>

#include <string.h>
#include <unistd.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "inputs.h"

static const struct optdesc libvirt_options[] = {
  DISKSET_OPTIONS,
  { NULL }
};

struct libvirt_input {
  struct input base;
  struct disk_spec *specs;
  size_t nr_specs;
  struct diskset ds;
};

static void libvirt_close (struct input *in);

/* Largest domain XML we read from a file. */
#define MAX_XML (4 * 1024 * 1024)

static const char *
state_name (int state)
{
  switch (state) {
  case VIR_DOMAIN_RUNNING: return "running";
  case VIR_DOMAIN_BLOCKED: return "blocked";
  case VIR_DOMAIN_PAUSED: return "paused";
  case VIR_DOMAIN_SHUTDOWN: return "shutting down";
  case VIR_DOMAIN_CRASHED: return "crashed";
  case VIR_DOMAIN_PMSUSPENDED: return "suspended";
  default: return "not shut off";
  }
}

static void
quiet_errors (void *data, virErrorPtr err)
{
  (void) data;
  (void) err;
}

/* libvirt asks for credentials: -ip FILE's password is the answer to
 * a passphrase prompt, and the user name is the URI's (libvirt's
 * default answer); anything else stays unanswered.
 */
static int
give_password (virConnectCredentialPtr cred, unsigned int ncred, void *data)
{
  const char *password = data;

  for (unsigned int i = 0; i < ncred; i++) {
    const char *answer = password;
    if (cred[i].type == VIR_CRED_AUTHNAME && cred[i].defresult)
      answer = cred[i].defresult;
    else if (cred[i].type != VIR_CRED_PASSPHRASE &&
             cred[i].type != VIR_CRED_NOECHOPROMPT)
      return -1;
    cred[i].result = strdup (answer);
    if (cred[i].result == NULL)
      return -1;
    cred[i].resultlen = strlen (answer);
  }
  return 0;
}

/* Read-only; with a password (-ip FILE), given when libvirt asks. */
static virConnectPtr
connect_ro (const char *uri, const char *password)
{
  int types[] = { VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE,
                  VIR_CRED_NOECHOPROMPT };
  virConnectAuth auth = {
    .credtype = types, .ncredtype = sizeof types / sizeof types[0],
    .cb = give_password, .cbdata = (void *) password,
  };

  if (password == NULL)
    return virConnectOpenReadOnly (uri);
  return virConnectOpenAuth (uri, &auth, VIR_CONNECT_RO);
}

/* The domain's XML through the API (owned), after checking it is shut
 * off: a running guest's disks are changing under us.
 */
static char *
domain_xml (const char *uri, const char *password, const char *name)
{
  virConnectPtr conn;
  virDomainPtr dom = NULL;
  char *xml = NULL;
  int state, reason;

  virSetErrorFunc (NULL, quiet_errors);
  conn = connect_ro (uri, password);
  if (conn == NULL) {
    virErrorPtr e = virGetLastError ();
    error ("connect to libvirt \"%s\": %s", uri ? uri : "(default)",
           e && e->message ? e->message : "failed");
    return NULL;
  }
  dom = virDomainLookupByName (conn, name);
  if (dom == NULL) {
    error ("look up domain \"%s\" on \"%s\": no such domain", name,
           uri ? uri : virConnectGetURI (conn));
    goto out;
  }
  if (virDomainGetState (dom, &state, &reason, 0) == -1) {
    virErrorPtr e = virGetLastError ();
    error ("get the state of domain \"%s\": %s", name,
           e && e->message ? e->message : "failed");
    goto out;
  }
  if (state != VIR_DOMAIN_SHUTOFF) {
    error ("domain \"%s\" is %s: shut it down first (ferry converts "
           "offline guests only)", name, state_name (state));
    goto out;
  }
  xml = virDomainGetXMLDesc (dom, VIR_DOMAIN_XML_INACTIVE);
  if (xml == NULL) {
    virErrorPtr e = virGetLastError ();
    error ("get the XML of domain \"%s\": %s", name,
           e && e->message ? e->message : "failed");
  }
 out:
  if (dom)
    virDomainFree (dom);
  virConnectClose (conn);
  return xml;
}

static struct input *
open_common (const struct input_args *args, struct source *src,
             const char *module, const char *xml, size_t len,
             const char *label)
{
  struct libvirt_input *l;
  struct vmdesc desc = { 0 };
  struct diskset_opts dso;

  if (diskset_opts_parse (args->options, &dso) == -1)
    return NULL;
  l = calloc (1, sizeof *l);
  if (l == NULL) {
    error ("-i %s: %m", module);
    return NULL;
  }
  l->base.ops = input_lookup (module);
  if (libvirtxml_parse (xml, len, label, &desc) == -1)
    goto fail;
  if (desc.nr_disks == 0) {
    error ("read \"%s\": the domain has no disk", label);
    goto fail;
  }
  l->specs = calloc (desc.nr_disks, sizeof *l->specs);
  if (l->specs == NULL) {
    error ("-i %s: %m", module);
    goto fail;
  }
  l->nr_specs = desc.nr_disks;
  for (size_t i = 0; i < desc.nr_disks; i++) {
    const struct vmdesc_disk *vd = &desc.disks[i];
    struct disk_spec *s = &l->specs[i];
    const char *fmt = args->forced_format ? args->forced_format : vd->format;

    if (vd->file[0] != '/') {
      error ("read \"%s\": disk \"%s\" is not an absolute path", label,
             vd->file);
      goto fail;
    }
    s->path = realpath (vd->file, NULL);
    if (s->path == NULL) {
      error ("open disk \"%s\" of \"%s\": %m", vd->file, label);
      goto fail;
    }
    if (fmt && (s->format = strdup (fmt)) == NULL) {
      error ("-i %s: %m", module);
      goto fail;
    }
  }
  /* A libvirt domain's disks live wherever its pools are: the XML is
   * the authority for them, and what they refer to in turn is checked
   * against each disk's own directory as for -i disk.
   */
  if (diskset_probe (&l->ds, l->specs, l->nr_specs, &dso, src) == -1 ||
      vmdesc_to_source (&desc, src) == -1)
    goto fail;
  vmdesc_free (&desc);
  return &l->base;

 fail:
  vmdesc_free (&desc);
  libvirt_close (&l->base);
  return NULL;
}

static struct input *
libvirt_open (const struct input_args *args, struct source *src)
{
  CLEANUP_FREE char *xml = NULL;

  if (args->nr_files != 1) {
    error ("-i libvirt: give one domain name (and the connection with -ic URI)");
    return NULL;
  }
  xml = domain_xml (args->conn_uri, args->password, args->files[0]);
  if (xml == NULL)
    return NULL;
  return open_common (args, src, "libvirt", xml, strlen (xml), args->files[0]);
}

static struct input *
libvirtxml_open (const struct input_args *args, struct source *src)
{
  CLEANUP_FREE char *xml = NULL;
  ssize_t len;

  if (args->nr_files != 1) {
    error ("-i libvirtxml: give one domain XML file");
    return NULL;
  }
  if (args->conn_uri) {
    error ("-i libvirtxml: -ic does not apply (use -i libvirt)");
    return NULL;
  }
  xml = malloc (MAX_XML + 1);
  if (xml == NULL) {
    error ("-i libvirtxml: %m");
    return NULL;
  }
  len = read_at (args->files[0], xml, MAX_XML + 1, 0);
  if (len == -1) {
    error ("read \"%s\": %m", args->files[0]);
    return NULL;
  }
  if (len > MAX_XML) {
    error ("read \"%s\": too large for a domain XML", args->files[0]);
    return NULL;
  }
  xml[len] = '\0';
  return open_common (args, src, "libvirtxml", xml, len, args->files[0]);
}

static int
libvirt_expose (struct input *in, struct source *src)
{
  struct libvirt_input *l = (struct libvirt_input *) in;

  return diskset_expose (&l->ds, src);
}

static void
libvirt_close (struct input *in)
{
  struct libvirt_input *l = (struct libvirt_input *) in;

  if (l == NULL)
    return;
  diskset_close (&l->ds);
  disk_spec_free (l->specs, l->nr_specs);
  free (l);
}

const struct input_ops libvirt_input_ops = {
  .name = "libvirt",
  .description = "a shut-off libvirt domain (-ic URI DOMAIN)",
  .options = libvirt_options,
  .takes_password = true,
  .open = libvirt_open,
  .expose = libvirt_expose,
  .close = libvirt_close,
};

const struct input_ops libvirtxml_input_ops = {
  .name = "libvirtxml",
  .description = "a libvirt domain XML file and the disks it names",
  .options = libvirt_options,
  .open = libvirtxml_open,
  .expose = libvirt_expose,
  .close = libvirt_close,
};
