/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ferry: reading, writing and running things in the guest. */

#include <config.h>

#include <string.h>

#include "guestfix.h"

char *
gfile_read (guestfs_h *g, const char *path, bool *exists)
{
  size_t size;
  char *data;

  *exists = false;
  if (guestfs_is_file_opts (g, path, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1, -1) <= 0)
    return NULL;
  *exists = true;
  data = guestfs_read_file (g, path, &size);
  if (data == NULL) {
    error ("read \"%s\" in the guest: %s", path, guestfs_last_error (g));
    return NULL;
  }
  if (memchr (data, '\0', size)) {
    error ("read \"%s\" in the guest: it contains NUL bytes, not a text file",
           path);
    free (data);
    return NULL;
  }
  return data;
}

int
gfile_update (guestfs_h *g, struct report *r, bool dry_run,
              const char *path, const char *before, const char *after,
              const char *reason)
{
  if (before && after && strcmp (before, after) == 0)
    return 0;
  if (!dry_run) {
    /* A new file: its directory may not exist yet. */
    if (before == NULL && after && strrchr (path, '/') > path) {
      CLEANUP_FREE char *dir = strndup (path, (size_t) (strrchr (path, '/') - path));
      if (dir == NULL || guestfs_mkdir_p (g, dir) == -1) {
        error ("create \"%s\" in the guest: %s", dir ? dir : path,
               guestfs_last_error (g));
        return -1;
      }
    }
    /* guestfs_write keeps the inode, so owner and mode stay. */
    if (after && guestfs_write (g, path, after, strlen (after)) == -1) {
      error ("write \"%s\" in the guest: %s", path, guestfs_last_error (g));
      return -1;
    }
    if (after == NULL && guestfs_rm (g, path) == -1) {
      error ("remove \"%s\" in the guest: %s", path, guestfs_last_error (g));
      return -1;
    }
  }
  return report_file (r, path, before, after, reason);
}

char *
grun (guestfs_h *g, const char *what, const char *const *argv)
{
  char *out = guestfs_command (g, (char **) argv);

  if (out == NULL) {
    const char *msg = guestfs_last_error (g);
    const char *last = msg ? msg : "unknown error";
    /* libguestfs prefixes the tool's stderr with "command: ". */
    if (msg && strncmp (msg, "command: ", 9) == 0)
      msg += 9;
    last = msg ? msg : last;
    /* The useful part of a failed tool's output is its last line. */
    if (msg) {
      const char *end = msg + strlen (msg);
      while (end > msg && (end[-1] == '\n' || end[-1] == ' '))
        end--;
      for (const char *p = end; p > msg; p--)
        if (p[-1] == '\n') {
          last = p;
          break;
        }
      error ("%s: %.*s", what, (int) (end - last), last);
    }
    else
      error ("%s: %s", what, last);
  }
  return out;
}
