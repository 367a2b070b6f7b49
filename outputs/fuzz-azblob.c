/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for what -o azure reads from Blob storage and from
 * its user: Get Page Ranges answers (outputs/azblob.c), storage
 * connection strings and SAS URLs, and the redaction of SAS URLs
 * (outputs/azure-sharedkey.c).  The first byte picks the reader.
 */

#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "azure.h"

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
    struct az_range *v = NULL;
    size_t n = 0;
    char *next = NULL;
    if (azblob_parse_ranges (copy, len, &v, &n, &next) == 0) {
      for (size_t i = 0; i < n; i++)
        if (v[i].start >= v[i].end || v[i].start % 512 || v[i].end % 512)
          abort ();
      free (next);
    }
    free (v);
    break;
  }
  case 1: {
    struct az_blob_auth a;
    if (az_auth_from_connection_string (&a, copy) == 0)
      az_auth_clear (&a);
    break;
  }
  case 2: {
    struct az_blob_auth a;
    char *base = NULL;
    if (az_auth_from_sas_url (&a, copy, &base) == 0) {
      free (base);
      az_auth_clear (&a);
    }
    break;
  }
  case 3: {
    char *r = az_redact_url (copy);
    /* In the query (after the first '?', or all of a bare token), every
     * sig= parameter reads REDACTED.  A path may hold "sig=": it is not
     * a signature.
     */
    if (r) {
      const char *q = strchr (r, '?');
      const char *start = q ? q + 1 : r;
      for (const char *p = start; (p = strcasestr (p, "sig=")) != NULL; p++)
        if ((p == start || p[-1] == '&') && strncmp (p + 4, "REDACTED", 8) != 0)
          abort ();
    }
    free (r);
    break;
  }
  }
  free (copy);
  return 0;
}
