/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for the OVF manifest parser: the input is the .mf.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -Icommon -Iinputs \
 *     inputs/fuzz-manifest.c inputs/tar.c inputs/manifest.c inputs/vmdesc.c \
 *     common/log.c common/sbuf.c common/util.c common/options.c \
 *     common/command.c common/nbdserver.c \
 *     $(pkg-config --libs libnbd openssl) -o fuzz-manifest
 *   ./fuzz-manifest -close_fd_mask=2 -dict=inputs/fuzz-seeds/manifest.dict \
 *     CORPUS_DIR inputs/fuzz-seeds/manifest
 *
 * Besides crashes it checks that every entry names a sibling file and
 * has a lowercase hex digest of the algorithm's length.
 */

#include <config.h>

#include <string.h>

#include "inputs.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check (const struct manifest *m)
{
  for (size_t i = 0; i < m->nr; i++) {
    const struct manifest_entry *e = &m->entries[i];
    size_t want = strcmp (e->algo, "SHA1") == 0 ? 40 :
      strcmp (e->algo, "SHA256") == 0 ? 64 :
      strcmp (e->algo, "SHA512") == 0 ? 128 : 0;

    if (want == 0 || strlen (e->digest) != want ||
        strspn (e->digest, "0123456789abcdef") != want ||
        e->file[0] == '\0' || strchr (e->file, '/') ||
        strcmp (e->file, "..") == 0 || strcmp (e->file, ".") == 0)
      abort ();
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct manifest m;

  if (manifest_parse ((const char *) data, size, "fuzz.mf", &m) == 0) {
    check (&m);
    manifest_free (&m);
  }
  else if (m.nr != 0 || m.entries != NULL)
    abort ();
  return 0;
}
