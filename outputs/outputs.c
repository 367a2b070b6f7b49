/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: the registry of output modules. */

#include <config.h>

#include <string.h>

#include "outputs.h"

extern const struct output_ops local_output_ops;
extern const struct output_ops openstack_output_ops;
extern const struct output_ops aws_output_ops;
extern const struct output_ops azure_output_ops;

static const struct output_ops *const outputs[] = {
  &local_output_ops,
  &openstack_output_ops,
  &aws_output_ops,
  &azure_output_ops,
};

const struct output_ops *
output_lookup (const char *name)
{
  for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++)
    if (strcmp (outputs[i]->name, name) == 0)
      return outputs[i];
  return NULL;
}

const char *
output_name (size_t i)
{
  return i < sizeof outputs / sizeof outputs[0] ? outputs[i]->name : NULL;
}

void
output_list (FILE *fp)
{
  for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++)
    fprintf (fp, "  %-10s %s\n", outputs[i]->name, outputs[i]->description);
}
