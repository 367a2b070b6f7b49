/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: -io/-oo key=value module options. */

#include <config.h>

#include <errno.h>
#include <string.h>

#include "common.h"

int
kvlist_add (struct kvlist *l, const char *arg)
{
  const char *eq = strchr (arg, '=');
  struct kv *items = realloc (l->items, (l->len + 1) * sizeof *items);
  struct kv *kv;

  if (items == NULL)
    return -1;
  l->items = items;
  kv = &l->items[l->len];
  kv->key = eq ? strndup (arg, eq - arg) : strdup (arg);
  kv->value = eq ? strdup (eq + 1) : NULL;
  if (kv->key == NULL || (eq && kv->value == NULL)) {
    free (kv->key);
    free (kv->value);
    return -1;
  }
  l->len++;
  return 0;
}

void
kvlist_free (struct kvlist *l)
{
  for (size_t i = 0; i < l->len; i++) {
    free (l->items[i].key);
    free (l->items[i].value);
  }
  free (l->items);
  l->items = NULL;
  l->len = 0;
}

int
kvlist_check (const struct kvlist *l, const struct optdesc *descs,
              const char *what)
{
  for (size_t i = 0; i < l->len; i++) {
    const struct optdesc *d;

    for (d = descs; d && d->key; d++)
      if (strcmp (d->key, l->items[i].key) == 0)
        break;
    if (d == NULL || d->key == NULL) {
      error ("unknown option \"%s\" for %s (use '?' to list the keys)",
             l->items[i].key, what);
      return -1;
    }
    if (d->value && l->items[i].value == NULL) {
      error ("option \"%s\" of %s needs a value: %s=%s",
             d->key, what, d->key, d->value);
      return -1;
    }
    if (d->value == NULL && l->items[i].value != NULL) {
      error ("option \"%s\" of %s is a flag and takes no value",
             d->key, what);
      return -1;
    }
  }
  return 0;
}

const char *
kvlist_get (const struct kvlist *l, const char *key, bool *present)
{
  const char *v = NULL;
  bool found = false;

  for (size_t i = 0; i < l->len; i++)
    if (strcmp (l->items[i].key, key) == 0) {
      v = l->items[i].value;
      found = true;
    }
  if (present)
    *present = found;
  return v;
}

void
optdesc_print (FILE *fp, const struct optdesc *descs, const char *what)
{
  fprintf (fp, "options for %s:\n", what);
  if (descs == NULL || descs->key == NULL) {
    fprintf (fp, "  (none)\n");
    return;
  }
  for (const struct optdesc *d = descs; d->key; d++) {
    char left[64];
    if (d->value)
      snprintf (left, sizeof left, "%s=%s", d->key, d->value);
    else
      snprintf (left, sizeof left, "%s", d->key);
    fprintf (fp, "  %-26s %s\n", left, d->help);
  }
}

int
parse_size (const char *s, uint64_t *out)
{
  char *end;
  unsigned long long v;
  uint64_t mult = 1;

  errno = 0;
  if (s == NULL || *s == '\0' || *s == '-')
    return -1;
  v = strtoull (s, &end, 10);
  if (errno || end == s)
    return -1;
  switch (*end) {
  case '\0': break;
  case 'k': case 'K': mult = 1ULL << 10; end++; break;
  case 'm': case 'M': mult = 1ULL << 20; end++; break;
  case 'g': case 'G': mult = 1ULL << 30; end++; break;
  case 't': case 'T': mult = 1ULL << 40; end++; break;
  default: return -1;
  }
  if (*end == 'i' && mult > 1) end++;
  if (*end == 'B' || *end == 'b') end++;
  if (*end != '\0')
    return -1;
  if (v > UINT64_MAX / mult)
    return -1;
  *out = v * mult;
  return 0;
}
