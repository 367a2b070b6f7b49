/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: the Azure clients shared by -o azure.
 *
 *   azure-creds.c      Entra ID tokens: client secret or certificate,
 *                      workload identity, managed identity, the az CLI
 *   azure-sharedkey.c  Blob storage authorisation: SharedKey (HMAC-SHA256),
 *                      SAS, connection strings; SAS redaction
 *   azblob.c           page blobs: create, Put Page, Get Page Ranges,
 *                      ranged reads, delete
 *   vhd.c              the fixed VHD footer
 *   arm.c              Azure Resource Manager: requests, long-running
 *                      operations, disks, images
 *   azure.c            the output module that drives them
 *
 * Secrets (client secrets, tokens, account keys, SAS signatures) never
 * reach a message, even with -v; a SAS URL is shown with sig= redacted.
 */

#ifndef FERRY_AZURE_H
#define FERRY_AZURE_H

#include <pthread.h>
#include <time.h>

#include <jansson.h>

#include "outputs.h"

/* ---------------------------------------------------------------- */
/* azure-creds.c */

struct az_provider;             /* private: where tokens come from */

struct az_config {
  char *authority;              /* AZURE_AUTHORITY_HOST or
                                   https://login.microsoftonline.com,
                                   no trailing '/' (owned) */
  char *arm;                    /* -oo arm-endpoint=, AZURE_ARM_ENDPOINT or
                                   https://management.azure.com (owned) */
  char *tenant;                 /* AZURE_TENANT_ID or NULL (owned) */
  char *source;                 /* where tokens come from, for messages:
                                   "client secret of AZURE_CLIENT_ID ...",
                                   "managed identity", "the az CLI" (owned) */
  struct http_opts http;        /* timeouts set; cacert from
                                   REQUESTS_CA_BUNDLE / SSL_CERT_FILE if set */

  /* private */
  pthread_mutex_t lock;
  char *token;                  /* current ARM access token (secret) */
  time_t expires;
  struct az_provider *provider;
};

/* Find a token source, in this order: AZURE_CLIENT_ID with
 * AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH (+ AZURE_TENANT_ID);
 * AZURE_FEDERATED_TOKEN_FILE (workload identity); managed identity
 * (IDENTITY_ENDPOINT + IDENTITY_HEADER, else IMDS at
 * AZURE_IMDS_ENDPOINT or http://169.254.169.254, quickly given up off
 * Azure); the az CLI ("az account get-access-token").  arm_endpoint:
 * -oo arm-endpoint= or NULL.  The first token is fetched here, so a
 * wrong secret fails now.  0 or -1 after error() naming the source.
 */
extern int az_config_load (struct az_config *cfg, const char *arm_endpoint);
/* "Authorization: Bearer TOKEN" for ARM (owned, secret; free with
 * az_free_secret), fetched again when it expires within 5 minutes, or
 * at once when force (a 401 said it expired).  Thread-safe.  NULL after
 * error().
 */
extern char *az_auth_header (struct az_config *cfg, bool force);
extern void az_free_secret (char *s);
extern void az_config_free (struct az_config *cfg);

/* ---------------------------------------------------------------- */
/* azure-sharedkey.c */

enum az_auth_kind { AZ_AUTH_SHAREDKEY, AZ_AUTH_SAS };

struct az_blob_auth {
  enum az_auth_kind kind;
  char *account;                /* (owned) */
  unsigned char *key;           /* SharedKey: the decoded account key
                                   (owned, secret) */
  size_t key_len;
  char *sas;                    /* SAS: the query string, no '?' (owned,
                                   secret) */
  char *endpoint;               /* https://ACCOUNT.blob.core.windows.net or
                                   the connection string's BlobEndpoint,
                                   no trailing '/' (owned) */
};

/* From a connection string ("DefaultEndpointsProtocol=...;AccountName=
 * ...;AccountKey=...;BlobEndpoint=...;SharedAccessSignature=...").
 * 0 or -1 after error() (never quoting the string).
 */
extern int az_auth_from_connection_string (struct az_blob_auth *a,
                                           const char *cs);
/* From an account name and a Base64 key (endpoint NULL: the public
 * one).  0 or -1 after error().
 */
extern int az_auth_from_key (struct az_blob_auth *a, const char *account,
                             const char *key_b64, const char *endpoint);
/* From a blob or container URL with a SAS query: *a holds the SAS and
 * *base the URL without its query (owned).  0 or -1 after error().
 */
