/* Check program for tests/test-input-formats.sh: open one image with
 * the disk input, expose it over NBD, and print its detected format,
 * virtual size and the SHA-256 of the content read back over NBD.
 *
 *   test-expose FILE [FORMAT]
 */

#include <config.h>

#include <string.h>

#include <libnbd.h>
#include <openssl/evp.h>

#include "inputs.h"

int
main (int argc, char *argv[])
{
  struct source src = { 0 };
  struct kvlist opts = { 0 };
  struct input_args a = {
    .files = &argv[1], .nr_files = argc > 1 ? 1 : 0,
    .forced_format = argc > 2 ? argv[2] : NULL, .options = &opts,
  };
  const struct input_ops *ops = input_lookup ("disk");
  struct input *in;
  struct nbd_handle *h;
  EVP_MD_CTX *ctx;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned mdlen;
  static char buf[1 << 20];
  int ret = 1;

  in = ops->open (&a, &src);
  if (in == NULL)
    goto out;
  if (ops->expose (in, &src) == -1)
    goto out;
  h = nbd_create ();
  if (h == NULL || nbd_connect_uri (h, src.disks[0].uri) == -1) {
    fprintf (stderr, "%s\n", nbd_get_error ());
    goto out;
  }
  ctx = EVP_MD_CTX_new ();
  EVP_DigestInit_ex (ctx, EVP_sha256 (), NULL);
  for (uint64_t off = 0; off < src.disks[0].virtual_size; off += sizeof buf) {
    size_t n = src.disks[0].virtual_size - off < sizeof buf
      ? src.disks[0].virtual_size - off : sizeof buf;
    if (nbd_pread (h, buf, n, off, 0) == -1) {
      fprintf (stderr, "%s\n", nbd_get_error ());
      goto out;
    }
    EVP_DigestUpdate (ctx, buf, n);
  }
  EVP_DigestFinal_ex (ctx, md, &mdlen);
  EVP_MD_CTX_free (ctx);
  nbd_close (h);
  printf ("%s %s %llu ", src.disks[0].format,
          src.disks[0].subformat ? src.disks[0].subformat : "-",
          (unsigned long long) src.disks[0].virtual_size);
  for (unsigned i = 0; i < mdlen; i++)
    printf ("%02x", md[i]);
  printf ("\n");
  ret = 0;
 out:
  if (in)
    ops->close (in);
  source_free (&src);
  tmpdir_cleanup ();
  return ret;
}
