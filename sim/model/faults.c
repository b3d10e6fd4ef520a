/* The fault timeline: timed faults on components, each with a start and (usually) an end.
 *
 *   "faults": [{"at": "60s", "for": "10s", "slow": {"node": "api", "factor": 10}},
 *              {"at": "90s", "for": "30s", "crash": "db"},
 *              {"at": "100s", "for": "15s", "pause": "api", "label": "GC pause"}]
 *
 * slow    service times of work starting on the node are multiplied by `factor`
 * crash   queued and in-service work is lost (no reply: callers time out); arrivals are
 *         refused until the node restarts `for` later (no "for": it stays down)
 * bad_value  (a cache) every value its backend returns is rejected as invalid, as when a
 *         corrupt configuration value is stored: each fill counts as a backend error
 * pause   stop-the-world: nothing completes until it ends, then everything due does; the
 *         node's own timers (its calls' timeouts and retries) and the replies it receives
 *         are held too, and all fire when it resumes
 * hang    the node accepts requests and never answers them (a deadlock, a blackhole):
 *         work queued or in service when it begins and every request that arrives while it
 *         lasts get no reply (callers wait for their timeouts); unlike a crash nothing is
 *         refused, unlike a pause nothing is answered late. When it ends the node serves
 *         again. Requires "for". Declared by kinds that model it (service)
 *
 * A node fault names a node ("db") or one member of a replicated node ("db/2", member 2
 * counted from 0). Each kind declares the faults it models on the node and on a member
 * (fl_component_ops.faults, .member_faults); any other is refused here, at load, with the
 * list of those it supports: a fault is modelled or refused, never ignored. Overlapping
 * faults compose: slowdowns multiply (fl_world_slowdown: the product of those in force),
 * a node is paused while any pause is in force (the latest end wins).
 *
 * and on a node's clock (no "for": a step is instant, a slew lasts as long as it takes):
 *
 *   {"at": "40s", "clock": {"node": "lock1", "step": "+2s"}}        the wall clock jumps
 *   {"at": "40s", "clock": {"node": "db", "slew": "-50ms", "rate": "500ppm"}}
 *
 * A slew runs the clock faster (or slower) by `rate` until it has gained (lost) the amount;
 * it moves the monotonic clock too, a step only the wall clock (include/faultline/clock.h).
 * A kind that reads one clock per member (CLOCK in its member_faults: election) takes a
 * member's: {"clock": {"node": "etcd/0", "slew": "-30s", "rate": "50000ppm"}} moves only that
 * member's clock; a fault on the node moves the node's and every member's.
 *
 * and on the network between zones (nodes and workloads without a zone are in "-"):
 *
 *   {"at": "30s", "for": "43s", "partition": [["east"], ["west"]]}       both ways
 *   {"at": "30s", "for": "43s", "partition": {"from": ["east"], "to": ["west"]}}  one way
 *   {"at": "30s", "for": "10s", "partition": {"links": [["api", "db"], ["db", "api"]]}}
 *   {"at": "30s", "for": "10s", "flaky": {"between": ["east", "west"], "loss": 0.3}}
 *   {"at": "30s", "for": "10s", "flaky": {"between": ["east", "west"], "duplicate": 0.1}}
 *   {"at": "30s", "for": "10s", "slow_link": {"between": ["east", "west"], "add": "200ms"}}
 *
 * A partition cuts every link from a zone of one group to a zone of another (listed
 * groups only: a zone in no group keeps its links); a partition by "links" cuts only the
 * named directed pairs of nodes (or workloads, or members: "redis/1"), each a node link of
 * its own (net/link.h); kinds' own messages between those endpoints take it too.
 * Messages sent on a cut link are lost; messages already in flight when it is cut arrive.
 * A fault on a zone pair reaches the node links between those zones too.
 *
 * and a staged rollout of a bad version to a balancer's backends (rollout.c), which ends
 * when it is rolled back:
 *
 *   {"at": "300s", "rollout": {"to": "edge", "waves": [0.01, 0.1, 1], "wave_interval": "5m",
 *     "effect": {"cpu_factor": 100}, "rollback": {"error_rate": 0.05, "after": "27m"}}}
 *
 * Each fault is an event pair on the engine's queue, so it interleaves deterministically
 * with the traffic; faults cost nothing per event while they are not changing state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/cfg.h"
#include "model/rollout.h"
#include "model/world.h"

static const char *const fault_keys[] = {"at", "for",
#define FL__FAULT(n, s) s,
                                         FL_FAULT_TABLE(FL__FAULT)
#undef FL__FAULT
                                         "label", NULL};
static const char *const clock_fault_keys[] = {"node", "step", "slew", "rate", NULL};
static const char *const slow_keys[] = {"node", "factor", NULL};
static const char *const oneway_keys[] = {"from", "to", "links", NULL};
static const char *const flaky_keys[] = {"between", "loss", "duplicate", NULL};
static const char *const slowlink_keys[] = {"between", "add", NULL};

/* A zone name to its index: "-" is "no zone" (-1). Returns -2 when unknown. */
static int zone_of(const fl_world *w, const char *name)
{
    if (strcmp(name, "-") == 0)
        return -1;
    for (int z = 0; z < w->nzones; z++)
        if (strcmp(w->zones[z], name) == 0)
            return z;
    return -2;
}

