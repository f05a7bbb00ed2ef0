/* clip-model-config.c: a model folder's config files, Hugging Face or
 * OpenCLIP, into a checked ClipConfig; and ViT-B/32's, for random models.
 *
 * Dimension letters: C width of a tower, F mlp width, S image size, p patch size.
 */
#include "clip-model-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* ---- checked file reading ---- */

/* Reads a whole config file; the cap keeps a mistaken path (a weights file
 * named config.json, say) from being slurped. */
static GBytes *read_config_file(const char *path, GError **error)
{
    int fd = g_open(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) {
        int saved = errno;
        clip_model_set_error(error, CLIP_ERROR_IO, path, "%s", g_strerror(saved));
        return NULL;
    }
    struct stat info;
    if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        close(fd);
        clip_model_set_error(error, CLIP_ERROR_IO, path, "not a regular file");
        return NULL;
    }
    if (info.st_size > (off_t)MAX_CONFIG_BYTES) {
        close(fd);
        clip_model_set_error(error, CLIP_ERROR_MALFORMED, path,
                             "%jd bytes is too big for a config file", (intmax_t)info.st_size);
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
            clip_model_set_error(error, CLIP_ERROR_IO, path, "%s",
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
        clip_model_set_error(error, CLIP_ERROR_MALFORMED, path, "not a JSON object");
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

static GpuActivation config_activation(ConfigReader *r, JsonObject *object, const char *section,
                                       const char *fallback)
{
    const char *name = config_string(r, object, section, "hidden_act", fallback);
    if (strcmp(name, "quick_gelu") == 0)
        return GPU_ACTIVATION_QUICK_GELU;
    if (strcmp(name, "gelu") == 0)
        return GPU_ACTIVATION_GELU;
    /* transformers' two names for the tanh approximation (SigLIP's) */
    if (strcmp(name, "gelu_pytorch_tanh") == 0 || strcmp(name, "gelu_new") == 0)
        return GPU_ACTIVATION_GELU_TANH;
    g_autofree char *printable = clip_safetensors_printable_name(name);
    config_fail(r, CLIP_ERROR_UNSUPPORTED,
                "%s.hidden_act \"%s\" is not supported (quick_gelu, gelu or gelu_pytorch_tanh "
                "are)",
                section, printable);
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

/* The transformer geometry of a Hugging Face tower, its defaults from the
 * family's configuration class. */
static void hf_geometry(ConfigReader *r, JsonObject *tower, const char *section,
                        const ClipTransformerGeometry *defaults, ClipTransformerGeometry *out)
{
    out->width = config_uint(r, tower, section, "hidden_size", defaults->width);
    out->mlp_width = config_uint(r, tower, section, "intermediate_size", defaults->mlp_width);
    out->heads = config_uint(r, tower, section, "num_attention_heads", defaults->heads);
    out->layers = config_uint(r, tower, section, "num_hidden_layers", defaults->layers);
    out->eps = (float)config_double(r, tower, section, "layer_norm_eps", defaults->eps);
}

/* A Hugging Face vision tower's image geometry beyond the transformer's. */
static void hf_vision_input(ConfigReader *r, JsonObject *vision, const char *section,
                            uint32_t default_patch, ClipConfig *config)
{
    config->image_size = config_uint(r, vision, section, "image_size", 224);
    config->patch_size = config_uint(r, vision, section, "patch_size", default_patch);
    if (config_uint(r, vision, section, "num_channels", 3) != 3)
        config_fail(r, CLIP_ERROR_UNSUPPORTED, "%s.num_channels: only RGB (3) is supported",
                    section);
}

/* Both towers share one activation in every supported model. */
static void config_set_activation(ConfigReader *r, ClipConfig *config, GpuActivation text,
                                  GpuActivation vision)
{
    if (r->error == NULL && text != vision)
        config_fail(r, CLIP_ERROR_UNSUPPORTED,
                    "the text and vision towers use different activations");
    config->activation = text;
}

static gboolean parse_hf_config(const char *path, JsonObject *root, const char *preprocessor_path,
                                JsonObject *preprocessor, ClipConfig *config, GError **error)
{
    ConfigReader r = {path, NULL};
    const char *ts, *vs;
    JsonObject *text = hf_tower(&r, root, "text", &ts);
    JsonObject *vision = hf_tower(&r, root, "vision", &vs);

    static const ClipTransformerGeometry text_defaults = {
        .width = 512, .layers = 12, .heads = 8, .mlp_width = 2048, .eps = 1e-5f};
    static const ClipTransformerGeometry vision_defaults = {
        .width = 768, .layers = 12, .heads = 12, .mlp_width = 3072, .eps = 1e-5f};
    hf_geometry(&r, text, ts, &text_defaults, &config->text);
    config->context_length = config_uint(&r, text, ts, "max_position_embeddings", 77);
    config->vocab_size = config_uint(&r, text, ts, "vocab_size", 49408);
    hf_geometry(&r, vision, vs, &vision_defaults, &config->vision);
    hf_vision_input(&r, vision, vs, 32, config);
    config->embed_dim = config_uint(&r, root, "", "projection_dim", 512);
    config_set_activation(&r, config, config_activation(&r, text, ts, "quick_gelu"),
                          config_activation(&r, vision, vs, "quick_gelu"));

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

/* ---- SigLIP and SigLIP 2 ---- */

static const float siglip_mean_std = 0.5f;

/* PIL's filter numbers, as preprocessor_config.json's `resample` gives them. */
static void config_resample(ConfigReader *r, JsonObject *object, const char *section,
                            ClipResample *resample)
{
    JsonNode *node = config_member(object, "resample");
    if (node == NULL)
        return;
    uint32_t filter = config_uint(r, object, section, "resample", 3);
    if (filter == 3)
        *resample = CLIP_RESAMPLE_BICUBIC;
    else if (filter == 2)
        *resample = CLIP_RESAMPLE_BILINEAR;
    else
        config_fail(r, CLIP_ERROR_UNSUPPORTED,
                    "resample %u is not supported (2, bilinear, or 3, bicubic, are)", filter);
}

/* SiglipImageProcessor: a size × size squash, filter and mean/std from the
 * file (defaults: bicubic, 0.5). */
static void parse_siglip_preprocessor(ConfigReader *r, JsonObject *preprocessor, ClipConfig *config)
{
    config_channels(r, preprocessor, "", "image_mean", config->image_mean);
    config_channels(r, preprocessor, "", "image_std", config->image_std);
    config_resample(r, preprocessor, "", &config->resample);
    JsonObject *size = config_object(r, preprocessor, "", "size");
    uint32_t height = config_uint(r, size, "size", "height", config->image_size);
    uint32_t width = config_uint(r, size, "size", "width", config->image_size);
    if (r->error == NULL && (height != config->image_size || width != config->image_size))
        config_fail(r, CLIP_ERROR_UNSUPPORTED, "size %ux%u differs from the model's image size %u",
                    width, height, config->image_size);
    if (!config_bool(r, preprocessor, "", "do_resize", TRUE) ||
        !config_bool(r, preprocessor, "", "do_normalize", TRUE))
        config_fail(r, CLIP_ERROR_UNSUPPORTED, "do_resize and do_normalize must be true");
}

static void siglip_defaults(ClipConfig *config)
{
    config->family = CLIP_FAMILY_SIGLIP;
    config->resize = CLIP_RESIZE_SQUASH;
    config->resample = CLIP_RESAMPLE_BICUBIC;
    for (int i = 0; i < 3; i++)
        config->image_mean[i] = config->image_std[i] = siglip_mean_std;
}

/* transformers' SiglipConfig. save_pretrained() writes only what differs
 * from configuration_siglip.py's defaults (unchanged from 4.37 to 5.x), so
 * every default below is part of the format. */
static gboolean parse_hf_siglip_config(const char *path, JsonObject *root,
                                       const char *preprocessor_path, JsonObject *preprocessor,
                                       ClipConfig *config, GError **error)
{
    ConfigReader r = {path, NULL};
    const char *ts, *vs;
    JsonObject *text = hf_tower(&r, root, "text", &ts);
    JsonObject *vision = hf_tower(&r, root, "vision", &vs);
    siglip_defaults(config);

    static const ClipTransformerGeometry tower_defaults = {
        .width = 768, .layers = 12, .heads = 12, .mlp_width = 3072, .eps = 1e-6f};
    hf_geometry(&r, text, ts, &tower_defaults, &config->text);
    config->context_length = config_uint(&r, text, ts, "max_position_embeddings", 64);
    config->vocab_size = config_uint(&r, text, ts, "vocab_size", 32000);
    config->embed_dim = config_uint(&r, text, ts, "projection_size", config->text.width);
    hf_geometry(&r, vision, vs, &tower_defaults, &config->vision);
    hf_vision_input(&r, vision, vs, 16, config);
    config_set_activation(&r, config, config_activation(&r, text, ts, "gelu_pytorch_tanh"),
                          config_activation(&r, vision, vs, "gelu_pytorch_tanh"));

    if (r.error == NULL && preprocessor != NULL) {
        r.path = preprocessor_path;
        parse_siglip_preprocessor(&r, preprocessor, config);
    }
    if (r.error != NULL) {
        g_propagate_error(error, r.error);
        return FALSE;
    }
    return TRUE;
}

/* timm's SigLIP towers by name, "vit_<size>_patch<p>_siglip_<S>": the
 * geometry each size stands for (timm/models/vision_transformer.py). */
static const struct {
    const char *size;
    uint32_t width, layers, heads, mlp_width;
} timm_siglip_sizes[] = {
    {"base", 768, 12, 12, 3072},
    {"large", 1024, 24, 16, 4096},
    {"so400m", 1152, 27, 16, 4304},
    {"giantopt", 1536, 40, 16, 6144},
};

static void parse_timm_siglip_name(ConfigReader *r, const char *name, ClipConfig *config)
{
    char size[32];
    unsigned patch, image;
    int end = 0;
    if (sscanf(name, "vit_%31[a-z0-9]_patch%u_siglip_%u%n", size, &patch, &image, &end) == 3 &&
        name[end] == '\0')
        for (size_t i = 0; i < G_N_ELEMENTS(timm_siglip_sizes); i++)
            if (strcmp(size, timm_siglip_sizes[i].size) == 0) {
                config->vision.width = timm_siglip_sizes[i].width;
                config->vision.layers = timm_siglip_sizes[i].layers;
                config->vision.heads = timm_siglip_sizes[i].heads;
                config->vision.mlp_width = timm_siglip_sizes[i].mlp_width;
                config->patch_size = patch;
                config->image_size = image;
                return;
            }
    g_autofree char *printable = clip_safetensors_printable_name(name);
    config_fail(r, CLIP_ERROR_UNSUPPORTED,
                "model_cfg.vision_cfg.timm_model_name \"%s\" is not a fixed-resolution SigLIP "
                "tower (vit_SIZE_patchP_siglip_S)",
                printable);
}

/* What OpenCLIP forwards to timm.create_model(), overriding the name's
 * defaults (the fixtures give their tiny geometry this way). */
static void parse_timm_kwargs(ConfigReader *r, JsonObject *kwargs, ClipConfig *config,
                              GpuActivation *act)
{
    const char *ks = "model_cfg.vision_cfg.timm_model_kwargs";
    config->image_size = config_square_size(r, kwargs, ks, "img_size", config->image_size);
    config->patch_size = config_square_size(r, kwargs, ks, "patch_size", config->patch_size);
    config->vision.width = config_uint(r, kwargs, ks, "embed_dim", config->vision.width);
    config->vision.layers = config_uint(r, kwargs, ks, "depth", config->vision.layers);
    config->vision.heads = config_uint(r, kwargs, ks, "num_heads", config->vision.heads);
    if (config_member(kwargs, "mlp_ratio") != NULL)
        config->vision.mlp_width = mlp_width(r, kwargs, ks, config->vision.width);
    const char *name = config_string(r, kwargs, ks, "act_layer", NULL);
    if (name != NULL && (strcmp(name, "gelu_tanh") == 0 || strcmp(name, "gelu") == 0))
        *act = strcmp(name, "gelu") == 0 ? GPU_ACTIVATION_GELU : GPU_ACTIVATION_GELU_TANH;
    else if (name != NULL)
        config_fail(r, CLIP_ERROR_UNSUPPORTED, "%s.act_layer \"%s\" is not supported", ks, name);
}

/* OpenCLIP's SigLIP: a timm vision tower with a MAP head and OpenCLIP's
 * text tower without causal mask, pooled at the last position. timm's
 * default GELU is erf's where big_vision and transformers use the tanh form:
 * an unset act_layer takes the text tower's activation (tanh in every
 * shipped SigLIP config; the two differ by ~3e-4 relative in features). */
static gboolean parse_openclip_siglip_config(const char *path, JsonObject *model,
                                             JsonObject *vision, JsonObject *text,
                                             JsonObject *preprocess, ClipConfig *config,
                                             GError **error)
{
    ConfigReader r = {path, NULL};
    const char *vs = "model_cfg.vision_cfg", *ts = "model_cfg.text_cfg";
    siglip_defaults(config);

    parse_timm_siglip_name(&r, config_string(&r, vision, vs, "timm_model_name", ""), config);
    config->vision.eps = 1e-6f; /* timm's SigLIP towers */
    config->image_size = config_square_size(&r, vision, vs, "image_size", config->image_size);
    GpuActivation vision_act = (GpuActivation)-1;
    parse_timm_kwargs(&r, config_object(&r, vision, vs, "timm_model_kwargs"), config, &vision_act);
    if (strcmp(config_string(&r, vision, vs, "timm_pool", ""), "map") != 0 ||
        strcmp(config_string(&r, vision, vs, "timm_proj", "none"), "none") != 0)
        config_fail(&r, CLIP_ERROR_UNSUPPORTED,
                    "%s: SigLIP towers need timm_pool \"map\" and timm_proj \"none\"", vs);

    config->context_length = config_uint(&r, text, ts, "context_length", 64);
    config->vocab_size = config_uint(&r, text, ts, "vocab_size", 32000);
    config->text.width = config_uint(&r, text, ts, "width", 768);
    config->text.heads = config_uint(&r, text, ts, "heads", 12);
    config->text.layers = config_uint(&r, text, ts, "layers", 12);
    config->text.mlp_width = mlp_width(&r, text, ts, config->text.width);
    config->text.eps = (float)config_double(&r, config_object(&r, text, ts, "norm_kwargs"),
                                            "model_cfg.text_cfg.norm_kwargs", "eps", 1e-5);
    const char *approximate = config_string(&r, config_object(&r, text, ts, "act_kwargs"),
                                            "model_cfg.text_cfg.act_kwargs", "approximate", "none");
    GpuActivation text_act =
        strcmp(approximate, "tanh") == 0 ? GPU_ACTIVATION_GELU_TANH : GPU_ACTIVATION_GELU;
    if (r.error == NULL && (int)vision_act >= 0 && vision_act != text_act)
        config_fail(&r, CLIP_ERROR_UNSUPPORTED,
                    "the text and vision towers use different activations");
    config->activation = text_act;
    if (!config_bool(&r, text, ts, "no_causal_mask", FALSE) ||
        !config_bool(&r, text, ts, "proj_bias", FALSE) ||
        strcmp(config_string(&r, text, ts, "pool_type", ""), "last") != 0)
        config_fail(&r, CLIP_ERROR_UNSUPPORTED,
                    "%s: SigLIP text towers need no_causal_mask, proj_bias and pool_type "
                    "\"last\"",
                    ts);
    config->embed_dim = config_uint(&r, model, "model_cfg", "embed_dim", config->text.width);

    config_channels(&r, preprocess, "preprocess_cfg", "mean", config->image_mean);
    config_channels(&r, preprocess, "preprocess_cfg", "std", config->image_std);
    const char *interpolation =
        config_string(&r, preprocess, "preprocess_cfg", "interpolation", "bicubic");
    if (strcmp(interpolation, "bilinear") == 0)
        config->resample = CLIP_RESAMPLE_BILINEAR;
    else if (strcmp(interpolation, "bicubic") != 0)
        config_fail(&r, CLIP_ERROR_UNSUPPORTED,
                    "preprocess_cfg.interpolation: only bicubic and bilinear are supported");
    if (strcmp(config_string(&r, preprocess, "preprocess_cfg", "resize_mode", "squash"),
               "squash") != 0)
        config_fail(&r, CLIP_ERROR_UNSUPPORTED,
                    "preprocess_cfg.resize_mode: SigLIP models are supported with \"squash\"");

    if (r.error != NULL) {
        g_propagate_error(error, r.error);
        return FALSE;
    }
    return TRUE;
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
    const char *timm = config_string(&r, vision, vs, "timm_model_name", NULL);
    if (r.error == NULL && timm != NULL && strstr(timm, "_siglip") != NULL)
        return parse_openclip_siglip_config(path, model, vision, text,
                                            config_object(&r, root, "", "preprocess_cfg"), config,
                                            error);

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
    /* SigLIP's image embedding is the pooled vision width (no projection). */
    if (r.error == NULL && config->family == CLIP_FAMILY_SIGLIP &&
        config->embed_dim != config->vision.width)
        config_fail(&r, CLIP_ERROR_UNSUPPORTED,
                    "text projection size %u differs from the vision width %u", config->embed_dim,
                    config->vision.width);
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

gboolean clip_model_load_config(const char *dir, const ClipModelLayout *layout, ClipConfig *config,
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
    ConfigReader r = {config_path, NULL};
    const char *model_type = config_string(&r, object, "", "model_type", "clip");
    if (r.error != NULL) {
        g_propagate_error(error, r.error);
        return FALSE;
    }
    if (g_strcmp0(model_type, "siglip2") == 0) {
        clip_model_set_error(error, CLIP_ERROR_UNSUPPORTED, config_path,
                             "model_type \"siglip2\" (NaFlex, variable resolution) is not "
                             "supported; the fixed-resolution SigLIP 2 checkpoints are");
        return FALSE;
    }
    if (g_strcmp0(model_type, "siglip") == 0)
        return parse_hf_siglip_config(config_path, object, preprocessor_path, preprocessor, config,
                                      error) &&
               check_geometry(config_path, config, error);
    return parse_hf_config(config_path, object, preprocessor_path, preprocessor, config, error) &&
           check_geometry(config_path, config, error);
}

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
