/* test-model-files.c: the model loader on the fixtures and on files broken on purpose. */
#include "clip/clip-model.h"
#include "clip/clip-safetensors.h"
#include "test-common.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>

/* ---- scratch model folders ---- */

/* A writable copy of a fixture model folder, or NULL when the test skips. */
static char *copy_fixture(const char *relative)
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

static char *model_file(const char *dir, const char *name)
{
    return g_build_filename(dir, name, NULL);
}

static GBytes *read_bytes(const char *path)
{
    g_autoptr(GError) error = NULL;
    char *contents = NULL;
    gsize length;
    g_assert_true(g_file_get_contents(path, &contents, &length, &error));
    return g_bytes_new_take(contents, length);
}

static void write_bytes(const char *path, const void *data, size_t length)
{
    g_autoptr(GError) error = NULL;
    g_assert_true(g_file_set_contents(path, data, (gssize)length, &error));
}

/* Writes a safetensors file from its parts; header_length is what the first
 * 8 bytes claim, whatever the header's real size. */
static void write_safetensors_raw(const char *path, uint64_t header_length, const void *header,
                                  size_t header_size, const void *data, size_t data_size)
{
    g_autoptr(GByteArray) file = g_byte_array_new();
    uint64_t length_le = GUINT64_TO_LE(header_length);
    g_byte_array_append(file, (const guint8 *)&length_le, sizeof length_le);
    g_byte_array_append(file, header, (guint)header_size);
    g_byte_array_append(file, data, (guint)data_size);
    write_bytes(path, file->data, file->len);
}

/* A safetensors file taken apart: the header as JSON, the data area. */
typedef struct {
    JsonNode *root;
    GByteArray *data;
} Safetensors;

