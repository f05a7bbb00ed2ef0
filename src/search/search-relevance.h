/* search-relevance.h: which results of a search are strong matches, and which are "weaker matches".
 *
 * A fixed cosine threshold does not work: CLIP's scores depend on the model,
 * on how specific the description is and on the library. The rule instead
 * compares each photo with two references the query itself provides:
 *
 *  1. the same photo's score for a neutral caption that describes nothing
 *     (search_neutral_prompts, ensembled). The description must explain the
 *     photo better than that: s > s_neutral. In CLIP's own terms, the
 *     softmax at the model's logit scale over {description, neutral} gives
 *     the description a probability ≥ 1/2, whatever the scale.
 *  2. the query's score distribution over the library (mean μ, standard
 *     deviation σ from the scan): z = (s − μ) / σ ≥ 1. A description that
 *     every photo satisfies equally ("a photo") then separates nothing, while
 *     a category that fills a third of the library still passes (its members
 *     sit ~1.5σ above the mean).
 *
 * Without neutral scores (no model at hand) the rule falls back on
 * z ≥ √(2 ln N): about the largest z that N scores of pure noise reach.
 * Strong and weak are per photo, not a rank cutoff, so the UI lists strong
 * results (by relevance or by date) and keeps the rest behind "show weaker
 * matches".
 *
 * SigLIP models need none of this: they were trained with a sigmoid loss, so
 * p = sigmoid(s · exp(logit_scale) + logit_bias) is the model's calibrated
 * probability that the description fits the photo (clip_model_probability).
 * A photo is a strong match when p ≥ SEARCH_RELEVANCE_MIN_PROBABILITY. The
 * threshold is 0.1, not 0.5: short queries ("dog") describe a photo only
 * partly, and SigLIP gives even fitting short captions probabilities well
 * under one half, while unrelated photos sit near 0 (below 0.01).
 */
#pragma once

#include "clip/clip-model.h"
#include "search/search-index.h"

G_BEGIN_DECLS

/* Captions that say nothing about the content, NULL-terminated. */
extern const char *const search_neutral_prompts[];

/* strong[i] for each of results->hits; neutral_scores[i] is hit i's cosine
 * with the neutral ensemble, or neutral_scores is NULL. Returns how many are
 * strong. */
uint32_t search_relevance_classify(const SearchResults *results, const float *neutral_scores,
                                   gboolean *strong);

/* How a model's cosines turn into probabilities, for the relevance and
 * album rules. CLIP: logit_scale is the softmax temperature (calibrated
 * FALSE); SigLIP: sigmoid(s · logit_scale + logit_bias) (calibrated TRUE). */
typedef struct {
    float logit_scale; /* exp() already applied */
    float logit_bias;
    gboolean calibrated;
} SearchScoreScale;

SearchScoreScale search_score_scale_for_model(const ClipModel *model);

/* A SigLIP strong match's least probability. */
#define SEARCH_RELEVANCE_MIN_PROBABILITY 0.1

/* TRUE when model's scores are calibrated probabilities (a SigLIP model). */
gboolean search_relevance_is_calibrated(const ClipModel *model);

/* strong[i] = the probability of hit i ≥ SEARCH_RELEVANCE_MIN_PROBABILITY,
 * for a calibrated model. Returns how many are strong. */
uint32_t search_relevance_classify_calibrated(const SearchResults *results, const ClipModel *model,
                                              gboolean *strong);

G_END_DECLS
