/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: -o azure: the converted VM becomes a managed disk and image.
 *
 * method=disk (the default) creates an empty managed disk for upload
 * (createOption Upload, the size a MiB multiple plus the 512-byte VHD
 * footer), opens it for writing (beginGetAccess) and writes the pages
 * the copy engine hands out straight to its SAS, several at once; zero
 * ranges are never sent.  The fixed VHD footer goes last, then
 * endGetAccess, then an image of the disks.
 * method=blob writes the same page blob into a storage account
 * (SharedKey, SAS or a connection string) and, when a subscription and
 * resource group are given, imports it as a disk and image.
 *
 * With -oo resume, an existing disk or blob of the same name is
 * continued: Get Page Ranges says what it holds, those pages are read
 * back and compared, and only what is missing or differs is sent; a
 * failure then keeps the disk (open for writing) or blob for the next
 * try.  Without it, a failure removes everything this run created.
 */

#include <config.h>

#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "outputs.h"
#include "azure.h"


static const struct optdesc azure_options[] = {
  { "method", "disk|blob", "disk (default): upload a managed disk; blob: a page blob in a storage account" },
  { "subscription", "ID", "the subscription (default: AZURE_SUBSCRIPTION_ID)" },
  { "resource-group", "NAME", "the resource group of the disks and image" },
  { "location", "REGION", "where the disks go (default: the resource group's)" },
  { "sku", "SKU", "the disks' storage type (default Premium_LRS)" },
  { "disk-name", "NAME", "the first disk's name (default: VM-disk1; then -disk2, ...)" },
  { "image", "NAME", "the image's name (default: the VM's name)" },
  { "no-image", NULL, "make disks only, no image" },
  { "hyper-v-generation", "V1|V2", "the disks' generation (default: V2 for UEFI guests, else V1)" },
  { "tag", "KEY=VAL", "a tag on the disks and the image (repeatable)" },
  { "resume", NULL, "continue the upload of an existing disk or blob; keep it on failure" },
  { "workers", "N", "pages in flight per disk (default 8, at most 64)" },
  { "arm-endpoint", "URL", "Resource Manager (default: AZURE_ARM_ENDPOINT, else the public cloud's)" },
  { "container-url", "URL", "method=blob: the container, with a SAS query or authorised by the key" },
  { "storage-account", "NAME", "method=blob: the account (key in AZURE_STORAGE_KEY)" },
  { "container", "NAME", "method=blob: the container (default vhds)" },
  { "storage-account-id", "ID", "method=blob: the account's resource id, for the import" },
  { NULL }
};

static void azure_close (struct output *o);

/* One percent-encoded path segment (owned), or NULL. */
static char *
escape_segment (const char *s)
{
  char *e = curl_easy_escape (NULL, s, 0);
  char *r = e ? strdup (e) : NULL;
  curl_free (e);
  return r;
}

json_t *
az_tags_json (struct azure_output *a)
{
  json_t *t = json_object ();
  for (size_t i = 0; t && a->tags && a->tags[i]; i++) {
    const char *eq = strchr (a->tags[i], '=');
    CLEANUP_FREE char *k = strndup (a->tags[i], eq - a->tags[i]);
    if (k == NULL || json_object_set_new (t, k, json_string (eq + 1)) == -1) {
      json_decref (t);
      return NULL;
    }
  }
  return t;
}

/* The source of the blob auth for method=blob, in this order:
 * -oo container-url (a SAS in its query, else the key below),
 * AZURE_STORAGE_CONNECTION_STRING, -oo storage-account or
 * AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY.
 */
