/* Client policies: see client.h. */
#include "model/client.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cfg.h"

static const char *const client_keys[] = {"timeout", "attempts", "backoff", "jitter",
                                          "retry_budget", "deadline", "propagate_deadline",
                                          "slo", "breaker", "pool", "hedge", NULL};
static const char *const hedge_keys[] = {"after", "max", NULL};
static const char *const pool_keys[] = {"size", "acquire_timeout", NULL};
static const char *const breaker_keys[] = {"threshold", "window", "min_requests", "open_for",
                                           "probes", "fallback", NULL};
static const char *const jitters[] = {"none", "full", "equal", "decorrelated", NULL};
static const char *const budget_keys[] = {"ratio", "burst", NULL};

/* "hedge": "50ms" | "p95" | {"after": "50ms" or "p95", "max": 1} */
static fl_status read_hedge(const cJSON *client, const char *path, fl_client_policy *p,
                            fl_error *e)
{
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(client, "hedge");
    if (!h)
        return FL_OK;
    char hp[300], ap[320];
    fl_cfg_join(hp, sizeof hp, path, "hedge");
    const cJSON *after = h;
    const char *after_path = hp;
    long max = 1;
    fl_status st;
    if (cJSON_IsObject(h)) {
        if ((st = fl_cfg_known_keys(h, hp, hedge_keys, e)) ||
            (st = fl_cfg_int(h, hp, "max", FL_CFG_OPTIONAL, 1, 1, FL_HEDGE_MAX, &max, e)))
            return st;
        after = cJSON_GetObjectItemCaseSensitive(h, "after");
        after_path = fl_cfg_join(ap, sizeof ap, hp, "after");
        if (!after)
            return fl_error_set(e, FL_INVALID, after_path,
                                "missing; expected a delay such as \"50ms\" or a percentile of "
                                "recent tries such as \"p95\"");
    }
    p->hedge_max = (int)max;
    const char *txt = cJSON_IsString(after) ? after->valuestring : NULL;
    if (txt && txt[0] == 'p') {
        /* "p95", "p99.9": read by hand (digits, one optional '.'), never through the locale. */
        double q = 0, scale = 1;
        int digits = 0, dots = 0;
        for (const char *c = txt + 1; *c; c++) {
            if (*c == '.' && !dots++)
                continue;
            if (*c < '0' || *c > '9') {
                digits = -1;
                break;
            }
            digits++;
            if (dots)
                q += (scale /= 10) * (*c - '0');
            else
                q = q * 10 + (*c - '0');
        }
        if (digits <= 0 || !(q >= 1 && q < 100)) {
            char got[64];
            fl_cfg_describe(after, got, sizeof got);
            return fl_error_set(e, FL_INVALID, after_path,
                                "expected a percentile from p1 to p99.9, such as \"p95\", got %s",
                                got);
        }
        p->hedge_quantile = q / 100;
        return FL_OK;
    }
    if (cJSON_IsObject(h))
        return fl_cfg_duration(h, hp, "after", FL_CFG_REQUIRED, 0, 1, FL_TIME_MAX, &p->hedge_after, e);
    return fl_cfg_duration(client, path, "hedge", FL_CFG_REQUIRED, 0, 1, FL_TIME_MAX,
                           &p->hedge_after, e);
}

/* "none" | "constant(d)" | "exponential(base, max=cap)" */
static fl_status read_backoff(const cJSON *client, const char *path, fl_client_policy *p,
                              fl_error *e)
{
    const char *s;
    fl_status st = fl_cfg_string(client, path, "backoff", FL_CFG_OPTIONAL, "none", &s, e);
    if (st)
        return st;
    char bp[300], why[160], got[64];
    fl_cfg_join(bp, sizeof bp, path, "backoff");
    const char *usage = "expected \"none\", \"constant(50ms)\" or \"exponential(10ms, max=1s)\"";
    if (strcmp(s, "none") == 0) {
        p->backoff = FL_BACKOFF_NONE;
        return FL_OK;
    }
    int kind;
    if (fl_parse_backoff(s, &kind, &p->base, &p->cap, why, sizeof why) != 0) {
        fl_cfg_describe(cJSON_GetObjectItemCaseSensitive(client, "backoff"), got, sizeof got);
        return fl_error_set(e, FL_INVALID, bp, "%s, got %s%s%s", usage, got, why[0] ? ": " : "",
                            why);
    }
    if (kind == 1) {
        p->backoff = FL_BACKOFF_CONSTANT;
        p->cap = p->base;
        return FL_OK;
    }
    p->backoff = FL_BACKOFF_EXPONENTIAL;
    if (!p->cap)
        p->cap = 1000 * p->base;
    if (p->base <= 0 || p->cap < p->base)
        return fl_error_set(e, FL_INVALID, bp, "expected 0 < base <= max, got \"%s\"", s);
    return FL_OK;
}