static void safetensors_clear(Safetensors *st)
{
    g_clear_pointer(&st->root, json_node_unref);
    g_clear_pointer(&st->data, g_byte_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Safetensors, safetensors_clear)

static void safetensors_read(const char *path, Safetensors *st)
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

static char *safetensors_header_text(Safetensors *st)
{
    g_autoptr(JsonGenerator) generator = json_generator_new();
    json_generator_set_root(generator, st->root);
    return json_generator_to_data(generator, NULL);
}

/* misalign: pad the header so that the data area starts at an odd address,
 * as a careless writer could; otherwise pad to 8 bytes as safetensors does. */
static void safetensors_write(const char *path, Safetensors *st, gboolean misalign)
{
    g_autofree char *text = safetensors_header_text(st);
    g_autoptr(GString) header = g_string_new(text);
    while ((8 + header->len) % 8 != (misalign ? 1u : 0u))
        g_string_append_c(header, ' ');
    write_safetensors_raw(path, header->len, header->str, header->len, st->data->data,
                          st->data->len);
}

static JsonObject *safetensors_entry(Safetensors *st, const char *name)
{
    JsonObject *entry = json_object_get_object_member(json_node_get_object(st->root), name);
    g_assert_nonnull(entry);
    return entry;
}

static void set_int_array(JsonObject *entry, const char *member, guint n, const gint64 *values)
{
    JsonArray *array = json_array_new();
    for (guint i = 0; i < n; i++)
        json_array_add_int_element(array, values[i]);
    json_object_set_array_member(entry, member, array);
}

static gint64 entry_offset(JsonObject *entry, guint i)
{
    return json_array_get_int_element(json_object_get_array_member(entry, "data_offsets"), i);
}

/* Adds a tensor with the given bytes at the end of the data area. */
static void safetensors_append(Safetensors *st, const char *name, const char *dtype, guint n_dims,
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
typedef void (*SafetensorsEdit)(Safetensors *st);

static void edit_safetensors(const char *dir, const char *file, SafetensorsEdit edit)
{
    g_autofree char *path = model_file(dir, file);
    g_auto(Safetensors) st = {0};
    safetensors_read(path, &st);
    edit(&st);
    safetensors_write(path, &st, FALSE);
}

typedef void (*ConfigEdit)(JsonObject *config);

static void edit_json_file(const char *dir, const char *file, ConfigEdit edit)
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

typedef struct {
    char *name;
    const ClipTensor *tensor;
} NamedTensor;

static void named_tensor_free(gpointer data)
{
    NamedTensor *named = data;
    g_free(named->name);
    g_free(named);
}

static void add_tensor(GPtrArray *list, const ClipTensor *tensor, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

static void add_tensor(GPtrArray *list, const ClipTensor *tensor, const char *format, ...)
{
    NamedTensor *named = g_new0(NamedTensor, 1);
    va_list args;
    va_start(args, format);
    named->name = g_strdup_vprintf(format, args);
    va_end(args);
    named->tensor = tensor;
    g_ptr_array_add(list, named);
}

static void add_blocks(GPtrArray *list, const char *tower, const ClipBlock *blocks, guint n)
{
    for (guint i = 0; i < n; i++) {
        const ClipBlock *b = &blocks[i];
        add_tensor(list, &b->ln_1_weight, "%s.%u.ln_1_weight", tower, i);
        add_tensor(list, &b->ln_1_bias, "%s.%u.ln_1_bias", tower, i);
        add_tensor(list, &b->in_proj_weight, "%s.%u.in_proj_weight", tower, i);
        add_tensor(list, &b->in_proj_bias, "%s.%u.in_proj_bias", tower, i);
        add_tensor(list, &b->out_proj_weight, "%s.%u.out_proj_weight", tower, i);
        add_tensor(list, &b->out_proj_bias, "%s.%u.out_proj_bias", tower, i);
        add_tensor(list, &b->ln_2_weight, "%s.%u.ln_2_weight", tower, i);
        add_tensor(list, &b->ln_2_bias, "%s.%u.ln_2_bias", tower, i);
        add_tensor(list, &b->fc_weight, "%s.%u.fc_weight", tower, i);
        add_tensor(list, &b->fc_bias, "%s.%u.fc_bias", tower, i);
        add_tensor(list, &b->proj_weight, "%s.%u.proj_weight", tower, i);
        add_tensor(list, &b->proj_bias, "%s.%u.proj_bias", tower, i);
    }
}

/* Every weight of a model, named, in a fixed order. */
static GPtrArray *model_tensors(const ClipModel *m)
{
    GPtrArray *list = g_ptr_array_new_with_free_func(named_tensor_free);
    add_tensor(list, &m->patch_weight, "patch_weight");
    add_tensor(list, &m->class_embedding, "class_embedding");
    add_tensor(list, &m->vision_positions, "vision_positions");
    add_tensor(list, &m->ln_pre_weight, "ln_pre_weight");
    add_tensor(list, &m->ln_pre_bias, "ln_pre_bias");
    add_blocks(list, "vision", m->vision_blocks, m->config.vision.layers);
    add_tensor(list, &m->ln_post_weight, "ln_post_weight");
    add_tensor(list, &m->ln_post_bias, "ln_post_bias");
    add_tensor(list, &m->vision_projection, "vision_projection");
    add_tensor(list, &m->token_embedding, "token_embedding");
    add_tensor(list, &m->text_positions, "text_positions");
    add_blocks(list, "text", m->text_blocks, m->config.text.layers);
    add_tensor(list, &m->ln_final_weight, "ln_final_weight");
    add_tensor(list, &m->ln_final_bias, "ln_final_bias");
    add_tensor(list, &m->text_projection, "text_projection");
    return list;
}

static float *tensor_values(const ClipTensor *tensor)
{
    float *values = g_new(float, tensor->n_elements);
    clip_tensor_to_f32(tensor, values);
    return values;
}

static void assert_same_geometry(const ClipTransformerGeometry *a, const ClipTransformerGeometry *b)
{
    g_assert_cmpuint(a->width, ==, b->width);
    g_assert_cmpuint(a->layers, ==, b->layers);
    g_assert_cmpuint(a->heads, ==, b->heads);
    g_assert_cmpuint(a->mlp_width, ==, b->mlp_width);
    g_assert_cmpfloat(a->eps, ==, b->eps);
}

static void assert_same_config(const ClipConfig *a, const ClipConfig *b)
{
    assert_same_geometry(&a->vision, &b->vision);
    assert_same_geometry(&a->text, &b->text);
    g_assert_cmpuint(a->image_size, ==, b->image_size);
    g_assert_cmpuint(a->patch_size, ==, b->patch_size);
    g_assert_cmpuint(a->context_length, ==, b->context_length);
    g_assert_cmpuint(a->vocab_size, ==, b->vocab_size);
    g_assert_cmpuint(a->embed_dim, ==, b->embed_dim);
    g_assert_cmpint(a->activation, ==, b->activation);
    for (int i = 0; i < 3; i++) {
        g_assert_cmpfloat(a->image_mean[i], ==, b->image_mean[i]);
        g_assert_cmpfloat(a->image_std[i], ==, b->image_std[i]);
    }
}

/* Same shapes everywhere; values within max_error (0: equal). */
static void assert_same_weights(const ClipModel *a, const ClipModel *b, float max_error)
{
    g_autoptr(GPtrArray) ta = model_tensors(a);
    g_autoptr(GPtrArray) tb = model_tensors(b);
    g_assert_cmpuint(ta->len, ==, tb->len);
    for (guint i = 0; i < ta->len; i++) {
        const NamedTensor *x = g_ptr_array_index(ta, i), *y = g_ptr_array_index(tb, i);
        gboolean same_shape = x->tensor->n_dims == y->tensor->n_dims &&
                              x->tensor->n_elements == y->tensor->n_elements;
        for (guint d = 0; same_shape && d < x->tensor->n_dims; d++)
            same_shape = x->tensor->shape[d] == y->tensor->shape[d];
        if (!same_shape)
            g_error("%s: the shapes differ", x->name);
        g_autofree float *vx = tensor_values(x->tensor);
        g_autofree float *vy = tensor_values(y->tensor);
        for (size_t k = 0; k < x->tensor->n_elements; k++)
            if (!(fabsf(vx[k] - vy[k]) <= max_error))
                g_error("%s[%zu]: %.9g vs %.9g", x->name, k, (double)vx[k], (double)vy[k]);
    }
    /* logit_scale is stored as its log: compare it there. */
    g_assert_cmpfloat_with_epsilon(logf(a->logit_scale), logf(b->logit_scale), max_error + 1e-6f);
}

static ClipModel *load_ok(const char *dir)
{
    g_autoptr(GError) error = NULL;
    ClipModel *model = clip_model_load(dir, &error);
    g_assert_no_error(error);
    g_assert_nonnull(model);
    return model;
}

static ClipModel *load_fixture(const char *relative)
{
    g_autofree char *dir = test_fixture_path(relative);
    return dir != NULL ? load_ok(dir) : NULL;
}

/* ---- the fixtures load ---- */

static void test_layouts_agree(void)
{
    g_autoptr(ClipModel) hf = load_fixture("tiny-f32/hf");
    g_autoptr(ClipModel) openclip = load_fixture("tiny-f32/openclip");
    if (hf == NULL)
        return;
    assert_same_config(&hf->config, &openclip->config);
    assert_same_weights(hf, openclip, 0.0f);
    g_assert_cmpfloat(hf->logit_scale, ==, openclip->logit_scale);

    g_autoptr(GPtrArray) tensors = model_tensors(hf);
    for (guint i = 0; i < tensors->len; i++) {
        const NamedTensor *named = g_ptr_array_index(tensors, i);
        g_assert_cmpint(named->tensor->dtype, ==, CLIP_DTYPE_F32);
    }
}

static void assert_tower(const ClipTransformerGeometry *g, JsonObject *config)
{
    g_assert_cmpuint(g->width, ==, json_object_get_int_member(config, "hidden_size"));
    g_assert_cmpuint(g->layers, ==, json_object_get_int_member(config, "num_hidden_layers"));
    g_assert_cmpuint(g->heads, ==, json_object_get_int_member(config, "num_attention_heads"));
    g_assert_cmpuint(g->mlp_width, ==, json_object_get_int_member(config, "intermediate_size"));
    g_assert_cmpfloat_with_epsilon(g->eps, json_object_get_double_member(config, "layer_norm_eps"),
                                   1e-9);
}

static void test_geometry(void)
{
    g_autofree char *dir = test_fixture_path("tiny-f32/hf");
    if (dir == NULL)
        return;
    g_autoptr(ClipModel) model = load_ok(dir);
    g_autofree char *config_path = model_file(dir, "config.json");
    g_autofree char *pre_path = model_file(dir, "preprocessor_config.json");
    g_autoptr(JsonNode) root = test_load_json(config_path);
    g_autoptr(JsonNode) pre_root = test_load_json(pre_path);
    JsonObject *config = json_node_get_object(root);
    JsonObject *text = json_object_get_object_member(config, "text_config");
    JsonObject *vision = json_object_get_object_member(config, "vision_config");
    const ClipConfig *c = &model->config;

    assert_tower(&c->text, text);
    assert_tower(&c->vision, vision);
    g_assert_cmpuint(c->context_length, ==,
                     json_object_get_int_member(text, "max_position_embeddings"));
    g_assert_cmpuint(c->vocab_size, ==, json_object_get_int_member(text, "vocab_size"));
    g_assert_cmpuint(c->image_size, ==, json_object_get_int_member(vision, "image_size"));
    g_assert_cmpuint(c->patch_size, ==, json_object_get_int_member(vision, "patch_size"));
    g_assert_cmpuint(c->embed_dim, ==, json_object_get_int_member(config, "projection_dim"));
    g_assert_cmpint(c->activation, ==, GPU_ACTIVATION_QUICK_GELU);
    JsonArray *mean = json_object_get_array_member(json_node_get_object(pre_root), "image_mean");
    JsonArray *std = json_object_get_array_member(json_node_get_object(pre_root), "image_std");
    for (guint i = 0; i < 3; i++) {
        g_assert_cmpfloat(c->image_mean[i], ==, (float)json_array_get_double_element(mean, i));
        g_assert_cmpfloat(c->image_std[i], ==, (float)json_array_get_double_element(std, i));
    }

    /* The shapes the forward pass relies on. */
    uint32_t grid = c->image_size / c->patch_size;
    g_assert_cmpuint(model->vision_positions.shape[0], ==, 1 + grid * grid);
    g_assert_cmpuint(model->vision_projection.shape[0], ==, c->embed_dim);
    g_assert_cmpuint(model->vision_projection.shape[1], ==, c->vision.width);
    g_assert_cmpuint(model->text_projection.shape[0], ==, c->embed_dim);
    g_assert_cmpuint(model->text_projection.shape[1], ==, c->text.width);
    g_assert_cmpuint(model->vision_blocks[0].in_proj_weight.shape[0], ==, 3 * c->vision.width);
    g_assert_cmpuint(model->text_blocks[1].fc_weight.shape[0], ==, c->text.mlp_width);
    g_assert_true(isfinite(model->logit_scale) && model->logit_scale > 1.0f);

    g_autofree char *openclip_dir = test_fixture_path("tiny-f32/openclip");
    g_autoptr(ClipModel) openclip = load_ok(openclip_dir);
    g_autofree char *openclip_path = model_file(openclip_dir, "open_clip_config.json");
    g_autoptr(JsonNode) openclip_root = test_load_json(openclip_path);
    JsonObject *model_cfg =
        json_object_get_object_member(json_node_get_object(openclip_root), "model_cfg");
    JsonObject *vision_cfg = json_object_get_object_member(model_cfg, "vision_cfg");
    JsonObject *text_cfg = json_object_get_object_member(model_cfg, "text_cfg");
    const ClipConfig *o = &openclip->config;
    g_assert_cmpuint(o->embed_dim, ==, json_object_get_int_member(model_cfg, "embed_dim"));
    g_assert_cmpuint(o->vision.width, ==, json_object_get_int_member(vision_cfg, "width"));
    g_assert_cmpuint(o->vision.layers, ==, json_object_get_int_member(vision_cfg, "layers"));
    g_assert_cmpuint(o->vision.heads, ==, o->vision.width / 64); /* head_width's default */
    g_assert_cmpuint(o->vision.mlp_width, ==, 4 * o->vision.width);
    g_assert_cmpuint(o->image_size, ==, json_object_get_int_member(vision_cfg, "image_size"));
    g_assert_cmpuint(o->patch_size, ==, json_object_get_int_member(vision_cfg, "patch_size"));
    g_assert_cmpuint(o->text.width, ==, json_object_get_int_member(text_cfg, "width"));
    g_assert_cmpuint(o->text.heads, ==, json_object_get_int_member(text_cfg, "heads"));
    g_assert_cmpuint(o->text.layers, ==, json_object_get_int_member(text_cfg, "layers"));
    g_assert_cmpuint(o->context_length, ==, json_object_get_int_member(text_cfg, "context_length"));
    g_assert_cmpint(o->activation, ==, GPU_ACTIVATION_QUICK_GELU);
}

/* F16 weights stay F16; the stacked in_proj holds q, k, v bytes in order. */
static void test_f16(void)
{
    g_autofree char *dir = test_fixture_path("tiny-f16/hf");
    if (dir == NULL)
        return;
    g_autoptr(ClipModel) model = load_ok(dir);
    g_autoptr(GPtrArray) tensors = model_tensors(model);
    for (guint i = 0; i < tensors->len; i++) {
        const NamedTensor *named = g_ptr_array_index(tensors, i);
        if (named->tensor->dtype != CLIP_DTYPE_F16)
            g_error("%s is not F16", named->name);
    }

    g_autofree char *path = model_file(dir, "model.safetensors");
    g_autoptr(GError) error = NULL;
    g_autoptr(ClipSafetensors) st = clip_safetensors_open(path, &error);
    g_assert_no_error(error);
    const ClipBlock *block = &model->text_blocks[1];
    size_t C = model->config.text.width;
    const char *parts[3] = {"q", "k", "v"};
    for (int i = 0; i < 3; i++) {
        g_autofree char *weight =
            g_strdup_printf("text_model.encoder.layers.1.self_attn.%s_proj.weight", parts[i]);
        g_autofree char *bias =
            g_strdup_printf("text_model.encoder.layers.1.self_attn.%s_proj.bias", parts[i]);
        const ClipSafetensorsTensor *w = clip_safetensors_lookup(st, weight);
        const ClipSafetensorsTensor *b = clip_safetensors_lookup(st, bias);
        g_assert_nonnull(w);
        g_assert_nonnull(b);
        g_assert_cmpstr(w->dtype_name, ==, "F16");
        g_assert_cmpmem((const uint8_t *)block->in_proj_weight.data + i * C * C * 2, C * C * 2,
                        w->data, w->end - w->begin);
        g_assert_cmpmem((const uint8_t *)block->in_proj_bias.data + i * C * 2, C * 2, b->data,
                        b->end - b->begin);
    }
    const ClipSafetensorsTensor *scale = clip_safetensors_lookup(st, "logit_scale");
    uint16_t half;
    memcpy(&half, scale->data, 2);
    g_assert_cmpfloat_with_epsilon(model->logit_scale, expf(gpu_f16_to_f32(half)), 1e-4);
}

static void test_model_id(void)
{
    g_autofree char *dir = test_fixture_path("tiny-f32/hf");
    if (dir == NULL)
        return;
    g_autoptr(ClipModel) first = load_ok(dir);
    g_autoptr(ClipModel) second = load_ok(dir);
    g_autoptr(ClipModel) f16 = load_fixture("tiny-f16/hf");
    g_autoptr(ClipModel) openclip = load_fixture("tiny-f32/openclip");
    g_assert_cmpuint(strlen(first->id), ==, 16);
    for (const char *c = first->id; *c != '\0'; c++)
        g_assert_true(g_ascii_isxdigit(*c));
    g_assert_cmpstr(first->id, ==, second->id);
    g_assert_cmpstr(first->id, !=, f16->id);
    g_assert_cmpstr(first->id, !=, openclip->id);
    g_assert_cmpstr(first->name, ==, "hf");
    g_assert_cmpstr(openclip->name, ==, "openclip");
    g_assert_cmpstr(first->dir, ==, dir);
}

static void nudge_last_weight(Safetensors *st)
{
    g_assert_cmpuint(st->data->len, >, 0);
    st->data->data[st->data->len - 1] ^= 0x01;
}

/* A retrained model keeps the header and configs of the one before it; its
 * id must still differ, or caches keyed by it (album prompts) would serve
 * the old model's results. */
static void test_model_id_follows_weights(void)
{
    g_autofree char *dir = copy_fixture("tiny-f32/hf");
    if (dir == NULL)
        return;
    g_autoptr(ClipModel) before = load_ok(dir);
    edit_safetensors(dir, "model.safetensors", nudge_last_weight);
    g_autoptr(ClipModel) after = load_ok(dir);
    g_assert_cmpstr(before->id, !=, after->id);
    test_remove_tree(dir);
}

/* ---- variants that must load ---- */

static void move_to_dict(JsonObject *config)
{
    JsonNode *text = json_object_dup_member(config, "text_config");
    JsonNode *vision = json_object_dup_member(config, "vision_config");
    json_object_remove_member(config, "vision_config");
    json_object_set_member(config, "text_config_dict", text);
    json_object_set_member(config, "vision_config_dict", vision);
    /* Old transformers wrote the new name as null beside the dict. */
    json_object_set_null_member(config, "text_config");
}

static void test_old_config_dicts(void)
{
    g_autofree char *dir = copy_fixture("tiny-f32/hf");
    if (dir == NULL)
        return;
    g_autoptr(ClipModel) reference = load_fixture("tiny-f32/hf");
    edit_json_file(dir, "config.json", move_to_dict);
    g_autoptr(ClipModel) model = load_ok(dir);
    assert_same_config(&model->config, &reference->config);
    assert_same_weights(model, reference, 0.0f);
    g_assert_cmpstr(model->id, !=, reference->id);
    test_remove_tree(dir);
}

static const char *const odd_names[] = {"odd\"name", "odd\\name", "odd\nname", "näme"};

static void add_unused_tensors(Safetensors *st)
{
    /* Real HF checkpoints carry these I64 buffers. */
    gint64 ids[77];
    for (int i = 0; i < 77; i++)
        ids[i] = i;
    gint64 text_shape[2] = {1, 77}, vision_shape[2] = {1, 17};
    safetensors_append(st, "text_model.embeddings.position_ids", "I64", 2, text_shape, ids,
                       sizeof ids);
    safetensors_append(st, "vision_model.embeddings.position_ids", "I64", 2, vision_shape, ids,
                       17 * sizeof ids[0]);
    /* Escaped names that differ only once unescaped are not duplicates. */
    gint64 empty[1] = {0};
    for (size_t i = 0; i < G_N_ELEMENTS(odd_names); i++)
        safetensors_append(st, odd_names[i], "F32", 1, empty, NULL, 0);
    JsonObject *metadata = json_object_new();
    json_object_set_string_member(metadata, "format", "pt");
    json_object_set_object_member(json_node_get_object(st->root), "__metadata__", metadata);
}

/* Unused I64 tensors, odd names and a data area at an odd address all load;
 * the weights come out the same as the fixture's. */
static void test_unused_tensors_and_misalignment(void)
{
    g_autofree char *dir = copy_fixture("tiny-f32/hf");
    if (dir == NULL)
        return;
    g_autoptr(ClipModel) reference = load_fixture("tiny-f32/hf");
    g_autofree char *path = model_file(dir, "model.safetensors");
    g_auto(Safetensors) st = {0};
    safetensors_read(path, &st);
    add_unused_tensors(&st);
    safetensors_write(path, &st, TRUE);

    g_autoptr(ClipModel) model = load_ok(dir);
    assert_same_weights(model, reference, 0.0f);
    g_assert_cmpuint((uintptr_t)model->token_embedding.data % sizeof(float), ==, 0);

    g_autoptr(GError) error = NULL;
    g_autoptr(ClipSafetensors) reader = clip_safetensors_open(path, &error);
    g_assert_no_error(error);
    for (size_t i = 0; i < G_N_ELEMENTS(odd_names); i++)
        g_assert_nonnull(clip_safetensors_lookup(reader, odd_names[i]));
    const ClipSafetensorsTensor *ids =
        clip_safetensors_lookup(reader, "text_model.embeddings.position_ids");
    g_assert_nonnull(ids);
    g_assert_false(ids->is_float);
    g_assert_cmpuint(ids->n_elements, ==, 77);
    g_assert_null(clip_safetensors_lookup(reader, "__metadata__"));
    test_remove_tree(dir);
}

static uint16_t f32_to_bf16(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    x += 0x7fffu + ((x >> 16) & 1u); /* round to nearest even; no NaNs here */
    return (uint16_t)(x >> 16);
}

/* Every tensor to BF16 but one q/k/v part, which forces an F32 in_proj. */
static const char *const kept_f32 = "text_model.encoder.layers.0.self_attn.k_proj.weight";

static void convert_to_bf16(Safetensors *st)
{
    g_autoptr(GByteArray) data = g_byte_array_new();
    JsonObjectIter iter;
    const char *name;
    JsonNode *node;
    json_object_iter_init(&iter, json_node_get_object(st->root));
    while (json_object_iter_next(&iter, &name, &node)) {
        if (strcmp(name, "__metadata__") == 0)
            continue;
        JsonObject *entry = json_node_get_object(node);
        gint64 begin = entry_offset(entry, 0), end = entry_offset(entry, 1);
        const uint8_t *source = st->data->data + begin;
        gint64 offsets[2] = {data->len, 0};
        if (strcmp(name, kept_f32) == 0) {
            g_byte_array_append(data, source, (guint)(end - begin));
        } else {
            for (gint64 i = 0; i < (end - begin) / 4; i++) {
                float f;
                memcpy(&f, source + 4 * i, sizeof f);
                uint16_t b = f32_to_bf16(f);
                g_byte_array_append(data, (const guint8 *)&b, sizeof b);
            }
            json_object_set_string_member(entry, "dtype", "BF16");
        }
        offsets[1] = data->len;
        set_int_array(entry, "data_offsets", 2, offsets);
    }
    g_byte_array_unref(st->data);
    st->data = g_byte_array_ref(data);
}

static void test_bf16(void)
{
    g_autofree char *dir = copy_fixture("tiny-f32/hf");
    if (dir == NULL)
        return;
    g_autoptr(ClipModel) reference = load_fixture("tiny-f32/hf");
    edit_safetensors(dir, "model.safetensors", convert_to_bf16);
    g_autoptr(ClipModel) model = load_ok(dir);
    g_assert_cmpint(model->token_embedding.dtype, ==, CLIP_DTYPE_BF16);
    g_assert_cmpint(model->text_blocks[1].in_proj_weight.dtype, ==, CLIP_DTYPE_BF16);
    g_assert_cmpint(model->text_blocks[0].in_proj_weight.dtype, ==, CLIP_DTYPE_F32);
    /* BF16 keeps 8 significant bits; the fixture's weights are all below 4. */
    assert_same_weights(model, reference, 4.0f / 256.0f);
    test_remove_tree(dir);
}

/* ---- broken files ---- */

static void assert_load_fails(const char *dir, ClipError code, const char *file, const char *detail)
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

/* Copies tiny-f32/hf, changes its weights file with `edit`, expects an error. */
static void check_broken_weights(SafetensorsEdit edit, ClipError code, const char *detail)
{
    g_autofree char *dir = copy_fixture("tiny-f32/hf");
    if (dir == NULL)
        return;
    edit_safetensors(dir, "model.safetensors", edit);
    assert_load_fails(dir, code, "model.safetensors", detail);
    test_remove_tree(dir);
}

static void check_broken_config(const char *layout, const char *file, ConfigEdit edit,
                                ClipError code, const char *detail)
{
    g_autofree char *dir = copy_fixture(layout);
    if (dir == NULL)
        return;
    edit_json_file(dir, file, edit);
    assert_load_fails(dir, code, file, detail);
    test_remove_tree(dir);
}

/* Writes dir/model.safetensors from scratch: a claimed header length, a
 * header text, and the fixture's data area. */
static void check_raw_header(uint64_t claimed_length, const char *header, size_t header_size,
                             ClipError code, const char *detail)
{
    g_autofree char *dir = copy_fixture("tiny-f32/hf");
    if (dir == NULL)
        return;
    g_autofree char *path = model_file(dir, "model.safetensors");
    g_auto(Safetensors) st = {0};
    safetensors_read(path, &st);
    write_safetensors_raw(path, claimed_length, header, header_size, st.data->data, st.data->len);
    assert_load_fails(dir, code, "model.safetensors", detail);
    test_remove_tree(dir);
}

static void test_truncated(void)
{
    g_autofree char *dir = copy_fixture("tiny-f32/hf");
    if (dir == NULL)
        return;
    g_autofree char *path = model_file(dir, "model.safetensors");
    g_autoptr(GBytes) bytes = read_bytes(path);
    gsize size;
    const uint8_t *data = g_bytes_get_data(bytes, &size);

    write_bytes(path, data, size - 1);
    assert_load_fails(dir, CLIP_ERROR_MALFORMED, "model.safetensors", "truncated");
    write_bytes(path, data, 100);
    assert_load_fails(dir, CLIP_ERROR_MALFORMED, "model.safetensors", "truncated");
    write_bytes(path, data, 5);
    assert_load_fails(dir, CLIP_ERROR_MALFORMED, "model.safetensors", "too short");
    write_bytes(path, data, 0);
    assert_load_fails(dir, CLIP_ERROR_MALFORMED, "model.safetensors", "too short");
    g_remove(path);
    assert_load_fails(dir, CLIP_ERROR_IO, "model.safetensors", "No such file");
    test_remove_tree(dir);
}

static void test_header_past_end(void)
{
    const char *header = "{}";
    /* under the cap, over the 13 MB file */
    check_raw_header(50u << 20, header, strlen(header), CLIP_ERROR_MALFORMED, "past the end");
}

static void test_header_over_cap(void)
{
    const char *header = "{}";
    check_raw_header(G_GUINT64_CONSTANT(1) << 40, header, strlen(header), CLIP_ERROR_MALFORMED,
                     "exceeds the limit");
    check_raw_header(G_MAXUINT64, header, strlen(header), CLIP_ERROR_MALFORMED,
                     "exceeds the limit");
}

static void test_header_not_json(void)
{
    const char *text = "{\"logit_scale\": {\"dtype\": \"F32\", ";
    check_raw_header(strlen(text), text, strlen(text), CLIP_ERROR_MALFORMED, "not valid JSON");
    const char *array = "[1, 2, 3]";
    check_raw_header(strlen(array), array, strlen(array), CLIP_ERROR_MALFORMED,
                     "not a JSON object");
    check_raw_header(0, "", 0, CLIP_ERROR_MALFORMED, "header");
    const char *latin1 = "{\"caf\xe9\": 1}";
    check_raw_header(strlen(latin1), latin1, strlen(latin1), CLIP_ERROR_MALFORMED, "UTF-8");
    const char nul[] = "{\"a\0\": 1}";
    check_raw_header(sizeof nul - 1, nul, sizeof nul - 1, CLIP_ERROR_MALFORMED, "UTF-8");
    g_autoptr(GString) deep = g_string_new("{\"a\":");
    for (int i = 0; i < 100000; i++)
        g_string_append_c(deep, '[');
    check_raw_header(deep->len, deep->str, deep->len, CLIP_ERROR_MALFORMED, "nests deeper");
    /* json-glib 1.6 takes comments and single-quoted strings: brackets in
     * them are no cover for the nesting that follows. */
    const char *const covers[] = {"/*\"*/", "//\"\n", "'\"'"};
    for (size_t i = 0; i < G_N_ELEMENTS(covers); i++) {
        g_autoptr(GString) hidden = g_string_new(covers[i]);
        for (int k = 0; k < 100000; k++)
            g_string_append_c(hidden, '[');
        check_raw_header(hidden->len, hidden->str, hidden->len, CLIP_ERROR_MALFORMED,
                         "a comment or a single-quoted string");
    }
    const char *entry = "{\"logit_scale\": [1, 2]}";
    check_raw_header(strlen(entry), entry, strlen(entry), CLIP_ERROR_MALFORMED,
                     "tensor logit_scale: entry is not a JSON object");
}

/* A model folder whose JSON would overflow json-glib's stack: spyglass-cli
 * exits 1 with one line naming the file. */
static void test_hostile_json_cli(void)
{
    const char *cli = g_getenv("SPYGLASS_CLI");
    g_autofree char *dir = copy_fixture("tiny-f32/hf");
    if (dir == NULL || cli == NULL) {
        if (cli == NULL)
            g_test_skip("needs SPYGLASS_CLI");
        return;
    }
    g_autoptr(GString) hostile = g_string_new("/*\"*/");
    for (int i = 0; i < 200000; i++)
        g_string_append_c(hostile, '[');
    const char *const files[] = {"config.json", "vocab.json"};
    const char *const commands[] = {"embed-text", "tokenize"};
    for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *path = model_file(dir, files[i]);
        g_autoptr(GBytes) original = read_bytes(path);
        write_bytes(path, hostile->str, hostile->len);
        const char *argv[] = {cli,         "--model",   dir,     "--device",
                              "reference", commands[i], "a cat", NULL};
        g_autofree char *out = NULL, *err = NULL;
        int status = 0;
        g_autoptr(GError) error = NULL;
        g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                                   &err, &status, &error));
        g_assert_no_error(error);
        g_test_message("%s: %s", files[i], err);
        g_assert_true(WIFEXITED(status));
        g_assert_cmpint(WEXITSTATUS(status), ==, 1);
        g_assert_nonnull(strstr(err, path));
        g_assert_nonnull(strstr(err, "a comment or a single-quoted string"));
        g_assert_cmpint(strchr(err, '\n') - err, ==, (int)strlen(err) - 1);
        write_bytes(path, g_bytes_get_data(original, NULL), g_bytes_get_size(original));
    }
    test_remove_tree(dir);
}

