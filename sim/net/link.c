/* Zone-to-zone and node-to-node links: see link.h.
 * Invariants: links[] has (nzones+1)^2 entries; entry (a+1)*(nzones+1)+(b+1) is a->b.
 * nodes[] (node links) only grows before fl_net_resolve; route_req/route_rep (per caller:
 * -2 not looked up yet, -1 the zone link, else a node link) exist only when nodes[] does. */
#include "net/link.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/cfg.h"

#define DEFAULT_BYTES 1024

typedef struct node_link {
    char *from, *to;
    char pfrom[160], pto[160]; /* where each name was first given, for errors */
    const cJSON *cfg;          /* its links.nodes entry (NULL: a partition's pair only) */
    char cpath[64];
    uint32_t a, b;             /* endpoints, after fl_net_resolve */
    int za, zb;
    fl_link link;
} node_link;

struct fl_net {
    fl_net_core core;          /* nzones, links, route_req: first (link.h) */
    const char *const *zones;
    uint64_t seed;
    bool detail;               /* the extras are in use: the report shows every link */
    node_link *nodes;
    uint32_t nnodes, nodes_cap;
    uint32_t *owner;           /* per caller: its endpoint */
    uint32_t ncallers;
    int32_t *route_rep;
};

static const char *const link_keys[] = {"default", "zones", "nodes", NULL};
static const char *const default_keys[] = {"latency", "loss", "burst", "duplicate", "fifo",
                                           "bandwidth", "request_bytes", "reply_bytes", NULL};
static const char *const pair_keys[] = {"between", "latency", "loss", "burst", "duplicate",
                                        "fifo", "bandwidth", "request_bytes", "reply_bytes", NULL};
static const char *const node_keys[] = {"from", "to", "latency", "loss", "burst", "duplicate",
                                        "fifo", "bandwidth", "request_bytes", "reply_bytes", NULL};
static const char *const burst_keys[] = {"enter", "exit", "loss", NULL};

void fl_link_update(fl_link *l)
{
    l->impaired = l->cut > 0 || l->loss > 0 || l->ge_enter > 0 || l->fault_loss > 0 ||
                  l->dup > 0 || l->fault_dup > 0 || l->fifo || l->bps > 0 || l->track;
}

bool fl_link_lose(fl_link *l)
{
    if (l->cut > 0) {
        l->lost_cut++;
        return true;
    }
    double p = l->loss;
    if (l->ge_enter > 0) { /* one step of the chain per message, then its state's loss */
        double u = fl_rng_uniform(&l->rng);
        l->ge_bad = l->ge_bad ? u >= l->ge_exit : u < l->ge_enter;
        if (l->ge_bad)
            p = l->ge_loss;
    }
    p = 1 - (1 - p) * (1 - l->fault_loss);
    if (p > 0 && fl_rng_uniform(&l->rng) < p) {
        l->lost_loss++;
        return true;
    }
    return false;
}

/* The message takes its turn on a link with a bandwidth: returns when it has been sent. */
static fl_time occupy(fl_link *l, fl_msg m, fl_time now)
{
    uint64_t bytes = m == FL_MSG_REPLY ? l->rep_bytes : l->req_bytes;
    /* bytes <= 10^9 and bps >= 10^3: the product fits and the time is at most 8000 s */
    fl_time ser = (fl_time)((bytes * 8 * 1000000000ull + l->bps / 2) / l->bps);
    fl_time start = l->free_at > now ? l->free_at : now;
    l->free_at = start + ser;
    l->carried++;
    l->bytes += bytes;
    l->busy += ser;
    l->queued += start - now;
    if (start - now > l->queued_max)
        l->queued_max = start - now;
    return l->free_at;
}

/* Delivery at `at`: held behind the previous message on a FIFO link, else counted when it
 * overtakes one. */
static fl_time deliver(fl_link *l, fl_time at)
{
    if (at < l->last_arrival) {
        if (l->fifo)
            at = l->last_arrival;
        else
            l->reordered++;
    }
    if (at > l->last_arrival)
        l->last_arrival = at;
    return at;
}

static fl_time propagate(fl_link *l)
{
    return (l->latency ? fl_dist_sample(l->latency, &l->rng) : 0) + l->extra;
}

