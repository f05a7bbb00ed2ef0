/* test-tokenizer-spm.c: the SigLIP and SigLIP 2 tokenizers against transformers' ids, rule by rule.
 */
#include "clip/clip-model.h"
#include "clip/clip-sentencepiece.h"
#include "clip/clip-tokenizer.h"
#include "test-common.h"

#include <glib/gstdio.h>
#include <string.h>

#define LENGTH 64

typedef struct {
    const char *folder;
    ClipTokenizerStyle style;
    int32_t end_id;
    int32_t pad_id;
} Fixture;

/* Both layouts of both fixture models: the same tokenizer files, found
 * beside different configs. */
static const Fixture fixtures[] = {
    {"siglip-tiny/hf", CLIP_TOKENIZER_STYLE_SIGLIP, 1, 1},
    {"siglip-tiny/openclip", CLIP_TOKENIZER_STYLE_SIGLIP, 1, 1},
    {"siglip2-tiny/hf", CLIP_TOKENIZER_STYLE_GEMMA, 1, 0},
    {"siglip2-tiny/openclip", CLIP_TOKENIZER_STYLE_GEMMA, 1, 0},
};

static char *ids_to_string(const int32_t *ids, size_t n_ids)
{
    GString *text = g_string_new("[");
    for (size_t i = 0; i < n_ids; i++)
        g_string_append_printf(text, i == 0 ? "%d" : ", %d", ids[i]);
    g_string_append_c(text, ']');
    return g_string_free(text, FALSE);
}

static gboolean same_ids(const int32_t *ids, size_t n_ids, JsonArray *expected)
{
    gboolean same = n_ids == json_array_get_length(expected);
    for (size_t i = 0; same && i < n_ids; i++)
        same = ids[i] == json_array_get_int_element(expected, (guint)i);
    return same;
}

static int32_t *json_to_ids(JsonArray *array)
{
    int32_t *ids = g_new(int32_t, json_array_get_length(array));
    for (guint i = 0; i < json_array_get_length(array); i++)
        ids[i] = (int32_t)json_array_get_int_element(array, i);
    return ids;
}

/* "siglip-tiny/hf" → the texts[] of siglip-tiny/expected.json, or NULL (skip). */
static JsonNode *load_expected(const char *folder)
{
    g_autofree char *model = g_strndup(folder, strcspn(folder, "/"));
    g_autofree char *relative = g_build_filename(model, "expected.json", NULL);
    g_autofree char *path = test_fixture_path(relative);
    return path != NULL ? test_load_json(path) : NULL;
}

static JsonArray *expected_texts(JsonNode *expected)
{
    return json_object_get_array_member(json_node_get_object(expected), "texts");
}

/* The ids expected.json gives `text`; the test fails when it has no such text. */
static JsonArray *expected_ids_of(JsonNode *expected, const char *text)
{
    JsonArray *texts = expected_texts(expected);
    for (guint i = 0; i < json_array_get_length(texts); i++) {
        JsonObject *item = json_array_get_object_element(texts, i);
        if (strcmp(json_object_get_string_member(item, "text"), text) == 0)
            return json_object_get_array_member(item, "ids");
    }
    g_error("no “%s” in expected.json", text);
}

static ClipTokenizer *open_tokenizer(const char *dir)
{
    g_autoptr(GError) error = NULL;
    ClipTokenizer *tokenizer = clip_tokenizer_new_from_dir(dir, &error);
    g_assert_no_error(error);
    return tokenizer;
}

