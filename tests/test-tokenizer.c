/* test-tokenizer.c: the BPE tokenizer against OpenAI's simple_tokenizer.py, and on broken files. */
#include "clip/clip-model.h"
#include "clip/clip-tokenizer.h"
#include "test-common.h"

#include <glib/gstdio.h>
#include <string.h>

/* Expected outputs of simple_tokenizer.py (ftfy replaced by NFC, as in the
 * fixtures) for what the fixture files do not exercise: HTML references,
 * Python's whitespace, lower case and final sigma, the pattern's
 * case-insensitive contractions and special tokens, truncation. */
static const struct {
    const char *text;
    const char *cleaned;
} clean_cases[] = {
    {"tom &amp;amp; jerry", "tom & jerry"},
    {"&lt;b&gt; &#39;quoted&#x27; &quot;&apos;", "<b> 'quoted' \"'"},
    {"&copy2024 &notin; &notit; &ampx &AMP;", "©2024 ∉ ¬it; &x &"},
    {"&#128;&#x9d; &#0; &#55296; &#1114112; &#11;x &#xFFFE;y &#99999999999999999999;",
     "€\xc2\x9d \ufffd \ufffd \ufffd x y \ufffd"},
    {"&unknown; & &# &#x; &; &&amp;", "&unknown; & &# &#x; &; &&"},
    {"  \x1c\tA \x0b\xc2\x85 B\u3000 ", "a b"},
    {"a \x1c b\u00a0\u00a0c", "a \x1c b c"},
    {"ΟΔΥΣΣΕΥΣ Σ ΑΣ1 ΑΣ\u0301 ΑΣ\u0301Β", "οδυσσευς σ ας1 ας\u0301 ασ\u0301β"},
    {"İstanbul ǅ ẞ Ⅻ Ⓐ", "i\u0307stanbul ǆ ß ⅻ ⓐ"},
    {"cafe\u0301 e&#769;", "café e\u0301"},
};
static const struct {
    const char *text;
    uint32_t context_length;
    int32_t ids[24];
    size_t n_ids;
} encode_cases[] = {
    {"IT'S it'\u017f we'LL", 0, {49406, 585, 568, 585, 6, 129, 379, 649, 1342, 49407}, 10},
    {"<|endoftext|> hi<|startoftext|>!<|endoftext|>",
     0,
     {49406, 49407, 1883, 49406, 0, 27, 347, 40786, 4160, 91, 285, 49407},
     12},
    {"<|\u017ftartoftext|>", 0, {49406, 27, 91, 129, 123, 2002, 6659, 18169, 91, 285, 49407}, 11},
    {"a\u0345b \u0345", 0, {49406, 320, 321, 49407}, 4},
    {"ΟΔΥΣΣΕΥΣ &amp;amp; &#x1F600;",
     0,
     {49406, 138, 123, 138, 112, 139, 227, 139, 225,  139,
      225,   138, 113, 139, 227, 139, 480, 261, 7334, 49407},
     20},
    {"a photo of a dog", 5, {49406, 320, 1125, 539, 49407}, 5},
    {"a photo of a dog", 1, {49407}, 1},
    {"a photo of a dog", 7, {49406, 320, 1125, 539, 320, 1929, 49407}, 7},
};

static char *ids_to_string(const int32_t *ids, size_t n_ids)
{
    GString *text = g_string_new("[");
    for (size_t i = 0; i < n_ids; i++)
        g_string_append_printf(text, i == 0 ? "%d" : ", %d", ids[i]);
    g_string_append_c(text, ']');
    return g_string_free(text, FALSE);
}

static char *json_ids_to_string(JsonArray *ids)
{
    GString *text = g_string_new("[");
    for (guint i = 0; i < json_array_get_length(ids); i++)
        g_string_append_printf(text, i == 0 ? "%" G_GINT64_FORMAT : ", %" G_GINT64_FORMAT,
                               json_array_get_int_element(ids, i));
    g_string_append_c(text, ']');
    return g_string_free(text, FALSE);
}

