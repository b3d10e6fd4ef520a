/* Status names and messages from the one X-macro table, and the caller-owned error. */
#include <faultline/faultline.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const names[] = {
#define FL__NAME(name, msg) #name,
    FL_STATUS_TABLE(FL__NAME)
#undef FL__NAME
};

static const char *const messages[] = {
#define FL__MSG(name, msg) msg,
    FL_STATUS_TABLE(FL__MSG)
#undef FL__MSG
};

#define NSTATUS (sizeof names / sizeof names[0])

const char *fl_status_name(fl_status s)
{
    return (unsigned)s < NSTATUS ? names[s] : "?";
}

const char *fl_strerror(fl_status s)
{
    return (unsigned)s < NSTATUS ? messages[s] : "unknown status";
}

void fl_error_clear(fl_error *e)
{
    memset(e, 0, sizeof *e);
}

fl_status fl_error_set(fl_error *e, fl_status s, const char *path, const char *fmt, ...)
{
    if (!e)
        return s;
    e->status = s;
    if (path)
        snprintf(e->path, sizeof e->path, "%s", path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return s;
}

int fl_error_format(const fl_error *e, char *buf, size_t n)
{
    char where[300] = "";
    if (e->file[0] && e->line > 0)
        snprintf(where, sizeof where, "%s:%d:%d: ", e->file, e->line, e->col);
    else if (e->file[0])
        snprintf(where, sizeof where, "%s: ", e->file);
    const char *msg = e->msg[0] ? e->msg : fl_strerror(e->status);
    int len = e->path[0] ? snprintf(buf, n, "%s%s: %s", where, e->path, msg)
                         : snprintf(buf, n, "%s%s", where, msg);
    /* One line, whatever a hostile file put into a key or a name: control characters
     * (a newline, an escape sequence) are shown as '?'. */
    for (char *c = buf; n && *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7F)
            *c = '?';
    return len;
}

#include "fl_config.h"

const char *fl_version(void) { return FL_VERSION; }
