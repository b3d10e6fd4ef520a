/* libFuzzer target: `--set PATH=VALUE` overrides (each input line is one) applied to a
 * small scenario, then a short run: any override must give an error or a run, never a
 * crash or a leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/faultline.h>

#include "core/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char base[] =
    "{\"faultline\": 1, \"name\": \"f\", \"duration\": \"2s\", \"zones\": [\"a\", \"b\"],\n"
    " \"nodes\": [{\"name\": \"api\", \"kind\": \"service\", \"zone\": \"a\", \"service_time\": \"exp(1ms)\",\n"
    "   \"calls\": [{\"to\": \"db\", \"client\": {\"timeout\": \"100ms\", \"attempts\": 2}}]},\n"
    "  {\"name\": \"db\", \"kind\": \"service\", \"zone\": \"b\", \"service_time\": \"exp(2ms)\"}],\n"
    " \"workloads\": [{\"name\": \"w\", \"target\": \"api\", \"rate\": \"200/s\"}],\n"
    " \"faults\": [{\"at\": \"1s\", \"for\": \"0.5s\", \"partition\": [[\"a\"], [\"b\"]]}],\n"
    " \"variants\": {\"v\": {\"set\": {\"nodes.api.workers\": 2}}}}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fl_scenario *sc;
    if (!sc) {
        fl_alloc_install_cjson();
        fl_error e;
        if (fl_scenario_parse(base, sizeof base - 1, "fuzz.json", &sc, &e) != FL_OK)
            abort(); /* the base must load */
    }
    if (size > 4096)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    const char *sets[16];
    size_t n = 0;
    for (char *line = strtok(text, "\n"); line && n < 16; line = strtok(NULL, "\n"))
        sets[n++] = line;
    fl_run_config cfg = {.sets = sets, .nsets = n, .max_events = 20000};
    cfg.variant = size % 2 ? "v" : NULL;
    fl_result *r = NULL;
    fl_error e;
    fl_run(sc, &cfg, &r, &e);
    fl_result_free(r);
    free(text);
    return 0;
}
