/* Zone-to-zone links: see link.h.
 * Invariant: links[] has (nzones+1)^2 entries; entry (a+1)*(nzones+1)+(b+1) is a->b. */
#include "net/link.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/cfg.h"

struct fl_net {
    int nzones;
    fl_link *links;
};

static const char *const link_keys[] = {"default", "zones", NULL};
static const char *const default_keys[] = {"latency", "loss", "burst", NULL};
static const char *const pair_keys[] = {"between", "latency", "loss", "burst", NULL};
static const char *const burst_keys[] = {"enter", "exit", "loss", NULL};

void fl_link_update(fl_link *l)
{
    l->impaired = l->cut > 0 || l->loss > 0 || l->ge_enter > 0 || l->fault_loss > 0;
}

bool fl_link_lose(fl_link *l)
{
    if (l->cut > 0) {
        l->lost_cut++;
        return true;
    }
    double p = l->loss;
    if (l->ge_enter > 0) { /* one step of the chain per message, then its state's loss */
        double u = fl_rng_uniform(&l->rng);
        l->ge_bad = l->ge_bad ? u >= l->ge_exit : u < l->ge_enter;
        if (l->ge_bad)
            p = l->ge_loss;
    }
    p = 1 - (1 - p) * (1 - l->fault_loss);
    if (p > 0 && fl_rng_uniform(&l->rng) < p) {
        l->lost_loss++;
        return true;
    }
    return false;
}

int fl_net_zones(const fl_net *n) { return n->nzones; }

void fl_net_report(const fl_net *n, cJSON *out)
{
    uint64_t sent = 0, cut = 0, loss = 0;
    int m = (n->nzones + 1) * (n->nzones + 1);
    for (int i = 0; i < m; i++) {
        sent += n->links[i].sent;
        cut += n->links[i].lost_cut;
        loss += n->links[i].lost_loss;
    }
    cJSON_AddNumberToObject(out, "messages_sent", (double)sent);
    cJSON_AddNumberToObject(out, "lost_in_partition", (double)cut);
    cJSON_AddNumberToObject(out, "lost_to_loss", (double)loss);
}

/* "loss": p and "burst": {"enter": p, "exit": q, "loss": r} of a links entry. */
static fl_status set_loss(fl_link *l, const cJSON *obj, const char *path, fl_error *e)
{
    fl_status st;
    double loss = -1;
    if ((st = fl_cfg_number(obj, path, "loss", FL_CFG_OPTIONAL, -1, 0, 1, &loss, e)))
        return st;
    if (loss >= 0)
        l->loss = loss;
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(obj, "burst");
    if (b) {
        char bp[300];
        fl_cfg_join(bp, sizeof bp, path, "burst");
        if ((st = fl_cfg_object(b, bp, e)) || (st = fl_cfg_known_keys(b, bp, burst_keys, e)) ||
            (st = fl_cfg_number(b, bp, "enter", FL_CFG_REQUIRED, 0, 1e-9, 1, &l->ge_enter, e)) ||
            (st = fl_cfg_number(b, bp, "exit", FL_CFG_REQUIRED, 0, 1e-9, 1, &l->ge_exit, e)) ||
            (st = fl_cfg_number(b, bp, "loss", FL_CFG_OPTIONAL, 1, 0, 1, &l->ge_loss, e)))
            return st;
    }
    fl_link_update(l);
    return FL_OK;
}

void fl_net_free(fl_net *n)
{
    if (!n)
        return;
    int m = (n->nzones + 1) * (n->nzones + 1);
    for (int i = 0; i < m; i++)
        fl_dist_free(n->links[i].latency);
    fl_free(n->links);
    fl_free(n);
}

fl_link *fl_net_link(fl_net *n, int a, int b)
{
    return &n->links[(a + 1) * (n->nzones + 1) + (b + 1)];
}

static int zone_index(const char *name, const char *const *zones, int nzones)
{
    for (int i = 0; i < nzones; i++)
        if (strcmp(zones[i], name) == 0)
            return i;
    return -1;
}

static fl_status set_latency(fl_link *l, const cJSON *obj, const char *path, fl_error *e)
{
    fl_status lst = set_loss(l, obj, path, e);
    if (lst)
        return lst;
    fl_dist *d = NULL;
    fl_status st = fl_cfg_dist(obj, path, "latency", FL_CFG_OPTIONAL, NULL, &d, e);
    if (st)
        return st;
    if (d) {
        fl_dist_free(l->latency);
        l->latency = d;
    }
    return FL_OK;
}

