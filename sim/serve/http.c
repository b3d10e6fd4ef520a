/* The dashboard's HTTP side: routes, the event loop, Server-Sent Events, shutdown.
 *
 *   GET  /                                the page (embedded)
 *   GET  /api/scenarios                   scenarios, variants, tunable parameters
 *   POST /api/runs                        {"scenario", "variant", "seed", "set"} -> {"id"}
 *   POST /api/compares                    {"scenario", "variants", "seeds", "set"} -> {"id"}
 *   GET  /api/runs/ID                     status, progress, the summary once done
 *   GET  /api/runs/ID/events              SSE: "event: lessons" (the live lesson charts:
 *                                         which columns, how drawn), one "data:" line per
 *                                         finished window, then "event: done"
 *   GET  /api/runs/ID/timeseries.csv | report.html | charts/{lesson,latency,goodput,nodes}.svg
 *   GET  /api/compares/ID[/events | /report.html | /compare.csv | /charts/NAME.svg]
 *                                         (its events: "status" with runs_done of runs)
 *
 * Every path a request can make the server read is built here from a job's own folder
 * (OUT/<id>, with ids the server generated) and a fixed file name: no part of a URL is
 * ever used as a path. Anything else is 404; a known route with the wrong method is 405.
 *
 * Who may ask (admit): a web page the user happens to open must not be able to use the
 * dashboard. Every request must be addressed to it (Host: localhost, 127.0.0.1, [::1] or
 * the address the client connected to, with the bound port; else 421), which defeats DNS
 * rebinding; a browser's Origin, when sent, must be one of those too (else 403); a POST
 * must say Content-Type: application/json (else 415), which a page on another site cannot
 * send without a preflight (OPTIONS), and that is refused. Every answer, errors included,
 * is JSON (or the file asked for). */
#include "serve/serve.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <faultline/run.h>

#include "core/alloc.h"
#include "fl_config.h"
#include "serve/catalog.h"
#include "serve/charts.h"
#include "serve/jobs.h"

#define MAX_BODY (64 * 1024)
#define MAX_HEADERS (16 * 1024)
#define MAX_SEED 9007199254740991.0 /* 2^53 - 1: every integer up to it is exact in JSON */
#define MAX_CONNS 256    /* open connections, by default */
#define FD_RESERVE 32    /* files kept free for the workers under the open-file limit */
#define PAUSE_MS 1000    /* new connections wait this long after accept() fails */
#define LOG_EVERY_S 10   /* at most one line per this many seconds about failing accept() */
#define MAX_JOBS 64      /* jobs kept; the oldest finished one is forgotten beyond */
#define MAX_SEEDS 20     /* per comparison */
#define MAX_VARIANTS 16
#define RETRY_AFTER "5"  /* seconds, with 429 */

typedef struct fl_server fl_server;

typedef struct sse_client {
    fl_server *srv;
    fl_job *job;
    struct evhttp_request *req;
    struct evhttp_connection *conn;
    struct event *timer;
    size_t next;            /* the next window to send */
    int sent_state;         /* the last state sent (-1 none) */
    int sent_done;          /* compare: the runs_done last sent */
    bool sent_lessons;      /* run: the "lessons" event went out */
    bool started;           /* pacing origin set */
    struct timespec t0;     /* when window 0 was sent */
    struct sse_client *prev, *next_c;
} sse_client;

struct fl_server {
    const fl_serve_config *cfg;
    FILE *log;
    struct event_base *base;
    struct evhttp *http;
    struct event *sig_int, *sig_term, *wake_ev;
    evutil_socket_t wake[2];
    fl_catalog cat;
    fl_pool pool;
    bool pool_started;
    fl_job *jobs; /* newest first */
    size_t njobs;
    unsigned long next_run, next_cmp;
    sse_client *clients;

    /* Connections (loop thread): counted from accept to close; at max_conns, or when
     * accept() fails (out of files), the listener pauses and new clients wait in the
     * kernel's queue instead of making the loop spin. */
    int port;                       /* the bound port */
    char addr[64];                  /* the bound address as a Host names it: "[::1]" */
    struct evconnlistener *listener;
    struct event *adopt_ev, *resume_ev;
    struct bufferevent **fresh;     /* accepted, not yet given a close callback */
    size_t nfresh, capfresh;
    void **conns;                   /* counted evhttp_connections, given conn_closed */
    size_t nconns, capconns;
    size_t max_conns;
    bool paused, backoff, stopping, rewriting;
    time_t accept_logged;           /* when the last line about accept() was logged */
    unsigned long accept_fails;     /* failures since then */
};

/* ---- replies -------------------------------------------------------------------------- */

static void headers(struct evhttp_request *req, const char *type)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", type);
    evhttp_add_header(h, "Cache-Control", "no-store");
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
}

static void reply(struct evhttp_request *req, int code, const char *reason, const char *type,
                  const char *body, size_t len)
{
    struct evbuffer *b = evbuffer_new();
    if (!b) {
        evhttp_send_error(req, 500, "out of memory");
        return;
    }
    headers(req, type);
    if (len)
        evbuffer_add(b, body, len);
    evhttp_send_reply(req, code, reason, b);
    evbuffer_free(b);
}

static void reply_json(struct evhttp_request *req, int code, const char *reason, const char *json)
{
    reply(req, code, reason, "application/json; charset=utf-8", json, strlen(json));
}

/* {"error": msg} */
static void reply_error(struct evhttp_request *req, int code, const char *reason,
                        const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    char *text = NULL;
    if (o && cJSON_AddStringToObject(o, "error", msg))
        text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (text)
        reply_json(req, code, reason, text);
    else
        evhttp_send_error(req, 500, "out of memory");
    cJSON_free(text);
}

static void not_found(struct evhttp_request *req)
{
    reply_error(req, 404, "Not Found", "no such resource");
}

static void bad_method(struct evhttp_request *req, const char *allow)
{
    evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
    reply_error(req, 405, "Method Not Allowed", "method not allowed here");
}

static bool is_get(struct evhttp_request *req)
{
    enum evhttp_cmd_type m = evhttp_request_get_command(req);
    return m == EVHTTP_REQ_GET || m == EVHTTP_REQ_HEAD;
}

/* A file of a job's folder. */
static void reply_file(struct evhttp_request *req, const char *path, const char *type)
{
    FILE *f = fopen(path, "rb");
    struct evbuffer *b = evbuffer_new();
    if (!f || !b) {
        if (f)
            fclose(f);
        if (b)
            evbuffer_free(b);
        reply_error(req, 404, "Not Found", "this file is not there (yet)");
        return;
    }
    char chunk[16384];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        evbuffer_add(b, chunk, got);
    fclose(f);
    headers(req, type);
    evhttp_send_reply(req, 200, "OK", b);
    evbuffer_free(b);
}

/* ---- who may ask ---------------------------------------------------------------------- */

/* The address this connection reached, as a Host header names it ("127.0.0.1", "[::1]"). */
static bool local_addr(struct evhttp_request *req, char *buf, size_t n)
{
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    struct bufferevent *bev = conn ? evhttp_connection_get_bufferevent(conn) : NULL;
    evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char ip[INET6_ADDRSTRLEN];
    if (fd < 0 || getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
        return false;
    if (ss.ss_family == AF_INET &&
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof ip))
        snprintf(buf, n, "%s", ip);
    else if (ss.ss_family == AF_INET6 &&
             inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip, sizeof ip))
        snprintf(buf, n, "[%s]", ip);
    else
        return false;
    return true;
}

