/* ferry: targets and the registry of fix modules. */

#include <config.h>

#include <string.h>

#include "guestfix.h"

static const char *const virtio_modules[] = {
  "virtio_pci", "virtio_blk", "virtio_scsi", "virtio_net", NULL
};

/* Nitro instances: EBS volumes and instance storage are NVMe, the NIC
 * is ENA.
 */
static const char *const aws_modules[] = { "nvme", "ena", NULL };

/* Azure (Hyper-V gen1/gen2): the VMBus, its storage and network
 * drivers and the integration services (time sync, shutdown,
 * heartbeat) the platform expects.
 */
static const char *const azure_modules[] = {
  "hv_vmbus", "hv_storvsc", "hv_netvsc", "hv_utils", NULL
};

static const char *const openstack_cmdline[] = { "console=ttyS0", NULL };

/* AWS: the serial console that "get-console-output" reads, and NVMe
 * I/O that waits for EBS rather than timing out after 30 s.
 */
static const char *const aws_cmdline[] = {
  "console=ttyS0,115200n8", "nvme_core.io_timeout=4294967295", NULL
};

/* Azure's documented requirements for Linux images. */
static const char *const azure_cmdline[] = {
  "rootdelay=300", "console=ttyS0,115200n8", "earlyprintk=ttyS0", NULL
};

static const char *const ds_openstack[] = { "ConfigDrive", "OpenStack", "None", NULL };
static const char *const ds_aws[] = { "Ec2", "None", NULL };
static const char *const ds_azure[] = { "Azure", "None", NULL };

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
    .nic_prefix = "ens", .nic_first_slot = 3,
    .cmdline_add = openstack_cmdline, .datasources = ds_openstack },
  /* On Nitro the primary ENA sits in PCI slot 5 (ens5); NVMe device
   * names follow attachment order, so only UUIDs and labels are safe.
   */
  { .name = "aws", .initramfs_modules = aws_modules,
    .nic_prefix = "ens", .nic_first_slot = 5,
    .cmdline_add = aws_cmdline, .datasources = ds_aws,
    .stable_refs_only = true },
  /* hv_netvsc NICs have no PCI path: they stay eth0, eth1 ... */
  { .name = "azure", .initramfs_modules = azure_modules,
    .nic_prefix = "eth", .nic_first_slot = 0,
    .cmdline_add = azure_cmdline, .datasources = ds_azure,
    .stable_refs_only = true, .no_os_swap = true,
    .keeps_hyperv_tools = true },
};

const struct target *
target_lookup (const char *name)
{
  for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
    if (strcmp (targets[i].name, name) == 0)
      return &targets[i];
  return NULL;
}

const char *
target_names (void)
{
  return "kvm, openstack, aws, azure";
}

extern const struct fix_ops debian_fix_ops, rhel_fix_ops, suse_fix_ops,
  alpine_fix_ops;

static const struct fix_ops *const fixers[] = {
  &debian_fix_ops, &rhel_fix_ops, &suse_fix_ops, &alpine_fix_ops,
};

const struct fix_ops *
fix_lookup (const struct guest *gu)
{
  for (size_t i = 0; i < sizeof fixers / sizeof fixers[0]; i++)
    if (fixers[i]->matches (gu))
      return fixers[i];
  return NULL;
}
