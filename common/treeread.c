/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: reading JSON (jansson) and YAML (libyaml) into jansson trees,
 * with ferry's limits on top of the libraries: nesting depth, aliases
 * that may not expand past a budget of nodes, one document per file.
 *
 * YAML scalars are all strings (the caller decides what "3" or "false"
 * means, see yaml_truthy), except the plain null forms (nothing, "~",
 * "null") and !!null, which become JSON null.  Anchors and aliases,
 * "<<" merge keys, directives and the standard (tag:yaml.org,2002:)
 * tags are read as YAML 1.1 defines them; other tags, complex keys and
 * a second document are refused.  Every message names the document,
 * the line and the column.
 */

#include <config.h>

#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "common.h"

/* ---------------------------------------------------------------- */
/* JSON. */

/* Where the first bracket deeper than TREE_MAX_DEPTH is, before jansson
 * reads the text (it allows 2048 levels).  Returns 0, or -1 after
 * error().
 */
static int
json_depth_check (const char *text, size_t len, const char *label)
{
  size_t line = 1, col = 1;
  int depth = 0;
  bool in_str = false, esc = false;

  for (size_t i = 0; i < len; i++, col++) {
    char c = text[i];

    if (c == '\n') {
      line++;
      col = 0;
    }
    if (in_str) {
      if (esc)
        esc = false;
      else if (c == '\\')
        esc = true;
      else if (c == '"')
        in_str = false;
    }
    else if (c == '"')
      in_str = true;
    else if ((c == '[' || c == '{') && ++depth > TREE_MAX_DEPTH) {
      error ("parse JSON \"%s\": nesting deeper than %d levels at line %zu "
             "column %zu", label, TREE_MAX_DEPTH, line, col);
      return -1;
    }
    else if (c == ']' || c == '}')
      depth--;
  }
  return 0;
}

json_t *
json_read (const char *text, size_t len, const char *label, bool unique)
{
  json_error_t err;
  json_t *v;

  if (json_depth_check (text, len, label) == -1)
    return NULL;
  v = json_loadb (text, len,
                  JSON_DECODE_ANY | (unique ? JSON_REJECT_DUPLICATES : 0), &err);
  if (v == NULL) {              /* error() sanitises err.text */
    const char *msg = err.text;
    char dup[JSON_ERROR_TEXT_LENGTH + 32];
    const char *near = strstr (err.text, " near '");

    if (json_error_code (&err) == json_error_null_character)
      msg = "\\u0000 in a string is not supported";
    /* jansson's "duplicate object key near '"KEY"'" */
    else if (json_error_code (&err) == json_error_duplicate_key && near &&
             strlen (near) >= 8 && near[strlen (near) - 1] == '\'') {
      snprintf (dup, sizeof dup, "key %.*s given twice",
                (int) (strlen (near) - 8), near + 7);
      msg = dup;
    }
    error ("parse JSON \"%s\": %s at line %d column %d", label, msg,
           err.line, err.column);
  }
  return v;
}

/* ---------------------------------------------------------------- */
/* YAML. */

struct anchor {
  char *name;
  json_t *v;                    /* a reference: the node in the tree */
  size_t nodes;                 /* nodes in v */
  int height;                   /* levels of collections in v */
};

struct yr {
  yaml_parser_t p;
  const char *label;
  const char *text;             /* the document, for reader errors */
  size_t len;
  struct anchor *anchors;
  size_t nr_anchors;
  size_t nodes;                 /* built so far, aliases expanded */
};

/* What one node gives back, besides its value. */
struct built {
  json_t *v;
  size_t nodes;
  int height;
};

static int __attribute__ ((format (printf, 3, 4)))
yr_error (const struct yr *y, const yaml_mark_t *m, const char *fs, ...)
{
  va_list args;
  char msg[512];

  va_start (args, fs);
  vsnprintf (msg, sizeof msg, fs, args);
  va_end (args);
  error ("parse YAML \"%s\" line %zu column %zu: %s", y->label,
         m->line + 1, m->column + 1, msg);
  return -1;
}