/* Every text of expected.json, all 64 ids exact. */
static void test_expected_texts(gconstpointer data)
{
    const Fixture *fixture = data;
    g_autofree char *dir = test_fixture_path(fixture->folder);
    g_autoptr(JsonNode) expected = dir != NULL ? load_expected(fixture->folder) : NULL;
    if (expected == NULL)
        return;

    ClipTokenizerParams params;
    g_autoptr(GError) error = NULL;
    g_assert_true(clip_tokenizer_detect(dir, &params, &error));
    g_assert_no_error(error);
    g_assert_cmpint(params.style, ==, fixture->style);
    g_assert_cmpuint(params.max_length, ==, LENGTH);

    g_autoptr(ClipTokenizer) tokenizer = open_tokenizer(dir);
    g_assert_cmpint(clip_tokenizer_style(tokenizer), ==, fixture->style);
    g_assert_cmpint(clip_tokenizer_start_id(tokenizer), ==, -1);
    g_assert_cmpint(clip_tokenizer_end_id(tokenizer), ==, fixture->end_id);
    g_assert_cmpint(clip_tokenizer_pad_id(tokenizer), ==, fixture->pad_id);
    g_assert_cmpuint(clip_tokenizer_vocab_size(tokenizer), ==, 1000);

    JsonArray *texts = expected_texts(expected);
    g_assert_cmpuint(json_array_get_length(texts), >=, 30);
    guint n_right = 0;
    for (guint i = 0; i < json_array_get_length(texts); i++) {
        JsonObject *item = json_array_get_object_element(texts, i);
        const char *text = json_object_get_string_member(item, "text");
        JsonArray *want = json_object_get_array_member(item, "ids");
        size_t n_ids = 0;
        g_autofree int32_t *ids = clip_tokenizer_encode(tokenizer, text, 0, &n_ids);
        /* The length the caller passes (the model's) gives the same. */
        size_t n_explicit = 0;
        g_autofree int32_t *explicit = clip_tokenizer_encode(tokenizer, text, LENGTH, &n_explicit);
        if (!same_ids(ids, n_ids, want) || !same_ids(explicit, n_explicit, want)) {
            g_autofree char *got = ids_to_string(ids, n_ids);
            g_autofree int32_t *want_ids = json_to_ids(want);
            g_autofree char *wanted = ids_to_string(want_ids, json_array_get_length(want));
            g_test_fail_printf("%s: “%s”: expected %s, got %s", fixture->folder, text, wanted, got);
            continue;
        }
        /* n_tokens counts up to the first end id: what the text itself gave. */
        gint64 n_tokens = json_object_get_int_member(item, "n_tokens");
        for (gint64 k = 0; k < n_tokens - 1; k++)
            g_assert_cmpint(ids[k], !=, fixture->end_id);
        g_assert_cmpint(ids[n_tokens - 1], ==, fixture->end_id);
        n_right++;
    }
    g_test_message("%s: %u texts, all ids equal", fixture->folder, n_right);
}

/* ---- the rules: each changes the ids of some fixture text ---- */

static ClipSentencepiece *load_model_file(const char *path)
{
    g_autofree char *contents = NULL;
    size_t size = 0;
    g_autoptr(GError) error = NULL;
    g_file_get_contents(path, &contents, &size, &error);
    g_assert_no_error(error);
    g_autofree char *message = NULL;
    ClipSentencepiece *sp = clip_sentencepiece_new(contents, size, &message);
    g_assert_cmpstr(message, ==, NULL);
    return sp;
}

/* The model file alone on `input` (no preparation at all), then end and padding. */
static int32_t *encode_raw(const ClipSentencepiece *sp, const char *input, int32_t end_id,
                           int32_t pad_id, size_t *n_ids)
{
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(int32_t));
    clip_sentencepiece_encode(sp, input, strlen(input), ids);
    g_array_set_size(ids, MIN(ids->len, LENGTH - 1));
    g_array_append_val(ids, end_id);
    while (ids->len < LENGTH)
        g_array_append_val(ids, pad_id);
    return (int32_t *)g_array_steal(ids, n_ids);
}

/* A fixture text, the input a right rule gives the model file and the input a
 * tokenizer without that rule would give it. */
typedef struct {
    const char *rule;
    const char *text;
    const char *right_input;
    const char *wrong_input;
} RuleCase;

static const RuleCase siglip_rules[] = {
    {"lower-cases", "A Photo Of A DOG", "a photo of a dog", "A Photo Of A DOG"},
    {"removes ASCII punctuation", "a photo of a cat.", "a photo of a cat", "a photo of a cat."},
    {"deletes `_` (OpenCLIP's cleaner makes it a space)", "under_score and snake_case_name",
     "underscore and snakecasename", "under score and snake case name"},
    {"keeps non-ASCII punctuation (—)", "L'été dernier à Paris — c'était génial",
     "lété dernier à paris — cétait génial", "lété dernier à paris cétait génial"},
    {"lower-cases İ to i + U+0307", "İstanbul'da KIŞ", "i\u0307stanbulda kiş", "istanbulda kiş"},
};

