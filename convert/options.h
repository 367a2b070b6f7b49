/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: the command line's option table and its parser.
 *
 * One table (options.c) is the source of the parser, of --help, of the
 * man page's SYNOPSIS and OPTIONS sections and of the bash completion
 * (optviews.c), so that they cannot disagree.
 */

#ifndef FERRY_OPTIONS_H
#define FERRY_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

/* The subcommands, as a mask of where an option applies. */
enum cli_cmd {
  CMD_CONVERT = 1, CMD_COPY = 2, CMD_INSPECT = 4,
  CMD_OUT = CMD_CONVERT | CMD_COPY,
  CMD_ALL = CMD_CONVERT | CMD_COPY | CMD_INSPECT,
};

enum cli_opt_id {
  OPT_I = 1, OPT_IF, OPT_IO, OPT_IC, OPT_IP,
  OPT_O, OPT_OS, OPT_OF, OPT_OA, OPT_ON, OPT_OO, OPT_OP, OPT_OS_CLOUD,
  OPT_N, OPT_B,
  OPT_TARGET, OPT_ROOT, OPT_MAC, OPT_INJECT, OPT_INITRAMFS, OPT_DRY_RUN, OPT_SOURCE_ONLY,
  OPT_PRINT_SOURCE, OPT_WORKERS,
  OPT_MACHINE, OPT_QUIET, OPT_VERBOSE, OPT_TRACE, OPT_VERSION, OPT_HELP,
};

enum cli_section { SEC_INPUT, SEC_OUTPUT, SEC_CONVERSION, SEC_GENERAL,
                   NR_SECTIONS };

/* What the completion offers after an option that takes a value. */
enum cli_values {
  VAL_NONE,                     /* free text */
  VAL_WORDS,                    /* the words in cli_option.words */
  VAL_INPUTS, VAL_OUTPUTS, VAL_TARGETS,
  VAL_FILE, VAL_DIR,
};

struct cli_option {
  enum cli_opt_id id;
  const char *names[3];         /* spellings --help and the man page show */
  const char *aliases[3];       /* other accepted spellings (virt-v2v's) */
  const char *arg;              /* metavariable, or NULL for a flag */
  enum cli_values values;
  const char *words;            /* VAL_WORDS: space-separated */
  unsigned cmds;                /* enum cli_cmd mask */
  enum cli_section section;
  const char *help;             /* --help text; '\n' continues a line */
  const char *pod;              /* the man page's paragraph(s) */
};

/* virt-v2v's options that ferry refuses, with ferry's way if any. */
struct cli_unsupported {
  const char *name;
  const char *instead;          /* or NULL */
};

extern const struct cli_option cli_options[];
extern const size_t nr_cli_options;
extern const struct cli_unsupported cli_unsupported[];
extern const size_t nr_cli_unsupported;
extern const char *const cli_section_names[NR_SECTIONS];
/* The usage lines, "ferry convert ..." (NULL-terminated). */
extern const char *const cli_synopsis[];

/* The bit of a subcommand name, or 0. */
extern unsigned cli_cmd_bit (const char *name);

/* The parser: exact spellings only (no prefixes, no clusters of short
 * options, no value glued to a short option), a value either as the
 * next argument or after '=', operands anywhere, "--" ends options.
 */
struct cli_parser {
  int argc;
  char **argv;
  int next;                     /* the next argv[] to look at */
  unsigned cmd;                 /* enum cli_cmd bit of the subcommand */
  const char *cmdname;
  bool no_more_options;         /* after "--" */
  char err[256];                /* CLI_ERROR: the message */
};

enum cli_result { CLI_END, CLI_OPTION, CLI_OPERAND, CLI_ERROR };

extern void cli_parser_init (struct cli_parser *p, int argc, char **argv,
                             int first, const char *cmdname);
/* The next option (*opt, its value in *value or NULL) or operand
 * (*value).  CLI_ERROR leaves a one-line message in p->err.
 */
extern enum cli_result cli_next (struct cli_parser *p,
                                 const struct cli_option **opt,
                                 const char **value);

/* optviews.c: the views of the table. */
extern void cli_print_help (FILE *fp);
extern void cli_print_pod_synopsis (FILE *fp);
extern void cli_print_pod_options (FILE *fp);
extern void cli_print_bash (FILE *fp);

#endif /* FERRY_OPTIONS_H */
