/* Writing files so that a reader (or a crash) never sees a half-written one. */
#ifndef FL_OUT_FILES_H
#define FL_OUT_FILES_H

#include <stdio.h>
#include <faultline/status.h>

/* Writes the whole content into f; FL_OK, or an error (set in its own fl_error, if any). */
typedef fl_status (*fl_file_writer)(FILE *f, void *ctx);

/* Writes path through "<path>.tmp.<pid>" and a rename once fn succeeded and the data is
 * flushed; on any failure the temporary is removed and path is untouched. An i/o failure
 * is reported as "cannot write PATH: reason" in e. */
fl_status fl_file_write_atomic(const char *path, fl_file_writer fn, void *ctx, fl_error *e);

/* Reads the whole file at path into a NUL-terminated buffer (fl_malloc'd: the caller frees
 * it with fl_free); *len, when given, gets its length. NULL when the file is absent,
 * unreadable or memory runs out. */
char *fl__file_read_all(const char *path, size_t *len);

/* rm -r of a folder faultline wrote (no symbolic link followed); best effort. */
void fl__remove_tree(const char *path);
/* Replaces the folder dir with the folder staged (its sibling): the previous dir is moved
 * aside, staged renamed in, the previous one deleted; so dir is always one of the two
 * whole (or, between the renames, absent). On failure staged is deleted, dir kept. */
fl_status fl__dir_replace(const char *staged, const char *dir, fl_error *e);

#endif
