/* Kind descriptors (model/world.h, kinds.def): required parts are checked before any kind
 * is used, keys and series columns are checked against the descriptor. */
#include <stdio.h>
#include <string.h>

#include <faultline/figures.h>

#include "core/cfg.h"
#include "model/world.h"
#include "testutil.h"

static fl_status cfg_ok(fl_world *w, fl_component *c, const cJSON *cfg, const char *path,
                        fl_error *e)
{
    (void)w, (void)c, (void)cfg, (void)path, (void)e;
    return FL_OK;
}
static void req_ok(fl_world *w, fl_component *c, uint32_t req) { (void)w, (void)c, (void)req; }
static void report_ok(fl_world *w, fl_component *c, cJSON *out) { (void)w, (void)c, (void)out; }
static void destroy_ok(fl_component *c) { (void)c; }
static void fault_ok(fl_world *w, fl_component *c, const fl_fault *f, bool begin)
{
    (void)w, (void)c, (void)f, (void)begin;
}

static uint32_t members_two(const fl_component *c, const char **noun)
{
    (void)c;
    *noun = "member";
    return 2;
}

static const fl_kind_param no_params[] = {
    {NULL, NULL, NULL, NULL, NULL, NULL, FL_KV_OTHER, FL_NO_BOUNDS}};

START_TEST(every_registered_kind_is_complete)
{
    fl_error e;
    ck_assert_msg(fl_kinds_check(&e) == FL_OK, "%s", e.msg);
    size_t n;
    const fl_component_ops *const *k = fl_kinds(&n);
    const char *const *names = fl_kind_names();
    ck_assert_uint_ge(n, 10);
    for (size_t i = 0; i < n; i++) {
        ck_assert_str_eq(names[i], k[i]->kind);
        ck_assert_ptr_eq(fl_kind_find(names[i]), k[i]);
        ck_assert_ptr_nonnull(k[i]->params[0].key); /* every kind takes some key */
    }
    ck_assert_ptr_null(names[n]);
}
END_TEST

START_TEST(a_kind_missing_a_required_callback_is_refused)
{
    fl_component_ops ops = {.kind = "broken", .about = "a test", .params = no_params,
                            .configure = cfg_ok, .report = report_ok, .destroy = destroy_ok};
    fl_error e;
    ck_assert_int_eq(fl_kind_check(&ops, &e), FL_INTERNAL);
    ck_assert_str_eq(e.msg, "kind broken lacks its required \"on_request\" "
                            "(see docs/writing-a-kind.md)");
    ops.on_request = req_ok;
    ck_assert_int_eq(fl_kind_check(&ops, &e), FL_OK);
    ops.faults = FL_FAULT_BIT(CLOCK); /* a clock fault needs no callback */
    ck_assert_int_eq(fl_kind_check(&ops, &e), FL_OK);
    ops.faults |= FL_FAULT_BIT(CRASH); /* a crash with nothing to hear it */
    ck_assert_int_eq(fl_kind_check(&ops, &e), FL_INTERNAL);
    ck_assert_str_eq(e.msg,
                     "kind broken lacks its required \"fault\" (see docs/writing-a-kind.md)");
    ops.fault = fault_ok;
    ops.member_faults = FL_FAULT_BIT(CRASH); /* members without a count */
    ck_assert_int_eq(fl_kind_check(&ops, &e), FL_INTERNAL);
    ck_assert_str_eq(e.msg,
                     "kind broken lacks its required \"members\" (see docs/writing-a-kind.md)");
    ops.members = members_two; /* members without their zones: no network endpoints */
    ck_assert_int_eq(fl_kind_check(&ops, &e), FL_INTERNAL);
    ck_assert_str_eq(e.msg, "kind broken lacks its required \"member_zone\" "
                            "(see docs/writing-a-kind.md)");
    ops.members = NULL;
    ops.member_faults = 0;
    ops.params = NULL;
    ck_assert_int_eq(fl_kind_check(&ops, &e), FL_INTERNAL);
    ck_assert_str_eq(e.msg,
                     "kind broken lacks its required \"params\" (see docs/writing-a-kind.md)");
}
END_TEST

