/* What the replicated kinds (store, election) share: the replication stream that ships a
 * log in order over the network model, and the lost-write report.
 *
 * A stream ships a log to one follower, one message per entry, in order (an entry is never
 * delivered before the one before it), on the link between the two endpoints
 * (fl_world_peer_send: as one connection, never duplicated). A message lost to a partition
 * or loss breaks the stream: it stays stalled until the kind reconnects it (every
 * FL_REPL_RETRY, as a TCP replication stream would) and resends from the first entry not
 * delivered. */
#ifndef FL_MODEL_REPLICATION_H
#define FL_MODEL_REPLICATION_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include <faultline/check.h>

#include "model/world.h"

#define FL_REPL_RETRY (100 * FL_MS) /* a broken stream reconnects this often */

typedef struct fl_repl_stream {
    uint64_t shipped;      /* entries put on the wire (seq < shipped) */
    fl_time last_delivery; /* the latest delivery so far: the next is no earlier */
    bool stalled;          /* broken: waiting for the kind to reconnect it */
} fl_repl_stream;

/* Schedules the delivery of entry seq at true time `at`; false when out of memory (the
 * stream then breaks as if the message were lost). */
typedef bool (*fl_repl_post)(void *ctx, uint64_t seq, fl_time at);

/* Ships entries [st->shipped, end) from a to b until one is lost: returns false with the
 * stream stalled (the caller schedules its reconnection), true when all are on the wire
 * (or the stream was already stalled: nothing is sent). */
bool fl_repl_ship(fl_world *w, fl_repl_stream *st, fl_peer a, fl_peer b, uint64_t end,
                  fl_repl_post post, void *ctx);

/* Adds the lost_writes check to out: the acknowledged writes (the history) missing from the
 * surviving history, given as its n (key, version) pairs in any order (sorted here, in
 * place). On allocation failure adds "lost_writes_error" instead. */
void fl_repl_report_lost(fl_world *w, fl_kv *applied, size_t n, cJSON *out);

#endif
