/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: the copy engine.
 *
 * The source is an NBD export (the qcow2 overlay served by qemu-nbd).
 * We first ask it for its allocation map (base:allocation), which is
 * cheap, so that holes and zero extents -- including the blocks fstrim
 * released -- are never read.  The data extents are cut into requests
 * that a few worker threads copy, each with its own connections, so
 * several requests are in flight on both sides.  A request whose data
 * turns out to be all zeroes is not written either.
 */

#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libnbd.h>

#include "convert.h"

/* 512 KiB requests keep the source's qemu-nbd (which decompresses a
 * streamOptimized VMDK in one thread) busy: measured here, 2 MiB
 * requests left it idle between them and copied 35% slower.
 */
#ifndef REQUEST_SIZE
#define REQUEST_SIZE (512 * 1024)
#endif
#define MAX_WORKERS 8
#define MAX_BLOCK_WORKERS 64

#define ALIGN (64 * 1024)

struct job {
  const char *src_uri;
  size_t buf_size;              /* the largest request */
  struct copy_dest *dest;
  const char *label;
  const struct copy_chunk *chunks;
  size_t nr_chunks;
  atomic_size_t next;           /* next chunk to take */
  atomic_uint_fast64_t done;    /* bytes of chunks finished */
  atomic_uint_fast64_t written; /* bytes actually written */
  atomic_bool failed;
  pthread_mutex_t err_lock;
  char err[512];                /* first worker error */
};

static void job_fail (struct job *j, const char *fs, const char *detail)
  __attribute__ ((format (printf, 2, 0)));

static void
job_fail (struct job *j, const char *fs, const char *detail)
{
  pthread_mutex_lock (&j->err_lock);
  if (!j->failed) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf (j->err, sizeof j->err, fs, j->label, detail);
#pragma GCC diagnostic pop
    j->failed = true;
  }
  pthread_mutex_unlock (&j->err_lock);
}

/* A worker's job and its index. */
struct wjob {
  struct job *j;
  unsigned idx;
};

static void *
worker (void *arg)
{
  struct job *j = ((struct wjob *) arg)->j;
  unsigned idx = ((struct wjob *) arg)->idx;
  struct nbd_handle *src = nbd_create ();
  struct nbd_handle *dst = NULL;
  char *buf = malloc (j->buf_size);

  if (src == NULL || buf == NULL) {
    job_fail (j, "copy \"%s\": %s", "out of memory");
    goto out;
  }
  if (nbd_connect_uri (src, j->src_uri) == -1) {
    job_fail (j, "copy \"%s\": connect to the source: %s", nbd_get_error ());
    goto out;
  }
  if (j->dest->nbd_uri) {
    dst = nbd_create ();
    if (dst == NULL || nbd_connect_uri (dst, j->dest->nbd_uri) == -1) {
      job_fail (j, "copy \"%s\": connect to the output: %s", nbd_get_error ());
      goto out;
    }
  }

  while (!j->failed) {
    size_t k = atomic_fetch_add (&j->next, 1);
    const struct copy_chunk *c;

    if (k >= j->nr_chunks)
      break;
    if (interrupted ()) {
      job_fail (j, "copy \"%s\": %s", "interrupted");
      break;
    }
    c = &j->chunks[k];
    if (nbd_pread (src, buf, c->length, c->offset, 0) == -1) {
      job_fail (j, "copy \"%s\": read from the source: %s", nbd_get_error ());
      break;
    }
    if (!(j->dest->zero_initialized && buf_is_zero (buf, c->length))) {
      if (j->dest->block) {
        int r;
        /* The first failure is said once, by the job, not once a worker. */
        error_capture (true);
        r = j->dest->block (j->dest->block_opaque, idx, c->offset, buf, c->length);
        error_capture (false);
        if (r == -1) {
          const char *e = last_error ();
          job_fail (j, "%.0s%s", e ? e : "the output failed");
          break;
        }
      }
      else if (dst) {
        if (nbd_pwrite (dst, buf, c->length, c->offset, 0) == -1) {
          job_fail (j, "write \"%s\": %s", nbd_get_error ());
          break;
        }
      }
      else {
        size_t w = 0;
        uint64_t at = c->offset;
        const struct qcow2_map *q = j->dest->qmap;
        /* Chunks never straddle unallocated clusters, and allocated
         * clusters are laid out in guest order, so one lookup gives
         * the place of the whole chunk.
         */
        if (q)
          at = ((uint64_t) q->host[c->offset >> q->cluster_bits] << q->cluster_bits)
            | (c->offset & ((UINT64_C(1) << q->cluster_bits) - 1));
        while (w < c->length) {
          ssize_t r = pwrite (j->dest->fd, buf + w, c->length - w, at + w);
          if (r == -1 && errno == EINTR && !interrupted ())
            continue;
          if (r == -1) {
            job_fail (j, "write \"%s\": %s", strerror (errno));
            break;
          }
          w += r;
        }
        if (w < c->length)
          break;
      }
      atomic_fetch_add (&j->written, c->length);
    }
    atomic_fetch_add (&j->done, c->length);
  }

  /* A flush makes qemu-nbd report a late ENOSPC now, not at exit. */
  if (dst && !j->failed && nbd_flush (dst, 0) == -1)
    job_fail (j, "write \"%s\": flush: %s", nbd_get_error ());
 out:
  if (dst) {
    nbd_shutdown (dst, 0);
    nbd_close (dst);
  }
  if (src) {
    nbd_shutdown (src, 0);
    nbd_close (src);
  }
  free (buf);
  return NULL;
}