fl_time fl_link_send_slow(fl_link *l, fl_msg m, bool may_copy)
{
    if (l->cut > 0) { /* dropped before it takes the link */
        l->lost_cut++;
        return FL_LINK_LOST;
    }
    bool lost = fl_link_lose(l);
    fl_time now = l->sim ? fl_sim_now(l->sim) : 0;
    fl_time ready = l->bps ? occupy(l, m, now) : now;
    if (lost) /* lost on the way, after it was sent */
        return FL_LINK_LOST;
    fl_time at = deliver(l, ready + propagate(l));
    if (may_copy && (l->dup > 0 || l->fault_dup > 0) &&
        fl_rng_uniform(&l->rng) < 1 - (1 - l->dup) * (1 - l->fault_dup)) {
        l->duplicated++;
        fl_time at2 = deliver(l, (l->bps ? occupy(l, m, now) : now) + propagate(l));
        if (at2 < at) { /* the copies are alike: the first delivery is the original's */
            fl_time t = at;
            at = at2;
            at2 = t;
        }
        l->twice[0] = at - now;
        l->twice[1] = at2 - now;
        return FL_LINK_TWICE;
    }
    return at - now;
}

int fl_net_zones(const fl_net *n) { return n->core.nzones; }

static void add_counts(const fl_link *l, uint64_t c[5])
{
    c[0] += l->sent;
    c[1] += l->lost_cut;
    c[2] += l->lost_loss;
    c[3] += l->duplicated;
    c[4] += l->reordered;
}

static void report_link(cJSON *parent, const char *name, const fl_link *l)
{
    cJSON *o = cJSON_AddObjectToObject(parent, name);
    cJSON_AddNumberToObject(o, "sent", (double)l->sent);
    cJSON_AddNumberToObject(o, "lost_in_partition", (double)l->lost_cut);
    cJSON_AddNumberToObject(o, "lost_to_loss", (double)l->lost_loss);
    cJSON_AddNumberToObject(o, "duplicated", (double)l->duplicated);
    if (l->fifo)
        cJSON_AddBoolToObject(o, "fifo", true);
    else if (l->track) /* counted on the slow path only */
        cJSON_AddNumberToObject(o, "reordered", (double)l->reordered);
    if (l->bps) {
        cJSON_AddNumberToObject(o, "bandwidth_bit_s", (double)l->bps);
        cJSON_AddNumberToObject(o, "bytes", (double)l->bytes);
        cJSON_AddNumberToObject(o, "busy_s", fl_time_to_s(l->busy));
        cJSON_AddNumberToObject(o, "queueing_ms_mean",
                                l->carried ? fl_time_to_ms(l->queued) / (double)l->carried : 0);
        cJSON_AddNumberToObject(o, "queueing_ms_max", fl_time_to_ms(l->queued_max));
    }
}

void fl_net_report(const fl_net *n, cJSON *out)
{
    uint64_t c[5] = {0};
    int m = (n->core.nzones + 1) * (n->core.nzones + 1);
    for (int i = 0; i < m; i++)
        add_counts(&n->core.links[i], c);
    for (uint32_t i = 0; i < n->nnodes; i++)
        add_counts(&n->nodes[i].link, c);
    cJSON_AddNumberToObject(out, "messages_sent", (double)c[0]);
    cJSON_AddNumberToObject(out, "lost_in_partition", (double)c[1]);
    cJSON_AddNumberToObject(out, "lost_to_loss", (double)c[2]);
    if (!n->detail) /* the report of a scenario without the extras stays as it was */
        return;
    cJSON_AddNumberToObject(out, "duplicated", (double)c[3]);
    cJSON_AddNumberToObject(out, "reordered", (double)c[4]);
    cJSON *zl = cJSON_AddObjectToObject(out, "zone_links");
    for (int a = -1; a < n->core.nzones; a++)
        for (int b = -1; b < n->core.nzones; b++) {
            const fl_link *l = &n->core.links[(a + 1) * (n->core.nzones + 1) + (b + 1)];
            if (!l->sent)
                continue;
            char name[300];
            snprintf(name, sizeof name, "%s->%s", a < 0 ? "-" : n->zones[a],
                     b < 0 ? "-" : n->zones[b]);
            report_link(zl, name, l);
        }
    if (!n->nnodes)
        return;
    cJSON *nl = cJSON_AddObjectToObject(out, "node_links");
    for (uint32_t i = 0; i < n->nnodes; i++) {
        char name[300];
        snprintf(name, sizeof name, "%s->%s", n->nodes[i].from, n->nodes[i].to);
        report_link(nl, name, &n->nodes[i].link);
    }
}

