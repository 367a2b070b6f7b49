/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: AWS Signature Version 4 (outputs/sigv4.c), on OpenSSL.
 *
 * Shared by the S3, EBS, EC2 and STS clients.  Nothing here prints:
 * keys, session tokens and signatures are secrets.
 */

#ifndef FERRY_SIGV4_H
#define FERRY_SIGV4_H

#include <time.h>

#include "common.h"

/* One set of AWS credentials (all strings owned; secret_key and
 * session_token are secrets).
 */
struct aws_creds {
  char *access_key;
  char *secret_key;
  char *session_token;          /* or NULL */
  time_t expiration;            /* 0: does not expire */
};

/* Frees c's strings, wiping the secrets first. */
extern void aws_creds_clear (struct aws_creds *c);
/* A deep copy of *from into *to.  0 or -1 after error(). */
extern int aws_creds_copy (struct aws_creds *to, const struct aws_creds *from);

/* Sign one request.
 *
 * url: the full URL as it will be sent (scheme, host[:port], path,
 *   query), its path and query already percent-encoded as on the wire.
 * headers: "Name: value" strings the request will carry,
 *   NULL-terminated, or NULL.  All of them are signed, plus Host (from
 *   the URL, with the port when it is not the scheme's default).
 * payload_hash: the lower-case hex SHA-256 of the body, or
 *   "UNSIGNED-PAYLOAD".
 * flags: SIGV4_S3 (the path is used as it is, not encoded again and
 *   not normalised, as S3 wants; other services encode it once more),
 *   SIGV4_CONTENT_SHA256 (add and sign X-Amz-Content-SHA256, which S3
 *   requires).
 * now: the signing time (UTC).
 *
 * Returns the headers to add, NULL-terminated and owned by the caller
 * (free with sigv4_free_headers): X-Amz-Date, X-Amz-Security-Token
 * (with a session token), X-Amz-Content-SHA256 (with the flag) and
 * Authorization.  NULL after error().
 */
#define SIGV4_S3             1u
#define SIGV4_CONTENT_SHA256 2u
extern char **sigv4_sign (const struct aws_creds *c, const char *region,
                          const char *service, const char *method,
                          const char *url, const char *const *headers,
                          const char *payload_hash, unsigned flags,
                          time_t now);
/* Wipes (the Authorization header is a secret) and frees. */
extern void sigv4_free_headers (char **h);

/* Hex SHA-256 of buf: 64 characters and a NUL into out. */
extern void sigv4_sha256_hex (const void *buf, size_t len, char out[65]);
/* Raw SHA-256 into out. */
extern void sigv4_sha256 (const void *buf, size_t len, unsigned char out[32]);
/* Base64 (standard alphabet, padded) of len bytes into out, which has
 * room for 4 * ((len + 2) / 3) + 1 bytes.  Returns out.
 */
extern char *sigv4_base64 (const unsigned char *in, size_t len, char *out);

/* Percent-encode s the way SigV4 wants (unreserved A-Z a-z 0-9 - _ . ~
 * kept, everything else %XX in upper case; '/' kept when keep_slash).
 * Owned, or NULL if out of memory.
 */
extern char *sigv4_uri_encode (const char *s, bool keep_slash);

#endif /* FERRY_SIGV4_H */