/* Reads an array of zone names into a membership mask (index z+1). */
static fl_status zone_set(const fl_world *w, const cJSON *arr, const char *path, uint8_t *mask,
                          fl_error *e)
{
    if (!cJSON_IsArray(arr) || !arr->child)
        return fl_error_set(e, FL_INVALID, path, "expected a non-empty array of zone names");
    int i = 0;
    for (const cJSON *z = arr->child; z; z = z->next, i++) {
        char p[300];
        fl_cfg_index(p, sizeof p, path, i);
        int zi = cJSON_IsString(z) ? zone_of(w, z->valuestring) : -2;
        if (zi == -2) {
            char got[64];
            fl_cfg_describe(z, got, sizeof got);
            return fl_error_set(e, FL_UNKNOWN, p, "expected a zone declared in \"zones\" (or \"-\" "
                                                  "for nodes without one), got %s", got);
        }
        mask[zi + 1] = 1;
    }
    return FL_OK;
}

/* A partition by "links": [[from, to], ...], directed pairs of nodes or workloads. The
 * node links' indices go after the zone mask, in the same allocation. */
static fl_status partition_links(fl_world *w, fl_fault *f, const cJSON *arr, const char *path,
                                 fl_error *e)
{
    if (!cJSON_IsArray(arr) || !arr->child)
        return fl_error_set(e, FL_INVALID, path, "expected a non-empty array of directed pairs "
                                                 "of nodes, such as [[\"api\", \"db\"]]");
    size_t nz = (size_t)w->nzones + 1, off = (nz * nz + 7) / 8 * 8;
    size_t n = (size_t)cJSON_GetArraySize(arr);
    uint8_t *x = fl_realloc(f->links, off + n * sizeof *f->pairs);
    if (!x)
        return fl_error_set(e, FL_NOMEM, NULL, "out of memory");
    f->links = x;
    f->pairs = (uint32_t *)(void *)(x + off);
    int i = 0;
    fl_status st;
    for (const cJSON *pr = arr->child; pr; pr = pr->next, i++) {
        char p[340];
        fl_cfg_index(p, sizeof p, path, i);
        if (!cJSON_IsArray(pr) || cJSON_GetArraySize(pr) != 2 || !cJSON_IsString(pr->child) ||
            !cJSON_IsString(pr->child->next) ||
            strcmp(pr->child->valuestring, pr->child->next->valuestring) == 0)
            return fl_error_set(e, FL_INVALID, p, "expected a pair of two different node (or "
                                                  "workload) names, from and to, such as "
                                                  "[\"api\", \"db\"]");
        if ((st = fl_net_node_pair(w->net, pr->child->valuestring, pr->child->next->valuestring,
                                   p, &f->pairs[i], e)))
            return st;
        f->npairs = (uint32_t)i + 1;
    }
    return FL_OK;
}