/* "bandwidth": "100Mbit/s" into bits per second. */
static fl_status read_bandwidth(const cJSON *obj, const char *path, uint64_t *out, fl_error *e)
{
    static const struct {
        const char *unit;
        double bits;
    } units[] = {{"bit/s", 1},          {"bps", 1},           {"kbit/s", 1e3},
                 {"Kbit/s", 1e3},       {"kbps", 1e3},        {"Mbit/s", 1e6},
                 {"Mbps", 1e6},         {"Gbit/s", 1e9},      {"Gbps", 1e9},
                 {"B/s", 8},            {"kB/s", 8e3},        {"KB/s", 8e3},
                 {"MB/s", 8e6},         {"GB/s", 8e9},        {"KiB/s", 8.0 * 1024},
                 {"MiB/s", 8.0 * 1048576}, {"GiB/s", 8.0 * 1073741824}};
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, "bandwidth");
    if (!v)
        return FL_OK;
    char p[300], got[64];
    fl_cfg_join(p, sizeof p, path, "bandwidth");
    double bits = NAN;
    if (cJSON_IsString(v)) {
        char *end;
        double x = strtod(v->valuestring, &end);
        while (*end == ' ')
            end++;
        if (end != v->valuestring)
            for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
                if (strcmp(end, units[i].unit) == 0)
                    bits = x * units[i].bits;
    }
    if (!(bits >= 1e3 && bits <= 1e13)) {
        fl_cfg_describe(v, got, sizeof got);
        return fl_error_set(e, FL_INVALID, p,
                            "expected a bandwidth from 1kbit/s to 10Tbit/s such as \"100Mbit/s\" "
                            "or \"12.5MB/s\" (bit/s, kbit/s, Mbit/s, Gbit/s, B/s, kB/s, MB/s, "
                            "GB/s, KiB/s, MiB/s, GiB/s), got %s",
                            got);
    }
    *out = (uint64_t)llround(bits);
    return FL_OK;
}

/* The properties of a links entry other than its latency: loss, burst, duplicate, fifo,
 * bandwidth and message sizes. *extras is set when one of the network's extras is named. */
static fl_status set_props(fl_link *l, const cJSON *obj, const char *path, bool *extras,
                           fl_error *e)
{
    fl_status st;
    double loss = -1, dup = -1;
    long rq = -1, rp = -1;
    uint64_t bps = 0;
    if ((st = fl_cfg_number(obj, path, "loss", FL_CFG_OPTIONAL, -1, 0, 1, &loss, e)) ||
        (st = fl_cfg_number(obj, path, "duplicate", FL_CFG_OPTIONAL, -1, 0, 1, &dup, e)) ||
        (st = fl_cfg_int(obj, path, "request_bytes", FL_CFG_OPTIONAL, -1, 1, 1000000000, &rq, e)) ||
        (st = fl_cfg_int(obj, path, "reply_bytes", FL_CFG_OPTIONAL, -1, 1, 1000000000, &rp, e)) ||
        (st = read_bandwidth(obj, path, &bps, e)))
        return st;
    if (loss >= 0)
        l->loss = loss;
    if (dup >= 0)
        l->dup = dup;
    if (rq > 0)
        l->req_bytes = (uint32_t)rq;
    if (rp > 0)
        l->rep_bytes = (uint32_t)rp;
    if (bps)
        l->bps = bps;
    if (cJSON_GetObjectItemCaseSensitive(obj, "fifo") &&
        (st = fl_cfg_bool(obj, path, "fifo", FL_CFG_OPTIONAL, false, &l->fifo, e)))
        return st;
    static const char *const extra_keys[] = {"duplicate", "fifo", "bandwidth", "request_bytes",
                                             "reply_bytes"};
    for (size_t i = 0; i < sizeof extra_keys / sizeof extra_keys[0]; i++)
        if (cJSON_GetObjectItemCaseSensitive(obj, extra_keys[i]))
            *extras = l->track = true; /* the slow path, which counts reordering */
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(obj, "burst");
    if (b) {
        char bp[300];
        fl_cfg_join(bp, sizeof bp, path, "burst");
        if ((st = fl_cfg_object(b, bp, e)) || (st = fl_cfg_known_keys(b, bp, burst_keys, e)) ||
            (st = fl_cfg_number(b, bp, "enter", FL_CFG_REQUIRED, 0, 1e-9, 1, &l->ge_enter, e)) ||
            (st = fl_cfg_number(b, bp, "exit", FL_CFG_REQUIRED, 0, 1e-9, 1, &l->ge_exit, e)) ||
            (st = fl_cfg_number(b, bp, "loss", FL_CFG_OPTIONAL, 1, 0, 1, &l->ge_loss, e)))
            return st;
    }
    fl_link_update(l);
    return FL_OK;
}