/* Fails the test, naming the text, unless the ids equal `expected`. */
static gboolean check_ids(const char *text, const int32_t *ids, size_t n_ids, JsonArray *expected)
{
    gboolean same = n_ids == json_array_get_length(expected);
    for (size_t i = 0; same && i < n_ids; i++)
        same = ids[i] == json_array_get_int_element(expected, (guint)i);
    if (!same) {
        g_autofree char *want = json_ids_to_string(expected);
        g_autofree char *got = ids_to_string(ids, n_ids);
        g_test_fail_printf("“%s”: expected %s, got %s", text, want, got);
    }
    return same;
}

/* The tokenizer of a fixture model folder, or NULL when the test skips. */
static ClipTokenizer *load_fixture_tokenizer(const char *model_dir)
{
    g_autofree char *dir = test_fixture_path(model_dir);
    if (dir == NULL)
        return NULL;
    g_autoptr(GError) error = NULL;
    ClipTokenizer *tokenizer = clip_tokenizer_new_from_dir(dir, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(clip_tokenizer_vocab_size(tokenizer), ==, 49408);
    return tokenizer;
}

/* tokenizer-cases.jsonl, one {"text", "ids"} object a line. */
static GPtrArray *load_cases(void)
{
    g_autofree char *path = test_fixture_path("tokenizer-cases.jsonl");
    if (path == NULL)
        return NULL;
    g_autofree char *contents = NULL;
    g_autoptr(GError) error = NULL;
    g_file_get_contents(path, &contents, NULL, &error);
    g_assert_no_error(error);

    GPtrArray *cases = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
    g_auto(GStrv) lines = g_strsplit(contents, "\n", -1);
    for (size_t i = 0; lines[i] != NULL; i++) {
        if (lines[i][0] == '\0')
            continue;
        g_autoptr(JsonParser) parser = json_parser_new();
        json_parser_load_from_data(parser, lines[i], -1, &error);
        g_assert_no_error(error);
        g_ptr_array_add(cases, json_node_copy(json_parser_get_root(parser)));
    }
    return cases;
}

static const char *case_text(JsonNode *test_case)
{
    return json_object_get_string_member(json_node_get_object(test_case), "text");
}

static void test_cases_file(void)
{
    g_autoptr(ClipTokenizer) tokenizer = load_fixture_tokenizer("tiny-f32/hf");
    g_autoptr(GPtrArray) cases = tokenizer != NULL ? load_cases() : NULL;
    if (cases == NULL)
        return;
    g_assert_cmpuint(cases->len, >, 0);

    for (guint i = 0; i < cases->len; i++) {
        JsonObject *test_case = json_node_get_object(cases->pdata[i]);
        const char *text = json_object_get_string_member(test_case, "text");
        size_t n_ids = 0;
        g_autofree int32_t *ids = clip_tokenizer_encode(tokenizer, text, 0, &n_ids);
        if (!check_ids(text, ids, n_ids, json_object_get_array_member(test_case, "ids")))
            return;
    }
    g_test_message("all %u texts of tokenizer-cases.jsonl match", cases->len);
}

/* expected.json's texts: `ids` as clip.tokenize(truncate=True) gives them,
 * `bpe_ids` untruncated without the start and end tokens. */
static void check_expected_texts(const char *model)
{
    g_autofree char *hf_dir = g_build_filename(model, "hf", NULL);
    g_autofree char *expected_file = g_build_filename(model, "expected.json", NULL);
    g_autoptr(ClipTokenizer) tokenizer = load_fixture_tokenizer(hf_dir);
    g_autofree char *expected_path = tokenizer != NULL ? test_fixture_path(expected_file) : NULL;
    if (expected_path == NULL)
        return;
    g_autoptr(JsonNode) expected = test_load_json(expected_path);
    JsonArray *texts = json_object_get_array_member(json_node_get_object(expected), "texts");
    g_assert_cmpuint(json_array_get_length(texts), >, 0);

    for (guint i = 0; i < json_array_get_length(texts); i++) {
        JsonObject *entry = json_array_get_object_element(texts, i);
        const char *text = json_object_get_string_member(entry, "text");
        size_t n_ids = 0, n_all = 0;
        g_autofree int32_t *ids = clip_tokenizer_encode(tokenizer, text, 77, &n_ids);
        g_autofree int32_t *all = clip_tokenizer_encode(tokenizer, text, 0, &n_all);
        if (!check_ids(text, ids, n_ids, json_object_get_array_member(entry, "ids")))
            return;
        g_assert_cmpuint(n_all, >=, 2);
        g_assert_cmpint(all[0], ==, clip_tokenizer_start_id(tokenizer));
        g_assert_cmpint(all[n_all - 1], ==, clip_tokenizer_end_id(tokenizer));
        if (!check_ids(text, all + 1, n_all - 2, json_object_get_array_member(entry, "bpe_ids")))
            return;
    }
}

static void test_expected_texts_f32(void)
{
    check_expected_texts("tiny-f32");
}

static void test_expected_texts_f16(void)
{
    check_expected_texts("tiny-f16");
}

static void test_edge_cases(void)
{
    g_autoptr(ClipTokenizer) tokenizer = load_fixture_tokenizer("tiny-f32/hf");
    if (tokenizer == NULL)
        return;
    for (size_t i = 0; i < G_N_ELEMENTS(encode_cases); i++) {
        size_t n_ids = 0;
        g_autofree int32_t *ids = clip_tokenizer_encode(tokenizer, encode_cases[i].text,
                                                        encode_cases[i].context_length, &n_ids);
        g_autofree char *want = ids_to_string(encode_cases[i].ids, encode_cases[i].n_ids);
        g_autofree char *got = ids_to_string(ids, n_ids);
        g_assert_cmpstr(got, ==, want);
    }
}

static void test_clean_text(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(clean_cases); i++) {
        g_autofree char *cleaned = clip_tokenizer_clean_text(clean_cases[i].text);
        g_assert_cmpstr(cleaned, ==, clean_cases[i].cleaned);
    }
    /* Invalid UTF-8 becomes U+FFFD rather than failing. */
    g_autofree char *repaired = clip_tokenizer_clean_text("A\xff.");
    g_assert_cmpstr(repaired, ==, "a\ufffd.");
}

