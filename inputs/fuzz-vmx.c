/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for the VMware .vmx parser (inputs/vmx.c).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -Icommon -Iinputs \
 *     inputs/fuzz-vmx.c inputs/vmx.c inputs/vmdesc.c common/log.c \
 *     common/sbuf.c common/util.c common/options.c common/command.c \
 *     common/nbdserver.c $(pkg-config --libs libnbd openssl) -o fuzz-vmx
 *   ./fuzz-vmx -close_fd_mask=2 CORPUS_DIR
 *
 * Besides memory errors it checks the parser's promises: on success at
 * least one disk, each with a .vmdk file name and a known bus, NICs
 * with normalised MACs; on failure nothing left in the description.
 */

#include <config.h>

#include <string.h>

#include "inputs.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_mac (const char *mac)
{
  if (mac == NULL)
    return;
  if (strlen (mac) != 17)
    abort ();
  for (size_t i = 0; i < 17; i++)
    if (i % 3 == 2 ? mac[i] != ':' : !strchr ("0123456789abcdef", mac[i]))
      abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct vmdesc d;

  if (vmx_parse ((const char *) data, size, "fuzz.vmx", &d) == -1) {
    if (d.name || d.os || d.disks || d.nr_disks || d.nics || d.nr_nics ||
        last_error () == NULL)
      abort ();
    return 0;
  }
  if (d.nr_disks == 0 || d.vcpus == 0 || d.firmware == FIRMWARE_UNKNOWN)
    abort ();
  for (size_t i = 0; i < d.nr_disks; i++) {
    const struct vmdesc_disk *k = &d.disks[i];
    size_t n = strlen (k->file);
    if (n < 6 || strcasecmp (k->file + n - 5, ".vmdk") != 0 ||
        k->bus == NULL || k->controller < 0 || k->controller > 255 ||
        k->unit < 0 || k->unit > 255)
      abort ();
    if (i > 0 && strcmp (k->bus, d.disks[i - 1].bus) == 0 &&
        k->controller == d.disks[i - 1].controller &&
        k->unit <= d.disks[i - 1].unit)
      abort ();                 /* unsorted or the same slot twice */
  }
  for (size_t i = 0; i < d.nr_nics; i++) {
    check_mac (d.nics[i].mac);
    if (d.nics[i].model == NULL)
      abort ();
  }
  vmdesc_free (&d);
  return 0;
}
