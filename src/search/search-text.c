/* search-text.c: batched text encoding for queries, neutral prompts and album prompts. */
#include "search-text.h"

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
