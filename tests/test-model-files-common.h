/* test-model-files-common.h: scratch model folders and safetensors files taken apart and
 * put back, for the model loader's tests (test-model-files.c, test-model-broken.c). */
#pragma once

#include "clip/clip-model.h"

#include <json-glib/json-glib.h>

/* A safetensors file taken apart: the header as JSON, the data area. */
typedef struct {
    JsonNode *root;
    GByteArray *data;
} Safetensors;

void safetensors_clear(Safetensors *st);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Safetensors, safetensors_clear)

typedef void (*SafetensorsEdit)(Safetensors *st);
typedef void (*ConfigEdit)(JsonObject *config);

/* A writable copy of a fixture model folder, or NULL when the test skips. */
char *copy_fixture(const char *relative);
char *model_file(const char *dir, const char *name);
GBytes *read_bytes(const char *path);
void write_bytes(const char *path, const void *data, size_t length);
/* header_length is what the first 8 bytes claim, whatever the header's real size. */
void write_safetensors_raw(const char *path, uint64_t header_length, const void *header,
                           size_t header_size, const void *data, size_t data_size);
void safetensors_read(const char *path, Safetensors *st);
char *safetensors_header_text(Safetensors *st);
void safetensors_write(const char *path, Safetensors *st, gboolean misalign);
JsonObject *safetensors_entry(Safetensors *st, const char *name);
void set_int_array(JsonObject *entry, const char *member, guint n, const gint64 *values);
gint64 entry_offset(JsonObject *entry, guint i);
void safetensors_append(Safetensors *st, const char *name, const char *dtype, guint n_dims,
                        const gint64 *shape, const void *data, size_t size);
/* Loads dir/file, lets `edit` change it, writes it back. */
void edit_safetensors(const char *dir, const char *file, SafetensorsEdit edit);
void edit_json_file(const char *dir, const char *file, ConfigEdit edit);
ClipModel *load_ok(const char *dir);
ClipModel *load_fixture(const char *relative);
/* Loading dir fails with `code` and one line naming dir/file and saying `detail`. */
void assert_load_fails(const char *dir, ClipError code, const char *file, const char *detail);

/* The broken-file tests (test-model-broken.c). */
void test_model_broken_add(void);
