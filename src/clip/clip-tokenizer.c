/* clip-tokenizer.c: CLIP's byte-level BPE tokenizer, a port of OpenAI's simple_tokenizer.py.
 *
 * Exactness matters more than elegance here: the text encoder only works on
 * the ids it was trained with, so every step copies the Python reference,
 * including Python's own definitions of whitespace and lower case, which
 * differ from GLib's.
 *
 * Text is handled as UCS-4 from cleaning to splitting because the reference
 * works on Python code points (the HTML entity name limit, the final-sigma
 * context), and only a piece about to be merged goes back to UTF-8 bytes.
 */
#include "clip/clip-tokenizer.h"

#include "clip/clip-model.h"
#include "clip/clip-safetensors.h"
#include "clip/clip-tokenizer-html.h"
#include "clip/clip-tokenizer-spm.h"
#include "clip/clip-tokenizer-text.h"

#include <string.h>

#define START_TOKEN "<|startoftext|>"
#define END_TOKEN   "<|endoftext|>"
#define END_OF_WORD "</w>"

/* Python's cache grows forever; an app that tokenizes every search query for
 * weeks should not, so the cache starts over past this many words. */
#define WORD_CACHE_MAX_WORDS 65536

/* ---- Unicode classes, as Python and the `regex` module define them ---- */

static gboolean is_letter(gunichar c)
{
    switch (g_unichar_type(c)) {
    case G_UNICODE_UPPERCASE_LETTER:
    case G_UNICODE_LOWERCASE_LETTER:
    case G_UNICODE_TITLECASE_LETTER:
    case G_UNICODE_MODIFIER_LETTER:
    case G_UNICODE_OTHER_LETTER:
        return TRUE;
    default:
        return FALSE;
    }
}

static gboolean is_number(gunichar c)
{
    switch (g_unichar_type(c)) {
    case G_UNICODE_DECIMAL_NUMBER:
    case G_UNICODE_LETTER_NUMBER:
    case G_UNICODE_OTHER_NUMBER:
        return TRUE;
    default:
        return FALSE;
    }
}

/* ---- cleaning ---- */

/* NFC segments end at the first ASCII character after this many characters,
 * or at twice as many before any starter. */
#define NFC_SEGMENT_CHARS 256

/* g_utf8_normalize(NFC) segment by segment: GLib's composition shifts the
 * rest of the buffer at every composed pair, quadratic in the text's
 * length (100,000 "é" took 0.2 s, four times that at twice the length).
 * Segments end before an ASCII character, which never composes with what
 * precedes it, so the result is the same; a run of 2 × NFC_SEGMENT_CHARS
 * without one is cut before a starter outside the Hangul jamo, which
 * differs only where the cut splits a rare starter-starter composition
 * (some Indic vowel signs). */
static char *nfc_in_segments(const char *text)
{
    GString *out = g_string_new(NULL);
    const char *segment = text;
    size_t length = 0;
    for (const char *p = text;; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        gboolean cut =
            c == 0 ||
            (length >= NFC_SEGMENT_CHARS &&
             (c < 0x80 || (length >= 2 * NFC_SEGMENT_CHARS && g_unichar_combining_class(c) == 0 &&
                           (c < 0x1100 || c > 0x11ff))));
        if (cut && p != segment) {
            g_autofree char *composed = g_utf8_normalize(segment, p - segment, G_NORMALIZE_NFC);
            g_string_append(out, composed);
            segment = p;
            length = 0;
        }
        if (c == 0)
            return g_string_free(out, FALSE);
        length++;
    }
}

/* whitespace_clean(basic_clean(text)).lower() with ftfy replaced by NFC. */
static GArray *clean_text_ucs4(const char *text)
{
    g_autofree char *valid = g_utf8_make_valid(text, -1);
    g_autofree char *composed = nfc_in_segments(valid);
    g_autoptr(GArray) decoded = clip_text_to_ucs4(composed);
    g_autoptr(GArray) once = clip_tokenizer_html_unescape((gunichar *)decoded->data, decoded->len);
    g_autoptr(GArray) twice = clip_tokenizer_html_unescape((gunichar *)once->data, once->len);
    clip_text_strip_python_space(twice);
    clip_text_collapse_regex_space(twice);
    clip_text_strip_python_space(twice);
    return clip_text_python_lower((gunichar *)twice->data, twice->len);
}

