/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: helpers shared by every stage, and the source model that
 * flows from inputs/ through guestfix/ and convert/ to outputs/.
 *
 * Conventions: functions return -1 or NULL on failure after reporting
 * through error(); only main() exits.  Strings returned by functions
 * marked "(owned)" must be freed by the caller.
 */

#ifndef FERRY_COMMON_H
#define FERRY_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include <jansson.h>

/* ---------------------------------------------------------------- */
/* Cleanup attributes. */

extern void cleanup_free (void *ptr);
extern void cleanup_fclose (void *ptr);
extern void cleanup_string_list (void *ptr);
extern void cleanup_close (void *ptr);
#define CLEANUP_FREE __attribute__ ((cleanup (cleanup_free)))
#define CLEANUP_FCLOSE __attribute__ ((cleanup (cleanup_fclose)))
#define CLEANUP_STRING_LIST __attribute__ ((cleanup (cleanup_string_list)))
#define CLEANUP_CLOSE __attribute__ ((cleanup (cleanup_close)))

/* ---------------------------------------------------------------- */
/* Messages (common/log.c).
 *
 * error() prints "ferry: MESSAGE" on stderr and remembers the message
 * so that machine-readable mode can put it in the result.  Messages are
 * lowercase, the operation first and the subject quoted.  debug()
 * prints only with -v.  info() prints one line for the user unless
 * --quiet or machine-readable mode is on (then it becomes a JSON "info"
 * event).
 */
struct log_settings {
  int verbose;                  /* -v */
  bool quiet;                   /* -q */
  bool machine_readable;        /* --machine-readable: JSON lines on stdout */
  bool trace;                   /* -x: libguestfs' trace of its calls */
};
extern void log_configure (const struct log_settings *s);
extern const struct log_settings *log_get (void);
extern void error (const char *fs, ...)
  __attribute__ ((format (printf, 1, 2)));
extern void debug (const char *fs, ...)
  __attribute__ ((format (printf, 1, 2)));
extern void info (const char *fs, ...)
  __attribute__ ((format (printf, 1, 2)));
extern void warning (const char *fs, ...)
  __attribute__ ((format (printf, 1, 2)));
/* While on, error() in the calling thread only records its message for
 * last_error(), so that a caller that says one thing for many threads'
 * failures (the copy engine's workers) prints one line.
 */
extern void error_capture (bool on);
/* The calling thread's last error message, or NULL.  Not owned by the caller. */
extern const char *last_error (void);

/* ---------------------------------------------------------------- */
/* Interruption (SIGINT, SIGTERM), checked by long running loops. */
extern void signals_install (void);
extern bool interrupted (void);

/* ---------------------------------------------------------------- */
/* A growable string. */
struct sbuf {
  char *s;
  size_t len, cap;
};
#define SBUF_INIT { NULL, 0, 0 }
extern int sbuf_add (struct sbuf *b, const char *s, size_t n);
extern int sbuf_puts (struct sbuf *b, const char *s);
extern int sbuf_printf (struct sbuf *b, const char *fs, ...)
  __attribute__ ((format (printf, 2, 3)));
/* Return the string (owned) and reset b; never NULL on success. */
extern char *sbuf_take (struct sbuf *b);
extern void sbuf_free (struct sbuf *b);

/* ---------------------------------------------------------------- */
/* Writing JSON (common/json.c), with jansson: inspect output, change
 * reports, machine-readable events and request bodies.  Build the
 * document in order (begin/add/end); keys keep the order they were
 * added in.  Every string (keys too) goes through utf8_sanitise(), so
 * the output is valid UTF-8 and valid JSON whatever bytes it was
 * given.  An error (out of memory, misuse) makes json_take() return
 * NULL.
 */
struct json {
  json_t *root;                 /* the document (owned) */
  json_t *stack[32];            /* the open containers (borrowed) */
  int depth;
  bool pretty;                  /* indented, else one line */
  bool failed;
};
extern void json_init (struct json *j, bool pretty);
extern void json_begin_object (struct json *j, const char *key);
extern void json_end_object (struct json *j);
extern void json_begin_array (struct json *j, const char *key);
extern void json_end_array (struct json *j);
/* A string; v NULL gives null. */
extern void json_add_string (struct json *j, const char *key, const char *v);
extern void json_add_int (struct json *j, const char *key, int64_t v);
extern void json_add_bool (struct json *j, const char *key, bool v);
extern void json_add_null (struct json *j, const char *key);
/* A value given as JSON text (one of ours, such as a report); -1 if
 * it does not parse (the document then fails too).
 */
