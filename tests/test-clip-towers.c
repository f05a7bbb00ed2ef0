/* test-clip-towers.c: a model loaded for text (clip_model_load_towers(CLIP_MODEL_TEXT)) encodes
 * texts exactly as one loaded whole, and gets its image tower from the file on the first image,
 * which then encodes exactly as the whole model's; CLIP and SigLIP, on the cpu device. */
#include "clip/clip-encoder.h"
#include "clip/clip-tokenizer.h"
#include "test-common.h"

#include <string.h>

static const char *const texts[] = {"a photo of a red circle", "two cats", "x"};

/* Every text's features (B × E). */
static float *encode_texts(ClipSession *session, ClipTokenizer *tokenizer, const ClipConfig *config)
{
    uint32_t B = G_N_ELEMENTS(texts);
    g_autofree int32_t **ids = g_new0(int32_t *, B);
    g_autofree size_t *n_ids = g_new0(size_t, B);
    for (uint32_t b = 0; b < B; b++)
        ids[b] = clip_tokenizer_encode(tokenizer, texts[b], config->context_length, &n_ids[b]);
    float *features = g_new(float, (size_t)B * config->embed_dim);
    g_autoptr(GError) error = NULL;
    g_assert_true(clip_session_encode_texts(session, (const int32_t *const *)ids, n_ids, B,
                                            features, &error));
    g_assert_no_error(error);
    for (uint32_t b = 0; b < B; b++)
        g_free(ids[b]);
    return features;
}

/* Two images of noise (2 × E). */
static float *encode_images(ClipSession *session, const ClipConfig *config)
{
    size_t n = (size_t)2 * 3 * config->image_size * config->image_size;
    g_autofree float *pixels = g_new(float, n);
    for (size_t i = 0; i < n; i++)
        pixels[i] = (float)((i * 2654435761u) % 1000) / 500.0f - 1.0f;
    float *features = g_new(float, (size_t)2 * config->embed_dim);
    g_autoptr(GError) error = NULL;
    g_assert_true(clip_session_encode_images(session, pixels, 2, features, &error));
    g_assert_no_error(error);
    return features;
}

static void check_towers(gconstpointer data)
{
    g_autofree char *dir = test_fixture_path(data);
    if (dir == NULL) {
        g_test_skip("no fixtures");
        return;
    }
    g_autoptr(GError) error = NULL;
    g_autoptr(GpuDevice) device = gpu_device_open("cpu", &error);
    g_assert_no_error(error);
    g_autoptr(ClipTokenizer) tokenizer = clip_tokenizer_new_from_dir(dir, &error);
    g_assert_no_error(error);

    g_autoptr(ClipModel) whole = clip_model_load(dir, &error);
    g_assert_no_error(error);
    g_assert_true(clip_model_has_vision(whole));
    g_autoptr(ClipModel) text = clip_model_load_towers(dir, CLIP_MODEL_TEXT, &error);
    g_assert_no_error(error);
    g_assert_false(clip_model_has_vision(text));
    g_assert_cmpstr(text->id, ==, whole->id);
    g_assert_null(text->vision_blocks[0].fc_weight.data);

    const ClipConfig *config = &whole->config;
    size_t E = config->embed_dim;
    g_autoptr(ClipEncoder) whole_encoder =
        clip_encoder_new(device, whole, CLIP_PRECISION_F32, &error);
    g_assert_no_error(error);
    g_autoptr(ClipSession) whole_session = clip_session_new(whole_encoder);
    g_autoptr(ClipEncoder) text_encoder =
        clip_encoder_new(device, text, CLIP_PRECISION_F32, &error);
    g_assert_no_error(error);
    g_autoptr(ClipSession) text_session = clip_session_new(text_encoder);

    g_autofree float *expected = encode_texts(whole_session, tokenizer, config);
    g_autofree float *got = encode_texts(text_session, tokenizer, config);
    g_assert_cmpmem(got, G_N_ELEMENTS(texts) * E * sizeof(float), expected,
                    G_N_ELEMENTS(texts) * E * sizeof(float));
    g_assert_false(clip_model_has_vision(text)); /* texts never load it */

    g_autofree float *expected_images = encode_images(whole_session, config);
    g_autofree float *got_images = encode_images(text_session, config);
    g_assert_true(clip_model_has_vision(text));
    g_assert_cmpmem(got_images, 2 * E * sizeof(float), expected_images, 2 * E * sizeof(float));
    /* Loaded once: a second batch reuses it. */
    g_autofree float *again = encode_images(text_session, config);
    g_assert_cmpmem(again, 2 * E * sizeof(float), expected_images, 2 * E * sizeof(float));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/clip/towers/clip-hf", "tiny-f32/hf", check_towers);
    g_test_add_data_func("/clip/towers/clip-hf-f16", "tiny-f16/hf", check_towers);
    g_test_add_data_func("/clip/towers/clip-openclip", "tiny-f32/openclip", check_towers);
    g_test_add_data_func("/clip/towers/siglip-hf", "siglip-tiny/hf", check_towers);
    g_test_add_data_func("/clip/towers/siglip-openclip", "siglip-tiny/openclip", check_towers);
    return g_test_run();
}
