/* The network between zones: directed links with a latency distribution, loss
 * (independent, or bursty: a two-state Gilbert-Elliott chain), and timed faults that cut a
 * link (partitions), make it lossy (flaky) or add latency (slow).
 *
 * A message's fate is decided when it is sent: sent while its link is cut, it is lost;
 * sent before the cut, it is already on the wire and arrives. Loss costs one draw from
 * the link's own stream per message, and only on links that have loss configured: a
 * healthy link costs one branch.
 *
 * Links are looked up per (from zone, to zone); zone -1 ("no zone") is a zone of its own.
 * Each directed link has its own random stream ("link/<from>-><to>"), so adding traffic on
 * one link never shifts another's delays. A link with no latency configured delivers in
 * zero time and the caller may skip the event queue entirely. */
#ifndef FL_NET_LINK_H
#define FL_NET_LINK_H

#include <stdbool.h>
#include <cjson/cJSON.h>
#include <faultline/dist.h>
#include <faultline/rng.h>
#include <faultline/status.h>

typedef struct fl_net fl_net;

typedef struct fl_link {
    fl_dist *latency; /* NULL: zero delay */
    fl_rng rng;
    uint64_t sent, lost_cut, lost_loss;
    double loss;         /* independent loss probability (good state) */
    double ge_enter, ge_exit, ge_loss; /* Gilbert-Elliott: P(good->bad), P(bad->good), loss in bad */
    bool ge_bad;
    int cut;             /* partitions in force on this link (they may overlap) */
    double fault_loss;   /* a flaky fault's loss, on top */
    fl_time extra;       /* a slow fault's added latency */
    bool impaired;       /* any of the above: the slow path in fl_link_send */
} fl_link;

/* Reads the scenario's "links" object (may be NULL) for the given zones.
 * On success *out is owned by the caller (fl_net_free). */
fl_status fl_net_configure(const cJSON *links, const char *const *zones, int nzones,
                           uint64_t seed, fl_net **out, fl_error *e);
void fl_net_free(fl_net *n);
/* The directed link from zone a to zone b (either may be -1). */
fl_link *fl_net_link(fl_net *n, int a, int b);

/* Recomputes l->impaired after a change. */
void fl_link_update(fl_link *l);
/* Decides whether a message sent now is lost (cut or loss); false on a healthy link. */
bool fl_link_lose(fl_link *l);

/* Sends one message on link l: returns its delay, or -1 when it is lost. */
static inline fl_time fl_link_send(fl_link *l)
{
    l->sent++;
    if (l->impaired && fl_link_lose(l))
        return -1;
    fl_time d = l->latency ? fl_dist_sample(l->latency, &l->rng) : 0;
    return d + l->extra;
}
/* Adds {sent, lost_in_partition, lost_to_loss} over every link to out. */
void fl_net_report(const fl_net *n, cJSON *out);
int fl_net_zones(const fl_net *n);

#endif