char *clip_tokenizer_clean_text(const char *text)
{
    g_autoptr(GArray) cleaned = clean_text_ucs4(text);
    return g_ucs4_to_utf8((gunichar *)cleaned->data, cleaned->len, NULL, NULL, NULL);
}

/* ---- the split pattern ----
 * <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
 * with IGNORECASE, tried alternative by alternative at each position as the
 * regex engine does. */

/* IGNORECASE matching of the pattern's ASCII letters: 'ſ' (U+017F) folds to 's'. */
static gboolean matches_ignoring_case(gunichar c, char literal)
{
    return c == (gunichar)literal || c == (gunichar)g_ascii_toupper(literal) ||
           (literal == 's' && c == 0x017F);
}

static size_t match_literal(const gunichar *text, size_t n, size_t at, const char *literal)
{
    size_t length = strlen(literal);
    if (n - at < length)
        return 0;
    for (size_t i = 0; i < length; i++) {
        if (!matches_ignoring_case(text[at + i], literal[i]))
            return 0;
    }
    return length;
}

/* What the pattern's classes make of a character once lower-cased. */
typedef enum {
    PIECE_LETTER,    /* [\p{L}] */
    PIECE_NUMBER,    /* [\p{N}] */
    PIECE_SPACE,     /* \s: separates pieces */
    PIECE_OTHER,     /* [^\s\p{L}\p{N}] */
    PIECE_UNMATCHED, /* in no class: dropped like a space */
} PieceClass;

static PieceClass classify_for_pieces(gunichar c)
{
    /* With IGNORECASE the `regex` module tests a character's case variants
     * too: U+0345 (a mark that case-folds to ι) then falls in neither
     * [\p{L}] nor its negation, and the reference drops it. */
    if (c == 0x0345)
        return PIECE_UNMATCHED;
    if (is_letter(c))
        return PIECE_LETTER;
    if (is_number(c))
        return PIECE_NUMBER;
    if (clip_text_is_regex_space(c))
        return PIECE_SPACE;
    return PIECE_OTHER;
}

/* Length of the piece starting at text[at], or 0 when no alternative
 * matches there (whitespace, U+0345): the reference skips the character. */
static size_t match_piece(const gunichar *text, size_t n, size_t at)
{
    static const char *const literals[] = {
        START_TOKEN, END_TOKEN, "'s", "'t", "'re", "'ve", "'m", "'ll", "'d",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(literals); i++) {
        size_t length = match_literal(text, n, at, literals[i]);
        if (length > 0)
            return length;
    }
    PieceClass piece_class = classify_for_pieces(text[at]);
    switch (piece_class) {
    case PIECE_NUMBER:
        return 1;
    case PIECE_LETTER:
    case PIECE_OTHER: {
        size_t end = at + 1;
        while (end < n && classify_for_pieces(text[end]) == piece_class)
            end++;
        return end - at;
    }
    case PIECE_SPACE:
    case PIECE_UNMATCHED:
    default:
        return 0;
    }
}

/* ---- merges ---- */

/* A merge rule keyed by the ids of its two symbols: open addressing on the
 * packed pair, so applying merges costs no string work. */
typedef struct {
    uint64_t pair; /* EMPTY_PAIR when the slot is free */
    int32_t rank;
    int32_t merged_id;
} MergeSlot;

#define EMPTY_PAIR UINT64_MAX

typedef struct {
    MergeSlot *slots;
    size_t mask; /* slot count − 1, a power of two */
} MergeTable;

static uint64_t pack_pair(int32_t left, int32_t right)
{
    return ((uint64_t)(uint32_t)left << 32) | (uint32_t)right;
}

