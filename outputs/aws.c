/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: -o aws: the converted VM becomes an AMI.
 *
 * method=ebs (the default) writes each disk straight into a new EBS
 * snapshot through the EBS direct APIs, many blocks in flight, zero
 * blocks never sent; no bucket and no service role needed.
 * method=import streams each disk as a streamOptimized VMDK into an S3
 * multipart upload, then has EC2 import it (ImportSnapshot, which
 * needs the vmimport role).  Either way the snapshots are registered
 * as one AMI.  On any failure or interruption everything created is
 * removed: snapshots, the AMI, import tasks, multipart uploads and
 * objects.
 */

#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "outputs.h"
#include "aws.h"

static const struct optdesc aws_options[] = {
  { "region", "REGION", "the region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's)" },
  { "profile", "NAME", "the profile of ~/.aws/config and ~/.aws/credentials (default: AWS_PROFILE, else default)" },
  { "method", "ebs|import", "ebs (default): write EBS snapshots directly; import: S3 upload, then ImportSnapshot" },
  { "bucket", "NAME", "method=import: the S3 bucket the VMDKs go through" },
  { "keep-object", NULL, "method=import: keep the S3 objects after the import" },
  { "role-name", "NAME", "method=import: the VM Import service role (default vmimport)" },
  { "image-name", "NAME", "the AMI's name (default: the VM's name)" },
  { "description", "TEXT", "the AMI's and snapshots' description" },
  { "volume-type", "TYPE", "the volumes' EBS type: gp3 (default), gp2, io1, io2, st1, sc1, standard" },
  { "tag", "KEY=VAL", "a tag on the AMI and its snapshots (repeatable)" },
  { "arch", "ARCH", "x86_64 or arm64 (default: the guest's)" },
  { "boot-mode", "MODE", "legacy-bios, uefi or uefi-preferred (default: the guest's firmware)" },
  { "imds", "v2.0|optional", "require IMDSv2 (default: when the guest's cloud-init can use it)" },
  { "workers", "N", "method=ebs: blocks in flight per disk (default 16, at most 64)" },
  { NULL }
};

struct aws_disk {
  struct aws_config *cfg;       /* the output's */
  struct ebs_snapshot ebs;      /* method=ebs */
  char *snap;                   /* the snapshot id once there (owned) */
  uint64_t size;
  /* method=import */
  struct s3_upload up;
  struct vmdk_stream *vmdk;
  char *key;                    /* the object (owned) */
  bool object_there;            /* uploaded, not yet deleted */
  char *task;                   /* import task (owned) */
};

struct aws_output {
  struct output base;
  struct aws_config cfg;
  bool cfg_loaded;              /* aws_config_load was called */
  bool import;
  char *name, *description;
  const char *bucket, *role, *volume_type, *arch, *boot_mode, *imds;
  bool keep_object;
  unsigned workers;
  char **tags;                  /* "KEY=VAL" (owned) */
  struct aws_disk *disks;
  size_t nr_disks;
  char *image;                  /* the AMI, once registered (owned) */
  bool done;                    /* finished: nothing to clean up */
};

static void aws_close (struct output *o);

/* Checks that need AWS before the long part: the credentials work,
 * EC2 answers in the region, the name is free, the bucket is there.
 */
static int
aws_check (struct aws_output *a)
{
  struct http_response r;
  CLEANUP_FREE char *account = NULL, *existing = NULL;
  const char *const h[] = {
    "Content-Type: application/x-www-form-urlencoded; charset=utf-8", NULL
  };
  static const char body[] = "Action=GetCallerIdentity&Version=2011-06-15";
  struct aws_call c = {
    .service = AWS_STS, .method = "POST", .path = "/", .headers = h,
    .body = body, .len = sizeof body - 1, .what = "check the AWS credentials (GetCallerIdentity)",
  };

  if (aws_call (&a->cfg, &c, &r, NULL) == -1)
    return -1;
  account = aws_xml_text (r.body, r.len, "Account");
  http_response_free (&r);
  debug ("aws: account %s, region %s, credentials from %s",
         account ? account : "?", a->cfg.region, a->cfg.source);
  if (ec2_find_image (&a->cfg, a->name, &existing) == -1)
    return -1;
  if (existing) {
    error ("-o aws: an image named \"%s\" exists already in %s (%s): "
           "choose another name with -oo image-name= or -on", a->name,
           a->cfg.region, existing);
    return -1;
  }
  if (a->import && s3_check_bucket (&a->cfg, a->bucket) == -1)
    return -1;
  return 0;
}