static int
blob_auth (struct azure_output *a, const struct kvlist *opts)
{
  const char *url = kvlist_get (opts, "container-url", NULL);
  const char *cs = getenv ("AZURE_STORAGE_CONNECTION_STRING");
  const char *acct = kvlist_get (opts, "storage-account", NULL);
  const char *key = getenv ("AZURE_STORAGE_KEY");
  const char *container = kvlist_get (opts, "container", NULL);

  if (acct == NULL)
    acct = getenv ("AZURE_STORAGE_ACCOUNT");
  if (container == NULL)
    container = "vhds";
  if (url && strchr (url, '?')) {
    if (az_auth_from_sas_url (&a->bauth, url, &a->container_url) == -1)
      return -1;
    a->bauth_set = true;
    return 0;
  }
  if (url && acct && key) {
    if (az_auth_from_key (&a->bauth, acct, key, NULL) == -1)
      return -1;
    a->bauth_set = true;
    a->container_url = strdup (url);
  }
  else if (cs && *cs) {
    if (az_auth_from_connection_string (&a->bauth, cs) == -1)
      return -1;
    a->bauth_set = true;
  }
  else if (acct && key) {
    if (az_auth_from_key (&a->bauth, acct, key, NULL) == -1)
      return -1;
    a->bauth_set = true;
  }
  else {
    error ("-o azure: method=blob needs the storage account's authorisation: "
           "-oo container-url=URL?SAS, AZURE_STORAGE_CONNECTION_STRING, or "
           "AZURE_STORAGE_ACCOUNT (or -oo storage-account) with AZURE_STORAGE_KEY");
    return -1;
  }
  if (a->container_url == NULL) {
    CLEANUP_FREE char *c = escape_segment (container);
    if (c == NULL || asprintf (&a->container_url, "%s/%s", a->bauth.endpoint, c) == -1)
      a->container_url = NULL;
  }
  if (a->container_url == NULL) {
    error ("-o azure: out of memory");
    return -1;
  }
  while (*a->container_url && a->container_url[strlen (a->container_url) - 1] == '/')
    a->container_url[strlen (a->container_url) - 1] = '\0';
  return 0;
}

/* Pre-flight, before the appliance: ARM answers, the group is there,
 * the names are free (or, with resume, the disks are resumable).
 */
static int
azure_check (struct azure_output *a)
{
  if (a->arm) {
    CLEANUP_FREE char *path = NULL, *what = NULL;
    json_t *g = NULL;
    int st;

    if (asprintf (&path, "/subscriptions/%s/resourcegroups/%s", a->sub, a->rg) == -1 ||
        asprintf (&what, "check the resource group \"%s\"", a->rg) == -1)
      goto nomem;
    st = arm_request (&a->cfg, "GET", path, ARM_API_GROUPS, NULL, what,
                      ARM_ABSENT_OK, &g);
    if (st == -1)
      return -1;
    if (st == 404) {
      error ("-o azure: the resource group \"%s\" does not exist in subscription %s",
             a->rg, a->sub);
      return -1;
    }
    if (a->location == NULL) {
      const char *l = arm_json_str (g, "location");
      a->location = l ? strdup (l) : NULL;
    }
    json_decref (g);
    if (a->location == NULL) {
      error ("-o azure: the resource group \"%s\" has no location: give -oo location=", a->rg);
      return -1;
    }
    for (size_t i = 0; i < a->nr_disks; i++) {
      struct az_disk *d = &a->disks[i];
      CLEANUP_FREE char *w = NULL;
      if (asprintf (&w, "look up disk \"%s\"", d->name) == -1)
        goto nomem;
      st = arm_request (&a->cfg, "GET", d->path, ARM_API_COMPUTE, NULL, w,
                        ARM_ABSENT_OK, NULL);
      if (st == -1)
        return -1;
      if (st != 404 && !a->resume) {
        error ("-o azure: a disk named \"%s\" exists already in \"%s\": choose "
               "another name with -oo disk-name= or -on, or continue its upload "
               "with -oo resume", d->name, a->rg);
        return -1;
      }
    }
    if (a->image) {
      CLEANUP_FREE char *ip = arm_compute_path (a->sub, a->rg, "images", a->image);
      CLEANUP_FREE char *w = NULL;
      if (ip == NULL || asprintf (&w, "look up image \"%s\"", a->image) == -1)
        goto nomem;
      st = arm_request (&a->cfg, "GET", ip, ARM_API_IMAGES, NULL, w,
                        ARM_ABSENT_OK, NULL);
      if (st == -1)
        return -1;
      if (st != 404) {
        error ("-o azure: an image named \"%s\" exists already in \"%s\": "
               "choose another with -oo image=, or -oo no-image", a->image, a->rg);
        return -1;
      }
    }
  }
  if (a->blob_method) {
    for (size_t i = 0; i < a->nr_disks; i++) {
      uint64_t size;
      int st = azblob_size (&a->disks[i].blob, &size);
      if (st == -1)
        return -1;
      if (st == 0 && !a->resume) {
        CLEANUP_FREE char *u = az_redact_url (a->disks[i].blob.url);
        error ("-o azure: the blob \"%s\" exists already: choose another name "
               "with -oo disk-name= or -on, or continue it with -oo resume",
               u ? u : a->disks[i].name);
        return -1;
      }
    }
  }
  return 0;
 nomem:
  error ("-o azure: out of memory");
  return -1;
}

