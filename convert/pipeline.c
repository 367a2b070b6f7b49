/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: the conversion pipeline.
 *
 *   input: metadata, disks as read-only NBD
 *   -> qcow2 overlays in the temp dir
 *   -> guestfix (one appliance launch: inspect, fix, fstrim)
 *   -> copy engine -> output -> metadata, atomically
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "convert.h"

/* Every resource the pipeline holds, so that one function can release
 * them on every path.
 */
struct run {
  struct source src;
  struct input *in;
  struct output *out;
  struct guest gu;
  struct report rep;
  const struct target *target;
  struct nbd_server ovl;        /* the overlay being copied */
  struct mac_ip *mac_ips;       /* --mac MAC:ip:... */
  size_t nr_mac_ips;
};

static void
run_cleanup (struct run *r, bool failed)
{
  nbd_server_stop (&r->ovl);
  if (r->out) {
    if (failed)
      r->out->ops->abort (r->out);
    r->out->ops->close (r->out);
  }
  if (r->in)
    r->in->ops->close (r->in);
  guest_free (&r->gu);
  report_free (&r->rep);
  for (size_t i = 0; i < r->nr_mac_ips; i++) {
    free (r->mac_ips[i].mac);
    static_ip_free (&r->mac_ips[i].ip);
  }
  free (r->mac_ips);
  source_free (&r->src);
  tmpdir_cleanup ();
}

static int
open_input (struct convert_opts *o, struct run *r)
{
  const struct input_ops *iops = input_lookup (o->input ? o->input : "disk");
  struct input_args ia = {
    .files = o->files, .nr_files = o->nr_files,
    .forced_format = o->input_format, .options = &o->io,
    .conn_uri = o->conn_uri, .password = o->in_password,
  };
  char what[64];

  if (iops == NULL) {
    error ("-i \"%s\": unknown input (see ferry --help)", o->input);
    return -1;
  }
  snprintf (what, sizeof what, "-i %s", iops->name);
  if (kvlist_check (&o->io, iops->options, what) == -1)
    return -1;
  r->in = iops->open (&ia, &r->src);
  return r->in ? 0 : -1;
}

/* Serve a disk's overlay read-only, confined: qemu sees the overlay
 * and, when it reads the source file directly, what the source's qemu
 * may see.
 */
static int
overlay_server (struct run *r, const struct source_disk *d, const char *opts,
                bool direct)
{
  static const char *const ro_args[] = { "--cache=unsafe", NULL };
  struct confine c = { .off = d->confine.off };
  int ret;

  for (size_t i = 0; direct && d->confine.ro && d->confine.ro[i]; i++)
    if (confine_allow (&c, d->confine.ro[i], false) == -1)
      goto fail;
  if (confine_allow (&c, d->overlay, false) == -1)
    goto fail;
  ret = nbd_server_start (&r->ovl, "overlay", d->overlay, "qcow2", opts,
                          true, ro_args, &c);
  confine_free (&c);
  return ret;
 fail:
  confine_free (&c);
  return -1;
}

/* The overlay takes every write; its backing file is the source's
 * read-only NBD export, with an explicit format so qemu never probes.
 */
static int
make_overlays (struct run *r)
{
  const char *tmpdir = tmpdir_create ();

  if (tmpdir == NULL)
    return -1;
  for (size_t i = 0; i < r->src.nr_disks; i++) {
    struct source_disk *d = &r->src.disks[i];
    CLEANUP_FREE char *opts = NULL, *err = NULL;
    char size[32];
    int ret;

    if (asprintf (&d->overlay, "%s/overlay%zu.qcow2", tmpdir, i) == -1 ||
        asprintf (&opts, "compat=1.1,backing_fmt=raw,backing_file=%s", d->uri) == -1) {
      error ("create overlay: %m");
      return -1;
    }
    snprintf (size, sizeof size, "%llu", (unsigned long long) d->virtual_size);
    {
      const char *argv[] = {
        QEMU_IMG, "create", "-q", "-f", "qcow2", "-o", opts, d->overlay, size, NULL
      };
      ret = run_command (argv, NULL, &err);
    }
    if (ret != 0) {
      if (ret > 0)
        error ("create overlay for \"%s\": %s", d->path, err ? err : "");
      return -1;
    }
  }
  return 0;
}

