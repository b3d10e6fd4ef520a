/* The registry of component kinds. Adding a kind: its file in sim/model/, one line here,
 * a test and a scenario. */
#include "model/world.h"

#include <string.h>

static const fl_component_ops *const kinds[] = {
    &fl_service_ops,
    &fl_broker_ops,
    &fl_consumer_ops,
    &fl_election_ops,
    &fl_gateway_ops,
    &fl_lock_ops,
    &fl_lock_client_ops,
    &fl_lock_storage_ops,
    &fl_store_ops,
    &fl_cache_ops,
    &fl_occ_ops,
};

static const char *const kind_names[] = {
    "service",
    "broker",
    "consumer",
    "election",
    "gateway",
    "lock",
    "lock_client",
    "lock_storage",
    "store",
    "cache",
    "occ",
    NULL,
};

const fl_component_ops *fl_kind_find(const char *kind)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i]->kind, kind) == 0)
            return kinds[i];
    return NULL;
}

const char *const *fl_kind_names(void) { return kind_names; }