static size_t pair_slot(const MergeTable *table, uint64_t pair)
{
    /* Fibonacci hashing spreads the consecutive ids of common symbols. */
    return (size_t)((pair * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & table->mask;
}

static void merge_table_init(MergeTable *table, size_t expected)
{
    size_t slots = 16;
    while (slots < expected * 2)
        slots *= 2;
    table->slots = g_new(MergeSlot, slots);
    table->mask = slots - 1;
    for (size_t i = 0; i < slots; i++)
        table->slots[i].pair = EMPTY_PAIR;
}

static MergeSlot *merge_table_find(const MergeTable *table, uint64_t pair)
{
    for (size_t i = pair_slot(table, pair);; i = (i + 1) & table->mask) {
        MergeSlot *slot = &table->slots[i];
        if (slot->pair == pair || slot->pair == EMPTY_PAIR)
            return slot;
    }
}

/* A repeated rule takes the later rank, as Python's dict(zip(merges, ranks)) does. */
static void merge_table_insert(MergeTable *table, uint64_t pair, int32_t rank, int32_t merged_id)
{
    MergeSlot *slot = merge_table_find(table, pair);
    *slot = (MergeSlot){.pair = pair, .rank = rank, .merged_id = merged_id};
}

static const MergeSlot *merge_table_lookup(const MergeTable *table, int32_t left, int32_t right)
{
    const MergeSlot *slot = merge_table_find(table, pack_pair(left, right));
    return slot->pair == EMPTY_PAIR ? NULL : slot;
}

/* ---- the tokenizer ---- */

typedef struct {
    size_t n_ids;
    int32_t ids[];
} WordIds;

struct _ClipTokenizer {
    ClipTokenizerStyle style;
    ClipSpmTokenizer *spm; /* the SentencePiece styles; the rest is CLIP's */

    int32_t byte_ids[256];     /* a byte's bytes_to_unicode() character */
    int32_t byte_end_ids[256]; /* the same character + </w>: a word's last symbol */
    MergeTable merges;
    int32_t start_id;
    int32_t end_id;
    uint32_t vocab_size;

    GMutex cache_lock;
    GHashTable *word_cache; /* piece bytes → WordIds */
};

/* CLIP's bytes_to_unicode(): printable Latin-1 bytes stand for themselves,
 * the others for U+0100 onwards in byte order, so every byte has a visible,
 * non-space character in vocab.json. */
static gboolean is_printable_byte(unsigned byte)
{
    return (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || byte >= 0xAE;
}

static gunichar byte_to_unicode(unsigned byte)
{
    if (is_printable_byte(byte))
        return byte;
    gunichar hidden_before = 0;
    for (unsigned b = 0; b < byte; b++) {
        if (!is_printable_byte(b))
            hidden_before++;
    }
    return 0x100 + hidden_before;
}

typedef struct {
    const char *path;
    GStringChunk *tokens;
    GHashTable *ids; /* token (in `tokens`) → GINT_TO_POINTER(id) */
} Vocab;

static void vocab_clear(Vocab *vocab)
{
    g_clear_pointer(&vocab->ids, g_hash_table_unref);
    g_clear_pointer(&vocab->tokens, g_string_chunk_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Vocab, vocab_clear)

static gboolean vocab_lookup(const Vocab *vocab, const char *token, int32_t *id)
{
    gpointer value;
    if (!g_hash_table_lookup_extended(vocab->ids, token, NULL, &value))
        return FALSE;
    *id = GPOINTER_TO_INT(value);
    return TRUE;
}

static gboolean read_file(const char *path, char **contents, size_t *length, GError **error)
{
    g_autoptr(GError) local_error = NULL;
    if (!g_file_get_contents(path, contents, length, &local_error)) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_IO, "%s", local_error->message);
        return FALSE;
    }
    return TRUE;
}

/* vocab.json is one flat object, token → id (49,408 members for CLIP): it
 * is read by a parser for that shape alone, which builds no tree (json-glib's
 * cost ~0.1 s of a search provider's first answer); anything else is
 * refused. A repeated token takes the later id, as json-glib did. */
typedef struct {
    const char *path;
    const char *text, *at, *end;
} VocabReader;

static gboolean vocab_syntax_error(const VocabReader *reader, const char *what, GError **error)
{
    g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: not valid JSON at byte %zu: %s",
                reader->path, (size_t)(reader->at - reader->text), what);
    return FALSE;
}

static void vocab_skip_space(VocabReader *reader)
{
    while (reader->at < reader->end && (*reader->at == ' ' || *reader->at == '\t' ||
                                        *reader->at == '\n' || *reader->at == '\r'))
        reader->at++;
}

static gboolean vocab_read_hex4(VocabReader *reader, gunichar *code, GError **error)
{
    *code = 0;
    for (int i = 0; i < 4; i++, reader->at++) {
        if (reader->at >= reader->end || !g_ascii_isxdigit(*reader->at))
            return vocab_syntax_error(reader, "a \\u escape without four hex digits", error);
        *code = *code * 16 + (gunichar)g_ascii_xdigit_value(*reader->at);
    }
    return TRUE;
}

/* A \u escape (reader past the `u`), a surrogate pair whole, onto out. */
static gboolean vocab_read_unicode_escape(VocabReader *reader, GString *out, GError **error)
{
    gunichar code, low;
    if (!vocab_read_hex4(reader, &code, error))
        return FALSE;
    if (code >= 0xDC00 && code < 0xE000)
        return vocab_syntax_error(reader, "a lone low surrogate", error);
    if (code >= 0xD800 && code < 0xDC00) {
        if (reader->end - reader->at < 2 || reader->at[0] != '\\' || reader->at[1] != 'u')
            return vocab_syntax_error(reader, "a lone high surrogate", error);
        reader->at += 2;
        if (!vocab_read_hex4(reader, &low, error))
            return FALSE;
        if (low < 0xDC00 || low >= 0xE000)
            return vocab_syntax_error(reader, "a high surrogate without its low one", error);
        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
    }
    if (code == 0)
        return vocab_syntax_error(reader, "a NUL character in a token", error);
    g_string_append_unichar(out, code);
    return TRUE;
}

/* A string (reader past its opening quote), unescaped, into out. */
static gboolean vocab_read_string(VocabReader *reader, GString *out, GError **error)
{
    g_string_truncate(out, 0);
    while (reader->at < reader->end) {
        unsigned char c = (unsigned char)*reader->at++;
        if (c == '"')
            return TRUE;
        if (c < 0x20)
            return vocab_syntax_error(reader, "a control character in a string", error);
        if (c != '\\') {
            g_string_append_c(out, (char)c);
            continue;
        }
        if (reader->at >= reader->end)
            break;
        char escape = *reader->at++;
        const char *plain = strchr("\"\\/", escape);
        const char *control = strchr("bfnrt", escape);
        if (escape != '\0' && plain != NULL)
            g_string_append_c(out, escape);
        else if (escape != '\0' && control != NULL)
            g_string_append_c(out, "\b\f\n\r\t"[control - "bfnrt"]);
        else if (escape == 'u') {
            if (!vocab_read_unicode_escape(reader, out, error))
                return FALSE;
        } else
            return vocab_syntax_error(reader, "an unknown escape", error);
    }
    return vocab_syntax_error(reader, "a string without its closing quote", error);
}

/* A member's value: a whole number in [0, G_MAXINT32). */
static gboolean vocab_read_id(VocabReader *reader, const char *token, int32_t *id, GError **error)
{
    gboolean negative = reader->at < reader->end && *reader->at == '-';
    const char *digits = reader->at + negative;
    const char *c = digits;
    gint64 value = 0;
    for (; c < reader->end && g_ascii_isdigit(*c); c++)
        value = MIN(value * 10 + (*c - '0'), (gint64)G_MAXINT32);
    if (c == digits || (c < reader->end && (*c == '.' || *c == 'e' || *c == 'E'))) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED,
                    "%s: the id of token “%s” is not an integer", reader->path, token);
        return FALSE;
    }
    if (negative || value >= G_MAXINT32) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED,
                    "%s: the id of token “%s” is out of range: %.*s", reader->path, token,
                    (int)(c - reader->at), reader->at);
        return FALSE;
    }
    reader->at = c;
    *id = (int32_t)value;
    return TRUE;
}

