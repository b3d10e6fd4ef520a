/* The network between zones: directed links with a latency distribution.
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
    uint64_t sent;
} fl_link;

/* Reads the scenario's "links" object (may be NULL) for the given zones.
 * On success *out is owned by the caller (fl_net_free). */
fl_status fl_net_configure(const cJSON *links, const char *const *zones, int nzones,
                           uint64_t seed, fl_net **out, fl_error *e);
void fl_net_free(fl_net *n);
/* The directed link from zone a to zone b (either may be -1). */
fl_link *fl_net_link(fl_net *n, int a, int b);

/* One message's delay on link l (0 when the link has no latency). */
static inline fl_time fl_link_delay(fl_link *l)
{
    l->sent++;
    return l->latency ? fl_dist_sample(l->latency, &l->rng) : 0;
}

#endif
