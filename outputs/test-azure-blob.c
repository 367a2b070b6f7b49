/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit test for the Blob side of -o azure: SharedKey signatures
 * (outputs/azure-sharedkey.c) against Microsoft's own SDK, connection
 * strings, SAS URLs and their redaction, the fixed VHD footer
 * (outputs/vhd.c) and the Get Page Ranges parser (outputs/azblob.c).
 * Live requests are in tests/test-output-azure.sh, against Azurite.
 */

#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "azure.h"
#include "unittest.h"

struct vector {
  const char *account, *key, *endpoint, *method, *url;
  const char *headers[4];
  uint64_t length;
  const char *authorization;
};

/* Every expected Authorization is the one the SDK's
 * SharedKeyCredentialPolicy (Debian's python3-azure-storage 12.15)
 * computes for the same request at 1796481359 (x-ms-date "Sat, 05 Dec
 * 2026 14:35:59 GMT", x-ms-version 2021-08-06).
 */
static const struct vector vectors[] = {
  { "devstoreaccount1", "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==", "https://127.0.0.1:10000/devstoreaccount1", "PUT", "https://127.0.0.1:10000/devstoreaccount1/vhds/db01-disk1.vhd",
    { "x-ms-blob-type: PageBlob", "x-ms-blob-content-length: 21475885568", NULL }, 0,
    "SharedKey devstoreaccount1:dRP8YyyzMxH4/g+rP4WsKjacPv9jIQo+x9ONNiOz/R0=" },
  { "devstoreaccount1", "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==", "https://127.0.0.1:10000/devstoreaccount1", "PUT", "https://127.0.0.1:10000/devstoreaccount1/vhds/db01-disk1.vhd?comp=page",
    { "x-ms-page-write: update", "x-ms-range: bytes=4194304-8388607", NULL }, 4194304,
    "SharedKey devstoreaccount1:df21I58i245zd7BlMhLYyQuUiBSo/6XSRKHAIUvQo70=" },
  { "devstoreaccount1", "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==", "https://127.0.0.1:10000/devstoreaccount1", "PUT", "https://127.0.0.1:10000/devstoreaccount1/vhds/db01-disk1.vhd?comp=page",
    { "x-ms-page-write: clear", "x-ms-range: bytes=0-511", NULL }, 0,
    "SharedKey devstoreaccount1:WUP9Kwj8V+w9HMmCu1RUEKPDx5L+9LoGTXovOK6DVek=" },
  { "devstoreaccount1", "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==", "https://127.0.0.1:10000/devstoreaccount1", "GET", "https://127.0.0.1:10000/devstoreaccount1/vhds/db01-disk1.vhd?comp=pagelist",
    { NULL }, 0,
    "SharedKey devstoreaccount1:SvnvC+F30NvGoA64c4lqef1mg5pc6Jp8AofiFUqS+ek=" },
  { "devstoreaccount1", "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==", "https://127.0.0.1:10000/devstoreaccount1", "GET", "https://127.0.0.1:10000/devstoreaccount1/vhds/db01-disk1.vhd?comp=pagelist&marker=2%21104%21MDAwMDQ1%21",
    { NULL }, 0,
    "SharedKey devstoreaccount1:lnAE1KrfD6F9DpVNo6tBXmeRPX1rMZddWubyVyXLgJI=" },
  { "devstoreaccount1", "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==", "https://127.0.0.1:10000/devstoreaccount1", "GET", "https://127.0.0.1:10000/devstoreaccount1/vhds/db01-disk1.vhd",
    { "x-ms-range: bytes=0-4194303", NULL }, 0,
    "SharedKey devstoreaccount1:CViP51+QGF6pemtWUzop2p5h/UiezVq1FFXRbahjLus=" },
  { "devstoreaccount1", "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==", "https://127.0.0.1:10000/devstoreaccount1", "HEAD", "https://127.0.0.1:10000/devstoreaccount1/vhds/a%20b.vhd",
    { NULL }, 0,
    "SharedKey devstoreaccount1:cTmEcQqhPvdYU+ZUFEnkhmYhS079ACfmrNykNJFu4C0=" },
  { "devstoreaccount1", "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==", "https://127.0.0.1:10000/devstoreaccount1", "DELETE", "https://127.0.0.1:10000/devstoreaccount1/vhds/db01-disk1.vhd",
    { "x-ms-delete-snapshots: include", NULL }, 0,
    "SharedKey devstoreaccount1:t1qTmra3CSoMmbjnf9umJXswsjzIEEPeqCoQC3uDSXQ=" },
  { "ferrytest", "c2VjcmV0LWtleS1vZi1mZXJyeS10ZXN0cy0wMTIzNDU2Nzg5YWJjZGVm", "https://ferrytest.blob.core.windows.net", "PUT", "https://ferrytest.blob.core.windows.net/vhds/db01-disk1.vhd",
    { "x-ms-blob-type: PageBlob", "x-ms-blob-content-length: 21475885568", NULL }, 0,
    "SharedKey ferrytest:5DAhLEtmzDemu8KkC6ELWuDyd7CppAgUrRkbf5rBmLE=" },
  { "ferrytest", "c2VjcmV0LWtleS1vZi1mZXJyeS10ZXN0cy0wMTIzNDU2Nzg5YWJjZGVm", "https://ferrytest.blob.core.windows.net", "PUT", "https://ferrytest.blob.core.windows.net/vhds/db01-disk1.vhd?comp=page",
    { "x-ms-page-write: update", "x-ms-range: bytes=4194304-8388607", NULL }, 4194304,
    "SharedKey ferrytest:FVmUW7Eorn0tDP1mZLQyT+aS71LNjrF25ha3+PpR4Jc=" },
  { "ferrytest", "c2VjcmV0LWtleS1vZi1mZXJyeS10ZXN0cy0wMTIzNDU2Nzg5YWJjZGVm", "https://ferrytest.blob.core.windows.net", "PUT", "https://ferrytest.blob.core.windows.net/vhds/db01-disk1.vhd?comp=page",
    { "x-ms-page-write: clear", "x-ms-range: bytes=0-511", NULL }, 0,
    "SharedKey ferrytest:q80TcXB3OzEVXIDV27RHFP/nF9g1pYhXA8drnLcfXC4=" },
  { "ferrytest", "c2VjcmV0LWtleS1vZi1mZXJyeS10ZXN0cy0wMTIzNDU2Nzg5YWJjZGVm", "https://ferrytest.blob.core.windows.net", "GET", "https://ferrytest.blob.core.windows.net/vhds/db01-disk1.vhd?comp=pagelist",
    { NULL }, 0,
    "SharedKey ferrytest:YXkstKYlNEDhQPT8gy4Jm3u8pHzIURCghP/v12+P8co=" },
  { "ferrytest", "c2VjcmV0LWtleS1vZi1mZXJyeS10ZXN0cy0wMTIzNDU2Nzg5YWJjZGVm", "https://ferrytest.blob.core.windows.net", "GET", "https://ferrytest.blob.core.windows.net/vhds/db01-disk1.vhd?comp=pagelist&marker=2%21104%21MDAwMDQ1%21",
    { NULL }, 0,
    "SharedKey ferrytest:yu7xECj762gXEsfqkAqOwVF+tKCR4jNVnRIwJW4UZn4=" },
  { "ferrytest", "c2VjcmV0LWtleS1vZi1mZXJyeS10ZXN0cy0wMTIzNDU2Nzg5YWJjZGVm", "https://ferrytest.blob.core.windows.net", "GET", "https://ferrytest.blob.core.windows.net/vhds/db01-disk1.vhd",
    { "x-ms-range: bytes=0-4194303", NULL }, 0,
    "SharedKey ferrytest:kGHZQx8Hxkv+TYCBBCI35b/gBtoY9rhWormyrk1nPXo=" },
  { "ferrytest", "c2VjcmV0LWtleS1vZi1mZXJyeS10ZXN0cy0wMTIzNDU2Nzg5YWJjZGVm", "https://ferrytest.blob.core.windows.net", "HEAD", "https://ferrytest.blob.core.windows.net/vhds/a%20b.vhd",
    { NULL }, 0,
    "SharedKey ferrytest:SWxv4QxaTwx8IlvghfRVfr5dsVtBUtmeafoCmHfP+3w=" },
  { "ferrytest", "c2VjcmV0LWtleS1vZi1mZXJyeS10ZXN0cy0wMTIzNDU2Nzg5YWJjZGVm", "https://ferrytest.blob.core.windows.net", "DELETE", "https://ferrytest.blob.core.windows.net/vhds/db01-disk1.vhd",
    { "x-ms-delete-snapshots: include", NULL }, 0,
    "SharedKey ferrytest:1nBE6M6tIRiSHVsYfE7NLry3m4jkJbVM+bZx46kVaRk=" },
};