static void link_free(fl_link *l)
{
    if (!l->borrowed)
        fl_dist_free(l->latency);
}

void fl_net_free(fl_net *n)
{
    if (!n)
        return;
    int m = (n->core.nzones + 1) * (n->core.nzones + 1);
    for (int i = 0; i < m; i++)
        link_free(&n->core.links[i]);
    for (uint32_t i = 0; i < n->nnodes; i++) {
        link_free(&n->nodes[i].link);
        fl_free(n->nodes[i].from);
        fl_free(n->nodes[i].to);
    }
    fl_free(n->nodes);
    fl_free(n->owner);
    fl_free(n->core.route_req);
    fl_free(n->route_rep);
    fl_free(n->core.links);
    fl_free(n);
}

static int zone_index(const char *name, const char *const *zones, int nzones)
{
    for (int i = 0; i < nzones; i++)
        if (strcmp(zones[i], name) == 0)
            return i;
    return -1;
}

static fl_status set_latency(fl_link *l, const cJSON *obj, const char *path, bool *extras,
                             fl_error *e)
{
    fl_status lst = set_props(l, obj, path, extras, e);
    if (lst)
        return lst;
    fl_dist *d = NULL;
    fl_status st = fl_cfg_dist(obj, path, "latency", FL_CFG_OPTIONAL, NULL, &d, e);
    if (st)
        return st;
    if (d) {
        link_free(l);
        l->latency = d;
        l->borrowed = false;
    }
    return FL_OK;
}

/* The network's extras are in use: the report shows every link. */
void fl_net_want_detail(fl_net *n) { n->detail = true; }

static fl_status find_pair(fl_net *n, const char *from, const char *to, uint32_t *index)
{
    for (uint32_t i = 0; i < n->nnodes; i++)
        if (strcmp(n->nodes[i].from, from) == 0 && strcmp(n->nodes[i].to, to) == 0) {
            *index = i;
            return FL_OK;
        }
    if (n->nnodes == n->nodes_cap) {
        uint32_t cap = n->nodes_cap ? 2 * n->nodes_cap : 8;
        node_link *x = fl_realloc(n->nodes, cap * sizeof *x);
        if (!x)
            return FL_NOMEM;
        n->nodes = x;
        n->nodes_cap = cap;
    }
    node_link *nl = &n->nodes[n->nnodes];
    memset(nl, 0, sizeof *nl);
    nl->from = fl_strdup(from);
    nl->to = fl_strdup(to);
    n->nnodes++; /* freed by fl_net_free even when a copy failed */
    if (!nl->from || !nl->to)
        return FL_NOMEM;
    *index = n->nnodes - 1;
    fl_net_want_detail(n);
    return FL_OK;
}

fl_status fl_net_node_pair(fl_net *n, const char *from, const char *to, const char *path,
                           uint32_t *index, fl_error *e)
{
    uint32_t before = n->nnodes;
    if (find_pair(n, from, to, index) != FL_OK)
        return fl_error_set(e, FL_NOMEM, NULL, "out of memory");
    if (n->nnodes > before) {
        node_link *nl = &n->nodes[*index];
        fl_cfg_index(nl->pfrom, sizeof nl->pfrom, path, 0);
        fl_cfg_index(nl->pto, sizeof nl->pto, path, 1);
    }
    return FL_OK;
}

