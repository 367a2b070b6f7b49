/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: the registry of input modules. */

#include <config.h>

#include <string.h>

#include "inputs.h"

extern const struct input_ops disk_input_ops;
extern const struct input_ops ova_input_ops;
extern const struct input_ops vmx_input_ops;
extern const struct input_ops libvirt_input_ops;
extern const struct input_ops libvirtxml_input_ops;

static const struct input_ops *const inputs[] = {
  &disk_input_ops,
  &ova_input_ops,
  &vmx_input_ops,
  &libvirt_input_ops,
  &libvirtxml_input_ops,
};

const struct input_ops *
input_lookup (const char *name)
{
  for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++)
    if (strcmp (inputs[i]->name, name) == 0)
      return inputs[i];
  return NULL;
}

const char *
input_name (size_t i)
{
  return i < sizeof inputs / sizeof inputs[0] ? inputs[i]->name : NULL;
}

void
input_list (FILE *fp)
{
  for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++)
    fprintf (fp, "  %-10s %s\n", inputs[i]->name, inputs[i]->description);
}
