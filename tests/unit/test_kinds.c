/* Kind descriptors (model/world.h, kinds.def): required parts are checked before any kind
 * is used, keys and series columns are checked against the descriptor. */
#include <stdio.h>
#include <string.h>

#include <faultline/figures.h>

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

static const fl_kind_param no_params[] = {{NULL, NULL, NULL, NULL, NULL, NULL, FL_KV_OTHER}};

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
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
