/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: reading JSON (OpenStack API responses) and the YAML that
 * OpenStack's clouds.yaml and secure.yaml are written in.
 *
 * Both parsers build the same tree of struct jv.  They return NULL
 * after error(), whose message names the document by its label:
 *   parse JSON "LABEL": unexpected character 'x' at line L column C
 *   parse YAML "LABEL" line N: anchors and aliases are not supported
 *
 * To be merged into common.h.
 */

#ifndef FERRY_JSONPARSE_H
#define FERRY_JSONPARSE_H

#include "common.h"

enum jv_type { JV_NULL, JV_BOOL, JV_NUMBER, JV_STRING, JV_ARRAY, JV_OBJECT };

struct jv {
  enum jv_type type;
  bool b;                       /* JV_BOOL */
  double n;                     /* JV_NUMBER */
  int64_t i;                    /* JV_NUMBER written as an integer (no '.', */
  bool is_int;                  /* no exponent) that fits int64: exact */
  char *s;                      /* JV_STRING: UTF-8, no NUL inside (owned) */
  struct jv *items;             /* JV_ARRAY elements or JV_OBJECT values */
  char **keys;                  /* JV_OBJECT keys, parallel to items */
  size_t nr;                    /* number of items (and keys) */
};

/* Parse a whole JSON document (RFC 8259) from text[0..len).  Strings
 * must be valid UTF-8 and may not contain \u0000; nesting is limited to
 * 64 levels.  An object keeps duplicate keys (jv_get finds the last).
 * Returns a new tree (free with jv_free) or NULL after error().
 */
extern struct jv *jv_parse (const char *text, size_t len, const char *label);

/* Parse the YAML subset used by clouds.yaml: block mappings and
 * sequences, plain, quoted and block (| >) scalars, one-line flow
 * collections, comments, an optional "---".  Every scalar becomes a
 * JV_STRING (see yaml_truthy); an empty value is JV_NULL, and so is an
 * empty document.  Duplicate keys: the last value wins (in the first
 * key's place).  Anchors, aliases, tags, directives, complex keys and
 * multiple documents are refused.
 */
extern struct jv *yaml_lite_parse (const char *text, size_t len,
                                   const char *label);

/* Interpret a YAML scalar as a boolean: true/false/yes/no/on/off in
 * any case.  Returns false (and leaves *out) for anything else.
 */
extern bool yaml_truthy (const char *s, bool *out);

/* Free a tree and its root.  NULL is fine. */
extern void jv_free (struct jv *v);

/* The value of the last 'key' member of object 'obj'; NULL if obj is
 * NULL or not an object, or has no such member.
 */
extern const struct jv *jv_get (const struct jv *obj, const char *key);
/* Follow a dotted path of object members ("token.catalog"); an empty
 * path is v itself.  NULL if any step is missing or not an object.
 */
extern const struct jv *jv_path (const struct jv *v, const char *path);
/* The member 'key' if it is a string, else NULL. */
extern const char *jv_str (const struct jv *obj, const char *key);
/* The member 'key' if it is an integer number (is_int): true and *out
 * set; otherwise false and *out untouched.
 */
extern bool jv_int (const struct jv *obj, const char *key, int64_t *out);
/* The member 'key' if it is true or false. */
extern bool jv_bool (const struct jv *obj, const char *key, bool *out);
/* "null", "boolean", "number", "string", "array", "object". */
extern const char *jv_type_name (enum jv_type t);

/* Building trees, for the two parsers.  jv_clear frees what v holds
 * and leaves it JV_NULL.  jv_push appends *item (and, to an object,
 * key) to container, taking both over: *item is left JV_NULL; on
 * failure (out of memory) both are freed and -1 is returned.
 */
extern void jv_clear (struct jv *v);
extern int jv_push (struct jv *container, char *key, struct jv *item);
/* Keep one member per key: the last value, in the first key's place.
 * -1 if out of memory (the object is unchanged).
 */
extern int jv_dedupe (struct jv *obj);
/* The value of the n hex digits at p (before end) into *out; -1 if
 * there are fewer.
 */
extern int hex_digits (const char *p, const char *end, int n, uint32_t *out);
/* The length of the valid UTF-8 sequence at p (1 to 4), or 0 if there
 * is none before end (overlong forms and surrogates are invalid).
 */
extern size_t utf8_seq_len (const char *p, const char *end);
/* Append the UTF-8 encoding of code point cp (not a surrogate). */
extern int utf8_put (struct sbuf *b, uint32_t cp);

#endif /* FERRY_JSONPARSE_H */