START_TEST(keys_come_from_the_descriptor)
{
    const fl_component_ops *svc = fl_kind_find("service");
    ck_assert_ptr_nonnull(svc);
    cJSON *o = cJSON_Parse("{\"name\": \"a\", \"kind\": \"service\", \"zone\": \"z\", "
                           "\"clock\": {}, \"queue\": {}, \"calls\": [], \"workers\": 2}");
    fl_error e;
    ck_assert_msg(fl_kind_known_keys(svc, o, "nodes[0]", &e) == FL_OK, "%s", e.msg);
    cJSON_AddNumberToObject(o, "workerz", 3);
    ck_assert_int_eq(fl_kind_known_keys(svc, o, "nodes[0]", &e), FL_UNKNOWN);
    ck_assert_str_eq(e.path, "nodes[0].workerz");
    ck_assert_str_eq(e.msg, "unknown key \"workerz\" (did you mean \"workers\"?)");
    cJSON_Delete(o);
    /* a nested key's part after the dot is not a key of the node */
    o = cJSON_Parse("{\"capacity\": 3}");
    ck_assert_int_eq(fl_kind_known_keys(svc, o, "nodes[0]", &e), FL_UNKNOWN);
    cJSON_Delete(o);
}
END_TEST

/* A nested object's keys come from the descriptor's nested rows ("queue.capacity",
 * "on_error.retry_topic.delay"), deduplicated, with "did you mean". */
START_TEST(nested_keys_come_from_the_descriptor)
{
    const fl_component_ops *svc = fl_kind_find("service"), *con = fl_kind_find("consumer");
    fl_error e;
    cJSON *o = cJSON_Parse("{\"capacity\": 3, \"discipline\": \"lifo\", \"max_wait\": 1, "
                           "\"drop_expired\": true}");
    ck_assert_msg(fl_kind_sub_keys(svc, "queue", o, "nodes[0].queue", &e) == FL_OK, "%s", e.msg);
    cJSON_AddNumberToObject(o, "capcity", 3);
    ck_assert_int_eq(fl_kind_sub_keys(svc, "queue", o, "nodes[0].queue", &e), FL_UNKNOWN);
    ck_assert_str_eq(e.path, "nodes[0].queue.capcity");
    ck_assert_str_eq(e.msg, "unknown key \"capcity\" (did you mean \"capacity\"?)");
    cJSON_Delete(o);
    o = cJSON_Parse("{\"retries\": 1, \"retry_topic\": {}}"); /* a nested object's head */
    ck_assert_msg(fl_kind_sub_keys(con, "on_error", o, "p", &e) == FL_OK, "%s", e.msg);
    ck_assert_int_eq(fl_kind_sub_keys(con, "on_error.retry_topic", o, "p", &e), FL_UNKNOWN);
    ck_assert_str_eq(e.msg, "unknown key \"retries\"");
    cJSON_Delete(o);
}
END_TEST

/* So a new kind cannot forget: every integer, number, rate or duration parameter of every
 * kind declares its bounds, and they are a non-empty range. */
START_TEST(every_numeric_parameter_declares_bounds)
{
    size_t n;
    const fl_component_ops *const *k = fl_kinds(&n);
    size_t numeric = 0;
    for (size_t i = 0; i < n; i++)
        for (const fl_kind_param *p = k[i]->params; p->key; p++) {
            if (p->value == FL_KV_OTHER) {
                ck_assert_msg(p->bounds.flags == 0, "%s.%s: bounds on a non-numeric parameter",
                              k[i]->kind, p->key);
                continue;
            }
            numeric++;
            unsigned f = p->bounds.flags;
            ck_assert_msg(f & (FL_BOUND_MIN | FL_BOUND_MAX), "%s.%s declares no bounds",
                          k[i]->kind, p->key);
            if ((f & FL_BOUND_MIN) && (f & FL_BOUND_MAX))
                ck_assert_msg(p->bounds.min < p->bounds.max, "%s.%s: empty range", k[i]->kind,
                              p->key);
            char b[96];
            fl_kind_bounds_text(p, b, sizeof b);
            ck_assert_msg(*b, "%s.%s: no bounds text", k[i]->kind, p->key);
        }
    ck_assert_uint_ge(numeric, 60);
}
END_TEST

