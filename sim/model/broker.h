/* The broker's interface to its consumer groups (broker.c, consumer.c): internal to the
 * model, not a public header.
 *
 * A broker node holds one topic of `partitions` append-only logs. A message is named by
 * its id (1, 2, 3, ... over the whole topic, in publishing order) and sits at an offset of
 * its partition. Consumer groups (consumer.c) read the logs directly: a fetch or a commit
 * between a consumer and the broker is not a network message in this model. */
#ifndef FL_MODEL_BROKER_H
#define FL_MODEL_BROKER_H

#include <stdbool.h>
#include <stdint.h>

#include "model/world.h"

typedef struct fl_broker fl_broker;

/* What a poison message does to the consumer that processes it without an error policy. */
typedef enum fl_poison_effect {
    FL_POISON_CRASH, /* the consumer process dies (an unhandled deserialization error) */
    FL_POISON_LOOP,  /* the error is caught, the consumer seeks back and reads it again */
} fl_poison_effect;

/* A message was appended to partition p (at offset log_end - 1). */
typedef void (*fl_broker_append_fn)(void *ctx, uint32_t p);

/* The broker state of component c, or NULL when c is not a broker. */
fl_broker *fl_broker_of(const fl_component *c);
uint32_t fl_broker_partitions(const fl_broker *b);
/* The next offset to be written in partition p (= messages in it). */
uint64_t fl_broker_log_end(const fl_broker *b, uint32_t p);
/* The message at offset off (< log end) of partition p: its id and when it was published. */
uint64_t fl_broker_msg_id(const fl_broker *b, uint32_t p, uint64_t off);
fl_time fl_broker_msg_time(const fl_broker *b, uint32_t p, uint64_t off);
/* True when that message is the poison pill. */
bool fl_broker_msg_poison(const fl_broker *b, uint32_t p, uint64_t off);
fl_poison_effect fl_broker_poison_effect(const fl_broker *b);
/* False while the broker is crashed or paused: nothing is fetched or committed (and while
 * it is crashed, nothing is published). */
bool fl_broker_up(const fl_broker *b);
/* Calls fn(ctx, p) after every append, and for every partition when the broker crashes,
 * restarts, pauses or resumes.
 * Called from a consumer's connect(). */
fl_status fl_broker_subscribe(fl_broker *b, fl_broker_append_fn fn, void *ctx);
/* A consumer gave up on the message at (p, off) and published it to the dead-letter topic. */
void fl_broker_dead_letter(fl_broker *b, uint32_t p, uint64_t off);

#endif
