/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: read untrusted XML (OVF descriptors, libvirt domain XML).
 *
 * No network access, no DTD loading, no entity substitution, and a
 * document with a DOCTYPE is refused as soon as the parser sees it,
 * before its internal subset is read.  libxml2's messages are captured
 * instead of going to stderr (the first error ends up in ours), and the
 * caller's structured error handler is put back afterwards.
 */

#include <config.h>

#include <ctype.h>
#include <limits.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "inputs.h"

#if LIBXML_VERSION >= 21200
#define XML_ERROR_ARG const xmlError *
#else
#define XML_ERROR_ARG xmlErrorPtr
#endif

/* What the callbacks learn during one xml_read_untrusted. */
struct reader {
  bool doctype;                 /* a DOCTYPE was seen */
  int err_line;                 /* first libxml2 error, 0 if none */
  char err_msg[160];
};

static void
on_xml_error (void *opaque, XML_ERROR_ARG err)
{
  struct reader *x = opaque;
  size_t n = 0;

  if (x == NULL || err == NULL || err->level < XML_ERR_ERROR ||
      x->err_line != 0)
    return;
  x->err_line = err->line > 0 ? err->line : 1;
  /* Keep the message printable: it may quote document content. */
  for (const char *p = err->message; p && *p && n < sizeof x->err_msg - 1; p++)
    x->err_msg[n++] = (*p >= 0x20 && *p <= 0x7e) ? *p : ' ';
  while (n > 0 && x->err_msg[n - 1] == ' ')
    n--;
  x->err_msg[n] = '\0';
}

static void
on_internal_subset (void *ctx, const xmlChar *name,
                    const xmlChar *external_id, const xmlChar *system_id)
{
  xmlParserCtxtPtr ctxt = ctx;
  struct reader *x = ctxt->_private;

  (void) name;
  (void) external_id;
  (void) system_id;
  x->doctype = true;
  xmlStopParser (ctxt);
}

xmlDocPtr
xml_read_untrusted (const char *xml, size_t len, const char *kind,
                    const char *label, const char *doctype_why)
{
  xmlStructuredErrorFunc old_handler = xmlStructuredError;
  void *old_context = xmlStructuredErrorContext;
  struct reader x = { .doctype = false };
  xmlParserCtxtPtr ctxt;
  xmlDocPtr doc;

  if (len > INT_MAX) {
    error ("parse %s \"%s\": document too large", kind, label);
    return NULL;
  }
  ctxt = xmlNewParserCtxt ();
  if (ctxt == NULL || ctxt->sax == NULL) {
    xmlFreeParserCtxt (ctxt);
    error ("parse %s \"%s\": cannot create an XML parser", kind, label);
    return NULL;
  }
  ctxt->_private = &x;
  ctxt->sax->internalSubset = on_internal_subset;
  xmlSetStructuredErrorFunc (&x, on_xml_error);
  doc = xmlCtxtReadMemory (ctxt, xml, (int) len, NULL, NULL,
                           XML_PARSE_NONET | XML_PARSE_NOERROR |
                           XML_PARSE_NOWARNING);
  xmlSetStructuredErrorFunc (old_context, old_handler);
  xmlFreeParserCtxt (ctxt);

  if (x.doctype || (doc && (doc->intSubset || doc->extSubset))) {
    xmlFreeDoc (doc);
    error ("parse %s \"%s\": document type declarations are not allowed%s%s%s",
           kind, label, doctype_why ? " (" : "",
           doctype_why ? doctype_why : "", doctype_why ? ")" : "");
    return NULL;
  }
  if (doc == NULL)
    error ("parse %s \"%s\": not well-formed XML (line %d)%s%s", kind, label,
           x.err_line ? x.err_line : 1, x.err_line ? ": " : "", x.err_msg);
  return doc;
}

const char *
xml_printable (const char *s)
{
  if (s == NULL)
    return "(none)";
  for (size_t n = 0; s[n]; n++)
    if ((unsigned char) s[n] < 0x20 || s[n] == 0x7f || s[n] == '"' || n >= 64)
      return "(unprintable)";
  return s;
}

int
xml_parse_dec (const char *s, uint64_t max, uint64_t *out)
{
  uint64_t n = 0;
  bool digits = false;

  if (s == NULL)
    return -1;
  while (isspace ((unsigned char) *s))
    s++;
  for (; *s >= '0' && *s <= '9'; s++) {
    if (n > (max - (*s - '0')) / 10)
      return -1;
    n = n * 10 + (*s - '0');
    digits = true;
  }
  while (isspace ((unsigned char) *s))
    s++;
  if (!digits || *s)
    return -1;
  *out = n;
  return 0;
}
