/* Names: see include/faultline/name.h. */
#include <faultline/name.h>

#include <stdbool.h>
#include <stdio.h>

static bool name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
}

/* The name for a message: at most 40 characters, anything outside printable ASCII (and the
 * quote and backslash) shown as \xNN, so a message stays one plain line. */
static void show(const char *s, size_t len, char *buf, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < len && i < 40 && w + 5 < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\')
            w += (size_t)snprintf(buf + w, n - w, "\\x%02X", c);
        else
            buf[w++] = (char)c;
    }
    if (len > 40 && w + 4 < n)
        w += (size_t)snprintf(buf + w, n - w, "...");
    buf[w < n ? w : n - 1] = 0;
}

int fl_name_check(const char *s, size_t len, char *why, size_t n)
{
    char shown[200];
    if (len == 0) {
        snprintf(why, n, "expected a non-empty name");
        return -1;
    }
    show(s, len, shown, sizeof shown);
    if (len > FL_NAME_MAX) {
        snprintf(why, n, "expected a name of at most %d characters, got %zu characters (\"%s\")",
                 FL_NAME_MAX, len, shown);
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!name_char(c)) {
            char ch[8];
            if (c < 0x20 || c >= 0x7F || c == '\\' || c == '"')
                snprintf(ch, sizeof ch, "\\x%02X", c);
            else
                snprintf(ch, sizeof ch, "%c", c);
            snprintf(why, n,
                     "expected a name of letters, digits, '.', '_' or '-', got \"%s\" (the "
                     "character \"%s\")",
                     shown, ch);
            return -1;
        }
    }
    if (s[0] == '.' || s[0] == '-') {
        snprintf(why, n, "expected a name that does not start with '%c', got \"%s\"", s[0], shown);
        return -1;
    }
    return 0;
}
