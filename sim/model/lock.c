/* The `lock` component: one lease lock server (a Redis node holding a lock key, a
 * ZooKeeper-like lock service with a single leader), measured on its own clock.
 *
 *   {"name": "lock", "kind": "lock", "ttl": "10s", "first_token": 33,
 *    "clock": {"drift": "200ppm"}}
 *
 * It holds one lock. An acquire from a `lock_client` is granted when there is no lease, or
 * the last one was released, or it has expired on this server's WALL clock: the lease is
 * stamped wall(now) + ttl and expires when wall() reaches that, so a clock that runs fast
 * or steps forward (a {"clock": {"node": ..., "step": "+8s"}} fault) ends it early in true
 * time. Each grant gets the next fencing token (first_token, first_token + 1, ...). A
 * release frees the lease only when it comes from the owner that took it (the client and
 * its attempt number, as Redis compares a random value); a release that comes after the
 * lease expired is late (and changes nothing if the lease was granted again meanwhile).
 *
 * Faults: a pause holds requests until it ends (the lease still expires on time); a crash
 * drops requests while down and forgets the lease (kept in memory, as Redis without fsync),
 * not the token counter; "slow" does nothing (requests take no service time).
 *
 * Report (nodes.<name>): grants, refusals, releases (in time), late_releases (of a lease
 * that had expired), expirations (leases that ran out before their release arrived, or
 * with none by the end),
 * last_token, ttl_s. Counts start after the warm-up. Series: <name>.leased (1 while a lease
 * is live at a window's end). */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/cfg.h"
#include "model/lock_int.h"
#include "model/world.h"

typedef struct lock_server {
    fl_world *w;
    fl_component *c;
    fl_time ttl;
    int64_t next_token;
    int h_inbox;
    int col_leased;
    bool down;
    /* the lease */
    bool leased;        /* granted and neither released nor forgotten (it may have expired) */
    uint32_t holder;    /* client component index */
    uint32_t owner;     /* the client's attempt number */
    int64_t token;
    fl_time expiry_wall; /* on this server's wall clock */
    uint64_t grants, refusals, releases, late_releases, expirations;
} lock_server;


static fl_time wall(const lock_server *s, fl_time now)
{
    return s->c->host.clock ? fl_clock_wall(s->c->host.clock, now) : now;
}

static bool counted(const lock_server *s) { return fl_sim_now(s->w->sim) >= s->w->warmup; }

/* True while the lease is live by this server's wall clock. */
static bool live(const lock_server *s, fl_time now)
{
    return s->leased && wall(s, now) < s->expiry_wall;
}

/* A request from a client arrives: arg = client index << 32 | record id. */
static void on_inbox(fl_sim *sim, void *ctx, uint64_t arg)
{
    lock_server *s = ctx;
    fl_world *w = s->w;
    fl_time now = fl_sim_now(sim);
    if (now < s->c->host.paused_until) { /* stopped: it reads the request when it resumes */
        fl_sim_at(sim, s->c->host.paused_until, s->h_inbox, arg);
        return;
    }
    uint32_t ci = (uint32_t)(arg >> 32), id = (uint32_t)arg;
    fl_component *client = w->comps[ci];
    fl_lock_msg *m = fl_lock_msg_at(client, id);
    if (s->down || m->type == FL_LOCK_RELEASE) {
        if (!s->down && m->type == FL_LOCK_RELEASE) {
            if (s->leased && s->holder == ci && s->owner == m->owner &&
                (m->token == FL_TOKEN_NONE || m->token == s->token)) {
                if (counted(s)) {
                    if (live(s, now))
                        s->releases++;
                    else { /* it expired first, but nobody took it over */
                        s->late_releases++;
                        s->expirations++;
                    }
                }
                s->leased = false;
            } else if (m->token != FL_TOKEN_NONE && counted(s)) {
                s->late_releases++; /* its lease had expired (and may be someone else's) */
            }
        }
        fl_lock_msg_drop(client, id); /* a release needs no answer; a crashed node gives none */
        return;
    }
    /* An acquire. */
    if (live(s, now)) {
        m->ok = 0;
        if (counted(s))
            s->refusals++;
    } else {
        if (s->leased && counted(s))
            s->expirations++; /* the previous lease ran out without a release */
        s->leased = true;
        s->holder = ci;
        s->owner = m->owner;
        s->token = s->next_token++;
        s->expiry_wall = wall(s, now) + s->ttl;
        m->ok = 1;
        m->token = s->token;
        m->expiry = s->c->host.clock ? fl_clock_wall_reaches(s->c->host.clock, now, s->expiry_wall)
                                     : s->expiry_wall;
        if (counted(s))
            s->grants++;
    }
    fl_lock_reply(w, client, id, s->c);
}

