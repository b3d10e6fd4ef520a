/* faultline explore: search random fault schedules for the failures a design allows,
 * shrink each to a minimal runnable scenario; or, with --frontier, find where a system
 * stops recovering. The library does the work (faultline/explore.h); this file reads
 * options, prints the report and the progress line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <faultline/explore.h>
#include <faultline/faultline.h>

#include "cli/cli.h"
#include "cli/limits.h"
#include "scenario/pool.h"

static const cli_opt explore_opts[] = {
    {"variant", 'v', "NAME", "explore this variant (default: the baseline)"},
    {"runs", 'n', "N", "fault schedules to try (default 100)"},
    {"seed", 's', "S", "the exploration's seed: schedules and workload seeds (default 1)"},
    {"jobs", 'j', "N", "runs at once (default: the number of processors); results do not "
                       "depend on it"},
    {"set", 0, "PATH=VALUE", "override a field in every run (repeatable)"},
    {"keep-faults", 0, NULL, "add each schedule to the scenario's own faults (default: it "
                             "replaces them)"},
    {"safety-only", 0, NULL, "check safety only, not recovery after the last fault"},
    {"faults", 0, "A,B,...", "fault types to draw (default: every one the scenario's kinds "
                             "and zones take)"},
    {"targets", 0, "N,N/2,...", "nodes or members (\"db/2\") node faults may hit (default: all)"},
    {"max-faults", 0, "N", "faults per schedule, 1..16 (default 3)"},
    {"window", 0, "A..B", "when faults begin (default: from 10% to 50% of the run)"},
    {"for", 0, "A..B", "how long a fault lasts (default: 1% to 25% of the run)"},
    {"factor", 0, "A..B", "slow: service-time factor (default 1.5..10)"},
    {"loss", 0, "A..B", "flaky: loss probability (default 0.05..0.5)"},
    {"add", 0, "A..B", "slow_link: added latency (default 10ms..1s)"},
    {"step", 0, "A..B", "clock: wall-clock step (default -10s..10s)"},
    {"no-shrink", 0, NULL, "report violations without shrinking them"},
    {"max-found", 0, "N", "distinct violations shrunk and written (default 5)"},
    {"found", 0, "DIR", "where minimal scenarios go, NAME-1.json, ... (default: found)"},
    {"out", 'o', "DIR", "explore.json (frontier: frontier.{json,csv,gp,svg,png}) here "
                        "(default: out/SCENARIO/explore or out/SCENARIO/frontier)"},
    {"no-files", 0, NULL, "write nothing, print the report only"},
    {"frontier", 0, "P=LO..HI", "find the tipping point of parameter P (a --set path) ..."},
    {"trigger", 0, "Q=LO..HI", "... for each size of trigger Q, from LO to HI"},
    {"triggers", 0, "N", "trigger sizes (default 6)"},
    {"steps", 0, "N", "bisection steps per trigger size (default 5)"},
    {"seeds", 0, "N", "seeds at every probe of the frontier (default 5)"},
    {"over", 0, "SWEEP_CSV", "draw the boundary over this sweep.csv's heat map (recovered)"},
    {"max-events", 0, "N", "stop each run after N events (default 10^11)"},
    CLI_LIMIT_OPTS,
    {NULL, 0, NULL, NULL},
};

const cli_cmd cli_explore = {
    "explore",
    "SCENARIO [--variant V] [--runs N] [--seed S] [-j N] | SCENARIO --frontier P=LO..HI "
    "--trigger Q=LO..HI",
    "Search random fault schedules for broken invariants; shrink each; find tipping points.",
    "Each run draws a fault schedule (1..max-faults faults: type, target, start, length and\n"
    "size, all from the fault space) and a workload seed from (--seed, run number), so the\n"
    "same command finds the same violations in the same order, whatever -j. The schedule\n"
    "replaces the scenario's faults (--keep-faults: adds to them). The space is the file's\n"
    "\"explore\" section, then the flags; by default every fault the scenario's kinds\n"
    "declare, on every node and member, and partitions, flaky and slow links between its\n"
    "zones (`faultline list --kinds` shows which kind takes which fault).\n"
    "\n"
    "Safety: every figure the catalogue marks as an invariant must stay 0 (lost acknowledged\n"
    "writes, split-brain seconds, mutual-exclusion violations, lost messages), and every\n"
    "expectation of the variant written {\"check\": ..., \"invariant\": true} must hold.\n"
    "Liveness: every workload recovers after the last fault.\n"
    "\n"
    "Each distinct violation (by the first property broken) is shrunk: faults removed while it\n"
    "still breaks, then each fault made shorter, smaller and earlier, then each constant-rate\n"
    "workload's rate lowered (down to a tenth); the result is written to found/SCENARIO-K.json,\n"
    "a complete scenario whose `faultline run --check` fails with it.\n"
    "\n"
    "--frontier P=LO..HI --trigger Q=LO..HI: for each of --triggers sizes of Q, bisects P for\n"
    "the value where more than half the seeds stop recovering (--seeds at every probe, with\n"
    "Wilson intervals), writing frontier.csv and a chart (over --over sweep.csv's heat map).\n"
    "LO and HI carry the same unit (300/s..700/s); paths are --set paths (faults.0.slow.factor).\n"
    "\n"
    "MPI: a build made with -Dmpi=enabled and started by mpirun spreads the search's runs\n"
    "over the processes (-j threads each); process 0 gathers them, shrinks, writes and\n"
    "reports, with the same bytes as one process. Shrinking and --frontier run on process 0.\n"
    "\n"
    "exit status: 0 nothing broken, 1 a violation found, 2 bad input, 3 stopped (a limit,\n"
    "Ctrl-C: what finished is reported, marked incomplete).\n"
    "\nexamples:\n"
    "  faultline explore scenarios/split-brain-redis-sentinel.json --variant quorum --runs 300\n"
    "  faultline explore scenarios/retry-storm.json --frontier workloads.clients.rate=300/s..700/s \\\n"
    "      --trigger faults.0.slow.factor=1.5..4\n",
    explore_opts,
    cmd_explore,
};

/* Flags of the fault space, by their key in the "explore" section. */
static const char *const space_flags[] = {"faults", "targets", "max-faults", "window", "for",
                                          "factor", "loss", "add", "step", NULL};

