/* clip-model.c: loads a CLIP model folder, Hugging Face or OpenCLIP, into clip-model.h's layout.
 *
 * Dimension letters: C width of a tower (Cv vision, Ct text), F mlp width,
 * S image size, p patch size, P = (S/p)² patches, E embedding size.
 */
#include "clip-model.h"

#include "clip-safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* clang-format would space out the quark name, which is stringified. */
// clang-format off
G_DEFINE_QUARK(clip-error-quark, clip_error)
// clang-format on

/* Weights are used in place from the little-endian file. */
G_STATIC_ASSERT(G_BYTE_ORDER == G_LITTLE_ENDIAN);

/* Far beyond any released CLIP; past them a config is corrupt, and the
 * products of these numbers below stay far from overflowing. */
#define MAX_WIDTH        16384u
#define MAX_MLP_WIDTH    (4u * MAX_WIDTH)
#define MAX_LAYERS       256u
#define MAX_IMAGE_SIZE   4096u
#define MAX_CONTEXT      16384u
#define MAX_VOCAB        (1u << 22)
#define MAX_CONFIG_BYTES (16u << 20)

static const float clip_default_mean[3] = {0.48145466f, 0.4578275f, 0.40821073f};
static const float clip_default_std[3] = {0.26862954f, 0.26130258f, 0.27577711f};

typedef struct {
    ClipSafetensors *weights;
    GPtrArray *owned; /* buffers of fused, transposed or realigned tensors */
} ModelPrivate;

/* ---- checked file reading ---- */

static void set_error(GError **error, ClipError code, const char *path, const char *format, ...)
    G_GNUC_PRINTF(4, 5);

static void set_error(GError **error, ClipError code, const char *path, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree char *reason = g_strdup_vprintf(format, args);
    va_end(args);
    g_set_error(error, CLIP_ERROR, code, "%s: %s", path, reason);
}

/* Reads a whole config file; the cap keeps a mistaken path (a weights file
 * named config.json, say) from being slurped. */
static GBytes *read_config_file(const char *path, GError **error)
{
    int fd = g_open(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) {
        int saved = errno;
        set_error(error, CLIP_ERROR_IO, path, "%s", g_strerror(saved));
        return NULL;
    }
    struct stat info;
    if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        close(fd);
        set_error(error, CLIP_ERROR_IO, path, "not a regular file");
        return NULL;
    }
    if (info.st_size > (off_t)MAX_CONFIG_BYTES) {
        close(fd);
        set_error(error, CLIP_ERROR_MALFORMED, path, "%jd bytes is too big for a config file",
                  (intmax_t)info.st_size);
        return NULL;
    }
    size_t size = (size_t)info.st_size, done = 0;
    char *data = g_malloc(size + 1);
    while (done < size) {
        ssize_t got = read(fd, data + done, size - done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            int saved = errno;
            close(fd);
            g_free(data);
            set_error(error, CLIP_ERROR_IO, path, "%s",
                      got < 0 ? g_strerror(saved) : "the file shrank while being read");
            return NULL;
        }
        done += (size_t)got;
    }
    close(fd);
    data[size] = '\0';
    return g_bytes_new_take(data, size);
}

static JsonObject *parse_config_object(const char *path, GBytes *bytes, JsonNode **root,
                                       GError **error)
{
    size_t size;
    const char *text = g_bytes_get_data(bytes, &size);
    /* Duplicate keys are tolerated here: Python's json, which wrote and
     * reads these files, keeps the last one, and so does json-glib. */
    *root = clip_json_parse(path, text, size, FALSE, error);
    if (*root == NULL)
        return NULL;
    if (!JSON_NODE_HOLDS_OBJECT(*root)) {
        set_error(error, CLIP_ERROR_MALFORMED, path, "not a JSON object");
        return NULL;
    }
    return json_node_get_object(*root);
}

/* ---- config fields ----
 * A ConfigReader remembers the first error, so that a run of field reads can
 * be checked once at the end. Absent and null fields take the default. */

typedef struct {
    const char *path;
    GError *error;
} ConfigReader;

static void config_fail(ConfigReader *r, ClipError code, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

static void config_fail(ConfigReader *r, ClipError code, const char *format, ...)
{
    if (r->error != NULL)
        return;
    va_list args;
    va_start(args, format);
    g_autofree char *reason = g_strdup_vprintf(format, args);
    va_end(args);
    r->error = g_error_new(CLIP_ERROR, code, "%s: %s", r->path, reason);
}

/* "vision_config.hidden_size", or just "projection_dim" at the top level. */
static char *field_name(const char *section, const char *member)
{
    return section[0] != '\0' ? g_strconcat(section, ".", member, NULL) : g_strdup(member);
}

static JsonNode *config_member(JsonObject *object, const char *member)
{
    if (object == NULL)
        return NULL;
    JsonNode *node = json_object_get_member(object, member);
    return node != NULL && JSON_NODE_HOLDS_NULL(node) ? NULL : node;
}

static gboolean node_is_integer(JsonNode *node)
{
    return JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_INT64;
}

static gboolean node_is_number(JsonNode *node)
{
    return JSON_NODE_HOLDS_VALUE(node) && (json_node_get_value_type(node) == G_TYPE_INT64 ||
                                           json_node_get_value_type(node) == G_TYPE_DOUBLE);
}

static uint32_t config_uint(ConfigReader *r, JsonObject *object, const char *section,
                            const char *member, uint32_t fallback)
{
    JsonNode *node = config_member(object, member);
    if (node == NULL)
        return fallback;
    if (!node_is_integer(node) || json_node_get_int(node) < 0 ||
        json_node_get_int(node) > (gint64)UINT32_MAX) {
        g_autofree char *field = field_name(section, member);
        config_fail(r, CLIP_ERROR_MALFORMED, "%s is not a non-negative integer", field);
        return fallback;
    }
    return (uint32_t)json_node_get_int(node);
}

static double config_double(ConfigReader *r, JsonObject *object, const char *section,
                            const char *member, double fallback)
{
    JsonNode *node = config_member(object, member);
    if (node == NULL)
        return fallback;
    if (!node_is_number(node) || !isfinite(json_node_get_double(node))) {
        g_autofree char *field = field_name(section, member);
        config_fail(r, CLIP_ERROR_MALFORMED, "%s is not a number", field);
        return fallback;
    }
    return json_node_get_double(node);
}

static const char *config_string(ConfigReader *r, JsonObject *object, const char *section,
                                 const char *member, const char *fallback)
{
    JsonNode *node = config_member(object, member);
    if (node == NULL)
        return fallback;
    if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING) {
        g_autofree char *field = field_name(section, member);
        config_fail(r, CLIP_ERROR_MALFORMED, "%s is not a string", field);
        return fallback;
    }
    return json_node_get_string(node);
}