extern int az_auth_from_sas_url (struct az_blob_auth *a, const char *url,
                                 char **base);
extern void az_auth_clear (struct az_blob_auth *a);

/* The headers that authorise one Blob request (x-ms-date, x-ms-version,
 * and for SharedKey the Authorization header over the canonicalised
 * headers and resource), NULL-terminated, owned, secret: free with
 * sigv4_free_headers-like az_free_headers.  headers: the request's own
 * "Name: value" strings (x-ms-* and the standard ones are signed);
 * content_length: the body's.  For SAS nothing is signed and the
 * caller adds the query (az_sas_url).  NULL after error().
 */
extern char **az_blob_sign (const struct az_blob_auth *a, const char *method,
                            const char *url, const char *const *headers,
                            uint64_t content_length, time_t now);
extern void az_free_headers (char **h);
/* url with the SAS appended (owned, secret), or a copy of url. */
extern char *az_sas_url (const struct az_blob_auth *a, const char *url);
/* url with the value of sig= (and any other signature) replaced by
 * "REDACTED", for messages (owned), or NULL if out of memory.
 */
extern char *az_redact_url (const char *url);

/* ---------------------------------------------------------------- */
/* azblob.c: one page blob. */

struct az_range {
  uint64_t start, end;          /* [start, end), 512-aligned */
};

struct az_blob {
  const struct az_blob_auth *auth;
  const struct http_opts *http;
  char *url;                    /* https://.../container/blob, no query (owned) */
  bool managed_disk;            /* a managed disk's SAS: never Put Blob */
};

/* Put Blob of an empty page blob of size bytes (a multiple of 512). */
extern int azblob_create (struct az_blob *b, uint64_t size);
/* Put Page: len <= 4 MiB, offset and len multiples of 512.  Retried on
 * 429/5xx and lost connections.  Thread-safe.  0 or -1 after error().
 */
extern int azblob_put_page (struct az_blob *b, uint64_t offset,
                            const void *buf, size_t len);
/* Put Page with x-ms-page-write: clear (the range reads as zeros and
 * holds no data any more).  Same rules as azblob_put_page.
 */
extern int azblob_clear_pages (struct az_blob *b, uint64_t offset,
                               uint64_t len);
/* Get Page Ranges: the ranges that hold data, in order (owned array),
 * following NextMarker.  0 or -1 after error().
 */
extern int azblob_page_ranges (struct az_blob *b, struct az_range **v,
                               size_t *n);
/* One Get Page Ranges answer (untrusted XML) appended to *v (*n
 * entries, allocated to at least *n); *next: its NextMarker (owned) or
 * NULL.  0, or -1 when it is not a valid page list (no error()).  For
 * the fuzzer too.
 */
extern int azblob_parse_ranges (const char *xml, size_t len,
                                struct az_range **v, size_t *n, char **next);
/* Read [offset, offset+len) (len <= 4 MiB) into buf. */
extern int azblob_read (struct az_blob *b, uint64_t offset, void *buf,
                        size_t len);
/* The blob's size (Content-Length of Get Blob Properties): 0, 1 when
 * there is no such blob, or -1 after error().
 */
extern int azblob_size (struct az_blob *b, uint64_t *size);
/* Delete Blob; a blob already gone is success. */
extern int azblob_delete (struct az_blob *b);

/* ---------------------------------------------------------------- */
/* vhd.c */

/* The 512-byte footer of a fixed VHD whose data is size bytes (a
 * multiple of 512): "conectix" cookie, CHS geometry as the VHD spec
 * computes it, the checksum, a random UUID.
 */
extern void vhd_fixed_footer (uint64_t size, unsigned char out[512]);
/* Is footer a valid fixed-VHD footer for size bytes?  (Tests, resume.) */
extern bool vhd_footer_valid (const unsigned char footer[512], uint64_t size);

/* ---------------------------------------------------------------- */
/* arm.c: Azure Resource Manager. */


/* API versions ferry speaks. */
#define ARM_API_GROUPS  "2021-04-01"   /* resourceGroups */
#define ARM_API_COMPUTE "2023-04-02"   /* disks */
#define ARM_API_IMAGES  "2023-03-01"   /* images */

enum {
  ARM_ABSENT_OK = 1,            /* 404 (and 204 for DELETE) is an answer:
                                   arm_request returns 404, no error */
  ARM_NO_WAIT = 2,              /* do not follow a long-running operation */
};