/* Whether "host[:port]" (a Host header, an Origin without its scheme) names this server:
 * a loopback name, the bound address or the address the client reached, and the bound
 * port (which may be left out only when it is 80). */
static bool own_authority(fl_server *s, struct evhttp_request *req, const char *a)
{
    size_t len = strlen(a), hl;
    const char *colon;
    if (a[0] == '[') {
        const char *close = strchr(a, ']');
        if (!close)
            return false;
        hl = (size_t)(close - a) + 1;
        colon = close[1] == ':' ? close + 1 : close[1] ? a : NULL;
        if (colon == a)
            return false;
    } else {
        colon = strchr(a, ':');
        hl = colon ? (size_t)(colon - a) : len;
        if (colon && strchr(colon + 1, ':'))
            return false;
    }
    if (colon) {
        const char *p = colon + 1;
        long port = 0;
        if (!*p || strlen(p) > 5)
            return false;
        for (; *p; p++) {
            if (*p < '0' || *p > '9')
                return false;
            port = port * 10 + (*p - '0');
        }
        if (port != s->port)
            return false;
    } else if (s->port != 80) {
        return false;
    }
    char conn_addr[64] = "";
    local_addr(req, conn_addr, sizeof conn_addr);
    const char *names[] = {"localhost", "127.0.0.1", "[::1]", s->addr, conn_addr};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (names[i][0] && strlen(names[i]) == hl && strncasecmp(a, names[i], hl) == 0)
            return true;
    return false;
}

/* The one value of header `name`; NULL when absent; *many when it comes more than once. */
static const char *one_header(struct evhttp_request *req, const char *name, bool *many)
{
    const char *v = NULL;
    int n = 0;
    for (struct evkeyval *h = evhttp_request_get_input_headers(req)->tqh_first; h;
         h = h->next.tqe_next)
        if (strcasecmp(h->key, name) == 0 && n++ == 0)
            v = h->value;
    *many = n > 1;
    return v;
}

/* Answers 400/421/403 and returns false unless the request is addressed to this server
 * and, when a browser says which page sent it, comes from the dashboard's own page. A
 * request without Host (HTTP/1.0) or without Origin (not from a page's script, or a
 * same-origin GET) is admitted: a browser always sends Host, and Origin on every
 * cross-origin request and every POST. */
static bool admit(fl_server *s, struct evhttp_request *req)
{
    char msg[700], own[96];
    bool many_host, many_origin;
    const char *host = one_header(req, "Host", &many_host);
    const char *origin = one_header(req, "Origin", &many_origin);
    snprintf(own, sizeof own, "http://%s:%d/", strcmp(s->addr, "0.0.0.0") && strcmp(s->addr, "[::]")
                                                   ? s->addr : "127.0.0.1", s->port);
    if (many_host || many_origin) {
        snprintf(msg, sizeof msg, "more than one %s header: send one",
                 many_host ? "Host" : "Origin");
        reply_error(req, 400, "Bad Request", msg);
        return false;
    }
    if (host && !own_authority(s, req, host)) {
        bool named = !strcmp(s->addr, "127.0.0.1") || !strcmp(s->addr, "[::1]");
        snprintf(msg, sizeof msg,
                 "Host \"%.100s\" is not this dashboard's address: it answers only requests "
                 "addressed to localhost, 127.0.0.1%s%s or [::1] with port %d, so that a web "
                 "page under another name cannot use it (DNS rebinding); open %s instead",
                 host, named ? "" : ", ", named ? "" : s->addr, s->port, own);
        reply_error(req, 421, "Misdirected Request", msg);
        return false;
    }
    if (origin && (strncasecmp(origin, "http://", 7) != 0 || !own_authority(s, req, origin + 7))) {
        snprintf(msg, sizeof msg,
                 "requests from the page at \"%.100s\" are refused: only the dashboard's own "
                 "page (%s) may use its API from a browser; open the dashboard there, or call "
                 "the API from a program (which sends no Origin header)",
                 origin, own);
        reply_error(req, 403, "Forbidden", msg);
        return false;
    }
    return true;
}

/* Whether a POST says its body is JSON ("application/json", parameters allowed); else 415. */
static bool json_body(struct evhttp_request *req)
{
    const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
    const char *t = ct ? ct : "";
    while (*t == ' ' || *t == '\t')
        t++;
    size_t n = strcspn(t, " \t;");
    if (n == 16 && strncasecmp(t, "application/json", 16) == 0)
        return true;
    char msg[300];
    snprintf(msg, sizeof msg,
             "Content-Type must be application/json (got %s%.60s%s): send the body as JSON with "
             "the header Content-Type: application/json",
             ct ? "\"" : "", ct ? ct : "none", ct ? "\"" : "");
    reply_error(req, 415, "Unsupported Media Type", msg);
    return false;
}

/* ---- jobs: lookup, status ------------------------------------------------------------- */

static const char *const state_names[] = {"queued", "running", "done", "failed"};

/* "r12" / "c3": the kind's letter, then a number without leading zeros. */
static fl_job *find_job(fl_server *s, fl_job_kind kind, const char *id, size_t len)
{
    if (len < 2 || len > 12 || id[0] != (kind == FL_JOB_RUN ? 'r' : 'c') || id[1] == '0')
        return NULL;
    unsigned long n = 0;
    for (size_t i = 1; i < len; i++) {
        if (id[i] < '0' || id[i] > '9')
            return NULL;
        n = n * 10 + (unsigned long)(id[i] - '0');
    }
    for (fl_job *j = s->jobs; j; j = j->next_all)
        if (j->kind == kind && j->id == n)
            return j;
    return NULL;
}

/* The job's state and shared fields, copied under the lock. */
static fl_job_state job_state(fl_server *s, fl_job *j, double *progress, size_t *nwin)
{
    pthread_mutex_lock(&s->pool.mu);
    fl_job_state st = j->state;
    if (progress)
        *progress = j->progress;
    if (nwin)
        *nwin = j->nwindows;
    pthread_mutex_unlock(&s->pool.mu);
    return st;
}