/* AMI names: 3 to 128 of a-z A-Z 0-9 ( ) [ ] space . / - ' @ _ */
static bool
valid_ami_name (const char *s)
{
  size_t n = strlen (s);
  if (n < 3 || n > 128)
    return false;
  for (; *s; s++)
    if (!(isalnum ((unsigned char) *s) || strchr ("()[] ./-'@_", *s)))
      return false;
  return true;
}

static struct output *
aws_open (const struct output_args *args, const struct source *src)
{
  struct aws_output *a = calloc (1, sizeof *a);
  const char *v, *method;

  if (a == NULL) {
    error ("-o aws: %m");
    return NULL;
  }
  a->base.ops = output_lookup ("aws");
  if (args->dir || args->allocation || args->format) {
    error ("-o aws: %s does not apply (the disks become EBS snapshots)",
           args->dir ? "-os" : args->allocation ? "-oa" : "-of");
    goto fail;
  }
  method = kvlist_get (args->options, "method", NULL);
  if (method && strcmp (method, "ebs") && strcmp (method, "import")) {
    error ("-o aws: -oo method=\"%s\": use ebs or import", method);
    goto fail;
  }
  a->import = method && strcmp (method, "import") == 0;
  a->bucket = kvlist_get (args->options, "bucket", NULL);
  if (a->import && (a->bucket == NULL || *a->bucket == '\0')) {
    error ("-o aws: method=import needs -oo bucket=NAME (the S3 bucket the disks go through)");
    goto fail;
  }
  if (!a->import && a->bucket) {
    error ("-o aws: -oo bucket applies to method=import only");
    goto fail;
  }
  kvlist_get (args->options, "keep-object", &a->keep_object);
  a->role = (v = kvlist_get (args->options, "role-name", NULL)) ? v : "vmimport";
  a->volume_type = (v = kvlist_get (args->options, "volume-type", NULL)) ? v : "gp3";
  {
    static const char *const types[] = { "gp3", "gp2", "io1", "io2", "st1", "sc1", "standard", NULL };
    bool ok = false;
    for (size_t i = 0; types[i]; i++)
      ok |= strcmp (types[i], a->volume_type) == 0;
    if (!ok) {
      error ("-o aws: -oo volume-type=\"%s\": use gp3, gp2, io1, io2, st1, sc1 or standard",
             a->volume_type);
      goto fail;
    }
  }
  a->arch = kvlist_get (args->options, "arch", NULL);
  if (a->arch && strcmp (a->arch, "x86_64") && strcmp (a->arch, "arm64")) {
    error ("-o aws: -oo arch=\"%s\": use x86_64 or arm64", a->arch);
    goto fail;
  }
  a->boot_mode = kvlist_get (args->options, "boot-mode", NULL);
  if (a->boot_mode && strcmp (a->boot_mode, "legacy-bios") &&
      strcmp (a->boot_mode, "uefi") && strcmp (a->boot_mode, "uefi-preferred")) {
    error ("-o aws: -oo boot-mode=\"%s\": use legacy-bios, uefi or uefi-preferred",
           a->boot_mode);
    goto fail;
  }
  a->imds = kvlist_get (args->options, "imds", NULL);
  if (a->imds && strcmp (a->imds, "v2.0") && strcmp (a->imds, "optional")) {
    error ("-o aws: -oo imds=\"%s\": use v2.0 or optional", a->imds);
    goto fail;
  }
  a->workers = 16;
  if ((v = kvlist_get (args->options, "workers", NULL))) {
    char *end;
    long n = strtol (v, &end, 10);
    if (*end || n < 1 || n > 64) {
      error ("-o aws: -oo workers=\"%s\": use a number from 1 to 64", v);
      goto fail;
    }
    a->workers = (unsigned) n;
  }
  for (size_t i = 0; args->options && i < args->options->len; i++) {
    const struct kv *kv = &args->options->items[i];
    if (strcmp (kv->key, "tag") != 0)
      continue;
    if (kv->value == NULL || kv->value[0] == '=' || strchr (kv->value, '=') == NULL) {
      error ("-o aws: -oo tag=\"%s\": use tag=KEY=VALUE", kv->value ? kv->value : "");
      goto fail;
    }
    if (string_list_push (&a->tags, kv->value) == -1)
      goto nomem;
  }
  v = kvlist_get (args->options, "image-name", NULL);
  a->name = strdup (v ? v : args->name ? args->name : src->name);
  v = kvlist_get (args->options, "description", NULL);
  if (v)
    a->description = strdup (v);
  else if (asprintf (&a->description, "%s, converted by ferry", src->name) == -1)
    a->description = NULL;
  if (a->name == NULL || a->description == NULL)
    goto nomem;
  if (!valid_ami_name (a->name)) {
    error ("-o aws: the image name \"%s\" is not one AWS takes (3 to 128 of "
           "letters, digits and ()[] ./-'@_): give one with -oo image-name=", a->name);
    goto fail;
  }
  a->disks = calloc (src->nr_disks, sizeof *a->disks);
  if (a->disks == NULL)
    goto nomem;
  a->nr_disks = src->nr_disks;

  a->cfg_loaded = true;
  if (aws_config_load (&a->cfg, kvlist_get (args->options, "profile", NULL),
                       kvlist_get (args->options, "region", NULL)) == -1)
    goto fail;
  if (aws_check (a) == -1)
    goto fail;
  return &a->base;

 nomem:
  error ("-o aws: out of memory");
 fail:
  aws_close (&a->base);
  return NULL;
}

