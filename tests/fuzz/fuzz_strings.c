/* libFuzzer target: the duration, rate and distribution string parsers. The first byte
 * picks the parser; the rest is the string. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/faultline.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    char *s = malloc(size);
    if (!s)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = 0;
    char why[256];
    fl_time t;
    double r;
    switch (data[0] % 3) {
    case 0:
        fl_parse_duration(s, &t, why, sizeof why);
        break;
    case 1:
        fl_parse_rate(s, &r, why, sizeof why);
        break;
    default: {
        fl_dist *d = NULL;
        fl_error e;
        if (fl_dist_parse(s, &d, &e) == FL_OK) {
            fl_rng rng;
            fl_rng_seed(&rng, 1, "fuzz");
            for (int i = 0; i < 16; i++)
                (void)fl_dist_sample(d, &rng);
            char buf[256];
            fl_dist_format(d, buf, sizeof buf);
            fl_dist_free(d);
        }
    }
    }
    free(s);
    return 0;
}