static void
check_vector (const struct vector *v)
{
  struct az_blob_auth a;
  char **h;
  char what[256];
  const char *got = NULL;

  snprintf (what, sizeof what, "SharedKey %s %s", v->method, v->url);
  if (az_auth_from_key (&a, v->account, v->key, v->endpoint) == -1) {
    CHECK (false, what);
    return;
  }
  h = az_blob_sign (&a, v->method, v->url, v->headers, v->length, 1796481359);
  for (size_t i = 0; h && h[i]; i++)
    if (strncmp (h[i], "Authorization: ", 15) == 0)
      got = h[i] + 15;
  CHECK (h && streq (h[0], "x-ms-date: Sat, 05 Dec 2026 14:35:59 GMT") &&
         streq (h[1], "x-ms-version: 2021-08-06"), "x-ms-date and x-ms-version");
  CHECK (streq (got, v->authorization), what);
  if (!streq (got, v->authorization))
    fprintf (stderr, "  got      %s\n  expected %s\n", got ? got : "(none)",
             v->authorization);
  az_free_headers (h);
  az_auth_clear (&a);
}

static void
test_connection_strings (void)
{
  struct az_blob_auth a;
  const char *key = vectors[0].key;
  char cs[512];

  snprintf (cs, sizeof cs, "DefaultEndpointsProtocol=https;AccountName=devstoreaccount1;"
            "AccountKey=%s;BlobEndpoint=https://127.0.0.1:10000/devstoreaccount1/;", key);
  CHECK (az_auth_from_connection_string (&a, cs) == 0 && a.kind == AZ_AUTH_SHAREDKEY &&
         streq (a.account, "devstoreaccount1") && a.key_len == 64 &&
         streq (a.endpoint, "https://127.0.0.1:10000/devstoreaccount1"),
         "connection string with BlobEndpoint");
  az_auth_clear (&a);
  snprintf (cs, sizeof cs, "AccountName=ferrytest;AccountKey=%s;EndpointSuffix=core.chinacloudapi.cn",
            vectors[8].key);
  CHECK (az_auth_from_connection_string (&a, cs) == 0 &&
         streq (a.endpoint, "https://ferrytest.blob.core.chinacloudapi.cn"),
         "connection string with EndpointSuffix (a sovereign cloud)");
  az_auth_clear (&a);
  CHECK (az_auth_from_connection_string (&a, "UseDevelopmentStorage=true") == 0 &&
         streq (a.account, "devstoreaccount1") && a.key_len == 64 &&
         streq (a.endpoint, "http://127.0.0.1:10000/devstoreaccount1"),
         "UseDevelopmentStorage=true");
  az_auth_clear (&a);
  CHECK (az_auth_from_connection_string (&a, "BlobEndpoint=https://x.blob.core.windows.net/;"
                                         "SharedAccessSignature=sv=2021-08-06&sig=abc%2B") == 0 &&
         a.kind == AZ_AUTH_SAS && streq (a.sas, "sv=2021-08-06&sig=abc%2B") &&
         streq (a.endpoint, "https://x.blob.core.windows.net"),
         "connection string with a SAS");
  az_auth_clear (&a);
  CHECK (az_auth_from_connection_string (&a, "AccountName=ferrytest") == -1 &&
         strstr (last_error (), "no AccountKey") != NULL, "no key: refused");
  CHECK (az_auth_from_connection_string (&a, "AccountName=ferrytest;AccountKey=!!notbase64!") == -1 &&
         strstr (last_error (), "not Base64") != NULL, "a key not in Base64: refused");
  CHECK (az_auth_from_connection_string (&a, "DefaultEndpointsProtocol=ftp;AccountName=a;AccountKey=YWJj") == -1,
         "protocol ftp: refused");
  CHECK (az_auth_from_connection_string (&a, "garbage") == -1 &&
         strstr (last_error (), "garbage") == NULL, "a field without '=': refused, not quoted");
  CHECK (az_auth_from_key (&a, "bad-name!", key, NULL) == -1, "a bad account name");
  CHECK (az_auth_from_key (&a, "ferrytest", key, NULL) == 0 &&
         streq (a.endpoint, "https://ferrytest.blob.core.windows.net"), "the public endpoint");
  az_auth_clear (&a);
}

