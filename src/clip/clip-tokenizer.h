/* clip-tokenizer.h: CLIP's byte-level BPE tokenizer: text to the token ids the text encoder reads.
 *
 * A port of OpenAI's simple_tokenizer.py (what clip.tokenize() uses), with
 * ftfy's fix_text replaced by NFC as in the reference fixtures:
 *   1. clean: NFC, HTML-unescape twice, strip, collapse whitespace, lower-case;
 *   2. split with CLIP's pattern: special tokens, English contractions, runs of
 *      letters, single digits, runs of other non-space characters;
 *   3. map each piece's UTF-8 bytes to symbols, mark the last with </w>, and
 *      apply the merges of merges.txt lowest rank first.
 * The vocabulary (vocab.json, token string → id) and merges.txt come from the
 * model folder; both Hugging Face and OpenCLIP layouts ship them.
 *
 * A tokenizer is immutable once loaded except for its cache of encoded words,
 * which a mutex guards: one tokenizer may serve several threads.
 */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef struct _ClipTokenizer ClipTokenizer;

/* Errors are CLIP_ERROR_IO (a file is missing or unreadable) or
 * CLIP_ERROR_MALFORMED (vocab.json is not an object of integer ids, lacks the
 * start, end or byte tokens, or a merges.txt line is not two known symbols);
 * the message names the file. merges.txt may start with a "#version" line. */
ClipTokenizer *clip_tokenizer_new(const char *vocab_json_path, const char *merges_txt_path,
                                  GError **error);

/* Loads vocab.json and merges.txt from a model folder. */
ClipTokenizer *clip_tokenizer_new_from_dir(const char *model_dir, GError **error);

void clip_tokenizer_free(ClipTokenizer *tokenizer);

/* The ids of `text` between the start and end tokens, as clip.tokenize()
 * computes them without the zero padding. When context_length is not 0 and
 * there are more ids, the first context_length are kept and the last of them
 * becomes the end token (clip.tokenize(truncate=True)). Invalid UTF-8 is
 * replaced by U+FFFD. Returns *n_ids ids, to free with g_free(). */
int32_t *clip_tokenizer_encode(ClipTokenizer *tokenizer, const char *text, uint32_t context_length,
                               size_t *n_ids);

int32_t clip_tokenizer_start_id(ClipTokenizer *tokenizer);
int32_t clip_tokenizer_end_id(ClipTokenizer *tokenizer);

/* One more than the largest id in vocab.json: every id encode() returns is below it. */
uint32_t clip_tokenizer_vocab_size(ClipTokenizer *tokenizer);

/* Step 1 alone: the text as the tokenizer splits it, newly allocated UTF-8
 * (invalid input bytes become U+FFFD). Needs no vocabulary. */
char *clip_tokenizer_clean_text(const char *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ClipTokenizer, clip_tokenizer_free)

G_END_DECLS