static const char *section_key(const char *flag)
{
    return strcmp(flag, "max-faults") == 0 ? "max_faults" : flag;
}

/* The flags as an object of the "explore" section's form; NULL on a malformed range. */
static cJSON *space_from_flags(const cli_args *a)
{
    cJSON *o = cJSON_CreateObject();
    for (int i = 0; o && space_flags[i]; i++) {
        const char *v = cli_get(&cli_explore, a, space_flags[i]);
        if (!v)
            continue;
        const char *key = section_key(space_flags[i]);
        if (strcmp(key, "faults") == 0 || strcmp(key, "targets") == 0) {
            cJSON *arr = cJSON_AddArrayToObject(o, key);
            char buf[4096];
            snprintf(buf, sizeof buf, "%s", v);
            for (char *t = strtok(buf, ","); t; t = strtok(NULL, ","))
                cJSON_AddItemToArray(arr, cJSON_CreateString(t));
        } else if (strcmp(key, "max_faults") == 0) {
            unsigned long long n;
            if (cli_u64("max-faults", v, &n)) {
                cJSON_Delete(o);
                return NULL;
            }
            cJSON_AddNumberToObject(o, key, (double)n);
        } else {
            const char *dd = strstr(v, "..");
            if (!dd || dd == v || !dd[2]) {
                cli_error("--%s: expected LOW..HIGH, such as 1s..20s, got \"%s\"", space_flags[i], v);
                cJSON_Delete(o);
                return NULL;
            }
            cJSON *arr = cJSON_AddArrayToObject(o, key);
            char lo[128], hi[128];
            snprintf(lo, sizeof lo, "%.*s", (int)(dd - v), v);
            snprintf(hi, sizeof hi, "%s", dd + 2);
            bool num = strcmp(key, "factor") == 0 || strcmp(key, "loss") == 0;
            for (int k = 0; k < 2; k++) {
                const char *s = k ? hi : lo;
                char *end;
                double d = strtod(s, &end);
                if (num && (end == s || *end)) {
                    cli_error("--%s: expected two numbers LOW..HIGH, got \"%s\"", space_flags[i], v);
                    cJSON_Delete(o);
                    return NULL;
                }
                cJSON_AddItemToArray(arr, num ? cJSON_CreateNumber(d) : cJSON_CreateString(s));
            }
        }
    }
    return o;
}