static void add_strings(cJSON *o, const char *key, char *const *v, size_t n)
{
    cJSON *a = cJSON_AddArrayToObject(o, key);
    for (size_t i = 0; i < n && a; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
}

static void get_job(fl_server *s, struct evhttp_request *req, fl_job *j)
{
    if (j->final_json) {
        reply_json(req, 200, "OK", j->final_json);
        return;
    }
    double progress;
    size_t nwin;
    fl_job_state st = job_state(s, j, &progress, &nwin);
    bool run = j->kind == FL_JOB_RUN;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", j->name);
    cJSON_AddStringToObject(o, "kind", run ? "run" : "compare");
    cJSON_AddStringToObject(o, "scenario", fl_scenario_name(j->scen->sc));
    if (run) {
        cJSON_AddStringToObject(o, "variant", j->variant);
        cJSON_AddNumberToObject(o, "seed", (double)j->seed);
    } else {
        add_strings(o, "variants", j->variants, j->nvariants);
        cJSON_AddNumberToObject(o, "seeds", j->seeds);
    }
    add_strings(o, "set", j->sets, j->nsets);
    cJSON_AddStringToObject(o, "status", state_names[st]);
    cJSON_AddNumberToObject(o, "progress", st == FL_JOB_DONE ? 1 : progress);
    if (run)
        cJSON_AddNumberToObject(o, "windows", (double)nwin);
    char base[64];
    snprintf(base, sizeof base, "/api/%s/%s", run ? "runs" : "compares", j->name);
    cJSON_AddStringToObject(o, "events", base); /* completed below */
    char url[128];
    snprintf(url, sizeof url, "%s/events", base);
    cJSON_ReplaceItemInObject(o, "events", cJSON_CreateString(url));
    if (st == FL_JOB_DONE) {
        cJSON *files = cJSON_AddObjectToObject(o, "files");
        snprintf(url, sizeof url, "%s/report.html", base);
        cJSON_AddStringToObject(files, "report", url);
        snprintf(url, sizeof url, "%s/%s", base, run ? "timeseries.csv" : "compare.csv");
        cJSON_AddStringToObject(files, run ? "timeseries" : "csv", url);
        cJSON *charts = cJSON_AddArrayToObject(files, "charts");
        /* every chart the server can draw for this kind of job, the lesson first */
        static const char *const names[] = {"lesson", "goodput", "latency", "nodes"};
        for (int i = 0; i < 4; i++) {
            if (fl_serve_chart_index(names[i], !run) < 0)
                continue;
            snprintf(url, sizeof url, "%s/charts/%s.svg", base, names[i]);
            cJSON_AddItemToArray(charts, cJSON_CreateString(url));
        }
        /* result is written once before DONE and never changed: safe to read unlocked */
        cJSON *res = cJSON_Parse(j->result);
        if (res)
            cJSON_AddItemToObject(o, run ? "summary" : "compare", res);
        /* the lesson charts' events and spans, for the page to mark on its own charts */
        cJSON *les = run && j->lessons_final ? cJSON_Parse(j->lessons_final) : NULL;
        if (les)
            cJSON_AddItemToObject(o, "lessons", les);
    } else if (st == FL_JOB_FAILED) {
        pthread_mutex_lock(&s->pool.mu);
        cJSON_AddStringToObject(o, "error", j->error);
        pthread_mutex_unlock(&s->pool.mu);
    }
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text) {
        reply_error(req, 500, "Internal Server Error", "out of memory");
        return;
    }
    reply_json(req, 200, "OK", text);
    if (st == FL_JOB_DONE || st == FL_JOB_FAILED)
        j->final_json = text; /* it will not change any more */
    else
        cJSON_free(text);
}

static void get_chart(fl_server *s, struct evhttp_request *req, fl_job *j, const char *name,
                      size_t len)
{
    char nm[32];
    if (len < 5 || len > 20 || strcmp(name + len - 4, ".svg") != 0) {
        not_found(req);
        return;
    }
    snprintf(nm, sizeof nm, "%.*s", (int)(len - 4), name);
    int idx = fl_serve_chart_index(nm, j->kind == FL_JOB_COMPARE);
    if (idx < 0) {
        not_found(req);
        return;
    }
    if (job_state(s, j, NULL, NULL) != FL_JOB_DONE) {
        reply_error(req, 409, "Conflict", "the job has not finished: no chart yet");
        return;
    }
    if (!j->charts[idx]) {
        char *text = NULL;
        size_t tl = 0;
        FILE *f = open_memstream(&text, &tl);
        if (!f) {
            reply_error(req, 500, "Internal Server Error", "out of memory");
            return;
        }
        char stamp[512];
        if (j->kind == FL_JOB_RUN)
            snprintf(stamp, sizeof stamp, "%s / %s / seed %llu / faultline %s",
                     fl_scenario_name(j->scen->sc), j->variant, (unsigned long long)j->seed,
                     FL_VERSION);
        else
            snprintf(stamp, sizeof stamp, "%s / %zu variants / seeds 1-%d / faultline %s",
                     fl_scenario_name(j->scen->sc), j->nvariants, j->seeds, FL_VERSION);
        fl_status st = fl_serve_chart_for(f, j->dir, idx, j->scen->sc,
                                      j->kind == FL_JOB_RUN ? NULL
                                                            : (const char *const *)j->variants,
                                      j->nvariants, j->seeds, stamp);
        fclose(f);
        if (st != FL_OK || !text) {
            free(text);
            reply_error(req, 500, "Internal Server Error", "cannot draw this chart");
            return;
        }
        j->charts[idx] = fl_strdup(text);
        free(text);
        if (!j->charts[idx]) {
            reply_error(req, 500, "Internal Server Error", "out of memory");
            return;
        }
    }
    reply(req, 200, "OK", "image/svg+xml; charset=utf-8", j->charts[idx], strlen(j->charts[idx]));
}

/* ---- Server-Sent Events --------------------------------------------------------------- */

static void conn_closed(struct evhttp_connection *conn, void *arg);

static void sse_free(sse_client *c)
{
    if (c->timer)
        event_free(c->timer);
    if (c->prev)
        c->prev->next_c = c->next_c;
    else
        c->srv->clients = c->next_c;
    if (c->next_c)
        c->next_c->prev = c->prev;
    c->job->watchers--;
    fl_free(c);
}

static void sse_closed(sse_client *c)
{
    /* The client went away. libevent 2.1 detaches a request its handler has not finished
     * from the failed connection and leaves it to us: ending a detached request frees it. */
    if (!evhttp_request_get_connection(c->req))
        evhttp_send_reply_end(c->req);
    sse_free(c);
}

static double since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Sends what is due; ends the stream after the last window of a finished job. */
static void sse_pump(sse_client *c)
{
    fl_server *s = c->srv;
    fl_job *j = c->job;
    double rt = s->cfg->realtime;
    double win = fl_time_to_s(j->scen->window);
    struct evbuffer *out = evbuffer_new();
    if (!out)
        return;
    double wait = -1;
    pthread_mutex_lock(&s->pool.mu);
    fl_job_state st = j->state;
    size_t avail = j->nwindows;
    if (c->next < avail && !c->started) {
        c->started = true;
        clock_gettime(CLOCK_MONOTONIC, &c->t0);
    }
    if (!c->sent_lessons && j->lessons && c->next < avail) {
        /* before window 0: what the live lesson charts draw from the windows */
        evbuffer_add_printf(out, "event: lessons\ndata: %s\n\n", j->lessons);
        c->sent_lessons = true;
    }
    while (c->next < avail) {
        if (rt > 0) {
            /* window i is due (i * window) / realtime after window 0 was sent */
            double due = (double)c->next * win / rt, now = since(&c->t0);
            if (due > now) {
                wait = due - now;
                break;
            }
        }
        evbuffer_add_printf(out, "data: %s\n\n", j->windows[c->next]);
        c->next++;
    }
    bool ended = (st == FL_JOB_DONE || st == FL_JOB_FAILED) && c->next == avail;
    bool cmp = j->kind == FL_JOB_COMPARE;
    /* a comparison's count goes out even when it ended (every stream of it ends with its
     * runs_done of runs); otherwise a state already ended is said by "done" alone */
    if (((int)st != c->sent_state && !ended) || (cmp && j->runs_done != c->sent_done)) {
        if (cmp) /* a comparison's progress: its runs done, of how many */
            evbuffer_add_printf(out, "event: status\ndata: {\"status\":\"%s\",\"progress\":%.3f,"
                                "\"runs_done\":%d,\"runs\":%d}\n\n", state_names[st], j->progress,
                                j->runs_done, (int)j->nvariants * j->seeds);
        else
            evbuffer_add_printf(out, "event: status\ndata: {\"status\":\"%s\",\"progress\":%.3f}\n\n",
                                state_names[st], j->progress);
        c->sent_state = (int)st;
        c->sent_done = j->runs_done;
    }
    char *err = NULL;
    if (ended && st == FL_JOB_FAILED) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "status", "failed");
        cJSON_AddStringToObject(o, "error", j->error);
        err = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
    }
    pthread_mutex_unlock(&s->pool.mu);
    if (ended) {
        evbuffer_add_printf(out, "event: done\ndata: %s\n\n",
                            err ? err : "{\"status\":\"done\"}");
        cJSON_free(err);
    }
    if (evbuffer_get_length(out))
        evhttp_send_reply_chunk(c->req, out);
    evbuffer_free(out);
    if (ended) {
        evhttp_send_reply_end(c->req);
        sse_free(c);
        return;
    }
    if (wait >= 0) {
        struct timeval tv = {(time_t)wait, (suseconds_t)((wait - floor(wait)) * 1e6)};
        evtimer_add(c->timer, &tv);
    }
}

