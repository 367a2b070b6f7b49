/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Check program for the input tests: open a source with an input
 * module, expose its disks over NBD, and print one line per disk: the
 * detected format, subformat, virtual size and the SHA-256 of the
 * content read back over NBD.
 *
 *   test-expose [-i MODULE] [-ic URI] [-io KEY=VAL] FILE [FORMAT]
 */

#include <config.h>

#include <string.h>

#include <libnbd.h>
#include <openssl/evp.h>

#include "inputs.h"

static int
print_disk (const struct source_disk *d)
{
  static char buf[1 << 20];
  struct nbd_handle *h = nbd_create ();
  EVP_MD_CTX *ctx;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned mdlen;

  if (h == NULL || nbd_connect_uri (h, d->uri) == -1) {
    fprintf (stderr, "%s\n", nbd_get_error ());
    nbd_close (h);
    return -1;
  }
  ctx = EVP_MD_CTX_new ();
  EVP_DigestInit_ex (ctx, EVP_sha256 (), NULL);
  for (uint64_t off = 0; off < d->virtual_size; off += sizeof buf) {
    size_t n = d->virtual_size - off < sizeof buf ? d->virtual_size - off
                                                  : sizeof buf;
    if (nbd_pread (h, buf, n, off, 0) == -1) {
      fprintf (stderr, "%s\n", nbd_get_error ());
      EVP_MD_CTX_free (ctx);
      nbd_close (h);
      return -1;
    }
    EVP_DigestUpdate (ctx, buf, n);
  }
  EVP_DigestFinal_ex (ctx, md, &mdlen);
  EVP_MD_CTX_free (ctx);
  nbd_close (h);
  printf ("%s %s %llu ", d->format, d->subformat ? d->subformat : "-",
          (unsigned long long) d->virtual_size);
  for (unsigned i = 0; i < mdlen; i++)
    printf ("%02x", md[i]);
  printf ("\n");
  return 0;
}

int
main (int argc, char *argv[])
{
  struct source src = { 0 };
  struct kvlist opts = { 0 };
  const char *module = "disk", *uri = NULL;
  const struct input_ops *ops;
  struct input *in = NULL;
  int i = 1, ret = 1;

  while (i + 1 < argc && argv[i][0] == '-') {
    if (strcmp (argv[i], "-i") == 0)
      module = argv[i + 1];
    else if (strcmp (argv[i], "-ic") == 0)
      uri = argv[i + 1];
    else if (strcmp (argv[i], "-io") == 0)
      kvlist_add (&opts, argv[i + 1]);
    else
      break;
    i += 2;
  }
  struct input_args a = {
    .files = &argv[i], .nr_files = argc > i ? 1 : 0,
    .forced_format = argc > i + 1 ? argv[i + 1] : NULL, .options = &opts,
    .conn_uri = uri,
  };
  ops = input_lookup (module);
  if (ops == NULL) {
    fprintf (stderr, "test-expose: unknown input %s\n", module);
    return 1;
  }
  in = ops->open (&a, &src);
  if (in == NULL || ops->expose (in, &src) == -1)
    goto out;
  for (size_t k = 0; k < src.nr_disks; k++)
    if (print_disk (&src.disks[k]) == -1)
      goto out;
  ret = 0;
 out:
  if (in)
    ops->close (in);
  source_free (&src);
  kvlist_free (&opts);
  tmpdir_cleanup ();
  return ret;
}
