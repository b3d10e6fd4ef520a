/* The replication stream and the lost-write report shared by store and election: see
 * replication.h. */
#include "model/replication.h"

#include <stdlib.h>

#include "core/alloc.h"

bool fl_repl_ship(fl_world *w, fl_repl_stream *st, fl_peer a, fl_peer b, uint64_t end,
                  fl_repl_post post, void *ctx)
{
    if (st->stalled)
        return true;
    fl_time now = fl_sim_now(w->sim);
    while (st->shipped < end) {
        fl_time d = fl_world_peer_send(w, a, b, NULL); /* one connection: never copied */
        fl_time at = now + d > st->last_delivery ? now + d : st->last_delivery;
        if (d < 0 || !post(ctx, st->shipped, at)) {
            st->stalled = true;
            return false;
        }
        st->last_delivery = at;
        st->shipped++;
    }
    return true;
}

static int kv_cmp(const void *a, const void *b)
{
    const fl_kv *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->version < y->version ? -1 : x->version > y->version;
}

void fl_repl_report_lost(fl_world *w, fl_kv *applied, size_t n, cJSON *out)
{
    fl_check_result res;
    qsort(applied, n, sizeof *applied, kv_cmp);
    size_t nk = 0;
    for (size_t i = 0; i < n; i++)
        nk += i == 0 || applied[i].key != applied[i - 1].key;
    fl_key_versions *kv = fl_calloc(nk + 1, sizeof *kv);
    int64_t *vs = fl_malloc((n + 1) * sizeof *vs);
    if (!kv || !vs) {
        cJSON_AddStringToObject(out, "lost_writes_error", "out of memory");
        goto done;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        vs[i] = applied[i].version;
        if (i == 0 || applied[i].key != applied[i - 1].key)
            kv[k++] = (fl_key_versions){applied[i].key, &vs[i], 0};
        kv[k - 1].n++;
    }
    if (fl_check_lost_writes(w->history, kv, nk, &res) == FL_OK)
        fl_world_report_check(out, "lost_writes", &res);
    else
        cJSON_AddStringToObject(out, "lost_writes_error", "out of memory");
done:
    fl_free(kv);
    fl_free(vs);
}