/* Azure's names for disks and images: 1 to 80 of letters, digits,
 * '_', '.', '-', beginning with a letter or digit, not ending in '.'
 * or '-'.
 */
static bool
valid_name (const char *s)
{
  size_t n = strlen (s);
  if (n < 1 || n > 80 || !isalnum ((unsigned char) s[0]) ||
      s[n - 1] == '.' || s[n - 1] == '-')
    return false;
  for (; *s; s++)
    if (!(isalnum ((unsigned char) *s) || strchr ("_.-", *s)))
      return false;
  return true;
}

static struct output *
azure_open (const struct output_args *args, const struct source *src)
{
  struct azure_output *a = calloc (1, sizeof *a);
  const struct kvlist *opts = args->options;
  const char *v, *name;
  bool no_image = false;

  if (a == NULL) {
    error ("-o azure: %m");
    return NULL;
  }
  a->base.ops = output_lookup ("azure");
  if (args->dir || args->allocation || args->format) {
    error ("-o azure: %s does not apply (the disks become fixed VHD page blobs)",
           args->dir ? "-os" : args->allocation ? "-oa" : "-of");
    goto fail;
  }
  v = kvlist_get (opts, "method", NULL);
  if (v && strcmp (v, "disk") && strcmp (v, "blob")) {
    error ("-o azure: -oo method=\"%s\": use disk or blob", v);
    goto fail;
  }
  a->blob_method = v && strcmp (v, "blob") == 0;
  kvlist_get (opts, "resume", &a->resume);
  kvlist_get (opts, "no-image", &no_image);
  v = kvlist_get (opts, "subscription", NULL);
  if (v == NULL)
    v = getenv ("AZURE_SUBSCRIPTION_ID");
  a->sub = v && *v ? strdup (v) : NULL;
  a->rg = kvlist_get (opts, "resource-group", NULL);
  if (a->rg && *a->rg == '\0')
    a->rg = NULL;
  a->arm = !a->blob_method || (a->sub && a->rg);
  if (a->arm && (a->sub == NULL || a->rg == NULL)) {
    error ("-o azure: give %s (the managed disks and image go there)",
           a->sub == NULL ? "-oo subscription=ID or AZURE_SUBSCRIPTION_ID"
           : "-oo resource-group=NAME");
    goto fail;
  }
  if (a->blob_method && !a->sub != !a->rg) {
    error ("-o azure: method=blob imports the blob when both -oo subscription "
           "and -oo resource-group are given; %s is missing",
           a->sub ? "resource-group" : "subscription");
    goto fail;
  }
  if ((v = kvlist_get (opts, "location", NULL)) && (a->location = strdup (v)) == NULL)
    goto nomem;
  a->sku = (v = kvlist_get (opts, "sku", NULL)) ? v : "Premium_LRS";
  {
    static const char *const skus[] = {
      "Standard_LRS", "Premium_LRS", "StandardSSD_LRS", "UltraSSD_LRS",
      "Premium_ZRS", "StandardSSD_ZRS", "PremiumV2_LRS", NULL
    };
    bool ok = false;
    for (size_t i = 0; skus[i]; i++)
      ok |= strcmp (skus[i], a->sku) == 0;
    if (!ok) {
      error ("-o azure: -oo sku=\"%s\": use Standard_LRS, Premium_LRS, StandardSSD_LRS, "
             "UltraSSD_LRS, Premium_ZRS, StandardSSD_ZRS or PremiumV2_LRS", a->sku);
      goto fail;
    }
  }
  a->hvgen = kvlist_get (opts, "hyper-v-generation", NULL);
  if (a->hvgen && strcmp (a->hvgen, "V1") && strcmp (a->hvgen, "V2")) {
    error ("-o azure: -oo hyper-v-generation=\"%s\": use V1 or V2", a->hvgen);
    goto fail;
  }
  a->workers = 8;
  if ((v = kvlist_get (opts, "workers", NULL))) {
    char *end;
    long n = strtol (v, &end, 10);
    if (*end || n < 1 || n > 64) {
      error ("-o azure: -oo workers=\"%s\": use a number from 1 to 64", v);
      goto fail;
    }
    a->workers = (unsigned) n;
  }
  for (size_t i = 0; opts && i < opts->len; i++) {
    const struct kv *kv = &opts->items[i];
    if (strcmp (kv->key, "tag") != 0)
      continue;
    if (kv->value == NULL || kv->value[0] == '=' || strchr (kv->value, '=') == NULL) {
      error ("-o azure: -oo tag=\"%s\": use tag=KEY=VALUE", kv->value ? kv->value : "");
      goto fail;
    }
    if (string_list_push (&a->tags, kv->value) == -1)
      goto nomem;
  }
  name = args->name ? args->name : src->name;
  v = kvlist_get (opts, "image", NULL);
  if (a->arm && !no_image && (a->image = strdup (v ? v : name)) == NULL)
    goto nomem;
  if (a->image && !valid_name (a->image)) {
    error ("-o azure: the image name \"%s\" is not one Azure takes (1 to 80 of "
           "letters, digits and _.-): give one with -oo image=", a->image);
    goto fail;
  }
  a->disk_name = kvlist_get (opts, "disk-name", NULL);
  a->firmware = src->firmware;
  a->os_type = "Linux";

  if (a->blob_method && blob_auth (a, opts) == -1)
    goto fail;
  if (a->blob_method && a->arm) {
    v = kvlist_get (opts, "storage-account-id", NULL);
    if (v)
      a->storage_id = strdup (v);
    else if (asprintf (&a->storage_id, "/subscriptions/%s/resourceGroups/%s/providers/"
                       "Microsoft.Storage/storageAccounts/%s", a->sub, a->rg,
                       a->bauth.account) == -1)
      a->storage_id = NULL;
    if (a->storage_id == NULL)
      goto nomem;
  }

  a->disks = calloc (src->nr_disks, sizeof *a->disks);
  if (a->disks == NULL)
    goto nomem;
  a->nr_disks = src->nr_disks;
  for (size_t i = 0; i < a->nr_disks; i++) {
    struct az_disk *d = &a->disks[i];
    d->a = a;
    d->idx = i;
    if (a->disk_name && i == 0)
      d->name = strdup (a->disk_name);
    else if (asprintf (&d->name, "%s-disk%zu", a->disk_name ? a->disk_name : name,
                       i + 1) == -1)
      d->name = NULL;
    if (d->name == NULL)
      goto nomem;
    if (!valid_name (d->name)) {
      error ("-o azure: the disk name \"%s\" is not one Azure takes (1 to 80 of "
             "letters, digits and _.-): give one with -oo disk-name=", d->name);
      goto fail;
    }
    if (a->arm && (d->path = arm_compute_path (a->sub, a->rg, "disks", d->name)) == NULL)
      goto nomem;
    if (a->blob_method) {
      d->blob.auth = &a->bauth;
      if (asprintf (&d->blob.url, "%s/%s.vhd", a->container_url, d->name) == -1) {
        d->blob.url = NULL;
        goto nomem;
      }
    }
  }

  if (a->arm) {
    a->cfg_loaded = true;
    if (az_config_load (&a->cfg, kvlist_get (opts, "arm-endpoint", NULL)) == -1)
      goto fail;
  }
  if (a->blob_method) {
    /* The blob requests use ARM's HTTP settings when there are any. */
    if (a->cfg_loaded)
      a->bhttp = a->cfg.http;
    else {
      a->bhttp.cacert = getenv ("REQUESTS_CA_BUNDLE");
      if (a->bhttp.cacert == NULL)
        a->bhttp.cacert = getenv ("SSL_CERT_FILE");
      a->bhttp.connect_timeout = 30;
      a->bhttp.timeout = 300;
    }
    for (size_t i = 0; i < a->nr_disks; i++)
      a->disks[i].blob.http = &a->bhttp;
  }
  if (azure_check (a) == -1)
    goto fail;
  return &a->base;

 nomem:
  error ("-o azure: out of memory");
 fail:
  azure_close (&a->base);
  return NULL;
}