static void sse_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    sse_pump(arg);
}

static void get_events(fl_server *s, struct evhttp_request *req, fl_job *j)
{
    sse_client *c = fl_calloc(1, sizeof *c);
    if (!c) {
        reply_error(req, 500, "Internal Server Error", "out of memory");
        return;
    }
    c->srv = s;
    c->job = j;
    c->req = req;
    c->conn = evhttp_request_get_connection(req);
    c->sent_state = -1;
    if (!(c->timer = evtimer_new(s->base, sse_timer, c))) {
        fl_free(c);
        reply_error(req, 500, "Internal Server Error", "out of memory");
        return;
    }
    c->next_c = s->clients;
    if (s->clients)
        s->clients->prev = c;
    s->clients = c;
    j->watchers++;
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", "text/event-stream; charset=utf-8");
    evhttp_add_header(h, "Cache-Control", "no-store");
    evhttp_add_header(h, "X-Accel-Buffering", "no");
    /* usually set already (on_adopt); here too for a connection that was not counted */
    evhttp_connection_set_closecb(c->conn, conn_closed, s);
    evhttp_send_reply_start(req, 200, "OK");
    sse_pump(c);
}

/* The workers published something: pass it on to the streams. */
static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    fl_server *s = arg;
    char buf[256];
    while (recv(fd, buf, sizeof buf, 0) > 0)
        ;
    fl_pool_woken(&s->pool);
    for (sse_client *c = s->clients, *next; c; c = next) {
        next = c->next_c; /* sse_pump may free c */
        if (!evtimer_pending(c->timer, NULL))
            sse_pump(c);
    }
}

/* ---- creating jobs -------------------------------------------------------------------- */

/* The body as a JSON object, or NULL after answering 400. */
static cJSON *read_body(struct evhttp_request *req)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    if (len > MAX_BODY) { /* libevent refuses it first; this is a second fence */
        reply_error(req, 413, "Payload Too Large", "the body is larger than 64 KiB: send less");
        return NULL;
    }
    char *text = fl_malloc(len + 1);
    if (!text) {
        reply_error(req, 500, "Internal Server Error", "out of memory");
        return NULL;
    }
    evbuffer_copyout(in, text, len);
    text[len] = 0;
    cJSON *o = cJSON_ParseWithLength(text, len);
    fl_free(text);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        reply_error(req, 400, "Bad Request", "the body must be a JSON object");
        return NULL;
    }
    return o;
}

static bool only_keys(struct evhttp_request *req, const cJSON *o, const char *const *keys)
{
    for (const cJSON *it = o->child; it; it = it->next) {
        bool ok = false;
        for (size_t i = 0; keys[i] && !ok; i++)
            ok = strcmp(it->string, keys[i]) == 0;
        if (!ok) {
            char msg[400], list[200] = "";
            for (size_t i = 0, w = 0; keys[i]; i++)
                w += (size_t)snprintf(list + w, sizeof list - w, "%s%s", i ? ", " : "", keys[i]);
            snprintf(msg, sizeof msg, "unknown key \"%.100s\" (expected: %s)", it->string, list);
            reply_error(req, 400, "Bad Request", msg);
            return false;
        }
    }
    return true;
}

static void fail_400(struct evhttp_request *req, const fl_error *e)
{
    char msg[1400];
    fl_error_format(e, msg, sizeof msg);
    reply_error(req, 400, "Bad Request", msg);
}

/* Checks a variant and overrides the way `faultline run` would, by building the model
 * (a run stopped after its first event): the same message as the command line. */
static bool check_run(struct evhttp_request *req, const fl_scenario *sc, const char *variant,
                      char *const *sets, size_t nsets)
{
    fl_run_config cfg = {0};
    cfg.variant = variant;
    cfg.sets = (const char *const *)sets;
    cfg.nsets = nsets;
    cfg.max_events = 1;
    fl_result *r = NULL;
    fl_error e;
    fl_status st = fl_run(sc, &cfg, &r, &e);
    fl_result_free(r);
    if (r || st == FL_LIMIT || st == FL_OK)
        return true;
    if (st == FL_NOMEM) {
        reply_error(req, 500, "Internal Server Error", "out of memory");
        return false;
    }
    fail_400(req, &e);
    return false;
}

/* The scenario named in the body, or NULL after answering 400/404. */
static const fl_catalog_entry *body_scenario(fl_server *s, struct evhttp_request *req,
                                             const cJSON *o)
{
    const cJSON *sn = cJSON_GetObjectItemCaseSensitive(o, "scenario");
    if (!cJSON_IsString(sn)) {
        reply_error(req, 400, "Bad Request",
                    "scenario: expected the name of a scenario (GET /api/scenarios lists them)");
        return NULL;
    }
    const fl_catalog_entry *ce = fl_catalog_find(&s->cat, sn->valuestring);
    if (!ce) {
        char msg[400];
        snprintf(msg, sizeof msg, "no scenario named \"%.200s\" (GET /api/scenarios lists them)",
                 sn->valuestring);
        reply_error(req, 404, "Not Found", msg);
    }
    return ce;
}

/* Forgets the oldest finished jobs nobody watches, beyond MAX_JOBS, and their folders. */
static void evict(fl_server *s)
{
    while (s->njobs > MAX_JOBS) {
        fl_job *victim = NULL, **vlink = NULL;
        for (fl_job **l = &s->jobs; *l; l = &(*l)->next_all) {
            fl_job_state st = job_state(s, *l, NULL, NULL);
            if ((st == FL_JOB_DONE || st == FL_JOB_FAILED) && (*l)->watchers == 0) {
                victim = *l; /* keep going: the last match is the oldest */
                vlink = l;
            }
        }
        if (!victim)
            return;
        *vlink = victim->next_all;
        s->njobs--;
        fl_serve_rmtree(victim->dir);
        fl_job_free(victim);
    }
}

