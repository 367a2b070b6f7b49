/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for the libvirt domain XML parser
 * (inputs/libvirtxml.c).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -Icommon -Iinputs \
 *     $(pkg-config --cflags libxml-2.0) inputs/fuzz-libvirtxml.c \
 *     inputs/libvirtxml.c inputs/vmdesc.c common/log.c common/sbuf.c \
 *     common/util.c common/options.c common/command.c common/nbdserver.c \
 *     $(pkg-config --libs libxml-2.0 libnbd openssl) -o fuzz-libvirtxml
 *   ./fuzz-libvirtxml -close_fd_mask=2 -dict=... CORPUS_DIR
 *
 * Besides memory errors it checks the parser's promises: on success a
 * name and at least one disk with a source, NICs with normalised MACs;
 * on failure nothing left in the description.
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

  if (libvirtxml_parse ((const char *) data, size, "fuzz.xml", &d) == -1) {
    if (d.name || d.os || d.disks || d.nr_disks || d.nics || d.nr_nics ||
        last_error () == NULL)
      abort ();
    return 0;
  }
  if (d.name == NULL || d.name[0] == '\0' || d.nr_disks == 0 ||
      d.vcpus == 0 || d.firmware == FIRMWARE_UNKNOWN)
    abort ();
  for (size_t i = 0; i < d.nr_disks; i++)
    if (d.disks[i].file == NULL || d.disks[i].file[0] == '\0' ||
        (d.disks[i].controller < 0) != (d.disks[i].unit < 0))
      abort ();
  for (size_t i = 0; i < d.nr_nics; i++)
    check_mac (d.nics[i].mac);
  vmdesc_free (&d);
  return 0;
}