/* The goal is well under a second; the bound only catches a pathology
 * without making a slow CI machine fail. */
static void test_speed(void)
{
    g_autofree char *dir = test_fixture_path("tiny-f32/hf");
    g_autoptr(GPtrArray) cases = dir != NULL ? load_cases() : NULL;
    if (cases == NULL)
        return;

    gint64 start = g_get_monotonic_time();
    g_autoptr(GError) error = NULL;
    g_autoptr(ClipTokenizer) tokenizer = clip_tokenizer_new_from_dir(dir, &error);
    g_assert_no_error(error);
    gint64 loaded = g_get_monotonic_time();
    size_t n_total = 0;
    for (guint i = 0; i < cases->len; i++) {
        size_t n_ids = 0;
        g_free(clip_tokenizer_encode(tokenizer, case_text(cases->pdata[i]), 0, &n_ids));
        n_total += n_ids;
    }
    gint64 done = g_get_monotonic_time();

    g_test_message("loading: %.1f ms; tokenizing %u texts (%zu ids): %.1f ms; total %.1f ms",
                   (loaded - start) / 1e3, cases->len, n_total, (done - loaded) / 1e3,
                   (done - start) / 1e3);
    g_assert_cmpfloat((done - start) / 1e6, <, 10.0);
}

/* A hostile query: BPE is quadratic in word length, and a search query
 * was tokenized whole before truncation (a 100,000-letter word took 3.8 s).
 * With a context, the ids are the untruncated ones cut as clip.tokenize()
 * cuts them, and they come in milliseconds. */