/* Collecting the allocation map. */
struct extents {
  struct copy_chunk *v;
  size_t n, cap;
  uint64_t data_bytes;
  uint64_t end;                 /* how far the map reaches */
  uint64_t size;                /* the disk's size */
  int err;
};

static int
add_data (struct extents *e, uint64_t off, uint64_t len)
{
  uint64_t end = off + len;

  /* Whole 64 KiB blocks, so that a qcow2 output's clusters are either
   * fully described or not at all.  The rounding only ever reads a
   * little more of the source.
   */
  off &= ~(uint64_t) (ALIGN - 1);
  end = (end + ALIGN - 1) & ~(uint64_t) (ALIGN - 1);
  if (end > e->size)
    end = e->size;
  if (e->n > 0 && off < e->v[e->n - 1].offset + e->v[e->n - 1].length)
    off = e->v[e->n - 1].offset + e->v[e->n - 1].length;
  if (off >= end)
    return 0;
  len = end - off;
  /* Extend the previous request when this extent continues it. */
  if (e->n > 0 && e->v[e->n - 1].offset + e->v[e->n - 1].length == off &&
      e->v[e->n - 1].length < REQUEST_SIZE) {
    uint32_t room = REQUEST_SIZE - e->v[e->n - 1].length;
    uint32_t k = len < room ? (uint32_t) len : room;
    e->v[e->n - 1].length += k;
    e->data_bytes += k;
    off += k;
    len -= k;
  }
  while (len > 0) {
    uint32_t n = len > REQUEST_SIZE ? REQUEST_SIZE : (uint32_t) len;
    if (e->n == e->cap) {
      size_t cap = e->cap ? e->cap * 2 : 1024;
      struct copy_chunk *v = realloc (e->v, cap * sizeof *v);
      if (v == NULL)
        return -1;
      e->v = v;
      e->cap = cap;
    }
    e->v[e->n].offset = off;
    e->v[e->n].length = n;
    e->n++;
    e->data_bytes += n;
    off += n;
    len -= n;
  }
  return 0;
}

static int
extent_cb (void *user_data, const char *metacontext, uint64_t offset,
           uint32_t *entries, size_t nr_entries, int *error_)
{
  struct extents *e = user_data;

  if (strcmp (metacontext, LIBNBD_CONTEXT_BASE_ALLOCATION) != 0)
    return 0;
  for (size_t i = 0; i + 1 < nr_entries; i += 2) {
    uint64_t len = entries[i];
    uint32_t flags = entries[i + 1];
    /* Zero extents (holes included) are skipped: the destination
     * already reads as zeroes.
     */
    if (!(flags & LIBNBD_STATE_ZERO) && add_data (e, offset, len) == -1) {
      e->err = ENOMEM;
      return -1;
    }
    offset += len;
  }
  e->end = offset;
  return 0;
}

/* How long reading a disk's allocation map may take.  A 64 TiB sparse
 * disk needs 65536 requests, a few ms each.
 */
#define MAP_SECONDS 600

