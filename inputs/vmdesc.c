/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: helpers for parsed VM descriptions (struct vmdesc). */

#include <config.h>

#include <ctype.h>
#include <string.h>

#include "inputs.h"

void
vmdesc_free (struct vmdesc *d)
{
  if (d == NULL)
    return;
  free (d->name);
  free (d->os);
  for (size_t i = 0; i < d->nr_disks; i++) {
    free (d->disks[i].file);
    free (d->disks[i].compression);
    free (d->disks[i].format);
    free (d->disks[i].bus);
  }
  free (d->disks);
  for (size_t i = 0; i < d->nr_nics; i++) {
    free (d->nics[i].mac);
    free (d->nics[i].network);
    free (d->nics[i].model);
  }
  free (d->nics);
  memset (d, 0, sizeof *d);
}

static int
bus_rank (const char *bus)
{
  static const char *const order[] = { "scsi", "sata", "nvme", "virtio", "ide" };

  for (size_t i = 0; bus && i < sizeof order / sizeof order[0]; i++)
    if (strcmp (bus, order[i]) == 0)
      return (int) i;
  return 99;
}

static int
disk_cmp (const struct vmdesc_disk *a, const struct vmdesc_disk *b)
{
  int ra = bus_rank (a->bus), rb = bus_rank (b->bus);

  if (ra != rb)
    return ra < rb ? -1 : 1;
  if (a->controller != b->controller)
    return a->controller < b->controller ? -1 : 1;
  if (a->unit != b->unit)
    return a->unit < b->unit ? -1 : 1;
  return 0;
}

void
vmdesc_sort_disks (struct vmdesc *d)
{
  /* Insertion sort: stable, and VMs have a handful of disks. */
  for (size_t i = 1; i < d->nr_disks; i++) {
    struct vmdesc_disk t = d->disks[i];
    size_t j = i;

    while (j > 0 && disk_cmp (&d->disks[j - 1], &t) > 0) {
      d->disks[j] = d->disks[j - 1];
      j--;
    }
    d->disks[j] = t;
  }
}

char *
mac_normalise (const char *mac)
{
  char hex[12];
  size_t n = 0;
  char *out;

  if (mac == NULL)
    return NULL;
  for (const char *p = mac; *p; p++) {
    if (isxdigit ((unsigned char) *p)) {
      if (n == sizeof hex)
        return NULL;
      hex[n++] = tolower ((unsigned char) *p);
    }
    else if (*p != ':' && *p != '-' && *p != '.')
      return NULL;
  }
  if (n != sizeof hex)
    return NULL;
  out = malloc (18);
  if (out == NULL)
    return NULL;
  for (size_t i = 0; i < 6; i++) {
    out[i * 3] = hex[i * 2];
    out[i * 3 + 1] = hex[i * 2 + 1];
    out[i * 3 + 2] = i < 5 ? ':' : '\0';
  }
  return out;
}