/* The members of the object (reader past its `{`) into the vocabulary. */
static gboolean vocab_read_members(Vocab *vocab, VocabReader *reader, uint32_t *vocab_size,
                                   GError **error)
{
    g_autoptr(GString) token = g_string_new(NULL);
    vocab_skip_space(reader);
    if (reader->at < reader->end && *reader->at == '}') {
        reader->at++;
        return TRUE;
    }
    for (;;) {
        vocab_skip_space(reader);
        if (reader->at >= reader->end || *reader->at != '"')
            return vocab_syntax_error(reader, "expected a token in double quotes", error);
        reader->at++;
        if (!vocab_read_string(reader, token, error))
            return FALSE;
        vocab_skip_space(reader);
        if (reader->at >= reader->end || *reader->at != ':')
            return vocab_syntax_error(reader, "expected “:” after a token", error);
        reader->at++;
        vocab_skip_space(reader);
        int32_t id;
        if (!vocab_read_id(reader, token->str, &id, error))
            return FALSE;
        char *stored = g_string_chunk_insert_len(vocab->tokens, token->str, (gssize)token->len);
        g_hash_table_insert(vocab->ids, stored, GINT_TO_POINTER(id));
        *vocab_size = MAX(*vocab_size, (uint32_t)id + 1);
        vocab_skip_space(reader);
        if (reader->at < reader->end && *reader->at == ',') {
            reader->at++;
            continue;
        }
        if (reader->at < reader->end && *reader->at == '}') {
            reader->at++;
            return TRUE;
        }
        return vocab_syntax_error(reader, "expected “,” or “}” after an id", error);
    }
}