static int
aws_prepare (struct output *o, const struct source *src,
             const struct output_meta *m)
{
  struct aws_output *a = (struct aws_output *) o;

  (void) src;
  if (a->arch == NULL) {
    if (m->arch == NULL || strcmp (m->arch, "x86_64") == 0)
      a->arch = "x86_64";
    else if (strcmp (m->arch, "aarch64") == 0)
      a->arch = "arm64";
    else {
      error ("-o aws: the guest is %s; EC2 runs x86_64 and arm64 guests", m->arch);
      return -1;
    }
  }
  if (a->boot_mode == NULL)
    a->boot_mode = m->firmware == FIRMWARE_UEFI ? "uefi"
      : m->firmware == FIRMWARE_BIOS ? "legacy-bios" : NULL;
  if (a->boot_mode && strcmp (a->boot_mode, "legacy-bios") == 0 &&
      strcmp (a->arch, "arm64") == 0) {
    error ("-o aws: arm64 instances boot by UEFI only, and the guest boots by BIOS");
    return -1;
  }
  /* cloud-init speaks IMDSv2 since 20.1: then the AMI can require it. */
  if (a->imds == NULL && m->cloud_init_version) {
    int maj = 0, min = 0;
    if (sscanf (m->cloud_init_version, "%d.%d", &maj, &min) == 2 &&
        (maj > 20 || (maj == 20 && min >= 1)))
      a->imds = "v2.0";
  }
  return 0;
}

static int
block_cb (void *opaque, unsigned worker, uint64_t offset, const void *buf,
          size_t len)
{
  struct aws_disk *d = opaque;

  (void) worker;
  return ebs_put_block (d->cfg, &d->ebs, offset, buf, len);
}

static int
stream_cb (void *opaque, uint64_t offset, const void *buf, size_t len)
{
  struct aws_disk *d = opaque;
  return vmdk_stream_write (d->vmdk, offset, buf, len);
}