static void make_overlap(Safetensors *st)
{
    JsonObject *weight = safetensors_entry(st, "text_model.encoder.layers.0.layer_norm1.weight");
    JsonObject *bias = safetensors_entry(st, "text_model.encoder.layers.0.layer_norm1.bias");
    gint64 offsets[2] = {entry_offset(weight, 0) + 4, entry_offset(weight, 1) + 4};
    set_int_array(bias, "data_offsets", 2, offsets);
}

static void test_offsets_overlap(void)
{
    check_broken_weights(make_overlap, CLIP_ERROR_MALFORMED, "overlap");
}

static void make_outside(Safetensors *st)
{
    gint64 offsets[2] = {st->data->len - 2, st->data->len + 2};
    set_int_array(safetensors_entry(st, "logit_scale"), "data_offsets", 2, offsets);
}

static void make_reversed(Safetensors *st)
{
    gint64 offsets[2] = {8, 4};
    set_int_array(safetensors_entry(st, "logit_scale"), "data_offsets", 2, offsets);
}

static void make_negative(Safetensors *st)
{
    gint64 offsets[2] = {-4, 0};
    set_int_array(safetensors_entry(st, "logit_scale"), "data_offsets", 2, offsets);
}

static void test_offsets_outside(void)
{
    check_broken_weights(make_outside, CLIP_ERROR_MALFORMED, "tensor logit_scale: data_offsets");
    check_broken_weights(make_reversed, CLIP_ERROR_MALFORMED, "end before they begin");
    check_broken_weights(make_negative, CLIP_ERROR_MALFORMED, "non-negative integers");
}