static gboolean config_bool(ConfigReader *r, JsonObject *object, const char *section,
                            const char *member, gboolean fallback)
{
    JsonNode *node = config_member(object, member);
    if (node == NULL)
        return fallback;
    if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_BOOLEAN) {
        g_autofree char *field = field_name(section, member);
        config_fail(r, CLIP_ERROR_MALFORMED, "%s is not true or false", field);
        return fallback;
    }
    return json_node_get_boolean(node);
}

/* NULL when absent or null; an error when present but not an object. */
static JsonObject *config_object(ConfigReader *r, JsonObject *object, const char *section,
                                 const char *member)
{
    JsonNode *node = config_member(object, member);
    if (node == NULL)
        return NULL;
    if (!JSON_NODE_HOLDS_OBJECT(node)) {
        g_autofree char *field = field_name(section, member);
        config_fail(r, CLIP_ERROR_MALFORMED, "%s is not a JSON object", field);
        return NULL;
    }
    return json_node_get_object(node);
}

/* Three per-channel numbers (image mean or std); `out` keeps its values
 * when the field is absent. */
static void config_channels(ConfigReader *r, JsonObject *object, const char *section,
                            const char *member, float out[3])
{
    JsonNode *node = config_member(object, member);
    if (node == NULL)
        return;
    JsonArray *array = JSON_NODE_HOLDS_ARRAY(node) ? json_node_get_array(node) : NULL;
    gboolean valid = array != NULL && json_array_get_length(array) == 3;
    for (guint i = 0; valid && i < 3; i++) {
        JsonNode *element = json_array_get_element(array, i);
        valid = node_is_number(element) && isfinite(json_node_get_double(element));
        if (valid)
            out[i] = (float)json_node_get_double(element);
    }
    if (!valid) {
        g_autofree char *field = field_name(section, member);
        config_fail(r, CLIP_ERROR_MALFORMED, "%s is not a list of 3 numbers", field);
    }
}

/* OpenCLIP writes sizes either as one number or as a [height, width] pair. */
static uint32_t config_square_size(ConfigReader *r, JsonObject *object, const char *section,
                                   const char *member, uint32_t fallback)
{
    JsonNode *node = config_member(object, member);
    if (node == NULL || !JSON_NODE_HOLDS_ARRAY(node))
        return config_uint(r, object, section, member, fallback);
    JsonArray *array = json_node_get_array(node);
    if (json_array_get_length(array) != 2 || !node_is_integer(json_array_get_element(array, 0)) ||
        !node_is_integer(json_array_get_element(array, 1)) ||
        json_array_get_int_element(array, 0) != json_array_get_int_element(array, 1) ||
        json_array_get_int_element(array, 0) < 0 ||
        json_array_get_int_element(array, 0) > (gint64)UINT32_MAX) {
        g_autofree char *field = field_name(section, member);
        config_fail(r, CLIP_ERROR_UNSUPPORTED, "%s: only square sizes are supported", field);
        return fallback;
    }
    return (uint32_t)json_array_get_int_element(array, 0);
}

static GpuActivation config_activation(ConfigReader *r, JsonObject *object, const char *section)
{
    const char *name = config_string(r, object, section, "hidden_act", "quick_gelu");
    if (strcmp(name, "quick_gelu") == 0)
        return GPU_ACTIVATION_QUICK_GELU;
    if (strcmp(name, "gelu") == 0)
        return GPU_ACTIVATION_GELU;
    g_autofree char *printable = clip_safetensors_printable_name(name);
    config_fail(r, CLIP_ERROR_UNSUPPORTED,
                "%s.hidden_act \"%s\" is not supported (quick_gelu or gelu are)", section,
                printable);
    return GPU_ACTIVATION_QUICK_GELU;
}

/* HF keeps a tower's settings in text_config; configs written by older
 * transformers have text_config_dict instead (or beside a null one). */
static JsonObject *hf_tower(ConfigReader *r, JsonObject *root, const char *tower,
                            const char **section)
{
    g_autofree char *name = g_strdup_printf("%s_config", tower);
    g_autofree char *old_name = g_strdup_printf("%s_config_dict", tower);
    JsonObject *object = config_object(r, root, "", name);
    if (object != NULL) {
        *section = g_intern_string(name);
        return object;
    }
    *section = g_intern_string(old_name);
    return config_object(r, root, "", old_name);
}

static gboolean parse_hf_config(const char *path, JsonObject *root, const char *preprocessor_path,
                                JsonObject *preprocessor, ClipConfig *config, GError **error)
{
    ConfigReader r = {path, NULL};
    const char *ts, *vs;
    JsonObject *text = hf_tower(&r, root, "text", &ts);
    JsonObject *vision = hf_tower(&r, root, "vision", &vs);

    config->text.width = config_uint(&r, text, ts, "hidden_size", 512);
    config->text.mlp_width = config_uint(&r, text, ts, "intermediate_size", 2048);
    config->text.heads = config_uint(&r, text, ts, "num_attention_heads", 8);
    config->text.layers = config_uint(&r, text, ts, "num_hidden_layers", 12);
    config->text.eps = (float)config_double(&r, text, ts, "layer_norm_eps", 1e-5);
    config->context_length = config_uint(&r, text, ts, "max_position_embeddings", 77);
    config->vocab_size = config_uint(&r, text, ts, "vocab_size", 49408);

    config->vision.width = config_uint(&r, vision, vs, "hidden_size", 768);
    config->vision.mlp_width = config_uint(&r, vision, vs, "intermediate_size", 3072);
    config->vision.heads = config_uint(&r, vision, vs, "num_attention_heads", 12);
    config->vision.layers = config_uint(&r, vision, vs, "num_hidden_layers", 12);
    config->vision.eps = (float)config_double(&r, vision, vs, "layer_norm_eps", 1e-5);
    config->image_size = config_uint(&r, vision, vs, "image_size", 224);
    config->patch_size = config_uint(&r, vision, vs, "patch_size", 32);
    if (config_uint(&r, vision, vs, "num_channels", 3) != 3)
        config_fail(&r, CLIP_ERROR_UNSUPPORTED, "%s.num_channels: only RGB (3) is supported", vs);

    config->embed_dim = config_uint(&r, root, "", "projection_dim", 512);

    GpuActivation text_act = config_activation(&r, text, ts);
    GpuActivation vision_act = config_activation(&r, vision, vs);
    if (r.error == NULL && text_act != vision_act)
        config_fail(&r, CLIP_ERROR_UNSUPPORTED,
                    "the text and vision towers use different activations");
    config->activation = text_act;

    if (r.error == NULL && preprocessor != NULL) {
        r.path = preprocessor_path;
        config_channels(&r, preprocessor, "", "image_mean", config->image_mean);
        config_channels(&r, preprocessor, "", "image_std", config->image_std);
    }
    if (r.error != NULL) {
        g_propagate_error(error, r.error);
        return FALSE;
    }
    return TRUE;
}

