/* faultline explore --frontier: the tipping point of a system (explore.h). For each size
 * of a trigger, both ends of the parameter's range are probed, then the range is halved
 * `steps` times; a probe is `seeds` runs, stable when more than half of them recover after
 * the last fault (recovery as explore judges it: explore_int.h). Every trigger's probes of
 * one round run together on the threads; each round's probes are fixed before it runs, so
 * the result does not depend on the number of threads. */
#include <faultline/explore.h>
#include <faultline/run.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/alloc.h"
#include "scenario/explore_int.h"
#include "scenario/pool.h"
#include "scenario/result_int.h"
#include "scenario/verdict.h"

static double round_to(double x, double q) { return round(x / q) * q; }

/* ---- tipping points ------------------------------------------------------------------- */

fl_status fl_explore_range_parse(const char *arg, fl_explore_range *out, fl_error *e)
{
    memset(out, 0, sizeof *out);
    const char *eq = strchr(arg, '=');
    const char *dd = eq ? strstr(eq + 1, "..") : NULL;
    if (!eq || eq == arg || !dd)
        return fl_error_set(e, FL_USAGE, NULL, "expected PATH=LOW..HIGH, such as "
                                               "workloads.clients.rate=300/s..700/s, got \"%s\"",
                            arg);
    snprintf(out->path, sizeof out->path, "%.*s", (int)(eq - arg), arg);
    char lo[64], hi[64];
    snprintf(lo, sizeof lo, "%.*s", (int)(dd - eq - 1), eq + 1);
    snprintf(hi, sizeof hi, "%s", dd + 2);
    char *end1, *end2;
    errno = 0;
    out->lo = strtod(lo, &end1);
    out->hi = strtod(hi, &end2);
    if (end1 == lo || end2 == hi || errno || !isfinite(out->lo) || !isfinite(out->hi))
        return fl_error_set(e, FL_USAGE, NULL, "%s: expected two numbers with the same unit, "
                                               "such as 300/s..700/s, got \"%s..%s\"",
                            out->path, lo, hi);
    if (strcmp(end1, end2) != 0 || strlen(end1) >= sizeof out->unit)
        return fl_error_set(e, FL_USAGE, NULL, "%s: LOW and HIGH must have the same unit, got "
                                               "\"%s\" and \"%s\"",
                            out->path, end1, end2);
    if (!(out->lo < out->hi))
        return fl_error_set(e, FL_USAGE, NULL, "%s: expected LOW < HIGH", out->path);
    snprintf(out->unit, sizeof out->unit, "%s", end1);
    return FL_OK;
}

typedef struct prober {
    const fl_scenario *sc;
    pthread_mutex_t lock;
    fl_status cut; /* a run stopped by poll or a limit */
    fl_status bad; /* a run refused (bad override): stops everything */
    fl_error err;
} prober;

static int run_poll(void *ctx, double frac)
{
    const fl_frontier_config *fc = ctx;
    (void)frac;
    return fc->poll ? fc->poll(fc->poll_ctx) : 0;
}

static const char *run_why(void *ctx)
{
    const fl_frontier_config *fc = ctx;
    return fc->why_stopped ? fc->why_stopped(fc->poll_ctx) : NULL;
}

typedef struct probe_job {
    prober *x;
    const fl_frontier_config *fc;
    double pv, tv;   /* the parameter's and the trigger's values */
    uint64_t seed;
    int recovered;   /* 1 recovered, 0 not, -1 not run */
} probe_job;

typedef struct probe_set {
    prober *x;
    const fl_frontier_config *fc;
    probe_job *jobs;
    size_t done, total;
} probe_set;