static void test_long_query(void)
{
    g_autofree char *dir = test_fixture_path("tiny-f32/hf");
    if (dir == NULL)
        return;
    g_autoptr(GError) error = NULL;
    g_autoptr(ClipTokenizer) tokenizer = clip_tokenizer_new_from_dir(dir, &error);
    g_assert_no_error(error);

    g_autoptr(GString) words = g_string_new(NULL);
    for (int i = 0; i < 2000; i++)
        g_string_append_printf(words, "a photo of %d red cats, ", i);
    size_t n_full = 0, n_cut = 0;
    g_autofree int32_t *full = clip_tokenizer_encode(tokenizer, words->str, 0, &n_full);
    g_autofree int32_t *cut = clip_tokenizer_encode(tokenizer, words->str, 77, &n_cut);
    g_assert_cmpuint(n_full, >, 77);
    g_assert_cmpuint(n_cut, ==, 77);
    g_assert_cmpmem(cut, 76 * sizeof(int32_t), full, 76 * sizeof(int32_t));
    g_assert_cmpint(cut[76], ==, clip_tokenizer_end_id(tokenizer));

    const char *const letters[] = {"a", "xq", "\xc3\xa9"}; /* one letter, two, a two-byte one */
    for (size_t i = 0; i < G_N_ELEMENTS(letters); i++) {
        g_autoptr(GString) word = g_string_new(NULL);
        for (long n = 0; n < 100000; n += g_utf8_strlen(letters[i], -1))
            g_string_append(word, letters[i]);
        gint64 start = g_get_monotonic_time();
        size_t n_ids = 0;
        g_autofree int32_t *ids = clip_tokenizer_encode(tokenizer, word->str, 77, &n_ids);
        double ms = (g_get_monotonic_time() - start) / 1e3;
        g_test_message("a 100,000-letter word of \"%s\": %zu ids in %.1f ms", letters[i], n_ids,
                       ms);
        g_assert_cmpuint(n_ids, ==, 77);
        g_assert_cmpint(ids[76], ==, clip_tokenizer_end_id(tokenizer));
        /* Milliseconds where it took seconds; loose for a loaded CI machine. */
        g_assert_cmpfloat(ms, <, 250.0);
    }
}

/* ---- synthetic model folders: no fixtures needed ---- */

/* A folder of vocab.json and merges.txt written by the test, removed after it. */
typedef struct {
    char *dir;
    char *vocab_path;
    char *merges_path;
} TokenizerFiles;

static void files_set_up(TokenizerFiles *files, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    files->dir = g_dir_make_tmp("spyglass-tokenizer-XXXXXX", &error);
    g_assert_no_error(error);
    files->vocab_path = g_build_filename(files->dir, "vocab.json", NULL);
    files->merges_path = g_build_filename(files->dir, "merges.txt", NULL);
}

static void files_tear_down(TokenizerFiles *files, gconstpointer data)
{
    g_remove(files->vocab_path);
    g_remove(files->merges_path);
    g_assert_cmpint(g_rmdir(files->dir), ==, 0);
    g_free(files->vocab_path);
    g_free(files->merges_path);
    g_free(files->dir);
}

static void write_file(const char *path, const char *contents)
{
    g_autoptr(GError) error = NULL;
    g_file_set_contents(path, contents, -1, &error);
    g_assert_no_error(error);
}

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

/* A vocabulary laid out as CLIP's: 256 byte symbols (id = byte), the same with </w>,
 * then what merges "h e" and "he l</w>" make: "he" 512, "hel</w>" 513; the
 * start token 514 and, unless left out, the end token 515. */
