/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: -o openstack: upload to Glance v2, streamed.
 *
 * One image per disk (the first is the boot image).  The image is
 * created first, then its data goes out in a single chunked PUT fed
 * straight from the copy engine through a pipe: no temporary copy.  A
 * qcow2 is laid out from the allocation map before the first byte, so
 * only the metadata and the allocated clusters cross the wire.  MD5 and
 * SHA-512 of the stream are checked against Glance's checksum and
 * os_hash_value afterwards.  Any failure deletes the images created.
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "outputs.h"

static const struct optdesc glance_options[] = {
  { "image-name", "NAME", "name of the (first) image (default: the VM's name)" },
  { "visibility", "VIS", "private (default), shared, community or public" },
  { "property", "KEY=VAL", "an image property (repeatable)" },
  { "cloud", "NAME", "the clouds.yaml entry (default: OS_CLOUD, else OS_* variables)" },
  { NULL }
};

/* The upload of one disk in progress. */
struct upload {
  char *id;                     /* Glance image id (owned) */
  char *name;                   /* (owned) */
  int pipe_w;                   /* we write the image stream here */
  int pipe_r;                   /* the upload thread reads here */
  pthread_t thread;
  bool thread_started;
  int result;                   /* the thread's: 0 or -1 */
  struct http_response resp;
  char *err;                    /* the thread's error message (owned) */
  atomic_bool cancel;           /* set before closing pipe_w on failure:
                                   the PUT is aborted, not completed */
  /* The stream. */
  bool qcow2;
  struct qcow2_layout lay;
  uint64_t pos;                 /* raw: guest bytes sent so far */
  uint64_t sent;                /* bytes into the pipe */
  uint64_t vsize;
  EVP_MD_CTX *md5, *sha512;
};

struct glance_output {
  struct output base;
  struct os_session os;
  char *name;
  const char *format;           /* "qcow2" or "raw" */
  char *visibility;
  char **props;                 /* "KEY=VAL" (owned) */
  const struct output_meta *meta;
  char **image_ids;             /* every image created, for abort (owned) */
  struct upload up;             /* the disk being copied */
};

static void glance_close (struct output *o);

/* Before the long part of the conversion: Glance answers, its TLS
 * certificate is trusted and it takes the token.
 */
static int
glance_check (struct glance_output *g)
{
  struct http_response r;
  int ret = -1;

  if (os_request (&g->os, "GET", "/v2/images?limit=1", NULL, NULL, &r) == -1)
    return -1;
  if (r.status == 200)
    ret = 0;
  else {
    CLEANUP_FREE char *why = http_describe (&r);
    error ("list images at %s: %s", g->os.image_url, why ? why : "failed");
  }
  http_response_free (&r);
  return ret;
}

static struct output *
glance_open (const struct output_args *a, const struct source *src)
{
  struct glance_output *g = calloc (1, sizeof *g);
  const char *v;

  if (g == NULL) {
    error ("-o openstack: %m");
    return NULL;
  }
  g->base.ops = output_lookup ("openstack");
  g->up.pipe_r = g->up.pipe_w = -1;
  if (a->dir) {
    error ("-o openstack: -os does not apply (the images go to Glance)");
    goto fail;
  }
  if (a->allocation) {
    error ("-o openstack: -oa does not apply");
    goto fail;
  }
  g->format = a->format ? a->format : "qcow2";
  if (strcmp (g->format, "qcow2") && strcmp (g->format, "raw")) {
    error ("-o openstack: output format \"%s\" is not supported (use qcow2 or raw)",
           g->format);
    goto fail;
  }
  v = kvlist_get (a->options, "image-name", NULL);
  g->name = strdup (v ? v : a->name ? a->name : src->name);
  g->visibility = strdup ((v = kvlist_get (a->options, "visibility", NULL)) ? v : "private");
  if (g->name == NULL || g->visibility == NULL)
    goto nomem;
  if (strcmp (g->visibility, "private") && strcmp (g->visibility, "shared") &&
      strcmp (g->visibility, "community") && strcmp (g->visibility, "public")) {
    error ("-oo visibility=\"%s\": use private, shared, community or public",
           g->visibility);
    goto fail;
  }
  for (size_t i = 0; i < a->options->len; i++) {
    const struct kv *kv = &a->options->items[i];
    if (strcmp (kv->key, "property") != 0)
      continue;
    if (kv->value == NULL || strchr (kv->value, '=') == NULL ||
        kv->value[0] == '=') {
      error ("-oo property=\"%s\": use property=KEY=VALUE",
             kv->value ? kv->value : "");
      goto fail;
    }
    if (string_list_push (&g->props, kv->value) == -1)
      goto nomem;
  }
  /* Authenticate now: wrong credentials fail in a second, not after
   * the conversion.
   */
  if (os_session_open (&g->os, kvlist_get (a->options, "cloud", NULL),
                       a->password) == -1 ||
      glance_check (g) == -1)
    goto fail;
  return &g->base;

 nomem:
  error ("-o openstack: %m");
 fail:
  glance_close (&g->base);
  return NULL;
}

