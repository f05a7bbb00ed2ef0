/* fuzz-tokenizer.c: CLIP's text cleaning and BPE on any text, with a vocabulary of CLIP's
 * layout written at start-up (byte symbols and a few merges), and vocab.json itself; SigLIP's
 * and SigLIP 2's SentencePiece tokenizers on the same text when the fixtures are there. */
#include "fuzz-common.h"

#include "clip/clip-tokenizer.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>

static ClipTokenizer *tokenizer;

/* The character CLIP's bytes_to_unicode() gives a byte. */
static gunichar byte_character(unsigned byte)
{
    gboolean printable =
        (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || byte >= 0xAE;
    if (printable)
        return byte;
    gunichar n = 0;
    for (unsigned b = 0; b < byte; b++)
        n += !((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE);
    return 0x100 + n;
}

static void write_tokenizer(void)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    for (unsigned byte = 0; byte < 256; byte++) {
        char symbol[16] = {0};
        g_unichar_to_utf8(byte_character(byte), symbol);
        g_autofree char *word_end = g_strconcat(symbol, "</w>", NULL);
        json_builder_set_member_name(builder, symbol);
        json_builder_add_int_value(builder, byte);
        json_builder_set_member_name(builder, word_end);
        json_builder_add_int_value(builder, 256 + byte);
    }
    const char *const extra[] = {"th",    "the</w>",         "in",           "ing</w>",
                                 "a</w>", "<|startoftext|>", "<|endoftext|>"};
    for (size_t i = 0; i < G_N_ELEMENTS(extra); i++) {
        json_builder_set_member_name(builder, extra[i]);
        json_builder_add_int_value(builder, 512 + (gint64)i);
    }
    json_builder_end_object(builder);
    g_autoptr(JsonGenerator) generator = json_generator_new();
    g_autoptr(JsonNode) root = json_builder_get_root(builder);
    json_generator_set_root(generator, root);
    g_autofree char *vocab = json_generator_to_data(generator, NULL);
    g_autofree char *vocab_path = g_build_filename(fuzz_dir(), "vocab.json", NULL);
    g_autofree char *merges_path = g_build_filename(fuzz_dir(), "merges.txt", NULL);
    const char *merges = "#version: 0.2\nt h\nth e</w>\ni n\nin g</w>\n";
    if (!g_file_set_contents(vocab_path, vocab, -1, NULL) ||
        !g_file_set_contents(merges_path, merges, -1, NULL))
        abort();
    tokenizer = clip_tokenizer_new(vocab_path, merges_path, NULL);
    if (tokenizer == NULL)
        abort();
}

/* The SentencePiece styles (SigLIP, SigLIP 2's Gemma) need a trained model, too large for a
 * seed: the fixtures' (SPYGLASS_FIXTURES, else ../shared/fixtures from the repository root,
 * where tools/fuzz.sh runs). Without them only CLIP's style is fuzzed, which the log says. */
static ClipTokenizer *spm_tokenizers[2];

static void load_spm_tokenizers(void)
{
    const char *fixtures = g_getenv("SPYGLASS_FIXTURES");
    if (fixtures == NULL)
        fixtures = "../shared/fixtures";
    const char *const models[] = {"siglip-tiny/hf", "siglip2-tiny/hf"};
    for (size_t i = 0; i < G_N_ELEMENTS(models); i++) {
        g_autofree char *dir = g_build_filename(fixtures, models[i], NULL);
        g_autoptr(GError) error = NULL;
        spm_tokenizers[i] = clip_tokenizer_new_from_dir(dir, &error);
        fprintf(stderr, "fuzz-tokenizer: %s: %s\n", dir,
                spm_tokenizers[i] != NULL ? "SentencePiece fuzzed too" : error->message);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (tokenizer == NULL) {
        write_tokenizer();
        load_spm_tokenizers();
    }
    g_autofree char *text = fuzz_string(data, size);
    size_t n = 0;
    g_free(clip_tokenizer_encode(tokenizer, text, 77, &n));
    g_free(clip_tokenizer_encode(tokenizer, text, 0, &n));
    for (size_t i = 0; i < G_N_ELEMENTS(spm_tokenizers); i++)
        if (spm_tokenizers[i] != NULL)
            g_free(clip_tokenizer_encode(spm_tokenizers[i], text, 0, &n));

    /* The same bytes as a vocabulary: the JSON guard and vocab_load. */
    const char *vocab_path = fuzz_write_file("fuzz-vocab.json", data, size);
    g_autofree char *merges_path = g_build_filename(fuzz_dir(), "merges.txt", NULL);
    GError *error = NULL;
    clip_tokenizer_free(clip_tokenizer_new(vocab_path, merges_path, &error));
    g_clear_error(&error);
    return 0;
}