static const RuleCase gemma_rules[] = {
    {"lower-cases", "A Photo Of A DOG", "a photo of a dog", "A Photo Of A DOG"},
    {"keeps punctuation (SigLIP's rule removes it)", "a photo of a cat.", "a photo of a cat.",
     "a photo of a cat"},
    {"keeps every space (SigLIP's rule collapses them)", "   lots    of\twhitespace\n here   ",
     "   lots    of\twhitespace\n here   ", "lots of whitespace here"},
    {"lower-cases İ to i + U+0307", "İstanbul'da KIŞ", "i\u0307stanbul'da kiş", "istanbul'da kiş"},
    {"lower-cases Greek capitals", "ΑΘΗΝΑ ΚΑΙ ΣΠΑΡΤΗ", "αθηνα και σπαρτη", "ΑΘΗΝΑ ΚΑΙ ΣΠΑΡΤΗ"},
};

static void check_rules(const char *folder, const char *model_file, const RuleCase *cases,
                        size_t n_cases, int32_t end_id, int32_t pad_id)
{
    g_autofree char *relative = g_build_filename(folder, model_file, NULL);
    g_autofree char *path = test_fixture_path(relative);
    g_autoptr(JsonNode) expected = path != NULL ? load_expected(folder) : NULL;
    if (expected == NULL)
        return;
    g_autoptr(ClipSentencepiece) sp = load_model_file(path);
    for (size_t i = 0; i < n_cases; i++) {
        JsonArray *want = expected_ids_of(expected, cases[i].text);
        size_t n_right = 0, n_wrong = 0;
        g_autofree int32_t *right = encode_raw(sp, cases[i].right_input, end_id, pad_id, &n_right);
        g_autofree int32_t *wrong = encode_raw(sp, cases[i].wrong_input, end_id, pad_id, &n_wrong);
        if (!same_ids(right, n_right, want))
            g_test_fail_printf("%s: “%s” is not what the tokenizer that %s encodes", folder,
                               cases[i].right_input, cases[i].rule);
        if (same_ids(wrong, n_wrong, want))
            g_test_fail_printf("%s: “%s” would not catch a tokenizer that fails to %s", folder,
                               cases[i].text, cases[i].rule);
    }
}

static void test_siglip_rules(void)
{
    check_rules("siglip-tiny/hf", "spiece.model", siglip_rules, G_N_ELEMENTS(siglip_rules), 1, 1);
}

static void test_gemma_rules(void)
{
    check_rules("siglip2-tiny/hf", "tokenizer.model", gemma_rules, G_N_ELEMENTS(gemma_rules), 1, 0);
}

/* Padding: the other model's padding id changes every short fixture text
 * (exact ids above), and both ids differ here. No <bos> either. */
static void test_padding_and_bos(void)
{
    g_autofree char *siglip_dir = test_fixture_path("siglip-tiny/hf");
    g_autofree char *gemma_dir = siglip_dir != NULL ? test_fixture_path("siglip2-tiny/hf") : NULL;
    if (gemma_dir == NULL)
        return;
    g_autoptr(ClipTokenizer) siglip = open_tokenizer(siglip_dir);
    g_autoptr(ClipTokenizer) gemma = open_tokenizer(gemma_dir);
    size_t n = 0;
    g_autofree int32_t *siglip_ids = clip_tokenizer_encode(siglip, "a", 0, &n);
    g_autofree char *siglip_got = ids_to_string(siglip_ids, 4);
    g_assert_cmpstr(siglip_got, ==, "[28, 1, 1, 1]");
    g_assert_cmpint(siglip_ids[LENGTH - 1], ==, 1);
    g_autofree int32_t *gemma_ids = clip_tokenizer_encode(gemma, "a", 0, &n);
    g_autofree char *gemma_got = ids_to_string(gemma_ids, 4);
    g_assert_cmpstr(gemma_got, ==, "[834, 1, 0, 0]");
    g_assert_cmpint(gemma_ids[LENGTH - 1], ==, 0);
}