static int
glance_prepare (struct output *o, const struct source *src,
                const struct output_meta *m)
{
  struct glance_output *g = (struct glance_output *) o;

  (void) src;
  g->meta = m;
  return 0;
}

static void
prop (struct json *j, const char *key, const char *value)
{
  if (value && *value)
    json_add_string (j, key, value);
}

/* POST /v2/images: the image record, with what Nova needs to boot it. */
static int
create_image (struct glance_output *g, size_t i, const struct source_disk *d)
{
  const struct output_meta *m = g->meta;
  struct http_response r = { 0 };
  struct json j;
  CLEANUP_FREE char *body = NULL;
  char ver[32];
  json_t *doc = NULL;
  int ret = -1, rc;

  free (g->up.name);
  if (i == 0)
    g->up.name = strdup (g->name);
  else if (asprintf (&g->up.name, "%s-disk%zu", g->name, i + 1) == -1)
    g->up.name = NULL;
  if (g->up.name == NULL) {
    error ("create image: %m");
    return -1;
  }
  json_init (&j, false);
  json_begin_object (&j, NULL);
  json_add_string (&j, "name", g->up.name);
  json_add_string (&j, "disk_format", g->format);
  json_add_string (&j, "container_format", "bare");
  json_add_string (&j, "visibility", g->visibility);
  json_add_int (&j, "min_disk", (int64_t) ((d->virtual_size + (UINT64_C(1) << 30) - 1) >> 30));
  prop (&j, "hw_disk_bus", "virtio");
  prop (&j, "hw_vif_model", "virtio");
  prop (&j, "hw_machine_type", "pc");
  if (m && m->firmware == FIRMWARE_UEFI)
    prop (&j, "hw_firmware_type", "uefi");
  if (m) {
    prop (&j, "os_type", m->os_type);
    prop (&j, "os_distro", m->distro);
    if (m->major > 0) {
      snprintf (ver, sizeof ver, m->minor >= 0 ? "%d.%d" : "%d", m->major, m->minor);
      prop (&j, "os_version", ver);
    }
    if (m->guest_agent)
      prop (&j, "hw_qemu_guest_agent", "yes");
  }
  if (i > 0)
    prop (&j, "ferry_boot_image", g->name);
  for (size_t k = 0; g->props && g->props[k]; k++) {
    CLEANUP_FREE char *kv = strdup (g->props[k]);
    char *eq = kv ? strchr (kv, '=') : NULL;
    if (eq == NULL)
      continue;
    *eq = '\0';
    json_add_string (&j, kv, eq + 1);
  }
  json_end_object (&j);
  body = json_take (&j);
  if (body == NULL) {
    error ("create image: %m");
    return -1;
  }
  /* A SIGINT must not cut the POST short: Glance could create the image
   * without ferry learning its id, and then nothing would delete it.
   * The POST runs to its end; the interruption is seen right after.
   */
  if (interrupted ()) {
    error ("create image \"%s\": interrupted", g->up.name);
    goto out;
  }
  g->os.http.cleanup = true;
  rc = os_request (&g->os, "POST", "/v2/images", "application/json", body, &r);
  g->os.http.cleanup = false;
  if (rc == -1)
    goto out;
  if (r.status != 201) {
    CLEANUP_FREE char *why = http_describe (&r);
    error ("create image \"%s\": %s", g->up.name, why ? why : "failed");
    goto out;
  }
  doc = json_read (r.body, r.len, "the new image", false);
  if (doc == NULL || tree_str (doc, "id") == NULL) {
    if (doc)
      error ("create image \"%s\": Glance's answer has no id", g->up.name);
    goto out;
  }
  free (g->up.id);
  g->up.id = strdup (tree_str (doc, "id"));
  if (g->up.id == NULL || string_list_push (&g->image_ids, g->up.id) == -1) {
    error ("create image: %m");
    goto out;
  }
  debug ("openstack: created image %s (%s)", g->up.id, g->up.name);
  if (interrupted ()) {
    error ("create image \"%s\": interrupted", g->up.name);
    goto out;
  }
  ret = 0;
 out:
  json_decref (doc);
  http_response_free (&r);
  return ret;
}