/* vocab.json: one JSON object, token → integer id. */
static gboolean vocab_load(Vocab *vocab, const char *path, uint32_t *vocab_size, GError **error)
{
    g_autofree char *contents = NULL;
    size_t length = 0;
    if (!read_file(path, &contents, &length, error))
        return FALSE;

    if (!clip_json_check_text(path, contents, length, error))
        return FALSE;
    vocab->path = path;
    vocab->tokens = g_string_chunk_new(length);
    vocab->ids = g_hash_table_new(g_str_hash, g_str_equal);
    *vocab_size = 0;
    VocabReader reader = {path, contents, contents, contents + length};
    vocab_skip_space(&reader);
    if (reader.at >= reader.end || *reader.at != '{') {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED,
                    "%s: expected a JSON object mapping tokens to ids", path);
        return FALSE;
    }
    reader.at++;
    if (!vocab_read_members(vocab, &reader, vocab_size, error))
        return FALSE;
    vocab_skip_space(&reader);
    if (reader.at != reader.end)
        return vocab_syntax_error(&reader, "text after the object", error);
    return TRUE;
}

static gboolean lookup_required_token(const Vocab *vocab, const char *token, int32_t *id,
                                      GError **error)
{
    if (vocab_lookup(vocab, token, id))
        return TRUE;
    g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: no “%s” token", vocab->path, token);
    return FALSE;
}

/* Every byte must have its symbol, alone and ending a word, or some text
 * would have no ids. */
static gboolean lookup_byte_tokens(ClipTokenizer *self, const Vocab *vocab, GError **error)
{
    for (unsigned byte = 0; byte < 256; byte++) {
        char token[8 + sizeof(END_OF_WORD)];
        int length = g_unichar_to_utf8(byte_to_unicode(byte), token);
        token[length] = '\0';
        if (!lookup_required_token(vocab, token, &self->byte_ids[byte], error))
            return FALSE;
        memcpy(token + length, END_OF_WORD, sizeof(END_OF_WORD));
        if (!lookup_required_token(vocab, token, &self->byte_end_ids[byte], error))
            return FALSE;
    }
    return TRUE;
}