static int
azure_prepare (struct output *o, const struct source *src,
               const struct output_meta *m)
{
  struct azure_output *a = (struct azure_output *) o;

  (void) src;
  if (m->firmware != FIRMWARE_UNKNOWN)
    a->firmware = m->firmware;
  if (m->os_type && strcmp (m->os_type, "windows") == 0)
    a->os_type = "Windows";
  if (m->arch && strcmp (m->arch, "x86_64") && strcmp (m->arch, "aarch64")) {
    error ("-o azure: the guest is %s; Azure runs x86_64 and aarch64 guests", m->arch);
    return -1;
  }
  if (m->arch && strcmp (m->arch, "aarch64") == 0 && a->firmware == FIRMWARE_BIOS) {
    error ("-o azure: arm64 VMs boot by UEFI (generation 2), and the guest boots by BIOS");
    return -1;
  }
  return 0;
}

const char *
az_generation (const struct azure_output *a)
{
  if (a->hvgen)
    return a->hvgen;
  return a->firmware == FIRMWARE_UEFI ? "V2" : "V1";
}

static int
create_image (struct azure_output *a)
{
  CLEANUP_FREE char *what = NULL, *id0 = NULL;
  json_t *body, *data, *tags;
  int st;

  a->image_path = arm_compute_path (a->sub, a->rg, "images", a->image);
  if (a->image_path == NULL || asprintf (&what, "create image \"%s\"", a->image) == -1)
    goto nomem;
  body = json_pack ("{s:s, s:{s:s, s:{s:{s:s, s:s, s:{s:s}}, s:[]}}}",
                    "location", a->location,
                    "properties", "hyperVGeneration", az_generation (a),
                    "storageProfile", "osDisk", "osType", a->os_type,
                    "osState", "Generalized", "managedDisk", "id", a->disks[0].path,
                    "dataDisks");
  tags = az_tags_json (a);
  if (body == NULL || tags == NULL) {
    json_decref (body);
    json_decref (tags);
    goto nomem;
  }
  json_object_set_new (body, "tags", tags);
  data = json_object_get (json_object_get (json_object_get (body, "properties"),
                                           "storageProfile"), "dataDisks");
  for (size_t i = 1; i < a->nr_disks; i++)
    json_array_append_new (data, json_pack ("{s:I, s:{s:s}}", "lun", (json_int_t) (i - 1),
                                            "managedDisk", "id", a->disks[i].path));
  st = arm_request (&a->cfg, "PUT", a->image_path, ARM_API_IMAGES, body, what, 0, NULL);
  json_decref (body);
  if (st == -1) {
    /* It may exist in a failed state: abort deletes it. */
    return -1;
  }
  return 0;
 nomem:
  error ("-o azure: out of memory");
  return -1;
}

