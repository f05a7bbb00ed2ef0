/* clip-tokenizer-spm.c: the SigLIP and SigLIP 2 SentencePiece tokenizers, as in transformers.
 *
 * The ids must be those of the reference tokenizers exactly, padding
 * included: SigLIP's text model pools the last of its 64 positions, so a
 * different padding or one token more changes every feature. The reference
 * is transformers' slow tokenizers on sentencepiece (the rules and the
 * files they come from are in ../shared/fixtures/README.md):
 *
 * SigLIP (SiglipTokenizer, spiece.model): ▁ in the text becomes a space;
 * lower case one character at a time (transformers 4.x's do_lower_case;
 * 5.x's str.lower() differs only in giving ς for a word-final capital
 * sigma); big_vision's canonicalisation: delete ASCII punctuation
 * (string.punctuation), collapse Python's `\s+` to one space, strip; then
 * the model as shipped (its nmt_nfkc normaliser, dummy prefix, whitespace
 * removal). End token </s>, padding </s>.
 *
 * SigLIP 2 (GemmaTokenizer with do_lower_case, tokenizer.model): lower case
 * one character at a time (Rust's char::to_lowercase(), what
 * transformers 5's Siglip2Tokenizer adds in front of Gemma's normaliser);
 * then the model as shipped (identity normaliser, every space kept, byte
 * fallback). No <bos>; end token <eos>, padding <pad> on the right.
 *
 * Both keep at most length − 1 ids of the text before the end token.
 * Literal special-token strings in a text ("</s>", "<eos>") are encoded as
 * text, where transformers would split them out as control ids: a search
 * query should not inject control tokens.
 */
#include "clip/clip-tokenizer-spm.h"

#include "clip/clip-model.h"
#include "clip/clip-safetensors.h"
#include "clip/clip-sentencepiece.h"
#include "clip/clip-tokenizer-text.h"

#include <json-glib/json-glib.h>
#include <string.h>

#define DEFAULT_MAX_LENGTH 64
#define MAX_MAX_LENGTH     16384
#define SPIECE_UNDERLINE   0x2581

struct _ClipSpmTokenizer {
    ClipTokenizerStyle style;
    ClipSentencepiece *sp;
    uint32_t max_length;
    int32_t end_id;
    int32_t pad_id;
    size_t max_piece_bytes; /* bounds how much text one id stands for: text_cap() */
};

/* ---- detection ---- */

/* Parses `path` into *parser when the file exists; *parser stays NULL when it does not. */
static gboolean load_optional_json(const char *path, JsonParser **parser, GError **error)
{
    *parser = NULL;
    if (!g_file_test(path, G_FILE_TEST_EXISTS))
        return TRUE;
    g_autofree char *contents = NULL;
    gsize length = 0;
    g_autoptr(GError) local = NULL;
    if (!g_file_get_contents(path, &contents, &length, &local)) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_IO, "%s", local->message);
        return FALSE;
    }
    /* The guard every JSON we parse goes through: json-glib recurses. */
    if (!clip_json_check_text(path, contents, length, error))
        return FALSE;
    g_autoptr(JsonParser) parsed = json_parser_new();
    if (!json_parser_load_from_data(parsed, contents, (gssize)length, &local)) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: %s", path, local->message);
        return FALSE;
    }
    if (!JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parsed))) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: not a JSON object", path);
        return FALSE;
    }
    *parser = g_steal_pointer(&parsed);
    return TRUE;
}

/* The member at `path` (object names, NULL-terminated) below the root, or NULL. */
static JsonNode *lookup_member(JsonParser *parser, const char *const *path)
{
    JsonNode *node = json_parser_get_root(parser);
    for (size_t i = 0; path[i] != NULL; i++) {
        if (!JSON_NODE_HOLDS_OBJECT(node))
            return NULL;
        node = json_object_get_member(json_node_get_object(node), path[i]);
        if (node == NULL)
            return NULL;
    }
    return node;
}

/* tokenizer_config.json's tokenizer_class, else the model file's name. */
static gboolean detect_style(const char *model_dir, const char *model_file,
                             ClipTokenizerStyle *style, GError **error)
{
    *style = strcmp(model_file, "spiece.model") == 0 ? CLIP_TOKENIZER_STYLE_SIGLIP
                                                     : CLIP_TOKENIZER_STYLE_GEMMA;
    g_autofree char *path = g_build_filename(model_dir, "tokenizer_config.json", NULL);
    g_autoptr(JsonParser) parser = NULL;
    if (!load_optional_json(path, &parser, error))
        return FALSE;
    if (parser == NULL)
        return TRUE;
    static const char *const class_path[] = {"tokenizer_class", NULL};
    JsonNode *node = lookup_member(parser, class_path);
    if (node == NULL)
        return TRUE;
    const char *name =
        JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING
            ? json_node_get_string(node)
            : NULL;
    if (g_strcmp0(name, "SiglipTokenizer") == 0) {
        *style = CLIP_TOKENIZER_STYLE_SIGLIP;
    } else if (g_strcmp0(name, "GemmaTokenizer") == 0 ||
               g_strcmp0(name, "GemmaTokenizerFast") == 0 ||
               g_strcmp0(name, "Siglip2Tokenizer") == 0) {
        *style = CLIP_TOKENIZER_STYLE_GEMMA;
    } else {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED,
                    "%s: tokenizer_class “%s” is none Spyglass knows (SiglipTokenizer, "
                    "GemmaTokenizer, Siglip2Tokenizer)",
                    path, name != NULL ? name : "(not a string)");
        return FALSE;
    }
    return TRUE;
}

