/* faultline compare: variants side by side over many seeds, with confidence intervals. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>
#include <faultline/compare.h>
#include <faultline/faultline.h>

#include "cli/cli.h"
#include "cli/limits.h"
#include "out/files.h"
#include "out/report.h"

static const cli_opt compare_opts[] = {
    {"variants", 'V', "A,B,...", "variants to compare, the first is the reference (default: "
                                 "baseline, then every variant)"},
    {"seeds", 'n', "N", "seeds per variant, 1..N (default 10)"},
    {"jobs", 'j', "N", "runs at once (default: the number of processors)"},
    {"set", 0, "PATH=VALUE", "override a field in every run (repeatable)"},
    {"metrics", 'm', "P,Q,...", "summary figures to compare (default: each workload's latency "
                                "mean and p99, throughput, goodput, error rate, SLO attainment, "
                                "and every figure the scenario's expectations name)"},
    {"out", 'o', "DIR", "write compare.json, compare.csv and runs/ here (default: "
                        "out/SCENARIO/compare)"},
    {"no-files", 0, NULL, "write nothing, print the table only"},
    {"plot", 'p', NULL, "also write report.html and overlay charts (charts/overlay-*.svg: each "
                        "variant's median over seeds, band from lowest to highest seed; "
                        "overlay-lesson-*.svg: each lesson chart, one colour per variant)"},
    {"min-effect", 0, "PCT", "smallest difference that counts, in % of the reference's mean "
                             "(default 1; the catalogue may set a larger floor): a smaller "
                             "detected difference is \"negligible\""},
    {"json", 0, NULL, "print the comparison as JSON instead of a table"},
    {"max-events", 0, "N", "stop each run after N events (default 10^11)"},
    CLI_LIMIT_OPTS,
    {NULL, 0, NULL, NULL},
};

const cli_cmd cli_compare = {
    "compare",
    "SCENARIO [--variants a,b] [--seeds N] [-j N] [--set P=V]... [--out DIR]",
    "Run variants over the same seeds: each figure as mean +- 95% CI, paired differences, verdicts.",
    "Seed s gives every variant the same arrivals (each component draws from its own named\n"
    "random stream), so differences are paired by seed: the noise both runs share cancels.\n"
    "A verdict is \"better\" or \"worse\" only when the difference's 95% interval excludes 0\n"
    "and the difference is at least the minimum effect (else \"negligible\"); a figure some run\n"
    "lacks is n/a and \"not comparable\". Which way is better comes from the figure catalogue.\n"
    "True/false figures (recovered) are proportions of runs (Wilson; differences Newcombe).\n"
    "A recovery time of a run that never recovered counts as the time left after the last\n"
    "fault (a bound: the verdict can only be too cautious).\n"
    "A limit or Ctrl-C stops it: the runs that finished are kept and compared, compare.json\n"
    "says \"complete\": false, and the exit status is 3.\n"
    "\nexample:\n  faultline compare scenarios/queueing/mm1.json --seeds 20\n",
    compare_opts,
    cmd_compare,
};

/* Splits "a,b,c" in place into out[]; returns the count. */
static size_t split(char *s, const char **out, size_t max)
{
    size_t n = 0;
    for (char *tok = strtok(s, ","); tok && n < max; tok = strtok(NULL, ","))
        out[n++] = tok;
    return n;
}

static const char *sget(const cJSON *o, const char *k)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
    return v ? v : "";
}

/* The table: compare.json's words ("value", "diff_text", "verdict", "why"), so the
 * terminal, the report and the dashboard say the same thing. */
