/* test-search-videos.c: a video's search score is its best frame's: search_library_query
 * against a brute-force reference on random embeddings, with filters and limits that cut
 * through videos of many frames. */
#include "library/library-store.h"
#include "search/search-library.h"
#include "search/search-text.h"
#include "test-common.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#define N_STILLS    40
#define N_VIDEOS    12
#define MAX_FRAMES  9
#define FIRST_VIDEO (N_STILLS + 1) /* ids: stills 1..N_STILLS, then the videos */
#define SCORE_EPS   1e-5f

typedef struct {
    guint dim;
    float *stills; /* (N_STILLS, dim) */
    guint frames[N_VIDEOS];
    float *video_frames; /* (N_VIDEOS, MAX_FRAMES, dim) */
    double times[N_VIDEOS][MAX_FRAMES];
    float *query; /* (dim), set by adjust */
} Corpus;

static void random_unit(GRand *rand, float *v, guint dim)
{
    double norm = 0;
    for (guint i = 0; i < dim; i++) {
        v[i] = (float)g_rand_double_range(rand, -1, 1);
        norm += (double)v[i] * v[i];
    }
    for (guint i = 0; i < dim; i++)
        v[i] /= (float)sqrt(norm);
}

static float dot(const float *a, const float *b, guint dim)
{
    double sum = 0;
    for (guint i = 0; i < dim; i++)
        sum += (double)a[i] * b[i];
    return (float)sum;
}

/* Stills in /lib/still-N.jpg (taken 2020 for odd N, else 2021), videos in
 * /lib/clip-N.mp4 (2020 for odd N); each video's embedding is the mean of
 * its frames, as the indexer stores it. */
static void fill_store(LibraryStore *store, const char *model_id, Corpus *corpus)
{
    g_autoptr(GError) error = NULL;
    GRand *rand = g_rand_new_with_seed(25);
    gint64 folder = 0;
    g_assert_true(library_store_add_folder(store, "/lib", &folder, &error));
    LibraryModelRecord record = {.id = (char *)model_id, .name = (char *)"m", .dim = corpus->dim};
    g_assert_true(library_store_set_current_model(store, &record, &error));
    for (guint i = 0; i < N_STILLS + N_VIDEOS; i++) {
        gboolean video = i >= N_STILLS;
        guint k = video ? i - N_STILLS : i;
        g_autofree char *path =
            g_strdup_printf(video ? "/lib/clip-%u.mp4" : "/lib/still-%u.jpg", k);
        gint64 id = 0;
        g_assert_true(library_store_add_photo(store, folder, path, 10, 10, &id, &error));
        g_assert_cmpint(id, ==, i + 1);
        LibraryPhotoInfo info = {
            .format = (char *)(video ? "video" : "jpeg"),
            .width = 64,
            .height = 48,
            .orientation = 1,
            .taken = (char *)(k % 2 ? "2020-06-01T10:00:00" : "2021-06-01T10:00:00"),
            .duration = video ? 30.0 : 0.0,
        };
        g_autofree float *own = g_new(float, corpus->dim);
        if (!video) {
            random_unit(rand, corpus->stills + (size_t)k * corpus->dim, corpus->dim);
            memcpy(own, corpus->stills + (size_t)k * corpus->dim, corpus->dim * sizeof(float));
        } else {
            corpus->frames[k] = 1 + (guint)g_rand_int_range(rand, 0, MAX_FRAMES);
            float *frames = corpus->video_frames + (size_t)k * MAX_FRAMES * corpus->dim;
            memset(own, 0, corpus->dim * sizeof(float));
            for (guint j = 0; j < corpus->frames[k]; j++) {
                random_unit(rand, frames + (size_t)j * corpus->dim, corpus->dim);
                corpus->times[k][j] = 0.5 + 2.0 * j;
                for (guint d = 0; d < corpus->dim; d++)
                    own[d] += frames[(size_t)j * corpus->dim + d] / corpus->frames[k];
            }
        }
        g_assert_true(library_store_set_photo_embedded(store, id, &info, "fp", model_id,
                                                       corpus->dim, own, &error));
        if (video)
            g_assert_true(library_store_set_video_frames(
                store, id, model_id, corpus->dim, corpus->frames[k], corpus->times[k],
                corpus->video_frames + (size_t)k * MAX_FRAMES * corpus->dim, &error));
        g_assert_no_error(error);
    }
    g_rand_free(rand);
}

typedef struct {
    int64_t id;
    float score;
    double time; /* NaN for a still */
} Expected;