static void submit(fl_server *s, struct evhttp_request *req, fl_job *j)
{
    unsigned long *counter = j->kind == FL_JOB_RUN ? &s->next_run : &s->next_cmp;
    /* A new folder, made here: a name some other server (or an earlier start) took is
     * skipped, never written into. */
    for (int tries = 0;; tries++) {
        j->id = ++*counter;
        snprintf(j->name, sizeof j->name, "%c%lu", j->kind == FL_JOB_RUN ? 'r' : 'c', j->id);
        snprintf(j->dir, sizeof j->dir, "%s/%s", s->cfg->out_dir, j->name);
        if (mkdir(j->dir, 0777) == 0)
            break;
        if (errno != EEXIST || tries == 1000) {
            char msg[300];
            snprintf(msg, sizeof msg, "cannot create the output folder %s: %s", j->name,
                     strerror(errno));
            fl_job_free(j);
            reply_error(req, 500, "Internal Server Error", msg);
            return;
        }
    }
    j->window_s = fl_time_to_s(j->scen->window);
    if (fl_pool_submit(&s->pool, j)) {
        rmdir(j->dir);
        --*counter;
        fl_job_free(j);
        evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", RETRY_AFTER);
        reply_error(req, 429, "Too Many Requests",
                    "the queue of pending runs is full; try again in a few seconds");
        return;
    }
    j->next_all = s->jobs;
    s->jobs = j;
    s->njobs++;
    evict(s);
    char body[128], loc[96];
    snprintf(body, sizeof body, "{\"id\":\"%s\"}", j->name);
    snprintf(loc, sizeof loc, "/api/%s/%s", j->kind == FL_JOB_RUN ? "runs" : "compares", j->name);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Location", loc);
    reply_json(req, 202, "Accepted", body);
}

static void post_run(fl_server *s, struct evhttp_request *req)
{
    static const char *const keys[] = {"scenario", "variant", "seed", "set", NULL};
    cJSON *o = read_body(req);
    if (!o)
        return;
    fl_job *j = NULL;
    const fl_catalog_entry *ce;
    if (!only_keys(req, o, keys) || !(ce = body_scenario(s, req, o)))
        goto out;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "variant");
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(o, "seed");
    if (v && !cJSON_IsString(v)) {
        reply_error(req, 400, "Bad Request", "variant: expected a string");
        goto out;
    }
    if (seed && (!cJSON_IsNumber(seed) || seed->valuedouble < 0 ||
                 seed->valuedouble != floor(seed->valuedouble) || seed->valuedouble > MAX_SEED)) {
        /* a JSON number above 2^53 - 1 may already have lost digits: refused, not rounded */
        char *t = cJSON_PrintUnformatted(seed);
        char msg[300], num[64];
        const char *got = t ? t : "?";
        if (cJSON_IsNumber(seed)) { /* every digit it holds, not cJSON's 15 */
            snprintf(num, sizeof num, "%.17g", seed->valuedouble);
            got = num;
        }
        snprintf(msg, sizeof msg,
                 "seed: expected an integer from 0 to 9007199254740991 (2^53 - 1; larger JSON "
                 "numbers lose digits; use `faultline run --seed` for those), got %.100s",
                 got);
        cJSON_free(t);
        reply_error(req, 400, "Bad Request", msg);
        goto out;
    }
    fl_error e;
    fl_error_clear(&e);
    if (!(j = fl_calloc(1, sizeof *j)) ||
        !(j->variant = fl_strdup(v ? v->valuestring : "baseline"))) {
        reply_error(req, 500, "Internal Server Error", "out of memory");
        goto out;
    }
    j->kind = FL_JOB_RUN;
    j->scen = ce;
    j->seed = seed ? (uint64_t)seed->valuedouble : fl_scenario_seed(ce->sc);
    if (fl_catalog_sets(ce, cJSON_GetObjectItemCaseSensitive(o, "set"), &j->sets, &j->nsets,
                        &e)) {
        fail_400(req, &e);
        goto out;
    }
    if (!check_run(req, ce->sc, j->variant, j->sets, j->nsets))
        goto out;
    submit(s, req, j);
    j = NULL;
out:
    fl_job_free(j);
    cJSON_Delete(o);
}

static void post_compare(fl_server *s, struct evhttp_request *req)
{
    static const char *const keys[] = {"scenario", "variants", "seeds", "set", NULL};
    cJSON *o = read_body(req);
    if (!o)
        return;
    fl_job *j = NULL;
    const fl_catalog_entry *ce;
    if (!only_keys(req, o, keys) || !(ce = body_scenario(s, req, o)))
        goto out;
    const cJSON *vs = cJSON_GetObjectItemCaseSensitive(o, "variants");
    const cJSON *seeds = cJSON_GetObjectItemCaseSensitive(o, "seeds");
    size_t nv = vs ? (size_t)cJSON_GetArraySize(vs) : fl_scenario_variant_count(ce->sc) + 1;
    if (vs && (!cJSON_IsArray(vs) || nv < 1 || nv > MAX_VARIANTS)) {
        reply_error(req, 400, "Bad Request",
                    "variants: expected a list of 1 to 16 variant names, the first the reference");
        goto out;
    }
    if (seeds && (!cJSON_IsNumber(seeds) || seeds->valuedouble != floor(seeds->valuedouble) ||
                  seeds->valuedouble < 2 || seeds->valuedouble > MAX_SEEDS)) {
        char *t = cJSON_PrintUnformatted(seeds);
        char msg[300];
        snprintf(msg, sizeof msg,
                 "seeds: expected 2 to %d (an interval needs at least 2), got %.100s", MAX_SEEDS,
                 t ? t : "?");
        cJSON_free(t);
        reply_error(req, 400, "Bad Request", msg);
        goto out;
    }
    if (nv > MAX_VARIANTS)
        nv = MAX_VARIANTS;
    if (!(j = fl_calloc(1, sizeof *j)) || !(j->variants = fl_calloc(nv, sizeof *j->variants))) {
        reply_error(req, 500, "Internal Server Error", "out of memory");
        goto out;
    }
    j->kind = FL_JOB_COMPARE;
    j->scen = ce;
    j->seeds = seeds ? (int)seeds->valuedouble : 5;
    for (size_t i = 0; i < nv; i++) {
        const char *name = i == 0 ? "baseline" : fl_scenario_variant_name(ce->sc, i - 1);
        if (vs) {
            const cJSON *it = cJSON_GetArrayItem(vs, (int)i);
            if (!cJSON_IsString(it)) {
                reply_error(req, 400, "Bad Request", "variants: expected variant names (strings)");
                goto out;
            }
            name = it->valuestring;
            for (size_t k = 0; k < i; k++)
                if (strcmp(j->variants[k], name) == 0) {
                    char msg[300];
                    snprintf(msg, sizeof msg, "variants: \"%.100s\" is listed twice", name);
                    reply_error(req, 400, "Bad Request", msg);
                    goto out;
                }
        }
        if (!(j->variants[i] = fl_strdup(name))) {
            reply_error(req, 500, "Internal Server Error", "out of memory");
            goto out;
        }
        j->nvariants++;
    }
    fl_error e;
    fl_error_clear(&e);
    if (fl_catalog_sets(ce, cJSON_GetObjectItemCaseSensitive(o, "set"), &j->sets, &j->nsets,
                        &e)) {
        fail_400(req, &e);
        goto out;
    }
    for (size_t i = 0; i < j->nvariants; i++)
        if (!check_run(req, ce->sc, j->variants[i], j->sets, j->nsets))
            goto out;
    submit(s, req, j);
    j = NULL;
out:
    fl_job_free(j);
    cJSON_Delete(o);
}

