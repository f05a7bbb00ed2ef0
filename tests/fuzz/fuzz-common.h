/* fuzz-common.h: what the libFuzzer harnesses share (built with -Dfuzzing=true; docs/security.md).
 */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes data to NAME in a folder of this process's, for parsers that read
 * files; returns the path (owned by the harness, valid until the next call). */
const char *fuzz_write_file(const char *name, const uint8_t *data, size_t size);

/* The folder fuzz_write_file() writes in. */
const char *fuzz_dir(void);

/* The input as a NUL-terminated string (g_free). */
char *fuzz_string(const uint8_t *data, size_t size);