/* One ARM request: METHOD cfg->arm + path + "?api-version=" + api, with
 * the bearer token (renewed once on a 401 that says the token expired
 * or is invalid), JSON body (borrowed, or NULL).  429 and 5xx are
 * retried by http.c (Retry-After honoured).  A 201/202 answer with
 * Azure-AsyncOperation (or, failing that, Location) is polled until
 * the operation ends, honouring Retry-After (at most 1 hour); "Failed"
 * or "Canceled" is an error with the operation's code and message.
 * what: the operation for messages ("create disk \"db01\"").
 *
 * *out (may be NULL): the final document (new reference, or NULL when
 * there is none): the resource for PUT and GET, the operation's output
 * for POST ("accessSAS" of beginGetAccess).  Returns the HTTP status of
 * the first answer (200, 201, 202, 204; 404 with ARM_ABSENT_OK), or -1
 * after error() "WHAT: HTTP 409 Code: message".
 */
extern int arm_request (struct az_config *cfg, const char *method,
                        const char *path, const char *api, json_t *body,
                        const char *what, unsigned flags, json_t **out);

/* "/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.Compute/
 * KIND/NAME" (owned), with every part percent-encoded, or NULL if out
 * of memory.  kind: "disks", "images".
 */
extern char *arm_compute_path (const char *sub, const char *rg,
                               const char *kind, const char *name);
/* The string at a '/'-separated path of keys in j ("properties/
 * diskState"), or NULL.  Borrowed from j.
 */
extern const char *arm_json_str (json_t *j, const char *path);

/* ---------------------------------------------------------------- */
/* azure.c and azure-disk.c: the -o azure module's state. */

#define MIB (UINT64_C(1) << 20)
#define PAGE_MAX (4u << 20)     /* the largest Put Page */

struct azure_output;

struct az_disk {
  struct azure_output *a;
  size_t idx;
  uint64_t vsize;               /* the guest's virtual size */
  uint64_t vhd_size;            /* vsize rounded up to a MiB: the footer's place */
  char *name;                   /* the disk's, or the blob's (owned) */
  char *path;                   /* method=disk: its ARM path (owned) */
  struct az_blob_auth sas;      /* method=disk: the write SAS */
  struct az_blob blob;
  bool created;                 /* this run created the disk or blob */
  bool access;                  /* write access open (beginGetAccess) */
  bool uploaded;                /* the footer is written */
  struct az_range *held;        /* resume: what the service holds (owned) */
  size_t nr_held;
  const struct copy_map *map;
  unsigned char **wbuf;         /* per worker, PAGE_MAX bytes (owned) */
  unsigned workers;
  atomic_uint_fast64_t pages, bytes, same, cleared;
};

struct azure_output {
  struct output base;
  struct az_config cfg;
  bool cfg_loaded;
  bool blob_method;
  bool arm;                     /* ARM is used (disk method, or blob import) */
  bool resume;
  char *sub;
  const char *rg, *sku, *hvgen, *disk_name;
  char *location;               /* (owned) */
  char *image;                  /* the image's name, NULL for none (owned) */
  char *image_path;             /* once created (owned) */
  char **tags;                  /* "KEY=VAL" (owned) */
  unsigned workers;
  enum firmware firmware;
  const char *os_type;          /* "Linux", "Windows" */
  /* method=blob */
  struct az_blob_auth bauth;
  bool bauth_set;
  struct http_opts bhttp;       /* the blob requests' settings */
  char *container_url;          /* no query (owned) */
  char *storage_id;             /* (owned) */
  struct az_disk *disks;
  size_t nr_disks;
  bool done;
};

/* azure.c */
extern json_t *az_tags_json (struct azure_output *a);   /* new reference or NULL */
extern const char *az_generation (const struct azure_output *a);  /* "V1", "V2" */
/* azure-disk.c: the output_ops' disk_begin and disk_end. */
extern int az_disk_begin (struct output *o, size_t i, const struct source_disk *sd,
                          const struct copy_map *map, struct copy_dest *dest);
extern int az_disk_end (struct output *o, size_t i, struct copy_dest *dest);
/* endGetAccess of d; 0 or -1 after error(). */
extern int az_end_access (struct azure_output *a, struct az_disk *d);
/* method=blob with ARM: each blob imported as a managed disk. */
extern int az_import_blobs (struct azure_output *a);

#endif /* FERRY_AZURE_H */
