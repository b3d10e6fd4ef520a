/* Internal to the three lock kinds: `lock` (a lease lock server, lock.c), `lock_client`
 * (a client that takes the lock and writes, lock_client.c) and `lock_storage` (the storage
 * the lock protects, lock_storage.c).
 *
 * Messages between them are records in the sending client's pool (no allocation per
 * message once the pool has grown): a request event carries (client index << 32 | record
 * id), the server or storage fills in its answer and sends the same record back with
 * fl_lock_reply. Whoever learns that a record will never be delivered frees it: the
 * client when its request is lost on the way, the server or storage when the reply is (or
 * when it needs none: a release, a request to a crashed node). */
#ifndef FL_MODEL_LOCK_INT_H
#define FL_MODEL_LOCK_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "model/world.h"

/* FL_LOCK_FENCE: a new holder's token-carrying touch of the storage, before it relies on
 * the lock ("fence_on_acquire"); it writes nothing. */
typedef enum fl_lock_msg_type {
    FL_LOCK_ACQUIRE,
    FL_LOCK_RELEASE,
    FL_LOCK_WRITE,
    FL_LOCK_FENCE
} fl_lock_msg_type;

typedef struct fl_lock_msg {
    int64_t token;   /* acquire: the token granted; release: the lease's token (or
                        FL_TOKEN_NONE: whatever lease this owner has); write, fence: the hold's
                        token */
    int64_t version; /* write: the version it writes */
    fl_time expiry;  /* acquire: the true time the lease ends (measurement only) */
    uint32_t owner;  /* acquire/release: the client's attempt number (Redis' random value) */
    uint32_t seq;    /* the client's step the record belongs to */
    uint32_t next;   /* the pool's free list */
    uint8_t type;    /* fl_lock_msg_type */
    uint8_t slot;    /* acquire/release: the server's place in the client's list */
    uint8_t ok;      /* the answer: granted / accepted (a fence: not older than the highest) */
    uint8_t fence;   /* write: token is a fencing token (one lock server) */
} fl_lock_msg;

/* lock_client.c: the record `id` of client component `client`. */
fl_lock_msg *fl_lock_msg_at(fl_component *client, uint32_t id);
/* Sends record id back from node `from` to its client on their link (fl_world_peer_send;
 * a connection: never duplicated), or frees it when the reply is lost. */
void fl_lock_reply(fl_world *w, fl_component *client, uint32_t id, const fl_component *from);
/* Frees record id: it will never be answered. */
void fl_lock_msg_drop(fl_component *client, uint32_t id);
/* The holds client believed it had, up to `now` (a hold still open ends at now). *out is
 * owned by the caller; FL_NOMEM on allocation failure. */
fl_status fl_lock_client_holds(const fl_component *client, fl_time now, fl_lock_hold **out,
                               size_t *n);
/* The storage component the client writes to. */
uint32_t fl_lock_client_storage(const fl_component *client);

/* lock.c: the server's lease length (on its own clock) and its inbox handler. */
fl_time fl_lock_server_ttl(const fl_component *server);
int fl_lock_server_inbox(const fl_component *server);

/* lock_storage.c: its inbox handler, and whether it checks fencing tokens. */
int fl_lock_storage_inbox(const fl_component *storage);
bool fl_lock_storage_fencing(const fl_component *storage);

#endif
