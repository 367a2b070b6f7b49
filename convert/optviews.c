/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: the views of the option table: --help, the man page's
 * SYNOPSIS and OPTIONS sections, and the bash completion.
 */

#include <config.h>

#include <string.h>

#include "convert.h"
#include "options.h"

#define HELP_COLUMN 22

/* Print text, with "@M@" replaced by the module names of the -i or -o
 * option (as C<name> in POD), and each '\n' followed by indent spaces.
 */
static void
print_text (FILE *fp, const struct cli_option *o, const char *text, bool pod,
            int indent)
{
  for (const char *s = text; *s; s++) {
    if (strncmp (s, "@M@", 3) == 0) {
      const char *(*name) (size_t) = o->id == OPT_I ? input_name : output_name;
      size_t n = 0;
      while (name (n))
        n++;
      for (size_t i = 0; i < n; i++)
        fprintf (fp, "%s%s%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ",
                 pod ? "C<" : "", name (i), pod ? ">" : "");
      s += 2;
    }
    else if (*s == '\n')
      fprintf (fp, "\n%*s", indent, "");
    else
      fputc (*s, fp);
  }
}

void
cli_print_help (FILE *fp)
{
  fprintf (fp, "ferry: move a virtual machine to another hypervisor or cloud, "
           "offline\n\nUsage:\n");
  for (size_t i = 0; cli_synopsis[i]; i++)
    fprintf (fp, "  %s\n", cli_synopsis[i]);
  for (int sec = 0; sec < NR_SECTIONS; sec++) {
    fprintf (fp, "\n%s:\n", cli_section_names[sec]);
    for (size_t i = 0; i < nr_cli_options; i++) {
      const struct cli_option *o = &cli_options[i];
      int len = 2;
      if (o->section != (enum cli_section) sec)
        continue;
      fprintf (fp, "  ");
      for (size_t k = 0; k < 3 && o->names[k]; k++)
        len += fprintf (fp, "%s%s", k ? ", " : "", o->names[k]);
      if (o->arg)
        len += fprintf (fp, " %s", o->arg);
      if (len + 2 > HELP_COLUMN)
        fprintf (fp, "\n%*s", HELP_COLUMN, "");
      else
        fprintf (fp, "%*s", HELP_COLUMN - len, "");
      print_text (fp, o, o->help, false, HELP_COLUMN);
      fputc ('\n', fp);
    }
  }
  fprintf (fp, "\nInputs:\n");
  input_list (fp);
  fprintf (fp, "Outputs:\n");
  output_list (fp);
  fprintf (fp, "\nSee ferry(1) for details.\n");
}

void
cli_print_pod_synopsis (FILE *fp)
{
  for (size_t i = 0; cli_synopsis[i]; i++)
    fprintf (fp, "%s %s\n", i ? "\n" : "", cli_synopsis[i]);
  fputc ('\n', fp);
}

void
cli_print_pod_options (FILE *fp)
{
  for (int sec = 0; sec < NR_SECTIONS; sec++) {
    fprintf (fp, "=head2 %s\n\n=over 4\n\n", cli_section_names[sec]);
    for (size_t i = 0; i < nr_cli_options; i++) {
      const struct cli_option *o = &cli_options[i];
      if (o->section != (enum cli_section) sec)
        continue;
      fprintf (fp, "=item ");
      for (size_t k = 0; k < 3 && o->names[k]; k++)
        fprintf (fp, "%sB<%s>", k ? ", " : "", o->names[k]);
      if (o->arg)
        fprintf (fp, " %s", o->arg);
      fprintf (fp, "\n\n");
      print_text (fp, o, o->pod, true, 0);
      fprintf (fp, "\n\n");
    }
    fprintf (fp, "=back\n\n");
  }
  fprintf (fp, "=head2 Options of virt-v2v\n\n"
           "Each option of more than one letter that starts with a single\n"
           "dash can also be spelled with two (B<--ic> for B<-ic>), as\n"
           "virt-v2v allows.  Options are only recognised when spelled in\n"
           "full.  These options of virt-v2v are refused, with one line and\n"
           "exit status 2, since ferry does not have them:\n");
  for (size_t i = 0, col = 0; i < nr_cli_unsupported; i++) {
    size_t w = strlen (cli_unsupported[i].name) + 5;
    if (i > 0)
      fprintf (fp, col + w + 2 > 72 ? ",\n" : ", ");
    if (i > 0 && col + w + 2 > 72)
      col = 0;
    else if (i > 0)
      col += 2;
    col += fprintf (fp, "B<%s>", cli_unsupported[i].name);
  }
  fprintf (fp, ".\n\n");
  for (size_t i = 0; i < nr_cli_unsupported; i++)
    if (cli_unsupported[i].instead &&
        (i == 0 || cli_unsupported[i - 1].instead == NULL ||
         strcmp (cli_unsupported[i - 1].instead, cli_unsupported[i].instead)))
      fprintf (fp, "Instead of B<%s>: %s.\n\n", cli_unsupported[i].name,
               cli_unsupported[i].instead);
}