/* Reads the network part of a fault into f (kind, links hit, loss or added latency). */
static fl_status link_fault(fl_world *w, fl_fault *f, const cJSON *fc, const char *path,
                            fl_error *e)
{
    int nz = w->nzones + 1;
    f->links = fl_calloc((size_t)nz * (size_t)nz, 1);
    uint8_t *a = fl_calloc((size_t)nz, 1), *b = fl_calloc((size_t)nz, 1);
    fl_status st = FL_OK;
    char p[300], q[340];
    if (!f->links || !a || !b) {
        st = FL_NOMEM;
        goto done;
    }
    const cJSON *part = cJSON_GetObjectItemCaseSensitive(fc, "partition");
    const cJSON *flaky = cJSON_GetObjectItemCaseSensitive(fc, "flaky");
    const cJSON *slow = cJSON_GetObjectItemCaseSensitive(fc, "slow_link");
    if (part) {
        f->kind = FL_FAULT_PARTITION;
        fl_cfg_join(p, sizeof p, path, "partition");
        if (cJSON_IsArray(part)) { /* groups: cut every pair of distinct groups, both ways */
            int ng = cJSON_GetArraySize(part);
            if (ng < 2) {
                st = fl_error_set(e, FL_INVALID, p, "expected two or more groups of zones, such "
                                                    "as [[\"east\"], [\"west\"]]");
                goto done;
            }
            uint8_t *group = fl_calloc((size_t)nz, 1); /* zone -> group + 1 */
            if (!group) {
                st = FL_NOMEM;
                goto done;
            }
            int gi = 0;
            for (const cJSON *g = part->child; g && !st; g = g->next, gi++) {
                memset(a, 0, (size_t)nz);
                fl_cfg_index(q, sizeof q, p, gi);
                if (!(st = zone_set(w, g, q, a, e)))
                    for (int z = 0; z < nz; z++)
                        if (a[z]) {
                            if (group[z]) {
                                st = fl_error_set(e, FL_INVALID, q, "zone \"%s\" is in two groups",
                                                  z ? w->zones[z - 1] : "-");
                                break;
                            }
                            group[z] = (uint8_t)(gi + 1);
                        }
            }
            for (int x = 0; x < nz && !st; x++)
                for (int y = 0; y < nz; y++)
                    if (group[x] && group[y] && group[x] != group[y])
                        f->links[x * nz + y] = 1;
            fl_free(group);
        } else if (cJSON_IsObject(part) && cJSON_GetObjectItemCaseSensitive(part, "links")) {
            if ((st = fl_cfg_known_keys(part, p, oneway_keys, e)))
                goto done;
            if (cJSON_GetObjectItemCaseSensitive(part, "from") ||
                cJSON_GetObjectItemCaseSensitive(part, "to"))
                st = fl_error_set(e, FL_INVALID, p, "expected either \"links\" (pairs of nodes) "
                                                    "or \"from\" and \"to\" (zones), not both");
            else
                st = partition_links(w, f, cJSON_GetObjectItemCaseSensitive(part, "links"),
                                     fl_cfg_join(q, sizeof q, p, "links"), e);
        } else if (cJSON_IsObject(part)) { /* one way */
            if ((st = fl_cfg_known_keys(part, p, oneway_keys, e)) ||
                (st = zone_set(w, cJSON_GetObjectItemCaseSensitive(part, "from"),
                               fl_cfg_join(q, sizeof q, p, "from"), a, e)) ||
                (st = zone_set(w, cJSON_GetObjectItemCaseSensitive(part, "to"),
                               fl_cfg_join(q, sizeof q, p, "to"), b, e)))
                goto done;
            for (int x = 0; x < nz; x++)
                for (int y = 0; y < nz; y++)
                    if (a[x] && b[y] && x != y)
                        f->links[x * nz + y] = 1;
        } else
            st = fl_error_set(e, FL_INVALID, p, "expected groups [[\"east\"], [\"west\"]], one "
                                                "way {\"from\": [\"east\"], \"to\": [\"west\"]} "
                                                "or node pairs {\"links\": [[\"api\", \"db\"]]}");
    } else {
        const cJSON *o = flaky ? flaky : slow;
        f->kind = flaky ? FL_FAULT_FLAKY : FL_FAULT_SLOW_LINK;
        fl_cfg_join(p, sizeof p, path, flaky ? "flaky" : "slow_link");
        if ((st = fl_cfg_object(o, p, e)) ||
            (st = fl_cfg_known_keys(o, p, flaky ? flaky_keys : slowlink_keys, e)))
            goto done;
        const cJSON *bt = cJSON_GetObjectItemCaseSensitive(o, "between");
        fl_cfg_join(q, sizeof q, p, "between");
        if (!cJSON_IsArray(bt) || cJSON_GetArraySize(bt) != 2) {
            st = fl_error_set(e, FL_INVALID, q, "expected two zone names, such as [\"east\", \"west\"]");
            goto done;
        }
        if ((st = zone_set(w, bt, q, a, e)))
            goto done;
        int za = zone_of(w, cJSON_GetStringValue(bt->child)) + 1;
        int zb = zone_of(w, cJSON_GetStringValue(bt->child->next)) + 1;
        f->links[za * nz + zb] = f->links[zb * nz + za] = 1;
        if (flaky) { /* loss, duplication or both */
            bool dup = cJSON_GetObjectItemCaseSensitive(o, "duplicate") != NULL;
            if (!dup && !cJSON_GetObjectItemCaseSensitive(o, "loss"))
                st = fl_error_set(e, FL_INVALID, p, "expected \"loss\" (a probability), "
                                                    "\"duplicate\" (a probability) or both");
            else if (!(st = fl_cfg_number(o, p, "loss", FL_CFG_OPTIONAL, 0, 0, 1, &f->factor, e)) &&
                !(st = fl_cfg_number(o, p, "duplicate", FL_CFG_OPTIONAL, 0, 0, 1, &f->dup, e)) &&
                dup)
                fl_net_want_detail(w->net); /* the report then counts the copies */
        } else
            st = fl_cfg_duration(o, p, "add", FL_CFG_REQUIRED, 0, 0, FL_TIME_MAX, &f->extra, e);
    }
done:
    fl_free(a);
    fl_free(b);
    return st == FL_NOMEM ? fl_error_set(e, FL_NOMEM, NULL, "out of memory") : st;
}

