/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for what ferry reads from AWS and from the AWS
 * CLI's files: aws_xml_text and aws_error_parse on answers, and the
 * profile parser on a config file.  The first byte picks the reader.
 */

#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws.h"
#include "aws-profile.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *body;
  size_t len;

  if (size < 1)
    return 0;
  body = (const char *) data + 1;
  len = size - 1;
  switch (data[0] % 3) {
  case 0: {
    char *t = aws_xml_text (body, len, "Code");
    free (t);
    break;
  }
  case 1: {
    char *copy = malloc (len + 1);
    char *headers[] = { (char *) "x-amzn-errortype: ValidationException:http://x", NULL };
    struct http_response r = { .status = 400, .body = copy, .len = len, .headers = headers };
    char *code = NULL, *msg = NULL;
    if (copy == NULL)
      return 0;
    memcpy (copy, body, len);
    copy[len] = '\0';
    aws_error_parse (&r, &code, &msg);
    free (code);
    free (msg);
    free (copy);
    break;
  }
  default: {
    char path[] = "/tmp/fuzz-aws-XXXXXX";
    int fd = mkstemp (path);
    struct aws_ini ini = { 0 };
    if (fd == -1)
      return 0;
    if (write (fd, body, len) == (ssize_t) len &&
        aws_ini_read (path, "config", &ini) == 0) {
      aws_ini_get (&ini, "default", "region", NULL);
      aws_ini_get (&ini, "services s", "s3", "endpoint_url");
      aws_ini_get (&ini, "profile x", "credential_process", NULL);
      aws_ini_has_section (&ini, "services s");
      aws_ini_free (&ini);
    }
    close (fd);
    unlink (path);
  }
  }
  return 0;
}
