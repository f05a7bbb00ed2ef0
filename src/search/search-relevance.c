/* search-relevance.c: the strong / weaker-match rule of search-relevance.h. */
#include "search-relevance.h"

#include <math.h>

const char *const search_neutral_prompts[] = {
    "a photo.", "a picture.", "an image.", "a photo of something.", "a snapshot.", NULL,
};

/* z a photo must reach when it beats the neutral caption. */
#define Z_WITH_NEUTRAL 1.0

uint32_t search_relevance_classify(const SearchResults *results, const float *neutral_scores,
                                   gboolean *strong)
{
    double z_min =
        neutral_scores != NULL ? Z_WITH_NEUTRAL : sqrt(2.0 * log(MAX(results->n_searched, 2u)));
    uint32_t n_strong = 0;
    for (uint32_t i = 0; i < results->n_hits; i++) {
        double s = results->hits[i].score;
        /* σ = 0: every photo scores the same, none stands out, unless there is only one */
        gboolean stands_out = results->stddev > 0.0 ? (s - results->mean) / results->stddev >= z_min
                                                    : results->n_searched == 1;
        gboolean beats_neutral = neutral_scores == NULL || s > neutral_scores[i];
        strong[i] = stands_out && beats_neutral;
        n_strong += strong[i];
    }
    return n_strong;
}

SearchScoreScale search_score_scale_for_model(const ClipModel *model)
{
    return (SearchScoreScale){model->logit_scale, model->logit_bias,
                              model->config.family == CLIP_FAMILY_SIGLIP};
}

gboolean search_relevance_is_calibrated(const ClipModel *model)
{
    return model != NULL && model->config.family == CLIP_FAMILY_SIGLIP;
}

uint32_t search_relevance_classify_calibrated(const SearchResults *results, const ClipModel *model,
                                              gboolean *strong)
{
    uint32_t n_strong = 0;
    for (uint32_t i = 0; i < results->n_hits; i++) {
        strong[i] = clip_model_probability(model, results->hits[i].score) >=
                    SEARCH_RELEVANCE_MIN_PROBABILITY;
        n_strong += strong[i];
    }
    return n_strong;
}
