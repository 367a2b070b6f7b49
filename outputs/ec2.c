/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: the EC2 query API (POST /, a form body, XML answers):
 * snapshots, images and the small requests around them.
 */

#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "aws.h"

#define EC2_VERSION "2016-11-15"

int
ec2_param (struct ec2_params *p, const char *name, const char *value)
{
  char **t = realloc (p->v, (p->n + 3) * sizeof *t);

  if (t == NULL)
    goto nomem;
  p->v = t;
  p->v[p->n] = strdup (name);
  p->v[p->n + 1] = strdup (value);
  p->v[p->n + 2] = NULL;
  if (p->v[p->n] == NULL || p->v[p->n + 1] == NULL) {
    free (p->v[p->n]);
    free (p->v[p->n + 1]);
    p->v[p->n] = NULL;
    goto nomem;
  }
  p->n += 2;
  return 0;
 nomem:
  error ("EC2 request: out of memory");
  return -1;
}

int
ec2_paramf (struct ec2_params *p, const char *name, const char *fs, ...)
{
  va_list ap;
  char *v;
  int r;

  va_start (ap, fs);
  r = vasprintf (&v, fs, ap);
  va_end (ap);
  if (r == -1) {
    error ("EC2 request: out of memory");
    return -1;
  }
  r = ec2_param (p, name, v);
  free (v);
  return r;
}

void
ec2_params_free (struct ec2_params *p)
{
  for (size_t i = 0; i < p->n; i++)
    free (p->v[i]);
  free (p->v);
  p->v = NULL;
  p->n = 0;
}

int
ec2_query (struct aws_config *cfg, const char *action,
           const struct ec2_params *p, bool once, struct http_response *r,
           char **err_code)
{
  return ec2_query_quiet (cfg, action, p, once, NULL, r, err_code);
}

int
ec2_query_quiet (struct aws_config *cfg, const char *action,
                 const struct ec2_params *p, bool once,
                 const char *const *quiet, struct http_response *r,
                 char **err_code)
{
  struct sbuf body = SBUF_INIT;
  CLEANUP_FREE char *b = NULL;
  const char *const h[] = {
    "Content-Type: application/x-www-form-urlencoded; charset=utf-8", NULL
  };
  bool ok = sbuf_printf (&body, "Action=%s&Version=%s", action, EC2_VERSION) == 0;

  for (size_t i = 0; ok && p && i + 1 < p->n; i += 2) {
    CLEANUP_FREE char *k = sigv4_uri_encode (p->v[i], false);
    CLEANUP_FREE char *v = sigv4_uri_encode (p->v[i + 1], false);
    ok = k && v && sbuf_printf (&body, "&%s=%s", k, v) == 0;
  }
  b = sbuf_take (&body);
  if (!ok || b == NULL) {
    sbuf_free (&body);
    error ("%s: out of memory", action);
    return -1;
  }
  {
    struct aws_call c = {
      .service = AWS_EC2, .method = "POST", .path = "/", .headers = h,
      .body = b, .len = strlen (b), .what = action, .once = once,
      .quiet_codes = quiet,
    };
    if (aws_call (cfg, &c, r, err_code) == -1)
      return -1;
  }
  return 0;
}

int
ec2_wait_snapshot (struct aws_config *cfg, const char *id, double timeout)
{
  struct ec2_params p = { 0 };
  double end = now_seconds () + timeout, pause = 0.5;
  int good = 0, ret = -1;
  char last[32] = "";

  if (ec2_param (&p, "SnapshotId.1", id) == -1)
    return -1;
  for (;;) {
    struct http_response r;
    CLEANUP_FREE char *state = NULL, *progress = NULL, *msg = NULL;

    if (ec2_query (cfg, "DescribeSnapshots", &p, false, &r, NULL) == -1)
      goto out;
    state = aws_xml_text (r.body, r.len, "status");
    progress = aws_xml_text (r.body, r.len, "progress");
    msg = aws_xml_text (r.body, r.len, "stateMessage");
    http_response_free (&r);
    if (state && strcmp (state, "completed") == 0) {
      if (++good == 3)
        break;
    }
    else if (state && strcmp (state, "error") == 0) {
      error ("snapshot %s: AWS says it failed%s%s", id, msg ? ": " : "",
             msg ? msg : "");
      goto out;
    }
    else
      good = 0;
    if (state && strcmp (state, last) != 0) {
      debug ("aws: %s is %s%s%s", id, state, progress ? " " : "",
             progress ? progress : "");
      snprintf (last, sizeof last, "%s", state);
    }
    if (now_seconds () > end) {
      error ("snapshot %s: still %s after %.0f s", id, state ? state : "unknown",
             timeout);
      goto out;
    }
    for (double t = now_seconds () + (good ? 0.5 : pause); now_seconds () < t; ) {
      if (interrupted ()) {
        error ("snapshot %s: interrupted while waiting for it", id);
        goto out;
      }
      usleep (50000);
    }
    pause = pause * 2 > 5 ? 5 : pause * 2;
  }
  ret = 0;
 out:
  ec2_params_free (&p);
  return ret;
}

/* One Action on one id: 0, or -1 after error(). */
static int
one (struct aws_config *cfg, const char *action, const char *key,
     const char *id)
{
  struct ec2_params p = { 0 };
  struct http_response r;
  int ret = -1;

  if (ec2_param (&p, key, id) == 0 &&
      ec2_query (cfg, action, &p, false, &r, NULL) == 0) {
    http_response_free (&r);
    ret = 0;
  }
  ec2_params_free (&p);
  return ret;
}

