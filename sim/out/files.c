/* Writing a run's files: summary.json, timeseries.csv, events.jsonl (history.jsonl and
 * charts/ when asked).
 *
 * A run folder is one unit: it is written whole under "<dir>.tmp.<pid>" beside it, and
 * then renamed over dir (the previous folder moved aside and deleted), so dir holds one
 * run's files or none, never a new summary beside an old history.jsonl or old charts.
 *
 * Each file (and every other file faultline writes: fl_file_write_atomic) is written to "<name>.tmp.<pid>" in the same directory, flushed, closed and
 * renamed over the final name, so a reader (or a crash) never sees a half-written file. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "out/files.h"
#include "scenario/result_int.h"

static fl_status write_summary(FILE *f, void *ctx)
{
    const fl_result *r = ctx;
    return fputs(r->summary_text, f) < 0 || fputc('\n', f) == EOF ? FL_IO : FL_OK;
}

static fl_status write_series(FILE *f, void *ctx)
{
    const fl_result *r = ctx;
    return fl_series_write_csv(r->series, f);
}

static fl_status write_history(FILE *f, void *ctx)
{
    const fl_result *r = ctx;
    return fl_history_write_jsonl(r->history, f);
}

static fl_status write_events(FILE *f, void *ctx)
{
    const fl_result *r = ctx;
    return fputs(r->events, f) < 0 ? FL_IO : FL_OK;
}

fl_status fl_file_write_atomic(const char *path, fl_file_writer fn, void *ctx, fl_error *e)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        fl_error_set(e, FL_IO, NULL, "cannot write %s: %s", path, strerror(errno));
        return FL_IO;
    }
    fl_status st = fn(f, ctx);
    int err = errno;
    if (st == FL_OK && (ferror(f) || fflush(f) != 0))
        st = FL_IO, err = errno;
    if (fclose(f) != 0 && st == FL_OK)
        st = FL_IO, err = errno;
    if (st == FL_OK && rename(tmp, path) != 0)
        st = FL_IO, err = errno;
    if (st != FL_OK) {
        remove(tmp);
        if (!e->msg[0]) /* the writer's own message, if it gave one, stays */
            fl_error_set(e, st, NULL, "cannot write %s: %s", path, strerror(err));
    }
    return st;
}

static fl_status atomic_write(const char *dir, const char *name, fl_file_writer fn,
                              const fl_result *r, fl_error *e)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return fl_file_write_atomic(path, fn, (void *)r, e);
}

/* mkdir -p */
static int make_dirs(const char *dir)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return -1;
    struct stat st;
    return stat(buf, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

/* rm -r of a folder faultline wrote (files and sub-folders, no symbolic link followed);
 * best effort: what cannot be removed stays. */
void fl__remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *de;
        while (d && (de = readdir(d))) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            char sub[4200];
            snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
            fl__remove_tree(sub);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else
        remove(path);
}

/* dir's staging name beside it: "<dir>.tmp.<pid>". */
static int staging_name(const char *dir, char *staged, size_t n)
{
    size_t k = strlen(dir);
    while (k > 1 && dir[k - 1] == '/')
        k--;
    return snprintf(staged, n, "%.*s.tmp.%ld", (int)k, dir, (long)getpid()) >= (int)n ? -1 : 0;
}

fl_status fl_result_stage(const fl_result *r, const char *dir, char *staged, size_t n,
                          fl_error *e)
{
    fl_error_clear(e);
    if (staging_name(dir, staged, n) != 0)
        return fl_error_set(e, FL_USAGE, NULL, "the output directory name is too long: %s", dir);
    fl__remove_tree(staged); /* a leftover of a process that had our pid */
    char parent[4200];
    snprintf(parent, sizeof parent, "%s", staged);
    char *slash = strrchr(parent, '/');
    if (slash && slash > parent) {
        *slash = 0;
        if (make_dirs(parent) != 0) {
            fl_error_set(e, FL_IO, NULL, "cannot create the output directory %s: %s", parent,
                         strerror(errno));
            return FL_IO;
        }
    }
    if (mkdir(staged, 0777) != 0) {
        fl_error_set(e, FL_IO, NULL, "cannot create the output directory %s: %s", staged,
                     strerror(errno));
        return FL_IO;
    }
    fl_status st = fl_result_write_files(r, staged, e);
    if (st != FL_OK)
        fl__remove_tree(staged);
    return st;
}

fl_status fl__dir_replace(const char *staged, const char *dir, fl_error *e)
{
    char old[4200];
    snprintf(old, sizeof old, "%s.old", staged);
    /* Move the previous folder aside (when there is one), the new one in, then delete the
     * previous one: at every moment dir is either the old folder whole, absent, or the new
     * one whole. */
    bool had = rename(dir, old) == 0;
    if (!had && errno != ENOENT) {
        int err = errno;
        fl__remove_tree(staged);
        return fl_error_set(e, FL_IO, NULL, "cannot replace %s: %s", dir, strerror(err));
    }
    if (rename(staged, dir) != 0) {
        int err = errno;
        if (had)
            rename(old, dir);
        fl__remove_tree(staged);
        return fl_error_set(e, FL_IO, NULL, "cannot write %s: %s", dir, strerror(err));
    }
    if (had)
        fl__remove_tree(old);
    return FL_OK;
}

fl_status fl_result_commit(const char *staged, const char *dir, fl_error *e)
{
    fl_error_clear(e);
    return fl__dir_replace(staged, dir, e);
}

void fl_result_discard(const char *staged) { fl__remove_tree(staged); }

fl_status fl_result_write(const fl_result *r, const char *dir, fl_error *e)
{
    char staged[4200];
    fl_status st = fl_result_stage(r, dir, staged, sizeof staged, e);
    return st != FL_OK ? st : fl_result_commit(staged, dir, e);
}

fl_status fl_result_write_files(const fl_result *r, const char *dir, fl_error *e)
{
    fl_error_clear(e);
    if (!r->summary_text || !r->events) /* a figures-only run: nothing to write (a bug) */
        return fl_error_set(e, FL_USAGE, NULL,
                            "a figures-only run has no files to write (run it without "
                            "figures_only)");
    if (make_dirs(dir) != 0) {
        fl_error_set(e, FL_IO, NULL, "cannot create the output directory %s: %s", dir,
                     strerror(errno));
        return FL_IO;
    }
    fl_status st;
    if ((st = atomic_write(dir, "timeseries.csv", write_series, r, e)) ||
        (st = atomic_write(dir, "events.jsonl", write_events, r, e)) ||
        (r->history && (st = atomic_write(dir, "history.jsonl", write_history, r, e))) ||
        (st = atomic_write(dir, "summary.json", write_summary, r, e)))
        return st;
    return FL_OK;
}

char *fl__file_read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? 2 * cap : 65536;
            char *nb = fl_realloc(buf, cap);
            if (!nb) {
                fl_free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        fl_free(buf);
        return NULL;
    }
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}
