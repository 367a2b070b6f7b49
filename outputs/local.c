/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: -o local: disk files plus a libvirt domain XML in a directory.
 *
 * Everything is written under hidden temporary names in the output
 * directory and renamed at the very end, so a failed or interrupted
 * conversion leaves nothing behind and a finished one appears whole.
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outputs.h"

static const struct optdesc local_options[] = {
  { "memory", "SIZE", "guest memory (default: the source's, else 2G)" },
  { "vcpus", "N", "virtual CPUs (default: the source's, else 2)" },
  { NULL }
};

struct local_output {
  struct output base;
  char *dir;                    /* absolute output directory */
  char *name;
  const char *format;           /* "qcow2" or "raw" */
  bool preallocated;
  uint64_t memory;
  unsigned vcpus;
  size_t nr_disks;
  char **tmp;                   /* temp path per disk */
  char **final;                 /* final path per disk */
  struct nbd_server *servers;   /* qemu-nbd per preallocated qcow2 disk */
  struct qcow2_map *qmaps;      /* our own qcow2 layout per disk */
  char **done;                  /* files already renamed into place */
};

static void local_abort (struct output *o);
static void local_close (struct output *o);

static struct output *
local_open (const struct output_args *a, const struct source *src)
{
  struct local_output *l;
  const char *v;
  struct stat st;
  CLEANUP_FREE char *probe = NULL;
  int fd;

  if (a->dir == NULL) {
    error ("-o local: the output directory -os DIR is required");
    return NULL;
  }
  if (stat (a->dir, &st) == -1) {
    error ("-o local: output directory \"%s\": %m", a->dir);
    return NULL;
  }
  if (!S_ISDIR (st.st_mode)) {
    error ("-o local: output \"%s\" is not a directory", a->dir);
    return NULL;
  }
  if (a->format && strcmp (a->format, "qcow2") && strcmp (a->format, "raw")) {
    error ("-o local: output format \"%s\" is not supported (qcow2 or raw)",
           a->format);
    return NULL;
  }
  if (a->allocation && strcmp (a->allocation, "sparse") &&
      strcmp (a->allocation, "preallocated")) {
    error ("-oa \"%s\": use sparse or preallocated", a->allocation);
    return NULL;
  }

  l = calloc (1, sizeof *l);
  if (l == NULL) {
    error ("-o local: %m");
    return NULL;
  }
  l->base.ops = output_lookup ("local");
  l->dir = realpath (a->dir, NULL);
  l->name = strdup (a->name ? a->name : src->name);
  l->format = a->format ? a->format : "qcow2";
  l->preallocated = a->allocation && strcmp (a->allocation, "preallocated") == 0;
  l->nr_disks = src->nr_disks;
  l->tmp = calloc (src->nr_disks + 1, sizeof *l->tmp);
  l->final = calloc (src->nr_disks + 1, sizeof *l->final);
  l->servers = calloc (src->nr_disks, sizeof *l->servers);
  l->qmaps = calloc (src->nr_disks, sizeof *l->qmaps);
  if (l->dir == NULL || l->name == NULL || l->tmp == NULL ||
      l->final == NULL || l->servers == NULL || l->qmaps == NULL) {
    error ("-o local: %m");
    goto fail;
  }
  for (size_t i = 0; i < src->nr_disks; i++)
    l->servers[i].pid = -1;
  if (strchr (l->name, '/') || l->name[0] == '.' || l->name[0] == '\0') {
    error ("-o local: guest name \"%s\" cannot be used as a file name; "
           "set one with -on", l->name);
    goto fail;
  }

  l->memory = src->memory ? src->memory : UINT64_C(2) << 30;
  l->vcpus = src->vcpus ? src->vcpus : 2;
  if ((v = kvlist_get (a->options, "memory", NULL)) != NULL &&
      (parse_size (v, &l->memory) == -1 || l->memory < (UINT64_C(64) << 20))) {
    error ("-oo memory=\"%s\": not a size of at least 64M (e.g. 4G)", v);
    goto fail;
  }
  if ((v = kvlist_get (a->options, "vcpus", NULL)) != NULL) {
    char *end;
    unsigned long n = strtoul (v, &end, 10);
    if (*v == '\0' || *end || n == 0 || n > 4096) {
      error ("-oo vcpus=\"%s\": not a number of CPUs", v);
      goto fail;
    }
    l->vcpus = n;
  }

  /* Prove now that we can create files here: failing after a long copy
   * would waste the user's time.
   */
  if (asprintf (&probe, "%s/.ferry-probe-XXXXXX", l->dir) == -1 ||
      (fd = mkstemp (probe)) == -1) {
    error ("-o local: output directory \"%s\" is not writable: %m", a->dir);
    goto fail;
  }
  close (fd);
  unlink (probe);

  for (size_t i = 0; i < src->nr_disks; i++) {
    char letter = 'a' + (i % 26);
    if (asprintf (&l->final[i], "%s/%s-sd%c", l->dir, l->name, letter) == -1 ||
        asprintf (&l->tmp[i], "%s/.%s-sd%c.ferry-part", l->dir, l->name, letter) == -1) {
      error ("-o local: %m");
      goto fail;
    }
    if (access (l->final[i], F_OK) == 0) {
      error ("-o local: output file \"%s\" already exists; remove it or "
             "choose another name with -on", l->final[i]);
      goto fail;
    }
  }
  return &l->base;

 fail:
  local_close (&l->base);
  return NULL;
}