static int
aws_disk_begin (struct output *o, size_t i, const struct source_disk *sd,
                const struct copy_map *map, struct copy_dest *dest)
{
  struct aws_output *a = (struct aws_output *) o;
  struct aws_disk *d = &a->disks[i];

  d->size = sd->virtual_size;
  d->cfg = &a->cfg;
  dest->fd = -1;
  dest->size = sd->virtual_size;
  dest->zero_initialized = true;
  if (!a->import) {
    if (ebs_start (&a->cfg, &d->ebs, sd->virtual_size, a->description, a->tags) == -1) {
      /* A snapshot whose answer was wrong is still ours to delete. */
      d->snap = d->ebs.id ? strdup (d->ebs.id) : NULL;
      return -1;
    }
    d->snap = strdup (d->ebs.id);
    if (d->snap == NULL) {
      error ("-o aws: out of memory");
      return -1;
    }
    info ("disk %zu: writing EBS snapshot %s (%llu GiB)", i + 1, d->snap,
          (unsigned long long) d->ebs.gib);
    dest->block = block_cb;
    dest->block_opaque = d;
    dest->block_size = EBS_BLOCK_SIZE;
    dest->workers = a->workers;
    return 0;
  }

  {
    uint64_t max = vmdk_stream_max_size (sd->virtual_size, map->data_bytes);
    size_t part = 8u << 20;
    struct s3_upload *u = &d->up;
    char stamp[32];
    time_t t = time (NULL);
    struct tm tm;

    while ((max + part - 1) / part > 9000)
      part *= 2;
    if (part > (UINT64_C(5) << 30)) {
      error ("-o aws: disk %zu is too large for S3 (10,000 parts of at most 5 GiB): use method=ebs",
             i + 1);
      return -1;
    }
    strftime (stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", gmtime_r (&t, &tm));
    if (asprintf (&d->key, "ferry/%s-%s-disk%zu.vmdk", a->name, stamp, i + 1) == -1) {
      d->key = NULL;
      error ("-o aws: out of memory");
      return -1;
    }
    if (s3_upload_start (u, &a->cfg, a->bucket, d->key, part) == -1)
      return -1;
    d->vmdk = vmdk_stream_new (sd->virtual_size, s3_upload_write, u);
    if (d->vmdk == NULL)
      return -1;
    info ("disk %zu: uploading s3://%s/%s as a streamOptimized VMDK", i + 1,
          a->bucket, d->key);
    dest->stream = stream_cb;
    dest->stream_opaque = d;
  }
  return 0;
}

static int
aws_disk_end (struct output *o, size_t i, struct copy_dest *dest)
{
  struct aws_output *a = (struct aws_output *) o;
  struct aws_disk *d = &a->disks[i];
  char size[32];

  if (dest->failed)
    return 0;                   /* abort removes what is there */
  if (!a->import) {
    if (ebs_complete (&a->cfg, &d->ebs) == -1)
      return -1;
    info ("disk %zu: %s: %llu blocks, %s sent", i + 1, d->snap,
          (unsigned long long) atomic_load (&d->ebs.changed),
          human_size (atomic_load (&d->ebs.sent), size));
    return 0;
  }

  if (vmdk_stream_finish (d->vmdk) == -1 || s3_upload_finish (&d->up) == -1)
    return -1;
  d->object_there = true;
  info ("disk %zu: s3://%s/%s: %s in %zu parts", i + 1, a->bucket, d->key,
        human_size (d->up.sent, size), d->up.nr_parts);
  if (ec2_import_snapshot (&a->cfg, a->bucket, d->key, "VMDK", a->role,
                           a->description, &d->task) == -1)
    return -1;
  {
    bool ended;
    if (ec2_wait_import (&a->cfg, d->task, 6 * 3600, &d->snap, &ended) == -1) {
      if (ended) {
        free (d->task);
        d->task = NULL;
      }
      return -1;
    }
  }
  free (d->task);
  d->task = NULL;
  info ("disk %zu: imported as %s", i + 1, d->snap);
  if (a->tags) {
    struct ec2_params p = { 0 };
    struct http_response r;
    int rc = ec2_param (&p, "ResourceId.1", d->snap);
    for (size_t t = 0; rc == 0 && a->tags[t]; t++) {
      const char *eq = strchr (a->tags[t], '=');
      char n[48];
      CLEANUP_FREE char *k = strndup (a->tags[t], eq - a->tags[t]);
      snprintf (n, sizeof n, "Tag.%zu.Key", t + 1);
      rc = k ? ec2_param (&p, n, k) : -1;
      snprintf (n, sizeof n, "Tag.%zu.Value", t + 1);
      rc = rc == 0 ? ec2_param (&p, n, eq + 1) : -1;
    }
    if (rc == 0)
      rc = ec2_query (&a->cfg, "CreateTags", &p, false, &r, NULL);
    ec2_params_free (&p);
    if (rc == -1)
      return -1;
    http_response_free (&r);
  }
  if (!a->keep_object) {
    if (s3_delete (&a->cfg, a->bucket, d->key) == -1)
      return -1;
    d->object_there = false;
  }
  return 0;
}

/* Device names: the root disk /dev/xvda, then /dev/sdb, /dev/sdc, ... */
static void
device_name (size_t i, char *buf, size_t n)
{
  if (i == 0)
    snprintf (buf, n, "/dev/xvda");
  else if (i < 26)
    snprintf (buf, n, "/dev/sd%c", (char) ('a' + i));
  else
    snprintf (buf, n, "/dev/sd%c%c", (char) ('a' + i / 26 - 1), (char) ('a' + i % 26));
}

static int
register_image (struct aws_output *a)
{
  struct ec2_params p = { 0 };
  struct http_response r;
  CLEANUP_FREE char *code = NULL;
  char k[80], dev[16];
  int rc = 0;

#define P(name, value) (rc = rc == 0 ? ec2_param (&p, (name), (value)) : -1)
  P ("Name", a->name);
  P ("Description", a->description);
  P ("Architecture", a->arch);
  P ("VirtualizationType", "hvm");
  P ("RootDeviceName", "/dev/xvda");
  P ("EnaSupport", "true");
  P ("SriovNetSupport", "simple");
  if (a->boot_mode)
    P ("BootMode", a->boot_mode);
  if (a->imds && strcmp (a->imds, "v2.0") == 0)
    P ("ImdsSupport", "v2.0");
  for (size_t i = 0; i < a->nr_disks; i++) {
    char gib[32];
    device_name (i, dev, sizeof dev);
    snprintf (gib, sizeof gib, "%llu",
              (unsigned long long) ((a->disks[i].size + (UINT64_C(1) << 30) - 1) >> 30));
#define BDM(field, value) \
    (snprintf (k, sizeof k, "BlockDeviceMapping.%zu.%s", i + 1, field), P (k, value))
    BDM ("DeviceName", dev);
    BDM ("Ebs.SnapshotId", a->disks[i].snap);
    BDM ("Ebs.VolumeType", a->volume_type);
    BDM ("Ebs.VolumeSize", gib);
    BDM ("Ebs.DeleteOnTermination", "true");
#undef BDM
  }
  if (a->tags) {
    P ("TagSpecification.1.ResourceType", "image");
    for (size_t t = 0; a->tags[t]; t++) {
      const char *eq = strchr (a->tags[t], '=');
      CLEANUP_FREE char *key = strndup (a->tags[t], eq - a->tags[t]);
      snprintf (k, sizeof k, "TagSpecification.1.Tag.%zu.Key", t + 1);
      if (key == NULL)
        rc = -1;
      P (k, key ? key : "");
      snprintf (k, sizeof k, "TagSpecification.1.Tag.%zu.Value", t + 1);
      P (k, eq + 1);
    }
  }
#undef P
  if (rc == 0)
    rc = ec2_query (&a->cfg, "RegisterImage", &p, true, &r, &code);
  ec2_params_free (&p);
  if (rc == -1)
    return -1;
  a->image = aws_xml_text (r.body, r.len, "imageId");
  http_response_free (&r);
  if (a->image == NULL) {
    error ("RegisterImage: the answer has no imageId");
    return -1;
  }
  return 0;
}

static int
aws_finish (struct output *o, const struct source *src,
            const struct output_meta *m)
{
  struct aws_output *a = (struct aws_output *) o;

  (void) src;
  (void) m;
  for (size_t i = 0; i < a->nr_disks; i++)
    if (ec2_wait_snapshot (&a->cfg, a->disks[i].snap, 3600) == -1)
      return -1;
  if (register_image (a) == -1)
    return -1;
  info ("registered %s \"%s\" in %s (%s, %s%s%s)", a->image, a->name,
        a->cfg.region, a->arch, a->boot_mode ? a->boot_mode : "default boot mode",
        a->imds && strcmp (a->imds, "v2.0") == 0 ? ", IMDSv2 required" : "",
        a->nr_disks > 1 ? ", several disks" : "");
  if (log_get ()->machine_readable) {
    struct json j;
    json_init (&j, false);
    json_begin_object (&j, NULL);
    json_add_string (&j, "type", "output");
    json_add_string (&j, "output", "aws");
    json_add_string (&j, "region", a->cfg.region);
    json_add_string (&j, "image", a->image);
    json_add_string (&j, "name", a->name);
    json_begin_array (&j, "snapshots");
    for (size_t i = 0; i < a->nr_disks; i++)
      json_add_string (&j, NULL, a->disks[i].snap);
    json_end_array (&j);
    json_end_object (&j);
    if (json_print_line (&j) == -1) {
      error ("print the result: %m");
      return -1;
    }
  }
  else {
    printf ("%s\n", a->image);
    fflush (stdout);
  }
  a->done = true;
  return 0;
}

static void
aws_abort (struct output *o)
{
  struct aws_output *a = (struct aws_output *) o;
  struct sbuf said = SBUF_INIT;
  CLEANUP_FREE char *msg = NULL;

  if (a->done)
    return;
  a->cfg.http.cleanup = true;
#define SAID(...) (void) (said.len ? sbuf_puts (&said, ", ") : 0, sbuf_printf (&said, __VA_ARGS__))
  if (a->image && ec2_deregister_image (&a->cfg, a->image) == 0)
    SAID ("deregistered %s", a->image);
  for (size_t i = 0; i < a->nr_disks; i++) {
    struct aws_disk *d = &a->disks[i];
    if (d->task && ec2_cancel_import (&a->cfg, d->task) == 0)
      SAID ("cancelled import %s", d->task);
    if (d->up.upload_id && !d->up.completed) {
      if (s3_upload_abort (&d->up) == 0)
        SAID ("aborted the multipart upload of s3://%s/%s", a->bucket, d->key);
    }
    if (d->object_there && s3_delete (&a->cfg, a->bucket, d->key) == 0)
      SAID ("deleted s3://%s/%s", a->bucket, d->key);
    if (d->snap && ec2_delete_snapshot (&a->cfg, d->snap) == 0)
      SAID ("deleted snapshot %s", d->snap);
  }
#undef SAID
  msg = sbuf_take (&said);
  if (msg && *msg)
    info ("cleaned up: %s", msg);
}

static void
aws_close (struct output *o)
{
  struct aws_output *a = (struct aws_output *) o;

  if (a == NULL)
    return;
  for (size_t i = 0; i < a->nr_disks; i++) {
    struct aws_disk *d = &a->disks[i];
    ebs_snapshot_free (&d->ebs);
    if (d->vmdk)
      vmdk_stream_free (d->vmdk);
    s3_upload_free (&d->up);
    free (d->snap);
    free (d->key);
    free (d->task);
  }
  free (a->disks);
  if (a->cfg_loaded)
    aws_config_free (&a->cfg);
  free (a->name);
  free (a->description);
  free (a->image);
  free_string_list (a->tags);
  free (a);
}

const struct output_ops aws_output_ops = {
  .name = "aws",
  .description = "register an AMI in AWS: EBS direct snapshots, or S3 and ImportSnapshot",
  .options = aws_options,
  .default_target = "aws",
  .open = aws_open,
  .prepare = aws_prepare,
  .disk_begin = aws_disk_begin,
  .disk_end = aws_disk_end,
  .finish = aws_finish,
  .abort = aws_abort,
  .close = aws_close,
};
