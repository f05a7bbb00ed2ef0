/* clip-tokenizer-spm.h: the SentencePiece tokenizer styles behind clip-tokenizer.h (private to
 * src/clip). */
#pragma once

#include "clip/clip-tokenizer.h"

G_BEGIN_DECLS

typedef struct _ClipSpmTokenizer ClipSpmTokenizer;

/* clip_tokenizer_detect(); the CLIP style when the folder has no SentencePiece model. */
gboolean clip_spm_tokenizer_detect(const char *model_dir, ClipTokenizerParams *params,
                                   GError **error);

/* params->style is SIGLIP or GEMMA. */
ClipSpmTokenizer *clip_spm_tokenizer_new(const char *model_dir, const ClipTokenizerParams *params,
                                         GError **error);

void clip_spm_tokenizer_free(ClipSpmTokenizer *tokenizer);

/* Exactly `length` ids (max_length when 0), padding included. */
int32_t *clip_spm_tokenizer_encode(const ClipSpmTokenizer *tokenizer, const char *text,
                                   uint32_t length, size_t *n_ids);

int32_t clip_spm_tokenizer_end_id(const ClipSpmTokenizer *tokenizer);
int32_t clip_spm_tokenizer_pad_id(const ClipSpmTokenizer *tokenizer);
uint32_t clip_spm_tokenizer_vocab_size(const ClipSpmTokenizer *tokenizer);

G_END_DECLS