/* Applies (s = 1) or lifts (s = -1) a link fault on one link, whose zones' entry in a
 * fault's mask is `cell`. The flaky faults in force on it compose as independent losses
 * (and duplications): 1 - (1 - a)(1 - b), recomputed from those in force in timeline
 * order, so the end of one leaves exactly the others' (and one alone gives its own p). */
static void change_link(const fl_world *w, fl_link *l, size_t cell, const fl_fault *f, int s)
{
    if (f->kind == FL_FAULT_PARTITION) {
        l->cut += s;
    } else if (f->kind == FL_FAULT_FLAKY) {
        double loss = 0, dup = 0;
        for (uint32_t i = 0; i < w->nfaults; i++) {
            const fl_fault *g = &w->faults[i];
            if (g->kind == FL_FAULT_FLAKY && g->active && g->links[cell]) {
                loss = loss + g->factor - loss * g->factor;
                dup = dup + g->dup - dup * g->dup;
            }
        }
        l->fault_loss = loss;
        l->fault_dup = dup;
    } else {
        l->extra += s * f->extra;
    }
    fl_link_update(l);
}

/* Applies (begin) or lifts a link fault. Overlapping faults compose: a link is cut while
 * any partition cuts it, losses compose as independent ones, added latencies add up. A
 * fault on a zone pair reaches its node links too. */
static void apply_link_fault(fl_world *w, fl_fault *f, bool begin)
{
    int nz = w->nzones + 1, s = begin ? 1 : -1, za, zb;
    f->active = begin;
    for (int x = 0; x < nz; x++)
        for (int y = 0; y < nz; y++)
            if (f->links[x * nz + y])
                change_link(w, fl_net_link(w->net, x - 1, y - 1), (size_t)(x * nz + y), f, s);
    for (uint32_t k = 0; k < fl_net_nodes(w->net); k++) {
        fl_link *l = fl_net_node(w->net, k, &za, &zb);
        size_t cell = (size_t)((za + 1) * nz + (zb + 1));
        if (f->links[cell])
            change_link(w, l, cell, f, s);
    }
    for (uint32_t k = 0; k < f->npairs; k++) /* partitions only: no loss to compose */
        change_link(w, fl_net_node(w->net, f->pairs[k], &za, &zb), 0, f, s);
}

static fl_status find_node(fl_world *w, const char *name, const char *path, uint32_t *out,
                           fl_error *e)
{
    return fl_world_find_node(w, name, NULL, NULL, path, out, e);
}

/* Fault names as scenarios write them, by fl_fault_kind. */
const char *fl_fault_name(fl_fault_kind k)
{
    static const char *const names[] = {
#define FL__FAULT(n, s) s,
        FL_FAULT_TABLE(FL__FAULT)
#undef FL__FAULT
    };
    return (unsigned)k < FL_FAULT_COUNT ? names[k] : "?";
}

