/* The network: directed links with a latency distribution, loss (independent, or bursty: a
 * two-state Gilbert-Elliott chain), duplication, FIFO or reordering delivery, a bandwidth
 * with a queue, and timed faults that cut a link (partitions), make it lossy or duplicating
 * (flaky) or add latency (slow).
 *
 * Links exist per (from zone, to zone); zone -1 ("no zone") is a zone of its own. A link
 * between two named endpoints ("links": {"nodes": [{"from": "api", "to": "db", ...}]}, or a
 * partition that cuts named pairs) is a node link: a copy of its zone link's configuration
 * with its own state and stream, used for the requests and replies between exactly those
 * two endpoints (a workload may be an endpoint, and so may a member of a replicated node,
 * "db/2"). Kinds' own messages (replication, votes, the lock protocol) take the node link
 * between their two endpoints when there is one, else the zone link (fl_net_pair; the
 * world's fl_world_peer_send).
 *
 * In-flight rule: a message's fate is decided when it is sent. Sent while its link is cut,
 * it is lost; sent before the cut, it is already on the wire and arrives (a heal likewise
 * lets through only messages sent after it). Loss costs one draw from the link's own stream
 * per message, and only on links that have loss configured.
 *
 * Duplication ("duplicate": p): a message that is not lost is delivered twice with
 * probability p, the copy with its own latency draw; the earlier of the two deliveries goes
 * to the original, the later to the copy. A duplicated request is served twice (the copy is
 * a request record of its own whose client has already gone: its reply is ignored); a
 * duplicated reply reaches the client twice and the second is ignored.
 *
 * Ordering: messages may overtake each other when latencies vary; "fifo": true delivers
 * each no earlier than the previous one on its link. "reordered" counts the messages
 * delivered before an earlier-sent one on their link, on the links that name one of the
 * extras (duplicate, fifo -- true or false --, bandwidth, request_bytes, reply_bytes):
 * those take the slow path; the others stay on the fast path and are not counted.
 *
 * Bandwidth ("bandwidth": "100Mbit/s"): a message occupies the link for size / bandwidth
 * (requests "request_bytes", replies "reply_bytes", both 1024 by default; kinds' own
 * messages count as requests) and messages queue behind each other, so a saturated link
 * adds queueing delay; the latency is added after the serialisation. A message lost to
 * loss has taken its slot; one sent on a cut link has not.
 *
 * A healthy link (no loss, cut and none of the extras) is one predictable branch:
 * `impaired` false, whatever other links use. Each directed link has its own random stream ("link/<from>-><to>"; node
 * links "link/node:<from>-><to>"), so adding traffic on one link never shifts another's
 * delays. A link with no latency delivers in zero time and the caller may skip the event
 * queue entirely. */
#ifndef FL_NET_LINK_H
#define FL_NET_LINK_H

#include <stdbool.h>
#include <cjson/cJSON.h>
#include <faultline/dist.h>
#include <faultline/rng.h>
#include <faultline/sim.h>
#include <faultline/status.h>

typedef struct fl_net fl_net;

/* A branch the fast path does not take (a hint for the compiler's block layout). */
#if defined(__GNUC__)
#define FL_NET_RARELY(x) __builtin_expect(!!(x), 0)
#else
#define FL_NET_RARELY(x) (x)
#endif

/* What a message is, for its size on a link with a bandwidth. */
typedef enum fl_msg { FL_MSG_REQUEST, FL_MSG_REPLY } fl_msg;

