/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for what ferry reads from Entra ID, the identity
 * endpoints and the az CLI (outputs/azure-sources.c): the token
 * document, the error answer, the CLI's local times and the one-line
 * cleaner.  The first byte picks the reader.
 */

#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "azure-sources.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *copy;
  size_t len;

  if (size < 1)
    return 0;
  len = size - 1;
  copy = malloc (len + 1);
  if (copy == NULL)
    return 0;
  memcpy (copy, data + 1, len);
  copy[len] = '\0';
  switch (data[0] % 4) {
  case 0: {
    struct az_token t = { 0 };
    const char *why;
    if (azs_token_parse (copy, len, 1700000000, &t, &why) == 0)
      azs_token_clear (&t);
    break;
  }
  case 1: {
    char *headers[] = { (char *) "content-type: application/json", NULL };
    struct http_response r = { .status = 401, .body = copy, .len = len,
                               .headers = headers };
    free (azs_error_text (&r));
    break;
  }
  case 2: {
    time_t t;
    azs_local_time (copy, &t);
    break;
  }
  default:
    free (azs_clean_line (copy, data[0] % 64));
  }
  free (copy);
  return 0;
}