/* OpenCLIP options that add or move weights; loading such a model as plain
 * CLIP would compute the wrong thing without a missing tensor to say so. */
static void reject_openclip_variants(ConfigReader *r, JsonObject *vision, JsonObject *text)
{
    static const char *const vision_flags[] = {"attentional_pool", "no_ln_pre", "input_patchnorm"};
    static const char *const text_flags[] = {"embed_cls", "proj_bias", "no_causal_mask"};
    for (size_t i = 0; i < G_N_ELEMENTS(vision_flags); i++)
        if (config_bool(r, vision, "model_cfg.vision_cfg", vision_flags[i], FALSE))
            config_fail(r, CLIP_ERROR_UNSUPPORTED, "model_cfg.vision_cfg.%s is not supported",
                        vision_flags[i]);
    for (size_t i = 0; i < G_N_ELEMENTS(text_flags); i++)
        if (config_bool(r, text, "model_cfg.text_cfg", text_flags[i], FALSE))
            config_fail(r, CLIP_ERROR_UNSUPPORTED, "model_cfg.text_cfg.%s is not supported",
                        text_flags[i]);
    if (config_member(vision, "timm_model_name") != NULL)
        config_fail(r, CLIP_ERROR_UNSUPPORTED,
                    "model_cfg.vision_cfg.timm_model_name: timm vision towers are not supported");
    if (config_member(text, "hf_model_name") != NULL)
        config_fail(r, CLIP_ERROR_UNSUPPORTED,
                    "model_cfg.text_cfg.hf_model_name: Hugging Face text towers are not supported");
    if (config_member(vision, "ls_init_value") != NULL ||
        config_member(text, "ls_init_value") != NULL)
        config_fail(r, CLIP_ERROR_UNSUPPORTED, "layer scale (ls_init_value) is not supported");
    const char *vision_pool = config_string(r, vision, "model_cfg.vision_cfg", "pool_type", "tok");
    const char *text_pool = config_string(r, text, "model_cfg.text_cfg", "pool_type", "argmax");
    if (strcmp(vision_pool, "tok") != 0 || strcmp(text_pool, "argmax") != 0)
        config_fail(r, CLIP_ERROR_UNSUPPORTED,
                    "pool_type other than \"tok\" (vision) and \"argmax\" (text) is not supported");
}

static uint32_t mlp_width(ConfigReader *r, JsonObject *tower, const char *section, uint32_t width)
{
    double ratio = config_double(r, tower, section, "mlp_ratio", 4.0);
    double mlp = floor(width * ratio); /* OpenCLIP: int(width * mlp_ratio) */
    if (!(mlp >= 0.0 && mlp <= (double)MAX_MLP_WIDTH)) {
        config_fail(r, CLIP_ERROR_UNSUPPORTED, "%s.mlp_ratio %g gives an unsupported mlp width",
                    section, ratio);
        return 0;
    }
    return (uint32_t)mlp;
}

static gboolean parse_openclip_config(const char *path, JsonObject *root, ClipConfig *config,
                                      GError **error)
{
    ConfigReader r = {path, NULL};
    JsonObject *model = config_object(&r, root, "", "model_cfg");
    if (model == NULL && r.error == NULL)
        config_fail(&r, CLIP_ERROR_MALFORMED, "no model_cfg object");
    if (r.error != NULL) {
        g_propagate_error(error, r.error);
        return FALSE;
    }
    JsonObject *vision = config_object(&r, model, "model_cfg", "vision_cfg");
    JsonObject *text = config_object(&r, model, "model_cfg", "text_cfg");
    const char *vs = "model_cfg.vision_cfg", *ts = "model_cfg.text_cfg";

    config->embed_dim = config_uint(&r, model, "model_cfg", "embed_dim", 512);
    config->activation = config_bool(&r, model, "model_cfg", "quick_gelu", FALSE)
                             ? GPU_ACTIVATION_QUICK_GELU
                             : GPU_ACTIVATION_GELU;

    JsonNode *layers = config_member(vision, "layers");
    if (layers != NULL && JSON_NODE_HOLDS_ARRAY(layers))
        config_fail(&r, CLIP_ERROR_UNSUPPORTED,
                    "%s.layers is a list: ResNet vision towers are not supported", vs);
    else
        config->vision.layers = config_uint(&r, vision, vs, "layers", 12);
    config->vision.width = config_uint(&r, vision, vs, "width", 768);
    uint32_t head_width = config_uint(&r, vision, vs, "head_width", 64);
    if (r.error == NULL && (head_width == 0 || config->vision.width % head_width != 0))
        config_fail(&r, CLIP_ERROR_MALFORMED, "%s.width %u is not a multiple of head_width %u", vs,
                    config->vision.width, head_width);
    else if (r.error == NULL)
        config->vision.heads = config->vision.width / head_width;
    config->vision.mlp_width = mlp_width(&r, vision, vs, config->vision.width);
    config->vision.eps = 1e-5f;
    config->image_size = config_square_size(&r, vision, vs, "image_size", 224);
    config->patch_size = config_square_size(&r, vision, vs, "patch_size", 16);

    config->context_length = config_uint(&r, text, ts, "context_length", 77);
    config->vocab_size = config_uint(&r, text, ts, "vocab_size", 49408);
    config->text.width = config_uint(&r, text, ts, "width", 512);
    config->text.heads = config_uint(&r, text, ts, "heads", 8);
    config->text.layers = config_uint(&r, text, ts, "layers", 12);
    config->text.mlp_width = mlp_width(&r, text, ts, config->text.width);
    config->text.eps = 1e-5f;

    reject_openclip_variants(&r, vision, text);

    JsonObject *preprocess = config_object(&r, root, "", "preprocess_cfg");
    config_channels(&r, preprocess, "preprocess_cfg", "mean", config->image_mean);
    config_channels(&r, preprocess, "preprocess_cfg", "std", config->image_std);

    if (r.error != NULL) {
        g_propagate_error(error, r.error);
        return FALSE;
    }
    return TRUE;
}

