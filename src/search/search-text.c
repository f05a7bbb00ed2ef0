/* search-text.c: batched text encoding for queries, neutral prompts and album prompts. */
#include "search-text.h"

#include "search-relevance.h"

#include <string.h>

/* Texts per encoder call: album taxonomies encode hundreds of prompts. */
#define TEXT_BATCH 32

gboolean search_encode_texts(const SearchTextEncoder *encoder, const char *const *texts, uint32_t n,
                             float *out, GError **error)
{
    uint32_t E = encoder->config->embed_dim;
    for (uint32_t first = 0; first < n; first += TEXT_BATCH) {
        uint32_t count = MIN(TEXT_BATCH, n - first);
        int32_t *ids[TEXT_BATCH];
        size_t n_ids[TEXT_BATCH];
        for (uint32_t i = 0; i < count; i++)
            ids[i] = clip_tokenizer_encode(encoder->tokenizer, texts[first + i],
                                           encoder->config->context_length, &n_ids[i]);
        gboolean ok = clip_session_encode_texts(encoder->session, (const int32_t *const *)ids,
                                                n_ids, count, out + (size_t)first * E, error);
        for (uint32_t i = 0; i < count; i++)
            g_free(ids[i]);
        if (!ok)
            return FALSE;
    }
    clip_normalize_rows(out, n, E);
    return TRUE;
}

gboolean search_encode_ensemble(const SearchTextEncoder *encoder, const char *const *texts,
                                uint32_t n, float *out, GError **error)
{
    g_return_val_if_fail(n > 0, FALSE);
    uint32_t E = encoder->config->embed_dim;
    g_autofree float *each = g_new(float, (size_t)n *E);
    if (!search_encode_texts(encoder, texts, n, each, error))
        return FALSE;
    memset(out, 0, sizeof(float) * E);
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t d = 0; d < E; d++)
            out[d] += each[(size_t)i * E + d];
    clip_normalize_rows(out, 1, E);
    return TRUE;
}

gboolean search_encode_query(const SearchTextEncoder *encoder, const SearchQuery *query,
                             SearchEncodedQuery *encoded, GError **error)
{
    uint32_t E = encoder->config->embed_dim, n_neg = query->negatives->len;
    uint32_t n_neutral = g_strv_length((char **)search_neutral_prompts);
    uint32_t n = 1 + n_neg + n_neutral;
    g_autofree const char **texts = g_new(const char *, n);
    texts[0] = query->text;
    for (uint32_t j = 0; j < n_neg; j++)
        texts[1 + j] = g_ptr_array_index(query->negatives, j);
    for (uint32_t j = 0; j < n_neutral; j++)
        texts[1 + n_neg + j] = search_neutral_prompts[j];
    g_autofree float *all = g_new(float, (size_t)n *E);
    if (!search_encode_texts(encoder, texts, n, all, error))
        return FALSE;

    encoded->E = E;
    encoded->n_negatives = n_neg;
    encoded->query = g_memdup2(all, sizeof(float) * E);
    encoded->neutral = g_new0(float, E);
    for (uint32_t j = 0; j < n_neutral; j++)
        for (uint32_t d = 0; d < E; d++)
            encoded->neutral[d] += all[(size_t)(1 + n_neg + j) * E + d];
    clip_normalize_rows(encoded->neutral, 1, E);
    encoded->negatives = g_new(float, (size_t)MAX(n_neg, 1u) * E);
    for (uint32_t j = 0; j < n_neg; j++)
        for (uint32_t d = 0; d < E; d++)
            encoded->negatives[(size_t)j * E + d] =
                all[(size_t)(1 + j) * E + d] - encoded->neutral[d];
    return TRUE;
}

void search_encoded_query_clear(SearchEncodedQuery *encoded)
{
    g_clear_pointer(&encoded->query, g_free);
    g_clear_pointer(&encoded->negatives, g_free);
    g_clear_pointer(&encoded->neutral, g_free);
}
