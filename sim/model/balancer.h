/* What an autoscaler asks of a balancer (balancer.c): its pool is the set of instances an
 * autoscaler sizes. A backend marked "standby" is outside the pool until an autoscaler
 * takes it (provisioning) and then adds it; removing one puts it back on standby. */
#ifndef FL_MODEL_BALANCER_H
#define FL_MODEL_BALANCER_H

#include "model/world.h"

/* Backends in the pool now. */
uint32_t fl__balancer_pool(const fl_component *lb);
/* The i-th backend in the pool's component index (i < fl__balancer_pool). */
uint32_t fl__balancer_pool_node(const fl_component *lb, uint32_t i);
/* Every backend's component index (standby ones too): *n gets the count. */
uint32_t fl__balancer_backend_node(const fl_component *lb, uint32_t i, uint32_t *n);
/* Takes the first standby backend for provisioning: its index, or -1 when none is left. */
int fl__balancer_take_standby(fl_component *lb);
/* Adds backend idx (taken with fl__balancer_take_standby) to the pool. */
void fl__balancer_add(fl_component *lb, int idx);
/* Puts the last standby-capable backend of the pool back on standby (its pinned
 * connections reopen elsewhere); false when none can leave. */
bool fl__balancer_remove(fl_component *lb);
/* Mean seconds of the calls that ended since the last call, and how many (then resets). */
double fl__balancer_take_latency(fl_component *lb, uint64_t *n);
/* The name of the balancer an autoscaler sizes (autoscaler.c), or NULL. */
const char *fl__autoscaler_pool_name(const fl_component *c);
/* A service joins cold (service.c): its restart warm-up starts now, if it has one. */
void fl__service_cold_start(fl_component *c);
/* A service's busy workers, workers and queued requests now (service.c). */
void fl__service_load(const fl_component *c, int *busy, int *workers, uint64_t *queued);

#endif