static void write_small_vocab(const char *path, gboolean with_end_token)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    for (unsigned byte = 0; byte < 256; byte++) {
        char symbol[16] = {0};
        g_unichar_to_utf8(byte_character(byte), symbol);
        json_builder_set_member_name(builder, symbol);
        json_builder_add_int_value(builder, byte);
        g_autofree char *word_end = g_strconcat(symbol, "</w>", NULL);
        json_builder_set_member_name(builder, word_end);
        json_builder_add_int_value(builder, 256 + byte);
    }
    const char *rest[] = {"he", "hel</w>", "<|startoftext|>", "<|endoftext|>"};
    for (size_t i = 0; i < G_N_ELEMENTS(rest) - (with_end_token ? 0 : 1); i++) {
        json_builder_set_member_name(builder, rest[i]);
        json_builder_add_int_value(builder, 512 + (gint64)i);
    }
    json_builder_end_object(builder);

    g_autoptr(JsonGenerator) generator = json_generator_new();
    g_autoptr(JsonNode) root = json_builder_get_root(builder);
    json_generator_set_root(generator, root);
    g_autoptr(GError) error = NULL;
    json_generator_to_file(generator, path, &error);
    g_assert_no_error(error);
}

/* One member, every character of the token written as a \u escape (a
 * surrogate pair beyond the BMP). */
static void append_escaped_member(GString *text, const char *token, int id)
{
    g_string_append(text, "\t\"");
    for (const char *c = token; *c != '\0'; c = g_utf8_next_char(c)) {
        gunichar u = g_utf8_get_char(c);
        if (u >= 0x10000)
            g_string_append_printf(text, "\\u%04X\\u%04x", 0xD800 + ((u - 0x10000) >> 10),
                                   0xDC00 + ((u - 0x10000) & 0x3FF));
        else
            g_string_append_printf(text, "\\u%04x", u);
    }
    g_string_append_printf(text, "\" :\r\n %d,\n", id);
}

/* write_small_vocab()'s vocabulary with every token escaped, members over
 * several lines, plus "😀" 516 and "😀x" 517 for a merge rule to name. */
static void write_escaped_vocab(const char *path)
{
    g_autoptr(GString) text = g_string_new(" {\n");
    for (unsigned byte = 0; byte < 256; byte++) {
        char symbol[16] = {0};
        g_unichar_to_utf8(byte_character(byte), symbol);
        append_escaped_member(text, symbol, (int)byte);
        g_autofree char *word_end = g_strconcat(symbol, "</w>", NULL);
        append_escaped_member(text, word_end, 256 + (int)byte);
    }
    const char *rest[] = {"he",
                          "hel</w>",
                          "<|startoftext|>",
                          "<|endoftext|>",
                          "\xf0\x9f\x98\x80",
                          "\xf0\x9f\x98\x80x"};
    for (size_t i = 0; i < G_N_ELEMENTS(rest); i++)
        append_escaped_member(text, rest[i], 512 + (int)i);
    g_string_truncate(text, text->len - 2); /* the last comma */
    g_string_append(text, "\n}\n");
    write_file(path, text->str);
}

static void assert_encodes(ClipTokenizer *tokenizer, const char *text, const char *expected)
{
    size_t n_ids = 0;
    g_autofree int32_t *ids = clip_tokenizer_encode(tokenizer, text, 0, &n_ids);
    g_autofree char *got = ids_to_string(ids, n_ids);
    g_assert_cmpstr(got, ==, expected);
}

/* merges.txt with and without the "#version" header, with CRLF line ends. */
static void test_small_vocabulary(TokenizerFiles *files, gconstpointer data)
{
    const char *merges_files[] = {"#version: 0.2\nh e\nhe l</w>\n", "h e\nhe l</w>",
                                  "#version: 0.2\r\nh e\r\nhe l</w>\r\n"};
    write_small_vocab(files->vocab_path, TRUE);
    for (size_t i = 0; i < G_N_ELEMENTS(merges_files); i++) {
        write_file(files->merges_path, merges_files[i]);
        g_autoptr(GError) error = NULL;
        g_autoptr(ClipTokenizer) tokenizer =
            clip_tokenizer_new(files->vocab_path, files->merges_path, &error);
        g_assert_no_error(error);
        g_assert_cmpint(clip_tokenizer_start_id(tokenizer), ==, 514);
        g_assert_cmpint(clip_tokenizer_end_id(tokenizer), ==, 515);
        g_assert_cmpuint(clip_tokenizer_vocab_size(tokenizer), ==, 516);
        assert_encodes(tokenizer, "Hel HEL", "[514, 513, 513, 515]");
        /* "h" 104, "e</w>" 256 + 101: no rule joins them. */
        assert_encodes(tokenizer, "he", "[514, 104, 357, 515]");
        assert_encodes(tokenizer, "", "[514, 515]");
    }
}