/* The text model's length from `file` at `member_path`; TRUE and *found FALSE when absent. */
static gboolean read_max_length(const char *model_dir, const char *file,
                                const char *const *member_path, uint32_t *max_length,
                                gboolean *found, GError **error)
{
    *found = FALSE;
    g_autofree char *path = g_build_filename(model_dir, file, NULL);
    g_autoptr(JsonParser) parser = NULL;
    if (!load_optional_json(path, &parser, error))
        return FALSE;
    if (parser == NULL)
        return TRUE;
    *found = TRUE;
    JsonNode *node = lookup_member(parser, member_path);
    if (node == NULL)
        return TRUE;
    gint64 value = JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_INT64
                       ? json_node_get_int(node)
                       : 0;
    if (value < 1 || value > MAX_MAX_LENGTH) {
        g_autofree char *name = g_strjoinv(".", (char **)member_path);
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED,
                    "%s: %s must be an integer from 1 to %d", path, name, MAX_MAX_LENGTH);
        return FALSE;
    }
    *max_length = (uint32_t)value;
    return TRUE;
}

/* The SentencePiece model file of a folder, or NULL. */
static const char *find_model_file(const char *model_dir)
{
    static const char *const names[] = {"spiece.model", "tokenizer.model"};
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *path = g_build_filename(model_dir, names[i], NULL);
        if (g_file_test(path, G_FILE_TEST_EXISTS))
            return names[i];
    }
    return NULL;
}

gboolean clip_spm_tokenizer_detect(const char *model_dir, ClipTokenizerParams *params,
                                   GError **error)
{
    *params = (ClipTokenizerParams){.style = CLIP_TOKENIZER_STYLE_CLIP, .max_length = 0};
    const char *model_file = find_model_file(model_dir);
    if (model_file == NULL)
        return TRUE;

    ClipTokenizerStyle style;
    if (!detect_style(model_dir, model_file, &style, error))
        return FALSE;
    uint32_t max_length = DEFAULT_MAX_LENGTH;
    static const char *const hf_path[] = {"text_config", "max_position_embeddings", NULL};
    static const char *const open_clip_path[] = {"model_cfg", "text_cfg", "context_length", NULL};
    gboolean found = FALSE;
    if (!read_max_length(model_dir, "config.json", hf_path, &max_length, &found, error))
        return FALSE;
    if (!found && !read_max_length(model_dir, "open_clip_config.json", open_clip_path, &max_length,
                                   &found, error))
        return FALSE;
    *params = (ClipTokenizerParams){.style = style, .max_length = max_length};
    return TRUE;
}

/* ---- loading ---- */

static gboolean lookup_special_piece(const ClipSentencepiece *sp, const char *path,
                                     const char *piece, int32_t *id, GError **error)
{
    *id = clip_sentencepiece_piece_id(sp, piece);
    if (*id >= 0)
        return TRUE;
    g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: no “%s” piece", path, piece);
    return FALSE;
}

ClipSpmTokenizer *clip_spm_tokenizer_new(const char *model_dir, const ClipTokenizerParams *params,
                                         GError **error)
{
    g_return_val_if_fail(params->style == CLIP_TOKENIZER_STYLE_SIGLIP ||
                             params->style == CLIP_TOKENIZER_STYLE_GEMMA,
                         NULL);
    g_return_val_if_fail(params->max_length >= 1, NULL);

    const char *model_file = find_model_file(model_dir);
    g_autofree char *path =
        g_build_filename(model_dir, model_file != NULL ? model_file : "spiece.model", NULL);
    g_autofree char *contents = NULL;
    size_t size = 0;
    g_autoptr(GError) local = NULL;
    if (model_file == NULL || !g_file_get_contents(path, &contents, &size, &local)) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_IO, "%s: %s",
                    model_file == NULL ? model_dir : path,
                    model_file == NULL ? "no spiece.model or tokenizer.model" : local->message);
        return NULL;
    }
    g_autofree char *message = NULL;
    g_autoptr(ClipSentencepiece) sp = clip_sentencepiece_new(contents, size, &message);
    if (sp == NULL) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: not a SentencePiece model (%s)",
                    path, message);
        return NULL;
    }

    gboolean siglip = params->style == CLIP_TOKENIZER_STYLE_SIGLIP;
    int32_t end_id, pad_id;
    if (!lookup_special_piece(sp, path, siglip ? "</s>" : "<eos>", &end_id, error) ||
        !lookup_special_piece(sp, path, siglip ? "</s>" : "<pad>", &pad_id, error))
        return NULL;

    ClipSpmTokenizer *self = g_new0(ClipSpmTokenizer, 1);
    self->style = params->style;
    self->max_length = params->max_length;
    self->end_id = end_id;
    self->pad_id = pad_id;
    self->max_piece_bytes = MAX(clip_sentencepiece_max_piece_bytes(sp), (size_t)1);
    self->sp = g_steal_pointer(&sp);
    return self;
}