static gboolean check_count(ConfigReader *r, const char *what, uint32_t value, uint32_t max)
{
    if (value == 0) {
        config_fail(r, CLIP_ERROR_MALFORMED, "%s is 0", what);
        return FALSE;
    }
    if (value > max) {
        config_fail(r, CLIP_ERROR_UNSUPPORTED, "%s %u is beyond the supported %u", what, value,
                    max);
        return FALSE;
    }
    return TRUE;
}

static void check_tower(ConfigReader *r, const char *tower, const ClipTransformerGeometry *g)
{
    g_autofree char *width = g_strdup_printf("%s width", tower);
    g_autofree char *heads = g_strdup_printf("%s heads", tower);
    g_autofree char *layers = g_strdup_printf("%s layers", tower);
    g_autofree char *mlp = g_strdup_printf("%s mlp width", tower);
    check_count(r, width, g->width, MAX_WIDTH);
    check_count(r, layers, g->layers, MAX_LAYERS);
    check_count(r, mlp, g->mlp_width, MAX_MLP_WIDTH);
    if (check_count(r, heads, g->heads, MAX_WIDTH) && g->width % g->heads != 0)
        config_fail(r, CLIP_ERROR_MALFORMED, "%s width %u is not a multiple of its %u heads", tower,
                    g->width, g->heads);
    if (!(g->eps > 0.0f && isfinite(g->eps)))
        config_fail(r, CLIP_ERROR_MALFORMED, "%s layer norm epsilon %g is not positive", tower,
                    (double)g->eps);
}

/* The geometry every shape check below relies on: no zero, no absurd size. */
static gboolean check_geometry(const char *path, const ClipConfig *config, GError **error)
{
    ConfigReader r = {path, NULL};
    check_tower(&r, "vision", &config->vision);
    check_tower(&r, "text", &config->text);
    check_count(&r, "image size", config->image_size, MAX_IMAGE_SIZE);
    if (check_count(&r, "patch size", config->patch_size, MAX_IMAGE_SIZE) &&
        config->image_size % config->patch_size != 0)
        config_fail(&r, CLIP_ERROR_MALFORMED, "image size %u is not a multiple of patch size %u",
                    config->image_size, config->patch_size);
    check_count(&r, "context length", config->context_length, MAX_CONTEXT);
    check_count(&r, "vocabulary size", config->vocab_size, MAX_VOCAB);
    check_count(&r, "embedding size", config->embed_dim, MAX_WIDTH);
    for (int i = 0; i < 3; i++)
        if (!(config->image_std[i] > 0.0f))
            config_fail(&r, CLIP_ERROR_MALFORMED, "image std %g is not positive",
                        (double)config->image_std[i]);
    if (r.error != NULL) {
        g_propagate_error(error, r.error);
        return FALSE;
    }
    return TRUE;
}

/* ---- weights ---- */

typedef struct {
    uint32_t n_dims;
    uint64_t dims[4];
} Shape;

#define SHAPE(...)                                                                                 \
    ((Shape){.n_dims = sizeof((uint64_t[]){__VA_ARGS__}) / sizeof(uint64_t), .dims = {__VA_ARGS__}})

typedef struct {
    ClipSafetensors *st;
    const char *path;
    GPtrArray *owned;
} WeightReader;

static size_t dtype_size(ClipDtype dtype)
{
    return dtype == CLIP_DTYPE_F32 ? 4 : 2;
}

static char *format_dims(uint32_t n_dims, const uint64_t *dims)
{
    GString *text = g_string_new("[");
    for (uint32_t i = 0; i < n_dims; i++)
        g_string_append_printf(text, "%s%" G_GUINT64_FORMAT, i > 0 ? ", " : "", dims[i]);
    g_string_append_c(text, ']');
    return g_string_free(text, FALSE);
}

static void *own(WeightReader *w, size_t size)
{
    void *buffer = g_malloc(size);
    g_ptr_array_add(w->owned, buffer);
    return buffer;
}

/* Finds a weight the model uses and checks its dtype and shape. */
static const ClipSafetensorsTensor *find_weight(WeightReader *w, const char *name, Shape shape,
                                                GError **error)
{
    const ClipSafetensorsTensor *t = clip_safetensors_lookup(w->st, name);
    if (t == NULL) {
        set_error(error, CLIP_ERROR_MISMATCH, w->path, "missing tensor %s", name);
        return NULL;
    }
    if (!t->is_float) {
        set_error(error, CLIP_ERROR_UNSUPPORTED, w->path,
                  "tensor %s has dtype %s; weights must be F32, F16 or BF16", name, t->dtype_name);
        return NULL;
    }
    gboolean same = t->n_dims == shape.n_dims;
    for (uint32_t i = 0; same && i < shape.n_dims; i++)
        same = t->shape[i] == shape.dims[i];
    if (!same) {
        g_autofree char *found = format_dims(t->n_dims, t->shape);
        g_autofree char *expected = format_dims(shape.n_dims, shape.dims);
        set_error(error, CLIP_ERROR_MISMATCH, w->path, "tensor %s has shape %s, expected %s", name,
                  found, expected);
        return NULL;
    }
    return t;
}

static void describe(ClipTensor *out, ClipDtype dtype, Shape shape, const void *data)
{
    out->dtype = dtype;
    out->n_dims = shape.n_dims;
    out->n_elements = 1;
    for (uint32_t i = 0; i < shape.n_dims; i++) {
        out->shape[i] = shape.dims[i];
        out->n_elements *= (size_t)shape.dims[i];
    }
    out->data = data;
}

/* Points `out` at a weight in the mapping; a copy only when the file put
 * it at an address its dtype cannot be read from directly. */
static gboolean take(WeightReader *w, const char *name, Shape shape, ClipTensor *out,
                     GError **error)
{
    const ClipSafetensorsTensor *t = find_weight(w, name, shape, error);
    if (t == NULL)
        return FALSE;
    const void *data = t->data;
    size_t size = (size_t)(t->end - t->begin);
    if ((uintptr_t)data % t->dtype_size != 0)
        data = memcpy(own(w, size), data, size);
    describe(out, t->clip_dtype, shape, data);
    return TRUE;
}

