/* Just enough JSON for an activity's arguments: find one string member of the top-level object,
 * and write a string back escaped. */
#ifndef CHECKSUM_JSON_H
#define CHECKSUM_JSON_H

#include <stddef.h>

typedef enum { JSON_FOUND, JSON_ABSENT, JSON_NOT_A_STRING, JSON_MALFORMED } json_lookup;

/* Looks up `key` in the JSON object `text` (`len` bytes). On JSON_FOUND, `*value` is a decoded,
 * NUL-terminated copy (malloc'd; the caller frees it) and `*value_len` its length, which counts any
 * NUL the string holds. */
json_lookup json_string_member(const char *text, size_t len, const char *key, char **value,
                               size_t *value_len);

/* Appends `s` (`len` bytes) as a JSON string literal to `out`, which has room for `6 * len + 3`
 * bytes; returns the number of bytes written. */
size_t json_escape(char *out, const char *s, size_t len);

#endif
