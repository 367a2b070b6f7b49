/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit test for the JSON writer (common/json.c) and utf8_sanitise:
 * bytes that are not UTF-8 (Latin-1, broken sequences, surrogates,
 * overlong forms, control characters) always give valid UTF-8 and
 * valid JSON, read back by jansson to the expected text.
 */

#include <config.h>

#include <string.h>

#include "common.h"
#include "unittest.h"

#define FFFD "\xef\xbf\xbd"

static void
sanitised (const char *in, const char *want, const char *what)
{
  CLEANUP_FREE char *s = utf8_sanitise (in);
  CHECK (s && strcmp (s, want) == 0, what);
}

int
main (void)
{
  sanitised ("plain ascii", "plain ascii", "ascii kept");
  sanitised ("R\xc3\xa9seau \xe2\x82\xac \xf0\x9f\x98\x80", "R\xc3\xa9seau \xe2\x82\xac \xf0\x9f\x98\x80",
             "valid 2-, 3- and 4-byte sequences kept");
  sanitised ("R\xe9seau", "R" FFFD "seau", "Latin-1 byte: one U+FFFD");
  sanitised ("\xc3\x28", FFFD "(", "a lead byte without its continuation");
  sanitised ("\xed\xa0\x80", FFFD FFFD FFFD, "a surrogate: one U+FFFD a byte");
  sanitised ("\xc0\xaf", FFFD FFFD, "an overlong '/'");
  sanitised ("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD, "beyond U+10FFFF");
  sanitised ("\xe2\x82", FFFD FFFD, "cut short at the end");
  sanitised ("\x01\x1b[2J\x7f", "\x01\x1b[2J\x7f", "control characters kept (jansson escapes them)");
  sanitised ("", "", "empty string");

  {
    struct json j;
    char *s;
    json_t *v;
    json_init (&j, true);
    json_begin_object (&j, NULL);
    json_add_string (&j, "file", "/etc/network/interfaces.d/r\xe9seau");
    json_add_string (&j, "diff", " # R\xe9seau \x01\x1b[2J \xff\xfe fin\n+auto ens3\n");
    json_add_string (&j, "caf\xe9", "key with Latin-1");
    json_add_null (&j, "none");
    json_add_string (&j, "null_string", NULL);
    json_add_int (&j, "big", INT64_C (9007199254740993));
    json_add_bool (&j, "ok", true);
    json_begin_array (&j, "list");
    json_add_string (&j, NULL, "a");
    json_begin_object (&j, NULL);
    json_add_int (&j, "n", -1);
    json_end_object (&j);
    json_end_array (&j);
    json_end_object (&j);
    s = json_take (&j);
    CHECK (s != NULL, "document written");
    CHECK (s && memchr (s, 0x1b, strlen (s)) == NULL && (strstr (s, "\\u001b") || strstr (s, "\\u001B")),
           "ESC escaped, never raw");
    v = s ? json_loads (s, JSON_REJECT_DUPLICATES, NULL) : NULL;
    CHECK (v != NULL, "read back by jansson");
    CHECK (v && strcmp (json_string_value (json_object_get (v, "file")),
                        "/etc/network/interfaces.d/r" FFFD "seau") == 0, "file name");
    CHECK (v && strcmp (json_string_value (json_object_get (v, "diff")),
                        " # R" FFFD "seau \x01\x1b[2J " FFFD FFFD " fin\n+auto ens3\n") == 0,
           "diff text");
    CHECK (v && json_object_get (v, "caf" FFFD) != NULL, "key sanitised");
    CHECK (v && json_is_null (json_object_get (v, "none")) &&
           json_is_null (json_object_get (v, "null_string")), "nulls");
    CHECK (v && json_integer_value (json_object_get (v, "big")) == INT64_C (9007199254740993),
           "64-bit integer exact");
    CHECK (v && json_array_size (json_object_get (v, "list")) == 2 &&
           json_integer_value (json_object_get (json_array_get (json_object_get (v, "list"), 1), "n")) == -1,
           "nested array and object");
    /* Keys in the order they were added. */
    CHECK (s && strstr (s, "\"file\"") < strstr (s, "\"diff\"") &&
           strstr (s, "\"diff\"") < strstr (s, "\"list\""), "key order kept");
    CHECK (s && strchr (s, '\n') != NULL, "pretty: indented");
    json_decref (v);
    free (s);
  }

  {
    struct json j;
    char *s;
    json_init (&j, false);
    json_begin_object (&j, NULL);
    json_add_string (&j, "type", "plan");
    CHECK (json_add_document (&j, "report", "{\"a\": [1, 2], \"b\": \"x\"}") == 0,
           "embed a document");
    json_end_object (&j);
    s = json_take (&j);
    CHECK (s && strcmp (s, "{\"type\":\"plan\",\"report\":{\"a\":[1,2],\"b\":\"x\"}}") == 0,
           "compact: one line, in order");
    free (s);

    json_init (&j, false);
    json_begin_object (&j, NULL);
    CHECK (json_add_document (&j, "report", "{not json") == -1, "a bad document is refused");
    json_end_object (&j);
    s = json_take (&j);
    CHECK (s == NULL, "and fails the whole");
    free (s);

    json_init (&j, false);
    json_begin_object (&j, NULL);
    s = json_take (&j);
    CHECK (s == NULL, "an object left open fails");
    free (s);
  }

  printf ("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