void clip_spm_tokenizer_free(ClipSpmTokenizer *tokenizer)
{
    if (tokenizer == NULL)
        return;
    clip_sentencepiece_free(tokenizer->sp);
    g_free(tokenizer);
}

/* ---- encoding ---- */

static gboolean is_ascii_punctuation(gunichar c)
{
    static const char punctuation[] = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    return c != 0 && c < 0x80 && strchr(punctuation, (int)c) != NULL;
}

/* Appends one lower-cased character as the style prepares it. SigLIP:
 * big_vision's canonicalize_text, string.punctuation deleted (ASCII only:
 * ’ — « stay), runs of Python whitespace one space, none at either end:
 * a space waits in *space_pending for a character to follow it. */
static void append_prepared(ClipTokenizerStyle style, gunichar c, GString *out,
                            gboolean *space_pending)
{
    if (style == CLIP_TOKENIZER_STYLE_GEMMA) {
        g_string_append_unichar(out, c);
        return;
    }
    if (is_ascii_punctuation(c))
        return;
    if (clip_text_is_python_space(c)) {
        *space_pending = out->len > 0;
        return;
    }
    if (*space_pending)
        g_string_append_c(out, ' ');
    *space_pending = FALSE;
    g_string_append_unichar(out, c);
}

/* The text as the SentencePiece model receives it, UTF-8, in one pass that
 * stops once more than max_bytes are prepared: only the first ids survive,
 * and a pasted novel should not cost more than a sentence (cap_text()). */
static GString *prepare_text(const ClipSpmTokenizer *self, const char *text, size_t max_bytes)
{
    g_autofree char *valid = g_utf8_make_valid(text, -1);
    GString *out = g_string_sized_new(MIN(strlen(valid), max_bytes) + 8);
    gboolean space_pending = FALSE;
    for (const char *p = valid; *p != '\0' && out->len <= max_bytes; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        /* SiglipTokenizer.tokenize(): a ▁ typed in the text is a space. */
        if (self->style == CLIP_TOKENIZER_STYLE_SIGLIP && c == SPIECE_UNDERLINE)
            c = ' ';
        gunichar lower[2];
        size_t n_lower = clip_text_lower_char(c, lower);
        for (size_t i = 0; i < n_lower; i++)
            append_prepared(self->style, lower[i], out, &space_pending);
    }
    return out;
}

/* Every id stands for at most max_piece_bytes of normalised text, so the
 * n_ids − 1 ids kept come from the first n_ids × max_piece_bytes bytes.
 * Four times that leaves room for a normaliser that shrinks text (NFKC
 * composition) and for segmentation changes near the cut. */
static size_t text_cap(const ClipSpmTokenizer *self, uint32_t n_ids)
{
    return 4 * (size_t)n_ids * self->max_piece_bytes;
}

/* Where prepared text longer than `cap` is cut: at a space when one is in
 * the last half (SigLIP's pieces never span one), else at a character
 * boundary. */
static size_t cut_text(const GString *text, size_t cap)
{
    if (text->len <= cap)
        return text->len;
    for (size_t at = cap; at > cap / 2; at--) {
        if (text->str[at] == ' ')
            return at;
    }
    while ((text->str[cap] & 0xC0) == 0x80)
        cap--;
    return cap;
}

int32_t *clip_spm_tokenizer_encode(const ClipSpmTokenizer *tokenizer, const char *text,
                                   uint32_t length, size_t *n_ids)
{
    if (length == 0)
        length = tokenizer->max_length;
    size_t cap = text_cap(tokenizer, length);
    g_autoptr(GString) prepared = prepare_text(tokenizer, text, cap);

    GArray *ids = g_array_sized_new(FALSE, FALSE, sizeof(int32_t), length);
    clip_sentencepiece_encode(tokenizer->sp, prepared->str, cut_text(prepared, cap), ids);
    g_array_set_size(ids, MIN(ids->len, length - 1));
    g_array_append_val(ids, tokenizer->end_id);
    while (ids->len < length)
        g_array_append_val(ids, tokenizer->pad_id);
    return (int32_t *)g_array_steal(ids, n_ids);
}

int32_t clip_spm_tokenizer_end_id(const ClipSpmTokenizer *tokenizer)
{
    return tokenizer->end_id;
}

int32_t clip_spm_tokenizer_pad_id(const ClipSpmTokenizer *tokenizer)
{
    return tokenizer->pad_id;
}

uint32_t clip_spm_tokenizer_vocab_size(const ClipSpmTokenizer *tokenizer)
{
    return clip_sentencepiece_n_pieces(tokenizer->sp);
}
