/* faultline list: the bundled scenarios, one line each. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <faultline/faultline.h>

#include "cli/cli.h"

static const cli_opt list_opts[] = {
    {"dir", 'd', "DIR", "list the scenarios under DIR (default: scenarios)"},
    {NULL, 0, NULL, NULL},
};

const cli_cmd cli_list = {
    "list",
    "[--dir DIR]",
    "List scenarios: file, name, variants and title.",
    NULL,
    list_opts,
    cmd_list,
};

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collects *.json paths under dir (one level of subfolders), sorted. */
static size_t collect(const char *dir, char **paths, size_t max, int depth)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < max) {
        if (de->d_name[0] == '.')
            continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(p, &st) != 0)
            continue;
        size_t l = strlen(de->d_name);
        if (S_ISDIR(st.st_mode) && depth == 0)
            n += collect(p, paths + n, max - n, 1);
        else if (S_ISREG(st.st_mode) && l > 5 && strcmp(de->d_name + l - 5, ".json") == 0)
            paths[n++] = strdup(p);
    }
    closedir(d);
    return n;
}

int cmd_list(int argc, char **argv)
{
    cli_args a;
    int pr = cli_parse(&cli_list, argc, argv, &a);
    if (pr)
        return pr > 0 ? FL_EXIT_OK : FL_EXIT_USAGE;
    const char *dir = cli_get(&cli_list, &a, "dir");
    if (!dir)
        dir = "scenarios";
    char *paths[1024];
    size_t n = collect(dir, paths, 1024, 0);
    if (n == 0) {
        cli_error("list: no scenario files (*.json) under %s; run from the repository root or "
                  "give --dir", dir);
        return FL_EXIT_USAGE;
    }
    qsort(paths, n, sizeof *paths, cmp);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        fl_error e;
        fl_scenario *sc;
        if (fl_scenario_load(paths[i], &sc, &e) != FL_OK) {
            printf("%-42s (invalid: run 'faultline validate %s')\n", paths[i], paths[i]);
            bad = 1;
        } else {
            printf("%-42s %-27s %zu variant%s  %s\n", paths[i], fl_scenario_name(sc),
                   fl_scenario_variant_count(sc) + 1, fl_scenario_variant_count(sc) ? "s" : " ",
                   fl_scenario_title(sc));
            fl_scenario_free(sc);
        }
        free(paths[i]);
    }
    return bad ? FL_EXIT_USAGE : FL_EXIT_OK;
}