/* The command as it changes results: no -j, no output folders, no limits. */
static void command_text(const cli_args *a, char *buf, size_t n)
{
    static const char *const keep[] = {"variant", "runs", "seed", "keep-faults", "safety-only",
                                       "faults", "targets", "max-faults", "window", "for",
                                       "factor", "loss", "add", "step", NULL};
    size_t w = (size_t)snprintf(buf, n, "faultline explore %s", a->pos[0]);
    for (int i = 0; keep[i] && w < n; i++) {
        const char *v = cli_get(&cli_explore, a, keep[i]);
        if (v)
            w += (size_t)snprintf(buf + w, n - w, " --%s%s%s", keep[i], v[0] ? " " : "", v);
    }
    for (size_t i = 0; i < a->nmulti && w < n; i++)
        w += (size_t)snprintf(buf + w, n - w, " --set %s", a->multi[i]);
}

typedef struct prog {
    cli_limits *lim;
    bool tty;
    double last;
} prog;

static void on_progress(void *ctx, size_t done, size_t total, uint64_t faults, size_t viol)
{
    prog *p = ctx;
    double t = cli_limits_elapsed(p->lim);
    if (!p->tty || (t - p->last < 0.2 && done < total))
        return;
    p->last = t;
    fprintf(stderr, "\rexplore: %zu/%zu runs, %.1f runs/s, %llu faults tried, %zu violations   ",
            done, total, t > 0 ? (double)done / t : 0.0, (unsigned long long)faults, viol);
    if (done == total)
        fputc('\n', stderr);
}

static void on_frontier_progress(void *ctx, size_t done, size_t total)
{
    prog *p = ctx;
    double t = cli_limits_elapsed(p->lim);
    if (!p->tty || t - p->last < 0.2)
        return;
    p->last = t;
    fprintf(stderr, "\rfrontier: %zu runs (at most %zu), %.1f runs/s   ", done, total,
            t > 0 ? (double)done / t : 0.0);
}

static const char *sget(const cJSON *o, const char *k)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
    return v ? v : "";
}

static double nget(const cJSON *o, const char *k)
{
    return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static void print_list(const char *indent, const cJSON *arr)
{
    for (const cJSON *s = arr ? arr->child : NULL; s; s = s->next)
        printf("%s%s\n", indent, s->valuestring);
}

static void print_broke(const cJSON *broke)
{
    for (const cJSON *b = broke ? broke->child : NULL; b; b = b->next) {
        if (strcmp(sget(b, "property"), "safety") == 0)
            printf("      broke %s: %s = %g (expected %s)\n", sget(b, "property"), sget(b, "figure"),
                   nget(b, "value"), sget(b, "expected"));
        else
            printf("      broke %s: %s = false (no recovery after the last fault)\n",
                   sget(b, "property"), sget(b, "figure"));
        print_list("        e.g. ", cJSON_GetObjectItemCaseSensitive(b, "examples"));
    }
}

static void print_report(const cJSON *x)
{
    const cJSON *sp = cJSON_GetObjectItemCaseSensitive(x, "space");
    printf("explore %s (variant %s): %.0f runs, %.0f faults tried, seed %.0f; properties: %s\n",
           sget(x, "scenario"), sget(x, "variant"), nget(x, "runs_done"), nget(x, "faults_tried"),
           nget(x, "seed"), sget(x, "properties"));
    printf("fault space:");
    for (const cJSON *f = cJSON_GetObjectItemCaseSensitive(sp, "faults")->child; f; f = f->next)
        printf(" %s%s", f->valuestring, f->next ? "," : "");
    printf("; up to %g faults; at %s, for %s\n", nget(sp, "max_faults"), sget(sp, "window"),
           sget(sp, "for"));
    if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(x, "complete")))
        printf("INCOMPLETE: %g of %g runs (%s)\n", nget(x, "runs_done"), nget(x, "runs"),
               sget(x, "stopped_because"));
    const cJSON *found = cJSON_GetObjectItemCaseSensitive(x, "found");
    if (!cJSON_GetArraySize(found)) {
        printf("no violation in %g runs\n", nget(x, "runs_done"));
        return;
    }
    printf("%g of %g runs broke a property:\n", nget(x, "runs_violating"), nget(x, "runs_done"));
    int k = 0;
    for (const cJSON *f = found->child; f; f = f->next) {
        printf("\n%d. %s: %s, in %.0f runs; first run #%.0f (seed %.0f), %d fault%s:\n", ++k,
               sget(f, "property"), sget(f, "figure"), nget(f, "runs"), nget(f, "first_run"),
               nget(f, "seed"), cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(f, "schedule")),
               cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(f, "schedule")) == 1 ? "" : "s");
        print_list("      ", cJSON_GetObjectItemCaseSensitive(f, "schedule"));
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(f, "shrunk");
        if (!s) {
            print_broke(cJSON_GetObjectItemCaseSensitive(f, "broke"));
            continue;
        }
        printf("   shrunk from run #%.0f (the smallest schedule that broke it) in %.0f runs to "
               "%.0f fault%s:\n", nget(f, "shrunk_from_run"), nget(s, "runs"), nget(s, "faults"),
               nget(s, "faults") == 1 ? "" : "s");
        print_list("      ", cJSON_GetObjectItemCaseSensitive(s, "schedule"));
        const cJSON *rates = cJSON_GetObjectItemCaseSensitive(s, "rates");
        for (const cJSON *r = rates ? rates->child : NULL; r; r = r->next)
            printf("      workload %s at %s\n", r->string, cJSON_GetStringValue(r));
        print_broke(cJSON_GetObjectItemCaseSensitive(s, "broke"));
        if (sget(s, "file")[0])
            printf("   replay: faultline run %s --check  (%s)\n", sget(s, "file"),
                   cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "replay_fails_check"))
                       ? "fails, as it should"
                       : "WARNING: the replay did not fail");
    }
}