/* HF's separate q, k, v projections stacked into one (3C, C) in_proj, in
 * their common dtype (F32 when they differ). */
static gboolean take_stacked(WeightReader *w, char *const names[3], Shape part, ClipTensor *out,
                             GError **error)
{
    const ClipSafetensorsTensor *t[3];
    for (int i = 0; i < 3; i++)
        if ((t[i] = find_weight(w, names[i], part, error)) == NULL)
            return FALSE;
    ClipDtype dtype = t[0]->clip_dtype;
    if (t[1]->clip_dtype != dtype || t[2]->clip_dtype != dtype)
        dtype = CLIP_DTYPE_F32;

    Shape stacked = part;
    stacked.dims[0] *= 3;
    size_t n_part = (size_t)t[0]->n_elements, size = dtype_size(dtype);
    uint8_t *buffer = own(w, 3 * n_part * size);
    for (int i = 0; i < 3; i++) {
        if (t[i]->clip_dtype == dtype) {
            memcpy(buffer + i * n_part * size, t[i]->data, n_part * size);
        } else {
            ClipTensor source;
            describe(&source, t[i]->clip_dtype, part, t[i]->data);
            clip_tensor_to_f32(&source, (float *)(void *)(buffer + i * n_part * size));
        }
    }
    describe(out, dtype, stacked, buffer);
    return TRUE;
}

/* OpenAI keeps the projections as (C, E), applied as x · proj; the gpu ops
 * want nn.Linear's (E, C). */
static gboolean take_transposed(WeightReader *w, const char *name, uint64_t rows, uint64_t cols,
                                ClipTensor *out, GError **error)
{
    const ClipSafetensorsTensor *t = find_weight(w, name, SHAPE(rows, cols), error);
    if (t == NULL)
        return FALSE;
    size_t size = t->dtype_size;
    uint8_t *buffer = own(w, (size_t)(rows * cols) * size);
    const uint8_t *source = t->data;
    for (uint64_t r = 0; r < rows; r++)
        for (uint64_t c = 0; c < cols; c++)
            memcpy(buffer + (c * rows + r) * size, source + (r * cols + c) * size, size);
    describe(out, t->clip_dtype, SHAPE(cols, rows), buffer);
    return TRUE;
}

typedef struct {
    const char *ln_1, *ln_2, *out_proj, *fc, *proj; /* ".weight" and ".bias" follow */
    const char *in_proj_weight, *in_proj_bias;      /* OpenCLIP: already stacked */
    const char *q, *k, *v;                          /* HF: to be stacked */
} BlockNames;

typedef struct {
    const char *config_file, *weights_file;
    gboolean hf; /* config and tensor names of transformers; else OpenCLIP */
    const BlockNames *block;
    const char *vision_blocks, *text_blocks; /* prefixes before the layer number */
    const char *patch_weight, *class_embedding, *vision_positions, *ln_pre, *ln_post;
    const char *vision_projection, *token_embedding, *text_positions, *ln_final;
    const char *text_projection;
    gboolean projections_transposed;
} Layout;

static const BlockNames hf_block = {
    .ln_1 = "layer_norm1",
    .ln_2 = "layer_norm2",
    .out_proj = "self_attn.out_proj",
    .fc = "mlp.fc1",
    .proj = "mlp.fc2",
    .q = "self_attn.q_proj",
    .k = "self_attn.k_proj",
    .v = "self_attn.v_proj",
};

static const BlockNames openclip_block = {
    .ln_1 = "ln_1",
    .ln_2 = "ln_2",
    .out_proj = "attn.out_proj",
    .fc = "mlp.c_fc",
    .proj = "mlp.c_proj",
    .in_proj_weight = "attn.in_proj_weight",
    .in_proj_bias = "attn.in_proj_bias",
};

static const Layout hf_layout = {
    .config_file = "config.json",
    .weights_file = "model.safetensors",
    .hf = TRUE,
    .block = &hf_block,
    .vision_blocks = "vision_model.encoder.layers.",
    .text_blocks = "text_model.encoder.layers.",
    .patch_weight = "vision_model.embeddings.patch_embedding.weight",
    .class_embedding = "vision_model.embeddings.class_embedding",
    .vision_positions = "vision_model.embeddings.position_embedding.weight",
    .ln_pre = "vision_model.pre_layrnorm", /* sic */
    .ln_post = "vision_model.post_layernorm",
    .vision_projection = "visual_projection.weight",
    .token_embedding = "text_model.embeddings.token_embedding.weight",
    .text_positions = "text_model.embeddings.position_embedding.weight",
    .ln_final = "text_model.final_layer_norm",
    .text_projection = "text_projection.weight",
    .projections_transposed = FALSE,
};

static const Layout openclip_layout = {
    .config_file = "open_clip_config.json",
    .weights_file = "open_clip_model.safetensors",
    .hf = FALSE,
    .block = &openclip_block,
    .vision_blocks = "visual.transformer.resblocks.",
    .text_blocks = "transformer.resblocks.",
    .patch_weight = "visual.conv1.weight",
    .class_embedding = "visual.class_embedding",
    .vision_positions = "visual.positional_embedding",
    .ln_pre = "visual.ln_pre",
    .ln_post = "visual.ln_post",
    .vision_projection = "visual.proj",
    .token_embedding = "token_embedding.weight",
    .text_positions = "positional_embedding",
    .ln_final = "ln_final",
    .text_projection = "text_projection",
    .projections_transposed = TRUE,
};

/* A layer norm's weight and bias, both (C). */
static gboolean take_norm(WeightReader *w, const char *prefix, uint64_t C, ClipTensor *weight,
                          ClipTensor *bias, GError **error)
{
    g_autofree char *weight_name = g_strconcat(prefix, ".weight", NULL);
    g_autofree char *bias_name = g_strconcat(prefix, ".bias", NULL);
    return take(w, weight_name, SHAPE(C), weight, error) &&
           take(w, bias_name, SHAPE(C), bias, error);
}

/* An nn.Linear: weight (out, in), bias (out). */
static gboolean take_linear(WeightReader *w, const char *prefix, uint64_t out, uint64_t in,
                            ClipTensor *weight, ClipTensor *bias, GError **error)
{
    g_autofree char *weight_name = g_strconcat(prefix, ".weight", NULL);
    g_autofree char *bias_name = g_strconcat(prefix, ".bias", NULL);
    return take(w, weight_name, SHAPE(out, in), weight, error) &&
           take(w, bias_name, SHAPE(out), bias, error);
}