static void make_size_mismatch(Safetensors *st)
{
    gint64 shape[1] = {65};
    set_int_array(safetensors_entry(st, "text_model.final_layer_norm.weight"), "shape", 1, shape);
}

static void make_shape_overflow(Safetensors *st)
{
    gint64 shape[3] = {G_GINT64_CONSTANT(1) << 40, G_GINT64_CONSTANT(1) << 40, 1 << 20};
    set_int_array(safetensors_entry(st, "text_model.final_layer_norm.weight"), "shape", 3, shape);
}

static void make_too_many_dims(Safetensors *st)
{
    gint64 shape[9] = {64, 1, 1, 1, 1, 1, 1, 1, 1};
    set_int_array(safetensors_entry(st, "text_model.final_layer_norm.weight"), "shape", 9, shape);
}

static void test_size_mismatch(void)
{
    check_broken_weights(make_size_mismatch, CLIP_ERROR_MALFORMED,
                         "tensor text_model.final_layer_norm.weight: data_offsets");
    check_broken_weights(make_shape_overflow, CLIP_ERROR_MALFORMED, "overflows");
    check_broken_weights(make_too_many_dims, CLIP_ERROR_MALFORMED, "dimensions");
}

static void make_unknown_dtype(Safetensors *st)
{
    json_object_set_string_member(safetensors_entry(st, "logit_scale"), "dtype", "Q4_K");
}