static void probe_one(void *ctx, size_t i)
{
    probe_set *ps = ctx;
    probe_job *j = &ps->jobs[i];
    prober *x = ps->x;
    const fl_frontier_config *fc = ps->fc;
    j->recovered = -1;
    pthread_mutex_lock(&x->lock);
    bool stop = x->bad || x->cut;
    pthread_mutex_unlock(&x->lock);
    if (stop || (fc->poll && fc->poll(fc->poll_ctx))) {
        pthread_mutex_lock(&x->lock);
        if (!x->cut && !x->bad)
            x->cut = FL_INTERRUPTED;
        pthread_mutex_unlock(&x->lock);
        return;
    }
    char a[300], b[300];
    snprintf(a, sizeof a, "%s=%.6g%s", fc->param.path, j->pv, fc->param.unit);
    snprintf(b, sizeof b, "%s=%.6g%s", fc->trigger.path, j->tv, fc->trigger.unit);
    const char **sets = fl_calloc(fc->nsets + 2, sizeof *sets);
    fl_error e;
    fl_error_clear(&e);
    fl_status st = FL_NOMEM;
    fl_result *r = NULL;
    if (sets) {
        for (size_t k = 0; k < fc->nsets; k++)
            sets[k] = fc->sets[k];
        sets[fc->nsets] = a;
        sets[fc->nsets + 1] = b;
        fl_run_config rc = {0};
        rc.variant = fc->variant;
        rc.seed = j->seed;
        rc.seed_given = true;
        rc.sets = sets;
        rc.nsets = fc->nsets + 2;
        rc.max_events = fc->max_events ? fc->max_events : 100000000000ULL;
        rc.figures_only = true; /* it reads the summary's figures, writes nothing */
        if (fc->poll) {
            rc.progress = run_poll;
            rc.why_stopped = run_why;
            rc.progress_ctx = (void *)fc;
        }
        st = fl_run(x->sc, &rc, &r, &e);
    } else
        fl_error_set(&e, FL_NOMEM, NULL, "out of memory");
    if (st == FL_OK) {
        j->recovered = fl__explore_recovered(r->summary);
    }
    fl_result_free(r);
    fl_free(sets);
    pthread_mutex_lock(&x->lock);
    if (st == FL_INTERRUPTED || st == FL_LIMIT) {
        if (!x->cut)
            x->cut = st;
    } else if (st != FL_OK && !x->bad) {
        x->bad = st;
        x->err = e;
    } else if (st == FL_OK) {
        ps->done++;
        if (fc->progress)
            fc->progress(fc->progress_ctx, ps->done, ps->total);
    }
    pthread_mutex_unlock(&x->lock);
}

typedef struct bisect {
    double tv;
    double stable, unstable;  /* the largest value that recovered, the smallest that did not */
    int k_stable, k_unstable; /* seeds recovered there */
    bool below, above;        /* unstable already at lo / stable still at hi */
    int probes;
    double cur;               /* the probe of this round (NaN: done) */
} bisect;

/* Stable: more than half the seeds recovered. */
static bool is_stable(int k, int n) { return 2 * k > n; }

static void put_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.6g", v);
}

/* gnuplot frontier.gp in dir (no shell: the folder's name is never parsed); its
 * messages go to gnuplot.log there. Non-zero when gnuplot is missing or failed. */
