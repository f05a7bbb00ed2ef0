/* test-model-files-common.c: scratch model folders and safetensors files taken apart and
 * put back, for the model loader's tests. */
#include "test-model-files-common.h"
#include "test-common.h"
#include <string.h>

/* ---- scratch model folders ---- */

/* A writable copy of a fixture model folder, or NULL when the test skips. */
char *copy_fixture(const char *relative)
{
    g_autofree char *source = test_fixture_path(relative);
    if (source == NULL)
        return NULL;
    g_autoptr(GError) error = NULL;
    char *copy = g_dir_make_tmp("spyglass-model-XXXXXX", &error);
    g_assert_no_error(error);
    g_autoptr(GDir) dir = g_dir_open(source, 0, &error);
    g_assert_no_error(error);
    const char *name;
    while ((name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *from = g_build_filename(source, name, NULL);
        g_autofree char *to = g_build_filename(copy, name, NULL);
        g_autofree char *contents = NULL;
        gsize length;
        g_assert_true(g_file_get_contents(from, &contents, &length, &error));
        g_assert_true(g_file_set_contents(to, contents, (gssize)length, &error));
    }
    return copy;
}

char *model_file(const char *dir, const char *name)
{
    return g_build_filename(dir, name, NULL);
}

GBytes *read_bytes(const char *path)
{
    g_autoptr(GError) error = NULL;
    char *contents = NULL;
    gsize length;
    g_assert_true(g_file_get_contents(path, &contents, &length, &error));
    return g_bytes_new_take(contents, length);
}

void write_bytes(const char *path, const void *data, size_t length)
{
    g_autoptr(GError) error = NULL;
    g_assert_true(g_file_set_contents(path, data, (gssize)length, &error));
}

/* Writes a safetensors file from its parts; header_length is what the first
 * 8 bytes claim, whatever the header's real size. */
void write_safetensors_raw(const char *path, uint64_t header_length, const void *header,
                           size_t header_size, const void *data, size_t data_size)
{
    g_autoptr(GByteArray) file = g_byte_array_new();
    uint64_t length_le = GUINT64_TO_LE(header_length);
    g_byte_array_append(file, (const guint8 *)&length_le, sizeof length_le);
    g_byte_array_append(file, header, (guint)header_size);
    g_byte_array_append(file, data, (guint)data_size);
    write_bytes(path, file->data, file->len);
}

void safetensors_clear(Safetensors *st)
{
    g_clear_pointer(&st->root, json_node_unref);
    g_clear_pointer(&st->data, g_byte_array_unref);
}

void safetensors_read(const char *path, Safetensors *st)
{
    g_autoptr(GBytes) bytes = read_bytes(path);
    gsize size;
    const uint8_t *file = g_bytes_get_data(bytes, &size);
    uint64_t header_length;
    memcpy(&header_length, file, 8);
    header_length = GUINT64_FROM_LE(header_length);
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;
    g_assert_true(
        json_parser_load_from_data(parser, (const char *)file + 8, (gssize)header_length, &error));
    st->root = json_node_copy(json_parser_get_root(parser));
    st->data = g_byte_array_new();
    g_byte_array_append(st->data, file + 8 + header_length, (guint)(size - 8 - header_length));
}

char *safetensors_header_text(Safetensors *st)
{
    g_autoptr(JsonGenerator) generator = json_generator_new();
    json_generator_set_root(generator, st->root);
    return json_generator_to_data(generator, NULL);
}

/* misalign: pad the header so that the data area starts at an odd address,
 * as a careless writer could; otherwise pad to 8 bytes as safetensors does. */
void safetensors_write(const char *path, Safetensors *st, gboolean misalign)
{
    g_autofree char *text = safetensors_header_text(st);
    g_autoptr(GString) header = g_string_new(text);
    while ((8 + header->len) % 8 != (misalign ? 1u : 0u))
        g_string_append_c(header, ' ');
    write_safetensors_raw(path, header->len, header->str, header->len, st->data->data,
                          st->data->len);
}

JsonObject *safetensors_entry(Safetensors *st, const char *name)
{
    JsonObject *entry = json_object_get_object_member(json_node_get_object(st->root), name);
    g_assert_nonnull(entry);
    return entry;
}

void set_int_array(JsonObject *entry, const char *member, guint n, const gint64 *values)
{
    JsonArray *array = json_array_new();
    for (guint i = 0; i < n; i++)
        json_array_add_int_element(array, values[i]);
    json_object_set_array_member(entry, member, array);
}

gint64 entry_offset(JsonObject *entry, guint i)
{
    return json_array_get_int_element(json_object_get_array_member(entry, "data_offsets"), i);
}

/* Adds a tensor with the given bytes at the end of the data area. */
void safetensors_append(Safetensors *st, const char *name, const char *dtype, guint n_dims,
                        const gint64 *shape, const void *data, size_t size)
{
    JsonObject *entry = json_object_new();
    json_object_set_string_member(entry, "dtype", dtype);
    set_int_array(entry, "shape", n_dims, shape);
    gint64 offsets[2] = {st->data->len, (gint64)(st->data->len + size)};
    set_int_array(entry, "data_offsets", 2, offsets);
    json_object_set_object_member(json_node_get_object(st->root), name, entry);
    if (size > 0)
        g_byte_array_append(st->data, data, (guint)size);
}

/* Loads dir/model.safetensors, lets `edit` change it, writes it back. */
void edit_safetensors(const char *dir, const char *file, SafetensorsEdit edit)
{
    g_autofree char *path = model_file(dir, file);
    g_auto(Safetensors) st = {0};
    safetensors_read(path, &st);
    edit(&st);
    safetensors_write(path, &st, FALSE);
}

void edit_json_file(const char *dir, const char *file, ConfigEdit edit)
{
    g_autofree char *path = model_file(dir, file);
    g_autoptr(JsonNode) root = test_load_json(path);
    edit(json_node_get_object(root));
    g_autoptr(JsonGenerator) generator = json_generator_new();
    json_generator_set_root(generator, root);
    json_generator_set_pretty(generator, TRUE);
    g_autoptr(GError) error = NULL;
    g_assert_true(json_generator_to_file(generator, path, &error));
}

/* ---- comparing models ---- */

ClipModel *load_ok(const char *dir)
{
    g_autoptr(GError) error = NULL;
    ClipModel *model = clip_model_load(dir, &error);
    g_assert_no_error(error);
    g_assert_nonnull(model);
    return model;
}

ClipModel *load_fixture(const char *relative)
{
    g_autofree char *dir = test_fixture_path(relative);
    return dir != NULL ? load_ok(dir) : NULL;
}

void assert_load_fails(const char *dir, ClipError code, const char *file, const char *detail)
{
    g_autoptr(GError) error = NULL;
    ClipModel *model = clip_model_load(dir, &error);
    g_assert_null(model);
    g_assert_nonnull(error);
    g_test_message("error: %s", error->message);
    g_assert_error(error, CLIP_ERROR, (gint)code);
    g_autofree char *path = model_file(dir, file);
    g_assert_true(g_str_has_prefix(error->message, path));
    if (detail != NULL && strstr(error->message, detail) == NULL)
        g_error("\"%s\" does not say \"%s\"", error->message, detail);
    g_assert_null(strchr(error->message, '\n'));
}
