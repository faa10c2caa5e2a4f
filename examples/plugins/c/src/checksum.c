/* checksum-probe: a chaosrt plugin in C. It answers the SHA-256 and size of a file below the
 * directory it is granted (the run's working directory, read-only), so an experiment can check
 * that a configuration file, a certificate or a data file is still the one it should be before,
 * during and after a fault.
 *
 * The bindings (chaosrt_plugin.h, chaosrt_plugin.c, chaosrt_plugin_component_type.o) are generated
 * by build.sh from the contract in wit/ with `wit-bindgen c`; files are reached through wasi-libc,
 * whose preopens are exactly the plugin's grants. */
#include "chaosrt_plugin.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "sha256.h"

#define ACTIVITY "checksum"
#define GRANT "filesystem: . read-only"

static void dup_string(chaosrt_plugin_string_t *out, const char *s) { chaosrt_plugin_string_dup(out, s); }

void exports_chaosrt_plugin_plugin_metadata(chaosrt_plugin_types_plugin_metadata_t *ret) {
    dup_string(&ret->name, "checksum-probe");
    dup_string(&ret->version, "0.1.0");
    dup_string(&ret->description,
               "SHA-256 and size of a file below the run's working directory (C, wasi-libc)");

    ret->capabilities.len = 1;
    ret->capabilities.ptr = calloc(1, sizeof(chaosrt_plugin_types_capability_t));
    ret->capabilities.ptr[0].tag = CHAOSRT_PLUGIN_TYPES_CAPABILITY_FILESYSTEM;
    dup_string(&ret->capabilities.ptr[0].val.filesystem.path, ".");
    ret->capabilities.ptr[0].val.filesystem.access = CHAOSRT_PLUGIN_TYPES_ACCESS_READ_ONLY;

    ret->activities.len = 1;
    ret->activities.ptr = calloc(1, sizeof(chaosrt_plugin_types_activity_t));
    chaosrt_plugin_types_activity_t *a = &ret->activities.ptr[0];
    dup_string(&a->name, ACTIVITY);
    a->kind = CHAOSRT_PLUGIN_TYPES_ACTIVITY_KIND_PROBE;
    dup_string(&a->description, "The SHA-256 (hex) and size in bytes of a file, as {path, bytes, sha256}");
    a->arguments.len = 1;
    a->arguments.ptr = calloc(1, sizeof(chaosrt_plugin_types_argument_spec_t));
    chaosrt_plugin_types_argument_spec_t *path = &a->arguments.ptr[0];
    dup_string(&path->name, "path");
    path->type = CHAOSRT_PLUGIN_TYPES_ARGUMENT_TYPE_STRING;
    path->required = true;
    path->default_.is_some = false;
    dup_string(&path->description, "The file, relative to the run's working directory");
}

/* Sets `err` to the error `tag` with a printf-style message; returns false for `invoke` to return. */
static bool fail(chaosrt_plugin_types_error_t *err, uint8_t tag, const char *format, ...) {
    char buf[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(buf, sizeof buf, format, args);
    va_end(args);
    err->tag = tag;
    /* Every case of the error variant holds one string. */
    dup_string(&err->val.failed, buf);
    return false;
}

/* Hashes the open file `fd`; false with errno set when reading fails. */
static bool hash(int fd, uint8_t digest[32], unsigned long long *size) {
    static uint8_t chunk[64 * 1024];
    sha256_ctx ctx;
    sha256_init(&ctx);
    *size = 0;
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        if (n == 0) break;
        sha256_update(&ctx, chunk, (size_t)n);
        *size += (unsigned long long)n;
    }
    sha256_final(&ctx, digest);
    return true;
}

bool exports_chaosrt_plugin_plugin_invoke(chaosrt_plugin_string_t *activity, chaosrt_plugin_string_t *arguments,
                                          chaosrt_plugin_string_t *ret, chaosrt_plugin_types_error_t *err) {
    bool ok = false;
    char *path = NULL;
    size_t path_len = 0;
    if (activity->len != strlen(ACTIVITY) || memcmp(activity->ptr, ACTIVITY, activity->len) != 0) {
        ok = fail(err, CHAOSRT_PLUGIN_TYPES_ERROR_UNKNOWN_ACTIVITY, "%.*s", (int)activity->len,
                  (const char *)activity->ptr);
        goto done;
    }
    switch (json_string_member((const char *)arguments->ptr, arguments->len, "path", &path, &path_len)) {
    case JSON_FOUND: break;
    case JSON_ABSENT:
        ok = fail(err, CHAOSRT_PLUGIN_TYPES_ERROR_INVALID_ARGUMENTS, "argument `path` is required");
        goto done;
    case JSON_NOT_A_STRING:
        ok = fail(err, CHAOSRT_PLUGIN_TYPES_ERROR_INVALID_ARGUMENTS, "argument `path` must be a string");
        goto done;
    case JSON_MALFORMED:
        ok = fail(err, CHAOSRT_PLUGIN_TYPES_ERROR_INVALID_ARGUMENTS, "the arguments are not a JSON object");
        goto done;
    }
    if (strlen(path) != path_len) {
        ok = fail(err, CHAOSRT_PLUGIN_TYPES_ERROR_INVALID_ARGUMENTS, "argument `path` must not hold NUL");
        goto done;
    }

    /* The grant is the run's directory, which the sandbox shows as "."; an absolute path names
     * the host's file system, which the plugin never sees (wasi-libc answers ENOENT for it). */
    int fd = path[0] == '/' ? (errno = ENOTCAPABLE, -1) : open(path, O_RDONLY);
    if (fd < 0) {
        int e = errno;
        /* wasi-libc finds no preopen for a path outside every grant (ENOTCAPABLE); the host refuses
         * to follow a link out of one (EPERM). */
        if (e == ENOTCAPABLE || e == EPERM || e == EACCES) {
            ok = fail(err, CHAOSRT_PLUGIN_TYPES_ERROR_DENIED,
                      "cannot read '%s': it is outside the directory this plugin was granted (" GRANT ")", path);
        } else {
            ok = fail(err, CHAOSRT_PLUGIN_TYPES_ERROR_FAILED, "cannot read '%s': %s", path, strerror(e));
        }
        goto done;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        ok = fail(err, CHAOSRT_PLUGIN_TYPES_ERROR_FAILED, "cannot read '%s': not a regular file", path);
        goto done;
    }
    uint8_t digest[32];
    unsigned long long size;
    if (!hash(fd, digest, &size)) {
        int e = errno;
        close(fd);
        ok = fail(err, CHAOSRT_PLUGIN_TYPES_ERROR_FAILED, "cannot read '%s': %s", path, strerror(e));
        goto done;
    }
    close(fd);

    char hex[65];
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    char *escaped = malloc(6 * path_len + 3);
    json_escape(escaped, path, path_len);
    size_t room = strlen(escaped) + 128;
    char *out = malloc(room);
    snprintf(out, room, "{\"path\": %s, \"bytes\": %llu, \"sha256\": \"%s\"}", escaped, size, hex);
    free(escaped);
    ret->ptr = (uint8_t *)out;
    ret->len = strlen(out);
    ok = true;

done:
    free(path);
    chaosrt_plugin_string_free(activity);
    chaosrt_plugin_string_free(arguments);
    return ok;
}
