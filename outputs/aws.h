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
#include <stdatomic.h>

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
  /* The request may not be repeated once it may have reached AWS
   * (RegisterImage): retried only on throttling and when nothing was
   * sent.
   */
  bool once;
  /* The URL up to the path instead of the service's endpoint (S3's
   * virtual-hosted bucket names), or NULL.
   */
  const char *base;
  /* Error codes the caller explains itself: for these, -1 is returned
   * with *err_code set and nothing said (NULL-terminated, or NULL).
   */
  const char *const *quiet_codes;
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

/* ---------------------------------------------------------------- */
/* ebs.c: one snapshot written through the EBS direct APIs. */

#define EBS_BLOCK_SIZE (512 * 1024)

struct ebs_snapshot {
  char *id;                     /* "snap-..." (owned), NULL before start */
  uint64_t gib;                 /* VolumeSize */
  uint64_t nr_blocks;
  unsigned char (*sums)[32];    /* SHA-256 of each block written (owned) */
  unsigned char *written;       /* 1 per block written (owned) */
  double started;               /* when StartSnapshot answered */
  atomic_uint_fast64_t changed; /* blocks written */
  atomic_uint_fast64_t sent;    /* bytes sent */
};

/* StartSnapshot of size bytes (rounded up to whole GiB).  tags:
 * "KEY=VALUE" strings or NULL.  0 or -1 after error().
 */
extern int ebs_start (struct aws_config *cfg, struct ebs_snapshot *s,
                      uint64_t size, const char *description,
                      char *const *tags);
/* PutSnapshotBlock of the block at offset (512 KiB aligned); len may
 * be short for the disk's last block (it is padded with zeroes).
 * Thread-safe for distinct blocks.  0 or -1 after error().
 */
extern int ebs_put_block (struct aws_config *cfg, struct ebs_snapshot *s,
                          uint64_t offset, const void *buf, size_t len);
/* CompleteSnapshot with the count and the LINEAR aggregate checksum. */
extern int ebs_complete (struct aws_config *cfg, struct ebs_snapshot *s);
extern void ebs_snapshot_free (struct ebs_snapshot *s);

/* ---------------------------------------------------------------- */
/* ec2.c: the EC2 query API. */

/* Parameters of a query: "Name" and value pairs, NULL-terminated
 * (values are encoded here).
 */
struct ec2_params {
  char **v;                     /* name, value, name, value, ..., NULL */
  size_t n;
};
extern int ec2_param (struct ec2_params *p, const char *name, const char *value);
extern int ec2_paramf (struct ec2_params *p, const char *name, const char *fs, ...)
  __attribute__ ((format (printf, 3, 4)));
extern void ec2_params_free (struct ec2_params *p);

/* Action with params (may be NULL); *r holds the XML answer.  once:
 * see aws_call.  0 or -1 after error(); *err_code as aws_call's.
 */
extern int ec2_query (struct aws_config *cfg, const char *action,
                      const struct ec2_params *p, bool once,
                      struct http_response *r, char **err_code);
/* The same, saying nothing for the error codes in quiet (see aws_call). */
extern int ec2_query_quiet (struct aws_config *cfg, const char *action,
                            const struct ec2_params *p, bool once,
                            const char *const *quiet,
                            struct http_response *r, char **err_code);
/* Wait until the snapshot is "completed" (3 answers in a row, as AWS's
 * eventual consistency wants), at most timeout seconds.
 */
extern int ec2_wait_snapshot (struct aws_config *cfg, const char *id,
                              double timeout);
extern int ec2_delete_snapshot (struct aws_config *cfg, const char *id);
extern int ec2_deregister_image (struct aws_config *cfg, const char *id);
/* The id of the image named name that this account owns (owned, in
 * *id), or *id NULL.  0 or -1 after error().
 */
extern int ec2_find_image (struct aws_config *cfg, const char *name, char **id);

/* ImportSnapshot of s3://bucket/key (format "VMDK", "VHD" or "RAW")
 * with the service role 'role'; the task id into *task (owned).
 * A missing or unusable role is said in one line.
 */
extern int ec2_import_snapshot (struct aws_config *cfg, const char *bucket,
                                const char *key, const char *format,
                                const char *role, const char *description,
                                char **task);
/* Poll the import task until it completes (its snapshot id into *snap,
 * owned), fails (its message) or timeout seconds pass.  Progress and
 * status messages are shown as they change.  *ended: the task is over
 * (completed or failed), so there is nothing to cancel.
 */
extern int ec2_wait_import (struct aws_config *cfg, const char *task,
                            double timeout, char **snap, bool *ended);
extern int ec2_cancel_import (struct aws_config *cfg, const char *task);

/* ---------------------------------------------------------------- */
/* s3.c: an object written by S3 multipart upload, as a stream. */

struct s3_part {
  char *etag;                   /* (owned) */
};

struct s3_upload {
  struct aws_config *cfg;
  char *bucket, *key;           /* (owned) */
  char *upload_id;              /* (owned) NULL before s3_upload_start */
  size_t part_size;
  /* Two buffers: one fills while the other is sent by a thread. */
  unsigned char *buf[2];
  size_t fill;                  /* bytes in buf[cur] */
  int cur;
  pthread_t thread;
  bool busy;                    /* the thread is sending buf[1 - cur] */
  int thread_result;
  size_t job_n, job_len;        /* the part the thread sends */
  const unsigned char *job_data;
  char **etags;                 /* per part, 1-based number = index + 1 */
  size_t nr_parts;
  uint64_t sent;                /* bytes sent */
  bool completed;
};

/* Is the bucket there and ours?  0 or -1 after error() saying which. */
extern int s3_check_bucket (struct aws_config *cfg, const char *bucket);
/* CreateMultipartUpload of bucket/key, with parts of part_size bytes
 * (at least 5 MiB).  0 or -1 after error().
 */
extern int s3_upload_start (struct s3_upload *u, struct aws_config *cfg,
                            const char *bucket, const char *key,
                            size_t part_size);
/* Append to the object (a vmdk_sink). */
extern int s3_upload_write (void *u, const void *buf, size_t len);
/* The last part, then CompleteMultipartUpload. */
extern int s3_upload_finish (struct s3_upload *u);
/* AbortMultipartUpload if it was started and not completed (after a
 * failure); then frees u.  Returns 0 or -1 when the abort failed.
 */
extern int s3_upload_abort (struct s3_upload *u);
extern void s3_upload_free (struct s3_upload *u);
/* DeleteObject.  0 or -1 after error(). */
extern int s3_delete (struct aws_config *cfg, const char *bucket,
                      const char *key);

#endif /* FERRY_AWS_H */
