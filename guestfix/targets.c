/* ferry: targets and the registry of fix modules. */

#include <config.h>

#include <string.h>

#include "guestfix.h"

static const char *const virtio_modules[] = {
  "virtio_pci", "virtio_blk", "virtio_scsi", "virtio_net", NULL
};

/* The local output's libvirt XML puts NIC i at PCI slot 3+i on the
 * i440fx machine, so udev names it ens3, ens4 ...
 */
static const struct target targets[] = {
  { .name = "kvm", .initramfs_modules = virtio_modules,
    .nic_prefix = "ens", .nic_first_slot = 3 },
  /* Nova's libvirt driver on hw_machine_type=pc lays out the same
   * virtio devices: the first NIC lands in slot 3 too.
   */
  { .name = "openstack", .initramfs_modules = virtio_modules,
    .nic_prefix = "ens", .nic_first_slot = 3 },
};

const struct target *
target_lookup (const char *name)
{
  for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
    if (strcmp (targets[i].name, name) == 0)
      return &targets[i];
  return NULL;
}

extern const struct fix_ops debian_fix_ops;

static const struct fix_ops *const fixers[] = {
  &debian_fix_ops,
};

const struct fix_ops *
fix_lookup (const struct guest *gu)
{
  for (size_t i = 0; i < sizeof fixers / sizeof fixers[0]; i++)
    if (fixers[i]->matches (gu))
      return fixers[i];
  return NULL;
}