fl_status fl_net_configure(const cJSON *links, const char *const *zones, int nzones,
                           uint64_t seed, fl_net **out, fl_error *e)
{
    *out = NULL;
    fl_net *n = fl_calloc(1, sizeof *n);
    if (!n)
        return FL_NOMEM;
    n->nzones = nzones;
    int m = (nzones + 1) * (nzones + 1);
    n->links = fl_calloc((size_t)m, sizeof *n->links);
    if (!n->links) {
        fl_free(n);
        return FL_NOMEM;
    }
    for (int a = -1; a < nzones; a++)
        for (int b = -1; b < nzones; b++) {
            char name[160];
            snprintf(name, sizeof name, "link/%s->%s", a < 0 ? "-" : zones[a],
                     b < 0 ? "-" : zones[b]);
            fl_rng_seed(&fl_net_link(n, a, b)->rng, seed, name);
        }
    fl_status st = FL_OK;
    if (!links)
        goto done;
    if ((st = fl_cfg_object(links, "links", e)) || (st = fl_cfg_known_keys(links, "links", link_keys, e)))
        goto done;
    const cJSON *def = cJSON_GetObjectItemCaseSensitive(links, "default");
    if (def) {
        if ((st = fl_cfg_object(def, "links.default", e)) ||
            (st = fl_cfg_known_keys(def, "links.default", default_keys, e)))
            goto done;
        fl_dist *d = NULL;
        if ((st = fl_cfg_dist(def, "links.default", "latency", FL_CFG_OPTIONAL, NULL, &d, e)))
            goto done;
        for (int i = 0; i < m; i++)
            if ((st = set_loss(&n->links[i], def, "links.default", e)))
                goto done;
        /* Every link owns its distribution: parse the (already validated) text again. */
        if (d) {
            const char *text = cJSON_GetObjectItemCaseSensitive(def, "latency")->valuestring;
            fl_dist_free(d);
            for (int i = 0; i < m; i++) {
                fl_error ignore;
                if (fl_dist_parse(text, &n->links[i].latency, &ignore) != FL_OK) {
                    st = fl_error_set(e, FL_NOMEM, "links.default.latency", "out of memory");
                    goto done;
                }
            }
        }
    }
    const cJSON *pairs = cJSON_GetObjectItemCaseSensitive(links, "zones");
    if (pairs) {
        if (!cJSON_IsArray(pairs)) {
            st = fl_error_set(e, FL_INVALID, "links.zones", "expected an array of {\"between\": [a, b], \"latency\": ...}");
            goto done;
        }
        int i = 0;
        for (const cJSON *p = pairs->child; p; p = p->next, i++) {
            char path[128], bp[160];
            fl_cfg_index(path, sizeof path, "links.zones", i);
            if ((st = fl_cfg_object(p, path, e)) || (st = fl_cfg_known_keys(p, path, pair_keys, e)))
                goto done;
            const cJSON *bt = cJSON_GetObjectItemCaseSensitive(p, "between");
            fl_cfg_join(bp, sizeof bp, path, "between");
            if (!cJSON_IsArray(bt) || cJSON_GetArraySize(bt) != 2 ||
                !cJSON_IsString(bt->child) || !cJSON_IsString(bt->child->next)) {
                st = fl_error_set(e, FL_INVALID, bp, "expected two zone names, such as [\"east\", \"west\"]");
                goto done;
            }
            int za = zone_index(bt->child->valuestring, zones, nzones);
            int zb = zone_index(bt->child->next->valuestring, zones, nzones);
            if (za < 0 || zb < 0) {
                const char *bad = za < 0 ? bt->child->valuestring : bt->child->next->valuestring;
                const char *s = fl_cfg_suggest(bad, zones);
                st = fl_error_set(e, FL_UNKNOWN, bp, "unknown zone \"%s\"%s%s%s", bad,
                                  s ? " (did you mean \"" : " (declare it in \"zones\")",
                                  s ? s : "", s ? "\"?)" : "");
                goto done;
            }
            /* "between" is symmetric: both directions get the latency. */
            if ((st = set_latency(fl_net_link(n, za, zb), p, path, e)))
                goto done;
            if (za != zb && (st = set_latency(fl_net_link(n, zb, za), p, path, e)))
                goto done;
        }
    }
done:
    if (st) {
        fl_net_free(n);
        return st;
    }
    *out = n;
    return FL_OK;
}