/* Rules the fixture texts do not reach, from the reference code's definitions. */
static void test_rules_beyond_fixtures(void)
{
    g_autofree char *siglip_dir = test_fixture_path("siglip-tiny/hf");
    g_autofree char *gemma_dir = siglip_dir != NULL ? test_fixture_path("siglip2-tiny/hf") : NULL;
    if (gemma_dir == NULL)
        return;
    g_autoptr(ClipTokenizer) siglip = open_tokenizer(siglip_dir);
    g_autoptr(ClipTokenizer) gemma = open_tokenizer(gemma_dir);
    g_autofree char *gemma_model = g_build_filename(gemma_dir, "tokenizer.model", NULL);
    g_autofree char *siglip_model = g_build_filename(siglip_dir, "spiece.model", NULL);
    g_autoptr(ClipSentencepiece) gemma_sp = load_model_file(gemma_model);
    g_autoptr(ClipSentencepiece) siglip_sp = load_model_file(siglip_model);
    size_t n = 0, n_raw = 0;

    /* Rust's char::to_lowercase() has no final-sigma context: Σ is σ at
     * the end of a word too (Python's str.lower() would give ς). */
    g_autofree int32_t *sigma = clip_tokenizer_encode(gemma, "ΟΔΥΣΣΕΥΣ", 0, &n);
    g_autofree int32_t *small = encode_raw(gemma_sp, "οδυσσευσ", 1, 0, &n_raw);
    g_autofree int32_t *final = encode_raw(gemma_sp, "οδυσσευς", 1, 0, &n_raw);
    g_assert_cmpmem(sigma, n * sizeof(int32_t), small, n_raw * sizeof(int32_t));
    g_assert_true(memcmp(sigma, final, n * sizeof(int32_t)) != 0);

    /* SigLIP: punctuation removal comes before the model's NFKC, so "…"
     * survives as "..." where "..." typed is removed. */
    g_autofree int32_t *ellipsis = clip_tokenizer_encode(siglip, "wait…", 0, &n);
    g_autofree int32_t *dots = encode_raw(siglip_sp, "wait...", 1, 1, &n_raw);
    g_autofree int32_t *typed = clip_tokenizer_encode(siglip, "wait...", 0, &n);
    g_assert_cmpmem(ellipsis, n * sizeof(int32_t), dots, n_raw * sizeof(int32_t));
    g_assert_true(memcmp(ellipsis, typed, n * sizeof(int32_t)) != 0);

    /* SigLIP: a ▁ typed in the text is a space; Python's whitespace (\x1c
     * included) collapses; the result is stripped. */
    g_autofree int32_t *spaced =
        clip_tokenizer_encode(siglip, "\x1c a\u2581\u2581dog\u3000 ", 0, &n);
    g_autofree int32_t *plain = encode_raw(siglip_sp, "a dog", 1, 1, &n_raw);
    g_assert_cmpmem(spaced, n * sizeof(int32_t), plain, n_raw * sizeof(int32_t));

    /* Invalid UTF-8 is replaced, not passed on. */
    g_autofree int32_t *invalid = clip_tokenizer_encode(gemma, "a\xff", 0, &n);
    g_autofree int32_t *replaced = encode_raw(gemma_sp, "a\xef\xbf\xbd", 1, 0, &n_raw);
    g_assert_cmpmem(invalid, n * sizeof(int32_t), replaced, n_raw * sizeof(int32_t));
}

/* ---- hostile input ---- */

/* A 100,000-letter word, 100,000 more words after the fixture's long text,
 * and a megabyte of punctuation before a short one: the ids the reference
 * gives the fixture text (only the first 63 can survive), in milliseconds. */