static int expected_compare(gconstpointer a, gconstpointer b)
{
    const Expected *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Brute force: every still by its embedding, every video by its best frame. */
static GArray *reference(const Corpus *corpus, gboolean only_2020)
{
    GArray *all = g_array_new(FALSE, FALSE, sizeof(Expected));
    for (guint k = 0; k < N_STILLS; k++) {
        if (only_2020 && k % 2 == 0)
            continue;
        Expected e = {
            k + 1, dot(corpus->query, corpus->stills + (size_t)k * corpus->dim, corpus->dim), NAN};
        g_array_append_val(all, e);
    }
    for (guint k = 0; k < N_VIDEOS; k++) {
        if (only_2020 && k % 2 == 0)
            continue;
        Expected e = {FIRST_VIDEO + k, -INFINITY, NAN};
        for (guint j = 0; j < corpus->frames[k]; j++) {
            float s =
                dot(corpus->query,
                    corpus->video_frames + ((size_t)k * MAX_FRAMES + j) * corpus->dim, corpus->dim);
            if (s > e.score) {
                e.score = s;
                e.time = corpus->times[k][j];
            }
        }
        g_array_append_val(all, e);
    }
    g_array_sort(all, expected_compare);
    return all;
}

/* The text's encoding replaced by the corpus's query, negatives dropped. */
static void use_corpus_query(SearchIndex *index, SearchEncodedQuery *encoded, gpointer data)
{
    const Corpus *corpus = data;
    memcpy(encoded->query, corpus->query, corpus->dim * sizeof(float));
    encoded->n_negatives = 0;
}

static void check_query(SearchLibrary *library, const SearchTextEncoder *text, Corpus *corpus,
                        const char *query_text, uint32_t limit)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SearchQuery) query = search_query_parse(query_text, &error);
    g_assert_no_error(error);
    SearchLibraryQueryOptions options = {
        .limit = limit, .adjust = use_corpus_query, .adjust_data = corpus};
    g_autoptr(SearchResults) results =
        search_library_query(library, text, query, &options, NULL, &error);
    g_assert_no_error(error);
    g_autoptr(GArray) expected = reference(corpus, strstr(query_text, "before:") != NULL);
    g_assert_cmpuint(results->n_hits, ==, MIN(limit, expected->len));
    g_assert_nonnull(results->times);
    guint videos = 0;
    for (uint32_t i = 0; i < results->n_hits; i++) {
        const Expected *e = &g_array_index(expected, Expected, i);
        g_assert_cmpint(results->hits[i].id, ==, e->id);
        g_assert_cmpfloat_with_epsilon(results->hits[i].score, e->score, SCORE_EPS);
        g_assert_cmpint(isnan(results->times[i]), ==, isnan(e->time));
        if (!isnan(e->time)) {
            g_assert_cmpfloat(results->times[i], ==, e->time);
            g_assert_true(search_library_is_video(library, e->id));
            videos++;
        }
    }
    g_test_message("%s, limit %u: %u videos among %u hits", query_text, limit, videos,
                   results->n_hits);
}

static void test_best_frame(void)
{
    g_autofree char *model_dir = test_fixture_path("tiny-f32/hf");
    GpuDevice *device = model_dir != NULL ? test_open_vulkan() : NULL;
    if (device == NULL)
        return;
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("search-videos-XXXXXX", &error);
    g_autofree char *db = g_build_filename(dir, "library.db", NULL);
    LibraryStore *store = library_store_open(db, &error);
    g_assert_no_error(error);
    ClipModel *model = clip_model_load(model_dir, &error);
    g_assert_no_error(error);
    ClipTokenizer *tokenizer = clip_tokenizer_new_from_dir(model_dir, &error);
    g_assert_no_error(error);
    ClipEncoder *encoder = clip_encoder_new(device, model, CLIP_PRECISION_F32, &error);
    g_assert_no_error(error);
    ClipSession *session = clip_session_new(encoder);
    SearchTextEncoder text = {tokenizer, session, &model->config, model};

    Corpus corpus = {.dim = model->config.embed_dim};
    corpus.stills = g_new(float, (size_t)N_STILLS *corpus.dim);
    corpus.video_frames = g_new0(float, (size_t)N_VIDEOS *MAX_FRAMES *corpus.dim);
    corpus.query = g_new(float, corpus.dim);
    fill_store(store, model->id, &corpus);
    SearchLibrary *library = search_library_load(store, model->id, corpus.dim, &error);
    g_assert_no_error(error);

    GRand *rand = g_rand_new_with_seed(2525);
    for (int round = 0; round < 8; round++) {
        random_unit(rand, corpus.query, corpus.dim);
        /* Limits below, at and above the number of videos; a filter. */
        const uint32_t limits[] = {1, 3, N_VIDEOS, N_STILLS + N_VIDEOS + 5};
        for (size_t i = 0; i < G_N_ELEMENTS(limits); i++)
            check_query(library, &text, &corpus, "something", limits[i]);
        check_query(library, &text, &corpus, "something before:2021", 5);
    }
    g_rand_free(rand);

    search_library_free(library);
    g_free(corpus.stills);
    g_free(corpus.video_frames);
    g_free(corpus.query);
    clip_session_free(session);
    clip_encoder_free(encoder);
    clip_tokenizer_free(tokenizer);
    clip_model_free(model);
    gpu_device_free(device);
    library_store_free(store);
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < G_N_ELEMENTS(suffixes); i++) {
        g_autofree char *path = g_strconcat(db, suffixes[i], NULL);
        g_unlink(path);
    }
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/search/videos/best-frame", test_best_frame);
    return g_test_run();
}