/* ---- routing -------------------------------------------------------------------------- */

static bool eq(const char *a, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(a, lit, len) == 0;
}

/* /api/runs/ID[/rest] and /api/compares/ID[/rest] */
static void job_route(fl_server *s, struct evhttp_request *req, fl_job_kind kind, const char *p)
{
    const char *slash = strchr(p, '/');
    size_t idlen = slash ? (size_t)(slash - p) : strlen(p);
    fl_job *j = find_job(s, kind, p, idlen);
    const char *rest = slash ? slash + 1 : NULL;
    size_t rl = rest ? strlen(rest) : 0;
    bool run = kind == FL_JOB_RUN;
    if (!j) {
        not_found(req);
        return;
    }
    /* which route, before the method: a known route with a wrong method is 405 */
    enum { R_NONE, R_STATUS, R_EVENTS, R_CSV, R_REPORT, R_CHART } r = R_NONE;
    if (!rest)
        r = R_STATUS;
    else if (eq(rest, rl, "events"))
        r = R_EVENTS;
    else if (eq(rest, rl, run ? "timeseries.csv" : "compare.csv"))
        r = R_CSV;
    else if (eq(rest, rl, "report.html"))
        r = R_REPORT;
    else if (rl > 7 && memcmp(rest, "charts/", 7) == 0 && !strchr(rest + 7, '/'))
        r = R_CHART;
    if (r == R_NONE) {
        not_found(req);
        return;
    }
    if (!is_get(req)) {
        bad_method(req, "GET, HEAD");
        return;
    }
    char path[4200];
    switch (r) {
    case R_STATUS:
        get_job(s, req, j);
        break;
    case R_EVENTS:
        get_events(s, req, j);
        break;
    case R_CSV:
    case R_REPORT:
        if (job_state(s, j, NULL, NULL) != FL_JOB_DONE) {
            reply_error(req, 409, "Conflict", "the job has not finished: no files yet");
            break;
        }
        snprintf(path, sizeof path, "%s/%s", j->dir,
                 r == R_REPORT ? "report.html" : run ? "timeseries.csv" : "compare.csv");
        reply_file(req, path, r == R_REPORT ? "text/html; charset=utf-8"
                                            : "text/csv; charset=utf-8");
        break;
    case R_CHART:
        get_chart(s, req, j, rest + 7, rl - 7);
        break;
    case R_NONE:
        break;
    }
}

static void route(struct evhttp_request *req, void *arg)
{
    fl_server *s = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *p = uri ? evhttp_uri_get_path(uri) : NULL;
    enum evhttp_cmd_type m = evhttp_request_get_command(req);
    if (!admit(s, req))
        return;
    if (!p) {
        not_found(req);
        return;
    }
    if (strcmp(p, "/") == 0 || strcmp(p, "/index.html") == 0) {
        if (!is_get(req)) {
            bad_method(req, "GET, HEAD");
            return;
        }
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Security-Policy",
                          "default-src 'self'; script-src 'unsafe-inline'; "
                          "style-src 'unsafe-inline'; img-src 'self' data:; "
                          "connect-src 'self'; base-uri 'none'; form-action 'none'");
        reply(req, 200, "OK", "text/html; charset=utf-8", fl_serve_page, fl_serve_page_len);
    } else if (strcmp(p, "/api/scenarios") == 0) {
        if (!is_get(req))
            bad_method(req, "GET, HEAD");
        else
            reply_json(req, 200, "OK", s->cat.json);
    } else if (strcmp(p, "/api/runs") == 0 || strcmp(p, "/api/compares") == 0) {
        if (m != EVHTTP_REQ_POST)
            bad_method(req, "POST");
        else if (!json_body(req))
            return;
        else if (p[5] == 'r')
            post_run(s, req);
        else
            post_compare(s, req);
    } else if (strncmp(p, "/api/runs/", 10) == 0) {
        job_route(s, req, FL_JOB_RUN, p + 10);
    } else if (strncmp(p, "/api/compares/", 14) == 0) {
        job_route(s, req, FL_JOB_COMPARE, p + 14);
    } else {
        not_found(req);
    }
}

/* ---- connections ---------------------------------------------------------------------- */

static size_t open_conns(const fl_server *s)
{
    return s->nconns + s->nfresh;
}

/* Stops accepting for ms (0: until a connection closes). */
static void pause_listener(fl_server *s, int ms)
{
    if (!s->listener)
        return;
    if (!s->paused)
        evconnlistener_disable(s->listener);
    s->paused = true;
    if (ms > 0) {
        struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
        s->backoff = true;
        evtimer_add(s->resume_ev, &tv);
    }
}

static void maybe_resume(fl_server *s)
{
    if (s->paused && !s->backoff && !s->stopping && open_conns(s) < s->max_conns) {
        evconnlistener_enable(s->listener);
        s->paused = false;
    }
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    fl_server *s = arg;
    s->backoff = false;
    maybe_resume(s);
}

static void on_wake(evutil_socket_t fd, short what, void *arg);

/* event_base_foreach_event: the server is the argument of its wake-up event. */
static int find_server(const struct event_base *base, const struct event *ev, void *arg)
{
    (void)base;
    if (event_get_callback(ev) != on_wake)
        return 0;
    *(fl_server **)arg = event_get_callback_arg(ev);
    return 1;
}

/* accept() failed for a reason other than "try again": nearly always EMFILE/ENFILE (out of
 * file descriptors). Retrying at once would spin (the pending connection stays ready), so
 * new connections wait PAUSE_MS, and one line at most every LOG_EVERY_S says so. libevent
 * passes evhttp's argument, not ours: the server is found through its wake-up event. */
static void on_accept_error(struct evconnlistener *l, void *arg)
{
    (void)arg;
    int err = EVUTIL_SOCKET_ERROR();
    fl_server *s = NULL;
    event_base_foreach_event(evconnlistener_get_base(l), find_server, &s);
    if (!s || s->listener != l) { /* cannot happen: the wake-up event is always added */
        evconnlistener_disable(l);
        return;
    }
    s->accept_fails++;
    time_t now = time(NULL);
    if (s->log && (!s->accept_logged || now - s->accept_logged >= LOG_EVERY_S)) {
        fprintf(s->log,
                "faultline serve: cannot accept connections: %s (%zu open; %lu failure(s) since "
                "the last such line); new connections wait %d ms at a time (this line at most "
                "every %d s)\n",
                evutil_socket_error_to_string(err), open_conns(s), s->accept_fails, PAUSE_MS,
                LOG_EVERY_S);
        fflush(s->log);
        s->accept_logged = now;
        s->accept_fails = 0;
    }
    pause_listener(s, PAUSE_MS);
}

static void conn_closed(struct evhttp_connection *conn, void *arg)
{
    fl_server *s = arg;
    for (sse_client *c = s->clients; c; c = c->next_c)
        if (c->conn == conn) {
            sse_closed(c);
            break;
        }
    for (size_t i = 0; i < s->nconns; i++)
        if (s->conns[i] == conn) {
            s->conns[i] = s->conns[--s->nconns];
            break;
        }
    s->backoff = false; /* a descriptor was just freed: accept() may work again */
    maybe_resume(s);
}