/* links.nodes: checked here (a scratch link takes the properties); applied by resolve. */
static fl_status read_nodes(fl_net *n, const cJSON *arr, fl_error *e)
{
    if (!cJSON_IsArray(arr))
        return fl_error_set(e, FL_INVALID, "links.nodes",
                            "expected an array of {\"from\": node, \"to\": node, \"latency\": ...}");
    int i = 0;
    fl_status st;
    for (const cJSON *p = arr->child; p; p = p->next, i++) {
        char path[64], q[96];
        const char *from, *to;
        fl_cfg_index(path, sizeof path, "links.nodes", i);
        if ((st = fl_cfg_object(p, path, e)) || (st = fl_cfg_known_keys(p, path, node_keys, e)) ||
            (st = fl_cfg_string(p, path, "from", FL_CFG_REQUIRED, NULL, &from, e)) ||
            (st = fl_cfg_string(p, path, "to", FL_CFG_REQUIRED, NULL, &to, e)))
            return st;
        if (strcmp(from, to) == 0)
            return fl_error_set(e, FL_INVALID, fl_cfg_join(q, sizeof q, path, "to"),
                                "expected a node other than \"from\", got \"%s\"", to);
        fl_link scratch;
        memset(&scratch, 0, sizeof scratch);
        bool extras = false;
        st = set_latency(&scratch, p, path, &extras, e);
        link_free(&scratch);
        if (st)
            return st;
        uint32_t k, before = n->nnodes;
        if (find_pair(n, from, to, &k) != FL_OK)
            return fl_error_set(e, FL_NOMEM, NULL, "out of memory");
        node_link *nl = &n->nodes[k];
        if (n->nnodes == before)
            return fl_error_set(e, FL_INVALID, path,
                                "the link from \"%s\" to \"%s\" is given twice (also %s)", from,
                                to, nl->cpath);
        nl->cfg = p;
        snprintf(nl->cpath, sizeof nl->cpath, "%s", path);
        fl_cfg_join(nl->pfrom, sizeof nl->pfrom, path, "from");
        fl_cfg_join(nl->pto, sizeof nl->pto, path, "to");
    }
    return FL_OK;
}

fl_status fl_net_configure(const cJSON *links, const char *const *zones, int nzones,
                           uint64_t seed, fl_net **out, fl_error *e)
{
    *out = NULL;
    fl_net *n = fl_calloc(1, sizeof *n);
    if (!n)
        return FL_NOMEM;
    n->core.nzones = nzones;
    n->zones = zones;
    n->seed = seed;
    int m = (nzones + 1) * (nzones + 1);
    n->core.links = fl_calloc((size_t)m, sizeof *n->core.links);
    if (!n->core.links) {
        fl_free(n);
        return FL_NOMEM;
    }
    for (int a = -1; a < nzones; a++)
        for (int b = -1; b < nzones; b++) {
            char name[160];
            snprintf(name, sizeof name, "link/%s->%s", a < 0 ? "-" : zones[a],
                     b < 0 ? "-" : zones[b]);
            fl_link *l = fl_net_link(n, a, b);
            fl_rng_seed(&l->rng, seed, name);
            l->req_bytes = l->rep_bytes = DEFAULT_BYTES;
        }
    fl_status st = FL_OK;
    bool extras = false;
    if (!links)
        goto done;
    if ((st = fl_cfg_object(links, "links", e)) || (st = fl_cfg_known_keys(links, "links", link_keys, e)))
        goto done;
    const cJSON *def = cJSON_GetObjectItemCaseSensitive(links, "default");
    if (def) {
        if ((st = fl_cfg_object(def, "links.default", e)) ||
            (st = fl_cfg_known_keys(def, "links.default", default_keys, e)))
            goto done;
        fl_dist *d = NULL;
        if ((st = fl_cfg_dist(def, "links.default", "latency", FL_CFG_OPTIONAL, NULL, &d, e)))
            goto done;
        for (int i = 0; i < m; i++)
            if ((st = set_props(&n->core.links[i], def, "links.default", &extras, e)))
                goto done;
        /* Every link owns its distribution: parse the (already validated) text again. */
        if (d) {
            const char *text = cJSON_GetObjectItemCaseSensitive(def, "latency")->valuestring;
            fl_dist_free(d);
            for (int i = 0; i < m; i++) {
                fl_error ignore;
                if (fl_dist_parse(text, &n->core.links[i].latency, &ignore) != FL_OK) {
                    st = fl_error_set(e, FL_NOMEM, "links.default.latency", "out of memory");
                    goto done;
                }
            }
        }
    }
    const cJSON *pairs = cJSON_GetObjectItemCaseSensitive(links, "zones");
    if (pairs) {
        if (!cJSON_IsArray(pairs)) {
            st = fl_error_set(e, FL_INVALID, "links.zones", "expected an array of {\"between\": [a, b], \"latency\": ...}");
            goto done;
        }
        int i = 0;
        for (const cJSON *p = pairs->child; p; p = p->next, i++) {
            char path[128], bp[160];
            fl_cfg_index(path, sizeof path, "links.zones", i);
            if ((st = fl_cfg_object(p, path, e)) || (st = fl_cfg_known_keys(p, path, pair_keys, e)))
                goto done;
            const cJSON *bt = cJSON_GetObjectItemCaseSensitive(p, "between");
            fl_cfg_join(bp, sizeof bp, path, "between");
            if (!cJSON_IsArray(bt) || cJSON_GetArraySize(bt) != 2 ||
                !cJSON_IsString(bt->child) || !cJSON_IsString(bt->child->next)) {
                st = fl_error_set(e, FL_INVALID, bp, "expected two zone names, such as [\"east\", \"west\"]");
                goto done;
            }
            int za = zone_index(bt->child->valuestring, zones, nzones);
            int zb = zone_index(bt->child->next->valuestring, zones, nzones);
            if (za < 0 || zb < 0) {
                const char *bad = za < 0 ? bt->child->valuestring : bt->child->next->valuestring;
                const char *s = fl_cfg_suggest(bad, zones);
                st = fl_error_set(e, FL_UNKNOWN, bp, "unknown zone \"%s\"%s%s%s", bad,
                                  s ? " (did you mean \"" : " (declare it in \"zones\")",
                                  s ? s : "", s ? "\"?)" : "");
                goto done;
            }
            /* "between" is symmetric: both directions get the latency. */
            if ((st = set_latency(fl_net_link(n, za, zb), p, path, &extras, e)))
                goto done;
            if (za != zb && (st = set_latency(fl_net_link(n, zb, za), p, path, &extras, e)))
                goto done;
        }
    }
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(links, "nodes");
    if (nodes) {
        if ((st = read_nodes(n, nodes, e)))
            goto done;
    }
    if (extras)
        fl_net_want_detail(n);
done:
    if (st) {
        fl_net_free(n);
        return st;
    }
    *out = n;
    return FL_OK;
}