/* One "left right" line of merges.txt into the table with its rank. */
static gboolean add_merge_line(ClipTokenizer *self, const Vocab *vocab, const char *path,
                               size_t line_number, const char *line, int32_t rank, GString *scratch,
                               GError **error)
{
    const char *space = strchr(line, ' ');
    if (space == NULL || space == line || space[1] == '\0' || strchr(space + 1, ' ') != NULL) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED,
                    "%s:%zu: expected two symbols separated by one space, got “%s”", path,
                    line_number, line);
        return FALSE;
    }

    g_string_assign(scratch, line);
    g_string_truncate(scratch, (gsize)(space - line));
    const char *right = space + 1;
    int32_t left_id, right_id, merged_id;
    const char *missing = NULL;
    if (!vocab_lookup(vocab, scratch->str, &left_id))
        missing = "the first symbol";
    else if (!vocab_lookup(vocab, right, &right_id))
        missing = "the second symbol";
    g_string_append(scratch, right);
    if (missing == NULL && !vocab_lookup(vocab, scratch->str, &merged_id))
        missing = "the merged symbol";
    if (missing != NULL) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s:%zu: %s of “%s” is not in %s",
                    path, line_number, missing, line, vocab->path);
        return FALSE;
    }
    merge_table_insert(&self->merges, pack_pair(left_id, right_id), rank, merged_id);
    return TRUE;
}

/* merges.txt: one rule a line, highest priority first, after an optional
 * "#version" header (OpenAI's and Hugging Face's files have one). */
static gboolean load_merges(ClipTokenizer *self, const Vocab *vocab, const char *path,
                            GError **error)
{
    g_autofree char *contents = NULL;
    size_t length = 0;
    if (!read_file(path, &contents, &length, error))
        return FALSE;
    if (!g_utf8_validate(contents, (gssize)length, NULL)) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: not UTF-8 text", path);
        return FALSE;
    }

    size_t n_lines = 1;
    for (const char *c = contents; *c != '\0'; c++)
        n_lines += *c == '\n';
    merge_table_init(&self->merges, n_lines);

    g_autoptr(GString) scratch = g_string_new(NULL);
    int32_t rank = 0;
    char *next = contents;
    for (size_t line_number = 1; next != NULL; line_number++) {
        char *line = next;
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        size_t line_length = strlen(line);
        if (line_length > 0 && line[line_length - 1] == '\r')
            line[line_length - 1] = '\0';
        if (line[0] == '\0' || (line_number == 1 && g_str_has_prefix(line, "#version")))
            continue;
        if (!add_merge_line(self, vocab, path, line_number, line, rank, scratch, error))
            return FALSE;
        rank++;
    }
    return TRUE;
}

static void word_ids_free(gpointer word_ids)
{
    g_free(word_ids);
}

ClipTokenizer *clip_tokenizer_new(const char *vocab_json_path, const char *merges_txt_path,
                                  GError **error)
{
    g_return_val_if_fail(vocab_json_path != NULL && merges_txt_path != NULL, NULL);

    g_auto(Vocab) vocab = {0};
    g_autoptr(ClipTokenizer) self = g_new0(ClipTokenizer, 1);
    g_mutex_init(&self->cache_lock);
    self->word_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, word_ids_free);

    if (!vocab_load(&vocab, vocab_json_path, &self->vocab_size, error) ||
        !lookup_required_token(&vocab, START_TOKEN, &self->start_id, error) ||
        !lookup_required_token(&vocab, END_TOKEN, &self->end_id, error) ||
        !lookup_byte_tokens(self, &vocab, error) ||
        !load_merges(self, &vocab, merges_txt_path, error))
        return NULL;
    return g_steal_pointer(&self);
}

gboolean clip_tokenizer_detect(const char *model_dir, ClipTokenizerParams *params, GError **error)
{
    g_return_val_if_fail(model_dir != NULL && params != NULL, FALSE);
    return clip_spm_tokenizer_detect(model_dir, params, error);
}