static void
test_sas (void)
{
  struct az_blob_auth a;
  char *base = NULL, *u = NULL, *r;

  CHECK (az_auth_from_sas_url (&a, "https://acct.blob.core.windows.net/vhds/?sv=2021-08-06"
                               "&sr=c&sp=rcw&se=2026-12-06T00%3A00%3A00Z&sig=S3cr%2Bt", &base) == 0 &&
         a.kind == AZ_AUTH_SAS && streq (a.account, "acct") &&
         streq (base, "https://acct.blob.core.windows.net/vhds") &&
         streq (a.sas, "sv=2021-08-06&sr=c&sp=rcw&se=2026-12-06T00%3A00%3A00Z&sig=S3cr%2Bt"),
         "a container SAS URL");
  u = az_sas_url (&a, "https://acct.blob.core.windows.net/vhds/d.vhd?comp=page");
  CHECK (streq (u, "https://acct.blob.core.windows.net/vhds/d.vhd?comp=page&sv=2021-08-06"
                "&sr=c&sp=rcw&se=2026-12-06T00%3A00%3A00Z&sig=S3cr%2Bt"), "the SAS appended");
  {
    char **h = az_blob_sign (&a, "PUT", u, NULL, 512, 1796481359);
    CHECK (h && h[0] && h[1] && h[2] == NULL, "a SAS request: date and version, no Authorization");
    az_free_headers (h);
  }
  free (u);
  free (base);
  az_auth_clear (&a);
  CHECK (az_auth_from_sas_url (&a, "https://127.0.0.1:10000/devstoreaccount1/md-x/abcd?sv=1&sig=x",
                               &base) == 0 && streq (a.account, "devstoreaccount1") &&
         streq (base, "https://127.0.0.1:10000/devstoreaccount1/md-x/abcd") &&
         streq (a.endpoint, "https://127.0.0.1:10000"), "a path-style (Azurite) SAS URL");
  free (base);
  az_auth_clear (&a);
  CHECK (az_auth_from_sas_url (&a, "https://acct.blob.core.windows.net/vhds?sv=1", &base) == -1 &&
         strstr (last_error (), "no SAS") && base == NULL, "no sig=: refused");
  CHECK (az_auth_from_sas_url (&a, "file:///etc/passwd?sig=x", &base) == -1, "file: refused");
  CHECK (az_auth_from_sas_url (&a, "ht tp://x?sig=abc", &base) == -1 &&
         strstr (last_error (), "sig=abc") == NULL, "a bad URL: its signature not quoted");

  r = az_redact_url ("https://a.blob.core.windows.net/c/b?sv=1&sig=S3cr%2Bt&se=2");
  CHECK (streq (r, "https://a.blob.core.windows.net/c/b?sv=1&sig=REDACTED&se=2"), "sig= redacted");
  free (r);
  r = az_redact_url ("https://a/c?SIG=x&signature=y&sp=r#frag");
  CHECK (streq (r, "https://a/c?SIG=REDACTED&signature=REDACTED&sp=r"), "any case, and signature=");
  free (r);
  r = az_redact_url ("https://a/c/b");
  CHECK (streq (r, "https://a/c/b"), "no query: unchanged");
  free (r);
  /* Found by fuzz-azblob: a SAS token on its own, with no '?'. */
  r = az_redact_url ("sv=2022-11-02&sig=S3cr%2Bt&sp=rw");
  CHECK (streq (r, "sv=2022-11-02&sig=REDACTED&sp=rw"),
         "a bare SAS token: sig= redacted");
  free (r);
}