typedef struct fl_link {
    /* What every message reads, together. */
    fl_dist *latency;    /* NULL: zero delay */
    fl_time extra;       /* a slow fault's added latency */
    uint64_t sent;
    bool impaired;       /* any of the below: the slow path in fl_link_send */
    bool fifo;           /* no overtaking */
    bool track;          /* names one of the extras: the slow path, which counts reordering */
    bool borrowed;       /* latency belongs to another link (a node link's zone link) */
    bool ge_bad;
    int cut;             /* partitions in force on this link (they may overlap) */
    fl_rng rng;
    uint64_t lost_cut, lost_loss;
    double loss;         /* independent loss probability (good state) */
    double ge_enter, ge_exit, ge_loss; /* Gilbert-Elliott: P(good->bad), P(bad->good), loss in bad */
    double fault_loss;   /* a flaky fault's loss, on top */
    /* The slow path's extras (zero on a link that uses none of them). */
    double dup, fault_dup;  /* duplication probability; a flaky fault's, on top */
    uint64_t bps;        /* bandwidth in bits per second; 0: unlimited */
    uint32_t req_bytes, rep_bytes;
    const fl_sim *sim;   /* for the current time on the slow path */
    fl_time last_arrival; /* the latest delivery time of a message sent so far */
    fl_time free_at;     /* when the link has sent every queued message (bandwidth) */
    fl_time twice[2];    /* FL_LINK_TWICE: the delays of the original and of its copy */
    uint64_t duplicated, reordered, carried, bytes;
    fl_time busy, queued, queued_max; /* serialisation and queueing totals (bandwidth) */
} fl_link;

/* The part of the network every message reads: the first member of struct fl_net
 * (link.c), so that the lookups below inline. Read it only through them. */
typedef struct fl_net_core {
    int nzones;
    fl_link *links;      /* (nzones+1)^2: entry (a+1)*(nzones+1)+(b+1) is a->b */
    int32_t *route_req;  /* per caller (NULL: no node links): see fl_net_route */
    uint32_t npairs;     /* node links, once resolved (0: fl_net_pair is one branch) */
} fl_net_core;

/* Reads the scenario's "links" object (may be NULL) for the given zones (their names must
 * outlive the network: the report uses them). On success *out is owned by the caller
 * (fl_net_free). Node links are read later, by fl_net_resolve. */
fl_status fl_net_configure(const cJSON *links, const char *const *zones, int nzones,
                           uint64_t seed, fl_net **out, fl_error *e);
void fl_net_free(fl_net *n);
/* The directed zone link from zone a to zone b (either may be -1). */
static inline fl_link *fl_net_link(fl_net *n, int a, int b)
{
    const fl_net_core *c = (const fl_net_core *)(const void *)n;
    return &c->links[(a + 1) * (c->nzones + 1) + (b + 1)];
}

/* Callers [first, end) of the world belong to endpoint `owner` (a node index, or the
 * number of nodes + a workload index): their requests leave from it. */
fl_status fl_net_own_callers(fl_net *n, uint32_t first, uint32_t end, uint32_t owner);
/* The endpoint caller i belongs to (UINT32_MAX: none). */
uint32_t fl_net_owner(const fl_net *n, uint32_t caller);
/* The node link from endpoint `from` to `to`, by name, created (as a copy of its zone link,
 * when resolved) if new: *index names it for fl_net_node. path is where it is named, for
 * an error about an unknown name. The scenario's report then shows every link. */
fl_status fl_net_node_pair(fl_net *n, const char *from, const char *to, const char *path,
                           uint32_t *index, fl_error *e);
/* The scenario uses the network's extras (a flaky fault that duplicates): the report
 * shows every link. */
void fl_net_want_detail(fl_net *n);
/* Endpoint i's name and (when zone is not NULL) zone: i < nnodes are nodes, the rest
 * workloads. */
typedef const char *(*fl_net_endpoint_fn)(void *ctx, uint32_t i, int *zone);
/* After every node, workload and fault is read: binds the links to the clock, resolves
 * the node links' endpoint names and reads links.nodes. Endpoints [0, nnodes) are nodes,
 * [nnodes, nworkloads_end) workloads, the rest members of nodes (fl_net_alias). */
fl_status fl_net_resolve(fl_net *n, const fl_sim *sim, fl_net_endpoint_fn endpoint, void *ctx,
                         uint32_t nnodes, uint32_t nworkloads_end, uint32_t nendpoints,
                         fl_error *e);