static void test_long_input(gconstpointer data)
{
    const Fixture *fixture = data;
    g_autofree char *dir = test_fixture_path(fixture->folder);
    g_autoptr(JsonNode) expected = dir != NULL ? load_expected(fixture->folder) : NULL;
    if (expected == NULL)
        return;
    g_autoptr(ClipTokenizer) tokenizer = open_tokenizer(dir);

    g_autofree char *xs = g_strnfill(100000, 'x');
    g_autofree char *xs_fixture = g_strnfill(300, 'x');

    /* The fixture's "word0 word1 … word99", then as many words again up to a megabyte. */
    GString *words = g_string_new("word0");
    for (int i = 1; i < 100; i++)
        g_string_append_printf(words, " word%d", i);
    g_autofree char *words_fixture = g_strdup(words->str);
    while (words->len < 1000000)
        g_string_append(words, " word100 word101");
    g_autofree char *many_words = g_string_free(words, FALSE);

    g_autofree char *marks = g_strnfill(1000000, '!');
    g_autofree char *shouted = g_strconcat(marks, " a photo of a dog", NULL);

    const struct {
        const char *input;
        const char *fixture_text;
        gboolean siglip_only; /* Gemma keeps punctuation */
    } cases[] = {
        {xs, xs_fixture, FALSE},
        {many_words, words_fixture, FALSE},
        {shouted, "a photo of a dog", TRUE},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        if (cases[i].siglip_only && fixture->style != CLIP_TOKENIZER_STYLE_SIGLIP)
            continue;
        gint64 start = g_get_monotonic_time();
        size_t n_ids = 0;
        g_autofree int32_t *ids = clip_tokenizer_encode(tokenizer, cases[i].input, 0, &n_ids);
        double ms = (g_get_monotonic_time() - start) / 1e3;
        g_test_message("%s: %zu bytes in %.1f ms", fixture->folder, strlen(cases[i].input), ms);
        g_assert_true(same_ids(ids, n_ids, expected_ids_of(expected, cases[i].fixture_text)));
        /* Milliseconds; the bound only catches a pathology on a loaded or
         * sanitised build. */
        g_assert_cmpfloat(ms, <, 1000.0);
    }
}

/* ---- folders: detection, lengths, errors ---- */

typedef struct {
    char *dir;
} TempFolder;

static void folder_set_up(TempFolder *folder, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    folder->dir = g_dir_make_tmp("spyglass-spm-XXXXXX", &error);
    g_assert_no_error(error);
}

static void folder_tear_down(TempFolder *folder, gconstpointer data)
{
    g_autoptr(GDir) dir = g_dir_open(folder->dir, 0, NULL);
    for (const char *name; dir != NULL && (name = g_dir_read_name(dir)) != NULL;) {
        g_autofree char *path = g_build_filename(folder->dir, name, NULL);
        g_assert_cmpint(g_remove(path), ==, 0);
    }
    g_assert_cmpint(g_rmdir(folder->dir), ==, 0);
    g_free(folder->dir);
}

static void write_file(TempFolder *folder, const char *name, const char *contents)
{
    g_autofree char *path = g_build_filename(folder->dir, name, NULL);
    g_autoptr(GError) error = NULL;
    g_file_set_contents(path, contents, -1, &error);
    g_assert_no_error(error);
}

/* Copies a fixture file into the folder; FALSE when the test skips. */
static gboolean copy_fixture(TempFolder *folder, const char *relative, const char *name)
{
    g_autofree char *source = test_fixture_path(relative);
    if (source == NULL)
        return FALSE;
    g_autofree char *contents = NULL;
    size_t size = 0;
    g_autoptr(GError) error = NULL;
    g_file_get_contents(source, &contents, &size, &error);
    g_assert_no_error(error);
    g_autofree char *path = g_build_filename(folder->dir, name, NULL);
    g_file_set_contents(path, contents, (gssize)size, &error);
    g_assert_no_error(error);
    return TRUE;
}

static void assert_detects(TempFolder *folder, ClipTokenizerStyle style, uint32_t max_length)
{
    ClipTokenizerParams params;
    g_autoptr(GError) error = NULL;
    g_assert_true(clip_tokenizer_detect(folder->dir, &params, &error));
    g_assert_no_error(error);
    g_assert_cmpint(params.style, ==, style);
    g_assert_cmpuint(params.max_length, ==, max_length);
}

static void assert_fails(TempFolder *folder, gint code, const char *file)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ClipTokenizer) tokenizer = clip_tokenizer_new_from_dir(folder->dir, &error);
    g_assert_null(tokenizer);
    g_assert_error(error, CLIP_ERROR, code);
    g_assert_nonnull(strstr(error->message, file));
    g_assert_null(strchr(error->message, '\n'));
}

/* Without tokenizer_config.json the model file's name decides; the length
 * comes from either config, 64 without one. */