/* The CHS values the VHD specification's algorithm gives. */
static void
test_vhd (void)
{
  static const struct { uint64_t size; unsigned c, h, s; } g[] = {
    { 30 * MIB, 903, 4, 17 },
    { 1024 * MIB, 2080, 16, 63 },
    { UINT64_C (127) << 30, 65278, 16, 255 },
    { UINT64_C (2) << 40, 65535, 16, 255 },
  };
  unsigned char f[512], f2[512];

  for (size_t i = 0; i < sizeof g / sizeof g[0]; i++) {
    char what[80];
    unsigned c, h, s;
    vhd_fixed_footer (g[i].size, f);
    c = (unsigned) f[56] << 8 | f[57];
    h = f[58];
    s = f[59];
    snprintf (what, sizeof what, "footer of %llu bytes: CHS %u/%u/%u",
              (unsigned long long) g[i].size, c, h, s);
    CHECK (c == g[i].c && h == g[i].h && s == g[i].s, what);
    CHECK (vhd_footer_valid (f, g[i].size), "the footer is valid");
    CHECK (!vhd_footer_valid (f, g[i].size + MIB), "not for another size");
  }
  vhd_fixed_footer (30 * MIB, f);
  CHECK (memcmp (f, "conectix", 8) == 0 && f[63] == 2 && f[12] == 0 && f[13] == 1 &&
         memcmp (f + 16, "\xff\xff\xff\xff\xff\xff\xff\xff", 8) == 0,
         "cookie, fixed type, version 1.0, no data offset");
  memcpy (f2, f, 512);
  f2[100] ^= 1;
  CHECK (!vhd_footer_valid (f2, 30 * MIB), "a changed byte: the checksum fails");
  vhd_fixed_footer (30 * MIB, f2);
  CHECK (memcmp (f + 68, f2 + 68, 16) != 0 && (f[74] >> 4) == 4, "a new random UUID each time");
}