/* -n and -b: a map with IN applies to the NICs on that source
 * network; one without IN to every NIC no other map matched.
 */
static int
apply_netmaps (const struct convert_opts *o, struct source *src)
{
  for (size_t k = 0; k < o->nr_netmaps; k++) {
    const struct netmap *m = &o->netmaps[k];
    bool used = false;

    if (m->in == NULL)
      continue;
    for (size_t i = 0; i < src->nr_nics; i++) {
      struct source_nic *n = &src->nics[i];
      if (n->map || n->network == NULL || strcmp (n->network, m->in) != 0)
        continue;
      if ((n->map = strdup (m->out)) == NULL)
        goto nomem;
      n->bridge = m->bridge;
      used = true;
    }
    if (!used)
      warning ("-%c \"%s:%s\": no NIC of the source is on network \"%s\"",
               m->bridge ? 'b' : 'n', m->in, m->out, m->in);
  }
  for (size_t k = 0; k < o->nr_netmaps; k++) {
    const struct netmap *m = &o->netmaps[k];
    if (m->in)
      continue;
    for (size_t i = 0; i < src->nr_nics; i++) {
      struct source_nic *n = &src->nics[i];
      if (n->map)
        continue;
      if ((n->map = strdup (m->out)) == NULL)
        goto nomem;
      n->bridge = m->bridge;
    }
  }
  return 0;
 nomem:
  error ("map networks: %m");
  return -1;
}

/* A bare disk says nothing about NICs: give the target one, with a
 * fixed locally administered MAC so the XML is reproducible per name.
 */