/* The words the completion offers for o's value, or NULL for files. */
static void
print_values (FILE *fp, const struct cli_option *o)
{
  switch (o->values) {
  case VAL_WORDS:
    fprintf (fp, "%s", o->words);
    break;
  case VAL_INPUTS:
  case VAL_OUTPUTS: {
    const char *(*name) (size_t) = o->values == VAL_INPUTS ? input_name
                                                           : output_name;
    for (size_t i = 0; name (i); i++)
      fprintf (fp, "%s%s", i ? " " : "", name (i));
    break;
  }
  case VAL_TARGETS:
    for (const char *t = target_names (); *t; t++)
      if (*t != ',')
        fputc (*t, fp);
    break;
  case VAL_NONE: case VAL_FILE: case VAL_DIR:
    break;
  }
}

static void
print_names (FILE *fp, const struct cli_option *o)
{
  for (size_t k = 0; k < 3 && o->names[k]; k++)
    fprintf (fp, " %s", o->names[k]);
}

void
cli_print_bash (FILE *fp)
{
  static const char *const cmds[] = { "convert", "copy", "inspect" };

  fprintf (fp,
"# bash completion for ferry(1).  Generated from ferry's option table\n"
"# (ferry --dump-options=bash): do not edit.\n"
"_ferry ()\n"
"{\n"
"    local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"\" cmd=\"\" opts=\"\"\n"
"    [ \"$COMP_CWORD\" -gt 0 ] && prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
"    [ \"${#COMP_WORDS[@]}\" -gt 1 ] && cmd=\"${COMP_WORDS[1]}\"\n"
"    if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
"        mapfile -t COMPREPLY < <(compgen -W \"convert copy inspect --help --version\" -- \"$cur\")\n"
"        return\n"
"    fi\n"
"    case \"$prev\" in\n");
  for (size_t i = 0; i < nr_cli_options; i++) {
    const struct cli_option *o = &cli_options[i];
    if (o->arg == NULL)
      continue;
    fprintf (fp, "       ");
    for (size_t k = 0; k < 3 && o->names[k]; k++)
      fprintf (fp, "%s%s", k ? "|" : " ", o->names[k]);
    for (size_t k = 0; k < 3 && o->aliases[k]; k++)
      fprintf (fp, "|%s", o->aliases[k]);
    fprintf (fp, ")\n");
    switch (o->values) {
    case VAL_FILE:
      fprintf (fp, "            mapfile -t COMPREPLY < <(compgen -f -- \"$cur\")\n");
      break;
    case VAL_DIR:
      fprintf (fp, "            mapfile -t COMPREPLY < <(compgen -d -- \"$cur\")\n");
      break;
    case VAL_NONE:
      fprintf (fp, "            COMPREPLY=()\n");
      break;
    default:
      fprintf (fp, "            mapfile -t COMPREPLY < <(compgen -W \"");
      print_values (fp, o);
      fprintf (fp, "\" -- \"$cur\")\n");
    }
    fprintf (fp, "            return ;;\n");
  }
  fprintf (fp, "    esac\n    case \"$cmd\" in\n");
  for (size_t c = 0; c < 3; c++) {
    fprintf (fp, "        %s) opts=\"", cmds[c]);
    for (size_t i = 0; i < nr_cli_options; i++)
      if (cli_options[i].cmds & (1u << c))
        print_names (fp, &cli_options[i]);
    fprintf (fp, "\" ;;\n");
  }
  fprintf (fp,
"        *) return ;;\n"
"    esac\n"
"    if [[ \"$cur\" == -* ]]; then\n"
"        mapfile -t COMPREPLY < <(compgen -W \"$opts\" -- \"$cur\")\n"
"    else\n"
"        mapfile -t COMPREPLY < <(compgen -f -- \"$cur\")\n"
"    fi\n"
"}\n"
"complete -o filenames -F _ferry ferry\n");
}
