/* clip-safetensors.c: maps a .safetensors file and validates its header and data ranges. */
#include "clip-safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A safetensors header nests three deep (header, tensor entry, shape). The
 * cap keeps a hostile "[[[[..." away from json-glib's recursive parser. */
#define MAX_JSON_DEPTH 32

struct _ClipSafetensors {
    char *path;
    GMappedFile *mapping;
    const uint8_t *header;
    size_t header_length;
    const uint8_t *data; /* the data area, after the header */
    uint64_t data_size;
    GPtrArray *tensors;  /* of ClipSafetensorsTensor, owning them and their names */
    GHashTable *by_name; /* name → tensor, both borrowed from `tensors` */
};

typedef struct {
    const char *name;
    size_t size;
    gboolean is_float;
    ClipDtype clip_dtype;
} DtypeInfo;

/* Every byte-sized dtype of the format. The non-float ones are validated like
 * any other so that files with position_ids (I64) still load. */
static const DtypeInfo dtype_table[] = {
    {"F32", 4, TRUE, CLIP_DTYPE_F32},      {"F16", 2, TRUE, CLIP_DTYPE_F16},
    {"BF16", 2, TRUE, CLIP_DTYPE_BF16},    {"F64", 8, FALSE, CLIP_DTYPE_F32},
    {"I64", 8, FALSE, CLIP_DTYPE_F32},     {"U64", 8, FALSE, CLIP_DTYPE_F32},
    {"I32", 4, FALSE, CLIP_DTYPE_F32},     {"U32", 4, FALSE, CLIP_DTYPE_F32},
    {"I16", 2, FALSE, CLIP_DTYPE_F32},     {"U16", 2, FALSE, CLIP_DTYPE_F32},
    {"I8", 1, FALSE, CLIP_DTYPE_F32},      {"U8", 1, FALSE, CLIP_DTYPE_F32},
    {"BOOL", 1, FALSE, CLIP_DTYPE_F32},    {"F8_E4M3", 1, FALSE, CLIP_DTYPE_F32},
    {"F8_E5M2", 1, FALSE, CLIP_DTYPE_F32},
};

static void tensor_free(gpointer data)
{
    ClipSafetensorsTensor *tensor = data;
    g_free((char *)tensor->name);
    g_free(tensor);
}

char *clip_safetensors_printable_name(const char *name)
{
    /* g_strescape would octal-escape UTF-8 bytes too; keep those readable. */
    char high[129];
    for (int i = 0; i < 128; i++)
        high[i] = (char)(0x80 + i);
    high[128] = '\0';
    return g_strescape(name, high);
}

/* Sets "PATH: reason" or "PATH: tensor NAME: reason". */
static void set_error(GError **error, ClipError code, const char *path, const char *tensor,
                      const char *format, ...) G_GNUC_PRINTF(5, 6);

static void set_error(GError **error, ClipError code, const char *path, const char *tensor,
                      const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree char *reason = g_strdup_vprintf(format, args);
    va_end(args);
    if (tensor != NULL) {
        g_autofree char *printable = clip_safetensors_printable_name(tensor);
        g_set_error(error, CLIP_ERROR, code, "%s: tensor %s: %s", path, printable, reason);
    } else {
        g_set_error(error, CLIP_ERROR, code, "%s: %s", path, reason);
    }
}

typedef enum {
    JSON_TEXT_OK,
    JSON_TEXT_TOO_DEEP,
    JSON_TEXT_NOT_STRICT,
} JsonTextCheck;

/* json-glib's parser recurses once per array or object, so deep nesting
 * overflows the stack: this scan counts it first. json-glib 1.6's scanner
 * also takes comments and single-quoted strings, in which brackets do not
 * count, so a scan that knew only double-quoted strings could be shown a
 * shallow text that json-glib parses as deep ("/ *"* /[[[…"). Strict JSON
 * has neither: outside double-quoted strings a '/' or a '\'' is refused,
 * so what this scan counts is what json-glib parses. */