fl_status fl_client_policy_read(const cJSON *client, const char *path, bool workload,
                                fl_client_policy *p, fl_error *e)
{
    memset(p, 0, sizeof *p);
    p->attempts = 1;
    p->budget_burst = 10;
    if (!client)
        return FL_OK;
    fl_status st;
    long attempts;
    int jit;
    if ((st = fl_cfg_object(client, path, e)) ||
        (st = fl_cfg_known_keys(client, path, client_keys, e)) ||
        (st = fl_cfg_duration(client, path, "timeout", FL_CFG_OPTIONAL, 0, 1, FL_TIME_MAX,
                              &p->timeout, e)) ||
        (st = fl_cfg_duration(client, path, "deadline", FL_CFG_OPTIONAL, 0, 1, FL_TIME_MAX,
                              &p->deadline, e)) ||
        (st = fl_cfg_duration(client, path, "slo", FL_CFG_OPTIONAL, 0, 1, FL_TIME_MAX, &p->slo,
                              e)) ||
        (st = fl_cfg_int(client, path, "attempts", FL_CFG_OPTIONAL, 1, 1, 10000, &attempts, e)) ||
        (st = fl_cfg_enum(client, path, "jitter", FL_CFG_OPTIONAL, 0, jitters, &jit, e)) ||
        (st = fl_cfg_bool(client, path, "propagate_deadline", FL_CFG_OPTIONAL, false,
                          &p->propagate_deadline, e)) ||
        (st = read_backoff(client, path, p, e)))
        return st;
    if (p->slo && !workload) {
        char sp[300];
        return fl_error_set(e, FL_INVALID, fl_cfg_join(sp, sizeof sp, path, "slo"),
                            "an SLO is a workload's (give \"slo\" on the workload), not a "
                            "call's: nothing would measure it here");
    }
    p->attempts = (int)attempts;
    p->jitter = (fl_jitter)jit;
    const cJSON *pool = cJSON_GetObjectItemCaseSensitive(client, "pool");
    if (pool) {
        char pp[300];
        long size;
        fl_cfg_join(pp, sizeof pp, path, "pool");
        if ((st = fl_cfg_object(pool, pp, e)) || (st = fl_cfg_known_keys(pool, pp, pool_keys, e)) ||
            (st = fl_cfg_int(pool, pp, "size", FL_CFG_REQUIRED, 0, 1, 10000000, &size, e)) ||
            (st = fl_cfg_duration(pool, pp, "acquire_timeout", FL_CFG_OPTIONAL, 0, 1, FL_TIME_MAX,
                                  &p->pool_acquire_timeout, e)))
            return st;
        p->pool_size = (int)size;
    }
    const cJSON *br = cJSON_GetObjectItemCaseSensitive(client, "breaker");
    if (br) {
        char brp[300];
        long minr, probes;
        fl_cfg_join(brp, sizeof brp, path, "breaker");
        if ((st = fl_cfg_object(br, brp, e)) || (st = fl_cfg_known_keys(br, brp, breaker_keys, e)) ||
            (st = fl_cfg_number(br, brp, "threshold", FL_CFG_OPTIONAL, 0.5, 0.01, 1, &p->br_threshold, e)) ||
            (st = fl_cfg_duration(br, brp, "window", FL_CFG_OPTIONAL, 10 * FL_SEC, 1, FL_TIME_MAX, &p->br_window, e)) ||
            (st = fl_cfg_int(br, brp, "min_requests", FL_CFG_OPTIONAL, 20, 1, 1000000, &minr, e)) ||
            (st = fl_cfg_duration(br, brp, "open_for", FL_CFG_OPTIONAL, 5 * FL_SEC, 1, FL_TIME_MAX, &p->br_open_for, e)) ||
            (st = fl_cfg_int(br, brp, "probes", FL_CFG_OPTIONAL, 3, 1, 1000, &probes, e)) ||
            (st = fl_cfg_bool(br, brp, "fallback", FL_CFG_OPTIONAL, false, &p->br_fallback, e)))
            return st;
        p->breaker = true;
        p->br_min = (int)minr;
        p->br_probes = (int)probes;
    }
    if ((st = read_hedge(client, path, p, e)))
        return st;
    const cJSON *bud = cJSON_GetObjectItemCaseSensitive(client, "retry_budget");
    char bp[300];
    fl_cfg_join(bp, sizeof bp, path, "retry_budget");
    if (cJSON_IsNumber(bud)) {
        if ((st = fl_cfg_number(client, path, "retry_budget", FL_CFG_OPTIONAL, 0, 0.0001, 100,
                                &p->budget_ratio, e)))
            return st;
    } else if (bud) {
        if ((st = fl_cfg_object(bud, bp, e)) || (st = fl_cfg_known_keys(bud, bp, budget_keys, e)) ||
            (st = fl_cfg_number(bud, bp, "ratio", FL_CFG_REQUIRED, 0, 0.0001, 100,
                                &p->budget_ratio, e)) ||
            (st = fl_cfg_number(bud, bp, "burst", FL_CFG_OPTIONAL, 10, 1, 1e9, &p->budget_burst,
                                e)))
            return st;
    }
    return FL_OK;
}

fl_time fl_client_backoff(const fl_client_policy *p, int retry, fl_time prev, fl_rng *r)
{
    if (p->backoff == FL_BACKOFF_NONE)
        return 0;
    double b = (double)p->base;
    if (p->backoff == FL_BACKOFF_EXPONENTIAL)
        b = ldexp(b, retry - 1 < 62 ? retry - 1 : 62);
    if (b > (double)p->cap)
        b = (double)p->cap;
    double u = fl_rng_uniform(r), v;
    switch (p->jitter) {
    case FL_JITTER_FULL:
        v = u * b;
        break;
    case FL_JITTER_EQUAL:
        v = b / 2 + u * b / 2;
        break;
    case FL_JITTER_DECORRELATED: {
        double lo = (double)p->base, hi = 3.0 * (double)(prev > 0 ? prev : p->base);
        v = lo + u * (hi - lo);
        if (v > (double)p->cap)
            v = (double)p->cap;
        break;
    }
    default:
        v = b;
    }
    return (fl_time)nearbyint(v);
}
