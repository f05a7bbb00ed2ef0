/* test-common.h: what the GTest programs share: fixture paths, device choice. */
#pragma once

#include "gpu/gpu.h"

#include <glib.h>
#include <json-glib/json-glib.h>

/* ../shared/fixtures, or NULL when absent (the test then skips). */
const char *test_fixtures_dir(void);

/* Returns the path of a fixture file or skips the test (NULL) when the
 * fixtures are absent and SPYGLASS_REQUIRE_FIXTURES is not set. */
char *test_fixture_path(const char *relative);

/* Opens the lavapipe/GPU Vulkan device, or NULL: the caller skips. With
 * SPYGLASS_REQUIRE_VULKAN=1 (CI) a missing device fails the test instead. */
GpuDevice *test_open_vulkan(void);

/* Parses a JSON file or fails the test. */
JsonNode *test_load_json(const char *path);

/* ‖a − b‖ / ‖b‖ */
double test_relative_error(const float *a, const float *b, size_t n);

/* a·b / (‖a‖ ‖b‖), in double */
double test_cosine(const float *a, const float *b, size_t n);

/* Fails the test when the device saw validation-layer messages. */
void test_assert_no_validation_messages(GpuDevice *device);

/* A python3 that can import numpy (the one on PATH, else Debian's), or NULL. */
char *test_python_with_numpy(void);

/* Runs tools/SCRIPT (under SPYGLASS_SOURCE_DIR) with python3 + numpy and the
 * given arguments (NULL-terminated). Skips the test and returns FALSE when no
 * such python exists; fails the test when the script fails. */
gboolean test_run_python_tool(const char *script, const char *const *args);

/* Makes a temporary home (PREFIX-XXXXXX) and points HOME and the XDG data, cache and config
 * folders into it; call it before GLib caches them. Returns the folder. */
char *test_init_temp_home(const char *prefix);

/* Removes a file, or a folder and everything below it (links are removed, not followed). */
void test_remove_tree(const char *path);