static JsonTextCheck json_text_check(const uint8_t *text, size_t length)
{
    guint depth = 0;
    gboolean in_string = FALSE;
    for (size_t i = 0; i < length; i++) {
        uint8_t c = text[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = FALSE;
        } else if (c == '"') {
            in_string = TRUE;
        } else if (c == '[' || c == '{') {
            if (++depth > MAX_JSON_DEPTH)
                return JSON_TEXT_TOO_DEEP;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        } else if (c == '/' || c == '\'') {
            return JSON_TEXT_NOT_STRICT;
        }
    }
    return JSON_TEXT_OK;
}

/* The guards every JSON text we parse goes through before json-glib sees it. */
static gboolean check_json_text(const char *path, const char *what, const char *text, size_t length,
                                GError **error)
{
    if (!g_utf8_validate_len(text, length, NULL)) {
        set_error(error, CLIP_ERROR_MALFORMED, path, NULL, "%snot UTF-8 text (or holds a NUL byte)",
                  what);
        return FALSE;
    }
    switch (json_text_check((const uint8_t *)text, length)) {
    case JSON_TEXT_TOO_DEEP:
        set_error(error, CLIP_ERROR_MALFORMED, path, NULL, "%sJSON nests deeper than %d levels",
                  what, MAX_JSON_DEPTH);
        return FALSE;
    case JSON_TEXT_NOT_STRICT:
        set_error(error, CLIP_ERROR_MALFORMED, path, NULL,
                  "%snot valid JSON: a comment or a single-quoted string", what);
        return FALSE;
    case JSON_TEXT_OK:
    default:
        return TRUE;
    }
}

gboolean clip_json_check_text(const char *path, const char *text, size_t length, GError **error)
{
    return check_json_text(path, "", text, length, error);
}

typedef struct {
    GHashTable *member_counts; /* JsonObject* → members seen so far */
    char *duplicate;           /* the first name seen twice in one object */
} DuplicateScan;

/* json-glib keeps only the last of two members with the same name, so a file
 * can say different things to different readers; we refuse such files. The
 * signal comes after the member is stored: a duplicate leaves the object's
 * size behind the count. No object is freed before the first duplicate
 * replaces one, so the pointer keys are unambiguous up to that point. */
static void on_object_member(JsonParser *parser, JsonObject *object, const char *name,
                             gpointer user_data)
{
    DuplicateScan *scan = user_data;
    guint count = GPOINTER_TO_UINT(g_hash_table_lookup(scan->member_counts, object)) + 1;
    g_hash_table_insert(scan->member_counts, object, GUINT_TO_POINTER(count));
    if (scan->duplicate == NULL && json_object_get_size(object) < count)
        scan->duplicate = g_strdup(name);
}

static const DtypeInfo *dtype_lookup(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(dtype_table); i++)
        if (strcmp(dtype_table[i].name, name) == 0)
            return &dtype_table[i];
    return NULL;
}

static gboolean node_get_uint64(JsonNode *node, uint64_t *out)
{
    if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64)
        return FALSE;
    gint64 value = json_node_get_int(node);
    if (value < 0)
        return FALSE;
    *out = (uint64_t)value;
    return TRUE;
}

static char *format_shape(const ClipSafetensorsTensor *tensor)
{
    GString *text = g_string_new("[");
    for (uint32_t i = 0; i < tensor->n_dims; i++)
        g_string_append_printf(text, "%s%" G_GUINT64_FORMAT, i > 0 ? ", " : "", tensor->shape[i]);
    g_string_append_c(text, ']');
    return g_string_free(text, FALSE);
}