/* Runs right after the accept callback that made the connections in s->fresh, before any
 * of them can be read: libevent has set each one's callbacks by now, the argument being
 * its evhttp_connection, which gets the close callback that counts it out. */
static void on_adopt(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    fl_server *s = arg;
    for (size_t i = 0; i < s->nfresh; i++) {
        struct bufferevent *bev = s->fresh[i];
        bufferevent_event_cb ecb = NULL;
        void *conn = NULL;
        bufferevent_getcb(bev, NULL, NULL, &ecb, &conn);
        bool known = false;
        for (size_t k = 0; k < s->nconns && !known; k++)
            known = s->conns[k] == conn;
        if (!ecb || !conn) {
            /* libevent freed it already (out of memory): our reference kept it; make sure
             * it watches its closed descriptor no more */
            bufferevent_disable(bev, EV_READ | EV_WRITE);
        } else if (known) {
            /* an entry left by a connection freed without its close callback, at the same
             * address: it stands for this one now */
            evhttp_connection_set_closecb(conn, conn_closed, s);
        } else {
            if (s->nconns == s->capconns) {
                size_t cap = s->capconns ? 2 * s->capconns : 64;
                void **nc = fl_realloc(s->conns, cap * sizeof *nc);
                if (nc) {
                    s->conns = nc;
                    s->capconns = cap;
                }
            }
            if (s->nconns < s->capconns) { /* else uncounted: out of memory */
                s->conns[s->nconns++] = conn;
                evhttp_connection_set_closecb(conn, conn_closed, s);
            }
        }
        bufferevent_decref(bev);
    }
    s->nfresh = 0;
    maybe_resume(s);
}

/* libevent 2.1 answers some requests itself, with an HTML page: a request it cannot parse
 * (400), headers or a body over the limits (413), an unknown Expect (417). It has no hook to
 * change that page (2.2 has evhttp_set_errorcb). It writes such a page, with "Connection:
 * close", into an output buffer that is empty (it reads a request only once the previous
 * answer is sent), so this sees it whole when its last byte is added and puts the same
 * status with a JSON body in its place. */
static const char err_tail[] = "</BODY></HTML>\n";

static void on_output(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    fl_server *s = arg;
    size_t len = evbuffer_get_length(buf), tl = sizeof err_tail - 1;
    if (s->rewriting || !info->n_added || len < 64 || len > 2048)
        return;
    char text[2049];
    if (evbuffer_copyout(buf, text, len) != (ev_ssize_t)len)
        return;
    text[len] = 0;
    const char *body = strstr(text, "\r\n\r\n<HTML><HEAD>\n<TITLE>");
    int code = 0;
    if (memcmp(text + len - tl, err_tail, tl) != 0 || strncmp(text, "HTTP/1.", 7) != 0 ||
        !body || sscanf(text + 8, " %3d", &code) != 1)
        return;
    const char *why;
    switch (code) {
    case 400:
        why = "the request is not valid HTTP (its request line, headers or body)";
        break;
    case 413:
        why = "the request is too large: at most 64 KiB of body and 16 KiB of headers";
        break;
    case 417:
        why = "the Expect header is not supported (only 100-continue is)";
        break;
    case 501:
        why = "this method is not implemented";
        break;
    default:
        why = "the request could not be served";
        break;
    }
    const char *eol = strstr(text, "\r\n");
    char json[200], head[600];
    snprintf(json, sizeof json, "{\"error\":\"%s\"}", why);
    int hl = snprintf(head, sizeof head,
                      "%.*s\r\nContent-Type: application/json; charset=utf-8\r\n"
                      "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
                      "Connection: close\r\nContent-Length: %zu\r\n\r\n%s",
                      eol && eol - text < 100 ? (int)(eol - text) : 12, text, strlen(json), json);
    if (hl <= 0 || (size_t)hl >= sizeof head)
        return;
    s->rewriting = true;
    evbuffer_unfreeze(buf, 1); /* a bufferevent's output drains only as it is sent */
    evbuffer_drain(buf, len);
    evbuffer_freeze(buf, 1);
    evbuffer_add(buf, head, (size_t)hl);
    s->rewriting = false;
}

/* evhttp's hook for each accepted connection: its bufferevent, made here so that it is
 * counted and its output watched. */
static struct bufferevent *on_accept(struct event_base *base, void *arg)
{
    fl_server *s = arg;
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!bev)
        return NULL; /* libevent tries its own; that connection is not counted */
    evbuffer_add_cb(bufferevent_get_output(bev), on_output, s);
    if (s->nfresh == s->capfresh) {
        size_t cap = s->capfresh ? 2 * s->capfresh : 16;
        struct bufferevent **nf = fl_realloc(s->fresh, cap * sizeof *nf);
        if (!nf)
            return bev; /* not counted: out of memory */
        s->fresh = nf;
        s->capfresh = cap;
    }
    bufferevent_incref(bev); /* until on_adopt has looked at it */
    s->fresh[s->nfresh++] = bev;
    event_active(s->adopt_ev, EV_TIMEOUT, 1);
    if (open_conns(s) >= s->max_conns)
        pause_listener(s, 0);
    return bev;
}

/* ---- the loop ------------------------------------------------------------------------- */

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    fl_server *s = arg;
    if (s->log)
        fprintf(s->log, "faultline serve: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    event_base_loopexit(s->base, NULL);
}

static int mkdirs(const char *dir)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(buf, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

/* Whether addr is this machine only: 127.0.0.0/8, ::1 (also v4-mapped), "localhost". */
static bool loopback(const char *addr)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, addr, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, addr, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
    return strcasecmp(addr, "localhost") == 0;
}

/* Goes on after the highest rN and cN folders already in the output folder, so that a
 * restarted server never overwrites what an earlier start wrote. */
static void scan_ids(fl_server *s)
{
    DIR *d = opendir(s->cfg->out_dir);
    if (!d)
        return;
    for (struct dirent *de; (de = readdir(d));) {
        const char *n = de->d_name;
        if ((n[0] != 'r' && n[0] != 'c') || n[1] < '1' || n[1] > '9' || strlen(n) > 12)
            continue;
        unsigned long v = 0;
        const char *p = n + 1;
        for (; *p >= '0' && *p <= '9'; p++)
            v = v * 10 + (unsigned long)(*p - '0');
        unsigned long *c = n[0] == 'r' ? &s->next_run : &s->next_cmp;
        if (!*p && v > *c)
            *c = v;
    }
    closedir(d);
}

/* Descriptors open now below `limit` (those the server inherited or opened before it
 * listens): they count against the open-file limit like connections do. */
static long open_fds(long limit)
{
    long n = 0;
    for (long fd = 0; fd < limit && fd < 65536; fd++)
        n += fcntl((int)fd, F_GETFD) != -1;
    return n;
}

/* The connection cap: cfg's, or MAX_CONNS with FD_RESERVE descriptors left free under the
 * open-file limit for the workers' files (at least 4), after those already open. */
