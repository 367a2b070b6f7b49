/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: the client certificate of azure-sources.c: reading it (PEM
 * with the key, or PKCS#12) and the client assertion it signs (a JWT,
 * RS256, with the certificate's x5t thumbprint).  The key, the
 * password and the assertions never reach a message.
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "common.h"
#include "azure-sources.h"

#define ASSERTION_LIFETIME 600  /* seconds a client assertion is valid */
#define FILE_MAX (1024 * 1024)  /* a certificate or federated token file */

static void
sbuf_wipe (struct sbuf *b)
{
  if (b->s)
    explicit_bzero (b->s, b->len);
  sbuf_free (b);
}

static void
wipe_free (char *s)
{
  if (s) {
    explicit_bzero (s, strlen (s));
    free (s);
  }
}

char *
azs_token_url (const struct az_config *cfg)
{
  char *u;

  if (asprintf (&u, "%s/%s/oauth2/v2.0/token", cfg->authority,
                cfg->tenant) == -1)
    return NULL;
  return u;
}

/* ---------------------------------------------------------------- */
/* Files. */

/* Up to FILE_MAX bytes of path (owned, NUL-terminated; wipe it), or
 * NULL after error() naming the file and the variable that gave it.
 */
char *
azs_read_file (const char *path, const char *var, size_t *len)
{
  CLEANUP_CLOSE int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  struct sbuf b = SBUF_INIT;
  char buf[4096];
  ssize_t r;

  if (fd == -1) {
    error ("read \"%s\" (%s): %m", path, var);
    return NULL;
  }
  while ((r = read (fd, buf, sizeof buf)) != 0) {
    if (r == -1 && errno == EINTR)
      continue;
    if (r == -1) {
      error ("read \"%s\" (%s): %m", path, var);
      goto fail;
    }
    if (b.len + r > FILE_MAX) {
      error ("read \"%s\" (%s): larger than 1 MiB", path, var);
      goto fail;
    }
    if (sbuf_add (&b, buf, r) == -1) {
      error ("read \"%s\" (%s): out of memory", path, var);
      goto fail;
    }
  }
  explicit_bzero (buf, sizeof buf);
  *len = b.len;
  if (b.s == NULL && sbuf_puts (&b, "") == -1)
    return NULL;
  return sbuf_take (&b);

 fail:
  explicit_bzero (buf, sizeof buf);
  sbuf_wipe (&b);
  return NULL;
}

/* ---------------------------------------------------------------- */
/* The client certificate: a JWT signed with its key (RS256). */

static char *
b64url (const unsigned char *d, size_t n)
{
  char *s = malloc (4 * ((n + 2) / 3) + 1);
  int len;

  if (s == NULL)
    return NULL;
  len = EVP_EncodeBlock ((unsigned char *) s, d, n);
  while (len > 0 && s[len - 1] == '=')
    len--;
  s[len] = '\0';
  for (char *p = s; *p; p++)
    *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
  return s;
}

static int
password_cb (char *buf, int size, int rwflag, void *u)
{
  const char *pw = u;
  size_t n = pw ? strlen (pw) : 0;

  (void) rwflag;
  if (pw == NULL || n > (size_t) size)
    return 0;                   /* never a prompt on the terminal */
  memcpy (buf, pw, n);
  return n;
}

int
azs_load_cert (struct az_provider *p, const char *password)
{
  static const char var[] = "AZURE_CLIENT_CERTIFICATE_PATH";
  size_t len = 0;
  char *data = azs_read_file (p->path, var, &len);
  EVP_PKEY *key = NULL;
  X509 *cert = NULL;
  BIO *bio;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned mdlen = 0;
  const char *why = NULL;
  char *x5t = NULL;

  if (data == NULL)
    return -1;
  bio = BIO_new_mem_buf (data, len);
  if (bio)
    key = PEM_read_bio_PrivateKey (bio, NULL, password_cb, (void *) password);
  BIO_free (bio);
  if (key) {
    X509 *c;
    bio = BIO_new_mem_buf (data, len);
    while (bio && (c = PEM_read_bio_X509 (bio, NULL, NULL, NULL)) != NULL) {
      if (cert == NULL && X509_check_private_key (c, key) == 1)
        cert = c;
      else
        X509_free (c);
    }
    BIO_free (bio);
  }
  else if (strstr (data, "-----BEGIN") == NULL) {
    /* Not PEM: PKCS#12. */
    const unsigned char *q = (const unsigned char *) data;
    PKCS12 *p12 = d2i_PKCS12 (NULL, &q, len);
    if (p12 == NULL)
      why = "neither PEM nor PKCS#12";
    else if (PKCS12_parse (p12, password ? password : "", &key, &cert,
                           NULL) != 1)
      why = password ? "cannot open it with AZURE_CLIENT_CERTIFICATE_PASSWORD"
        : "cannot open it without a password: set "
        "AZURE_CLIENT_CERTIFICATE_PASSWORD";
    PKCS12_free (p12);
  }
  else if (strstr (data, "ENCRYPTED"))
    why = password ? "cannot decrypt its private key with "
      "AZURE_CLIENT_CERTIFICATE_PASSWORD"
      : "its private key is encrypted: set AZURE_CLIENT_CERTIFICATE_PASSWORD";
  ERR_clear_error ();
  explicit_bzero (data, len);
  free (data);

  if (why == NULL && key == NULL)
    why = "it has no private key (the PEM file needs the key and the "
      "certificate)";
  else if (why == NULL && cert == NULL)
    why = "it has no certificate that matches its private key";
  else if (why == NULL && EVP_PKEY_base_id (key) != EVP_PKEY_RSA)
    why = "its key is not an RSA key";
  else if (why == NULL &&
           (X509_digest (cert, EVP_sha1 (), md, &mdlen) != 1 ||
            (x5t = b64url (md, mdlen)) == NULL))
    why = "out of memory";
  if (why == NULL) {
    snprintf (p->x5t, sizeof p->x5t, "%s", x5t);
    p->key = key;
    key = NULL;
  }
  free (x5t);
  EVP_PKEY_free (key);
  X509_free (cert);
  if (why) {
    error ("read the client certificate \"%s\" (%s): %s", p->path, var, why);
    return -1;
  }
  return 0;
}

/* A random version 4 UUID. */
static int
uuid (char out[37])
{
  unsigned char r[16];

  if (RAND_bytes (r, sizeof r) != 1)
    return -1;
  r[6] = (r[6] & 0x0f) | 0x40;
  r[8] = (r[8] & 0x3f) | 0x80;
  snprintf (out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
            "%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5],
            r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
  return 0;
}

/* The client assertion (owned, secret), or NULL. */
char *
azs_assertion (struct az_config *cfg, time_t now)
{
  const struct az_provider *p = cfg->provider;
  CLEANUP_FREE char *aud = azs_token_url (cfg), *hs = NULL, *cs = NULL;
  CLEANUP_FREE char *h64 = NULL, *c64 = NULL, *in = NULL;
  char *s64 = NULL;
  unsigned char *sig = NULL;
  size_t slen = 0;
  json_t *h, *c;
  EVP_MD_CTX *ctx = NULL;
  char jti[37], *jwt = NULL;

  if (aud == NULL || uuid (jti) == -1)
    return NULL;
  h = json_pack ("{s:s, s:s, s:s}", "alg", "RS256", "typ", "JWT",
                 "x5t", p->x5t);
  c = json_pack ("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "aud", aud,
                 "iss", p->client_id, "sub", p->client_id, "jti", jti,
                 "nbf", (json_int_t) now, "iat", (json_int_t) now,
                 "exp", (json_int_t) (now + ASSERTION_LIFETIME));
  if (h && c) {
    hs = json_dumps (h, JSON_COMPACT);
    cs = json_dumps (c, JSON_COMPACT);
  }
  json_decref (h);
  json_decref (c);
  if (hs == NULL || cs == NULL ||
      (h64 = b64url ((unsigned char *) hs, strlen (hs))) == NULL ||
      (c64 = b64url ((unsigned char *) cs, strlen (cs))) == NULL ||
      asprintf (&in, "%s.%s", h64, c64) == -1) {
    in = NULL;
    return NULL;
  }
  ctx = EVP_MD_CTX_new ();
  if (ctx && EVP_DigestSignInit (ctx, NULL, EVP_sha256 (), NULL, p->key) == 1 &&
      EVP_DigestSign (ctx, NULL, &slen, (unsigned char *) in, strlen (in)) == 1 &&
      (sig = malloc (slen)) != NULL &&
      EVP_DigestSign (ctx, sig, &slen, (unsigned char *) in, strlen (in)) == 1 &&
      (s64 = b64url (sig, slen)) != NULL &&
      asprintf (&jwt, "%s.%s", in, s64) == -1)
    jwt = NULL;
  EVP_MD_CTX_free (ctx);
  free (sig);
  wipe_free (s64);
  ERR_clear_error ();
  return jwt;
}