static gboolean take_block(WeightReader *w, const Layout *layout, const char *blocks,
                           uint32_t layer, const ClipTransformerGeometry *g, ClipBlock *block,
                           GError **error)
{
    const BlockNames *n = layout->block;
    uint64_t C = g->width, F = g->mlp_width;
    g_autofree char *prefix = g_strdup_printf("%s%u.", blocks, layer);
    g_autofree char *ln_1 = g_strconcat(prefix, n->ln_1, NULL);
    g_autofree char *ln_2 = g_strconcat(prefix, n->ln_2, NULL);
    g_autofree char *out_proj = g_strconcat(prefix, n->out_proj, NULL);
    g_autofree char *fc = g_strconcat(prefix, n->fc, NULL);
    g_autofree char *proj = g_strconcat(prefix, n->proj, NULL);

    if (!take_norm(w, ln_1, C, &block->ln_1_weight, &block->ln_1_bias, error) ||
        !take_linear(w, out_proj, C, C, &block->out_proj_weight, &block->out_proj_bias, error) ||
        !take_norm(w, ln_2, C, &block->ln_2_weight, &block->ln_2_bias, error) ||
        !take_linear(w, fc, F, C, &block->fc_weight, &block->fc_bias, error) ||
        !take_linear(w, proj, C, F, &block->proj_weight, &block->proj_bias, error))
        return FALSE;

    if (n->in_proj_weight != NULL) {
        g_autofree char *weight = g_strconcat(prefix, n->in_proj_weight, NULL);
        g_autofree char *bias = g_strconcat(prefix, n->in_proj_bias, NULL);
        return take(w, weight, SHAPE(3 * C, C), &block->in_proj_weight, error) &&
               take(w, bias, SHAPE(3 * C), &block->in_proj_bias, error);
    }
    g_auto(GStrv) weights = g_new0(char *, 4);
    g_auto(GStrv) biases = g_new0(char *, 4);
    const char *parts[3] = {n->q, n->k, n->v};
    for (int i = 0; i < 3; i++) {
        weights[i] = g_strconcat(prefix, parts[i], ".weight", NULL);
        biases[i] = g_strconcat(prefix, parts[i], ".bias", NULL);
    }
    return take_stacked(w, weights, SHAPE(C, C), &block->in_proj_weight, error) &&
           take_stacked(w, biases, SHAPE(C), &block->in_proj_bias, error);
}

static gboolean take_projection(WeightReader *w, const Layout *layout, const char *name, uint64_t E,
                                uint64_t C, ClipTensor *out, GError **error)
{
    if (layout->projections_transposed)
        return take_transposed(w, name, C, E, out, error);
    return take(w, name, SHAPE(E, C), out, error);
}

/* logit_scale is stored as its log, a scalar ([] or [1]). */
static gboolean take_logit_scale(WeightReader *w, float *out, GError **error)
{
    const ClipSafetensorsTensor *t = clip_safetensors_lookup(w->st, "logit_scale");
    if (t == NULL) {
        set_error(error, CLIP_ERROR_MISMATCH, w->path, "missing tensor logit_scale");
        return FALSE;
    }
    Shape shape = t->n_dims == 0 ? (Shape){0} : SHAPE(1);
    t = find_weight(w, "logit_scale", shape, error);
    if (t == NULL)
        return FALSE;
    ClipTensor scalar;
    describe(&scalar, t->clip_dtype, shape, t->data);
    float log_scale;
    clip_tensor_to_f32(&scalar, &log_scale);
    *out = expf(log_scale);
    return TRUE;
}

static gboolean take_weights(WeightReader *w, const Layout *layout, ClipModel *model,
                             GError **error)
{
    const ClipConfig *c = &model->config;
    uint64_t Cv = c->vision.width, Ct = c->text.width, E = c->embed_dim;
    uint64_t p = c->patch_size, grid = c->image_size / c->patch_size;

    if (!take(w, layout->patch_weight, SHAPE(Cv, 3, p, p), &model->patch_weight, error) ||
        !take(w, layout->class_embedding, SHAPE(Cv), &model->class_embedding, error) ||
        !take(w, layout->vision_positions, SHAPE(1 + grid * grid, Cv), &model->vision_positions,
              error) ||
        !take_norm(w, layout->ln_pre, Cv, &model->ln_pre_weight, &model->ln_pre_bias, error))
        return FALSE;
    for (uint32_t i = 0; i < c->vision.layers; i++)
        if (!take_block(w, layout, layout->vision_blocks, i, &c->vision, &model->vision_blocks[i],
                        error))
            return FALSE;
    if (!take_norm(w, layout->ln_post, Cv, &model->ln_post_weight, &model->ln_post_bias, error) ||
        !take_projection(w, layout, layout->vision_projection, E, Cv, &model->vision_projection,
                         error))
        return FALSE;

    if (!take(w, layout->token_embedding, SHAPE(c->vocab_size, Ct), &model->token_embedding,
              error) ||
        !take(w, layout->text_positions, SHAPE(c->context_length, Ct), &model->text_positions,
              error))
        return FALSE;
    for (uint32_t i = 0; i < c->text.layers; i++)
        if (!take_block(w, layout, layout->text_blocks, i, &c->text, &model->text_blocks[i], error))
            return FALSE;
    return take_norm(w, layout->ln_final, Ct, &model->ln_final_weight, &model->ln_final_bias,
                     error) &&
           take_projection(w, layout, layout->text_projection, E, Ct, &model->text_projection,
                           error) &&
           take_logit_scale(w, &model->logit_scale, error);
}

/* ---- the folder ---- */

static void checksum_update_part(GChecksum *checksum, const void *data, size_t length)
{
    /* Length first, so that moving bytes between parts changes the id. */
    guint64 length_le = GUINT64_TO_LE((guint64)length);
    g_checksum_update(checksum, (const guchar *)&length_le, sizeof length_le);
    g_checksum_update(checksum, data, (gssize)length);
}

/* Weight bytes sampled into the id: 256 evenly spaced 4 KiB blocks (1 MiB),
 * or everything in a smaller file. */
#define MODEL_ID_SAMPLES     256
#define MODEL_ID_SAMPLE_SIZE 4096

/* Retrained weights keep the header and configs of the model before them,
 * so the id samples the weights too: caches keyed by the id (album prompt
 * embeddings, the library's embeddings) must not take one model's results
 * for another's. Hashing every byte would read hundreds of megabytes on
 * every start; two trainings differ in nearly every block, so a sample
 * tells them apart. */