static int
default_nics (struct source *src)
{
  unsigned h = 5381;

  if (src->nr_nics > 0)
    return 0;
  src->nics = calloc (1, sizeof *src->nics);
  if (src->nics == NULL)
    return -1;
  for (const char *p = src->name; *p; p++)
    h = h * 33 + (unsigned char) *p;
  if (asprintf (&src->nics[0].mac, "52:54:00:%02x:%02x:%02x",
                (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff) == -1)
    return -1;
  src->nics[0].network = strdup ("default");
  src->nr_nics = 1;
  return 0;
}

/* --mac: MAC:ip:... kept for guestfix; MAC:network:NAME and
 * MAC:bridge:NAME applied to the source NIC with that MAC.  Parsed
 * (parse_only) before anything starts, applied once the source's NICs
 * are known.
 */
static int
apply_macs (struct convert_opts *o, struct run *r, bool parse_only)
{
  for (size_t i = 0; o->macs && o->macs[i]; i++) {
    CLEANUP_FREE char *mac = NULL, *name = NULL;
    const char *kind = NULL, *why = NULL;
    struct static_ip ip = { 0 };
    int rc = parse_mac_option (o->macs[i], &mac, &kind, &name, &ip, &why);
    bool found = false;

    if (rc == -1) {
      error ("--mac \"%s\": %s", o->macs[i], why ? why : "invalid");
      return -1;
    }
    if (rc == 0 && o->copy_only) {
      static_ip_free (&ip);
      error ("--mac \"%s\": a static address is a change to the guest, "
             "which ferry copy does not make (use ferry convert)", o->macs[i]);
      return -1;
    }
    if (parse_only) {
      static_ip_free (&ip);
      continue;
    }
    if (rc == 0) {
      struct mac_ip *m;

      for (size_t n = 0; n < r->src.nr_nics && !found; n++)
        found = r->src.nics[n].mac && strcasecmp (r->src.nics[n].mac, mac) == 0;
      if (!found) {
        static_ip_free (&ip);
        error ("--mac %s: the source VM has no NIC with this MAC", mac);
        return -1;
      }
      m = realloc (r->mac_ips, (r->nr_mac_ips + 1) * sizeof *m);
      if (m == NULL) {
        static_ip_free (&ip);
        error ("--mac: %m");
        return -1;
      }
      r->mac_ips = m;
      m[r->nr_mac_ips].mac = mac;
      m[r->nr_mac_ips].ip = ip;
      mac = NULL;
      r->nr_mac_ips++;
      continue;
    }
    for (size_t n = 0; n < r->src.nr_nics; n++) {
      struct source_nic *nic = &r->src.nics[n];
      if (nic->mac == NULL || strcasecmp (nic->mac, mac) != 0)
        continue;
      free (nic->map);
      if ((nic->map = strdup (name)) == NULL) {
        error ("--mac: %m");
        return -1;
      }
      nic->bridge = strcmp (kind, "bridge") == 0;
      found = true;
    }
    if (!found) {
      error ("--mac \"%s\": the source VM has no NIC with MAC %s",
             o->macs[i], mac);
      return -1;
    }
  }
  return 0;
}

static int
fix_guest (struct convert_opts *o, struct run *r)
{
  struct appliance_opts ao = { .readonly = o->dry_run, .root_choice = o->root };
  struct fix_params fp = {
    .target = r->target, .dry_run = o->dry_run, .nr_nics = r->src.nr_nics,
    .nics = r->src.nics, .mac_ips = r->mac_ips, .nr_mac_ips = r->nr_mac_ips,
    .inject_dir = o->inject_dir, .initramfs = o->initramfs,
  };
  const struct fix_ops *fix;
  guestfs_h *g;
  double t0 = now_seconds ();

  progress_stage ("inspect", "starting the appliance and inspecting the guest");
  g = appliance_open (&r->src, &ao, &r->gu);
  if (g == NULL)
    return -1;
  info ("guest: %s (%s %d.%d, %s), %zu kernel(s)",
        r->gu.product_name ? r->gu.product_name : "unknown",
        r->gu.distro, r->gu.major, r->gu.minor,
        firmware_name (r->gu.firmware), r->gu.nr_kernels);
  if (r->src.firmware == FIRMWARE_UNKNOWN)
    r->src.firmware = r->gu.firmware;

  fix = fix_lookup (&r->gu);
  if (fix == NULL) {
    error ("convert the guest: %s guests (%s) are not supported by this "
           "version of ferry", r->gu.distro,
           r->gu.product_name ? r->gu.product_name : r->gu.type);
    appliance_close (g, false);
    return -1;
  }
  progress_stage ("fix", "%s the guest for %s (%s family)",
                  o->dry_run ? "planning changes to" : "fixing",
                  r->target->name, fix->name);
  r->rep.dry_run = o->dry_run;
  if (fix->fix (g, &r->gu, &fp, &r->rep) == -1 || interrupted ()) {
    if (interrupted () && !last_error ())
      error ("convert: interrupted");
    appliance_close (g, false);
    return -1;
  }
  if (!o->dry_run)
    progress_stage ("trim", "discarding unused blocks (fstrim)");
  if (appliance_close (g, !o->dry_run) == -1)
    return -1;
  debug ("appliance work took %.1f s", now_seconds () - t0);
  report_print_summary (&r->rep);
  return interrupted () ? (error ("convert: interrupted"), -1) : 0;
}

static int
copy_disks (struct convert_opts *o, struct run *r)
{
  const struct output_ops *ops = r->out->ops;
  uint64_t total_written = 0, total_virtual = 0;
  double t0 = now_seconds ();

  for (size_t i = 0; i < r->src.nr_disks; i++) {
    struct source_disk *d = &r->src.disks[i];
    struct copy_dest dest = { .fd = -1 };
    struct copy_stats st;
    struct copy_map map = { 0 };
    const char *uri = NULL;
    char label[32], a[32], b[32];
    struct copy_opts co = {
      .workers = o->workers, .progress = progress_copy, .progress_data = label,
    };

    snprintf (label, sizeof label, "sd%c", (char) ('a' + (i % 26)));
    progress_stage ("copy", "copying disk %zu/%zu (%s)", i + 1,
                    r->src.nr_disks, human_size (d->virtual_size, a));
    if (o->copy_only)
      uri = d->uri;             /* the source itself: nothing was fixed */
    else if (d->direct) {
      CLEANUP_FREE char *ovl = qemu_opt_escape (d->overlay);
      CLEANUP_FREE char *path = qemu_opt_escape (d->path);
      CLEANUP_FREE char *opts = NULL;
      /* The same bytes as overlay -> NBD -> source, one process less
       * on the hot path.
       */
      if (ovl == NULL || path == NULL ||
          asprintf (&opts, "driver=qcow2,file.driver=file,file.filename=%s,"
                    "backing.driver=%s,backing.file.driver=file,"
                    "backing.file.filename=%s", ovl, d->format, path) == -1) {
        error ("copy: %m");
        return -1;
      }
      if (overlay_server (r, d, opts, true) == -1)
        return -1;
    }
    else if (overlay_server (r, d, NULL, false) == -1)
      return -1;
    if (uri == NULL)
      uri = r->ovl.uri;
    debug ("copy %s: source server up after %.2f s", label, now_seconds () - t0);
    if (copy_map_source (uri, d->virtual_size, label, &map) == -1)
      return -1;
    debug ("copy %s: map read after %.2f s", label, now_seconds () - t0);
    if (ops->disk_begin (r->out, i, d, &map, &dest) == -1) {
      free (map.v);
      return -1;
    }
    if (copy_disk (uri, &dest, &map, label, &co, &st) == -1) {
      progress_end ();
      dest.failed = true;
      ops->disk_end (r->out, i, &dest);
      free (map.v);
      return -1;
    }
    progress_end ();
    debug ("copy %s: data copied after %.2f s", label, now_seconds () - t0);
    /* disk_end may still read the map (-o azure's resume). */
    if (ops->disk_end (r->out, i, &dest) == -1) {
      free (map.v);
      return -1;
    }
    free (map.v);
    debug ("copy %s: output closed and synced after %.2f s", label, now_seconds () - t0);
    nbd_server_stop (&r->ovl);
    total_written += st.written_bytes;
    total_virtual += st.virtual_size;
    info ("copied %s: %s written of %s in %.1f s", label,
          human_size (st.written_bytes, a), human_size (st.virtual_size, b),
          st.seconds);
  }
  debug ("copy total %.1f s", now_seconds () - t0);
  (void) total_virtual;
  (void) total_written;
  return 0;
}

static void
print_result (struct run *r, bool ok, double t0)
{
  if (!log_get ()->machine_readable)
    return;
  struct json j;
  char *s;
  json_init (&j, false);
  json_begin_object (&j, NULL);
  json_add_string (&j, "type", "result");
  json_add_bool (&j, "ok", ok);
  if (!ok)
    json_add_string (&j, "error", last_error () ? last_error () : "failed");
  json_add_string (&j, "name", r->src.name);
  json_add_int (&j, "seconds", (int64_t) (now_seconds () - t0));
  json_end_object (&j);
  s = json_take (&j);
  if (s) {
    printf ("%s\n", s);
    fflush (stdout);
  }
  free (s);
}

int
run_convert (struct convert_opts *o)
{
  struct run r;
  const struct output_ops *ops;
  double t0 = now_seconds ();
  const char *tname;
  CLEANUP_FREE char *report = NULL;

  memset (&r, 0, sizeof r);
  r.ovl.pid = -1;
  ops = output_lookup (o->output ? o->output : "local");
  if (ops == NULL) {
    error ("-o \"%s\": unknown output (see ferry --help)", o->output);
    return -1;
  }
  {
    char what[64];
    snprintf (what, sizeof what, "-o %s", ops->name);
    if (kvlist_check (&o->oo, ops->options, what) == -1)
      return -1;
  }
  tname = o->target ? o->target : ops->default_target;
  r.target = target_lookup (tname);
  if (r.target == NULL)
    return -1;
  if (apply_macs (o, &r, true) == -1)
    return -1;

  progress_stage ("input", "reading the source");
  if (open_input (o, &r) == -1)
    goto fail;
  if (!o->dry_run) {
    r.out = ops->open (&o->oargs, &r.src);
    if (r.out == NULL)
      goto fail;
  }
  if (default_nics (&r.src) == -1) {
    error ("convert: %m");
    goto fail;
  }
  if (apply_netmaps (o, &r.src) == -1 || apply_macs (o, &r, false) == -1)
    goto fail;
  if (o->copy_only) {
    /* A guest already prepared for the target: the disks as they are. */
    if (r.in->ops->expose (r.in, &r.src) == -1)
      goto fail;
    report = strdup ("{\n  \"command\": \"copy\",\n  \"changes\": []\n}\n");
  }
  else {
    if (r.in->ops->expose (r.in, &r.src) == -1 || make_overlays (&r) == -1)
      goto fail;
    if (fix_guest (o, &r) == -1)
      goto fail;
    report = report_json (&r.rep, &r.src, &r.gu, r.target);
  }
  if (report == NULL) {
    error ("convert: %m");
    goto fail;
  }
  if (o->dry_run) {
    if (log_get ()->machine_readable) {
      struct json j;
      json_init (&j, false);
      json_begin_object (&j, NULL);
      json_add_string (&j, "type", "plan");
      json_add_document (&j, "report", report);
      json_end_object (&j);
      if (json_print_line (&j) == -1) {
        error ("print the plan: %m");
        goto fail;
      }
    }
    info ("dry run: nothing was written");
    print_result (&r, true, t0);
    run_cleanup (&r, false);
    return 0;
  }

  {
    struct output_meta m = {
      .name = o->oargs.name ? o->oargs.name : r.src.name,
      .os = r.gu.product_name, .report_json = report,
      .firmware = r.src.firmware, .os_type = r.gu.type,
      .distro = r.gu.distro, .major = r.gu.major, .minor = r.gu.minor,
      .arch = r.gu.arch, .cloud_init_version = r.gu.cloud_init_version,
    };
    for (size_t i = 0; r.gu.packages && r.gu.packages[i]; i++)
      if (strcmp (r.gu.packages[i], "qemu-guest-agent") == 0)
        m.guest_agent = true;
    if (ops->prepare && ops->prepare (r.out, &r.src, &m) == -1)
      goto fail;
    if (copy_disks (o, &r) == -1)
      goto fail;
    progress_stage ("output", "writing the metadata");
    if (ops->finish (r.out, &r.src, &m) == -1)
      goto fail;
  }
  info ("%s %s in %.1f s", o->copy_only ? "copied" : "converted", r.src.name,
        now_seconds () - t0);
  print_result (&r, true, t0);
  run_cleanup (&r, false);
  return 0;

 fail:
  progress_end ();
  print_result (&r, false, t0);
  run_cleanup (&r, true);
  return -1;
}

static void
fstab_json (struct json *j, const char *fstab)
{
  CLEANUP_FREE char *copy = fstab ? strdup (fstab) : NULL;
  char *save = NULL;

  json_begin_array (j, "fstab");
  for (char *line = copy ? strtok_r (copy, "\n", &save) : NULL; line;
       line = strtok_r (NULL, "\n", &save)) {
    char dev[256], mp[256], type[64];
    while (*line == ' ' || *line == '\t')
      line++;
    if (*line == '#' || sscanf (line, "%255s %255s %63s", dev, mp, type) != 3)
      continue;
    json_begin_object (j, NULL);
    json_add_string (j, "device", dev);
    json_add_string (j, "mountpoint", mp);
    json_add_string (j, "type", type);
    json_end_object (j);
  }
  json_end_array (j);
}

/* Bytes the allocation map of the export at uri says hold data. */
static int
data_bytes (const char *uri, uint64_t size, const char *label, uint64_t *out)
{
  struct copy_map map = { 0 };

  if (copy_map_source (uri, size, label, &map) == -1)
    return -1;
  *out = map.data_bytes;
  free (map.v);
  return 0;
}

static void
source_json (struct json *j, const struct source *src, const uint64_t *alloc,
             const uint64_t *estimate)
{
  uint64_t total = 0;

  json_add_string (j, "name", src->name);
  json_add_int (j, "vcpus", src->vcpus);
  json_add_int (j, "memory", src->memory);
  json_add_string (j, "firmware", firmware_name (src->firmware));
  json_begin_array (j, "disks");
  for (size_t i = 0; i < src->nr_disks; i++) {
    const struct source_disk *d = &src->disks[i];
    json_begin_object (j, NULL);
    json_add_string (j, "path", d->label ? d->label : d->path);
    json_add_string (j, "format", strcmp (d->format, "vpc") == 0 ? "vhd" : d->format);
    json_add_string (j, "subformat", d->subformat);
    json_add_int (j, "virtual_size", d->virtual_size);
    json_add_int (j, "file_size", d->file_size);
    json_add_int (j, "allocated", alloc[i]);
    if (estimate) {
      json_add_int (j, "copy_estimate", estimate[i]);
      total += estimate[i];
    }
    json_end_object (j);
  }
  json_end_array (j);
  if (estimate)
    json_add_int (j, "copy_estimate", total);
  json_begin_array (j, "nics");
  for (size_t i = 0; i < src->nr_nics; i++) {
    json_begin_object (j, NULL);
    json_add_string (j, "mac", src->nics[i].mac);
    json_add_string (j, "network", src->nics[i].network);
    json_add_string (j, "model", src->nics[i].model);
    json_end_object (j);
  }
  json_end_array (j);
}

/* What the copy would move: trim the guest's filesystems in the
 * overlays (they are ours to write), then read their allocation maps.
 */
static int
copy_estimate (struct run *r, uint64_t *estimate)
{
  for (size_t i = 0; i < r->src.nr_disks; i++) {
    struct source_disk *d = &r->src.disks[i];
    char label[32];
    int ret;

    snprintf (label, sizeof label, "sd%c", (char) ('a' + (i % 26)));
    if (overlay_server (r, d, NULL, false) == -1)
      return -1;
    ret = data_bytes (r->ovl.uri, d->virtual_size, label, &estimate[i]);
    nbd_server_stop (&r->ovl);
    if (ret == -1)
      return -1;
  }
  return 0;
}

int
run_inspect (struct convert_opts *o)
{
  struct run r;
  struct appliance_opts ao = { .readonly = false, .root_choice = o->root };
  guestfs_h *g;
  struct json j;
  char *doc;
  CLEANUP_FREE uint64_t *alloc = NULL, *estimate = NULL;

  memset (&r, 0, sizeof r);
  r.ovl.pid = -1;
  if (open_input (o, &r) == -1 ||
      r.in->ops->expose (r.in, &r.src) == -1)
    goto fail;
  alloc = calloc (r.src.nr_disks, sizeof *alloc);
  estimate = calloc (r.src.nr_disks, sizeof *estimate);
  if (alloc == NULL || estimate == NULL) {
    error ("inspect: %m");
    goto fail;
  }
  for (size_t i = 0; i < r.src.nr_disks; i++)
    if (data_bytes (r.src.disks[i].uri, r.src.disks[i].virtual_size,
                    r.src.disks[i].label, &alloc[i]) == -1)
      goto fail;

  if (!o->source_only) {
    /* The overlays take fstrim's discards; the source is untouched. */
    if (make_overlays (&r) == -1)
      goto fail;
    g = appliance_open (&r.src, &ao, &r.gu);
    if (g == NULL)
      goto fail;
    {
      bool exists;
      r.gu.fstab = gfile_read (g, "/etc/fstab", &exists);
    }
    if (appliance_close (g, true) == -1 || copy_estimate (&r, estimate) == -1)
      goto fail;
  }

  json_init (&j, true);
  json_begin_object (&j, NULL);
  source_json (&j, &r.src, alloc, o->source_only ? NULL : estimate);
  if (!o->source_only) {
    inspect_json (&j, &r.gu);
    fstab_json (&j, r.gu.fstab);
  }
  json_end_object (&j);
  doc = json_take (&j);
  if (doc == NULL) {
    error ("inspect: %m");
    goto fail;
  }
  printf ("%s\n", doc);
  free (doc);
  run_cleanup (&r, false);
  return 0;
 fail:
  run_cleanup (&r, true);
  return -1;
}