/* vocab.json's tokens as JSON escapes them: the same ids as written plain. */
static void test_vocab_escapes(TokenizerFiles *files, gconstpointer data)
{
    write_escaped_vocab(files->vocab_path);
    /* the last rule names the tokens behind surrogate pairs */
    write_file(files->merges_path, "h e\nhe l</w>\n\xf0\x9f\x98\x80 x\n");
    g_autoptr(GError) error = NULL;
    g_autoptr(ClipTokenizer) tokenizer =
        clip_tokenizer_new(files->vocab_path, files->merges_path, &error);
    g_assert_no_error(error);
    g_assert_cmpint(clip_tokenizer_start_id(tokenizer), ==, 514);
    g_assert_cmpint(clip_tokenizer_end_id(tokenizer), ==, 515);
    g_assert_cmpuint(clip_tokenizer_vocab_size(tokenizer), ==, 518);
    assert_encodes(tokenizer, "Hel HEL", "[514, 513, 513, 515]");
    /* é: the symbols of bytes C3 and A9 (word end), written \u00c3, \u0129</w> */
    assert_encodes(tokenizer, "é", "[514, 195, 425, 515]");
}

/* Loads the folder, expecting `code` and a message that names `path`. */
static void assert_load_fails(TokenizerFiles *files, ClipError code, const char *path)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ClipTokenizer) tokenizer = clip_tokenizer_new_from_dir(files->dir, &error);
    g_assert_null(tokenizer);
    g_assert_error(error, CLIP_ERROR, (gint)code);
    g_test_message("%s", error->message);
    if (strstr(error->message, path) == NULL)
        g_test_fail_printf("“%s” does not name %s", error->message, path);
}

static void test_missing_vocab(TokenizerFiles *files, gconstpointer data)
{
    write_file(files->merges_path, "h e\n");
    assert_load_fails(files, CLIP_ERROR_IO, files->vocab_path);
}

static void test_missing_merges(TokenizerFiles *files, gconstpointer data)
{
    write_small_vocab(files->vocab_path, TRUE);
    assert_load_fails(files, CLIP_ERROR_IO, files->merges_path);
}

static void test_vocab_not_json(TokenizerFiles *files, gconstpointer data)
{
    const char *not_json[] = {
        "{\"a\": 0, oops", "{\"a\": 0,}", "{\"a\" 0}", "{\"a\": 0} x",     "{\"\\ud800\": 0}",
        "{\"a\\q\": 0}",   "{\"a\": 0",   "{\"a",      "{\"\\u0000\": 0}",
    };
    write_file(files->merges_path, "h e\n");
    for (size_t i = 0; i < G_N_ELEMENTS(not_json); i++) {
        write_file(files->vocab_path, not_json[i]);
        assert_load_fails(files, CLIP_ERROR_MALFORMED, files->vocab_path);
    }
}

/* json-glib's parser recurses per bracket: deep vocabularies are refused
 * before it sees them, also behind a comment meant to hide the brackets. */
static void test_vocab_too_deep(TokenizerFiles *files, gconstpointer data)
{
    write_file(files->merges_path, "h e\n");
    const char *const prefixes[] = {"", "/*\"*/", "'\"'"};
    for (size_t i = 0; i < G_N_ELEMENTS(prefixes); i++) {
        g_autoptr(GString) deep = g_string_new(prefixes[i]);
        for (int k = 0; k < 200000; k++)
            g_string_append_c(deep, '[');
        write_file(files->vocab_path, deep->str);
        assert_load_fails(files, CLIP_ERROR_MALFORMED, files->vocab_path);
    }
}