static void print_frontier(const cJSON *x)
{
    printf("frontier of %s (variant %s): %s where the system stops recovering, for each %s\n",
           sget(x, "scenario"), sget(x, "variant"), sget(x, "param"), sget(x, "trigger"));
    printf("rule: %s; %g seeds at every probe\n", sget(x, "rule"), nget(x, "seeds"));
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(x, "boundary");
    for (const cJSON *t = b ? b->child : NULL; t; t = t->next)
        printf("  %s = %-8g %s\n", sget(x, "trigger"), nget(t, "trigger"), sget(t, "confidence"));
    printf("runs: %g; a sweep grid of the same resolution (%g%s) would take %g runs\n",
           nget(x, "runs"), nget(x, "resolution"), sget(x, "unit"),
           nget(x, "grid_runs_same_resolution"));
    if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(x, "complete")))
        printf("INCOMPLETE: %s\n", sget(x, "stopped_because"));
}

static int write_text(const char *dir, const char *name, const char *text)
{
    if (fl__mkdirs(dir) != 0) {
        cli_error("cannot create %s: %s", dir, strerror(errno));
        return FL_EXIT_RUNTIME;
    }
    char path[4300];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fputc('\n', f) == EOF || fclose(f) != 0) {
        cli_error("cannot write %s: %s", path, strerror(errno));
        return FL_EXIT_RUNTIME;
    }
    return FL_EXIT_OK;
}

static int report_error(fl_status st, const fl_error *e, bool from_flags)
{
    char msg[1200];
    if (from_flags && strncmp(e->path, "explore.", 8) == 0) {
        char flag[64];
        snprintf(flag, sizeof flag, "%.*s", (int)strcspn(e->path + 8, "[."), e->path + 8);
        if (strcmp(flag, "max_faults") == 0)
            snprintf(flag, sizeof flag, "max-faults");
        cli_error("--%s: %s", flag, e->msg);
        return cli_exit_for(st);
    }
    fl_error_format(e, msg, sizeof msg);
    fprintf(stderr, "%s%s\n", e->file[0] ? "" : "faultline: ", msg);
    return cli_exit_for(st);
}