/* The upload thread: one chunked PUT reading the pipe. */
static void *
upload_thread (void *arg)
{
  struct glance_output *g = arg;
  struct upload *u = &g->up;
  CLEANUP_FREE char *url = NULL;
  const char *hdrs[] = {
    g->os.auth_header, "Content-Type: application/octet-stream", NULL
  };

  u->result = -1;
  if (asprintf (&url, "%s/v2/images/%s/file", g->os.image_url, u->id) == -1)
    return NULL;
  if (http_upload_fd (&g->os.http, "PUT", url, hdrs, u->pipe_r, &u->cancel,
                      &u->resp) == 0)
    u->result = 0;
  else if (last_error ())
    u->err = strdup (last_error ());
  /* Whatever happened, unblock the writer. */
  close (u->pipe_r);
  u->pipe_r = -1;
  return NULL;
}

static int
send_bytes (struct upload *u, const void *buf, size_t len)
{
  static const char zeros[65536];

  while (len > 0) {
    const char *p = buf ? buf : zeros;
    size_t n = buf ? len : len < sizeof zeros ? len : sizeof zeros;
    ssize_t w = write (u->pipe_w, p, n);

    if (w == -1) {
      if (errno == EINTR && !interrupted ())
        continue;
      if (errno == EINTR) {
        error ("upload \"%s\": interrupted", u->name);
        return -1;
      }
      /* EPIPE: the upload ended early; the thread knows why. */
      if (errno == EPIPE) {
        CLEANUP_FREE char *why = NULL;
        if (u->thread_started) {
          pthread_join (u->thread, NULL);
          u->thread_started = false;
        }
        /* The thread has said what went wrong already. */
        if (u->err)
          return -1;
        if (u->resp.status)
          why = http_describe (&u->resp);
        error ("upload \"%s\": the upload ended early: %s", u->name,
               why ? why : "the connection was closed");
      }
      else
        error ("upload \"%s\": %m", u->name);
      return -1;
    }
    EVP_DigestUpdate (u->md5, p, w);
    EVP_DigestUpdate (u->sha512, p, w);
    u->sent += w;
    if (buf)
      buf = (const char *) buf + w;
    len -= w;
  }
  return 0;
}

/* The copy engine's stream callback: guest data in guest order. */
static int
glance_stream (void *opaque, uint64_t offset, const void *buf, size_t len)
{
  struct upload *u = opaque;

  if (u->qcow2) {
    /* Allocated clusters follow each other in the file in guest
     * order; a partial last cluster is padded.
     */
    uint64_t cs = UINT64_C(1) << u->lay.map.cluster_bits;
    uint64_t want = (uint64_t) u->lay.map.host[offset >> u->lay.map.cluster_bits] * cs
                    + (offset & (cs - 1));
    if (want != u->sent) {
      error ("upload \"%s\": internal error: qcow2 stream at %llu, expected %llu",
             u->name, (unsigned long long) u->sent, (unsigned long long) want);
      return -1;
    }
    if (send_bytes (u, buf, len) == -1)
      return -1;
    if (len % cs)
      return send_bytes (u, NULL, cs - len % cs);
    return 0;
  }
  /* raw: the holes before this chunk are zeroes on the wire. */
  if (offset > u->pos && send_bytes (u, NULL, offset - u->pos) == -1)
    return -1;
  u->pos = offset + len;
  return send_bytes (u, buf, len);
}

