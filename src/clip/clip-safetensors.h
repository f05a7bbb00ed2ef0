/* clip-safetensors.h: a memory-mapped .safetensors reader that trusts nothing in the file.
 *
 * The format: 8 bytes of little-endian header length N, N bytes of a JSON
 * object mapping each tensor name to {"dtype", "shape", "data_offsets"}
 * (offsets relative to the byte after the header), then the data. An optional
 * "__metadata__" member holds free-form strings and is ignored.
 *
 * clip_safetensors_open() checks everything a caller would otherwise trust:
 * the header length against the file size and a cap, the header as one JSON
 * object without duplicate names, every dtype, every shape (with overflow-
 * checked products) and every data range (inside the data area, the size its
 * dtype and shape call for, not overlapping another tensor). Non-float dtypes
 * (I64 position_ids, say) are accepted so that files carrying them load; the
 * caller decides which dtypes it can use.
 */
#pragma once

#include "clip-model.h"

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdint.h>

G_BEGIN_DECLS

#define CLIP_SAFETENSORS_MAX_DIMS   8
#define CLIP_SAFETENSORS_MAX_HEADER (100u * 1024u * 1024u)

typedef struct {
    const char *name;
    const char *dtype_name; /* as the file spells it: "F32", "I64", ... */
    gboolean is_float;      /* F32, F16 or BF16: then clip_dtype is valid */
    ClipDtype clip_dtype;
    size_t dtype_size; /* bytes per element */
    uint32_t n_dims;
    uint64_t shape[CLIP_SAFETENSORS_MAX_DIMS];
    uint64_t n_elements;
    uint64_t begin, end; /* byte range within the data area */
    const void *data;    /* into the mapping; may be unaligned */
} ClipSafetensorsTensor;

typedef struct _ClipSafetensors ClipSafetensors;

/* Maps and validates a file. Errors are CLIP_ERROR_IO (cannot open or map),
 * CLIP_ERROR_MALFORMED (anything wrong in the header or the ranges) or
 * CLIP_ERROR_UNSUPPORTED (a dtype this reader does not know), each one line
 * "PATH: reason", naming the tensor where there is one. */
ClipSafetensors *clip_safetensors_open(const char *path, GError **error);
void clip_safetensors_free(ClipSafetensors *st);

/* The header's JSON bytes, exactly as in the file (not NUL-terminated). */
const uint8_t *clip_safetensors_get_header(ClipSafetensors *st, size_t *length);
/* The data area after the header (all tensors' bytes). */
const uint8_t *clip_safetensors_get_data(ClipSafetensors *st, uint64_t *length);
/* NULL when the file has no tensor of that name. */
const ClipSafetensorsTensor *clip_safetensors_lookup(ClipSafetensors *st, const char *name);

/* A tensor name made safe for a one-line message: control characters,
 * quotes and backslashes escaped. Free with g_free(). */
char *clip_safetensors_printable_name(const char *name);

/* The guards every JSON text we parse passes before json-glib sees it:
 * UTF-8 without NUL, strict JSON's lexing (no comments, no single-quoted
 * strings, which json-glib 1.6 accepts and a nesting count could not see
 * into) and nesting capped, as json-glib's parser recurses. FALSE with a
 * CLIP_ERROR_MALFORMED "PATH: reason" otherwise. */
gboolean clip_json_check_text(const char *path, const char *text, size_t length, GError **error);

/* Parses JSON text read from PATH with clip_json_check_text()'s guards and,
 * with
 * reject_duplicates, no object naming a member twice. Returns the root, or
 * NULL and a CLIP_ERROR_MALFORMED "PATH: reason". Free with json_node_unref(). */
JsonNode *clip_json_parse(const char *path, const char *text, size_t length,
                          gboolean reject_duplicates, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ClipSafetensors, clip_safetensors_free)

G_END_DECLS