static int frontier_main(const cli_args *a, fl_scenario *sc, cli_limits *lim, int jobs,
                         unsigned long long max_events)
{
    fl_frontier_config fc = {0};
    fl_error e;
    const char *fr = cli_get(&cli_explore, a, "frontier"), *tr = cli_get(&cli_explore, a, "trigger");
    if (!tr) {
        cli_error("--frontier needs --trigger Q=LO..HI (the trigger whose size varies)");
        return FL_EXIT_USAGE;
    }
    if (fl_explore_range_parse(fr, &fc.param, &e) || fl_explore_range_parse(tr, &fc.trigger, &e)) {
        cli_error("%s", e.msg);
        return FL_EXIT_USAGE;
    }
    unsigned long long v;
    const char *opt;
    static const char *const nums[] = {"triggers", "steps", "seeds"};
    int *dst[] = {&fc.triggers, &fc.steps, &fc.seeds};
    for (int i = 0; i < 3; i++)
        if ((opt = cli_get(&cli_explore, a, nums[i]))) {
            if (cli_u64(nums[i], opt, &v) || v < 1 || v > 1000) {
                cli_error("--%s: expected 1 to 1000, got %s", nums[i], opt);
                return FL_EXIT_USAGE;
            }
            *dst[i] = (int)v;
        }
    fc.variant = cli_get(&cli_explore, a, "variant");
    fc.jobs = jobs;
    fc.sets = a->multi;
    fc.nsets = a->nmulti;
    fc.max_events = max_events;
    fc.over_csv = cli_get(&cli_explore, a, "over");
    fc.poll = cli_limits_poll;
    fc.why_stopped = cli_limits_why;
    fc.poll_ctx = lim;
    prog p = {lim, isatty(2) != 0, 0};
    fc.progress = on_frontier_progress;
    fc.progress_ctx = &p;
    char dir[4096];
    if (!cli_get(&cli_explore, a, "no-files")) {
        const char *out = cli_get(&cli_explore, a, "out");
        if (!out) {
            snprintf(dir, sizeof dir, "out/%s/frontier", fl_scenario_name(sc));
            out = dir;
        }
        fc.out_dir = out;
    }
    char *json = NULL;
    fl_status st = fl_frontier(sc, &fc, &json, &e);
    if (p.tty)
        fputc('\n', stderr);
    if (!json)
        return report_error(st, &e, false);
    double t = cli_limits_elapsed(lim);
    cJSON *x = cJSON_Parse(json);
    print_frontier(x);
    fprintf(stderr, "frontier: %g runs in %.1f s (%.1f runs/s)\n", nget(x, "runs"), t,
            t > 0 ? nget(x, "runs") / t : 0.0);
    int rc = st == FL_OK ? FL_EXIT_OK : FL_EXIT_RUNTIME;
    if (fc.out_dir) {
        if (write_text(fc.out_dir, "frontier.json", json) != FL_EXIT_OK)
            rc = FL_EXIT_RUNTIME;
        else
            printf("outputs: %s/frontier.{json,csv,gp}%s\n", fc.out_dir,
                   cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "chart_drawn"))
                       ? " and frontier.{svg,png}"
                       : " (gnuplot missing: run gnuplot frontier.gp there to draw it)");
    }
    cJSON_Delete(x);
    free(json);
    return rc;
}

static int explore_main(int argc, char **argv, const fl_sweep_dist *dist);

int cmd_explore(int argc, char **argv) { return cli_distributed(argc, argv, explore_main); }