static int
yr_nomem (const struct yr *y)
{
  error ("parse YAML \"%s\": out of memory", y->label);
  return -1;
}

/* The next event into *e, or -1 after error() (libyaml's message). */
static int
next (struct yr *y, yaml_event_t *e)
{
  if (yaml_parser_parse (&y->p, e))
    return 0;
  if (y->p.error == YAML_MEMORY_ERROR)
    return yr_nomem (y);
  if (y->p.error == YAML_READER_ERROR) {
    /* libyaml gives the byte offset only: count lines and characters. */
    yaml_mark_t m = { 0, 0, 0 };
    for (size_t i = 0; i < y->p.problem_offset && i < y->len; i++) {
      unsigned char c = y->text[i];
      if (c == '\n') {
        m.line++;
        m.column = 0;
      }
      else if ((c & 0xc0) != 0x80)
        m.column++;
    }
    return yr_error (y, &m, "%s", y->p.problem ? y->p.problem : "invalid YAML");
  }
  if (y->p.context)
    return yr_error (y, &y->p.problem_mark, "%s (%s at line %zu column %zu)",
                     y->p.problem ? y->p.problem : "invalid YAML",
                     y->p.context, y->p.context_mark.line + 1,
                     y->p.context_mark.column + 1);
  return yr_error (y, &y->p.problem_mark, "%s",
                   y->p.problem ? y->p.problem : "invalid YAML");
}

#define YAML_STD_TAG "tag:yaml.org,2002:"

/* Refuse tags other than the standard ones and "!" (the non-specific
 * tag).  Sets *std to the part after "tag:yaml.org,2002:" ("" if none).
 */
static int
check_tag (const struct yr *y, const yaml_mark_t *m, const yaml_char_t *tag,
           const char **std)
{
  const char *t = (const char *) tag;

  *std = "";
  if (t == NULL || strcmp (t, "!") == 0)
    return 0;
  if (strncmp (t, YAML_STD_TAG, strlen (YAML_STD_TAG)) == 0) {
    *std = t + strlen (YAML_STD_TAG);
    return 0;
  }
  return yr_error (y, m, "tag \"%s\" is not supported", t);
}

static int
add_nodes (struct yr *y, const yaml_mark_t *m, size_t n)
{
  if (n > TREE_MAX_NODES || y->nodes + n > TREE_MAX_NODES)
    return yr_error (y, m, "the document expands to more than %d nodes "
                     "(aliases?)", TREE_MAX_NODES);
  y->nodes += n;
  return 0;
}

static int
remember (struct yr *y, const yaml_char_t *anchor, const struct built *b)
{
  struct anchor *a;

  if (anchor == NULL)
    return 0;
  a = realloc (y->anchors, (y->nr_anchors + 1) * sizeof *a);
  if (a == NULL)
    return yr_nomem (y);
  y->anchors = a;
  a = &y->anchors[y->nr_anchors];
  a->name = strdup ((const char *) anchor);
  if (a->name == NULL)
    return yr_nomem (y);
  a->v = json_incref (b->v);
  a->nodes = b->nodes;
  a->height = b->height;
  y->nr_anchors++;
  return 0;
}

static int node (struct yr *y, yaml_event_t *e, int depth, struct built *out);

static bool
is_null_word (const char *s, size_t n)
{
  return n == 0 || (n == 1 && *s == '~') ||
    (n == 4 && (memcmp (s, "null", 4) == 0 || memcmp (s, "Null", 4) == 0 ||
                memcmp (s, "NULL", 4) == 0));
}