static int
azure_finish (struct output *o, const struct source *src,
              const struct output_meta *m)
{
  struct azure_output *a = (struct azure_output *) o;

  (void) src;
  (void) m;
  if (a->blob_method && a->arm && az_import_blobs (a) == -1)
    return -1;
  if (a->image && create_image (a) == -1)
    return -1;
  if (a->image)
    info ("created image \"%s\" in \"%s\" (%s, %s, generation %s)", a->image, a->rg,
          a->location, a->os_type, az_generation (a));
  if (log_get ()->machine_readable) {
    struct json j;
    json_init (&j, false);
    json_begin_object (&j, NULL);
    json_add_string (&j, "type", "output");
    json_add_string (&j, "output", "azure");
    if (a->image_path)
      json_add_string (&j, "image", a->image_path);
    json_begin_array (&j, a->arm ? "disks" : "blobs");
    for (size_t i = 0; i < a->nr_disks; i++) {
      CLEANUP_FREE char *u = a->arm ? NULL : az_redact_url (a->disks[i].blob.url);
      json_add_string (&j, NULL, a->arm ? a->disks[i].path : u);
    }
    json_end_array (&j);
    json_add_string (&j, "hyperVGeneration", az_generation (a));
    json_end_object (&j);
    if (json_print_line (&j) == -1) {
      error ("print the result: %m");
      return -1;
    }
  }
  else {
    if (a->image_path)
      printf ("%s\n", a->image_path);
    else
      for (size_t i = 0; i < a->nr_disks; i++) {
        CLEANUP_FREE char *u = a->arm ? NULL : az_redact_url (a->disks[i].blob.url);
        printf ("%s\n", a->arm ? a->disks[i].path : u ? u : a->disks[i].name);
      }
    fflush (stdout);
  }
  a->done = true;
  return 0;
}

