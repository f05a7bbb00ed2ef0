/* clip-tokenizer.h: text to the token ids a text encoder reads (CLIP's BPE, SentencePiece).
 *
 * Three styles, chosen from the folder (clip_tokenizer_detect()):
 *
 * CLIP: OpenAI's byte-level BPE, a port of simple_tokenizer.py (what
 * clip.tokenize() uses), with ftfy's fix_text replaced by NFC as in the
 * reference fixtures:
 *   1. clean: NFC, HTML-unescape twice, strip, collapse whitespace, lower-case;
 *   2. split with CLIP's pattern: special tokens, English contractions, runs of
 *      letters, single digits, runs of other non-space characters;
 *   3. map each piece's UTF-8 bytes to symbols, mark the last with </w>, and
 *      apply the merges of merges.txt lowest rank first.
 * The vocabulary (vocab.json, token string → id) and merges.txt come from the
 * model folder; both Hugging Face and OpenCLIP layouts ship them.
 *
 * SigLIP and SigLIP 2: SentencePiece models run by libsentencepiece, with
 * the text prepared as transformers' tokenizers prepare it (the rules are in
 * clip-tokenizer-spm.c and ../shared/fixtures/README.md). Their ids are
 * always the fixed-length sequence the model reads, padding included,
 * because those models pool the last position whatever token sits there.
 *
 * A tokenizer is immutable once loaded except for the CLIP style's cache of
 * encoded words, which a mutex guards: one tokenizer may serve several threads.
 */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef struct _ClipTokenizer ClipTokenizer;

typedef enum {
    /* vocab.json + merges.txt: the start id, the ids, the end id; no padding. */
    CLIP_TOKENIZER_STYLE_CLIP,
    /* spiece.model, transformers' SiglipTokenizer: lower-cased, ASCII
     * punctuation removed, whitespace collapsed; </s> appended and padding. */
    CLIP_TOKENIZER_STYLE_SIGLIP,
    /* tokenizer.model, Gemma's tokenizer as SigLIP 2 uses it: lower-cased
     * character by character; <eos> appended, <pad> padding. */
    CLIP_TOKENIZER_STYLE_GEMMA,
} ClipTokenizerStyle;

/* What a tokenizer needs beyond its files. */
typedef struct {
    ClipTokenizerStyle style;
    /* SentencePiece styles: ids per text, padding included (the text
     * model's max_position_embeddings, 64 for every SigLIP checkpoint).
     * Not used by the CLIP style, whose callers pass context_length. */
    uint32_t max_length;
} ClipTokenizerParams;

/* Errors are CLIP_ERROR_IO (a file is missing or unreadable) or
 * CLIP_ERROR_MALFORMED (vocab.json is not an object of integer ids, lacks the
 * start, end or byte tokens, or a merges.txt line is not two known symbols);
 * the message names the file. merges.txt may start with a "#version" line. */
ClipTokenizer *clip_tokenizer_new(const char *vocab_json_path, const char *merges_txt_path,
                                  GError **error);

/* What the files of a model folder call for:
 * - spiece.model or tokenizer.model present: a SentencePiece style, from
 *   tokenizer_config.json's tokenizer_class (SiglipTokenizer → SIGLIP;
 *   GemmaTokenizer, GemmaTokenizerFast or Siglip2Tokenizer → GEMMA), or
 *   without one from the model file's name (spiece.model → SIGLIP,
 *   tokenizer.model → GEMMA); max_length from config.json's
 *   text_config.max_position_embeddings, else open_clip_config.json's
 *   model_cfg.text_cfg.context_length, else 64;
 * - otherwise CLIP (vocab.json and merges.txt; not opened here).
 * Errors (CLIP_ERROR_MALFORMED, naming the file): a JSON file that does
 * not parse, an unknown tokenizer_class, a max length that is not an
 * integer from 1 to 16384. */
gboolean clip_tokenizer_detect(const char *model_dir, ClipTokenizerParams *params, GError **error);

/* Opens the tokenizer of `params->style` from a model folder: vocab.json and
 * merges.txt for CLIP, spiece.model (else tokenizer.model) for the
 * SentencePiece styles. For callers that read the model's config
 * themselves: detect(), then set max_length from that config. Errors as for
 * clip_tokenizer_new(); for a SentencePiece model CLIP_ERROR_IO (no model
 * file, or unreadable) or CLIP_ERROR_MALFORMED (not a SentencePiece model, or
 * lacks the style's end or padding piece). */
ClipTokenizer *clip_tokenizer_new_with_params(const char *model_dir,
                                              const ClipTokenizerParams *params, GError **error);

/* detect() then new_with_params(). */
ClipTokenizer *clip_tokenizer_new_from_dir(const char *model_dir, GError **error);

void clip_tokenizer_free(ClipTokenizer *tokenizer);

/* CLIP style: the ids of `text` between the start and end tokens, as
 * clip.tokenize() computes them without the zero padding. When
 * context_length is not 0 and there are more ids, the first context_length
 * are kept and the last of them becomes the end token
 * (clip.tokenize(truncate=True)).
 * SentencePiece styles: exactly context_length ids (max_length when it is
 * 0): at most context_length − 1 ids of the text, the end id, then the
 * padding id up to the length.
 * Invalid UTF-8 is replaced by U+FFFD. Returns *n_ids ids, to free with g_free(). */
int32_t *clip_tokenizer_encode(ClipTokenizer *tokenizer, const char *text, uint32_t context_length,
                               size_t *n_ids);

ClipTokenizerStyle clip_tokenizer_style(ClipTokenizer *tokenizer);

/* -1 for the SentencePiece styles, which have no start token. */
int32_t clip_tokenizer_start_id(ClipTokenizer *tokenizer);
int32_t clip_tokenizer_end_id(ClipTokenizer *tokenizer);

/* What encode() pads with: SentencePiece styles only; CLIP pads with 0
 * (clip.tokenize()) but the model never reads past its end token. */
int32_t clip_tokenizer_pad_id(ClipTokenizer *tokenizer);

/* One more than the largest id in vocab.json, or the SentencePiece model's
 * number of pieces: every id encode() returns is below it. */
uint32_t clip_tokenizer_vocab_size(ClipTokenizer *tokenizer);

/* CLIP style, step 1 alone: the text as the tokenizer splits it, newly allocated UTF-8
 * (invalid input bytes become U+FFFD). Needs no vocabulary. */
char *clip_tokenizer_clean_text(const char *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ClipTokenizer, clip_tokenizer_free)

G_END_DECLS
