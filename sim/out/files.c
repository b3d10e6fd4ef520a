/* Writing a run's files: summary.json, timeseries.csv, events.jsonl.
 *
 * Each file (and every other file faultline writes: fl_file_write_atomic) is written to "<name>.tmp.<pid>" in the same directory, flushed, closed and
 * renamed over the final name, so a reader (or a crash) never sees a half-written file. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

fl_status fl_result_write(const fl_result *r, const char *dir, fl_error *e)
{
    fl_error_clear(e);
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
