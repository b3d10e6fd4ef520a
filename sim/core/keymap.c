/* Key -> row map: see keymap.h. */
#include "core/keymap.h"

#include "core/alloc.h"

static inline size_t slot(size_t cap, uint64_t key)
{
    uint64_t h = key * 0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
    return (size_t)(h & (cap - 1));
}

int fl_keymap_init(fl_keymap *m, size_t cap)
{
    m->keys = fl_malloc(cap * sizeof *m->keys);
    m->rows = fl_malloc(cap * sizeof *m->rows);
    m->cap = cap;
    m->n = 0;
    if (!m->keys || !m->rows) {
        fl_keymap_free(m);
        return -1;
    }
    for (size_t i = 0; i < cap; i++)
        m->rows[i] = FL_KEYMAP_NONE;
    return 0;
}

void fl_keymap_free(fl_keymap *m)
{
    fl_free(m->keys);
    fl_free(m->rows);
    m->keys = NULL;
    m->rows = NULL;
    m->cap = m->n = 0;
}

uint32_t fl_keymap_find(const fl_keymap *m, uint64_t key)
{
    for (size_t i = slot(m->cap, key);; i = (i + 1) & (m->cap - 1)) {
        if (m->rows[i] == FL_KEYMAP_NONE)
            return FL_KEYMAP_NONE;
        if (m->keys[i] == key)
            return m->rows[i];
    }
}

static void place(uint64_t *keys, uint32_t *rows, size_t cap, uint64_t key, uint32_t row)
{
    size_t j = slot(cap, key);
    while (rows[j] != FL_KEYMAP_NONE)
        j = (j + 1) & (cap - 1);
    keys[j] = key;
    rows[j] = row;
}

int fl_keymap_put(fl_keymap *m, uint64_t key, uint32_t row)
{
    if (2 * (m->n + 1) > m->cap) {
        fl_keymap bigger;
        if (fl_keymap_init(&bigger, m->cap * 2) != 0)
            return -1;
        for (size_t i = 0; i < m->cap; i++)
            if (m->rows[i] != FL_KEYMAP_NONE)
                place(bigger.keys, bigger.rows, bigger.cap, m->keys[i], m->rows[i]);
        bigger.n = m->n;
        fl_keymap_free(m);
        *m = bigger;
    }
    place(m->keys, m->rows, m->cap, key, row);
    m->n++;
    return 0;
}
