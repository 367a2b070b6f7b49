/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: unit tests for common/treeread.c, JSON and YAML read into
 * jansson trees with ferry's limits, and the deep merge.
 */

#include <config.h>

#include <string.h>

#include "unittest.h"

/* The last error is one line, names "doc" and contains each fragment. */
static bool
error_says (const char *a, const char *b)
{
  const char *e = last_error ();

  return e && strstr (e, "\"doc\"") && !strchr (e, '\n') &&
    strstr (e, a) && (b == NULL || strstr (e, b));
}

static json_t *
yaml (const char *text)
{
  return yaml_read (text, strlen (text), "doc");
}

static json_t *
json (const char *text, bool unique)
{
  return json_read (text, strlen (text), "doc", unique);
}

/* The tree as compact JSON with sorted keys (owned), "(null)" for NULL. */
static char *
dump (const json_t *v)
{
  return v ? json_dumps (v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)
           : strdup ("(null)");
}

/* YAML text reads as the JSON tree want (compact, sorted keys). */
static void
yaml_is (const char *text, const char *want, const char *what)
{
  json_t *v = yaml (text);
  CLEANUP_FREE char *got = dump (v);

  CHECK (streq (got, want), what);
  if (!streq (got, want))
    fprintf (stderr, "  got %s\n  want %s\n", got, want);
  json_decref (v);
}

/* YAML text is refused with one line naming "doc" and containing a, b. */
static void
yaml_refused (const char *text, const char *a, const char *b, const char *what)
{
  json_t *v = yaml (text);

  CHECK (v == NULL && error_says (a, b), what);
  json_decref (v);
}

static char *
nested (const char *open, const char *close, int n)
{
  struct sbuf b = SBUF_INIT;

  for (int i = 0; i < n; i++)
    sbuf_puts (&b, open);
  for (int i = 0; i < n; i++)
    sbuf_puts (&b, close);
  return sbuf_take (&b);
}

static void
test_json (void)
{
  json_t *v;
  int64_t n = 0;
  CLEANUP_FREE char *deep64 = nested ("[", "]", 64);
  CLEANUP_FREE char *deep65 = nested ("[", "]", 65);

  v = json ("{\"token\": {\"catalog\": [1, {\"id\": \"x\"}]}, \"n\": 9007199254740993,"
            " \"r\": 1.5, \"s\": \"\\u00e9\"}", false);
  CHECK (v && json_array_size (tree_path (v, "token.catalog")) == 2, "tree_path");
  CHECK (tree_path (v, "") == v && tree_path (v, "token.nope") == NULL &&
         tree_path (v, "n.x") == NULL, "tree_path: empty, missing, not an object");
  CHECK (streq (tree_str (json_array_get (tree_path (v, "token.catalog"), 1), "id"), "x"),
         "tree_str");
  CHECK (tree_int (v, "n", &n) && n == INT64_C (9007199254740993), "an integer, exact");
  CHECK (!tree_int (v, "r", &n) && !tree_int (v, "s", &n) && tree_str (v, "r") == NULL,
         "tree_int and tree_str: only of their type");
  CHECK (streq (tree_str (v, "s"), "\xc3\xa9"), "\\u escape");
  CHECK (streq (tree_type_name (v), "object") &&
         streq (tree_type_name (json_object_get (v, "r")), "number"),
         "tree_type_name");
  json_decref (v);

  v = json ("{\"a\": 1, \"a\": 2}", false);
  CHECK (v && tree_int (v, "a", &n) && n == 2, "a key given twice: the last wins");
  json_decref (v);
  v = json ("{\"a\": 1,\n \"a\": 2}", true);
  CHECK (v == NULL && error_says ("parse JSON \"doc\": key \"a\" given twice at line 2", NULL),
         "a key given twice: refused with unique");

  v = json ("{\n  \"a\": tru\n}", false);
  CHECK (v == NULL && error_says ("parse JSON \"doc\": ", "at line 2 column"),
         "an error names the line and column");
  v = json ("\"\xff\"", false);
  CHECK (v == NULL && error_says ("parse JSON", "line 1"), "invalid UTF-8 refused");
  v = json ("[\"a\\u0000b\"]", false);
  CHECK (v == NULL && error_says ("parse JSON \"doc\": \\u0000 in a string is not "
                                  "supported at line 1", NULL), "\\u0000 refused");
  v = json ("[99999999999999999999]", false);
  CHECK (v == NULL && error_says ("parse JSON", NULL), "an integer out of range refused");
  v = json ("", false);
  CHECK (v == NULL && error_says ("parse JSON", NULL), "empty text refused");
  v = json ("[1] [2]", false);
  CHECK (v == NULL && error_says ("parse JSON", NULL), "two documents refused");
  v = json ("\"top\"", false);
  CHECK (json_is_string (v), "a scalar at the top");
  json_decref (v);

  v = json (deep64, false);
  CHECK (v != NULL, "64 levels");
  json_decref (v);
  v = json (deep65, false);
  CHECK (v == NULL && error_says ("nesting deeper than 64 levels",
                                  "at line 1 column 65"), "65 levels refused");
  v = json ("[\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[\"]",
            false);
  CHECK (v != NULL, "brackets in strings are not levels");
  json_decref (v);
}