static int
map_source (const char *uri, uint64_t size, struct extents *e,
            const char *label)
{
  double deadline;

  e->size = size;
  struct nbd_handle *h = nbd_create ();
  int ret = -1;

  if (h == NULL || nbd_add_meta_context (h, LIBNBD_CONTEXT_BASE_ALLOCATION) == -1 ||
      nbd_connect_uri (h, uri) == -1) {
    error ("copy \"%s\": connect to the source: %s", label, nbd_get_error ());
    goto out;
  }
  if (nbd_can_meta_context (h, LIBNBD_CONTEXT_BASE_ALLOCATION) != 1) {
    /* No map: copy everything; zero detection still saves writes. */
    if (add_data (e, 0, size) == -1)
      goto nomem;
    ret = 0;
    goto out;
  }
  e->end = 0;
  deadline = now_seconds () + MAP_SECONDS;
  while (e->end < size) {
    uint64_t off = e->end;
    uint64_t count = size - off > (UINT64_C(1) << 30) ? UINT64_C(1) << 30 : size - off;
    nbd_extent_callback cb = { .callback = extent_cb, .user_data = e };

    if (interrupted ()) {
      error ("copy \"%s\": interrupted", label);
      goto out;
    }
    /* A hostile image can make the map arbitrarily fragmented. */
    if (now_seconds () > deadline) {
      error ("copy \"%s\": read the allocation map: not done after %d s "
             "(%.0f%% of the disk), refusing it", label, MAP_SECONDS,
             100.0 * (double) off / (double) size);
      goto out;
    }
    if (nbd_block_status (h, count, off, cb, 0) == -1) {
      error ("copy \"%s\": read the allocation map: %s", label, nbd_get_error ());
      goto out;
    }
    if (e->err) {
      errno = e->err;
      goto nomem;
    }
    if (e->end <= off) {
      error ("copy \"%s\": the source returned an empty allocation map", label);
      goto out;
    }
    if (e->end > size) {
      /* The last extent may run past the end: clamp it. */
      e->end = size;
      while (e->n > 0 && e->v[e->n - 1].offset >= size) {
        e->data_bytes -= e->v[e->n - 1].length;
        e->n--;
      }
      if (e->n > 0 && e->v[e->n - 1].offset + e->v[e->n - 1].length > size) {
        uint32_t cut = e->v[e->n - 1].offset + e->v[e->n - 1].length - size;
        e->v[e->n - 1].length -= cut;
        e->data_bytes -= cut;
      }
    }
  }
  ret = 0;
  goto out;
 nomem:
  error ("copy \"%s\": %m", label);
 out:
  if (h) {
    nbd_shutdown (h, 0);
    nbd_close (h);
  }
  return ret;
}

int
copy_map_source (const char *src_uri, uint64_t size, const char *label,
                 struct copy_map *map)
{
  struct extents e = { 0 };

  if (map_source (src_uri, size, &e, label) == -1) {
    free (e.v);
    return -1;
  }
  map->v = e.v;
  map->nr = e.n;
  map->data_bytes = e.data_bytes;
  debug ("copy %s: %zu requests, %llu data bytes of %llu", label, e.n,
         (unsigned long long) e.data_bytes, (unsigned long long) size);
  return 0;
}

/* Streaming: the output takes the data in guest order (an upload).
 * Workers still read several requests ahead, into a ring of slots;
 * the calling thread hands each slot to the output in order.
 */
struct slot {
  char *buf;
  size_t chunk;                 /* which chunk the slot holds */
  bool ready;
};

struct sjob {
  struct job *j;
  struct slot *slots;
  size_t nr_slots;
  size_t emitted;               /* chunks handed to the output */
  pthread_mutex_t lock;
  pthread_cond_t cond;
};

static void *
stream_worker (void *arg)
{
  struct sjob *sj = arg;
  struct job *j = sj->j;
  struct nbd_handle *src = nbd_create ();

  if (src == NULL || nbd_connect_uri (src, j->src_uri) == -1) {
    job_fail (j, "copy \"%s\": connect to the source: %s", nbd_get_error ());
    goto out;
  }
  while (!j->failed) {
    size_t k = atomic_fetch_add (&j->next, 1);
    struct slot *sl;

    if (k >= j->nr_chunks)
      break;
    sl = &sj->slots[k % sj->nr_slots];
    /* Wait until the output has taken what the slot held before. */
    pthread_mutex_lock (&sj->lock);
    while (!j->failed && sj->emitted + sj->nr_slots <= k)
      pthread_cond_wait (&sj->cond, &sj->lock);
    pthread_mutex_unlock (&sj->lock);
    if (j->failed)
      break;
    if (interrupted ()) {
      job_fail (j, "copy \"%s\": %s", "interrupted");
      break;
    }
    if (nbd_pread (src, sl->buf, j->chunks[k].length, j->chunks[k].offset, 0) == -1) {
      job_fail (j, "copy \"%s\": read from the source: %s", nbd_get_error ());
      break;
    }
    pthread_mutex_lock (&sj->lock);
    sl->chunk = k;
    sl->ready = true;
    pthread_cond_broadcast (&sj->cond);
    pthread_mutex_unlock (&sj->lock);
  }
 out:
  pthread_mutex_lock (&sj->lock);
  pthread_cond_broadcast (&sj->cond);
  pthread_mutex_unlock (&sj->lock);
  if (src) {
    nbd_shutdown (src, 0);
    nbd_close (src);
  }
  return NULL;
}

