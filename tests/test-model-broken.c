/* test-model-broken.c: the model loader on files broken on purpose: every one fails with one
 * line naming the file and what is wrong, and nothing crashes. */
#include "test-common.h"
#include "test-model-files-common.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>

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

void test_model_broken_add(void)
{
    g_test_add_func("/clip/model/not-a-model", test_not_a_model);
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
}