/* The faults in `bits`, as "crash, pause" (in the order of FL_FAULT_TABLE). */
static void list_faults(unsigned bits, char *buf, size_t n)
{
    size_t w = 0;
    buf[0] = 0;
    for (unsigned k = 0; k < FL_FAULT_COUNT && w < n; k++)
        if (bits & (1u << k))
            w += (size_t)snprintf(buf + w, n - w, "%s%s", w ? ", " : "", fl_fault_name(k));
    if (!w)
        snprintf(buf, n, "none");
}

/* Resolves the node a fault names, "db" (the node) or "db/2" (its member 2), into
 * f->target and f->member, and refuses a fault the kind does not model. `p` is the path of
 * the name, `fpath` that of the fault ("faults[2].slow"). A node whose own name is "a/1"
 * is found by that name first. */
static fl_status find_target(fl_world *w, fl_fault *f, const char *spec, const char *p,
                             const char *fpath, fl_error *e)
{
    char name[256];
    const char *slash = strrchr(spec, '/');
    f->member = -1;
    fl_status st = FL_OK;
    uint32_t t;
    bool whole = false;
    for (t = 0; t < w->ncomps && !whole; t++)
        whole = strcmp(w->comps[t]->name, spec) == 0;
    if (whole) {
        f->target = t - 1;
    } else if (slash && slash[1] && strspn(slash + 1, "0123456789") == strlen(slash + 1) &&
               (size_t)(slash - spec) < sizeof name) {
        snprintf(name, sizeof name, "%.*s", (int)(slash - spec), spec);
        if ((st = find_node(w, name, p, &f->target, e)))
            return st;
        long m = strlen(slash + 1) > 9 ? -1 : strtol(slash + 1, NULL, 10);
        f->member = m < 0 ? INT32_MAX : (int32_t)m;
    } else if ((st = find_node(w, spec, p, &f->target, e))) {
        return st;
    }
    const fl_component *c = w->comps[f->target];
    const fl_component_ops *ops = c->ops;
    unsigned bit = 1u << f->kind;
    char list[96];
    if (!(ops->faults & bit)) {
        list_faults(ops->faults, list, sizeof list);
        return fl_error_set(e, FL_INVALID, fpath, "kind %s does not support \"%s\" (it "
                                                  "supports: %s)",
                            ops->kind, fl_fault_name(f->kind), list);
    }
    if (f->member < 0)
        return FL_OK;
    const char *noun = "member";
    uint32_t n = ops->members ? ops->members(c, &noun) : 0;
    if (!ops->member_faults)
        return fl_error_set(e, FL_INVALID, p, "a %s has no members a fault can name (\"%s\" is "
                                              "the node followed by a member number); name the "
                                              "node alone, \"%s\"",
                            ops->kind, spec, c->name);
    if (!(ops->member_faults & bit)) {
        list_faults(ops->member_faults, list, sizeof list);
        return fl_error_set(e, FL_INVALID, p, "kind %s does not support \"%s\" on one member "
                                              "(on a member it supports: %s); name the node "
                                              "alone, \"%s\"",
                            ops->kind, fl_fault_name(f->kind), list, c->name);
    }
    if ((uint32_t)f->member >= n)
        return fl_error_set(e, FL_INVALID, p, "\"%s\" has %u %ss, numbered 0 to %u; got %s",
                            c->name, n, noun, n - 1, slash + 1);
    return FL_OK;
}

double fl_world_slowdown(const fl_world *w, uint32_t comp, int32_t member)
{
    double x = 1;
    for (uint32_t i = 0; i < w->nfaults; i++) {
        const fl_fault *f = &w->faults[i];
        if (f->kind == FL_FAULT_SLOW && f->active && f->target == comp && f->member == member)
            x *= f->factor;
    }
    return x;
}

/* Prepares the clocks a clock fault on f->target (f->member) changes: a member's clock is
 * made on first use, a copy of the node's schedule so far. FL_NOMEM when memory ran out. */
static fl_status fault_clocks(fl_world *w, const fl_fault *f)
{
    fl_component *c = w->comps[f->target];
    if (!c->host.clock && !(c->host.clock = fl_clock_new(0, 0)))
        return FL_NOMEM;
    if (f->member < 0)
        return FL_OK;
    if (!c->mclock) {
        const char *noun;
        uint32_t n = c->ops->members(c, &noun);
        if (!(c->mclock = fl_calloc(n, sizeof *c->mclock)))
            return FL_NOMEM;
        c->nmclock = n;
    }
    fl_clock **mc = &c->mclock[f->member];
    return *mc || (*mc = fl_clock_copy(c->host.clock)) ? FL_OK : FL_NOMEM;
}

