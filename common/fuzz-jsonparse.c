/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for the JSON parser (common/jsonparse.c) and the
 * YAML subset parser (common/yamllite.c).  The first byte chooses: even
 * for JSON, odd for YAML; the rest is the document.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -Icommon \
 *     common/fuzz-jsonparse.c common/jsonparse.c common/yamllite.c \
 *     common/log.c common/sbuf.c common/util.c common/options.c \
 *     common/command.c common/nbdserver.c \
 *     $(pkg-config --libs libnbd openssl) -o fuzz-jsonparse
 *   ./fuzz-jsonparse -close_fd_mask=2 \
 *     -dict=common/fuzz-seeds/jsonparse.dict CORPUS_DIR \
 *     common/fuzz-seeds/jsonparse
 *
 * Besides memory errors it checks the parsers' promises: strings are
 * valid UTF-8 without NUL, objects have keys, integers agree with their
 * double, YAML gives only strings, nulls and containers with unique
 * keys, and any tree written back as JSON parses to the same tree.
 */

#include <config.h>

#include <inttypes.h>
#include <string.h>

#include "jsonparse.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check (const struct jv *v, bool yaml, int depth)
{
  if (depth > 64 + 1)
    abort ();
  switch (v->type) {
  case JV_NULL:
    break;
  case JV_BOOL:
  case JV_NUMBER:
    if (yaml)
      abort ();
    if (v->type == JV_NUMBER && v->is_int && (double) v->i != v->n)
      abort ();
    break;
  case JV_STRING: {
    const char *p = v->s, *end = p + strlen (p);
    for (size_t n; p < end; p += n)
      if ((n = utf8_seq_len (p, end)) == 0)
        abort ();
    break;
  }
  case JV_ARRAY:
  case JV_OBJECT:
    if (v->nr > 0 && v->items == NULL)
      abort ();
    if (v->type == JV_OBJECT && v->nr > 0 && v->keys == NULL)
      abort ();
    for (size_t i = 0; i < v->nr; i++) {
      if (v->type == JV_OBJECT) {
        if (v->keys[i] == NULL)
          abort ();
        for (size_t k = 0; yaml && k < i && k < 64; k++)
          if (strcmp (v->keys[k], v->keys[i]) == 0)
            abort ();           /* YAML keeps one value per key */
        if (jv_get (v, v->keys[i]) == NULL)
          abort ();
      }
      check (&v->items[i], yaml, depth + 1);
    }
    break;
  default:
    abort ();
  }
}

static void
write_json (struct sbuf *b, const struct jv *v)
{
  switch (v->type) {
  case JV_NULL: sbuf_puts (b, "null"); break;
  case JV_BOOL: sbuf_puts (b, v->b ? "true" : "false"); break;
  case JV_NUMBER:
    if (v->is_int)
      sbuf_printf (b, "%" PRIi64, v->i);
    else
      sbuf_printf (b, "%.17g", v->n);
    break;
  case JV_STRING:
    sbuf_puts (b, "\"");
    json_escape (b, v->s);
    sbuf_puts (b, "\"");
    break;
  case JV_ARRAY:
  case JV_OBJECT:
    sbuf_puts (b, v->type == JV_ARRAY ? "[" : "{");
    for (size_t i = 0; i < v->nr; i++) {
      if (i > 0)
        sbuf_puts (b, ",");
      if (v->type == JV_OBJECT) {
        sbuf_puts (b, "\"");
        json_escape (b, v->keys[i]);
        sbuf_puts (b, "\":");
      }
      write_json (b, &v->items[i]);
    }
    sbuf_puts (b, v->type == JV_ARRAY ? "]" : "}");
    break;
  }
}

static bool
same (const struct jv *a, const struct jv *b)
{
  if (a->type != b->type || a->nr != b->nr)
    return false;
  switch (a->type) {
  case JV_NULL: return true;
  case JV_BOOL: return a->b == b->b;
  case JV_NUMBER:
    return a->n == b->n && (!a->is_int || (b->is_int && a->i == b->i));
  case JV_STRING: return strcmp (a->s, b->s) == 0;
  case JV_ARRAY:
  case JV_OBJECT:
    for (size_t i = 0; i < a->nr; i++)
      if ((a->type == JV_OBJECT && strcmp (a->keys[i], b->keys[i]) != 0) ||
          !same (&a->items[i], &b->items[i]))
        return false;
    return true;
  }
  return false;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  bool yaml;
  struct jv *v, *w;
  struct sbuf b = SBUF_INIT;

  if (size == 0)
    return 0;
  yaml = data[0] & 1;
  v = yaml ? yaml_lite_parse ((const char *) data + 1, size - 1, "fuzz.yaml")
    : jv_parse ((const char *) data + 1, size - 1, "fuzz.json");
  if (v == NULL) {
    if (last_error () == NULL)
      abort ();
    return 0;
  }
  check (v, yaml, 0);

  /* Written back as JSON, the tree reads the same. */
  write_json (&b, v);
  if (b.s == NULL)
    abort ();
  w = jv_parse (b.s, b.len, "round trip");
  if (w == NULL || !same (v, w))
    abort ();
  sbuf_free (&b);
  jv_free (w);
  jv_free (v);
  return 0;
}