extern int json_add_document (struct json *j, const char *key, const char *text);
/* The document (owned) or NULL; j is reset either way. */
extern char *json_take (struct json *j);
/* json_take, printed on stdout as one line and flushed; -1 if NULL. */
extern int json_print_line (struct json *j);
/* s, a NUL-terminated byte string that need not be valid UTF-8 (guest
 * file contents, file names, messages), made valid UTF-8 (owned; NULL
 * if out of memory): well-formed UTF-8 sequences (up to U+10FFFF) are
 * kept; each byte that does not begin one - Latin-1 and other 8-bit
 * text, stray continuation bytes, overlong forms, surrogates
 * U+D800..U+DFFF, code points beyond U+10FFFF, sequences cut short -
 * becomes U+FFFD (REPLACEMENT CHARACTER), one per byte.  Control
 * characters are kept: jansson escapes them.  jansson refuses strings
 * that are not UTF-8, hence this one function of our own.
 */
extern char *utf8_sanitise (const char *s);

/* ---------------------------------------------------------------- */
/* Reading JSON (jansson) and YAML (libyaml) into jansson trees
 * (common/treeread.c).  Both return a new reference (json_decref it)
 * or NULL after error(), whose message names the document by its label,
 * the line and the column:
 *   parse JSON "LABEL": MESSAGE at line L column C
 *   parse YAML "LABEL" line L column C: MESSAGE
 */
#define TREE_MAX_DEPTH 64       /* levels of arrays and objects */
#define TREE_MAX_NODES 100000   /* YAML nodes, aliases expanded */

/* A whole JSON document (RFC 8259; any value at the top).  Strings must
 * be valid UTF-8 without \u0000.  A key given twice in an object is
 * refused with unique, else the last value wins.
 */
extern json_t *json_read (const char *text, size_t len, const char *label,
                          bool unique);
/* One YAML 1.1 document (none: JSON null).  Scalars become strings,
 * except the plain empty, "~" and "null" forms and !!null (JSON null).
 * Anchors, aliases (expanded, within TREE_MAX_NODES), "<<" merge keys,
 * directives and the tag:yaml.org,2002: tags (the "!!" ones) are read;
 * other tags, complex keys and a second document are refused.
 * Duplicate keys: the last value wins.  Invalid UTF-8 is refused.
 */
extern json_t *yaml_read (const char *text, size_t len, const char *label);
/* Merge object src into object dst, deeply: where both have an object
 * under a key, those are merged; otherwise src's value (a copy)
 * replaces dst's.  Returns 0, or -1 after error().
 */
extern int tree_merge (json_t *dst, json_t *src);
/* Follow a dotted path of object members ("token.catalog"); an empty
 * path is v itself.  NULL if a step is missing or not an object.
 */
extern const json_t *tree_path (const json_t *v, const char *path);
/* The member key of obj if it is a string, else NULL (obj may be NULL
 * or not an object).
 */
extern const char *tree_str (const json_t *obj, const char *key);
/* The member key if it is an integer: true and *out set; else false. */
extern bool tree_int (const json_t *obj, const char *key, int64_t *out);
/* "null", "boolean", "number", "string", "array", "object". */
extern const char *tree_type_name (const json_t *v);
/* A YAML scalar as a boolean: true/false/yes/no/on/off in any case.
 * Returns false (and leaves *out) for anything else.
 */
extern bool yaml_truthy (const char *s, bool *out);

/* ---------------------------------------------------------------- */
/* Child processes (common/command.c).  Always an argv vector. */

/* Run argv[0] (searched in PATH), wait for it.  If out/err are not
 * NULL, capture stdout/stderr into them (owned).  Returns the exit
 * status (0..255), or -1 if it could not be run or was killed by a
 * signal (error() has then been called).
 */
extern int run_command (const char *const *argv, char **out, char **err);

/* The same with a limit: a child still running after 'seconds' (0 =
 * no limit) is killed and that is an error.
 */
extern int run_command_timeout (const char *const *argv, char **out,
                                char **err, int seconds);