START_TEST(a_numeric_parameter_without_bounds_is_refused)
{
    static const fl_kind_param params[] = {
        {"workers", "integer", "", "`1`", "`4`", "doc", FL_KV_INTEGER, FL_NO_BOUNDS},
        {NULL, NULL, NULL, NULL, NULL, NULL, FL_KV_OTHER, FL_NO_BOUNDS},
    };
    fl_component_ops ops = {.kind = "broken", .about = "a test", .params = params,
                            .configure = cfg_ok, .on_request = req_ok, .report = report_ok,
                            .destroy = destroy_ok};
    fl_error e;
    ck_assert_int_eq(fl_kind_check(&ops, &e), FL_INTERNAL);
    ck_assert_str_eq(e.msg, "kind broken: numeric parameter \"workers\" declares no bounds "
                            "(FL_RANGE, FL_AT_LEAST, FL_ABOVE, ...)");
}
END_TEST

static const fl_kind_param bounded[] = {
    {"workers", "integer", "", "`1`", "`4`", "d", FL_KV_INTEGER, FL_RANGE(1, 1e6)},
    {"n", "integer", "", "`1`", "`4`", "d", FL_KV_INTEGER, FL_AT_LEAST(1)},
    {"p", "number", "", "`0`", "`0.5`", "d", FL_KV_NUMBER, FL_RANGE(0, 1)},
    {"factor", "number", "", "`2`", "`3`", "d", FL_KV_NUMBER, FL_ABOVE(0)},
    {"q.wait", "duration", "", "`1s`", "`1s`", "d", FL_KV_DURATION, FL_RANGE(0.001, 3600)},
    {"rate", "rate", "", "`1/s`", "`1/s`", "d", FL_KV_RATE, FL_ABOVE_TO(0, 1e7)},
    {"cap", "integer", "", "`1`", "`1`", "d", FL_KV_INTEGER, FL_LIMIT_OR_UNBOUNDED},
    {NULL, NULL, NULL, NULL, NULL, NULL, FL_KV_OTHER, FL_NO_BOUNDS},
};
static const fl_component_ops bounded_ops = {.kind = "b", .about = "a test", .params = bounded};

static const char *bounds_msg(const char *json)
{
    static fl_error e;
    cJSON *cfg = cJSON_Parse(json);
    ck_assert_ptr_nonnull(cfg);
    fl_status st = fl_kind_check_bounds(&bounded_ops, cfg, "nodes[2]", &e);
    cJSON_Delete(cfg);
    if (st == FL_OK)
        return "ok";
    static char buf[800];
    snprintf(buf, sizeof buf, "%s: %s", e.path, e.msg);
    return buf;
}