/* I8 with 4× the elements keeps the byte count, so only the dtype is wrong. */
static void make_integer_weight(Safetensors *st)
{
    JsonObject *entry = safetensors_entry(st, "text_model.final_layer_norm.weight");
    json_object_set_string_member(entry, "dtype", "I8");
    gint64 shape[1] = {256};
    set_int_array(entry, "shape", 1, shape);
}

static void test_wrong_dtype(void)
{
    check_broken_weights(make_unknown_dtype, CLIP_ERROR_UNSUPPORTED,
                         "tensor logit_scale: unsupported dtype \"Q4_K\"");
    check_broken_weights(make_integer_weight, CLIP_ERROR_UNSUPPORTED,
                         "tensor text_model.final_layer_norm.weight has dtype I8");
}

static void make_shape_mismatch(Safetensors *st)
{
    gint64 shape[2] = {64, 256};
    set_int_array(safetensors_entry(st, "text_model.encoder.layers.1.mlp.fc1.weight"), "shape", 2,
                  shape);
}

static void test_shape_mismatch(void)
{
    check_broken_weights(make_shape_mismatch, CLIP_ERROR_MISMATCH,
                         "tensor text_model.encoder.layers.1.mlp.fc1.weight has shape [64, 256], "
                         "expected [256, 64]");
}