/* Start argv[0] in the background with stdin and stdout on /dev/null
 * and stderr on errfd (-1: inherited).  The child gets SIGKILL when the
 * thread that started it dies (PR_SET_PDEATHSIG).  Every child of ferry
 * starts without the credential variables (OS_*, AWS_*, AZURE_*, and
 * any *SECRET*, *TOKEN*, *PASSWORD*).  Returns its pid (the caller
 * reaps it), or -1 after error().
 */
extern pid_t spawn_command (const char *const *argv, int errfd);
/* Format argv for debug messages (owned). */
extern char *argv_to_string (const char *const *argv);

/* ---------------------------------------------------------------- */
/* Files and the private temporary directory (common/util.c). */

/* Create the private temp dir (mode 0700) under $TMPDIR or /var/tmp,
 * registering it for removal by tmpdir_cleanup().  Returns its path
 * (not owned).
 */
extern const char *tmpdir_create (void);
/* Remove the temp dirs ("ferry-PID.*" under $TMPDIR or /var/tmp) of
 * ferry processes that are gone (killed by SIGKILL).  main() calls it.
 */
extern void tmpdir_sweep_stale (void);
/* Remove the temp dir and everything in it.  Safe to call twice. */
extern void tmpdir_cleanup (void);

/* SHA-256 of a file as 64 hex chars into out[65]. */
extern int sha256_file (const char *path, char out[65]);
/* SHA-256 of a buffer. */
extern void sha256_buf (const void *buf, size_t len, char out[65]);
/* Read up to len bytes at offset; returns bytes read or -1. */
extern ssize_t read_at (const char *path, void *buf, size_t len, off_t offset);
/* Directory part of path (owned), resolved to an absolute path. */
extern char *dir_of (const char *path);
/* Is the canonical form of 'path' inside directory 'dir'? 1/0/-1. */
extern int path_is_within (const char *path, const char *dir);
/* Write data to path atomically (temp file + rename). */
extern int write_file_atomic (const char *path, const char *data, size_t len);
/* Append a copy of s to a NULL terminated list (*list may be NULL). */
extern int string_list_push (char ***list, const char *s);
extern void free_string_list (char **list);
extern size_t string_list_len (char *const *list);
/* Human readable size, e.g. "3.0 GiB", into buf. */
extern const char *human_size (uint64_t bytes, char buf[32]);
/* Does buf hold len zero bytes (len 0: yes)? */
extern bool buf_is_zero (const void *buf, size_t len);
/* Escape a qemu option value: ',' becomes ",," (owned). */
extern char *qemu_opt_escape (const char *s);
/* Monotonic seconds. */
extern double now_seconds (void);

/* ---------------------------------------------------------------- */
/* Confinement (common/confine.c): what a qemu that opens untrusted
 * data may see.  Everything else of the host is hidden from it.
 */
struct confine {
  char **ro;                    /* files and dirs it may read (owned list) */
  char **rw;                    /* dirs it may write: sockets (owned list) */
  bool off;                     /* -io unconfined: run qemu as it is */
};
/* Let qemu see 'path' (absolute), read-only or writable. */
extern int confine_allow (struct confine *c, const char *path, bool writable);
extern void confine_free (struct confine *c);
/* argv run inside the sandbox c describes; NULL c or c->off: argv as
 * it is.  Free with confined_argv_free().
 */
struct confined_argv {
  const char **argv;            /* NULL terminated (owned vector) */
  char **owned;                 /* strings it points to (owned) */
};
extern int confine_argv (const struct confine *c, const char *const *argv,
                         struct confined_argv *out);
extern void confined_argv_free (struct confined_argv *a);
/* 0 if a sandbox can be made here; -1 after error() saying why not and
 * how to override.  Tried once per process.
 */
extern int confine_check (void);
/* The same, quietly: true if a sandbox can be made. */
extern bool confine_available (void);

/* ---------------------------------------------------------------- */
/* NBD servers (common/nbdserver.c).  We run qemu-nbd; we never serve
 * NBD ourselves.
 */
struct nbd_server {
  pid_t pid;
  char *socket;                 /* unix socket path (owned) */
  char *uri;                    /* nbd+unix:///?socket=... (owned) */
  bool readonly;                /* nothing to flush: may be killed outright */
};