static int
glance_disk_begin (struct output *o, size_t i, const struct source_disk *d,
                   const struct copy_map *map, struct copy_dest *dest)
{
  struct glance_output *g = (struct glance_output *) o;
  struct upload *u = &g->up;
  int fds[2];

  if (create_image (g, i, d) == -1)
    return -1;
  u->vsize = d->virtual_size;
  u->pos = u->sent = 0;
  atomic_store (&u->cancel, false);
  u->qcow2 = strcmp (g->format, "qcow2") == 0;
  u->md5 = EVP_MD_CTX_new ();
  u->sha512 = EVP_MD_CTX_new ();
  if (u->md5 == NULL || u->sha512 == NULL ||
      EVP_DigestInit_ex (u->md5, EVP_md5 (), NULL) != 1 ||
      EVP_DigestInit_ex (u->sha512, EVP_sha512 (), NULL) != 1) {
    error ("upload \"%s\": cannot set up the checksums", u->name);
    return -1;
  }
  if (u->qcow2 && qcow2_layout (u->name, d->virtual_size, map, &u->lay) == -1)
    return -1;
  if (pipe2 (fds, O_CLOEXEC) == -1) {
    error ("upload \"%s\": %m", u->name);
    return -1;
  }
  u->pipe_r = fds[0];
  u->pipe_w = fds[1];
  fcntl (u->pipe_w, F_SETPIPE_SZ, 1024 * 1024);
  if (pthread_create (&u->thread, NULL, upload_thread, g) != 0) {
    error ("upload \"%s\": cannot start a thread", u->name);
    return -1;
  }
  u->thread_started = true;
  if (u->qcow2 && send_bytes (u, u->lay.meta, u->lay.meta_len) == -1)
    return -1;
  memset (dest, 0, sizeof *dest);
  dest->fd = -1;
  dest->size = d->virtual_size;
  dest->stream = glance_stream;
  dest->stream_opaque = u;
  return 0;
}

static void
hex (const unsigned char *md, unsigned n, char *out)
{
  for (unsigned k = 0; k < n; k++)
    sprintf (out + 2 * k, "%02x", md[k]);
}

/* After the PUT: Glance's record must match what we sent. */
static int
verify_image (struct glance_output *g, const char *md5, const char *sha512)
{
  struct upload *u = &g->up;
  struct http_response r = { 0 };
  CLEANUP_FREE char *path = NULL;
  json_t *doc = NULL;
  const char *status, *sum, *hash;
  int64_t size, vsize;
  int ret = -1;

  if (asprintf (&path, "/v2/images/%s", u->id) == -1) {
    error ("check image: %m");
    return -1;
  }
  if (os_request (&g->os, "GET", path, NULL, NULL, &r) == -1)
    return -1;
  if (r.status != 200) {
    CLEANUP_FREE char *why = http_describe (&r);
    error ("check image \"%s\": %s", u->name, why ? why : "failed");
    goto out;
  }
  doc = json_read (r.body, r.len, "the image record", false);
  if (doc == NULL)
    goto out;
  status = tree_str (doc, "status");
  sum = tree_str (doc, "checksum");
  hash = tree_str (doc, "os_hash_value");
  if (status == NULL || strcmp (status, "active") != 0) {
    error ("upload \"%s\": the image is \"%s\" after the upload, not active",
           u->name, status ? status : "?");
    goto out;
  }
  if (!tree_int (doc, "size", &size) || (uint64_t) size != u->sent) {
    error ("upload \"%s\": Glance stored %lld bytes, ferry sent %llu",
           u->name, (long long) size, (unsigned long long) u->sent);
    goto out;
  }
  if (sum == NULL || strcmp (sum, md5) != 0) {
    error ("upload \"%s\": checksum mismatch (Glance has md5 %s, ferry sent %s)",
           u->name, sum ? sum : "none", md5);
    goto out;
  }
  if (hash && strcmp (hash, sha512) != 0) {
    error ("upload \"%s\": os_hash_value mismatch (Glance has %s, ferry sent sha512 %s)",
           u->name, hash, sha512);
    goto out;
  }
  if (tree_int (doc, "virtual_size", &vsize) && (uint64_t) vsize != u->vsize) {
    error ("upload \"%s\": Glance says the virtual size is %lld, the disk is %llu",
           u->name, (long long) vsize, (unsigned long long) u->vsize);
    goto out;
  }
  ret = 0;
 out:
  json_decref (doc);
  http_response_free (&r);
  return ret;
}

static void
upload_reset (struct upload *u)
{
  /* Still open here means the stream did not end normally. */
  atomic_store (&u->cancel, true);
  if (u->pipe_w >= 0)
    close (u->pipe_w);
  u->pipe_w = -1;
  if (u->thread_started)
    pthread_join (u->thread, NULL);
  u->thread_started = false;
  if (u->pipe_r >= 0)
    close (u->pipe_r);
  u->pipe_r = -1;
  http_response_free (&u->resp);
  EVP_MD_CTX_free (u->md5);
  EVP_MD_CTX_free (u->sha512);
  u->md5 = u->sha512 = NULL;
  free (u->lay.meta);
  free (u->lay.map.host);
  memset (&u->lay, 0, sizeof u->lay);
  free (u->err);
  u->err = NULL;
}