static int
copy_stream (struct job *j, size_t nr_workers, const struct copy_opts *o,
             uint64_t data_bytes)
{
  struct sjob sj = { .j = j };
  pthread_t th[MAX_WORKERS];
  size_t started = 0;
  double last = 0;
  int ret = -1;

  sj.nr_slots = nr_workers * 2;
  sj.slots = calloc (sj.nr_slots, sizeof *sj.slots);
  if (sj.slots == NULL) {
    error ("copy \"%s\": %m", j->label);
    return -1;
  }
  for (size_t i = 0; i < sj.nr_slots; i++)
    if ((sj.slots[i].buf = malloc (REQUEST_SIZE)) == NULL) {
      error ("copy \"%s\": %m", j->label);
      goto out;
    }
  pthread_mutex_init (&sj.lock, NULL);
  pthread_cond_init (&sj.cond, NULL);
  for (size_t i = 0; i < nr_workers; i++) {
    if (pthread_create (&th[i], NULL, stream_worker, &sj) != 0) {
      job_fail (j, "copy \"%s\": %s", "cannot start a thread");
      break;
    }
    started++;
  }

  while (!j->failed && sj.emitted < j->nr_chunks) {
    size_t k = sj.emitted;
    struct slot *sl = &sj.slots[k % sj.nr_slots];
    const struct copy_chunk *c = &j->chunks[k];
    bool zero;

    pthread_mutex_lock (&sj.lock);
    while (!j->failed && !(sl->ready && sl->chunk == k)) {
      struct timespec ts;
      clock_gettime (CLOCK_REALTIME, &ts);
      ts.tv_nsec += 200000000;
      if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
      }
      pthread_cond_timedwait (&sj.cond, &sj.lock, &ts);
      if (interrupted ())
        job_fail (j, "copy \"%s\": %s", "interrupted");
    }
    pthread_mutex_unlock (&sj.lock);
    if (j->failed)
      break;
    zero = buf_is_zero (sl->buf, c->length);
    if (j->dest->stream (j->dest->stream_opaque, c->offset,
                         zero ? NULL : sl->buf, c->length) == -1) {
      /* The output has said what went wrong already. */
      pthread_mutex_lock (&j->err_lock);
      j->failed = true;
      pthread_mutex_unlock (&j->err_lock);
      break;
    }
    if (!zero)
      atomic_fetch_add (&j->written, c->length);
    atomic_fetch_add (&j->done, c->length);
    pthread_mutex_lock (&sj.lock);
    sl->ready = false;
    sj.emitted++;
    pthread_cond_broadcast (&sj.cond);
    pthread_mutex_unlock (&sj.lock);
    if (o->progress && now_seconds () - last >= 0.2) {
      o->progress (o->progress_data, atomic_load (&j->done), data_bytes);
      last = now_seconds ();
    }
  }
  pthread_mutex_lock (&sj.lock);
  j->failed = j->failed || sj.emitted < j->nr_chunks;
  pthread_cond_broadcast (&sj.cond);
  pthread_mutex_unlock (&sj.lock);
  for (size_t i = 0; i < started; i++)
    pthread_join (th[i], NULL);
  pthread_cond_destroy (&sj.cond);
  pthread_mutex_destroy (&sj.lock);
  if (j->failed) {
    /* The stream callback's own message, or the worker's. */
    if (j->err[0])
      error ("%s", j->err);
    goto out;
  }
  if (o->progress)
    o->progress (o->progress_data, atomic_load (&j->done), data_bytes);
  ret = 0;
 out:
  for (size_t i = 0; i < sj.nr_slots; i++)
    free (sj.slots[i].buf);
  free (sj.slots);
  return ret;
}

/* The map cut into the block_size-aligned blocks it touches (owned
 * into *out).  0 or -1 after error().
 */