START_TEST(bounds_are_enforced_from_the_descriptor)
{
    ck_assert_str_eq(bounds_msg("{\"workers\": 1, \"n\": 7, \"p\": 1, \"factor\": 0.01, "
                                "\"q\": {\"wait\": \"1h\"}, \"rate\": \"1e7/s\", "
                                "\"cap\": \"unbounded\"}"), "ok");
    ck_assert_str_eq(bounds_msg("{\"workers\": 0}"),
                     "nodes[2].workers: expected an integer from 1 to 1000000, got 0");
    ck_assert_str_eq(bounds_msg("{\"n\": 0}"),
                     "nodes[2].n: expected an integer of at least 1, got 0");
    ck_assert_str_eq(bounds_msg("{\"p\": 1.5}"),
                     "nodes[2].p: expected a number from 0 to 1, got 1.5");
    ck_assert_str_eq(bounds_msg("{\"factor\": 0}"),
                     "nodes[2].factor: expected a number greater than 0, got 0");
    ck_assert_str_eq(bounds_msg("{\"q\": {\"wait\": \"0s\"}}"),
                     "nodes[2].q.wait: expected a duration of at least 1ms, got \"0s\"");
    ck_assert_str_eq(bounds_msg("{\"rate\": \"2e7/s\"}"),
                     "nodes[2].rate: expected a rate greater than 0 and at most 10^7/s, got "
                     "\"2e7/s\"");
    ck_assert_str_eq(bounds_msg("{\"cap\": -1}"),
                     "nodes[2].cap: expected a non-negative integer or \"unbounded\", got -1");
    /* A value of the wrong type is left to the kind's getter, which names the type. */
    ck_assert_str_eq(bounds_msg("{\"workers\": \"three\", \"q\": 5, \"rate\": \"fast\"}"), "ok");
}
END_TEST

/* The kind readers take the bounds from the descriptor: the same value read with no
 * literal bounds in the kind gives the declared range in its messages. */
static const char *read_msg(const char *json, const char *key, char type)
{
    static fl_error e;
    static char buf[800];
    fl_component c = {.ops = &bounded_ops};
    cJSON *cfg = cJSON_Parse(json);
    ck_assert_ptr_nonnull(cfg);
    const cJSON *obj = cfg;
    const char *dot = strchr(key, '.');
    char path[64] = "nodes[2]";
    if (dot) { /* "q.wait": the nested object q */
        obj = cJSON_GetObjectItemCaseSensitive(cfg, "q");
        snprintf(path, sizeof path, "nodes[2].q");
    }
    long l = 0;
    double d = 0;
    fl_time t = 0;
    fl_status st = type == 'i'   ? fl_kind_int(&c, key, obj, path, FL_CFG_REQUIRED, 0, &l, &e)
                   : type == 'm' ? fl_kind_int_max(&c, key, obj, path, FL_CFG_REQUIRED, 0, 5, &l,
                                                   &e)
                   : type == 'n' ? fl_kind_number(&c, key, obj, path, FL_CFG_REQUIRED, 0, &d, &e)
                   : type == 'd' ? fl_kind_duration(&c, key, obj, path, FL_CFG_REQUIRED, 0, &t, &e)
                   : type == 'r' ? fl_kind_rate(&c, key, obj, path, FL_CFG_REQUIRED, 0, &d, &e)
                                 : fl_kind_limit(&c, key, obj, path, FL_CFG_REQUIRED, 0, &l, &e);
    cJSON_Delete(cfg);
    if (st == FL_OK)
        snprintf(buf, sizeof buf, "ok %ld %g %lld", l, d, (long long)t);
    else
        snprintf(buf, sizeof buf, "%s: %s", e.path, e.msg);
    return buf;
}

