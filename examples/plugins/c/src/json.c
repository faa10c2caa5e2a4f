#include "json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

typedef struct {
    const char *p, *end;
} cursor;

static void skip_ws(cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) {
        c->p++;
    }
}

static int hex4(const char *p, uint32_t *out) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char h = p[i];
        v <<= 4;
        if (h >= '0' && h <= '9') v |= (uint32_t)(h - '0');
        else if (h >= 'a' && h <= 'f') v |= (uint32_t)(h - 'a' + 10);
        else if (h >= 'A' && h <= 'F') v |= (uint32_t)(h - 'A' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

static size_t put_utf8(char *out, uint32_t cp) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Reads a string at c->p (which is at its opening quote). With `out` (room for as many bytes as the
 * literal is long), writes the decoded bytes there and their count to `*out_len`. */
static int string(cursor *c, char *out, size_t *out_len) {
    size_t n = 0;
    c->p++; /* the opening quote */
    while (c->p < c->end) {
        unsigned char ch = (unsigned char)*c->p++;
        if (ch == '"') {
            if (out_len) *out_len = n;
            return 1;
        }
        if (ch < 0x20) return 0;
        if (ch != '\\') {
            if (out) out[n] = (char)ch;
            n++;
            continue;
        }
        if (c->p >= c->end) return 0;
        char e = *c->p++;
        char simple = 0;
        switch (e) {
        case '"': simple = '"'; break;
        case '\\': simple = '\\'; break;
        case '/': simple = '/'; break;
        case 'b': simple = '\b'; break;
        case 'f': simple = '\f'; break;
        case 'n': simple = '\n'; break;
        case 'r': simple = '\r'; break;
        case 't': simple = '\t'; break;
        case 'u': {
            uint32_t cp;
            if (c->end - c->p < 4 || !hex4(c->p, &cp)) return 0;
            c->p += 4;
            if (cp >= 0xd800 && cp <= 0xdbff) {
                uint32_t low;
                if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u' || !hex4(c->p + 2, &low) ||
                    low < 0xdc00 || low > 0xdfff) {
                    return 0;
                }
                c->p += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
            } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                return 0;
            }
            char buf[4];
            size_t k = put_utf8(buf, cp);
            if (out) memcpy(out + n, buf, k);
            n += k;
            continue;
        }
        default: return 0;
        }
        if (out) out[n] = simple;
        n++;
    }
    return 0;
}

static int value(cursor *c, int depth);

static int container(cursor *c, int depth, char close, int keyed) {
    if (depth >= MAX_DEPTH) return 0;
    c->p++;
    skip_ws(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        return 1;
    }
    for (;;) {
        skip_ws(c);
        if (keyed) {
            if (c->p >= c->end || *c->p != '"' || !string(c, NULL, NULL)) return 0;
            skip_ws(c);
            if (c->p >= c->end || *c->p++ != ':') return 0;
        }
        if (!value(c, depth + 1)) return 0;
        skip_ws(c);
        if (c->p >= c->end) return 0;
        char next = *c->p++;
        if (next == close) return 1;
        if (next != ',') return 0;
    }
}

static int value(cursor *c, int depth) {
    skip_ws(c);
    if (c->p >= c->end) return 0;
    switch (*c->p) {
    case '"': return string(c, NULL, NULL);
    case '{': return container(c, depth, '}', 1);
    case '[': return container(c, depth, ']', 0);
    default: {
        /* true, false, null or a number: checked loosely, as nothing here reads them. */
        const char *start = c->p;
        while (c->p < c->end && strchr("truefalsn0123456789+-.eE", *c->p) && *c->p) c->p++;
        return c->p > start;
    }
    }
}

json_lookup json_string_member(const char *text, size_t len, const char *key, char **found,
                               size_t *found_len) {
    cursor c = {text, text + len};
    skip_ws(&c);
    if (c.p >= c.end || *c.p != '{') return JSON_MALFORMED;
    /* Check the whole document first, so a malformed one is refused whatever it holds. */
    cursor whole = c;
    if (!value(&whole, 0)) return JSON_MALFORMED;
    skip_ws(&whole);
    if (whole.p != whole.end) return JSON_MALFORMED;

    json_lookup result = JSON_ABSENT;
    c.p++;
    skip_ws(&c);
    if (*c.p == '}') return JSON_ABSENT;
    size_t key_len = strlen(key);
    for (;;) {
        skip_ws(&c);
        char *name = malloc((size_t)(c.end - c.p) + 1);
        size_t name_len = 0;
        if (!name) return JSON_MALFORMED;
        string(&c, name, &name_len);
        int match = name_len == key_len && memcmp(name, key, key_len) == 0;
        free(name);
        skip_ws(&c);
        c.p++; /* ':' */
        skip_ws(&c);
        if (match) {
            /* The last member of a name wins, as in Python's json. */
            if (result == JSON_FOUND) free(*found);
            if (*c.p == '"') {
                char *out = malloc((size_t)(c.end - c.p) + 1);
                size_t out_len = 0;
                if (!out) return JSON_MALFORMED;
                string(&c, out, &out_len);
                out[out_len] = 0;
                *found = out;
                *found_len = out_len;
                result = JSON_FOUND;
            } else {
                value(&c, 1);
                result = JSON_NOT_A_STRING;
            }
        } else {
            value(&c, 1);
        }
        skip_ws(&c);
        if (*c.p++ == '}') return result;
    }
}

size_t json_escape(char *out, const char *s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    out[n++] = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            out[n++] = '\\';
            out[n++] = (char)ch;
        } else if (ch < 0x20) {
            out[n++] = '\\';
            out[n++] = 'u';
            out[n++] = '0';
            out[n++] = '0';
            out[n++] = hex[ch >> 4];
            out[n++] = hex[ch & 15];
        } else {
            out[n++] = (char)ch;
        }
    }
    out[n++] = '"';
    out[n] = 0;
    return n;
}
