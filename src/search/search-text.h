/* search-text.h: descriptions to L2-normalised text embeddings, and CLIP's prompt ensembles. */
#pragma once

#include "clip/clip-encoder.h"
#include "clip/clip-tokenizer.h"

G_BEGIN_DECLS

/* Borrowed: the caller keeps the model loaded (the app keeps it for its
 * lifetime, so the first search is as fast as the next). */
typedef struct {
    ClipTokenizer *tokenizer;
    ClipSession *session;
    const ClipConfig *config;
} SearchTextEncoder;

/* out: n × embed_dim, each row L2-normalised. */
gboolean search_encode_texts(const SearchTextEncoder *encoder, const char *const *texts, uint32_t n,
                             float *out, GError **error);

/* CLIP's prompt ensembling (Radford et al. 2021, §3.1.4): the normalised
 * mean of the texts' normalised embeddings, one class vector from several
 * phrasings. out: embed_dim. */
gboolean search_encode_ensemble(const SearchTextEncoder *encoder, const char *const *texts,
                                uint32_t n, float *out, GError **error);

G_END_DECLS