static int gnuplot(const char *dir)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (chdir(dir) != 0)
            _exit(126);
        int log = open("gnuplot.log", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (log >= 0) {
            dup2(log, 2);
            dup2(log, 1);
        }
        execlp("gnuplot", "gnuplot", "frontier.gp", (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The chart: the boundary (with its bracket) against the trigger, over the heat map of the
 * sweep's recovered fraction when one is given. */
static fl_status write_chart(const fl_frontier_config *fc, const bisect *b, int nt,
                             const char *dir, bool *drew, fl_error *e)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/frontier.gp", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return fl_error_set(e, FL_IO, NULL, "cannot write %s: %s", path, strerror(errno));
    fprintf(f, "# faultline explore --frontier: where the system stops recovering.\n"
               "set terminal svg size 800,560 dynamic font 'sans,11'\n"
               "set output 'frontier.svg'\n"
               "set title 'stability boundary: stable left of the line (more than half the "
               "seeds recover)'\n"
               "set xlabel '%s'\nset ylabel '%s'\nset key below\nset offsets graph 0.04, graph 0.04, graph 0.06, graph 0.06\n"
               "set grid\n",
            fc->param.path, fc->trigger.path);
    fprintf(f, "$frontier << EOD\n");
    for (int t = 0; t < nt; t++) {
        if (b[t].below || b[t].above)
            continue;
        put_num(f, (b[t].stable + b[t].unstable) / 2);
        fprintf(f, " ");
        put_num(f, b[t].tv);
        fprintf(f, " ");
        put_num(f, b[t].stable);
        fprintf(f, " ");
        put_num(f, b[t].unstable);
        fprintf(f, "\n");
    }
    fprintf(f, "EOD\n");
    bool heat = false;
    if (fc->over_csv) {
        /* sweep.csv: PARAM1,PARAM2,seed,metrics...; the recovered fraction per point. */
        FILE *in = fopen(fc->over_csv, "r");
        if (!in) {
            fclose(f);
            return fl_error_set(e, FL_IO, NULL, "cannot open %s: %s", fc->over_csv,
                                strerror(errno));
        }
        char line[8192];
        int cp = -1, ct = -1, cr = -1, col = 0;
        if (fgets(line, sizeof line, in)) {
            line[strcspn(line, "\r\n")] = 0;
            for (char *tok = strtok(line, ","); tok; tok = strtok(NULL, ","), col++) {
                if (strcmp(tok, fc->param.path) == 0)
                    cp = col;
                else if (strcmp(tok, fc->trigger.path) == 0)
                    ct = col;
                else if (cr < 0 && fl__explore_liveness_flag(tok))
                    cr = col;
            }
        }
        if (cp < 0 || ct < 0 || cr < 0) {
            fclose(in);
            fclose(f);
            return fl_error_set(e, FL_INVALID, NULL, "%s: expected a sweep.csv over %s and %s "
                                                     "with a recovered column (sweep --metrics "
                                                     "workloads.NAME.recovery.recovered)",
                                fc->over_csv, fc->param.path, fc->trigger.path);
        }
        /* The mean over seeds per grid point (a sweep grid is at most FL_SWEEP_MAX_RUNS). */
        enum { MAXP = 10000 };
        double *acc = fl_calloc(MAXP * 4, sizeof *acc);
        size_t np = 0;
        while (acc && fgets(line, sizeof line, in)) {
            double v[3] = {NAN, NAN, NAN};
            col = 0;
            for (char *tok = strtok(line, ",\r\n"); tok; tok = strtok(NULL, ",\r\n"), col++) {
                double d = strtod(tok, NULL);
                if (col == cp)
                    v[0] = d;
                else if (col == ct)
                    v[1] = d;
                else if (col == cr)
                    v[2] = d;
            }
            if (!isfinite(v[0]) || !isfinite(v[1]) || !isfinite(v[2]))
                continue;
            size_t q = 0;
            while (q < np && !(acc[4 * q] == v[0] && acc[4 * q + 1] == v[1]))
                q++;
            if (q == np && np < MAXP) {
                acc[4 * q] = v[0];
                acc[4 * q + 1] = v[1];
                np++;
            }
            if (q < np) {
                acc[4 * q + 2] += v[2];
                acc[4 * q + 3] += 1;
            }
        }
        fprintf(f, "$heat << EOD\n");
        for (size_t q = 0; acc && q < np; q++)
            fprintf(f, "%.6g %.6g %.6g\n", acc[4 * q], acc[4 * q + 1], acc[4 * q + 2] / acc[4 * q + 3]);
        fl_free(acc);
        fclose(in);
        fprintf(f, "EOD\n");
        heat = true;
    }
    fprintf(f, "set cbrange [0:1]\nset cblabel 'fraction of seeds that recovered (sweep)'\n"
               "set palette defined (0 '#b2182b', 0.5 '#f7f7f7', 1 '#2166ac')\n");
    if (heat)
        fprintf(f, "plot $heat using 1:2:3 with points pt 5 ps 4 palette "
                   "title 'sweep: mean recovered over seeds', \\\n"
                   "     $frontier using 1:2:3:4 with xerrorlines lw 2 lc rgb 'black' pt 7 "
                   "title 'explore: boundary (bar: last stable .. first unstable)'\n");
    else
        fprintf(f, "plot $frontier using 1:2:3:4 with xerrorlines lw 2 lc rgb 'black' pt 7 "
                   "title 'boundary (bar: last stable .. first unstable)'\n");
    fprintf(f, "set terminal pngcairo size 800,560\nset output 'frontier.png'\nreplot\n");
    if (fclose(f) != 0)
        return fl_error_set(e, FL_IO, NULL, "cannot write %s", path);
    *drew = gnuplot(dir) == 0;
    return FL_OK;
}

fl_status fl_frontier(const fl_scenario *sc, const fl_frontier_config *fc, char **json,
                      fl_error *e)
{
    *json = NULL;
    fl_error_clear(e);
    int nt = fc->triggers > 0 ? fc->triggers : 6;
    int steps = fc->steps > 0 ? fc->steps : 5;
    int seeds = fc->seeds > 0 ? fc->seeds : 5;
    if (nt > 100 || steps > 30 || seeds > 1000)
        return fl_error_set(e, FL_USAGE, NULL, "at most 100 triggers, 30 steps, 1000 seeds");
    prober x0 = {0};
    prober *x = &x0;
    x->sc = sc;
    pthread_mutex_init(&x->lock, NULL);
    bisect *b = fl_calloc((size_t)nt, sizeof *b);
    probe_job *jobs = fl_calloc((size_t)nt * 2 * (size_t)seeds, sizeof *jobs);
    fl_status st = FL_OK;
    cJSON *out = NULL;
    if (!b || !jobs) {
        st = fl_error_set(e, FL_NOMEM, NULL, "out of memory");
        goto done;
    }
    size_t total = (size_t)nt * (size_t)seeds * (size_t)(2 + steps), runs = 0;
    probe_set ps = {x, fc, jobs, 0, total};
    /* Round 0: both ends of every trigger; then one probe per trigger a round. Each round's
     * probes are fixed before it runs: the result does not depend on the threads. */
    for (int round = 0; round <= steps && !x->cut && !x->bad; round++) {
        size_t nj = 0;
        for (int t = 0; t < nt; t++) {
            bisect *bt = &b[t];
            if (round == 0) {
                bt->tv = nt == 1 ? fc->trigger.lo
                                 : fc->trigger.lo + (fc->trigger.hi - fc->trigger.lo) * t / (nt - 1);
                bt->tv = round_to(bt->tv, 1e-6);
                for (int end = 0; end < 2; end++)
                    for (int s = 0; s < seeds; s++)
                        jobs[nj++] = (probe_job){x, fc, end ? fc->param.hi : fc->param.lo,
                                                 bt->tv, (uint64_t)s + 1, -1};
                continue;
            }
            bt->cur = NAN;
            if (bt->below || bt->above)
                continue;
            bt->cur = round_to((bt->stable + bt->unstable) / 2, 1e-6);
            for (int s = 0; s < seeds; s++)
                jobs[nj++] = (probe_job){x, fc, bt->cur, bt->tv, (uint64_t)s + 1, -1};
        }
        if (!nj)
            break;
        fl__pool_run(nj, fc->jobs, probe_one, &ps);
        runs += nj;
        if (x->cut || x->bad)
            break;
        size_t at = 0;
        for (int t = 0; t < nt; t++) {
            bisect *bt = &b[t];
            if (round == 0) {
                int klo = 0, khi = 0;
                for (int s = 0; s < seeds; s++) {
                    klo += jobs[at + (size_t)s].recovered == 1;
                    khi += jobs[at + (size_t)seeds + (size_t)s].recovered == 1;
                }
                at += 2 * (size_t)seeds;
                bt->probes = 2;
                bt->stable = fc->param.lo;
                bt->k_stable = klo;
                bt->unstable = fc->param.hi;
                bt->k_unstable = khi;
                bt->below = !is_stable(klo, seeds);
                bt->above = is_stable(khi, seeds);
                continue;
            }
            if (isnan(bt->cur))
                continue;
            int k = 0;
            for (int s = 0; s < seeds; s++)
                k += jobs[at + (size_t)s].recovered == 1;
            at += (size_t)seeds;
            bt->probes++;
            if (is_stable(k, seeds)) {
                bt->stable = bt->cur;
                bt->k_stable = k;
            } else {
                bt->unstable = bt->cur;
                bt->k_unstable = k;
            }
        }
    }
    if (x->bad) {
        st = x->bad;
        *e = x->err;
        goto done;
    }
    out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "scenario", fl_scenario_name(sc));
    cJSON_AddStringToObject(out, "variant", fc->variant ? fc->variant : "baseline");
    cJSON_AddStringToObject(out, "param", fc->param.path);
    cJSON_AddStringToObject(out, "trigger", fc->trigger.path);
    cJSON_AddStringToObject(out, "unit", fc->param.unit);
    cJSON_AddNumberToObject(out, "seeds", seeds);
    cJSON_AddNumberToObject(out, "steps", steps);
    cJSON_AddStringToObject(out, "rule", "a probe is stable when more than half its seeds "
                                         "recover after the last fault");
    cJSON_AddNumberToObject(out, "runs", (double)runs);
    double res = (fc->param.hi - fc->param.lo) / pow(2, steps);
    size_t grid = (size_t)(pow(2, steps) + 1) * (size_t)nt * (size_t)seeds;
    cJSON_AddNumberToObject(out, "resolution", res);
    cJSON_AddNumberToObject(out, "grid_runs_same_resolution", (double)grid);
    cJSON_AddBoolToObject(out, "complete", !x->cut);
    if (x->cut) {
        const char *why = fc->why_stopped ? fc->why_stopped(fc->poll_ctx) : NULL;
        cJSON_AddStringToObject(out, "stopped_because", why ? why : "interrupted");
    }
    cJSON *bl = cJSON_AddArrayToObject(out, "boundary");
    FILE *csv = NULL;
    char path[4300];
    if (fc->out_dir) {
        if (fl__mkdirs(fc->out_dir) != 0) {
            st = fl_error_set(e, FL_IO, NULL, "cannot create %s: %s", fc->out_dir, strerror(errno));
            goto done;
        }
        snprintf(path, sizeof path, "%s/frontier.csv", fc->out_dir);
        if (!(csv = fopen(path, "w"))) {
            st = fl_error_set(e, FL_IO, NULL, "cannot write %s: %s", path, strerror(errno));
            goto done;
        }
        fprintf(csv, "%s,last_stable,first_unstable,boundary,recovered_at_stable,"
                     "recovered_at_unstable,seeds,probes,note\n", fc->trigger.path);
    }
    for (int t = 0; t < nt; t++) {
        bisect *bt = &b[t];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(bl, o);
        cJSON_AddNumberToObject(o, "trigger", bt->tv);
        char note[400], lo[64], hi[64];
        double wl, wh, ul, uh;
        fl__wilson((unsigned)bt->k_stable, (unsigned)seeds, FL__Z95, &wl, &wh);
        fl__wilson((unsigned)bt->k_unstable, (unsigned)seeds, FL__Z95, &ul, &uh);
        snprintf(lo, sizeof lo, "%.6g%s", bt->stable, fc->param.unit);
        snprintf(hi, sizeof hi, "%.6g%s", bt->unstable, fc->param.unit);
        double bnd = NAN;
        if (bt->below)
            snprintf(note, sizeof note, "unstable already at %s (%d/%d seeds recovered): the "
                                        "boundary is below the range", lo, bt->k_stable, seeds);
        else if (bt->above)
            snprintf(note, sizeof note, "still stable at %s (%d/%d seeds recovered): the "
                                        "boundary is above the range", hi, bt->k_unstable, seeds);
        else {
            bnd = (bt->stable + bt->unstable) / 2;
            snprintf(note, sizeof note, "between %s (%d/%d seeds recovered; 95%% CI of the "
                                        "recovery probability %.2f..%.2f) and %s (%d/%d; "
                                        "%.2f..%.2f)",
                     lo, bt->k_stable, seeds, wl, wh, hi, bt->k_unstable, seeds, ul, uh);
            cJSON_AddNumberToObject(o, "last_stable", bt->stable);
            cJSON_AddNumberToObject(o, "first_unstable", bt->unstable);
            cJSON_AddNumberToObject(o, "boundary", bnd);
        }
        cJSON_AddBoolToObject(o, "below_range", bt->below);
        cJSON_AddBoolToObject(o, "above_range", bt->above);
        cJSON_AddNumberToObject(o, "probes", bt->probes);
        cJSON_AddStringToObject(o, "confidence", note);
        if (csv) {
            fprintf(csv, "%.6g,", bt->tv);
            if (!bt->below && !bt->above) {
                put_num(csv, bt->stable);
                fputc(',', csv);
                put_num(csv, bt->unstable);
                fputc(',', csv);
                put_num(csv, bnd);
            } else
                fputs(",,", csv);
            fprintf(csv, ",%d,%d,%d,%d,%s\n", bt->k_stable, bt->k_unstable, seeds, bt->probes,
                    bt->below ? "below range" : bt->above ? "above range" : "");
        }
    }
    if (csv && fclose(csv) != 0) {
        st = fl_error_set(e, FL_IO, NULL, "cannot write %s", path);
        goto done;
    }
    if (fc->out_dir) {
        bool drew = false;
        if ((st = write_chart(fc, b, nt, fc->out_dir, &drew, e)))
            goto done;
        cJSON_AddBoolToObject(out, "chart_drawn", drew);
    }
    if (!(*json = cJSON_Print(out)))
        st = fl_error_set(e, FL_NOMEM, NULL, "out of memory");
    else if (x->cut)
        st = x->cut;
done:
    cJSON_Delete(out);
    fl_free(b);
    fl_free(jobs);
    pthread_mutex_destroy(&x->lock);
    return st;
}