static void print_table(const cJSON *c)
{
    printf("compare %s: %.0f seeds per variant; 95%% confidence intervals; differences from \"%s\","
           " paired by seed; minimum effect %g%% of the reference\n\n",
           sget(c, "scenario"), cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(c, "seeds")),
           sget(c, "reference"),
           100 * cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(c, "min_effect")));
    if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(c, "complete")))
        printf("INCOMPLETE: %.0f of %.0f runs finished (%s); the figures cover the %.0f seeds "
               "every variant finished%s%s\n\n",
               cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(c, "runs_complete")),
               cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(c, "runs")),
               sget(c, "stopped_because"),
               cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(c, "seeds")),
               cJSON_GetObjectItemCaseSensitive(c, "note") ? ": " : "", sget(c, "note"));
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(c, "metrics");
    for (const cJSON *m = ms ? ms->child : NULL; m; m = m->next) {
        const char *better = sget(m, "better");
        printf("%s  (%s%s%s)\n", sget(m, "metric"), sget(m, "type"),
               strcmp(better, "neither") == 0 ? "" : "; ",
               strcmp(better, "neither") == 0 ? "" : strcmp(better, "higher") == 0 ? "higher is better"
               : strcmp(better, "lower") == 0 ? "lower is better" : "better: unknown");
        const cJSON *per = cJSON_GetObjectItemCaseSensitive(m, "by_variant");
        for (const cJSON *v = per ? per->child : NULL; v; v = v->next) {
            printf("  %-20s %-28s", v->string, sget(v, "value"));
            if (strcmp(sget(v, "verdict"), "reference") != 0) {
                printf(" diff %-24s %s", sget(v, "diff_text"), sget(v, "verdict"));
                if (sget(v, "why")[0])
                    printf(" (%s)", sget(v, "why"));
            }
            putchar('\n');
        }
    }
    const cJSON *ls = cJSON_GetObjectItemCaseSensitive(c, "lessons");
    if (cJSON_GetArraySize(ls))
        printf("\nwhat changed, against %s:\n", sget(c, "reference"));
    for (const cJSON *l = ls ? ls->child : NULL; l; l = l->next)
        printf("  %s\n", sget(l, "text"));
}