static int
local_disk_begin (struct output *o, size_t i, const struct source_disk *d,
                  const struct copy_map *map, struct copy_dest *dest)
{
  struct local_output *l = (struct local_output *) o;

  memset (dest, 0, sizeof *dest);
  dest->fd = -1;
  dest->size = d->virtual_size;
  dest->zero_initialized = true;
  unlink (l->tmp[i]);           /* a leftover from a killed run */

  if (strcmp (l->format, "qcow2") == 0 && !l->preallocated) {
    /* The usual case: we lay out the qcow2 ourselves and the engine
     * writes straight into the file.
     */
    int fd = open (l->tmp[i], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd == -1) {
      error ("create \"%s\": %m", l->tmp[i]);
      return -1;
    }
    if (qcow2_create (fd, l->tmp[i], d->virtual_size, map, &l->qmaps[i]) == -1) {
      close (fd);
      return -1;
    }
    dest->fd = fd;
    dest->qmap = &l->qmaps[i];
    return 0;
  }
  if (strcmp (l->format, "raw") == 0) {
    int fd = open (l->tmp[i], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd == -1) {
      error ("create \"%s\": %m", l->tmp[i]);
      return -1;
    }
    if (ftruncate (fd, d->virtual_size) == -1) {
      error ("create \"%s\": %m", l->tmp[i]);
      close (fd);
      return -1;
    }
    if (l->preallocated) {
      int r = posix_fallocate (fd, 0, d->virtual_size);
      if (r != 0) {
        errno = r;
        error ("preallocate \"%s\": %m", l->tmp[i]);
        close (fd);
        return -1;
      }
    }
    dest->fd = fd;
    return 0;
  }
  else {
    char size[32], tag[32];
    int r;
    CLEANUP_FREE char *err = NULL;
    const char *argv[] = {
      QEMU_IMG, "create", "-q", "-f", "qcow2", "-o",
      l->preallocated ? "compat=1.1,preallocation=falloc"
                      : "compat=1.1,preallocation=off",
      l->tmp[i], size, NULL
    };
    /* --cache=unsafe: qemu-nbd never fsyncs; we fsync the file once
     * after the server has exited (local_disk_end), which is cheaper
     * than the flushes the engine would otherwise wait for.
     */
    static const char *const nbd_args[] = {
      "--cache=unsafe", "--discard=unmap", NULL
    };

    snprintf (size, sizeof size, "%llu", (unsigned long long) d->virtual_size);
    r = run_command (argv, NULL, &err);
    if (r != 0) {
      if (r > 0)
        error ("create \"%s\": %s", l->tmp[i], err && *err ? err : "qemu-img failed");
      return -1;
    }
    snprintf (tag, sizeof tag, "out%zu", i);
    if (nbd_server_start (&l->servers[i], tag, l->tmp[i], "qcow2", NULL, false,
                          nbd_args, NULL) == -1)
      return -1;
    dest->nbd_uri = strdup (l->servers[i].uri);
    if (dest->nbd_uri == NULL) {
      error ("-o local: %m");
      return -1;
    }
    return 0;
  }
}

static int
local_disk_end (struct output *o, size_t i, struct copy_dest *dest)
{
  struct local_output *l = (struct local_output *) o;
  int ret = 0;

  if (dest->fd >= 0) {
    if (fsync (dest->fd) == -1) {
      error ("write \"%s\": %m", l->tmp[i]);
      ret = -1;
    }
    if (close (dest->fd) == -1 && ret == 0) {
      error ("write \"%s\": %m", l->tmp[i]);
      ret = -1;
    }
    dest->fd = -1;
  }
  free (l->qmaps[i].host);
  l->qmaps[i].host = NULL;
  /* qemu-nbd writes its qcow2 metadata out when it exits; it runs with
   * --cache=unsafe, so the data is on disk only after our own fsync.
   */
  if (l->servers[i].pid > 0) {
    int fd;
    nbd_server_stop (&l->servers[i]);
    fd = open (l->tmp[i], O_RDONLY | O_CLOEXEC);
    if (fd == -1 || fsync (fd) == -1) {
      error ("write \"%s\": %m", l->tmp[i]);
      ret = -1;
    }
    if (fd >= 0)
      close (fd);
  }
  free (dest->nbd_uri);
  dest->nbd_uri = NULL;
  return ret;
}