static int
scalar (struct yr *y, yaml_event_t *e, struct built *out)
{
  const char *s = (const char *) e->data.scalar.value, *std;
  size_t n = e->data.scalar.length;
  bool plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;

  if (check_tag (y, &e->start_mark, e->data.scalar.tag, &std) == -1)
    return -1;
  if (memchr (s, '\0', n))
    return yr_error (y, &e->start_mark, "a NUL character in a string is not "
                     "supported");
  if (strcmp (std, "null") == 0 ||
      (plain && e->data.scalar.tag == NULL && is_null_word (s, n)))
    out->v = json_null ();
  else
    out->v = json_stringn (s, n);
  if (out->v == NULL)
    return yr_nomem (y);
  out->nodes = 1;
  out->height = 0;
  return 0;
}

static int
alias (struct yr *y, yaml_event_t *e, int depth, struct built *out)
{
  const char *name = (const char *) e->data.alias.anchor;

  for (size_t i = y->nr_anchors; i-- > 0; ) {
    const struct anchor *a = &y->anchors[i];
    if (strcmp (a->name, name) != 0)
      continue;
    if (depth + a->height > TREE_MAX_DEPTH)
      return yr_error (y, &e->start_mark, "nesting deeper than %d levels",
                       TREE_MAX_DEPTH);
    if (add_nodes (y, &e->start_mark, a->nodes) == -1)
      return -1;
    /* A copy, so that no node is shared (the merges edit the tree). */
    out->v = json_deep_copy (a->v);
    if (out->v == NULL)
      return yr_nomem (y);
    out->nodes = a->nodes;
    out->height = a->height;
    return 0;
  }
  return yr_error (y, &e->start_mark, "unknown alias \"*%s\"", name);
}

static int
sequence (struct yr *y, yaml_event_t *start, int depth, struct built *out)
{
  const char *std;

  if (check_tag (y, &start->start_mark, start->data.sequence_start.tag, &std) == -1)
    return -1;
  if (depth + 1 > TREE_MAX_DEPTH)
    return yr_error (y, &start->start_mark, "nesting deeper than %d levels",
                     TREE_MAX_DEPTH);
  out->v = json_array ();
  out->nodes = 1;
  out->height = 1;
  if (out->v == NULL)
    return yr_nomem (y);
  for (;;) {
    yaml_event_t e;
    struct built item = { NULL, 0, 0 };
    int r;

    if (next (y, &e) == -1)
      return -1;
    if (e.type == YAML_SEQUENCE_END_EVENT) {
      yaml_event_delete (&e);
      return 0;
    }
    r = node (y, &e, depth + 1, &item);
    yaml_event_delete (&e);
    if (r == -1) {
      json_decref (item.v);
      return -1;
    }
    if (json_array_append_new (out->v, item.v) == -1)
      return yr_nomem (y);
    out->nodes += item.nodes;
    if (item.height + 1 > out->height)
      out->height = item.height + 1;
  }
}

/* The value of a "<<" key: a mapping or a sequence of mappings, whose
 * members go to the end of merges (taken over).
 */
static int
add_merge (struct yr *y, const yaml_mark_t *m, json_t *merges, json_t *v)
{
  if (json_is_object (v))
    return json_array_append (merges, v) == -1 ? yr_nomem (y) : 0;
  if (json_is_array (v)) {
    size_t i;
    json_t *it;

    json_array_foreach (v, i, it) {
      if (!json_is_object (it))
        break;
      if (json_array_append (merges, it) == -1)
        return yr_nomem (y);
    }
    if (i == json_array_size (v))
      return 0;
  }
  return yr_error (y, m, "a merge key (\"<<\") needs a mapping or a list of "
                   "mappings");
}

