/* libFuzzer target: the scenario loader must refuse any input with an error, never crash,
 * leak or hang. Inputs that load are also run for a bounded number of events, so the
 * models' configuration paths see fuzzed values too. */
#include <stddef.h>
#include <stdint.h>

#include <faultline/faultline.h>

#include "core/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int hooked;
    if (!hooked) {
        fl_alloc_install_cjson();
        hooked = 1;
    }
    fl_scenario *sc = NULL;
    fl_error e;
    if (fl_scenario_parse((const char *)data, size, "fuzz.json", &sc, &e) != FL_OK)
        return 0;
    fl_run_config cfg = {0};
    cfg.max_events = 20000;
    fl_result *r = NULL;
    fl_run(sc, &cfg, &r, &e);
    fl_result_free(r);
    fl_scenario_free(sc);
    return 0;
}
