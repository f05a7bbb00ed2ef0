/* search-text.h: descriptions to L2-normalised text embeddings, and CLIP's prompt ensembles. */
#pragma once

#include "clip/clip-encoder.h"
#include "clip/clip-tokenizer.h"
#include "search/search-query.h"

G_BEGIN_DECLS

/* Borrowed: the caller keeps the model loaded (the app keeps it for its
 * lifetime, so the first search is as fast as the next). */
typedef struct {
    ClipTokenizer *tokenizer;
    ClipSession *session;
    const ClipConfig *config;
    /* Its logit scale and bias: with a SigLIP model, search and albums use
     * the calibrated probability (search-relevance.h). NULL: CLIP's rules. */
    const ClipModel *model;
} SearchTextEncoder;

/* out: n × embed_dim, each row L2-normalised. */
gboolean search_encode_texts(const SearchTextEncoder *encoder, const char *const *texts, uint32_t n,
                             float *out, GError **error);

/* CLIP's prompt ensembling (Radford et al. 2021, §3.1.4): the normalised
 * mean of the texts' normalised embeddings, one class vector from several
 * phrasings. out: embed_dim. */
gboolean search_encode_ensemble(const SearchTextEncoder *encoder, const char *const *texts,
                                uint32_t n, float *out, GError **error);

/* λ of the negative terms: a photo that shows the negative concept as much
 * as the description loses as much as the description gives it. */
#define SEARCH_NEGATIVE_WEIGHT 1.0f

/* A parsed query turned into vectors, as both front ends search with it. */
typedef struct {
    uint32_t E;
    uint32_t n_negatives;
    float *query;     /* (E): the description */
    float *negatives; /* (n_negatives, E): each negative term less the neutral ensemble, so
                       * that −people lowers only photos that show people more than they show
                       * nothing in particular */
    float *neutral;   /* (E): the neutral captions' ensemble, the relevance rule's reference */
} SearchEncodedQuery;

/* The description, the negative terms and the neutral captions in one batch. */
gboolean search_encode_query(const SearchTextEncoder *encoder, const SearchQuery *query,
                             SearchEncodedQuery *encoded, GError **error);
void search_encoded_query_clear(SearchEncodedQuery *encoded);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(SearchEncodedQuery, search_encoded_query_clear)

G_END_DECLS