static int
mapping (struct yr *y, yaml_event_t *start, int depth, struct built *out)
{
  const char *std;
  json_t *merges;
  int ret = -1;

  if (check_tag (y, &start->start_mark, start->data.mapping_start.tag, &std) == -1)
    return -1;
  if (depth + 1 > TREE_MAX_DEPTH)
    return yr_error (y, &start->start_mark, "nesting deeper than %d levels",
                     TREE_MAX_DEPTH);
  out->v = json_object ();
  out->nodes = 1;
  out->height = 1;
  merges = json_array ();
  if (out->v == NULL || merges == NULL) {
    json_decref (merges);
    return yr_nomem (y);
  }
  for (;;) {
    yaml_event_t k, e;
    struct built key = { NULL, 0, 0 }, val = { NULL, 0, 0 };
    yaml_mark_t km;
    bool merge;
    int r;

    if (next (y, &k) == -1)
      goto out;
    km = k.start_mark;
    if (k.type == YAML_MAPPING_END_EVENT) {
      yaml_event_delete (&k);
      break;
    }
    if (k.type == YAML_SEQUENCE_START_EVENT || k.type == YAML_MAPPING_START_EVENT) {
      yaml_event_delete (&k);
      yr_error (y, &km, "complex keys are not supported");
      goto out;
    }
    merge = k.type == YAML_SCALAR_EVENT &&
      k.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
      (k.data.scalar.tag == NULL ||
       strcmp ((const char *) k.data.scalar.tag, YAML_STD_TAG "merge") == 0) &&
      strcmp ((const char *) k.data.scalar.value, "<<") == 0;
    r = node (y, &k, depth + 1, &key);
    yaml_event_delete (&k);
    if (r == 0 && !merge && !json_is_string (key.v) && !json_is_null (key.v))
      r = yr_error (y, &km, "complex keys are not supported");
    if (r == 0)
      r = next (y, &e);
    if (r == 0) {
      yaml_mark_t vm = e.start_mark;
      r = node (y, &e, depth + 1, &val);
      yaml_event_delete (&e);
      if (r == 0 && merge)
        r = add_merge (y, &vm, merges, val.v);
      else if (r == 0 &&
               json_object_set (out->v, json_is_string (key.v)
                                ? json_string_value (key.v) : "", val.v) == -1)
        r = yr_nomem (y);
    }
    out->nodes += key.nodes + val.nodes;
    if (val.height + 1 > out->height)
      out->height = val.height + 1;
    json_decref (key.v);
    json_decref (val.v);
    if (r == -1)
      goto out;
  }
  /* The merged members, where the mapping has no member of their own:
   * earlier mappings of a "<<" list win over later ones.
   */
  {
    size_t i;
    json_t *src;

    json_array_foreach (merges, i, src) {
      const char *name;
      json_t *v;

      json_object_foreach (src, name, v)
        if (json_object_get (out->v, name) == NULL &&
            json_object_set (out->v, name, v) == -1) {
          yr_nomem (y);
          goto out;
        }
    }
  }
  ret = 0;
 out:
  json_decref (merges);
  return ret;
}

/* Build the node that begins with event e (not freed here).  On
 * failure out->v may hold a partial tree for the caller to free.
 */
static int
node (struct yr *y, yaml_event_t *e, int depth, struct built *out)
{
  const yaml_char_t *anchor = NULL;
  int r;

  switch (e->type) {
  case YAML_ALIAS_EVENT:
    return alias (y, e, depth, out);
  case YAML_SCALAR_EVENT:
    anchor = e->data.scalar.anchor;
    r = scalar (y, e, out);
    break;
  case YAML_SEQUENCE_START_EVENT:
    anchor = e->data.sequence_start.anchor;
    r = sequence (y, e, depth, out);
    break;
  case YAML_MAPPING_START_EVENT:
    anchor = e->data.mapping_start.anchor;
    r = mapping (y, e, depth, out);
    break;
  default:
    return yr_error (y, &e->start_mark, "unexpected YAML event %d", e->type);
  }
  if (r == 0)
    r = add_nodes (y, &e->start_mark, 1);
  if (r == 0)
    r = remember (y, anchor, out);
  return r;
}