/* The i-th clock (from 0) the fault changes, NULL past the last: a member's own, or the
 * node's followed by every member clock made so far. */
static fl_clock *fault_clock(const fl_world *w, const fl_fault *f, uint32_t i)
{
    const fl_component *c = w->comps[f->target];
    if (f->member >= 0)
        return i == 0 ? c->mclock[f->member] : NULL;
    if (i == 0)
        return c->host.clock;
    for (uint32_t m = 0; m < c->nmclock; m++)
        if (c->mclock[m] && --i == 0)
            return c->mclock[m];
    return NULL;
}

/* {"clock": {"node": N, "step": D}} or {"clock": {"node": N, "slew": D, "rate": R}}: folded
 * into the node's clock now (its whole schedule is known before the run), or into one
 * member's ("etcd/2") when the kind reads a clock per member; the timeline keeps the fault
 * for the trace. */
static fl_status clock_fault(fl_world *w, fl_fault *f, const cJSON *clk, const char *path,
                             fl_time dur, const char *label, fl_error *e)
{
    char p[128], q[160];
    fl_status st;
    const char *node;
    fl_cfg_join(p, sizeof p, path, "clock");
    if (dur)
        return fl_error_set(e, FL_INVALID, fl_cfg_join(q, sizeof q, path, "for"),
                            "a clock fault takes no \"for\": a step is instant and a slew "
                            "lasts until the clock has gained its amount at its rate");
    f->kind = FL_FAULT_CLOCK; /* find_target refuses a kind where nothing reads the clock */
    if ((st = fl_cfg_object(clk, p, e)) || (st = fl_cfg_known_keys(clk, p, clock_fault_keys, e)) ||
        (st = fl_cfg_string(clk, p, "node", FL_CFG_REQUIRED, NULL, &node, e)) ||
        (st = find_target(w, f, node, fl_cfg_join(q, sizeof q, p, "node"), p, e)))
        return st;
    const cJSON *stepv = cJSON_GetObjectItemCaseSensitive(clk, "step");
    const cJSON *slewv = cJSON_GetObjectItemCaseSensitive(clk, "slew");
    if ((stepv != NULL) == (slewv != NULL))
        return fl_error_set(e, FL_INVALID, p, "expected either \"step\" (the wall clock jumps, "
                                              "such as \"+2s\") or \"slew\" with \"rate\"");
    fl_clock *k;
    fl_time by;
    char amount[32];
    if (stepv) {
        if ((st = fl_cfg_offset(clk, p, "step", FL_CFG_REQUIRED, 24 * FL_HOUR, &by, e)))
            return st;
        if (cJSON_GetObjectItemCaseSensitive(clk, "rate"))
            return fl_error_set(e, FL_INVALID, fl_cfg_join(q, sizeof q, p, "rate"),
                                "a step takes no rate (a slew does)");
        if ((st = fault_clocks(w, f)))
            return st;
        for (uint32_t i = 0; (k = fault_clock(w, f, i)); i++)
            if ((st = fl_clock_step(k, f->at, by)))
                return st;
        f->until = f->at;
    } else {
        int64_t rate;
        if ((st = fl_cfg_offset(clk, p, "slew", FL_CFG_REQUIRED, 24 * FL_HOUR, &by, e)) ||
            (st = fl_cfg_ppm(clk, p, "rate", FL_CFG_REQUIRED, true, FL_CLOCK_MAX_PPB, &rate, e)))
            return st;
        if (by == 0)
            return fl_error_set(e, FL_INVALID, fl_cfg_join(q, sizeof q, p, "slew"),
                                "expected a non-zero amount to gain or lose");
        if ((st = fault_clocks(w, f)))
            return st;
        for (uint32_t i = 0; !st && (k = fault_clock(w, f, i)); i++)
            st = fl_clock_slew(k, f->at, by, rate, &f->until);
        if (st == FL_INVALID)
            return fl_error_set(e, FL_INVALID, fl_cfg_join(q, sizeof q, p, "rate"),
                                "the clock of \"%s\" would run more than %d%% off true time "
                                "with this slew on top of its drift and other slews",
                                node, FL_CLOCK_MAX_PPB / 10000000);
        if (st)
            return st;
    }
    fl_format_duration(by < 0 ? -by : by, amount, sizeof amount);
    if (label)
        snprintf(f->label, sizeof f->label, "%s", label);
    else
        snprintf(f->label, sizeof f->label, "%s clock %s %s%s", node, stepv ? "steps" : "slews",
                 by < 0 ? "-" : "+", amount);
    return FL_OK;
}

