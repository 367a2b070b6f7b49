/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: a bounded reader of ~/.aws/config and ~/.aws/credentials.
 *
 * The format is INI-like, but the AWS CLI also has nested, indented
 * sub-sections under a key with an empty value:
 *
 *   [services my-endpoints]
 *   ebs =
 *     endpoint_url = http://localhost:4566
 *
 * which generic INI libraries (and Python's configparser without the
 * CLI's own post-processing) do not read, hence this small parser of
 * our own.  Full-line comments start with '#' or ';'; keys are read in
 * lower case; keys, values and section names are trimmed.  The file is
 * at most 1 MiB.
 */

#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "common.h"
#include "aws-profile.h"

#define AWS_INI_MAX (1024 * 1024)

static char *
trim (char *s)
{
  char *e;

  while (*s == ' ' || *s == '\t')
    s++;
  e = s + strlen (s);
  while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
    *--e = '\0';
  return s;
}

static void
lower (char *s)
{
  for (; *s; s++)
    *s = tolower ((unsigned char) *s);
}

/* "profile   x" → "profile x": the words of a header, one space apart. */
static char *
section_name (const char *s)
{
  struct sbuf b = SBUF_INIT;
  bool space = false;

  for (; *s; s++) {
    if (*s == ' ' || *s == '\t') {
      space = true;
      continue;
    }
    if (space && b.len)
      sbuf_add (&b, " ", 1);
    space = false;
    sbuf_add (&b, s, 1);
  }
  return b.s ? sbuf_take (&b) : strdup ("");
}

static int
add_kv (struct aws_ini *ini, const char *section, const char *key,
        const char *sub, const char *value)
{
  struct aws_ini_kv *n = realloc (ini->kv, (ini->len + 1) * sizeof *n);

  if (n == NULL)
    return -1;
  ini->kv = n;
  n = &ini->kv[ini->len];
  n->section = strdup (section);
  n->key = strdup (key);
  n->sub = sub ? strdup (sub) : NULL;
  n->value = strdup (value);
  ini->len++;
  if (!n->section || !n->key || (sub && !n->sub) || !n->value)
    return -1;
  lower (n->key);
  if (n->sub)
    lower (n->sub);
  return 0;
}

static int read_ini (const char *path, const char *label, struct aws_ini *ini);

int
aws_ini_read (const char *path, const char *label, struct aws_ini *ini)
{
  /* A file that fails half-way leaves nothing behind. */
  if (read_ini (path, label, ini) == -1) {
    aws_ini_free (ini);
    return -1;
  }
  return 0;
}

static int
read_ini (const char *path, const char *label, struct aws_ini *ini)
{
  CLEANUP_FCLOSE FILE *fp = fopen (path, "re");
  CLEANUP_FREE char *text = NULL;
  CLEANUP_FREE char *section = NULL;
  CLEANUP_FREE char *parent = NULL;  /* key with an empty value, or NULL */
  bool parent_empty = false;
  struct stat st;
  size_t len;
  int lineno = 0;
  char *p;

  if (fp == NULL) {
    if (errno == ENOENT || errno == ENOTDIR)
      return 0;
    error ("read \"%s\": %m", label);
    return -1;
  }
  if (fstat (fileno (fp), &st) == 0 && !S_ISREG (st.st_mode)) {
    error ("read \"%s\": not a regular file", label);
    return -1;
  }
  text = malloc (AWS_INI_MAX + 1);
  if (text == NULL) {
    error ("read \"%s\": %m", label);
    return -1;
  }
  len = fread (text, 1, AWS_INI_MAX + 1, fp);
  if (ferror (fp)) {
    error ("read \"%s\": %m", label);
    return -1;
  }
  if (len > AWS_INI_MAX) {
    error ("read \"%s\": larger than 1 MiB", label);
    return -1;
  }
  text[len] = '\0';
  if (memchr (text, '\0', len)) {
    error ("read \"%s\": not a text file (it has NUL bytes)", label);
    return -1;
  }

  for (p = text; p && *p; ) {
    char *nl = strchr (p, '\n'), *line, *eq;
    bool indented = *p == ' ' || *p == '\t';

    if (nl)
      *nl = '\0';
    lineno++;
    line = trim (p);
    p = nl ? nl + 1 : NULL;

    if (*line == '\0' || *line == '#' || *line == ';')
      continue;
    if (*line == '[' && !indented) {
      char *end = strrchr (line, ']');
      if (end == NULL || end[1] != '\0') {
        error ("read \"%s\": line %d: a section header without its ']'",
               label, lineno);
        return -1;
      }
      *end = '\0';
      free (section);
      section = section_name (line + 1);
      free (parent);
      parent = NULL;
      if (section == NULL || string_list_push (&ini->sections, section) == -1)
        goto nomem;
      continue;
    }
    eq = strchr (line, '=');
    if (eq == NULL) {
      error ("read \"%s\": line %d: expected \"key = value\"", label, lineno);
      return -1;
    }
    if (section == NULL) {
      error ("read \"%s\": line %d: a key before the first [section]",
             label, lineno);
      return -1;
    }
    *eq = '\0';
    {
      char *key = trim (line), *value = trim (eq + 1);

      if (*key == '\0') {
        error ("read \"%s\": line %d: a value without a key", label, lineno);
        return -1;
      }
      if (indented && parent && parent_empty) {
        /* A key of the nested section under 'parent'. */
        if (add_kv (ini, section, parent, key, value) == -1)
          goto nomem;
        continue;
      }
      if (indented && parent) {
        /* The CLI reads this as a continuation of the value; none of
         * the keys ferry reads has one.
         */
        error ("read \"%s\": line %d: an indented line under a key that "
               "has a value", label, lineno);
        return -1;
      }
      if (add_kv (ini, section, key, NULL, value) == -1)
        goto nomem;
      free (parent);
      parent = strdup (key);
      if (parent == NULL)
        goto nomem;
      parent_empty = *value == '\0';
    }
  }
  explicit_bzero (text, len);
  return 0;

 nomem:
  explicit_bzero (text, len);
  error ("read \"%s\": %m", label);
  return -1;
}

const char *
aws_ini_get (const struct aws_ini *ini, const char *section, const char *key,
             const char *sub)
{
  const char *v = NULL;

  /* The last one wins, as in the CLI. */
  for (size_t i = 0; i < ini->len; i++) {
    const struct aws_ini_kv *kv = &ini->kv[i];
    if (strcmp (kv->section, section) == 0 && strcasecmp (kv->key, key) == 0 &&
        (sub ? kv->sub && strcasecmp (kv->sub, sub) == 0 : kv->sub == NULL))
      v = kv->value;
  }
  return v;
}

bool
aws_ini_has_section (const struct aws_ini *ini, const char *section)
{
  for (size_t i = 0; ini->sections && ini->sections[i]; i++)
    if (strcmp (ini->sections[i], section) == 0)
      return true;
  return false;
}

void
aws_ini_free (struct aws_ini *ini)
{
  for (size_t i = 0; i < ini->len; i++) {
    struct aws_ini_kv *kv = &ini->kv[i];
    if (kv->value)
      explicit_bzero (kv->value, strlen (kv->value));
    free (kv->section);
    free (kv->key);
    free (kv->sub);
    free (kv->value);
  }
  free (ini->kv);
  free_string_list (ini->sections);
  ini->kv = NULL;
  ini->sections = NULL;
  ini->len = 0;
}