static void
azure_abort (struct output *o)
{
  struct azure_output *a = (struct azure_output *) o;
  struct sbuf said = SBUF_INIT, kept = SBUF_INIT;
  CLEANUP_FREE char *msg = NULL, *kmsg = NULL;

  if (a->done)
    return;
  a->cfg.http.cleanup = true;
  a->bhttp.cleanup = true;
#define SAY(b, ...) (void) ((b)->len ? sbuf_puts ((b), ", ") : 0, sbuf_printf ((b), __VA_ARGS__))
  if (a->image_path) {
    CLEANUP_FREE char *w = NULL;
    if (asprintf (&w, "delete image \"%s\"", a->image) != -1 &&
        arm_request (&a->cfg, "DELETE", a->image_path, ARM_API_IMAGES, NULL, w,
                     ARM_ABSENT_OK, NULL) != -1)
      SAY (&said, "deleted image \"%s\"", a->image);
  }
  for (size_t i = 0; i < a->nr_disks; i++) {
    struct az_disk *d = &a->disks[i];
    CLEANUP_FREE char *w = NULL;
    bool keep = a->resume && !d->uploaded;

    if (!a->blob_method) {
      if (keep && (d->created || d->access)) {
        SAY (&kept, "disk \"%s\" (open for writing)", d->name);
        continue;
      }
      /* Azure checks the VHD footer when write access ends, and a disk
       * whose check fails stays in ActiveUpload, where it cannot be
       * deleted: an unfinished disk gets its footer first.
       */
      if (d->access && !d->uploaded) {
        unsigned char footer[512];
        vhd_fixed_footer (d->vhd_size, footer);
        if (azblob_put_page (&d->blob, d->vhd_size, footer, sizeof footer) == -1)
          debug ("azure: the footer of unfinished disk \"%s\" was not written", d->name);
      }
      if (d->access && az_end_access (a, d) == 0)
        SAY (&said, "ended write access to disk \"%s\"", d->name);
      if (d->created && asprintf (&w, "delete disk \"%s\"", d->name) != -1 &&
          arm_request (&a->cfg, "DELETE", d->path, ARM_API_COMPUTE, NULL, w,
                       ARM_ABSENT_OK, NULL) != -1)
        SAY (&said, "deleted disk \"%s\"", d->name);
      continue;
    }
    if (a->arm && d->created && asprintf (&w, "delete disk \"%s\"", d->name) != -1 &&
        arm_request (&a->cfg, "DELETE", d->path, ARM_API_COMPUTE, NULL, w,
                     ARM_ABSENT_OK, NULL) != -1)
      SAY (&said, "deleted disk \"%s\"", d->name);
    if (keep) {
      SAY (&kept, "blob \"%s.vhd\"", d->name);
      continue;
    }
    /* The blob was created by this run unless it was resumed. */
    if ((d->created || d->uploaded) && !(a->resume && d->nr_held) &&
        azblob_delete (&d->blob) == 0)
      SAY (&said, "deleted blob \"%s.vhd\"", d->name);
  }
#undef SAY
  msg = sbuf_take (&said);
  kmsg = sbuf_take (&kept);
  if (msg && *msg)
    info ("cleaned up: %s", msg);
  if (kmsg && *kmsg)
    info ("kept for -oo resume: %s", kmsg);
}

static void
azure_close (struct output *o)
{
  struct azure_output *a = (struct azure_output *) o;

  if (a == NULL)
    return;
  for (size_t i = 0; i < a->nr_disks; i++) {
    struct az_disk *d = &a->disks[i];
    free (d->name);
    free (d->path);
    free (d->blob.url);
    az_auth_clear (&d->sas);
    free (d->held);
    for (unsigned w = 0; d->wbuf && w < d->workers; w++)
      free (d->wbuf[w]);
    free (d->wbuf);
  }
  free (a->disks);
  if (a->cfg_loaded)
    az_config_free (&a->cfg);
  if (a->bauth_set)
    az_auth_clear (&a->bauth);
  free (a->container_url);
  free (a->storage_id);
  free (a->sub);
  free (a->location);
  free (a->image);
  free (a->image_path);
  free_string_list (a->tags);
  free (a);
}

const struct output_ops azure_output_ops = {
  .name = "azure",
  .description = "create a managed disk and image in Azure, or a page blob, uploaded page by page",
  .options = azure_options,
  .default_target = "azure",
  .open = azure_open,
  .prepare = azure_prepare,
  .disk_begin = az_disk_begin,
  .disk_end = az_disk_end,
  .finish = azure_finish,
  .abort = azure_abort,
  .close = azure_close,
};
