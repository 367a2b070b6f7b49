/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: reading AWS's answers: the text of an XML element, and the
 * error code and message of a failed request (JSON, XML or a header).
 * The answers come from the network: bounded, no network access or
 * entities in the XML parser (make fuzz: outputs/fuzz-aws.c).
 */

#include <config.h>

#include <string.h>

#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "aws.h"

char *
aws_xml_text (const char *xml, size_t len, const char *name)
{
  xmlDocPtr doc;
  xmlNodePtr n, stack[64];
  size_t depth = 0;
  char *ret = NULL;

  if (xml == NULL || len == 0 || len > INT32_MAX)
    return NULL;
  doc = xmlReadMemory (xml, (int) len, "aws.xml", NULL,
                       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (doc == NULL)
    return NULL;
  /* Depth-first, in document order, bounded. */
  n = xmlDocGetRootElement (doc);
  while (n && ret == NULL) {
    if (n->type == XML_ELEMENT_NODE && strcmp ((const char *) n->name, name) == 0) {
      xmlChar *t = xmlNodeGetContent (n);
      if (t) {
        ret = strdup ((const char *) t);
        xmlFree (t);
      }
      break;
    }
    if (n->type == XML_ELEMENT_NODE && n->children && depth < 64) {
      stack[depth++] = n;
      n = n->children;
      continue;
    }
    while (n && n->next == NULL && depth > 0)
      n = stack[--depth];
    n = n ? n->next : NULL;
  }
  xmlFreeDoc (doc);
  return ret;
}

void
aws_error_parse (const struct http_response *r, char **code, char **message)
{
  const char *type = http_header (r, "x-amzn-errortype");
  char *c = NULL, *m = NULL;

  if (r->body && r->len > 0 && r->body[0] == '{') {
    json_t *j = json_loadb (r->body, r->len, JSON_REJECT_DUPLICATES, NULL);
    if (j) {
      const char *keys[] = { "__type", "code", "Code" };
      const char *mkeys[] = { "message", "Message", "errorMessage" };
      for (size_t i = 0; i < 3 && c == NULL; i++) {
        const char *v = json_string_value (json_object_get (j, keys[i]));
        if (v)
          c = strdup (v);
      }
      for (size_t i = 0; i < 3 && m == NULL; i++) {
        const char *v = json_string_value (json_object_get (j, mkeys[i]));
        if (v)
          m = strdup (v);
      }
      json_decref (j);
    }
  }
  else if (r->body && r->len > 0 && r->body[0] == '<') {
    c = aws_xml_text (r->body, r->len, "Code");
    m = aws_xml_text (r->body, r->len, "Message");
  }
  if (c == NULL && type)
    c = strndup (type, strcspn (type, ":"));
  /* "com.amazonaws.ebs#ValidationException" */
  if (c && strchr (c, '#'))
    memmove (c, strchr (c, '#') + 1, strlen (strchr (c, '#') + 1) + 1);
  *code = c && *c ? utf8_sanitise (c) : NULL;
  *message = m && *m ? utf8_sanitise (m) : NULL;
  free (c);
  free (m);
  if (*message && strlen (*message) > 400)
    strcpy (*message + 397, "...");
}
