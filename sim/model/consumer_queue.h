/* The consumer kind's queue delivery (consumer_queue.c): SQS / Pub/Sub semantics, a
 * visibility timeout (ack deadline) per received message instead of committed offsets.
 * Internal to the consumer kind: consumer.c dispatches to it when "delivery" is "queue". */
#ifndef FL_MODEL_CONSUMER_QUEUE_H
#define FL_MODEL_CONSUMER_QUEUE_H

#include <cjson/cJSON.h>

#include "model/broker.h"
#include "model/world.h"

typedef struct fl_cqueue fl_cqueue;

/* Reads the queue keys of cfg; process and members are the consumer's. NULL *out on
 * allocation failure (FL_NOMEM). */
fl_status fl__cqueue_configure(fl_world *w, fl_component *c, const cJSON *cfg, const char *path,
                               uint32_t members, fl_dist *process, fl_cqueue **out, fl_error *e);
fl_status fl__cqueue_connect(fl_cqueue *q, fl_broker *b);
void fl__cqueue_fault(fl_cqueue *q, const fl_fault *f, bool begin);
void fl__cqueue_sample(fl_cqueue *q, fl_time t);
void fl__cqueue_report(fl_cqueue *q, cJSON *out);
void fl__cqueue_free(fl_cqueue *q);

#endif