fl_status fl_net_own_callers(fl_net *n, uint32_t first, uint32_t end, uint32_t owner)
{
    if (end <= first)
        return FL_OK;
    if (end > n->ncallers) {
        uint32_t *o = fl_realloc(n->owner, (size_t)end * sizeof *o);
        if (!o)
            return FL_NOMEM;
        for (uint32_t i = n->ncallers; i < end; i++)
            o[i] = UINT32_MAX;
        n->owner = o;
        n->ncallers = end;
    }
    for (uint32_t i = first; i < end; i++)
        n->owner[i] = owner;
    return FL_OK;
}

uint32_t fl_net_owner(const fl_net *n, uint32_t caller)
{
    return caller < n->ncallers ? n->owner[caller] : UINT32_MAX;
}

/* An endpoint by name: nodes first, then workloads. UINT32_MAX when unknown. */
static uint32_t endpoint_index(fl_net_endpoint_fn endpoint, void *ctx, uint32_t nend,
                               const char *name, int *zone)
{
    for (uint32_t i = 0; i < nend; i++)
        if (strcmp(endpoint(ctx, i, NULL), name) == 0) {
            *zone = -1;
            endpoint(ctx, i, zone);
            return i;
        }
    return UINT32_MAX;
}

static fl_status unknown_endpoint(fl_net_endpoint_fn endpoint, void *ctx, uint32_t nend,
                                  const char *name, const char *path, fl_error *e)
{
    const char **names = fl_calloc((size_t)nend + 1, sizeof *names);
    if (!names)
        return fl_error_set(e, FL_NOMEM, NULL, "out of memory");
    for (uint32_t i = 0; i < nend; i++)
        names[i] = endpoint(ctx, i, NULL);
    const char *s = fl_cfg_suggest(name, names);
    fl_status st = fl_error_set(e, FL_UNKNOWN, path,
                                "no %s named \"%s\"%s%s%s",
                                strchr(name, '/') ? "member of a node (NODE/N, N from 0)"
                                                  : "node or workload",
                                name,
                                s ? " (did you mean \"" : "", s ? s : "", s ? "\"?)" : "");
    fl_free(names);
    return st;
}

