/* test-model-files.c: the model loader on the fixtures, their other layouts and dtypes, and
 * generated models (broken files: test-model-broken.c). */
#include "clip/clip-safetensors.h"
#include "test-common.h"
#include "test-model-files-common.h"

#include <math.h>
#include <string.h>

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
    g_test_add_func("/clip/model/generated", test_generated_models);
    test_model_broken_add();
    return g_test_run();
}