static size_t conn_cap(const fl_serve_config *cfg, FILE *log)
{
    struct rlimit rl;
    long room = MAX_CONNS;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        long in_use = open_fds((long)rl.rlim_cur);
        if (rl.rlim_cur < (rlim_t)(MAX_CONNS + FD_RESERVE + in_use))
            room = (long)rl.rlim_cur - FD_RESERVE - in_use;
    }
    if (cfg->max_conns > 0) {
        if (cfg->max_conns > room && log)
            fprintf(log, "faultline serve: --max-connections %d is more than the open-file limit "
                         "leaves room for (%ld; see ulimit -n): when files run out, new "
                         "connections wait\n", cfg->max_conns, room < 0 ? 0 : room);
        return (size_t)cfg->max_conns;
    }
    return room < 4 ? 4 : (size_t)room;
}

fl_status fl_serve(const fl_serve_config *cfg, FILE *log, fl_error *e)
{
    fl_error_clear(e);
    fl_server s;
    memset(&s, 0, sizeof s);
    s.cfg = cfg;
    s.log = log;
    s.wake[0] = s.wake[1] = -1;
    fl_status st = FL_OK;
    bool remote = !loopback(cfg->bind);
    if (remote && !cfg->allow_remote)
        return fl_error_set(e, FL_USAGE, NULL,
                            "--bind %s: other machines can reach this address, and the dashboard "
                            "has no login: anyone who reaches it could start runs and read every "
                            "result. Keep the default (127.0.0.1: this machine only), or add "
                            "--allow-remote to serve other machines anyway",
                            cfg->bind);
    if ((st = fl_catalog_load(&s.cat, cfg->scenarios_dir, log, e)))
        return st;
    if (mkdirs(cfg->out_dir)) {
        st = fl_error_set(e, FL_IO, NULL, "cannot create the output folder %s: %s",
                          cfg->out_dir, strerror(errno));
        goto out;
    }
    scan_ids(&s);
    s.max_conns = conn_cap(cfg, log);
    /* a client that hangs up must not kill the server with SIGPIPE */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    if (!(s.base = event_base_new()) || !(s.http = evhttp_new(s.base))) {
        st = fl_error_set(e, FL_NOMEM, NULL, "cannot start the event loop");
        goto out;
    }
    if (evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, s.wake) ||
        evutil_make_socket_nonblocking(s.wake[0]) || evutil_make_socket_nonblocking(s.wake[1]) ||
        evutil_make_socket_closeonexec(s.wake[0]) || evutil_make_socket_closeonexec(s.wake[1])) {
        st = fl_error_set(e, FL_IO, NULL, "cannot create the wake-up socket: %s",
                          strerror(errno));
        goto out;
    }
    if (!(s.wake_ev = event_new(s.base, s.wake[0], EV_READ | EV_PERSIST, on_wake, &s)) ||
        event_add(s.wake_ev, NULL) ||
        !(s.sig_int = evsignal_new(s.base, SIGINT, on_signal, &s)) ||
        !(s.sig_term = evsignal_new(s.base, SIGTERM, on_signal, &s)) ||
        event_add(s.sig_int, NULL) || event_add(s.sig_term, NULL)) {
        st = fl_error_set(e, FL_NOMEM, NULL, "cannot register the event loop's events");
        goto out;
    }
    if (!(s.adopt_ev = event_new(s.base, -1, 0, on_adopt, &s)) ||
        !(s.resume_ev = evtimer_new(s.base, on_resume, &s))) {
        st = fl_error_set(e, FL_NOMEM, NULL, "cannot register the event loop's events");
        goto out;
    }
    evhttp_set_max_body_size(s.http, MAX_BODY);
    evhttp_set_max_headers_size(s.http, MAX_HEADERS);
    evhttp_set_timeout(s.http, 60);
    /* every method reaches route(), which answers 405 (JSON) where it does not belong */
    evhttp_set_allowed_methods(s.http, 0xffff);
    evhttp_set_gencb(s.http, route, &s);
    evhttp_set_bevcb(s.http, on_accept, &s);
    struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(s.http, cfg->bind,
                                                                    (ev_uint16_t)cfg->port);
    if (!bs) {
        st = fl_error_set(e, FL_IO, NULL, "cannot listen on %s port %d: %s", cfg->bind,
                          cfg->port, strerror(errno));
        goto out;
    }
    s.listener = evhttp_bound_socket_get_listener(bs);
    evconnlistener_set_error_cb(s.listener, on_accept_error);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int port = cfg->port;
    char ip[INET6_ADDRSTRLEN] = "";
    if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET) {
            port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
            inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof ip);
            snprintf(s.addr, sizeof s.addr, "%s", ip);
        } else if (ss.ss_family == AF_INET6) {
            port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip, sizeof ip);
            snprintf(s.addr, sizeof s.addr, "[%s]", ip);
        }
    }
    s.port = port;
    if (fl_pool_start(&s.pool, cfg->workers, (size_t)cfg->queue_max, (int)s.wake[1],
                      cfg->max_events, cfg->max_wall_s)) {
        st = fl_error_set(e, FL_NOMEM, NULL, "cannot start the worker threads");
        goto out;
    }
    s.pool_started = true;
    if (log) {
        bool v6 = strchr(cfg->bind, ':') != NULL;
        fprintf(log, "faultline serve: %zu scenarios from %s; outputs in %s\n", s.cat.n,
                cfg->scenarios_dir, cfg->out_dir);
        fprintf(log, "faultline serve: listening on http://%s%s%s:%d/ (Ctrl-C stops)\n",
                v6 ? "[" : "", cfg->bind, v6 ? "]" : "", port);
        fflush(log);
    }
    if (remote) { /* allowed by --allow-remote: said loudly, where it is seen */
        for (int i = 0; i < 2; i++) {
            FILE *f = i ? stderr : log;
            if (f && (i == 0 || log != stderr)) {
                fprintf(f, "faultline serve: WARNING: --bind %s --allow-remote: other machines "
                           "can reach this dashboard, and it has no login: anyone who reaches "
                           "port %d can start runs and read every result\n", cfg->bind, port);
                fflush(f);
            }
        }
    }
    if (event_base_dispatch(s.base) < 0)
        st = fl_error_set(e, FL_INTERNAL, NULL, "the event loop failed");
out:
    s.stopping = true; /* conn_closed, called by evhttp_free, resumes nothing */
    if (s.pool_started)
        fl_pool_stop(&s.pool); /* running runs stop at their next progress check */
    while (s.clients) /* streams still open: evhttp_free below closes them */
        sse_free(s.clients);
    if (s.http)
        evhttp_free(s.http);
    for (size_t i = 0; i < s.nfresh; i++)
        bufferevent_decref(s.fresh[i]);
    fl_free(s.fresh);
    fl_free(s.conns);
    if (s.adopt_ev)
        event_free(s.adopt_ev);
    if (s.resume_ev)
        event_free(s.resume_ev);
    if (s.wake_ev)
        event_free(s.wake_ev);
    if (s.sig_int)
        event_free(s.sig_int);
    if (s.sig_term)
        event_free(s.sig_term);
    if (s.base)
        event_base_free(s.base);
    for (int i = 0; i < 2; i++)
        if (s.wake[i] >= 0)
            evutil_closesocket(s.wake[i]);
    for (fl_job *j = s.jobs, *next; j; j = next) {
        next = j->next_all;
        fl_job_free(j);
    }
    fl_catalog_free(&s.cat);
    return st;
}