int
ec2_delete_snapshot (struct aws_config *cfg, const char *id)
{
  return one (cfg, "DeleteSnapshot", "SnapshotId", id);
}

int
ec2_deregister_image (struct aws_config *cfg, const char *id)
{
  return one (cfg, "DeregisterImage", "ImageId", id);
}

int
ec2_find_image (struct aws_config *cfg, const char *name, char **id)
{
  struct ec2_params p = { 0 };
  struct http_response r;
  int ret = -1;

  *id = NULL;
  if (ec2_param (&p, "Owner.1", "self") == 0 &&
      ec2_param (&p, "Filter.1.Name", "name") == 0 &&
      ec2_param (&p, "Filter.1.Value.1", name) == 0 &&
      ec2_query (cfg, "DescribeImages", &p, false, &r, NULL) == 0) {
    *id = aws_xml_text (r.body, r.len, "imageId");
    http_response_free (&r);
    ret = 0;
  }
  ec2_params_free (&p);
  return ret;
}

int
ec2_import_snapshot (struct aws_config *cfg, const char *bucket,
                     const char *key, const char *format, const char *role,
                     const char *description, char **task)
{
  struct ec2_params p = { 0 };
  struct http_response r;
  CLEANUP_FREE char *code = NULL;
  int ret = -1;

  *task = NULL;
  if (ec2_param (&p, "DiskContainer.Format", format) == -1 ||
      ec2_param (&p, "DiskContainer.UserBucket.S3Bucket", bucket) == -1 ||
      ec2_param (&p, "DiskContainer.UserBucket.S3Key", key) == -1 ||
      ec2_param (&p, "DiskContainer.Description", description) == -1 ||
      ec2_param (&p, "Description", description) == -1 ||
      ec2_param (&p, "RoleName", role) == -1)
    goto out;
  static const char *const quiet[] = { "InvalidParameter", NULL };
  if (ec2_query_quiet (cfg, "ImportSnapshot", &p, true, quiet, &r, &code) == -1) {
    /* AWS's own words are vague ("does not exist or does not have
     * sufficient permissions"): say what to create.  (Its other
     * InvalidParameter errors are about the role too.)
     */
    if (code && strcmp (code, "InvalidParameter") == 0)
      error ("ImportSnapshot: the service role \"%s\" is missing or cannot read "
             "s3://%s: create it (trusted by vmie.amazonaws.com with "
             "sts:ExternalId \"vmimport\"; allowed s3:GetBucketLocation, "
             "s3:GetObject, s3:ListBucket on the bucket and ec2:ModifySnapshotAttribute, "
             "ec2:CopySnapshot, ec2:RegisterImage, ec2:Describe*), or name "
             "another with -oo role-name=", role, bucket);
    goto out;
  }
  *task = aws_xml_text (r.body, r.len, "importTaskId");
  http_response_free (&r);
  if (*task == NULL) {
    error ("ImportSnapshot: the answer has no importTaskId");
    goto out;
  }
  ret = 0;
 out:
  ec2_params_free (&p);
  return ret;
}

int
ec2_wait_import (struct aws_config *cfg, const char *task, double timeout,
                 char **snap, bool *ended)
{
  struct ec2_params p = { 0 };
  double end = now_seconds () + timeout, pause = 1;
  char last[256] = "";
  int ret = -1;

  *snap = NULL;
  *ended = false;
  if (ec2_param (&p, "ImportTaskId.1", task) == -1)
    return -1;
  for (;;) {
    struct http_response r;
    CLEANUP_FREE char *status = NULL, *msg = NULL, *progress = NULL;
    char now[256];

    if (ec2_query (cfg, "DescribeImportSnapshotTasks", &p, false, &r, NULL) == -1)
      goto out;
    status = aws_xml_text (r.body, r.len, "status");
    msg = aws_xml_text (r.body, r.len, "statusMessage");
    progress = aws_xml_text (r.body, r.len, "progress");
    if (status && strcmp (status, "completed") == 0)
      *snap = aws_xml_text (r.body, r.len, "snapshotId");
    http_response_free (&r);
    if (status == NULL) {
      error ("DescribeImportSnapshotTasks: the task %s is not listed", task);
      goto out;
    }
    if (strcmp (status, "completed") == 0) {
      *ended = true;
      if (*snap == NULL) {
        error ("import %s: completed, but with no snapshot id", task);
        goto out;
      }
      break;
    }
    if (strcmp (status, "deleted") == 0 || strcmp (status, "deleting") == 0) {
      *ended = true;
      error ("import %s failed: %s", task, msg ? msg : status);
      goto out;
    }
    snprintf (now, sizeof now, "%s%s%s%s%s%%", status, msg ? ", " : "",
              msg ? msg : "", progress ? " " : "", progress ? progress : "");
    if (!progress)
      now[strlen (now) - 1] = '\0';
    if (strcmp (now, last) != 0) {
      info ("import %s: %s", task, now);
      snprintf (last, sizeof last, "%s", now);
    }
    if (now_seconds () > end) {
      error ("import %s: not done after %.0f s (%s)", task, timeout, now);
      goto out;
    }
    for (double t = now_seconds () + pause; now_seconds () < t; ) {
      if (interrupted ()) {
        error ("import %s: interrupted while waiting for it", task);
        goto out;
      }
      usleep (50000);
    }
    pause = pause * 2 > 15 ? 15 : pause * 2;
  }
  ret = 0;
 out:
  ec2_params_free (&p);
  return ret;
}

int
ec2_cancel_import (struct aws_config *cfg, const char *task)
{
  return one (cfg, "CancelImportTask", "ImportTaskId", task);
}
