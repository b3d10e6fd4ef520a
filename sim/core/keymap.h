/* A map from 64-bit keys to 32-bit row numbers: open addressing with linear probing, for the
 * kinds that keep per-key state in rows of their own (store, election). Keys are only
 * added, never removed; the table doubles when half full, so a probe stays short.
 *
 * Invariants: cap is a power of two; rows[i] == FL_KEYMAP_NONE marks an empty slot; n <=
 * cap / 2. Iteration order is the table's, which depends only on the keys inserted. */
#ifndef FL_CORE_KEYMAP_H
#define FL_CORE_KEYMAP_H

#include <stddef.h>
#include <stdint.h>

#define FL_KEYMAP_NONE UINT32_MAX

typedef struct fl_keymap {
    uint64_t *keys;
    uint32_t *rows;
    size_t cap, n;
} fl_keymap;

/* An empty map with room for cap/2 keys (cap: a power of two). -1 when out of memory. */
int fl_keymap_init(fl_keymap *m, size_t cap);
void fl_keymap_free(fl_keymap *m);
/* The row of key, or FL_KEYMAP_NONE. */
uint32_t fl_keymap_find(const fl_keymap *m, uint64_t key);
/* Adds key (not yet in the map) with its row; grows first when needed. -1 when out of
 * memory (the map is unchanged). */
int fl_keymap_put(fl_keymap *m, uint64_t key, uint32_t row);

#endif