static int
map_blocks (const struct copy_map *map, uint64_t size, uint32_t bs,
            const char *label, struct copy_chunk **out, size_t *nr)
{
  struct copy_chunk *v = NULL;
  size_t n = 0, cap = 0;
  uint64_t last = UINT64_MAX;

  for (size_t i = 0; i < map->nr; i++) {
    const struct copy_chunk *c = &map->v[i];
    uint64_t b = c->offset / bs, e = (c->offset + c->length - 1) / bs;

    for (; b <= e; b++) {
      if (b == last)
        continue;
      if (n == cap) {
        struct copy_chunk *t;
        cap = cap ? cap * 2 : 1024;
        t = realloc (v, cap * sizeof *v);
        if (t == NULL) {
          free (v);
          error ("copy \"%s\": %m", label);
          return -1;
        }
        v = t;
      }
      v[n].offset = b * bs;
      v[n].length = size - b * bs < bs ? (uint32_t) (size - b * bs) : bs;
      n++;
      last = b;
    }
  }
  *out = v;
  *nr = n;
  return 0;
}

int
copy_disk (const char *src_uri, struct copy_dest *dest,
           const struct copy_map *map, const char *label,
           const struct copy_opts *o, struct copy_stats *st)
{
  struct extents e = { .v = map->v, .n = map->nr, .data_bytes = map->data_bytes };
  CLEANUP_FREE struct copy_chunk *blocks = NULL;
  struct job j;
  pthread_t th[MAX_BLOCK_WORKERS];
  struct wjob wj[MAX_BLOCK_WORKERS];
  size_t nr_workers = o->workers ? o->workers : 4, started = 0;
  uint64_t total = e.data_bytes;
  double t0 = now_seconds ();
  int ret = -1;

  if (nr_workers > MAX_WORKERS)
    nr_workers = MAX_WORKERS;
  memset (&j, 0, sizeof j);
  j.src_uri = src_uri;
  j.dest = dest;
  j.label = label;
  j.chunks = e.v;
  j.nr_chunks = e.n;
  j.buf_size = REQUEST_SIZE;
  if (dest->block && dest->block_size == 0) {
    /* The map's own requests, from many threads. */
    nr_workers = dest->workers ? dest->workers : 16;
    if (nr_workers > MAX_BLOCK_WORKERS)
      nr_workers = MAX_BLOCK_WORKERS;
  }
  else if (dest->block) {
    size_t nb;
    uint32_t bs = dest->block_size;
    if (bs < ALIGN || (bs & (bs - 1)) != 0) {
      error ("copy \"%s\": the output asked for blocks of %u bytes", label, bs);
      return -1;
    }
    if (map_blocks (map, dest->size, bs, label, &blocks, &nb) == -1)
      return -1;
    j.chunks = blocks;
    j.nr_chunks = nb;
    j.buf_size = bs;
    total = 0;
    for (size_t i = 0; i < nb; i++)
      total += blocks[i].length;
    nr_workers = dest->workers ? dest->workers : 16;
    if (nr_workers > MAX_BLOCK_WORKERS)
      nr_workers = MAX_BLOCK_WORKERS;
  }
  pthread_mutex_init (&j.err_lock, NULL);
  if (dest->stream) {
    int r = copy_stream (&j, nr_workers, o, e.data_bytes);
    pthread_mutex_destroy (&j.err_lock);
    if (r == -1)
      return -1;
    goto done;
  }
  if (nr_workers > j.nr_chunks)
    nr_workers = j.nr_chunks;

  for (size_t i = 0; i < nr_workers; i++) {
    int r;
    wj[i].j = &j;
    wj[i].idx = (unsigned) i;
    r = pthread_create (&th[i], NULL, worker, &wj[i]);
    if (r != 0) {
      errno = r;
      job_fail (&j, "copy \"%s\": start thread: %s", strerror (r));
      break;
    }
    started++;
  }
  /* Report progress while the workers run. */
  while (started > 0) {
    bool all_done = atomic_load (&j.next) >= j.nr_chunks + started;
    if (o->progress)
      o->progress (o->progress_data, atomic_load (&j.done), total);
    if (all_done || j.failed)
      break;
    usleep (200000);
  }
  for (size_t i = 0; i < started; i++)
    pthread_join (th[i], NULL);
  if (o->progress && !j.failed)
    o->progress (o->progress_data, atomic_load (&j.done), total);
  pthread_mutex_destroy (&j.err_lock);
  if (j.failed) {
    error ("%s", j.err[0] ? j.err : "the copy failed");
    goto out;
  }
  if (interrupted ()) {
    error ("copy \"%s\": interrupted", label);
    goto out;
  }
 done:
  st->virtual_size = dest->size;
  st->data_bytes = e.data_bytes;
  st->written_bytes = atomic_load (&j.written);
  st->seconds = now_seconds () - t0;
  ret = 0;
 out:
  return ret;
}
