/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for the VMDK descriptor parser (see "make fuzz"). */

#include <config.h>

#include <string.h>

#include "inputs.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *text = malloc (size + 1);
  char **refs = NULL;
  char *create_type = NULL;

  if (text == NULL)
    return 0;
  memcpy (text, data, size);
  text[size] = '\0';
  if (vmdk_descriptor_parse (text, size, &refs, &create_type) == 0) {
    free_string_list (refs);
    free (create_type);
  }
  free (text);
  return 0;
}