/* STREAM-START, then nothing or one document, then STREAM-END. */
static int
document (struct yr *y, json_t **root)
{
  yaml_event_t e;
  struct built b = { NULL, 0, 0 };
  int r;

  if (next (y, &e) == -1)
    return -1;
  yaml_event_delete (&e);       /* STREAM-START */
  if (next (y, &e) == -1)
    return -1;
  if (e.type == YAML_STREAM_END_EVENT) {
    yaml_event_delete (&e);
    *root = json_null ();
    return *root ? 0 : yr_nomem (y);
  }
  yaml_event_delete (&e);       /* DOCUMENT-START */
  if (next (y, &e) == -1)
    return -1;
  r = node (y, &e, 0, &b);
  yaml_event_delete (&e);
  if (r == 0 && (r = next (y, &e)) == 0)
    yaml_event_delete (&e);     /* DOCUMENT-END */
  if (r == 0 && (r = next (y, &e)) == 0) {
    if (e.type != YAML_STREAM_END_EVENT)
      r = yr_error (y, &e.start_mark, "multiple documents are not supported");
    yaml_event_delete (&e);
  }
  if (r == -1) {
    json_decref (b.v);
    return -1;
  }
  *root = b.v;
  return 0;
}

json_t *
yaml_read (const char *text, size_t len, const char *label)
{
  struct yr y = { .label = label, .text = text, .len = len };
  json_t *root = NULL;

  if (!yaml_parser_initialize (&y.p)) {
    yr_nomem (&y);
    return NULL;
  }
  yaml_parser_set_input_string (&y.p, (const unsigned char *) text, len);
  yaml_parser_set_encoding (&y.p, YAML_UTF8_ENCODING);
  if (document (&y, &root) == -1)
    root = NULL;
  yaml_parser_delete (&y.p);
  for (size_t i = 0; i < y.nr_anchors; i++) {
    free (y.anchors[i].name);
    json_decref (y.anchors[i].v);
  }
  free (y.anchors);
  return root;
}

/* ---------------------------------------------------------------- */
/* Helpers for the trees. */

int
tree_merge (json_t *dst, json_t *src)
{
  const char *key;
  json_t *v;

  json_object_foreach (src, key, v) {
    json_t *d = json_object_get (dst, key);

    if (json_is_object (d) && json_is_object (v)) {
      if (tree_merge (d, v) == -1)
        return -1;
    }
    else {
      json_t *c = json_deep_copy (v);
      if (c == NULL || json_object_set_new (dst, key, c) == -1) {
        error ("merge the configuration: out of memory");
        return -1;
      }
    }
  }
  return 0;
}

const json_t *
tree_path (const json_t *v, const char *path)
{
  while (v && *path) {
    const char *dot = strchr (path, '.');
    size_t n = dot ? (size_t) (dot - path) : strlen (path);

    v = json_object_getn ((json_t *) v, path, n);
    path += n + (dot != NULL);
  }
  return v;
}

const char *
tree_str (const json_t *obj, const char *key)
{
  return json_string_value (json_object_get (obj, key));
}

bool
tree_int (const json_t *obj, const char *key, int64_t *out)
{
  const json_t *v = json_object_get (obj, key);

  if (!json_is_integer (v))
    return false;
  *out = json_integer_value (v);
  return true;
}

const char *
tree_type_name (const json_t *v)
{
  switch (json_typeof (v)) {
  case JSON_OBJECT: return "object";
  case JSON_ARRAY: return "array";
  case JSON_STRING: return "string";
  case JSON_INTEGER: case JSON_REAL: return "number";
  case JSON_TRUE: case JSON_FALSE: return "boolean";
  case JSON_NULL: return "null";
  }
  return "?";
}

bool
yaml_truthy (const char *s, bool *out)
{
  static const char *const words[] = {
    "false", "true", "no", "yes", "off", "on"
  };

  for (size_t i = 0; s && i < 6; i++)
    if (strcasecmp (s, words[i]) == 0) {
      *out = i & 1;
      return true;
    }
  return false;
}