ClipTokenizer *clip_tokenizer_new_with_params(const char *model_dir,
                                              const ClipTokenizerParams *params, GError **error)
{
    g_return_val_if_fail(model_dir != NULL && params != NULL, NULL);

    if (params->style == CLIP_TOKENIZER_STYLE_CLIP) {
        g_autofree char *vocab_path = g_build_filename(model_dir, "vocab.json", NULL);
        g_autofree char *merges_path = g_build_filename(model_dir, "merges.txt", NULL);
        return clip_tokenizer_new(vocab_path, merges_path, error);
    }
    ClipSpmTokenizer *spm = clip_spm_tokenizer_new(model_dir, params, error);
    if (spm == NULL)
        return NULL;
    ClipTokenizer *self = g_new0(ClipTokenizer, 1);
    g_mutex_init(&self->cache_lock);
    self->style = params->style;
    self->spm = spm;
    self->start_id = -1;
    self->end_id = clip_spm_tokenizer_end_id(spm);
    self->vocab_size = clip_spm_tokenizer_vocab_size(spm);
    return self;
}

ClipTokenizer *clip_tokenizer_new_from_dir(const char *model_dir, GError **error)
{
    ClipTokenizerParams params;
    if (!clip_tokenizer_detect(model_dir, &params, error))
        return NULL;
    return clip_tokenizer_new_with_params(model_dir, &params, error);
}

void clip_tokenizer_free(ClipTokenizer *tokenizer)
{
    if (tokenizer == NULL)
        return;
    clip_spm_tokenizer_free(tokenizer->spm);
    g_clear_pointer(&tokenizer->word_cache, g_hash_table_unref);
    g_mutex_clear(&tokenizer->cache_lock);
    g_free(tokenizer->merges.slots);
    g_free(tokenizer);
}

/* ---- encoding ---- */

/* simple_tokenizer's bpe(): start from one symbol a byte, the last marked
 * </w> when word_end, then merge every occurrence of the lowest-ranked
 * adjacent pair, left to right, until no pair has a rule. Quadratic in n:
 * see BPE_MAX_WORD_BYTES. */
static WordIds *bpe_word(const ClipTokenizer *self, const guint8 *bytes, size_t n,
                         gboolean word_end)
{
    WordIds *word = g_malloc(sizeof(WordIds) + n * sizeof(int32_t));
    int32_t *symbols = word->ids;
    for (size_t i = 0; i < n; i++)
        symbols[i] =
            i + 1 < n || !word_end ? self->byte_ids[bytes[i]] : self->byte_end_ids[bytes[i]];

    size_t length = n;
    while (length > 1) {
        const MergeSlot *best = NULL;
        for (size_t i = 0; i + 1 < length; i++) {
            const MergeSlot *rule = merge_table_lookup(&self->merges, symbols[i], symbols[i + 1]);
            if (rule != NULL && (best == NULL || rule->rank < best->rank))
                best = rule;
        }
        if (best == NULL)
            break;

        int32_t left = (int32_t)(best->pair >> 32), right = (int32_t)(uint32_t)best->pair;
        size_t kept = 0;
        for (size_t i = 0; i < length; kept++) {
            if (i + 1 < length && symbols[i] == left && symbols[i + 1] == right) {
                symbols[kept] = best->merged_id;
                i += 2;
            } else {
                symbols[kept] = symbols[i++];
            }
        }
        length = kept;
    }
    word->n_ids = length;
    return word;
}

/* A piece longer than this is no word but a hostile or broken query (a
 * 100,000-letter "word" took 3.8 s): it is merged in runs of this many
 * bytes, which bounds the work at O(n × BPE_MAX_WORD_BYTES) and stops once
 * `limit` ids are there. The reference merges the whole piece; ids differ
 * from its only for pieces this long, far beyond a 77-token context. */
#define BPE_MAX_WORD_BYTES 512

static void append_long_piece_ids(const ClipTokenizer *self, const char *piece, size_t n_bytes,
                                  GArray *ids, size_t limit)
{
    for (size_t at = 0; at < n_bytes && (limit == 0 || ids->len < limit);
         at += BPE_MAX_WORD_BYTES) {
        size_t n = MIN(BPE_MAX_WORD_BYTES, n_bytes - at);
        g_autofree WordIds *run = bpe_word(self, (const guint8 *)piece + at, n, at + n == n_bytes);
        g_array_append_vals(ids, run->ids, run->n_ids);
    }
}