static void test_detect_from_files(TempFolder *folder, gconstpointer data)
{
    assert_detects(folder, CLIP_TOKENIZER_STYLE_CLIP, 0);
    if (!copy_fixture(folder, "siglip2-tiny/hf/tokenizer.model", "tokenizer.model"))
        return;
    assert_detects(folder, CLIP_TOKENIZER_STYLE_GEMMA, LENGTH);
    write_file(folder, "open_clip_config.json",
               "{\"model_cfg\": {\"text_cfg\": {\"context_length\": 32}}}");
    assert_detects(folder, CLIP_TOKENIZER_STYLE_GEMMA, 32);
    write_file(folder, "config.json", "{\"text_config\": {\"max_position_embeddings\": 16}}");
    assert_detects(folder, CLIP_TOKENIZER_STYLE_GEMMA, 16);

    g_autoptr(ClipTokenizer) tokenizer = open_tokenizer(folder->dir);
    size_t n = 0;
    g_autofree int32_t *ids = clip_tokenizer_encode(tokenizer, "A Photo Of A DOG", 0, &n);
    g_autofree char *got = ids_to_string(ids, n);
    g_assert_cmpstr(got, ==, "[834, 416, 351, 289, 813, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]");
    g_autofree int32_t *short_ids = clip_tokenizer_encode(tokenizer, "A Photo Of A DOG", 4, &n);
    g_autofree char *short_got = ids_to_string(short_ids, n);
    g_assert_cmpstr(short_got, ==, "[834, 416, 351, 1]");

    /* A caller that read the model's config itself sets the length. */
    ClipTokenizerParams params;
    g_assert_true(clip_tokenizer_detect(folder->dir, &params, NULL));
    params.max_length = 8;
    g_autoptr(ClipTokenizer) eight = clip_tokenizer_new_with_params(folder->dir, &params, NULL);
    g_autofree int32_t *eight_ids = clip_tokenizer_encode(eight, "a", 0, &n);
    g_autofree char *eight_got = ids_to_string(eight_ids, n);
    g_assert_cmpstr(eight_got, ==, "[834, 1, 0, 0, 0, 0, 0, 0]");
}

static void test_detect_siglip_by_name(TempFolder *folder, gconstpointer data)
{
    if (!copy_fixture(folder, "siglip-tiny/hf/spiece.model", "spiece.model"))
        return;
    assert_detects(folder, CLIP_TOKENIZER_STYLE_SIGLIP, LENGTH);
    g_autoptr(ClipTokenizer) tokenizer = open_tokenizer(folder->dir);
    size_t n = 0;
    g_autofree int32_t *ids = clip_tokenizer_encode(tokenizer, "A Photo Of A DOG!", 8, &n);
    g_autofree char *got = ids_to_string(ids, n);
    g_assert_cmpstr(got, ==, "[28, 102, 68, 28, 284, 1, 1, 1]");
}

/* tokenizer_class overrides the file name: SigLIP's vocabulary as Gemma's lacks <eos>. */
static void test_class_decides(TempFolder *folder, gconstpointer data)
{
    if (!copy_fixture(folder, "siglip-tiny/hf/spiece.model", "spiece.model"))
        return;
    write_file(folder, "tokenizer_config.json", "{\"tokenizer_class\": \"GemmaTokenizer\"}");
    assert_detects(folder, CLIP_TOKENIZER_STYLE_GEMMA, LENGTH);
    assert_fails(folder, CLIP_ERROR_MALFORMED, "spiece.model");
    write_file(folder, "tokenizer_config.json", "{\"tokenizer_class\": \"SiglipTokenizer\"}");
    assert_detects(folder, CLIP_TOKENIZER_STYLE_SIGLIP, LENGTH);
}

