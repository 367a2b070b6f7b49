/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: the AWS clients shared by -o aws.
 *
 *   aws-creds.c   profiles, region, endpoints and the credential chain
 *   aws-call.c    one signed request, with AWS's retry rules and errors
 *   ebs.c         the EBS direct APIs (StartSnapshot, PutSnapshotBlock,
 *                 CompleteSnapshot)
 *   ec2.c         the EC2 query API (snapshots, images, import tasks)
 *   s3.c          S3 multipart upload
 *   aws.c         the output module that drives them
 *
 * Secrets (keys, session tokens, signatures, Authorization headers)
 * never reach a message, even with -v.
 */

#ifndef FERRY_AWS_H
#define FERRY_AWS_H

#include <pthread.h>

#include "http.h"
#include "sigv4.h"

enum aws_service { AWS_EBS, AWS_EC2, AWS_S3, AWS_STS, AWS_NR_SERVICES };
/* "ebs", "ec2", "s3", "sts": the signing name and the endpoint prefix. */
extern const char *aws_service_name (enum aws_service s);

/* ---------------------------------------------------------------- */
/* aws-creds.c */

/* Where the credentials come from, so that they can be fetched again
 * when they expire (private to aws-creds.c).
 */
struct aws_provider;

struct aws_config {
  char *profile;                /* the profile in use (owned) */
  char *region;                 /* (owned) */
  /* Base URL of each service, no trailing '/' (owned): from
   * AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile's
   * endpoint_url / services section, else https://SVC.REGION.amazonaws.com
   * (amazonaws.com.cn in cn-*).
   */
  char *endpoint[AWS_NR_SERVICES];
  char *ca_bundle;              /* AWS_CA_BUNDLE or ca_bundle, or NULL (owned) */
  char *source;                 /* where the credentials came from, for
                                   messages: "the environment", "profile
                                   \"x\" (~/.aws/credentials)", ... (owned) */
  struct http_opts http;        /* ca_bundle and timeouts set */

  /* private */
  pthread_mutex_t lock;
  struct aws_creds creds;       /* the current credentials (secret) */
  struct aws_provider *provider;
};

/* Resolve everything the way the AWS CLI does:
 *   profile: the argument (-oo profile=), else AWS_PROFILE, else
 *     AWS_DEFAULT_PROFILE, else "default";
 *   region: the argument, else AWS_REGION, AWS_DEFAULT_REGION, the
 *     profile's region, then IMDS (on EC2);
 *   credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY[/AWS_SESSION_TOKEN];
 *     else the profile (AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials,
 *     then AWS_CONFIG_FILE, ~/.aws/config): static keys, role_arn with
 *     source_profile or credential_source=Environment (STS AssumeRole),
 *     credential_process; else the container endpoint
 *     (AWS_CONTAINER_CREDENTIALS_FULL_URI / _RELATIVE_URI); else IMDSv2
 *     (AWS_EC2_METADATA_SERVICE_ENDPOINT, AWS_EC2_METADATA_DISABLED).
 * Nothing is sent to the services here except what the chain needs
 * (STS, IMDS, a credential_process).  0, or -1 after error() with a
 * message that says which source failed and how.
 */
extern int aws_config_load (struct aws_config *cfg, const char *profile,
                            const char *region);
/* A copy of the current credentials into *out (caller clears it),
 * fetched again first when they expire within 5 minutes.
 * Thread-safe.  0 or -1 after error().
 */
extern int aws_config_creds (struct aws_config *cfg, struct aws_creds *out);
extern void aws_config_free (struct aws_config *cfg);

/* ---------------------------------------------------------------- */
/* aws-call.c */

struct aws_call {
  enum aws_service service;
  const char *method;
  const char *path;             /* "/snapshots", "/" or "/bucket/key",
                                   encoded as on the wire */
  const char *query;            /* "a=1&b=2", encoded, or NULL */
  const char *const *headers;   /* "Name: value", NULL-terminated, or NULL */
  const void *body;
  size_t len;
  /* NULL: the SHA-256 of body is signed; else "UNSIGNED-PAYLOAD" or a
   * hex digest the caller computed.
   */
  const char *payload_hash;
  const char *what;             /* the operation, for messages:
                                   "StartSnapshot" */
  /* Also retry these AWS error codes (NULL-terminated, or NULL), e.g.
   * ResourceNotFoundException right after StartSnapshot; until
   * retry_for seconds have passed since the first attempt.
   */
  const char *const *retry_codes;
  double retry_for;
};

/* Sign (again for every attempt, with fresh credentials) and send.
 * Retries connection failures, timeouts, 5xx, and the throttling codes
 * (Throttling, ThrottlingException, RequestThrottledException,
 * RequestLimitExceeded, SlowDown, ...) with exponential backoff and
 * full jitter, at most 8 attempts; never AccessDenied or validation
 * errors.  Every attempt has a timeout.
 *
 * Returns the HTTP status (2xx) with *r filled in; or -1 after
 * error("OPERATION ...: AWS's code and message").  On -1, *err_code
 * (if err_code is not NULL) is the AWS error code (owned) or NULL.
 */
extern int aws_call (struct aws_config *cfg, const struct aws_call *c,
                     struct http_response *r, char **err_code);

/* The AWS error in a response: code and message (owned; NULL when
 * absent), from a JSON body ("__type", "code", "message"), an XML body
 * (<Error><Code>/<Message>, EC2's <Errors>, STS's <ErrorResponse>) or
 * the x-amzn-ErrorType header.  Sanitised for printing.
 */
extern void aws_error_parse (const struct http_response *r, char **code,
                             char **message);

/* The text of the first element named 'name' in an XML document, or
 * NULL (owned).  For the small responses of EC2, STS and S3.
 */
extern char *aws_xml_text (const char *xml, size_t len, const char *name);

#endif /* FERRY_AWS_H */
