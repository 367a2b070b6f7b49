/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for the tar indexer: the input is the archive.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -Icommon -Iinputs \
 *     inputs/fuzz-tar.c inputs/tar.c inputs/manifest.c inputs/vmdesc.c \
 *     common/log.c common/sbuf.c common/util.c common/options.c \
 *     common/command.c common/nbdserver.c \
 *     $(pkg-config --libs libnbd openssl) -o fuzz-tar
 *   ./fuzz-tar -close_fd_mask=2 -dict=inputs/fuzz-seeds/tar.dict \
 *     CORPUS_DIR inputs/fuzz-seeds/tar
 *
 * Besides crashes it checks what the OVA input relies on: every listed
 * member lies inside the archive and has a safe, unique name.
 */

#include <config.h>

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "inputs.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static int fd = -1;

static void
check (const struct tar_index *idx, uint64_t size)
{
  for (size_t i = 0; i < idx->nr; i++) {
    const struct tar_member *m = &idx->members[i];
    const char *p;

    if (m->name[0] == '\0' || m->name[0] == '/' ||
        m->offset > size || m->size > size - m->offset ||
        m->offset % 512 != 0 ||
        tar_find (idx, m->name) != m)
      abort ();
    for (p = m->name; *p; ) {
      size_t n = strcspn (p, "/");
      if (n == 2 && p[0] == '.' && p[1] == '.')
        abort ();
      p += n;
      while (*p == '/')
        p++;
    }
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct tar_index idx;

  if (fd == -1) {
    fd = memfd_create ("fuzz-tar", MFD_CLOEXEC);
    if (fd == -1)
      abort ();
  }
  if (ftruncate (fd, 0) == -1 ||
      (size && pwrite (fd, data, size, 0) != (ssize_t) size))
    abort ();
  if (tar_index_read (fd, size, "fuzz.ova", &idx) == 0) {
    check (&idx, size);
    tar_index_free (&idx);
  }
  else if (idx.nr != 0 || idx.members != NULL)
    abort ();
  return 0;
}
