/* Names: the one rule for every name a scenario gives (scenario, node, workload, variant,
 * zone, member) and for every name read back from a run's files.
 *
 * Names end up in output paths (out/SCENARIO/VARIANT-seedN, charts/...), CSV headers,
 * gnuplot scripts and the dashboard, so they are restricted at load, where the user can fix
 * them, rather than escaped in each of those places:
 *   - 1 to FL_NAME_MAX characters from A-Z a-z 0-9 '.' '_' '-';
 *   - not starting with '.' (".", "..", hidden files) or '-' (read as an option).
 * So a name is never a path ('/', ".."), never carries a quote, backquote, '$', space,
 * newline or NUL, and is safe as a file name, a shell word and a gnuplot string. */
#ifndef FAULTLINE_NAME_H
#define FAULTLINE_NAME_H

#include <stddef.h>

#define FL_NAME_MAX 64

/* 0 when s (len bytes; it may hold NUL bytes, which are refused) is a valid name; else -1
 * with why (n bytes, always terminated) saying what is wrong, e.g. "expected a name of
 * letters, digits, '.', '_' or '-', got \"a`b\" (the character '`')". */
int fl_name_check(const char *s, size_t len, char *why, size_t n);

#endif