/* Fills one tensor from its header entry, checking dtype, shape and range. */
static gboolean parse_tensor(ClipSafetensors *st, const char *name, JsonNode *entry_node,
                             ClipSafetensorsTensor *tensor, GError **error)
{
    const char *path = st->path;
    if (!JSON_NODE_HOLDS_OBJECT(entry_node)) {
        set_error(error, CLIP_ERROR_MALFORMED, path, name, "entry is not a JSON object");
        return FALSE;
    }
    JsonObject *entry = json_node_get_object(entry_node);

    JsonNode *dtype_node = json_object_get_member(entry, "dtype");
    if (dtype_node == NULL || !JSON_NODE_HOLDS_VALUE(dtype_node) ||
        json_node_get_value_type(dtype_node) != G_TYPE_STRING) {
        set_error(error, CLIP_ERROR_MALFORMED, path, name, "no \"dtype\" string");
        return FALSE;
    }
    const char *dtype_name = json_node_get_string(dtype_node);
    const DtypeInfo *dtype = dtype_lookup(dtype_name);
    if (dtype == NULL) {
        g_autofree char *printable = clip_safetensors_printable_name(dtype_name);
        set_error(error, CLIP_ERROR_UNSUPPORTED, path, name, "unsupported dtype \"%s\"", printable);
        return FALSE;
    }
    tensor->dtype_name = dtype->name;
    tensor->is_float = dtype->is_float;
    tensor->clip_dtype = dtype->clip_dtype;
    tensor->dtype_size = dtype->size;

    JsonNode *shape_node = json_object_get_member(entry, "shape");
    if (shape_node == NULL || !JSON_NODE_HOLDS_ARRAY(shape_node)) {
        set_error(error, CLIP_ERROR_MALFORMED, path, name, "no \"shape\" array");
        return FALSE;
    }
    JsonArray *shape = json_node_get_array(shape_node);
    guint n_dims = json_array_get_length(shape);
    if (n_dims > CLIP_SAFETENSORS_MAX_DIMS) {
        set_error(error, CLIP_ERROR_MALFORMED, path, name,
                  "shape has %u dimensions, more than the %d supported", n_dims,
                  CLIP_SAFETENSORS_MAX_DIMS);
        return FALSE;
    }
    tensor->n_dims = n_dims;
    uint64_t n_elements = 1;
    for (guint i = 0; i < n_dims; i++) {
        if (!node_get_uint64(json_array_get_element(shape, i), &tensor->shape[i])) {
            set_error(error, CLIP_ERROR_MALFORMED, path, name,
                      "shape dimension %u is not a non-negative integer", i);
            return FALSE;
        }
        if (!g_uint64_checked_mul(&n_elements, n_elements, tensor->shape[i])) {
            set_error(error, CLIP_ERROR_MALFORMED, path, name, "shape's element count overflows");
            return FALSE;
        }
    }
    tensor->n_elements = n_elements;
    uint64_t n_bytes;
    if (!g_uint64_checked_mul(&n_bytes, n_elements, dtype->size)) {
        set_error(error, CLIP_ERROR_MALFORMED, path, name, "shape's byte count overflows");
        return FALSE;
    }

    JsonNode *offsets_node = json_object_get_member(entry, "data_offsets");
    JsonArray *offsets = offsets_node != NULL && JSON_NODE_HOLDS_ARRAY(offsets_node)
                             ? json_node_get_array(offsets_node)
                             : NULL;
    if (offsets == NULL || json_array_get_length(offsets) != 2 ||
        !node_get_uint64(json_array_get_element(offsets, 0), &tensor->begin) ||
        !node_get_uint64(json_array_get_element(offsets, 1), &tensor->end)) {
        set_error(error, CLIP_ERROR_MALFORMED, path, name,
                  "\"data_offsets\" is not an array of two non-negative integers");
        return FALSE;
    }
    if (tensor->begin > tensor->end) {
        set_error(error, CLIP_ERROR_MALFORMED, path, name,
                  "data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                  "] end before they begin",
                  tensor->begin, tensor->end);
        return FALSE;
    }
    if (tensor->end > st->data_size) {
        set_error(error, CLIP_ERROR_MALFORMED, path, name,
                  "data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                  "] lie outside the data area of %" G_GUINT64_FORMAT
                  " bytes (is the file truncated?)",
                  tensor->begin, tensor->end, st->data_size);
        return FALSE;
    }
    if (tensor->end - tensor->begin != n_bytes) {
        g_autofree char *shape_text = format_shape(tensor);
        set_error(error, CLIP_ERROR_MALFORMED, path, name,
                  "data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                  "] hold %" G_GUINT64_FORMAT " bytes, but %s shape %s needs %" G_GUINT64_FORMAT,
                  tensor->begin, tensor->end, tensor->end - tensor->begin, dtype->name, shape_text,
                  n_bytes);
        return FALSE;
    }
    tensor->data = st->data + tensor->begin;
    return TRUE;
}