static int
glance_disk_end (struct output *o, size_t i, struct copy_dest *dest)
{
  struct glance_output *g = (struct glance_output *) o;
  struct upload *u = &g->up;
  unsigned char md[EVP_MAX_MD_SIZE];
  char md5[33], sha512[129];
  unsigned n;
  int ret = -1;

  (void) i;
  if (u->pipe_w < 0 || u->md5 == NULL || dest->failed)
    goto out;
  /* raw: the tail after the last data is zeroes too. */
  if ((!u->qcow2 && u->pos < u->vsize && !interrupted () &&
       send_bytes (u, NULL, u->vsize - u->pos) == -1) ||
      (u->qcow2 && u->sent < u->lay.file_size && !interrupted () &&
       send_bytes (u, NULL, u->lay.file_size - u->sent) == -1))
    atomic_store (&u->cancel, true);
  close (u->pipe_w);
  u->pipe_w = -1;
  if (u->thread_started)
    pthread_join (u->thread, NULL);
  u->thread_started = false;
  if (interrupted ()) {
    error ("upload \"%s\": interrupted", u->name);
    goto out;
  }
  if (u->result == -1) {
    /* The thread has printed why. */
    if (u->err == NULL)
      error ("upload \"%s\": failed", u->name);
    goto out;
  }
  if (u->resp.status != 204 && u->resp.status != 200) {
    CLEANUP_FREE char *why = http_describe (&u->resp);
    error ("upload \"%s\": %s", u->name, why ? why : "failed");
    goto out;
  }
  EVP_DigestFinal_ex (u->md5, md, &n);
  hex (md, n, md5);
  EVP_DigestFinal_ex (u->sha512, md, &n);
  hex (md, n, sha512);
  if (verify_image (g, md5, sha512) == -1)
    goto out;
  info ("uploaded image \"%s\" (%s): %llu bytes, md5 %s", u->name, u->id,
        (unsigned long long) u->sent, md5);
  ret = 0;
 out:
  upload_reset (u);
  return ret;
}

static int
glance_finish (struct output *o, const struct source *src,
               const struct output_meta *m)
{
  struct glance_output *g = (struct glance_output *) o;

  (void) src;
  (void) m;
  for (size_t i = 0; g->image_ids && g->image_ids[i]; i++)
    info ("glance image %zu: %s", i + 1, g->image_ids[i]);
  /* Uploaded: nothing to delete any more. */
  free_string_list (g->image_ids);
  g->image_ids = NULL;
  return 0;
}

static void
glance_abort (struct output *o)
{
  struct glance_output *g = (struct glance_output *) o;

  upload_reset (&g->up);
  for (size_t i = 0; g->image_ids && g->image_ids[i]; i++) {
    CLEANUP_FREE char *path = NULL;
    struct http_response r = { 0 };

    if (asprintf (&path, "/v2/images/%s", g->image_ids[i]) == -1)
      continue;
    /* Cleanup runs after SIGINT too: the HTTP layer must not give up
     * because of it.
     */
    g->os.http.cleanup = true;
    if (os_request (&g->os, "DELETE", path, NULL, NULL, &r) == 0 &&
        (r.status == 204 || r.status == 404))
      info ("deleted the incomplete image %s", g->image_ids[i]);
    else
      warning ("delete the incomplete image %s: %s", g->image_ids[i],
               r.status ? "refused" : "no answer");
    http_response_free (&r);
  }
  free_string_list (g->image_ids);
  g->image_ids = NULL;
}

static void
glance_close (struct output *o)
{
  struct glance_output *g = (struct glance_output *) o;

  if (g == NULL)
    return;
  upload_reset (&g->up);
  free (g->up.id);
  free (g->up.name);
  os_session_close (&g->os);
  free (g->name);
  free (g->visibility);
  free_string_list (g->props);
  free_string_list (g->image_ids);
  free (g);
}

const struct output_ops openstack_output_ops = {
  .name = "openstack",
  .description = "upload to OpenStack Glance (Keystone v3), streamed",
  .options = glance_options,
  .default_target = "openstack",
  .takes_password = true,
  .open = glance_open,
  .prepare = glance_prepare,
  .disk_begin = glance_disk_begin,
  .disk_end = glance_disk_end,
  .finish = glance_finish,
  .abort = glance_abort,
  .close = glance_close,
};