static void checksum_update_weights(GChecksum *checksum, ClipSafetensors *st)
{
    uint64_t length;
    const uint8_t *data = clip_safetensors_get_data(st, &length);
    if (length <= (uint64_t)MODEL_ID_SAMPLES * MODEL_ID_SAMPLE_SIZE) {
        checksum_update_part(checksum, data, (size_t)length);
        return;
    }
    /* From the first block to one that ends with the file (no overflow:
     * i · length stays far below 2⁶⁴ for any file that maps). */
    uint64_t span = length - MODEL_ID_SAMPLE_SIZE;
    for (uint64_t i = 0; i < MODEL_ID_SAMPLES; i++)
        g_checksum_update(checksum, data + i * span / (MODEL_ID_SAMPLES - 1), MODEL_ID_SAMPLE_SIZE);
}

/* The header pins every tensor's name, dtype, shape and place; the configs
 * pin how they are used (preprocessing included); a sample of the weights
 * tells retrainings of one geometry apart. */
static char *model_id(ClipSafetensors *st, GBytes *config, GBytes *preprocessor)
{
    g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
    size_t length;
    const uint8_t *header = clip_safetensors_get_header(st, &length);
    checksum_update_part(checksum, header, length);
    checksum_update_weights(checksum, st);
    const void *data = g_bytes_get_data(config, &length);
    checksum_update_part(checksum, data, length);
    if (preprocessor != NULL) {
        data = g_bytes_get_data(preprocessor, &length);
        checksum_update_part(checksum, data, length);
    }
    return g_strndup(g_checksum_get_string(checksum), 16);
}

static const Layout *detect_layout(const char *dir, GError **error)
{
    g_autofree char *openclip_config = g_build_filename(dir, openclip_layout.config_file, NULL);
    g_autofree char *openclip_weights = g_build_filename(dir, openclip_layout.weights_file, NULL);
    g_autofree char *hf_config = g_build_filename(dir, hf_layout.config_file, NULL);

    /* Hub repositories of OpenCLIP models often carry both layouts. */
    if (g_file_test(openclip_config, G_FILE_TEST_EXISTS) &&
        g_file_test(openclip_weights, G_FILE_TEST_EXISTS))
        return &openclip_layout;
    if (g_file_test(hf_config, G_FILE_TEST_EXISTS))
        return &hf_layout;
    if (g_file_test(openclip_config, G_FILE_TEST_EXISTS))
        return &openclip_layout;
    if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
        set_error(error, CLIP_ERROR_IO, dir, "not a folder");
        return NULL;
    }
    set_error(error, CLIP_ERROR_IO, dir,
              "not a CLIP model folder: it has neither config.json (Hugging Face) nor "
              "open_clip_config.json (OpenCLIP)");
    return NULL;
}

static gboolean load_config(const char *dir, const Layout *layout, ClipConfig *config,
                            GBytes **config_bytes, GBytes **preprocessor_bytes, GError **error)
{
    g_autofree char *config_path = g_build_filename(dir, layout->config_file, NULL);
    g_autofree char *preprocessor_path = g_build_filename(dir, "preprocessor_config.json", NULL);
    *config_bytes = read_config_file(config_path, error);
    if (*config_bytes == NULL)
        return FALSE;
    g_autoptr(JsonNode) root = NULL;
    JsonObject *object = parse_config_object(config_path, *config_bytes, &root, error);
    if (object == NULL)
        return FALSE;

    memcpy(config->image_mean, clip_default_mean, sizeof config->image_mean);
    memcpy(config->image_std, clip_default_std, sizeof config->image_std);
    if (!layout->hf)
        return parse_openclip_config(config_path, object, config, error) &&
               check_geometry(config_path, config, error);

    g_autoptr(JsonNode) preprocessor_root = NULL;
    JsonObject *preprocessor = NULL;
    if (g_file_test(preprocessor_path, G_FILE_TEST_EXISTS)) {
        *preprocessor_bytes = read_config_file(preprocessor_path, error);
        if (*preprocessor_bytes == NULL)
            return FALSE;
        preprocessor =
            parse_config_object(preprocessor_path, *preprocessor_bytes, &preprocessor_root, error);
        if (preprocessor == NULL)
            return FALSE;
    }
    return parse_hf_config(config_path, object, preprocessor_path, preprocessor, config, error) &&
           check_geometry(config_path, config, error);
}

