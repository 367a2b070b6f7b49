/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: the AWS shared config and credentials files
 * (outputs/aws-profile.c) and the other credential sources
 * (outputs/aws-sources.c), private to aws-creds.c.
 */

#ifndef FERRY_AWS_PROFILE_H
#define FERRY_AWS_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct aws_ini_kv {
  char *section;                /* "default", "profile x", "services y" */
  char *key;                    /* lower case */
  char *sub;                    /* a nested key (lower case), or NULL */
  char *value;                  /* trimmed (may hold secrets) */
};

struct aws_ini {
  struct aws_ini_kv *kv;
  size_t len;
  char **sections;              /* every section header seen */
};

/* Read path into *ini (zeroed by the caller).  A missing file is
 * empty, not an error.  label names the file in messages.  0 or -1
 * after error("read \"LABEL\": line N: ...").
 */
extern int aws_ini_read (const char *path, const char *label,
                         struct aws_ini *ini);
/* The value of key (sub NULL: the key itself) in section, or NULL. */
extern const char *aws_ini_get (const struct aws_ini *ini, const char *section,
                                const char *key, const char *sub);
extern bool aws_ini_has_section (const struct aws_ini *ini,
                                 const char *section);
/* Wipes the values (they may be keys) and frees. */
extern void aws_ini_free (struct aws_ini *ini);

/* outputs/aws-sources.c: the sources outside the files.  The creds
 * functions return 1 with *out, 0 when the source has none (not
 * configured, not on EC2), or -1 after error().
 */
struct aws_creds;
/* RFC 3339 to time_t: 0 or -1. */
extern int awsc_parse_time (const char *s, time_t *out);
/* Run credential_process cmdline of profile: 0 with *out or -1. */
extern int awsc_process_creds (const char *profile, const char *cmdline,
                               struct aws_creds *out);
extern int awsc_container_creds (const char *cacert, struct aws_creds *out);
extern int awsc_imds_creds (struct aws_creds *out);
/* An IMDSv2 GET of path (owned body) or NULL; *tried: IMDS answered
 * (else it is disabled or not there, and nothing was printed).
 */
extern char *awsc_imds_get (const char *path, bool *tried);

#endif /* FERRY_AWS_PROFILE_H */