static void test_malformed(TempFolder *folder, gconstpointer data)
{
    write_file(folder, "spiece.model", "not a protobuf");
    assert_fails(folder, CLIP_ERROR_MALFORMED, "spiece.model");

    write_file(folder, "tokenizer_config.json", "{\"tokenizer_class\": \"T5Tokenizer\"}");
    assert_fails(folder, CLIP_ERROR_MALFORMED, "tokenizer_config.json");
    write_file(folder, "tokenizer_config.json", "{\"tokenizer_class\": ");
    assert_fails(folder, CLIP_ERROR_MALFORMED, "tokenizer_config.json");
    write_file(folder, "tokenizer_config.json", "[]");
    assert_fails(folder, CLIP_ERROR_MALFORMED, "tokenizer_config.json");
    write_file(folder, "tokenizer_config.json", "{}");

    const char *bad_configs[] = {
        "{\"text_config\": {\"max_position_embeddings\": 0}}",
        "{\"text_config\": {\"max_position_embeddings\": \"64\"}}",
        "{\"text_config\": {\"max_position_embeddings\": 64.5}}",
        "{\"text_config\": {\"max_position_embeddings\": 100000}}",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad_configs); i++) {
        write_file(folder, "config.json", bad_configs[i]);
        assert_fails(folder, CLIP_ERROR_MALFORMED, "config.json");
    }
}

/* A model file that cannot be read is an I/O error naming it. */
static void test_unreadable(TempFolder *folder, gconstpointer data)
{
    g_autofree char *path = g_build_filename(folder->dir, "tokenizer.model", NULL);
    g_assert_cmpint(g_mkdir(path, 0700), ==, 0);
    assert_fails(folder, CLIP_ERROR_IO, "tokenizer.model");
}

/* ---- the CLI ---- */

/* `spyglass-cli --model DIR tokenize` prints the 64 ids the model sees. */
static void test_cli_tokenize(void)
{
    const char *cli = g_getenv("SPYGLASS_CLI");
    g_autofree char *dir = test_fixture_path("siglip2-tiny/hf");
    g_autoptr(JsonNode) expected = dir != NULL ? load_expected("siglip2-tiny/hf") : NULL;
    if (expected == NULL || cli == NULL) {
        if (expected != NULL)
            g_test_skip("SPYGLASS_CLI is not set");
        return;
    }
    const char *argv[] = {cli, "--model", dir, "--json", "tokenize", "A Photo Of A DOG", NULL};
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int status = 0;
    g_autoptr(GError) error = NULL;
    g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
                 &error);
    g_assert_no_error(error);
    g_assert_true(g_spawn_check_wait_status(status, NULL));
    g_autoptr(JsonParser) parser = json_parser_new();
    json_parser_load_from_data(parser, out, -1, &error);
    g_assert_no_error(error);
    JsonObject *item = json_array_get_object_element(
        json_object_get_array_member(json_node_get_object(json_parser_get_root(parser)), "items"),
        0);
    JsonArray *ids = json_object_get_array_member(item, "ids");
    g_autofree int32_t *got = json_to_ids(ids);
    g_assert_true(
        same_ids(got, json_array_get_length(ids), expected_ids_of(expected, "A Photo Of A DOG")));
}

static void add_folder_test(const char *path, void (*test)(TempFolder *, gconstpointer))
{
    g_test_add(path, TempFolder, NULL, folder_set_up, test, folder_tear_down);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(fixtures); i++) {
        g_autofree char *expected =
            g_strdup_printf("/clip/tokenizer-spm/expected-texts/%s", fixtures[i].folder);
        g_test_add_data_func(expected, &fixtures[i], test_expected_texts);
        g_autofree char *long_input =
            g_strdup_printf("/clip/tokenizer-spm/long-input/%s", fixtures[i].folder);
        g_test_add_data_func(long_input, &fixtures[i], test_long_input);
    }
    g_test_add_func("/clip/tokenizer-spm/rules/siglip", test_siglip_rules);
    g_test_add_func("/clip/tokenizer-spm/rules/gemma", test_gemma_rules);
    g_test_add_func("/clip/tokenizer-spm/rules/padding-and-bos", test_padding_and_bos);
    g_test_add_func("/clip/tokenizer-spm/rules/beyond-fixtures", test_rules_beyond_fixtures);
    add_folder_test("/clip/tokenizer-spm/detect/files", test_detect_from_files);
    add_folder_test("/clip/tokenizer-spm/detect/siglip-by-name", test_detect_siglip_by_name);
    add_folder_test("/clip/tokenizer-spm/detect/class-decides", test_class_decides);
    add_folder_test("/clip/tokenizer-spm/malformed", test_malformed);
    add_folder_test("/clip/tokenizer-spm/unreadable", test_unreadable);
    g_test_add_func("/clip/tokenizer-spm/cli", test_cli_tokenize);
    return g_test_run();
}