START_TEST(kind_readers_take_the_declared_bounds)
{
    ck_assert_str_eq(read_msg("{\"workers\": 4}", "workers", 'i'), "ok 4 0 0");
    ck_assert_str_eq(read_msg("{\"workers\": \"three\"}", "workers", 'i'),
                     "nodes[2].workers: expected an integer from 1 to 1000000, got \"three\"");
    ck_assert_str_eq(read_msg("{}", "n", 'i'),
                     "nodes[2].n: missing; expected a positive integer");
    /* A bound that depends on another key narrows the declared one. */
    ck_assert_str_eq(read_msg("{\"n\": 6}", "n", 'm'),
                     "nodes[2].n: expected an integer from 1 to 5, got 6");
    ck_assert_str_eq(read_msg("{\"p\": true}", "p", 'n'),
                     "nodes[2].p: expected a number from 0 to 1, got true");
    /* An open bound the getter cannot state is checked against the declaration. */
    ck_assert_str_eq(read_msg("{\"factor\": 0}", "factor", 'n'),
                     "nodes[2].factor: expected a number greater than 0, got 0");
    ck_assert_str_eq(read_msg("{\"q\": {\"wait\": \"0s\"}}", "q.wait", 'd'),
                     "nodes[2].q.wait: expected a duration of at least 1ms, got \"0s\"");
    ck_assert_str_eq(read_msg("{\"q\": {\"wait\": \"2s\"}}", "q.wait", 'd'), "ok 0 0 2000000000");
    ck_assert_str_eq(read_msg("{\"rate\": \"2e7/s\"}", "rate", 'r'),
                     "nodes[2].rate: expected a rate greater than 0 and at most 10^7/s, got "
                     "\"2e7/s\"");
    ck_assert_str_eq(read_msg("{\"rate\": 0}", "rate", 'r'),
                     "nodes[2].rate: expected a positive rate such as \"2000/s\", got 0");
    ck_assert_str_eq(read_msg("{\"cap\": \"unbounded\"}", "cap", 'l'), "ok -1 0 0");
    /* A key the descriptor does not declare with bounds is the kind's mistake. */
    ck_assert_str_eq(read_msg("{\"w\": 1}", "w", 'i'),
                     "kinds: kind b reads parameter \"w\" with bounds its descriptor does not "
                     "declare (see docs/writing-a-kind.md)");
    ck_assert_str_eq(read_msg("{\"p\": 1}", "p", 'i'),
                     "kinds: kind b reads parameter \"p\" with bounds its descriptor does not "
                     "declare (see docs/writing-a-kind.md)");
}
END_TEST

START_TEST(series_columns_must_be_declared)
{
    fl_component c = {.ops = fl_kind_find("consumer"), .name = "group"};
    fl_error e;
    ck_assert_int_eq(fl_kind_check_column(&c, "group.lag.p3", &e), FL_OK);
    ck_assert_int_eq(fl_kind_check_column(&c, "group.stalled_partitions", &e), FL_OK);
    ck_assert_int_eq(fl_kind_check_column(&c, "group.lag_p3", &e), FL_INTERNAL);
    ck_assert_str_eq(e.msg, "kind consumer feeds the series column \"group.lag_p3\" it does "
                            "not declare (add it to its descriptor's series)");
    ck_assert_int_eq(fl_kind_check_column(&c, "other.lag.p3", &e), FL_INTERNAL);
}
END_TEST

/* A kind's figures are the catalogue's entries tagged with it; every kind has some. */
START_TEST(every_kind_has_tagged_figures)
{
    size_t n, nf;
    const fl_component_ops *const *k = fl_kinds(&n);
    const fl_figure_info *t = fl_figure_table(&nf);
    for (size_t i = 0; i < n; i++) {
        size_t m = 0;
        for (size_t j = 0; j < nf; j++)
            m += (size_t)fl_figure_of_kind(&t[j], k[i]->kind);
        ck_assert_msg(m > 0, "kind %s has no figure in the catalogue", k[i]->kind);
    }
    fl_figure_info f = {.pattern = "x", .kinds = "lock_client lock_storage"};
    ck_assert(fl_figure_of_kind(&f, "lock_storage"));
    ck_assert(fl_figure_of_kind(&f, "lock_client"));
    ck_assert(!fl_figure_of_kind(&f, "lock"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kinds");
    TCase *tc = tcase_create("kinds");
    tcase_add_test(tc, every_registered_kind_is_complete);
    tcase_add_test(tc, a_kind_missing_a_required_callback_is_refused);
    tcase_add_test(tc, keys_come_from_the_descriptor);
    tcase_add_test(tc, nested_keys_come_from_the_descriptor);
    tcase_add_test(tc, series_columns_must_be_declared);
    tcase_add_test(tc, every_kind_has_tagged_figures);
    tcase_add_test(tc, every_numeric_parameter_declares_bounds);
    tcase_add_test(tc, a_numeric_parameter_without_bounds_is_refused);
    tcase_add_test(tc, bounds_are_enforced_from_the_descriptor);
    tcase_add_test(tc, kind_readers_take_the_declared_bounds);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