static void
test_ranges (void)
{
  static const char ok[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?><PageList>"
    "<PageRange><Start>0</Start><End>511</End></PageRange>"
    "<ClearRange><Start>512</Start><End>1023</End></ClearRange>"
    "<PageRange><Start>1048576</Start><End>5242879</End></PageRange>"
    "<NextMarker>2!104!MDAw</NextMarker></PageList>";
  static const char *const bad[] = {
    "<PageList><PageRange><Start>1</Start><End>511</End></PageRange></PageList>",
    "<PageList><PageRange><Start>0</Start><End>510</End></PageRange></PageList>",
    "<PageList><PageRange><Start>512</Start><End>511</End></PageRange></PageList>",
    "<PageList><PageRange><Start>-512</Start><End>511</End></PageRange></PageList>",
    "<PageList><PageRange><Start>0</Start></PageRange></PageList>",
    "<PageList><PageRange><Start>0</Start><End>99999999999999999999999</End></PageRange></PageList>",
    "<Error><Code>x</Code></Error>",
    "<PageList><PageRange>",
    "",
  };
  struct az_range *v = NULL;
  size_t n = 0;
  char *next = NULL;

  CHECK (azblob_parse_ranges (ok, sizeof ok - 1, &v, &n, &next) == 0 && n == 2 &&
         v[0].start == 0 && v[0].end == 512 && v[1].start == MIB && v[1].end == 5 * MIB &&
         streq (next, "2!104!MDAw"), "a page list with a clear range and a marker");
  free (next);
  CHECK (azblob_parse_ranges ("<PageList/>", 11, &v, &n, &next) == 0 && n == 2 && next == NULL,
         "an empty page appends nothing");
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char what[160];
    snprintf (what, sizeof what, "refused: %.120s", bad[i]);
    CHECK (azblob_parse_ranges (bad[i], strlen (bad[i]), &v, &n, &next) == -1 && next == NULL, what);
  }
  free (v);
}

int
main (void)
{
  for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++)
    check_vector (&vectors[i]);
  test_connection_strings ();
  test_sas ();
  test_vhd ();
  test_ranges ();
  printf ("test-azure-blob: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