fl_status fl_net_resolve(fl_net *n, const fl_sim *sim, fl_net_endpoint_fn endpoint, void *ctx,
                         uint32_t nnodes, uint32_t nworkloads_end, uint32_t nendpoints,
                         fl_error *e)
{
    int m = (n->core.nzones + 1) * (n->core.nzones + 1);
    for (int i = 0; i < m; i++)
        n->core.links[i].sim = sim;
    for (uint32_t i = 0; i < n->nnodes; i++) {
        node_link *nl = &n->nodes[i];
        nl->a = endpoint_index(endpoint, ctx, nendpoints, nl->from, &nl->za);
        if (nl->a == UINT32_MAX)
            return unknown_endpoint(endpoint, ctx, nendpoints, nl->from, nl->pfrom, e);
        nl->b = endpoint_index(endpoint, ctx, nendpoints, nl->to, &nl->zb);
        if (nl->b == UINT32_MAX)
            return unknown_endpoint(endpoint, ctx, nendpoints, nl->to, nl->pto, e);
        if (nl->a >= nnodes && nl->a < nworkloads_end && nl->b >= nnodes &&
            nl->b < nworkloads_end)
            return fl_error_set(e, FL_INVALID, nl->pto,
                                "\"%s\" and \"%s\" are both workloads: no message travels "
                                "between them", nl->from, nl->to);
        /* A copy of its zone link's configuration, with state and a stream of its own. */
        const fl_link *z = fl_net_link(n, nl->za, nl->zb);
        fl_link *l = &nl->link;
        memset(l, 0, sizeof *l);
        l->latency = z->latency;
        l->borrowed = true;
        l->loss = z->loss;
        l->ge_enter = z->ge_enter;
        l->ge_exit = z->ge_exit;
        l->ge_loss = z->ge_loss;
        l->fifo = z->fifo;
        l->track = z->track;
        l->dup = z->dup;
        l->bps = z->bps;
        l->req_bytes = z->req_bytes;
        l->rep_bytes = z->rep_bytes;
        l->sim = sim;
        char name[300];
        snprintf(name, sizeof name, "link/node:%s->%s", nl->from, nl->to);
        fl_rng_seed(&l->rng, n->seed, name);
        bool extras;
        fl_status st;
        if (nl->cfg && (st = set_latency(l, nl->cfg, nl->cpath, &extras, e)))
            return st;
        fl_link_update(l);
    }
    n->core.npairs = n->nnodes;
    if (!n->nnodes || !n->ncallers)
        return FL_OK;
    n->core.route_req = fl_malloc((size_t)n->ncallers * sizeof *n->core.route_req);
    n->route_rep = fl_malloc((size_t)n->ncallers * sizeof *n->route_rep);
    if (!n->core.route_req || !n->route_rep)
        return fl_error_set(e, FL_NOMEM, NULL, "out of memory");
    for (uint32_t i = 0; i < n->ncallers; i++)
        n->core.route_req[i] = n->route_rep[i] = -2;
    return FL_OK;
}

uint32_t fl_net_nodes(const fl_net *n) { return n->nnodes; }

void fl_net_alias(fl_net *n, uint32_t alias, uint32_t to)
{
    for (uint32_t i = 0; i < n->nnodes; i++) {
        if (n->nodes[i].a == alias)
            n->nodes[i].a = to;
        if (n->nodes[i].b == alias)
            n->nodes[i].b = to;
    }
}

fl_link *fl_net_pair_find(fl_net *n, uint32_t a, uint32_t b)
{
    for (uint32_t i = 0; i < n->nnodes; i++)
        if (n->nodes[i].a == a && n->nodes[i].b == b)
            return &n->nodes[i].link;
    return NULL;
}

fl_link *fl_net_node(fl_net *n, uint32_t i, int *za, int *zb)
{
    *za = n->nodes[i].za;
    *zb = n->nodes[i].zb;
    return &n->nodes[i].link;
}

/* The node link for caller -> target (or back), once per caller: -1 when none. */
static int32_t find_route(const fl_net *n, uint32_t caller, uint32_t target, bool reply)
{
    uint32_t from = reply ? target : n->owner[caller], to = reply ? n->owner[caller] : target;
    for (uint32_t i = 0; i < n->nnodes; i++)
        if (n->nodes[i].a == from && n->nodes[i].b == to)
            return (int32_t)i;
    return -1;
}

fl_link *fl_net_node_route(fl_net *n, uint32_t caller, uint32_t target, bool reply)
{
    if (caller >= n->ncallers)
        return NULL;
    int32_t *cache = reply ? n->route_rep : n->core.route_req;
    if (cache[caller] == -2)
        cache[caller] = find_route(n, caller, target, reply);
    return cache[caller] >= 0 ? &n->nodes[cache[caller]].link : NULL;
}