static void test_vocab_not_ids(TokenizerFiles *files, gconstpointer data)
{
    write_file(files->merges_path, "h e\n");
    write_file(files->vocab_path, "[\"a\", \"b\"]");
    assert_load_fails(files, CLIP_ERROR_MALFORMED, files->vocab_path);
    write_file(files->vocab_path, "{\"a\": \"zero\"}");
    assert_load_fails(files, CLIP_ERROR_MALFORMED, files->vocab_path);
    write_file(files->vocab_path, "{\"a\": -1}");
    assert_load_fails(files, CLIP_ERROR_MALFORMED, files->vocab_path);
    write_file(files->vocab_path, "{\"a\": 1.5}");
    assert_load_fails(files, CLIP_ERROR_MALFORMED, files->vocab_path);
    write_file(files->vocab_path, "{\"a\": 99999999999}");
    assert_load_fails(files, CLIP_ERROR_MALFORMED, files->vocab_path);
}

static void test_vocab_without_end_token(TokenizerFiles *files, gconstpointer data)
{
    write_small_vocab(files->vocab_path, FALSE);
    write_file(files->merges_path, "h e\n");
    assert_load_fails(files, CLIP_ERROR_MALFORMED, files->vocab_path);
}

static void test_bad_merge_line(TokenizerFiles *files, gconstpointer data)
{
    const char *bad_merges[] = {
        "#version: 0.2\nh e\nhel\n", /* one part */
        "h e\nh e l\n",              /* three parts */
        "h e\n h\n",                 /* empty first part */
        "h e\nq z\n",                /* "qz" is not in the vocabulary */
        "h e\n\xe2\x82 z\n",         /* not UTF-8 */
    };
    write_small_vocab(files->vocab_path, TRUE);
    for (size_t i = 0; i < G_N_ELEMENTS(bad_merges); i++) {
        write_file(files->merges_path, bad_merges[i]);
        assert_load_fails(files, CLIP_ERROR_MALFORMED, files->merges_path);
    }
}

static void add_files_test(const char *path, void (*test)(TokenizerFiles *, gconstpointer))
{
    g_test_add(path, TokenizerFiles, NULL, files_set_up, test, files_tear_down);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/clip/tokenizer/clean-text", test_clean_text);
    g_test_add_func("/clip/tokenizer/cases-file", test_cases_file);
    g_test_add_func("/clip/tokenizer/expected-texts/tiny-f32", test_expected_texts_f32);
    g_test_add_func("/clip/tokenizer/expected-texts/tiny-f16", test_expected_texts_f16);
    g_test_add_func("/clip/tokenizer/edge-cases", test_edge_cases);
    g_test_add_func("/clip/tokenizer/speed", test_speed);
    g_test_add_func("/clip/tokenizer/long-query", test_long_query);
    add_files_test("/clip/tokenizer/small-vocabulary", test_small_vocabulary);
    add_files_test("/clip/tokenizer/vocab-escapes", test_vocab_escapes);
    add_files_test("/clip/tokenizer/malformed/missing-vocab", test_missing_vocab);
    add_files_test("/clip/tokenizer/malformed/missing-merges", test_missing_merges);
    add_files_test("/clip/tokenizer/malformed/vocab-not-json", test_vocab_not_json);
    add_files_test("/clip/tokenizer/malformed/vocab-not-ids", test_vocab_not_ids);
    add_files_test("/clip/tokenizer/malformed/vocab-too-deep", test_vocab_too_deep);
    add_files_test("/clip/tokenizer/malformed/vocab-without-end-token",
                   test_vocab_without_end_token);
    add_files_test("/clip/tokenizer/malformed/merge-line", test_bad_merge_line);
    return g_test_run();
}