static gint compare_by_begin(gconstpointer a, gconstpointer b)
{
    const ClipSafetensorsTensor *x = *(ClipSafetensorsTensor *const *)a;
    const ClipSafetensorsTensor *y = *(ClipSafetensorsTensor *const *)b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* Two tensors sharing bytes would alias each other's weights: refuse. */
static gboolean check_no_overlap(ClipSafetensors *st, GError **error)
{
    g_autoptr(GPtrArray) sorted = g_ptr_array_new();
    for (guint i = 0; i < st->tensors->len; i++)
        g_ptr_array_add(sorted, g_ptr_array_index(st->tensors, i));
    g_ptr_array_sort(sorted, compare_by_begin);

    const ClipSafetensorsTensor *furthest = NULL; /* the non-empty tensor ending last so far */
    for (guint i = 0; i < sorted->len; i++) {
        const ClipSafetensorsTensor *tensor = g_ptr_array_index(sorted, i);
        if (tensor->begin == tensor->end)
            continue;
        if (furthest != NULL && tensor->begin < furthest->end) {
            g_autofree char *other = clip_safetensors_printable_name(furthest->name);
            set_error(error, CLIP_ERROR_MALFORMED, st->path, tensor->name,
                      "data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                      "] overlap those of tensor %s [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "]",
                      tensor->begin, tensor->end, other, furthest->begin, furthest->end);
            return FALSE;
        }
        if (furthest == NULL || tensor->end > furthest->end)
            furthest = tensor;
    }
    return TRUE;
}

/* `what` prefixes each reason: the header is only part of its file. */
static JsonNode *parse_json(const char *path, const char *what, const char *text, size_t length,
                            gboolean reject_duplicates, GError **error)
{
    if (!check_json_text(path, what, text, length, error))
        return NULL;

    g_autoptr(JsonParser) parser = json_parser_new();
    DuplicateScan scan = {g_hash_table_new(NULL, NULL), NULL};
    if (reject_duplicates)
        g_signal_connect(parser, "object-member", G_CALLBACK(on_object_member), &scan);
    g_autoptr(GError) json_error = NULL;
    gboolean parsed = json_parser_load_from_data(parser, text, (gssize)length, &json_error);
    g_hash_table_unref(scan.member_counts);
    g_autofree char *duplicate = scan.duplicate;
    if (!parsed) {
        set_error(error, CLIP_ERROR_MALFORMED, path, NULL, "%snot valid JSON: %s", what,
                  json_error->message);
        return NULL;
    }
    JsonNode *root = json_parser_get_root(parser);
    if (root == NULL) {
        set_error(error, CLIP_ERROR_MALFORMED, path, NULL, "%sno JSON value", what);
        return NULL;
    }
    if (duplicate != NULL) {
        g_autofree char *printable = clip_safetensors_printable_name(duplicate);
        set_error(error, CLIP_ERROR_MALFORMED, path, NULL, "%sJSON has the key \"%s\" twice", what,
                  printable);
        return NULL;
    }
    return json_node_ref(root);
}

JsonNode *clip_json_parse(const char *path, const char *text, size_t length,
                          gboolean reject_duplicates, GError **error)
{
    return parse_json(path, "", text, length, reject_duplicates, error);
}

static gboolean parse_header(ClipSafetensors *st, GError **error)
{
    g_autoptr(JsonNode) root =
        parse_json(st->path, "header: ", (const char *)st->header, st->header_length, TRUE, error);
    if (root == NULL)
        return FALSE;
    if (!JSON_NODE_HOLDS_OBJECT(root)) {
        set_error(error, CLIP_ERROR_MALFORMED, st->path, NULL, "header is not a JSON object");
        return FALSE;
    }

    JsonObjectIter iter;
    const char *name;
    JsonNode *entry;
    json_object_iter_init(&iter, json_node_get_object(root));
    while (json_object_iter_next(&iter, &name, &entry)) {
        if (strcmp(name, "__metadata__") == 0)
            continue;
        ClipSafetensorsTensor *tensor = g_new0(ClipSafetensorsTensor, 1);
        tensor->name = g_strdup(name);
        g_ptr_array_add(st->tensors, tensor);
        if (!parse_tensor(st, name, entry, tensor, error))
            return FALSE;
        g_hash_table_insert(st->by_name, (gpointer)tensor->name, tensor);
    }
    return check_no_overlap(st, error);
}

/* Splits the mapping into header and data area after checking the length. */
static gboolean check_layout(ClipSafetensors *st, GError **error)
{
    const uint8_t *bytes = (const uint8_t *)g_mapped_file_get_contents(st->mapping);
    uint64_t file_size = g_mapped_file_get_length(st->mapping);
    if (file_size < 8) {
        set_error(error, CLIP_ERROR_MALFORMED, st->path, NULL,
                  "file is %" G_GUINT64_FORMAT " bytes, too short for a safetensors header",
                  file_size);
        return FALSE;
    }
    uint64_t header_length;
    memcpy(&header_length, bytes, sizeof header_length);
    header_length = GUINT64_FROM_LE(header_length);
    if (header_length > CLIP_SAFETENSORS_MAX_HEADER) {
        set_error(error, CLIP_ERROR_MALFORMED, st->path, NULL,
                  "header length %" G_GUINT64_FORMAT " exceeds the limit of %u bytes",
                  header_length, CLIP_SAFETENSORS_MAX_HEADER);
        return FALSE;
    }
    if (header_length > file_size - 8) {
        set_error(error, CLIP_ERROR_MALFORMED, st->path, NULL,
                  "header length %" G_GUINT64_FORMAT " runs past the end of the %" G_GUINT64_FORMAT
                  "-byte file (is it truncated?)",
                  header_length, file_size);
        return FALSE;
    }
    st->header = bytes + 8;
    st->header_length = (size_t)header_length;
    st->data = st->header + header_length;
    st->data_size = file_size - 8 - header_length;
    return TRUE;
}

ClipSafetensors *clip_safetensors_open(const char *path, GError **error)
{
    g_autoptr(ClipSafetensors) st = g_new0(ClipSafetensors, 1);
    st->path = g_strdup(path);
    st->tensors = g_ptr_array_new_with_free_func(tensor_free);
    st->by_name = g_hash_table_new(g_str_hash, g_str_equal);

    int fd = g_open(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) {
        int saved = errno;
        set_error(error, CLIP_ERROR_IO, path, NULL, "%s", g_strerror(saved));
        return NULL;
    }
    struct stat info;
    if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        close(fd);
        set_error(error, CLIP_ERROR_IO, path, NULL, "not a regular file");
        return NULL;
    }
    g_autoptr(GError) map_error = NULL;
    st->mapping = g_mapped_file_new_from_fd(fd, FALSE, &map_error);
    close(fd); /* the mapping outlives the descriptor */
    if (st->mapping == NULL) {
        set_error(error, CLIP_ERROR_IO, path, NULL, "cannot map the file: %s", map_error->message);
        return NULL;
    }
    if (!check_layout(st, error) || !parse_header(st, error))
        return NULL;
    return g_steal_pointer(&st);
}

void clip_safetensors_free(ClipSafetensors *st)
{
    if (st == NULL)
        return;
    g_clear_pointer(&st->by_name, g_hash_table_unref);
    g_clear_pointer(&st->tensors, g_ptr_array_unref);
    g_clear_pointer(&st->mapping, g_mapped_file_unref);
    g_free(st->path);
    g_free(st);
}

const uint8_t *clip_safetensors_get_header(ClipSafetensors *st, size_t *length)
{
    *length = st->header_length;
    return st->header;
}

const uint8_t *clip_safetensors_get_data(ClipSafetensors *st, uint64_t *length)
{
    *length = st->data_size;
    return st->data;
}

const ClipSafetensorsTensor *clip_safetensors_lookup(ClipSafetensors *st, const char *name)
{
    return g_hash_table_lookup(st->by_name, name);
}