static int explore_main(int argc, char **argv, const fl_sweep_dist *dist)
{
    static cli_limits lim;
    cli_limits_start(&lim);
    cli_args a;
    int pr = cli_parse(&cli_explore, argc, argv, &a);
    if (pr)
        return pr > 0 ? FL_EXIT_OK : FL_EXIT_USAGE;
    if (cli_limits_options(&cli_explore, &a, &lim))
        return FL_EXIT_USAGE;
    unsigned long long v, max_events = 0;
    const char *opt;
    int jobs = 0;
    if ((opt = cli_get(&cli_explore, &a, "max-events"))) {
        if (cli_u64("max-events", opt, &v))
            return FL_EXIT_USAGE;
        max_events = v;
    }
    if ((opt = cli_get(&cli_explore, &a, "jobs"))) {
        if (cli_u64("jobs", opt, &v) || v > 1024)
            return FL_EXIT_USAGE;
        jobs = (int)v;
    }
    fl_explore_config cfg = {0};
    cfg.runs = 100;
    cfg.seed = 1;
    if ((opt = cli_get(&cli_explore, &a, "runs"))) {
        if (cli_u64("runs", opt, &v))
            return FL_EXIT_USAGE;
        if (v < 1 || v > FL_EXPLORE_MAX_RUNS) {
            cli_error("--runs: expected 1 to %d, got %s", FL_EXPLORE_MAX_RUNS, opt);
            return FL_EXIT_USAGE;
        }
        cfg.runs = (int)v;
    }
    if ((opt = cli_get(&cli_explore, &a, "seed"))) {
        if (cli_u64("seed", opt, &v))
            return FL_EXIT_USAGE;
        cfg.seed = v;
    }
    if ((opt = cli_get(&cli_explore, &a, "max-found"))) {
        if (cli_u64("max-found", opt, &v) || v < 1 || v > 100) {
            cli_error("--max-found: expected 1 to 100, got %s", opt);
            return FL_EXIT_USAGE;
        }
        cfg.max_found = (int)v;
    }
    bool frontier = cli_get(&cli_explore, &a, "frontier") != NULL;
    if (!frontier && cli_get(&cli_explore, &a, "trigger")) {
        cli_error("--trigger goes with --frontier P=LO..HI");
        return FL_EXIT_USAGE;
    }
    cJSON *space = space_from_flags(&a);
    if (!space)
        return FL_EXIT_USAGE;
    bool from_flags = space->child != NULL;
    char *space_text = from_flags ? cJSON_PrintUnformatted(space) : NULL;
    cJSON_Delete(space);
    fl_scenario *sc;
    int rc = cli_load_scenario_polled(&cli_explore, &a, &sc, &lim);
    if (rc != FL_EXIT_OK) {
        cJSON_free(space_text);
        return rc;
    }
    if (frontier) {
        cJSON_free(space_text);
        /* The frontier's probes depend on the previous step's answers: process 0 alone. */
        rc = dist->rank == 0 ? frontier_main(&a, sc, &lim, jobs, max_events) : FL_EXIT_OK;
        fl_scenario_free(sc);
        return rc;
    }
    static char command[4096];
    command_text(&a, command, sizeof command);
    cfg.variant = cli_get(&cli_explore, &a, "variant");
    cfg.jobs = jobs;
    cfg.dist = dist;
    cfg.keep_faults = cli_get(&cli_explore, &a, "keep-faults") != NULL;
    cfg.safety_only = cli_get(&cli_explore, &a, "safety-only") != NULL;
    cfg.no_shrink = cli_get(&cli_explore, &a, "no-shrink") != NULL;
    cfg.space_json = space_text;
    cfg.sets = a.multi;
    cfg.nsets = a.nmulti;
    cfg.command = command;
    cfg.max_events = max_events;
    bool files = !cli_get(&cli_explore, &a, "no-files");
    cfg.found_dir = files ? cli_get(&cli_explore, &a, "found") : NULL;
    if (files && !cfg.found_dir)
        cfg.found_dir = "found";
    prog p = {&lim, isatty(2) != 0, 0};
    cfg.progress = on_progress;
    cfg.progress_ctx = &p;
    cfg.poll = cli_limits_poll;
    cfg.why_stopped = cli_limits_why;
    cfg.poll_ctx = &lim;
    char *json = NULL;
    size_t nviol = 0;
    fl_error e;
    fl_status st = fl_explore(sc, &cfg, &json, &nviol, &e);
    cJSON_free(space_text);
    if (!json && st == FL_OK) { /* an MPI process other than 0: process 0 reports */
        fl_scenario_free(sc);
        return FL_EXIT_OK;
    }
    if (!json) {
        fl_scenario_free(sc);
        return report_error(st, &e, from_flags);
    }
    double t = cli_limits_elapsed(&lim);
    cJSON *x = cJSON_Parse(json);
    print_report(x);
    fprintf(stderr, "explore: %g runs in %.1f s (%.1f runs/s, shrinking included), %g faults "
                    "tried, %zu violations\n",
            nget(x, "runs_done"), t, t > 0 ? nget(x, "runs_done") / t : 0.0,
            nget(x, "faults_tried"), nviol);
    rc = st != FL_OK ? FL_EXIT_RUNTIME : nviol ? FL_EXIT_EXPECT : FL_EXIT_OK;
    if (st != FL_OK)
        cli_error("explore stopped early (%s); the report covers the runs that finished",
                  lim.why ? lim.why : st == FL_LIMIT ? "--max-events reached" : "interrupted");
    if (files) {
        char dir[4096];
        const char *out = cli_get(&cli_explore, &a, "out");
        if (!out) {
            snprintf(dir, sizeof dir, "out/%s/explore", fl_scenario_name(sc));
            out = dir;
        }
        if (write_text(out, "explore.json", json) != FL_EXIT_OK)
            rc = FL_EXIT_RUNTIME;
        else
            printf("\noutputs: %s/explore.json\n", out);
    }
    cJSON_Delete(x);
    free(json);
    fl_scenario_free(sc);
    return rc;
}