static int
commit (struct local_output *l, const char *tmp, const char *final)
{
  if (rename (tmp, final) == -1) {
    error ("rename \"%s\" to \"%s\": %m", tmp, final);
    return -1;
  }
  if (string_list_push (&l->done, final) == -1) {
    error ("-o local: %m");
    return -1;
  }
  return 0;
}

static int
write_tmp (const char *path, const char *data)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  size_t len = strlen (data), done = 0;

  if (fd == -1) {
    error ("create \"%s\": %m", path);
    return -1;
  }
  while (done < len) {
    ssize_t r = write (fd, data + done, len - done);
    if (r == -1 && errno == EINTR)
      continue;
    if (r == -1) {
      error ("write \"%s\": %m", path);
      close (fd);
      return -1;
    }
    done += r;
  }
  if (fsync (fd) == -1 || close (fd) == -1) {
    error ("write \"%s\": %m", path);
    return -1;
  }
  return 0;
}

static int
local_finish (struct output *o, const struct source *src,
              const struct output_meta *m)
{
  struct local_output *l = (struct local_output *) o;
  CLEANUP_FREE char *xml = NULL, *xml_tmp = NULL, *xml_final = NULL,
    *rep_tmp = NULL, *rep_final = NULL;

  xml = domxml_build (src, l->name, m->firmware, l->memory, l->vcpus,
                      l->final, l->format);
  if (xml == NULL)
    return -1;
  if (asprintf (&xml_tmp, "%s/.%s.xml.ferry-part", l->dir, l->name) == -1 ||
      asprintf (&xml_final, "%s/%s.xml", l->dir, l->name) == -1 ||
      asprintf (&rep_tmp, "%s/.%s.changes.json.ferry-part", l->dir, l->name) == -1 ||
      asprintf (&rep_final, "%s/%s.changes.json", l->dir, l->name) == -1) {
    error ("-o local: %m");
    return -1;
  }
  if (string_list_push (&l->tmp, xml_tmp) == -1 ||
      string_list_push (&l->tmp, rep_tmp) == -1) {
    error ("-o local: %m");
    return -1;
  }
  if (write_tmp (xml_tmp, xml) == -1 ||
      write_tmp (rep_tmp, m->report_json ? m->report_json : "{}\n") == -1)
    return -1;

  /* Disks first, the XML that points at them last. */
  for (size_t i = 0; i < l->nr_disks; i++)
    if (commit (l, l->tmp[i], l->final[i]) == -1)
      return -1;
  if (commit (l, rep_tmp, rep_final) == -1 ||
      commit (l, xml_tmp, xml_final) == -1)
    return -1;
  {
    int dfd = open (l->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      fsync (dfd);
      close (dfd);
    }
  }
  for (size_t i = 0; i < l->nr_disks; i++)
    info ("wrote %s", l->final[i]);
  info ("wrote %s", xml_final);
  info ("wrote %s", rep_final);
  free_string_list (l->done);
  l->done = NULL;               /* committed: abort must not undo it */
  return 0;
}

static void
local_abort (struct output *o)
{
  struct local_output *l = (struct local_output *) o;

  for (size_t i = 0; i < l->nr_disks; i++)
    nbd_server_stop (&l->servers[i]);
  for (size_t i = 0; l->tmp && l->tmp[i]; i++)
    unlink (l->tmp[i]);
  for (size_t i = 0; l->done && l->done[i]; i++)
    unlink (l->done[i]);
  free_string_list (l->done);
  l->done = NULL;
}

static void
local_close (struct output *o)
{
  struct local_output *l = (struct local_output *) o;

  if (l == NULL)
    return;
  if (l->servers)
    for (size_t i = 0; i < l->nr_disks; i++)
      nbd_server_stop (&l->servers[i]);
  free (l->servers);
  for (size_t i = 0; l->qmaps && i < l->nr_disks; i++)
    free (l->qmaps[i].host);
  free (l->qmaps);
  free_string_list (l->tmp);
  free_string_list (l->final);
  free_string_list (l->done);
  free (l->dir);
  free (l->name);
  free (l);
}

const struct output_ops local_output_ops = {
  .name = "local",
  .description = "disk files and a libvirt domain XML in a directory (-os DIR)",
  .options = local_options,
  .default_target = "kvm",
  .open = local_open,
  .disk_begin = local_disk_begin,
  .disk_end = local_disk_end,
  .finish = local_finish,
  .abort = local_abort,
  .close = local_close,
};