static void widen_text(JsonObject *config)
{
    json_object_set_int_member(json_object_get_object_member(config, "text_config"),
                               "intermediate_size", 512);
}

/* A config that disagrees with the weights is blamed on the weights file,
 * naming the first tensor that does not fit. */
static void test_config_disagrees(void)
{
    g_autofree char *dir = copy_fixture("tiny-f32/hf");
    if (dir == NULL)
        return;
    edit_json_file(dir, "config.json", widen_text);
    assert_load_fails(dir, CLIP_ERROR_MISMATCH, "model.safetensors",
                      "tensor text_model.encoder.layers.0.mlp.fc1.weight has shape [256, 64], "
                      "expected [512, 64]");
    test_remove_tree(dir);
}

static void remove_v_bias(Safetensors *st)
{
    json_object_remove_member(json_node_get_object(st->root),
                              "vision_model.encoder.layers.1.self_attn.v_proj.bias");
}

static void remove_logit_scale(Safetensors *st)
{
    json_object_remove_member(json_node_get_object(st->root), "logit_scale");
}

static void test_missing_tensor(void)
{
    check_broken_weights(remove_v_bias, CLIP_ERROR_MISMATCH,
                         "missing tensor vision_model.encoder.layers.1.self_attn.v_proj.bias");
    check_broken_weights(remove_logit_scale, CLIP_ERROR_MISMATCH, "missing tensor logit_scale");
}

/* Puts a second member named `key` (as written, escapes and all) at the
 * start of the header. */
