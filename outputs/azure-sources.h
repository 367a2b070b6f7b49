/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: the Entra ID token sources (outputs/azure-sources.c), the
 * client certificate (azure-cert.c) and the parsers (azure-parse.c),
 * private to azure-creds.c (and its unit test and fuzzer).
 */

#ifndef FERRY_AZURE_SOURCES_H
#define FERRY_AZURE_SOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>

#include "azure.h"

enum az_kind {
  AZ_SECRET,                    /* AZURE_CLIENT_SECRET */
  AZ_CERT,                      /* AZURE_CLIENT_CERTIFICATE_PATH */
  AZ_WORKLOAD,                  /* AZURE_FEDERATED_TOKEN_FILE */
  AZ_APPSERVICE,                /* IDENTITY_ENDPOINT + IDENTITY_HEADER */
  AZ_IMDS,                      /* the instance metadata service */
  AZ_CLI,                       /* az account get-access-token */
};

struct az_provider {
  enum az_kind kind;
  char *client_id;              /* AZURE_CLIENT_ID or NULL (owned) */
  char *secret;                 /* AZURE_CLIENT_SECRET (owned, secret) */
  char *path;                   /* the certificate or the federated token
                                   file (owned) */
  EVP_PKEY *key;                /* the certificate's private key (RSA) */
  char x5t[32];                 /* base64url SHA-1 of the certificate's DER */
  char *endpoint;               /* IDENTITY_ENDPOINT, or IMDS's base URL
                                   without a trailing '/' (owned) */
  char *identity_header;        /* IDENTITY_HEADER (owned, secret) */
  char *az;                     /* the az CLI's path (owned) */
  char *ca_bundle;              /* REQUESTS_CA_BUNDLE / SSL_CERT_FILE (owned) */
};

struct az_token {
  char *token;                  /* (owned, secret) */
  time_t expires;
};

/* Fetch a token from cfg->provider.  probe: the chain is looking for a
 * source (az_config_load): an instance metadata service that is not
 * Azure's, or a VM without a managed identity, is then "not there".
 * 0 with *out, 1 (probe only: not there, nothing printed), or -1
 * after error("get an Azure token from SOURCE: ...").
 */
extern int azs_fetch (struct az_config *cfg, bool probe, struct az_token *out);
/* azure-cert.c */

/* Read the certificate and key of p->path (PEM holding both, or
 * PKCS#12) into p->key and p->x5t.  0 or -1 after error().
 */
extern int azs_load_cert (struct az_provider *p, const char *password);
/* The client assertion for cfg's token endpoint, signed with
 * cfg->provider->key, valid for 10 minutes from now (owned, secret),
 * or NULL.
 */
extern char *azs_assertion (struct az_config *cfg, time_t now);
/* "{authority}/{tenant}/oauth2/v2.0/token" (owned), or NULL. */
extern char *azs_token_url (const struct az_config *cfg);
/* Up to 1 MiB of path (owned, NUL-terminated, *len bytes; wipe it),
 * or NULL after error() naming the file and var, the variable that
 * gave it.
 */
extern char *azs_read_file (const char *path, const char *var, size_t *len);

/* azure-sources.c */
/* Does something accept TCP connections at the host and port of url
 * within 1 s?  Quiet.
 */
extern bool azs_reachable (const char *url);
/* The az CLI on PATH (owned), or NULL. */
extern char *azs_find_az (void);
extern void azs_token_clear (struct az_token *t);

/* azure-parse.c: what the sources answer (untrusted: the fuzzer's). */

/* A token document: access_token or accessToken; expires_on (epoch
 * seconds, a number or a string of digits), expires_in (seconds from
 * now, likewise) or expiresOn (the az CLI's local time "YYYY-MM-DD
 * HH:MM:SS.ffffff").  0 with *out, or -1 with *why (a constant, never
 * the document's text).
 */
extern int azs_token_parse (const char *text, size_t len, time_t now,
                            struct az_token *out, const char **why);
/* An error answer on one line (owned; NULL if out of memory):
 * "HTTP 401 invalid_client: AADSTS7000215: Invalid client secret ..."
 * from the JSON error and the first line of error_description (or
 * message), sanitised and cut to about 200 bytes; else http_describe.
 */
extern char *azs_error_text (const struct http_response *r);
/* "YYYY-MM-DD HH:MM:SS[.fraction]" in local time: 0 or -1. */
extern int azs_local_time (const char *s, time_t *out);
/* The first line of s with control characters dropped, cut to at most
 * max bytes (and "..."), valid UTF-8 (owned; NULL if out of memory).
 */
extern char *azs_clean_line (const char *s, size_t max);

#endif /* FERRY_AZURE_SOURCES_H */