int cmd_compare(int argc, char **argv)
{
    static cli_limits lim;
    cli_limits_start(&lim);
    cli_args a;
    int pr = cli_parse(&cli_compare, argc, argv, &a);
    if (pr)
        return pr > 0 ? FL_EXIT_OK : FL_EXIT_USAGE;
    if (cli_limits_options(&cli_compare, &a, &lim))
        return FL_EXIT_USAGE;
    fl_compare_config cfg = {0};
    cfg.poll = cli_limits_poll;
    cfg.why_stopped = cli_limits_why;
    cfg.poll_ctx = &lim;
    unsigned long long v;
    const char *opt;
    if ((opt = cli_get(&cli_compare, &a, "max-events"))) {
        if (cli_u64("max-events", opt, &v))
            return FL_EXIT_USAGE;
        cfg.max_events = v;
    }
    cfg.seeds = 10;
    if ((opt = cli_get(&cli_compare, &a, "seeds"))) {
        if (cli_u64("seeds", opt, &v))
            return FL_EXIT_USAGE;
        if (v < 2 || v > 4096) {
            cli_error("--seeds: expected 2 to 4096 (an interval needs at least 2), got %s", opt);
            return FL_EXIT_USAGE;
        }
        cfg.seeds = (int)v;
    }
    if ((opt = cli_get(&cli_compare, &a, "jobs"))) {
        if (cli_u64("jobs", opt, &v) || v > 1024)
            return FL_EXIT_USAGE;
        cfg.jobs = (int)v;
    }
    static char vbuf[4096], mbuf[8192];
    static const char *vars[64], *mets[128];
    if ((opt = cli_get(&cli_compare, &a, "variants"))) {
        snprintf(vbuf, sizeof vbuf, "%s", opt);
        cfg.variants = vars;
        cfg.nvariants = split(vbuf, vars, 64);
    }
    if ((opt = cli_get(&cli_compare, &a, "metrics"))) {
        snprintf(mbuf, sizeof mbuf, "%s", opt);
        cfg.metrics = mets;
        cfg.nmetrics = split(mbuf, mets, 128);
    }
    if ((opt = cli_get(&cli_compare, &a, "min-effect"))) {
        char *end;
        errno = 0;
        double pct = strtod(opt, &end);
        if (*end == '%')
            end++;
        if (end == opt || *end || errno || !(pct >= 0 && pct <= 1000)) {
            cli_error("--min-effect: expected a percentage from 0 to 1000 (e.g. 2 or 2%%), got %s", opt);
            return FL_EXIT_USAGE;
        }
        cfg.min_effect_set = true;
        cfg.min_effect = pct / 100;
    }
    cfg.sets = a.multi;
    cfg.nsets = a.nmulti;
    if (cli_get(&cli_compare, &a, "plot") && cli_get(&cli_compare, &a, "no-files")) {
        cli_error("--plot draws from the run files: it cannot go with --no-files");
        return FL_EXIT_USAGE;
    }
    fl_scenario *sc;
    int rc = cli_load_scenario_polled(&cli_compare, &a, &sc, &lim);
    if (rc != FL_EXIT_OK)
        return rc;
    fl_error e;
    char msg[1200];
    char dir[4096], staged[4200];
    const char *out = NULL;
    if (!cli_get(&cli_compare, &a, "no-files")) {
        out = cli_get(&cli_compare, &a, "out");
        if (!out) {
            snprintf(dir, sizeof dir, "out/%s/compare", fl_scenario_name(sc));
            out = dir;
        }
        /* The folder is one unit: written under a temporary name, renamed over out at the
         * end, so no run of an earlier comparison (more seeds, other variants) stays. */
        static const char *const known[] = {"compare.json", "compare.csv", "runs", "charts",
                                            "report.html", NULL};
        if ((rc = cli_stage_dir(out, known, staged, sizeof staged)) != FL_EXIT_OK) {
            fl_scenario_free(sc);
            return rc;
        }
        cfg.out_dir = staged;
    }
    char *json = NULL;
    fl_status st = fl_compare(sc, &cfg, &json, &e);
    fl_scenario_free(sc);
    if (!json) {
        if (out)
            fl__remove_tree(staged);
        fl_error_format(&e, msg, sizeof msg);
        fprintf(stderr, "%s%s\n", e.file[0] ? "" : "faultline: ", msg);
        return cli_exit_for(st);
    }
    int done_rc = FL_EXIT_OK;
    if (st != FL_OK) { /* stopped: what finished is compared, marked incomplete */
        cli_error("the comparison stopped early (%s); it covers only the runs that finished "
                  "and is marked incomplete",
                  lim.why ? lim.why : st == FL_LIMIT ? "--max-events reached" : "interrupted");
        done_rc = FL_EXIT_RUNTIME;
    }
    if (cli_get(&cli_compare, &a, "json"))
        printf("%s\n", json);
    else {
        cJSON *c = cJSON_Parse(json);
        print_table(c);
        cJSON_Delete(c);
        if (out)
            printf("\noutputs: %s/{compare.json,compare.csv,runs/}\n", out);
    }
    free(json);
    if (cli_get(&cli_compare, &a, "plot") && out && done_rc == FL_EXIT_OK) {
        /* The overlays are drawn by faultline itself (no gnuplot needed) from the runs/ files
         * just written; the report gathers them with the verdict table. */
        char charts[4300];
        snprintf(charts, sizeof charts, "%s/charts", staged);
        if (mkdir(charts, 0777) != 0 && errno != EEXIST) {
            cli_error("cannot create %s: %s", charts, strerror(errno));
            done_rc = FL_EXIT_RUNTIME;
        } else if ((st = fl_report_write_charts(staged, NULL, a.pos[0], charts, &e))) {
            fl_error_format(&e, msg, sizeof msg);
            cli_error("%s", msg);
            done_rc = FL_EXIT_RUNTIME;
        } else
            printf("charts: %s/charts/overlay-*.svg; report: %s/report.html\n", out, out);
    }
    if (out && cli_commit_dir(staged, out) != FL_EXIT_OK)
        done_rc = FL_EXIT_RUNTIME;
    return done_rc;
}