/* Appends the ids of one piece of the split text, from the cache when seen
 * before; a very long piece stops once ids holds `limit` (0: no limit). */
static void append_piece_ids(ClipTokenizer *self, const char *piece, size_t n_bytes, GArray *ids,
                             size_t limit)
{
    /* The reference's cache maps the special tokens to themselves. */
    if (strcmp(piece, START_TOKEN) == 0) {
        g_array_append_val(ids, self->start_id);
        return;
    }
    if (strcmp(piece, END_TOKEN) == 0) {
        g_array_append_val(ids, self->end_id);
        return;
    }

    if (n_bytes > BPE_MAX_WORD_BYTES) {
        append_long_piece_ids(self, piece, n_bytes, ids, limit);
        return;
    }

    g_mutex_lock(&self->cache_lock);
    const WordIds *cached = g_hash_table_lookup(self->word_cache, piece);
    if (cached == NULL) {
        if (g_hash_table_size(self->word_cache) >= WORD_CACHE_MAX_WORDS)
            g_hash_table_remove_all(self->word_cache);
        WordIds *word = bpe_word(self, (const guint8 *)piece, n_bytes, TRUE);
        g_hash_table_insert(self->word_cache, g_strndup(piece, n_bytes), word);
        cached = word;
    }
    g_array_append_vals(ids, cached->ids, cached->n_ids);
    g_mutex_unlock(&self->cache_lock);
}

int32_t *clip_tokenizer_encode(ClipTokenizer *tokenizer, const char *text, uint32_t context_length,
                               size_t *n_ids)
{
    g_return_val_if_fail(tokenizer != NULL && text != NULL && n_ids != NULL, NULL);
    if (tokenizer->spm != NULL)
        return clip_spm_tokenizer_encode(tokenizer->spm, text, context_length, n_ids);

    g_autoptr(GArray) cleaned = clean_text_ucs4(text);
    const gunichar *chars = (const gunichar *)cleaned->data;
    size_t n_chars = cleaned->len;
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(int32_t));
    g_autoptr(GString) piece = g_string_new(NULL);

    g_array_append_val(ids, tokenizer->start_id);
    /* With a context, the pieces after it cannot change the ids kept: stop
     * once there are context_length of them (the end token makes one more). */
    for (size_t at = 0; at < n_chars && (context_length == 0 || ids->len < context_length);) {
        size_t length = match_piece(chars, n_chars, at);
        if (length == 0) {
            at++;
            continue;
        }
        g_string_truncate(piece, 0);
        for (size_t i = at; i < at + length; i++)
            g_string_append_unichar(piece, chars[i]);
        append_piece_ids(tokenizer, piece->str, piece->len, ids, context_length);
        at += length;
    }
    g_array_append_val(ids, tokenizer->end_id);

    if (context_length > 0 && ids->len > context_length) {
        g_array_set_size(ids, context_length);
        g_array_index(ids, int32_t, context_length - 1) = tokenizer->end_id;
    }
    return (int32_t *)g_array_steal(ids, n_ids);
}

ClipTokenizerStyle clip_tokenizer_style(ClipTokenizer *tokenizer)
{
    return tokenizer->style;
}

int32_t clip_tokenizer_start_id(ClipTokenizer *tokenizer)
{
    return tokenizer->start_id;
}

int32_t clip_tokenizer_end_id(ClipTokenizer *tokenizer)
{
    return tokenizer->end_id;
}

int32_t clip_tokenizer_pad_id(ClipTokenizer *tokenizer)
{
    return tokenizer->spm != NULL ? clip_spm_tokenizer_pad_id(tokenizer->spm) : 0;
}

uint32_t clip_tokenizer_vocab_size(ClipTokenizer *tokenizer)
{
    return tokenizer->vocab_size;
}