static void on_fault(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)sim;
    fl_world *w = ctx;
    fl_fault *f = &w->faults[arg / 2];
    if (f->links) {
        apply_link_fault(w, f, arg % 2 == 0);
        return;
    }
    fl_component *c = w->comps[f->target];
    f->active = arg % 2 == 0;
    /* A pause of the node stops its host (every caller and timer on it) while any pause
     * is in force: the latest end wins. A member's pause is the kind's to model. */
    if (f->kind == FL_FAULT_PAUSE && f->member < 0 && f->active && f->until > c->host.paused_until)
        c->host.paused_until = f->until;
    if (f->kind != FL_FAULT_CLOCK && c->ops->fault) /* faults.c let only declared ones in */
        c->ops->fault(w, c, f, f->active);
}

fl_status fl_faults_configure(fl_world *w, const cJSON *faults, fl_error *e)
{
    w->h_fault = fl_sim_handler(w->sim, on_fault, w);
    if (w->h_fault < 0)
        return FL_NOMEM;
    if (!faults)
        return FL_OK;
    if (!cJSON_IsArray(faults))
        return fl_error_set(e, FL_INVALID, "faults", "expected an array of faults, such as "
                                                     "[{\"at\": \"60s\", \"for\": \"10s\", "
                                                     "\"crash\": \"api\"}]");
    int n = cJSON_GetArraySize(faults);
    w->faults = fl_calloc((size_t)n + 1, sizeof *w->faults);
    if (!w->faults)
        return FL_NOMEM;
    int i = 0;
    fl_status st;
    for (const cJSON *fc = faults->child; fc; fc = fc->next, i++) {
        char path[64], p[128];
        fl_cfg_index(path, sizeof path, "faults", i);
        fl_fault *f = &w->faults[i];
        f->member = -1;
        w->nfaults = (uint32_t)i + 1; /* so that fl_world_free frees what this one allocates */
        fl_time dur = 0;
        const char *label = NULL;
        if ((st = fl_cfg_object(fc, path, e)) || (st = fl_cfg_known_keys(fc, path, fault_keys, e)) ||
            (st = fl_cfg_duration(fc, path, "at", FL_CFG_REQUIRED, 0, 0, w->duration, &f->at, e)) ||
            (st = fl_cfg_duration(fc, path, "for", FL_CFG_OPTIONAL, 0, 1, FL_TIME_MAX, &dur, e)) ||
            (st = fl_cfg_string(fc, path, "label", FL_CFG_OPTIONAL, NULL, &label, e)))
            return st;
        const cJSON *slow = cJSON_GetObjectItemCaseSensitive(fc, "slow");
        const cJSON *crash = cJSON_GetObjectItemCaseSensitive(fc, "crash");
        const cJSON *pause = cJSON_GetObjectItemCaseSensitive(fc, "pause");
        const cJSON *hang = cJSON_GetObjectItemCaseSensitive(fc, "hang");
        const cJSON *bad = cJSON_GetObjectItemCaseSensitive(fc, "bad_value");
        int nlink = (cJSON_GetObjectItemCaseSensitive(fc, "partition") != NULL) +
                    (cJSON_GetObjectItemCaseSensitive(fc, "flaky") != NULL) +
                    (cJSON_GetObjectItemCaseSensitive(fc, "slow_link") != NULL);
        const cJSON *clk = cJSON_GetObjectItemCaseSensitive(fc, "clock");
        const cJSON *ro = cJSON_GetObjectItemCaseSensitive(fc, "rollout");
        if ((slow != NULL) + (crash != NULL) + (pause != NULL) + (hang != NULL) + (clk != NULL) +
                (bad != NULL) + (ro != NULL) + nlink != 1)
            return fl_error_set(e, FL_INVALID, path, "expected exactly one of \"slow\", "
                                                     "\"crash\", \"pause\", \"hang\", "
                                                     "\"clock\", \"bad_value\", \"rollout\", "
                                                     "\"partition\", \"flaky\" or "
                                                     "\"slow_link\"");
        const char *node = NULL;
        if (ro) {
            if (dur)
                return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "for"),
                                    "a rollout takes no \"for\": it lasts until it is rolled "
                                    "back (\"rollback\": a health signal, or \"after\" for a "
                                    "manual rollback)");
            if ((st = fl__rollout_read(w, f, ro, fl_cfg_join(p, sizeof p, path, "rollout"), label,
                                       e)))
                return st;
            /* It lasts to the end unless rolled back: revert() moves faults_end back. */
            w->faults_end = w->duration;
            continue;
        }
        if (clk) {
            if ((st = clock_fault(w, f, clk, path, dur, label, e)))
                return st;
            fl_time end = f->until < w->duration ? f->until : w->duration;
            if (end > w->faults_end)
                w->faults_end = end;
            continue;
        }
        if (nlink) {
            if ((st = link_fault(w, f, fc, path, e)))
                return st;
            if (!dur)
                return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "for"),
                                    "missing; expected how long the fault lasts, such as \"10s\"");
            f->until = f->at > FL_TIME_MAX - dur ? FL_TIME_MAX : f->at + dur;
            static const char *const names[] = {"", "", "", "partition", "flaky link", "slow link"};
            snprintf(f->label, sizeof f->label, "%s", label ? label : names[f->kind]);
            fl_time end = f->until < w->duration ? f->until : w->duration;
            if (end > w->faults_end)
                w->faults_end = end;
            w->nfaults = (uint32_t)i + 1;
            continue;
        }
        char fpath[128]; /* faults[i].slow: where a refusal points */
        if (slow) {
            fl_cfg_join(p, sizeof p, path, "slow");
            f->kind = FL_FAULT_SLOW;
            if ((st = fl_cfg_object(slow, p, e)) || (st = fl_cfg_known_keys(slow, p, slow_keys, e)) ||
                (st = fl_cfg_string(slow, p, "node", FL_CFG_REQUIRED, NULL, &node, e)) ||
                (st = fl_cfg_number(slow, p, "factor", FL_CFG_REQUIRED, 1, 0.001, 1e6, &f->factor, e)))
                return st;
            snprintf(fpath, sizeof fpath, "%s", p);
            fl_cfg_join(p, sizeof p, fpath, "node");
        } else {
            const cJSON *v = crash ? crash : pause ? pause : hang ? hang : bad;
            f->kind = crash   ? FL_FAULT_CRASH
                      : pause ? FL_FAULT_PAUSE
                      : hang  ? FL_FAULT_HANG
                              : FL_FAULT_BAD_VALUE;
            fl_cfg_join(p, sizeof p, path, fl_fault_name(f->kind));
            if (!cJSON_IsString(v)) {
                char got[64];
                fl_cfg_describe(v, got, sizeof got);
                return fl_error_set(e, FL_INVALID, p, "expected a node name (or \"node/N\" for "
                                                      "its member N), got %s", got);
            }
            node = v->valuestring;
            snprintf(fpath, sizeof fpath, "%s", p);
        }
        if ((st = find_target(w, f, node, p, fpath, e)))
            return st;
        if (!dur && f->kind != FL_FAULT_CRASH)
            return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "for"),
                                "missing; expected how long the fault lasts, such as \"10s\"");
        f->until = dur ? (f->at > FL_TIME_MAX - dur ? FL_TIME_MAX : f->at + dur) : FL_TIME_MAX;
        if (label)
            snprintf(f->label, sizeof f->label, "%s", label);
        else if (f->kind == FL_FAULT_SLOW)
            snprintf(f->label, sizeof f->label, "%s %gx slower", node, f->factor);
        else
            snprintf(f->label, sizeof f->label, "%s %s", node,
                     f->kind == FL_FAULT_CRASH   ? "down"
                     : f->kind == FL_FAULT_PAUSE ? "paused"
                     : f->kind == FL_FAULT_HANG  ? "hangs"
                                                 : "gets invalid values");
        fl_time end = f->until < w->duration ? f->until : w->duration;
        if (end > w->faults_end)
            w->faults_end = end;
        w->nfaults = (uint32_t)i + 1;
    }
    return FL_OK;
}
