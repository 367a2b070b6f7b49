/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for the OVF parser (inputs/ovf.c).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -Icommon -Iinputs \
 *     $(pkg-config --cflags libxml-2.0) inputs/fuzz-ovf.c inputs/ovf.c \
 *     inputs/vmdesc.c common/log.c common/sbuf.c common/util.c \
 *     common/options.c common/command.c common/nbdserver.c \
 *     $(pkg-config --libs libxml-2.0 libnbd openssl) -o fuzz-ovf
 *   ./fuzz-ovf -close_fd_mask=2 CORPUS_DIR
 *
 * error() always writes to stderr: -close_fd_mask=2 silences it.
 */

#include <config.h>

#include <stdint.h>
#include <string.h>

#include "inputs.h"

/* What ovf_parse promises, checked on every input. */
static void
check (int r, const struct vmdesc *d)
{
  if (r == -1) {
    /* Everything freed and zeroed after an error. */
    if (d->name || d->os || d->disks || d->nr_disks || d->nics ||
        d->nr_nics || last_error () == NULL)
      __builtin_trap ();
    return;
  }
  if (r != 0 || d->name == NULL)
    __builtin_trap ();
  for (size_t i = 0; i < d->nr_disks; i++) {
    const struct vmdesc_disk *k = &d->disks[i];
    if (k->file == NULL || k->file[0] == '\0' || k->unit < -1 ||
        k->controller < -1 ||
        (k->compression && strcmp (k->compression, "gzip") != 0))
      __builtin_trap ();
  }
  for (size_t i = 0; i < d->nr_nics; i++)
    if (d->nics[i].mac && strlen (d->nics[i].mac) != 17)
      __builtin_trap ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct vmdesc d;
  int r;

  r = ovf_parse ((const char *) data, size, "fuzz.ovf", NULL, &d);
  check (r, &d);
  vmdesc_free (&d);

  r = ovf_parse ((const char *) data, size, "fuzz.ovf", "x", &d);
  check (r, &d);
  vmdesc_free (&d);
  return 0;
}