static void check_duplicate(const char *key)
{
    g_autofree char *dir = copy_fixture("tiny-f32/hf");
    if (dir == NULL)
        return;
    g_autofree char *path = model_file(dir, "model.safetensors");
    g_auto(Safetensors) st = {0};
    safetensors_read(path, &st);
    g_autofree char *text = safetensors_header_text(&st);
    g_assert_true(text[0] == '{');
    g_autofree char *header = g_strdup_printf(
        "{\"%s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},%s", key, text + 1);
    write_safetensors_raw(path, strlen(header), header, strlen(header), st.data->data,
                          st.data->len);
    assert_load_fails(dir, CLIP_ERROR_MALFORMED, "model.safetensors", "twice");
    test_remove_tree(dir);
}

static void test_duplicate_key(void)
{
    check_duplicate("logit_scale");
    check_duplicate("logit\\u005fscale");
    check_duplicate("text_model.final_layer_norm.weigh\\u0074");
}

static void make_duplicate_field(Safetensors *st)
{
    /* A JsonObject cannot hold it twice: rename after generating. */
    json_object_set_string_member(safetensors_entry(st, "logit_scale"), "dtypf", "F16");
}

static void test_duplicate_field(void)
{
    g_autofree char *dir = copy_fixture("tiny-f32/hf");
    if (dir == NULL)
        return;
    g_autofree char *path = model_file(dir, "model.safetensors");
    g_auto(Safetensors) st = {0};
    safetensors_read(path, &st);
    make_duplicate_field(&st);
    g_autofree char *text = safetensors_header_text(&st);
    char *field = strstr(text, "\"dtypf\"");
    g_assert_nonnull(field);
    field[5] = 'e';
    write_safetensors_raw(path, strlen(text), text, strlen(text), st.data->data, st.data->len);
    assert_load_fails(dir, CLIP_ERROR_MALFORMED, "model.safetensors", "\"dtype\" twice");
    test_remove_tree(dir);
}

static void test_config_not_json(void)
{
    g_autofree char *dir = copy_fixture("tiny-f32/hf");
    if (dir == NULL)
        return;
    g_autofree char *path = model_file(dir, "config.json");
    write_bytes(path, "{\"text_config\": {", 17);
    assert_load_fails(dir, CLIP_ERROR_MALFORMED, "config.json", "not valid JSON");
    write_bytes(path, "[]", 2);
    assert_load_fails(dir, CLIP_ERROR_MALFORMED, "config.json", "not a JSON object");
    g_autofree char *pre = model_file(dir, "preprocessor_config.json");
    g_autofree char *fixture = test_fixture_path("tiny-f32/hf/config.json");
    g_autoptr(GBytes) original = read_bytes(fixture);
    write_bytes(path, g_bytes_get_data(original, NULL), g_bytes_get_size(original));
    write_bytes(pre, "nope", 4);
    assert_load_fails(dir, CLIP_ERROR_MALFORMED, "preprocessor_config.json", "not valid JSON");
    test_remove_tree(dir);
}

static void set_string_width(JsonObject *config)
{
    json_object_set_string_member(json_object_get_object_member(config, "vision_config"),
                                  "hidden_size", "64");
}

static void set_three_heads(JsonObject *config)
{
    json_object_set_int_member(json_object_get_object_member(config, "text_config"),
                               "num_attention_heads", 3);
}

static void set_zero_patch(JsonObject *config)
{
    json_object_set_int_member(json_object_get_object_member(config, "vision_config"), "patch_size",
                               0);
}

static void set_huge_width(JsonObject *config)
{
    json_object_set_int_member(json_object_get_object_member(config, "text_config"), "hidden_size",
                               G_GINT64_CONSTANT(1) << 40);
}

static void set_absurd_layers(JsonObject *config)
{
    json_object_set_int_member(json_object_get_object_member(config, "text_config"),
                               "num_hidden_layers", 100000);
}

static void set_relu(JsonObject *config)
{
    json_object_set_string_member(json_object_get_object_member(config, "text_config"),
                                  "hidden_act", "relu");
}

static void set_mixed_activations(JsonObject *config)
{
    json_object_set_string_member(json_object_get_object_member(config, "text_config"),
                                  "hidden_act", "gelu");
}

static void set_bad_mean(JsonObject *config)
{
    json_object_set_string_member(config, "image_mean", "imagenet");
}

static void test_config_values(void)
{
    check_broken_config("tiny-f32/hf", "config.json", set_string_width, CLIP_ERROR_MALFORMED,
                        "vision_config.hidden_size is not a non-negative integer");
    check_broken_config("tiny-f32/hf", "config.json", set_three_heads, CLIP_ERROR_MALFORMED,
                        "text width 64 is not a multiple of its 3 heads");
    check_broken_config("tiny-f32/hf", "config.json", set_zero_patch, CLIP_ERROR_MALFORMED,
                        "patch size is 0");
    check_broken_config("tiny-f32/hf", "config.json", set_huge_width, CLIP_ERROR_MALFORMED,
                        "text_config.hidden_size");
    check_broken_config("tiny-f32/hf", "config.json", set_absurd_layers, CLIP_ERROR_UNSUPPORTED,
                        "text layers 100000 is beyond");
    check_broken_config("tiny-f32/hf", "config.json", set_relu, CLIP_ERROR_UNSUPPORTED,
                        "text_config.hidden_act \"relu\"");
    check_broken_config("tiny-f32/hf", "config.json", set_mixed_activations, CLIP_ERROR_UNSUPPORTED,
                        "different activations");
    check_broken_config("tiny-f32/hf", "preprocessor_config.json", set_bad_mean,
                        CLIP_ERROR_MALFORMED,
                        "preprocessor_config.json: image_mean is not a list of 3 numbers");
}

static void set_resnet_layers(JsonObject *config)
{
    JsonObject *vision = json_object_get_object_member(
        json_object_get_object_member(config, "model_cfg"), "vision_cfg");
    JsonArray *layers = json_array_new();
    for (int i = 0; i < 4; i++)
        json_array_add_int_element(layers, 2);
    json_object_set_array_member(vision, "layers", layers);
}

static void set_hf_text_tower(JsonObject *config)
{
    JsonObject *text = json_object_get_object_member(
        json_object_get_object_member(config, "model_cfg"), "text_cfg");
    json_object_set_string_member(text, "hf_model_name", "xlm-roberta-base");
}

static void remove_model_cfg(JsonObject *config)
{
    json_object_remove_member(config, "model_cfg");
}

static void set_gelu(JsonObject *config)
{
    json_object_set_boolean_member(json_object_get_object_member(config, "model_cfg"), "quick_gelu",
                                   FALSE);
}