/* Start "qemu-nbd" for 'file' with the explicit 'format' ("raw",
 * "qcow2", "vmdk", "vpc", "vhdx", or NULL with image_opts) on a unix
 * socket in the temp dir's sock/ directory.  readonly: open read-only.
 * The server is ferry's direct child, dies with it, and stays up
 * across client connections until nbd_server_stop().  When image_opts
 * is not NULL it is a qemu --image-opts string and 'file' and 'format'
 * are ignored.  'confine' (not owned; NULL for files ferry made
 * itself) lists what the server may read: it then runs in the sandbox
 * of confine.c, which must be read-only, and sees the socket directory
 * besides.
 */
extern int nbd_server_start (struct nbd_server *srv, const char *tag,
                             const char *file, const char *format,
                             const char *image_opts, bool readonly,
                             const char *const *extra_args,
                             const struct confine *confine);
/* Size in bytes of the export at uri (connects and disconnects). */
extern int nbd_uri_size (const char *uri, uint64_t *size);
/* Stop the server (SIGTERM, wait) and free its fields.  Idempotent. */
extern int nbd_server_stop (struct nbd_server *srv);

/* ---------------------------------------------------------------- */
/* Module options: "-io key[=value]" and "-oo key[=value]". */

struct optdesc {
  const char *key;
  const char *value;            /* placeholder like "BYTES", or NULL for a flag */
  const char *help;
};

struct kv {
  char *key;
  char *value;                  /* NULL for a bare flag */
};
struct kvlist {
  struct kv *items;
  size_t len;
};

/* Add "key=value" or "key" to the list (copying). */
extern int kvlist_add (struct kvlist *l, const char *arg);
extern void kvlist_free (struct kvlist *l);
/* Check every key is in descs; error() naming the module otherwise. */
extern int kvlist_check (const struct kvlist *l, const struct optdesc *descs,
                         const char *what);
/* Last value for key, or NULL.  *present set if the key was given. */
extern const char *kvlist_get (const struct kvlist *l, const char *key,
                               bool *present);
/* Print the keys of a module, for "-io ?" and "-oo ?". */
extern void optdesc_print (FILE *fp, const struct optdesc *descs,
                           const char *what);
/* Parse sizes like "2G", "512M", "1073741824". */
extern int parse_size (const char *s, uint64_t *out);

/* ---------------------------------------------------------------- */
/* The source VM model. */

enum firmware { FIRMWARE_UNKNOWN = 0, FIRMWARE_BIOS, FIRMWARE_UEFI };
extern const char *firmware_name (enum firmware f);

struct source_disk {
  char *path;                   /* absolute path of the source file (owned) */
  char *label;                  /* what to call it: path, or "x.ova:disk1.vmdk" (owned) */
  char *format;                 /* "raw", "qcow2", "vmdk", "vpc", "vhdx" (owned) */
  char *subformat;              /* e.g. "streamOptimized", "dynamic" or NULL */
  uint64_t virtual_size;        /* bytes, known after exposure */
  uint64_t file_size;           /* bytes of the source file(s) */
  char *uri;                    /* read-only NBD URI of the source (owned) */
  char *overlay;                /* qcow2 overlay path in the temp dir (owned) */
  /* qemu may open 'path' with 'format' directly (a plain local file,
   * no backing chain): the copy then reads overlay and source in one
   * qemu-nbd instead of going through the source's NBD server.
   */
  bool direct;
  /* What a qemu that reads this disk may see (filled by the input). */
  struct confine confine;
};

struct source_nic {
  char *mac;                    /* lowercase aa:bb:.. or NULL (owned) */
  char *network;                /* network name or NULL (owned) */
  char *model;                  /* source adapter model ("vmxnet3") or NULL (owned) */
  char *map;                    /* target network/bridge from -n/-b, or NULL (owned) */
  bool bridge;                  /* map names a host bridge, not a network */
};

struct source {
  char *name;                   /* VM name (owned) */
  unsigned vcpus;               /* 0 = unknown */
  uint64_t memory;              /* bytes, 0 = unknown */
  enum firmware firmware;
  struct source_disk *disks;
  size_t nr_disks;
  struct source_nic *nics;
  size_t nr_nics;
};

extern void source_free (struct source *s);

#endif /* FERRY_COMMON_H */