static void
test_yaml (void)
{
  char *bomb;
  CLEANUP_FREE char *deep64 = nested ("[", "]", 64);
  CLEANUP_FREE char *deep65 = nested ("[", "]", 65);
  json_t *v;

  yaml_is ("clouds:\n  a:\n    auth:\n      auth_url: http://x:5000/v3\n"
           "      password: \"p w\"\n    regions: [r1, r2]\n    verify: false\n",
           "{\"clouds\":{\"a\":{\"auth\":{\"auth_url\":\"http://x:5000/v3\","
           "\"password\":\"p w\"},\"regions\":[\"r1\",\"r2\"],\"verify\":\"false\"}}}",
           "block mappings, a flow sequence; scalars are strings");
  yaml_is ("", "null", "an empty document");
  yaml_is ("# just a comment\n", "null", "a comment only");
  yaml_is ("a:\nb: ~\nc: null\nd: ''\ne: !!str\nf: \"null\"\ng: !!null x\n",
           "{\"a\":null,\"b\":null,\"c\":null,\"d\":\"\",\"e\":\"\",\"f\":\"null\","
           "\"g\":null}", "the null forms, and what is not null");
  yaml_is ("%YAML 1.1\n---\na: 1\n...\n", "{\"a\":\"1\"}", "a %YAML 1.1 directive");
  yaml_is ("port: !!str 5000\nv: !!bool true\n",
           "{\"port\":\"5000\",\"v\":\"true\"}", "!!str and the other standard tags");
  yaml_is ("a: {x: 1,\n    y: 2}\n", "{\"a\":{\"x\":\"1\",\"y\":\"2\"}}",
           "a flow mapping over two lines");
  yaml_is ("a: |\n  one\n  two\nb: >\n  one\n  two\n",
           "{\"a\":\"one\\ntwo\\n\",\"b\":\"one two\\n\"}", "block scalars");
  yaml_is ("a: 1\na: 2\n", "{\"a\":\"2\"}", "a key given twice: the last wins");

  /* Anchors, aliases and merge keys, as clouds.yaml shares auth: */
  yaml_is ("base: &auth\n  auth_url: http://x/v3\n  username: u\n"
           "clouds:\n  a:\n    auth:\n      <<: *auth\n      username: v\n"
           "  b:\n    auth: *auth\n",
           "{\"base\":{\"auth_url\":\"http://x/v3\",\"username\":\"u\"},"
           "\"clouds\":{\"a\":{\"auth\":{\"auth_url\":\"http://x/v3\",\"username\":\"v\"}},"
           "\"b\":{\"auth\":{\"auth_url\":\"http://x/v3\",\"username\":\"u\"}}}}",
           "an anchor, an alias and a merge key: the mapping's own keys win");
  yaml_is ("x: &x {a: 1, b: 1}\ny: &y {b: 2, c: 2}\nz:\n  <<: [*x, *y]\n",
           "{\"x\":{\"a\":\"1\",\"b\":\"1\"},\"y\":{\"b\":\"2\",\"c\":\"2\"},"
           "\"z\":{\"a\":\"1\",\"b\":\"1\",\"c\":\"2\"}}",
           "a merge list: the earlier mapping wins");
  yaml_is ("z:\n  b: 0\n  <<: {a: 1, b: 1}\n", "{\"z\":{\"a\":\"1\",\"b\":\"0\"}}",
           "an inline merge, after the own key");
  yaml_is ("z:\n  \"<<\": 1\n", "{\"z\":{\"<<\":\"1\"}}", "a quoted << is a key");
  yaml_is ("k: &k name\n*k : 1\n", "{\"k\":\"name\",\"name\":\"1\"}", "an alias as a key");
  yaml_is ("a: &a 1\nb: *a\na2: &a 2\nc: *a\n",
           "{\"a\":\"1\",\"a2\":\"2\",\"b\":\"1\",\"c\":\"2\"}",
           "an anchor defined again: the later one");

  yaml_refused ("a: 1\n---\nb: 2\n", "multiple documents are not supported",
                "line 2 column 1", "two documents refused");
  yaml_refused ("a: *nope\n", "unknown alias \"*nope\"", "line 1 column 4",
                "an unknown alias refused");
  yaml_refused ("a: &a [*a]\n", "unknown alias", NULL, "a recursive alias refused");
  yaml_refused ("a: !foo 1\n", "tag \"!foo\" is not supported", "line 1 column 4",
                "an unknown tag refused");
  yaml_refused ("? [a, b]\n: 1\n", "complex keys are not supported", "line 1",
                "a complex key refused");
  yaml_refused ("a: 1\nb: [1\nc: 2\n", "parse YAML \"doc\" line ", " column ",
                "libyaml's error: the line and the column");
  yaml_refused ("a: 1\nb: \"x\xff\"\n", "parse YAML \"doc\" line 2 column 6",
                "invalid", "invalid UTF-8 refused, where it is");
  yaml_refused ("a: \"\xc3\xa9\x01\"\n", "line 1 column 6", "control",
                "a control character refused, columns in characters");
  yaml_refused ("a: \"x\\0y\"\n", "a NUL character", NULL, "\\0 refused");
  yaml_refused ("a: 1\n  b: 2\n", "line 2", NULL, "bad indentation refused");
  yaml_refused ("a:\n\t- 1\n", "line 2", NULL, "a tab in the indentation refused");
  yaml_refused ("z:\n  <<: 1\n", "a merge key (\"<<\") needs a mapping",
                "line 2 column 7", "a merge of a scalar refused");
  yaml_refused ("z:\n  <<: [{a: 1}, 2]\n", "a merge key", NULL,
                "a merge list with a scalar refused");

  v = yaml (deep64);
  CHECK (v != NULL, "64 levels");
  json_decref (v);
  yaml_refused (deep65, "nesting deeper than 64 levels", "line 1 column 65",
                "65 levels refused");
  yaml_refused ("a: &a [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n"
                "b: [[[[[[[[[[[[[[[[[[[[[[[[[[[[*a]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
                "nesting deeper than 64 levels", "line 2", "an alias too deep refused");

  /* Billion laughs: each level ten aliases of the one before. */
  {
    struct sbuf b = SBUF_INIT;
    sbuf_puts (&b, "l0: &l0 [lol]\n");
    for (int i = 1; i < 9; i++) {
      sbuf_printf (&b, "l%d: &l%d [", i, i);
      for (int k = 0; k < 10; k++)
        sbuf_printf (&b, "%s*l%d", k ? ", " : "", i - 1);
      sbuf_puts (&b, "]\n");
    }
    bomb = sbuf_take (&b);
  }
  yaml_refused (bomb, "the document expands to more than 100000 nodes",
                "line 6", "billion laughs refused");
  free (bomb);
}