static fl_status configure(fl_world *w, fl_component *c, const cJSON *cfg, const char *path,
                           fl_error *e)
{
    fl_status st;
    lock_server *s = fl_calloc(1, sizeof *s);
    if (!s)
        return FL_NOMEM;
    c->state = s;
    s->w = w;
    s->c = c;
    long first;
    if ((st = fl_kind_duration(c, "ttl", cfg, path, FL_CFG_OPTIONAL, 10 * FL_SEC, &s->ttl, e)) ||
        (st = fl_kind_int(c, "first_token", cfg, path, FL_CFG_OPTIONAL, 1, &first, e)))
        return st;
    s->next_token = first;
    s->h_inbox = fl_sim_handler(w->sim, on_inbox, s);
    char col[200];
    snprintf(col, sizeof col, "%s.leased", c->name);
    s->col_leased = fl_series_column(w->series, col, FL_SERIES_LAST);
    if (s->h_inbox < 0 || s->col_leased < 0)
        return FL_NOMEM;
    return FL_OK;
}

static void on_request(fl_world *w, fl_component *c, uint32_t id)
{
    (void)c; /* the lock takes no workload requests: the lock_clients speak to it */
    fl_world_reply(w, id, FL_OUT_REJECTED);
}

static void fault(fl_world *w, fl_component *c, const fl_fault *f, bool begin)
{
    (void)w;
    lock_server *s = c->state;
    if (f->kind != FL_FAULT_CRASH)
        return; /* a pause is read from host.paused_until; slow has nothing to slow */
    s->down = begin;
    if (begin)
        s->leased = false; /* the lease lived in memory */
}

static void sample(fl_world *w, fl_component *c, fl_time t)
{
    lock_server *s = c->state;
    fl_series_add(w->series, s->col_leased, t, live(s, fl_sim_now(w->sim)) ? 1 : 0);
}

static void report(fl_world *w, fl_component *c, cJSON *out)
{
    lock_server *s = c->state;
    cJSON_AddNumberToObject(out, "ttl_s", fl_time_to_s(s->ttl));
    cJSON_AddNumberToObject(out, "grants", (double)s->grants);
    cJSON_AddNumberToObject(out, "refusals", (double)s->refusals);
    cJSON_AddNumberToObject(out, "releases", (double)s->releases);
    cJSON_AddNumberToObject(out, "late_releases", (double)s->late_releases);
    /* a lease that has run out and was never taken over has expired too */
    bool ran_out = s->leased && !live(s, fl_sim_now(w->sim));
    cJSON_AddNumberToObject(out, "expirations", (double)(s->expirations + ran_out));
    cJSON_AddNumberToObject(out, "last_token", (double)s->token); /* 0: none granted */
}

static void destroy(fl_component *c) { fl_free(c->state); }

fl_time fl_lock_server_ttl(const fl_component *server)
{
    return ((const lock_server *)server->state)->ttl;
}

int fl_lock_server_inbox(const fl_component *server)
{
    return ((const lock_server *)server->state)->h_inbox;
}

/* The kind's descriptor (world.h): its keys, as scenarios/README.md shows them, and its
 * time-series columns. */
static const fl_kind_param kind_params[] = {
    {"ttl", "duration", "", "`\"10s\"`", "`\"10s\"`",
     "a lease ends when the server's wall clock reaches wall(grant) + ttl",
     FL_KV_DURATION, FL_RANGE(0.001, 86400)},
    {"first_token", "integer", "", "`1`", "`33`",
     "the first fencing token; each grant takes the next", FL_KV_INTEGER, FL_RANGE(1, 1e9)},
    {NULL, NULL, NULL, NULL, NULL, NULL, FL_KV_OTHER, FL_NO_BOUNDS},
};

static const fl_kind_series kind_series[] = {
    {"leased", "flag", "1 while a lease is granted"},
    {NULL, NULL, NULL},
};

const fl_component_ops fl_lock_ops = {
    .kind = "lock",
    .about = "a lease lock server: TTL on its own wall clock, fencing tokens",
    .params = kind_params,
    .series = kind_series,
    .configure = configure,
    .on_request = on_request,
    .report = report,
    .sample = sample,
    .faults = FL_FAULT_BIT(CRASH) | FL_FAULT_BIT(PAUSE) |
              FL_FAULT_BIT(CLOCK),
    .fault = fault,
    .destroy = destroy,
};