ClipModel *clip_model_load(const char *dir, GError **error)
{
    g_return_val_if_fail(dir != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    const Layout *layout = detect_layout(dir, error);
    if (layout == NULL)
        return NULL;

    g_autoptr(ClipModel) model = g_new0(ClipModel, 1);
    ModelPrivate *priv = g_new0(ModelPrivate, 1);
    priv->owned = g_ptr_array_new_with_free_func(g_free);
    model->priv = priv;
    model->dir = g_strdup(dir);
    model->name = g_path_get_basename(dir);

    g_autoptr(GBytes) config_bytes = NULL;
    g_autoptr(GBytes) preprocessor_bytes = NULL;
    if (!load_config(dir, layout, &model->config, &config_bytes, &preprocessor_bytes, error))
        return NULL;

    g_autofree char *weights_path = g_build_filename(dir, layout->weights_file, NULL);
    priv->weights = clip_safetensors_open(weights_path, error);
    if (priv->weights == NULL)
        return NULL;

    model->vision_blocks = g_new0(ClipBlock, model->config.vision.layers);
    model->text_blocks = g_new0(ClipBlock, model->config.text.layers);
    WeightReader reader = {priv->weights, weights_path, priv->owned};
    if (!take_weights(&reader, layout, model, error))
        return NULL;

    model->id = model_id(priv->weights, config_bytes, preprocessor_bytes);
    return g_steal_pointer(&model);
}

void clip_model_free(ClipModel *model)
{
    if (model == NULL)
        return;
    ModelPrivate *priv = model->priv;
    if (priv != NULL) {
        g_clear_pointer(&priv->owned, g_ptr_array_unref);
        g_clear_pointer(&priv->weights, clip_safetensors_free);
        g_free(priv);
    }
    g_free(model->vision_blocks);
    g_free(model->text_blocks);
    g_free(model->dir);
    g_free(model->name);
    g_free(model->id);
    g_free(model);
}

void clip_tensor_to_f32(const ClipTensor *tensor, float *out)
{
    /* memcpy per element: the data may sit at any address in a mapping. */
    const uint8_t *data = tensor->data;
    switch (tensor->dtype) {
    case CLIP_DTYPE_F32:
        memcpy(out, data, tensor->n_elements * sizeof(float));
        break;
    case CLIP_DTYPE_F16:
    case CLIP_DTYPE_BF16:
        for (size_t i = 0; i < tensor->n_elements; i++) {
            uint16_t half;
            memcpy(&half, data + 2 * i, sizeof half);
            out[i] = tensor->dtype == CLIP_DTYPE_F16 ? gpu_f16_to_f32(half) : gpu_bf16_to_f32(half);
        }
        break;
    }
}

/* ---- random models, for benchmarks at real sizes ---- */

void clip_config_init_vit_b_32(ClipConfig *config)
{
    *config = (ClipConfig){
        .vision = {.width = 768, .layers = 12, .heads = 12, .mlp_width = 3072, .eps = 1e-5f},
        .text = {.width = 512, .layers = 12, .heads = 8, .mlp_width = 2048, .eps = 1e-5f},
        .image_size = 224,
        .patch_size = 32,
        .context_length = 77,
        .vocab_size = 49408,
        .embed_dim = 512,
        .activation = GPU_ACTIVATION_QUICK_GELU,
    };
    memcpy(config->image_mean, clip_default_mean, sizeof config->image_mean);
    memcpy(config->image_std, clip_default_std, sizeof config->image_std);
}

typedef struct {
    GPtrArray *owned;
    guint64 state;
} RandomFiller;

/* Uniform noise with the spread of N(0, scale²): CLIP-like activations. */
static ClipTensor random_tensor(RandomFiller *filler, float offset, float scale, uint32_t n_dims,
                                uint64_t d0, uint64_t d1)
{
    ClipTensor tensor = {.dtype = CLIP_DTYPE_F32, .n_dims = n_dims, .shape = {d0, d1}};
    tensor.n_elements = n_dims == 1 ? d0 : d0 * d1;
    float *values = g_new(float, tensor.n_elements);
    for (size_t i = 0; i < tensor.n_elements; i++) {
        filler->state = filler->state * 6364136223846793005u + 1442695040888963407u;
        double u = (double)(filler->state >> 11) / (double)(1ull << 53);
        values[i] = offset + scale * (float)((u * 2.0 - 1.0) * 1.7320508);
    }
    g_ptr_array_add(filler->owned, values);
    tensor.data = values;
    return tensor;
}

static void random_blocks(RandomFiller *f, const ClipTransformerGeometry *g, ClipBlock *blocks)
{
    uint32_t C = g->width, F = g->mlp_width;
    for (uint32_t i = 0; i < g->layers; i++) {
        ClipBlock *b = &blocks[i];
        b->ln_1_weight = random_tensor(f, 1.0f, 0.02f, 1, C, 0);
        b->ln_1_bias = random_tensor(f, 0.0f, 0.02f, 1, C, 0);
        b->in_proj_weight = random_tensor(f, 0.0f, 0.02f, 2, 3 * C, C);
        b->in_proj_bias = random_tensor(f, 0.0f, 0.02f, 1, 3 * C, 0);
        b->out_proj_weight = random_tensor(f, 0.0f, 0.02f, 2, C, C);
        b->out_proj_bias = random_tensor(f, 0.0f, 0.02f, 1, C, 0);
        b->ln_2_weight = random_tensor(f, 1.0f, 0.02f, 1, C, 0);
        b->ln_2_bias = random_tensor(f, 0.0f, 0.02f, 1, C, 0);
        b->fc_weight = random_tensor(f, 0.0f, 0.02f, 2, F, C);
        b->fc_bias = random_tensor(f, 0.0f, 0.02f, 1, F, 0);
        b->proj_weight = random_tensor(f, 0.0f, 0.02f, 2, C, F);
        b->proj_bias = random_tensor(f, 0.0f, 0.02f, 1, C, 0);
    }
}

ClipModel *clip_model_new_random(const ClipConfig *config, guint64 seed)
{
    ClipModel *model = g_new0(ClipModel, 1);
    ModelPrivate *priv = g_new0(ModelPrivate, 1);
    priv->owned = g_ptr_array_new_with_free_func(g_free);
    model->priv = priv;
    model->config = *config;
    model->dir = g_strdup("");
    model->name = g_strdup("random");
    model->id = g_strdup_printf("random-%" G_GUINT64_FORMAT, seed);
    model->logit_scale = 100.0f;

    RandomFiller f = {priv->owned, seed * 2654435761u + 1};
    const ClipTransformerGeometry *v = &config->vision, *t = &config->text;
    uint32_t grid = config->image_size / config->patch_size, p = config->patch_size;
    model->patch_weight = random_tensor(&f, 0.0f, 0.02f, 2, v->width, 3 * p * p);
    model->class_embedding = random_tensor(&f, 0.0f, 0.02f, 1, v->width, 0);
    model->vision_positions = random_tensor(&f, 0.0f, 0.02f, 2, 1 + grid * grid, v->width);
    model->ln_pre_weight = random_tensor(&f, 1.0f, 0.02f, 1, v->width, 0);
    model->ln_pre_bias = random_tensor(&f, 0.0f, 0.02f, 1, v->width, 0);
    model->vision_blocks = g_new0(ClipBlock, v->layers);
    random_blocks(&f, v, model->vision_blocks);
    model->ln_post_weight = random_tensor(&f, 1.0f, 0.02f, 1, v->width, 0);
    model->ln_post_bias = random_tensor(&f, 0.0f, 0.02f, 1, v->width, 0);
    model->vision_projection = random_tensor(&f, 0.0f, 0.02f, 2, config->embed_dim, v->width);
    model->token_embedding = random_tensor(&f, 0.0f, 0.02f, 2, config->vocab_size, t->width);
    model->text_positions = random_tensor(&f, 0.0f, 0.01f, 2, config->context_length, t->width);
    model->text_blocks = g_new0(ClipBlock, t->layers);
    random_blocks(&f, t, model->text_blocks);
    model->ln_final_weight = random_tensor(&f, 1.0f, 0.02f, 1, t->width, 0);
    model->ln_final_bias = random_tensor(&f, 0.0f, 0.02f, 1, t->width, 0);
    model->text_projection = random_tensor(&f, 0.0f, 0.02f, 2, config->embed_dim, t->width);
    return model;
}