static void
test_merge (void)
{
  json_t *a = yaml ("clouds:\n  c:\n    auth: &x\n      auth_url: u\n      password: old\n"
                    "    regions: [r1, r2]\n  d:\n    auth: *x\nother: 1\n");
  json_t *b = yaml ("clouds:\n  c:\n    auth:\n      password: new\n    regions: [r3]\n"
                    "  e: {auth: {password: p}}\n");
  CLEANUP_FREE char *got = NULL;

  CHECK (a && b && tree_merge (a, b) == 0, "tree_merge");
  got = dump (a);
  CHECK (streq (got, "{\"clouds\":{\"c\":{\"auth\":{\"auth_url\":\"u\",\"password\":\"new\"},"
                "\"regions\":[\"r3\"]},\"d\":{\"auth\":{\"auth_url\":\"u\",\"password\":\"old\"}},"
                "\"e\":{\"auth\":{\"password\":\"p\"}}},\"other\":\"1\"}"),
         "deep merge: mappings merged, the rest replaced, aliases not shared");
  if (failed)
    fprintf (stderr, "  got %s\n", got);
  json_decref (a);
  json_decref (b);
}

static void
test_truthy (void)
{
  bool b = false;

  CHECK (yaml_truthy ("Yes", &b) && b && yaml_truthy ("off", &b) && !b &&
         yaml_truthy ("TRUE", &b) && b, "yaml_truthy");
  b = true;
  CHECK (!yaml_truthy ("1", &b) && b && !yaml_truthy (NULL, &b), "yaml_truthy: others");
}

int
main (void)
{
  test_json ();
  test_yaml ();
  test_merge ();
  test_truthy ();
  printf ("test-treeread: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
