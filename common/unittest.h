/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: what the C unit tests (test-*.c beside the code) share.
 * Include it in the test's own .c file only: it defines the pass/fail
 * counters.
 */

#ifndef FERRY_UNITTEST_H
#define FERRY_UNITTEST_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

static int passed, failed;

/* Count one check; a failure is printed with the last error() message. */
#define CHECK(cond, what) do {                                  \
    if (cond) passed++;                                         \
    else { failed++; fprintf (stderr, "FAIL: %s (%s)\n", what,   \
                              last_error () ? last_error () : "-"); } \
  } while (0)

/* Both non-NULL and equal. */
static inline bool
streq (const char *a, const char *b)
{
  return a && b && strcmp (a, b) == 0;
}

#endif /* FERRY_UNITTEST_H */