static void test_openclip_config(void)
{
    check_broken_config("tiny-f32/openclip", "open_clip_config.json", set_resnet_layers,
                        CLIP_ERROR_UNSUPPORTED, "ResNet");
    check_broken_config("tiny-f32/openclip", "open_clip_config.json", set_hf_text_tower,
                        CLIP_ERROR_UNSUPPORTED, "hf_model_name");
    check_broken_config("tiny-f32/openclip", "open_clip_config.json", remove_model_cfg,
                        CLIP_ERROR_MALFORMED, "no model_cfg");

    g_autofree char *dir = copy_fixture("tiny-f32/openclip");
    if (dir == NULL)
        return;
    edit_json_file(dir, "open_clip_config.json", set_gelu);
    g_autoptr(ClipModel) model = load_ok(dir);
    g_assert_cmpint(model->config.activation, ==, GPU_ACTIVATION_GELU);
    test_remove_tree(dir);
}

static void test_not_a_model(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("spyglass-model-XXXXXX", &error);
    g_assert_no_error(error);
    g_assert_null(clip_model_load(dir, &error));
    g_assert_error(error, CLIP_ERROR, CLIP_ERROR_IO);
    g_assert_true(g_str_has_prefix(error->message, dir));
    g_clear_error(&error);

    g_autofree char *missing = g_build_filename(dir, "nowhere", NULL);
    g_assert_null(clip_model_load(missing, &error));
    g_assert_error(error, CLIP_ERROR, CLIP_ERROR_IO);
    g_assert_true(g_str_has_prefix(error->message, missing));
    g_clear_error(&error);

    /* A config alone: the weights file is named as missing. */
    g_autofree char *config = g_build_filename(dir, "config.json", NULL);
    write_bytes(config, "{}", 2);
    assert_load_fails(dir, CLIP_ERROR_IO, "model.safetensors", NULL);
    test_remove_tree(dir);
}

/* tools/make-random-clip.py, found from SPYGLASS_TEST_DATA (tests/data). */
static char *generator_path(void)
{
    const char *data = g_getenv("SPYGLASS_TEST_DATA");
    if (data == NULL)
        return NULL;
    g_autofree char *tests = g_path_get_dirname(data);
    char *path = g_build_filename(tests, "..", "tools", "make-random-clip.py", NULL);
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR))
        g_clear_pointer(&path, g_free);
    return path;
}

/* The generator's tiny geometry is the fixtures' and loads in every dtype;
 * the same seed gives the same weights, rounded per dtype. */
static void test_generated_models(void)
{
    g_autofree char *generator = generator_path();
    g_autofree char *python = test_python_with_numpy();
    if (generator == NULL || python == NULL) {
        g_test_skip("needs tools/make-random-clip.py (via SPYGLASS_TEST_DATA) and numpy");
        return;
    }
    /* Without fixtures, still check the dtypes against each other. */
    g_autoptr(ClipModel) fixture = test_fixtures_dir() != NULL ? load_fixture("tiny-f32/hf") : NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("spyglass-generated-XXXXXX", &error);
    g_assert_no_error(error);
    const char *dtypes[] = {"f32", "f16", "bf16"};
    const ClipDtype clip_dtypes[] = {CLIP_DTYPE_F32, CLIP_DTYPE_F16, CLIP_DTYPE_BF16};
    const float max_error[] = {0.0f, 2.0f / 2048.0f, 2.0f / 256.0f}; /* values below 2 */
    ClipModel *models[3] = {NULL, NULL, NULL};
    for (int i = 0; i < 3; i++) {
        g_autofree char *out = g_build_filename(dir, dtypes[i], NULL);
        const char *argv[] = {python,   generator, "--geometry",     "tiny",  "--dtype", dtypes[i],
                              "--seed", "7",       "--position-ids", "--out", out,       NULL};
        g_autofree char *errors = NULL;
        gint status = -1;
        g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                                   NULL, NULL, &errors, &status, &error));
        if (!g_spawn_check_wait_status(status, NULL))
            g_error("make-random-clip.py failed: %s", errors);
        models[i] = load_ok(out);
        g_assert_cmpint(models[i]->token_embedding.dtype, ==, clip_dtypes[i]);
        g_assert_cmpint(models[i]->vision_blocks[0].in_proj_weight.dtype, ==, clip_dtypes[i]);
        if (fixture != NULL)
            assert_same_config(&models[i]->config, &fixture->config);
        assert_same_weights(models[i], models[0], max_error[i]);
    }
    for (int i = 0; i < 3; i++)
        clip_model_free(models[i]);
    test_remove_tree(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/clip/model/layouts-agree", test_layouts_agree);
    g_test_add_func("/clip/model/geometry", test_geometry);
    g_test_add_func("/clip/model/f16", test_f16);
    g_test_add_func("/clip/model/bf16", test_bf16);
    g_test_add_func("/clip/model/id", test_model_id);
    g_test_add_func("/clip/model/id-follows-weights", test_model_id_follows_weights);
    g_test_add_func("/clip/model/old-config-dicts", test_old_config_dicts);
    g_test_add_func("/clip/model/unused-tensors-and-misalignment",
                    test_unused_tensors_and_misalignment);
    g_test_add_func("/clip/model/not-a-model", test_not_a_model);
    g_test_add_func("/clip/model/generated", test_generated_models);
    g_test_add_func("/clip/model/broken/truncated", test_truncated);
    g_test_add_func("/clip/model/broken/header-past-end", test_header_past_end);
    g_test_add_func("/clip/model/broken/header-over-cap", test_header_over_cap);
    g_test_add_func("/clip/model/broken/header-not-json", test_header_not_json);
    g_test_add_func("/clip/model/broken/hostile-json-cli", test_hostile_json_cli);
    g_test_add_func("/clip/model/broken/offsets-overlap", test_offsets_overlap);
    g_test_add_func("/clip/model/broken/offsets-outside", test_offsets_outside);
    g_test_add_func("/clip/model/broken/size-mismatch", test_size_mismatch);
    g_test_add_func("/clip/model/broken/wrong-dtype", test_wrong_dtype);
    g_test_add_func("/clip/model/broken/shape-mismatch", test_shape_mismatch);
    g_test_add_func("/clip/model/broken/config-disagrees", test_config_disagrees);
    g_test_add_func("/clip/model/broken/missing-tensor", test_missing_tensor);
    g_test_add_func("/clip/model/broken/duplicate-key", test_duplicate_key);
    g_test_add_func("/clip/model/broken/duplicate-field", test_duplicate_field);
    g_test_add_func("/clip/model/broken/config-not-json", test_config_not_json);
    g_test_add_func("/clip/model/broken/config-values", test_config_values);
    g_test_add_func("/clip/model/broken/openclip-config", test_openclip_config);
    return g_test_run();
}
