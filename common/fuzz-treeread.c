/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for ferry's glue around jansson and libyaml
 * (common/treeread.c): the depth check before jansson, the YAML events
 * to a tree (anchors, aliases and their budget, merge keys, tags, one
 * document) and the deep merge that clouds.yaml and secure.yaml go
 * through.  The first byte chooses: even for JSON, odd for YAML; the
 * rest is the document.  "make fuzz FUZZERS=treeread" builds and runs it.
 *
 * Besides memory errors it checks the promises: no tree deeper than
 * TREE_MAX_DEPTH, YAML gives only strings, nulls and containers, a
 * tree written back as JSON reads to an equal tree, and a YAML mapping
 * merged over itself and over an empty mapping is unchanged.
 */

#include <config.h>

#include <string.h>

#include "common.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Levels of collections in v (0 for a scalar), stopping past the limit. */
static int
height (const json_t *v, int depth)
{
  int h = 0;

  if (depth > TREE_MAX_DEPTH + 1)
    return depth;
  if (json_is_object (v)) {
    const char *k;
    json_t *it;
    json_object_foreach ((json_t *) v, k, it) {
      int x = height (it, depth + 1);
      if (x > h)
        h = x;
    }
    return h + 1;
  }
  if (json_is_array (v)) {
    size_t i;
    json_t *it;
    json_array_foreach (v, i, it) {
      int x = height (it, depth + 1);
      if (x > h)
        h = x;
    }
    return h + 1;
  }
  return 0;
}

static bool
yaml_types_only (const json_t *v)
{
  size_t i;
  const char *k;
  json_t *it;

  switch (json_typeof (v)) {
  case JSON_STRING:
  case JSON_NULL:
    return true;
  case JSON_ARRAY:
    json_array_foreach (v, i, it)
      if (!yaml_types_only (it))
        return false;
    return true;
  case JSON_OBJECT:
    json_object_foreach ((json_t *) v, k, it)
      if (!yaml_types_only (it))
        return false;
    return true;
  default:
    return false;
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *text = (const char *) data + 1;
  bool yaml;
  json_t *v;

  if (size == 0)
    return 0;
  yaml = data[0] & 1;
  size--;
  v = yaml ? yaml_read (text, size, "fuzz") : json_read (text, size, "fuzz", data[0] & 2);
  if (v == NULL)
    return 0;
  if (height (v, 0) > TREE_MAX_DEPTH)
    abort ();
  if (yaml && !yaml_types_only (v))
    abort ();
  {
    char *out = json_dumps (v, JSON_COMPACT | JSON_ENCODE_ANY);
    json_t *back;

    if (out == NULL)
      abort ();
    back = json_read (out, strlen (out), "fuzz (written back)", false);
    if (back == NULL || !json_equal (back, v))
      abort ();
    json_decref (back);
    free (out);
  }
  if (yaml && json_is_object (v)) {
    json_t *copy = json_deep_copy (v), *empty = json_object ();

    if (copy == NULL || empty == NULL || tree_merge (copy, v) == -1 ||
        !json_equal (copy, v) || tree_merge (empty, v) == -1 ||
        !json_equal (empty, v))
      abort ();
    json_decref (copy);
    json_decref (empty);
  }
  json_decref (v);
  return 0;
}