/* After fl_net_resolve: endpoint `alias` is another name of endpoint `to` (a store's member
 * 0 is the node itself): the node links naming it join `to`. */
void fl_net_alias(fl_net *n, uint32_t alias, uint32_t to);
/* The node link from endpoint a to endpoint b, or NULL (then a message takes the zone
 * link). A scan of the node links: the scenarios that name some have a handful. */
static inline fl_link *fl_net_pair(fl_net *n, uint32_t a, uint32_t b);
/* Node links: how many, and link i with its zone pair. */
uint32_t fl_net_nodes(const fl_net *n);
fl_link *fl_net_node(fl_net *n, uint32_t i, int *za, int *zb);
/* The node link for fl_net_route, or NULL. */
fl_link *fl_net_node_route(fl_net *n, uint32_t caller, uint32_t target, bool reply);
/* The link a request of `caller` (in zone cz) to node `target` (in zone tz) travels on,
 * or (reply) the link its reply travels back on: the node link when one exists for that
 * pair, else the zone link. Costs one branch when there are no node links. */
static inline fl_link *fl_net_route(fl_net *n, uint32_t caller, int cz, uint32_t target, int tz,
                                    bool reply)
{
    if (FL_NET_RARELY(((const fl_net_core *)(const void *)n)->route_req)) {
        fl_link *o = fl_net_node_route(n, caller, target, reply);
        if (o)
            return o;
    }
    return reply ? fl_net_link(n, tz, cz) : fl_net_link(n, cz, tz);
}

fl_link *fl_net_pair_find(fl_net *n, uint32_t a, uint32_t b);
static inline fl_link *fl_net_pair(fl_net *n, uint32_t a, uint32_t b)
{
    if (FL_NET_RARELY(((const fl_net_core *)(const void *)n)->npairs))
        return fl_net_pair_find(n, a, b);
    return NULL;
}

/* Recomputes l->impaired after a change. */
void fl_link_update(fl_link *l);
/* Decides whether a message sent now is lost (cut or loss); false on a healthy link. */
bool fl_link_lose(fl_link *l);
/* What fl_link_send_msg returns, besides a delay: the message is lost; or it is
 * duplicated, the delays of the original and of the copy in l->twice. */
#define FL_LINK_LOST ((fl_time)-1)
#define FL_LINK_TWICE ((fl_time)-2)

/* The slow path of fl_link_send and fl_link_send_msg (may_copy false: never duplicated). */
fl_time fl_link_send_slow(fl_link *l, fl_msg m, bool may_copy);

/* Sends one message on link l: returns its delay, or -1 when it is lost; never
 * duplicated (a kind's stream, whose connection drops the network's copies). */
static inline fl_time fl_link_send(fl_link *l)
{
    l->sent++;
    if (l->impaired)
        return fl_link_send_slow(l, FL_MSG_REQUEST, false);
    fl_time d = l->latency ? fl_dist_sample(l->latency, &l->rng) : 0;
    return d + l->extra;
}
/* Sends a request or reply: its delay, FL_LINK_LOST, or FL_LINK_TWICE when it is
 * duplicated (so that the fast path tests one sign only). */
static inline fl_time fl_link_send_msg(fl_link *l, fl_msg m)
{
    l->sent++;
    if (l->impaired)
        return fl_link_send_slow(l, m, true);
    fl_time d = l->latency ? fl_dist_sample(l->latency, &l->rng) : 0;
    return d + l->extra;
}
/* Adds {messages_sent, lost_in_partition, lost_to_loss} over every link to out; when the
 * scenario uses the network's extras, also duplicated, reordered and every link's counts
 * ("zone_links": {"east->west": ...}, "node_links": {"api->db": ...}). */
void fl_net_report(const fl_net *n, cJSON *out);
int fl_net_zones(const fl_net *n);

#endif
