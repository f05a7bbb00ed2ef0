/* search-library.c: loading a model's embeddings and the photos' facts from the library store. */
#include "search-library-private.h"

#include "search-relevance.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

/* Entries are allocated this many at a time: a library of 100,000 photos
 * made 700,000 small allocations (entry, five strings, two boxed keys)
 * before, an eighth of a search provider's first answer. */
#define ENTRY_BLOCK 4096

void search_library_free(SearchLibrary *library)
{
    if (library == NULL)
        return;
    search_index_free(library->index);
    search_index_free(library->frames);
    g_clear_pointer(&library->frame_videos, g_array_unref);
    g_clear_pointer(&library->frame_times, g_array_unref);
    g_clear_pointer(&library->by_path, g_hash_table_unref);
    g_clear_pointer(&library->photos, g_hash_table_unref);
    g_clear_pointer(&library->entry_blocks, g_ptr_array_unref);
    g_clear_pointer(&library->strings, g_string_chunk_free);
    g_free(library);
}

/* The decoder's format name from the file name, for photos whose decoded
 * format the store lacks: the names agree for photos that decoded. */
static const char *format_from_name(const char *path)
{
    static const struct {
        const char *extension, *format;
    } formats[] = {
        {".jpg", "jpeg"},  {".jpeg", "jpeg"}, {".jpe", "jpeg"},  {".png", "png"},
        {".webp", "webp"}, {".heic", "heif"}, {".heif", "heif"}, {".avif", "avif"},
        {".gif", "gif"},   {".tif", "tiff"},  {".tiff", "tiff"}, {".bmp", "bmp"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot != NULL && i < G_N_ELEMENTS(formats); i++)
        if (g_ascii_strcasecmp(dot, formats[i].extension) == 0)
            return formats[i].format;
    return NULL;
}

typedef struct {
    SearchLibrary *library;
    guint dim;
    GError *error;
} LoadContext;

static void add_entry(SearchLibrary *library, const LibraryPhotoFacts *photo);

static gboolean add_photo(const LibraryPhotoFacts *photo, const float *vector, guint dim,
                          gpointer user_data)
{
    LoadContext *load = user_data;
    SearchLibrary *library = load->library;
    if (dim != load->dim) {
        g_set_error(&load->error, LIBRARY_STORE_ERROR, LIBRARY_STORE_ERROR_CORRUPT,
                    "%s: embedding of %u floats for a model of %u", photo->path, dim, load->dim);
        return FALSE;
    }
    search_index_add(library->index, photo->id, vector);
    add_entry(library, photo);
    return TRUE;
}

/* A string kept for the library's life; formats, makes and models, which repeat, once each. */
static const char *keep(SearchLibrary *library, const char *text, gboolean repeats)
{
    if (text == NULL)
        return NULL;
    return repeats ? g_string_chunk_insert_const(library->strings, text)
                   : g_string_chunk_insert(library->strings, text);
}

static void add_entry(SearchLibrary *library, const LibraryPhotoFacts *photo)
{
    if (library->entry_blocks->len == 0 || library->block_used == ENTRY_BLOCK) {
        g_ptr_array_add(library->entry_blocks, g_new(PhotoEntry, ENTRY_BLOCK));
        library->block_used = 0;
    }
    PhotoEntry *block = g_ptr_array_index(library->entry_blocks, library->entry_blocks->len - 1);
    PhotoEntry *entry = &block[library->block_used++];
    entry->id = photo->id;
    entry->path = keep(library, photo->path, FALSE);
    entry->format =
        photo->format != NULL ? keep(library, photo->format, TRUE) : format_from_name(photo->path);
    entry->taken = keep(library, photo->taken, FALSE);
    entry->camera_make = keep(library, photo->camera_make, TRUE);
    entry->camera_model = keep(library, photo->camera_model, TRUE);
    entry->has_location = photo->has_location;
    entry->is_video = g_strcmp0(entry->format, "video") == 0;
    entry->duration = photo->duration;
    library->n_videos += entry->is_video;
    g_hash_table_insert(library->photos, &entry->id, entry);
    g_hash_table_insert(library->by_path, (gpointer)entry->path, entry);
}

static gboolean add_frame(gint64 photo_id, double time, const float *vector, guint dim,
                          gpointer user_data)
{
    LoadContext *load = user_data;
    SearchLibrary *library = load->library;
    const PhotoEntry *entry = g_hash_table_lookup(library->photos, &photo_id);
    if (entry == NULL || !entry->is_video)
        return TRUE; /* a frame of a video the embeddings did not list */
    if (dim != load->dim) {
        g_set_error(&load->error, LIBRARY_STORE_ERROR, LIBRARY_STORE_ERROR_CORRUPT,
                    "%s: frame embedding of %u floats for a model of %u", entry->path, dim,
                    load->dim);
        return FALSE;
    }
    search_index_add(library->frames, library->frame_videos->len, vector);
    int64_t video = photo_id;
    g_array_append_val(library->frame_videos, video);
    g_array_append_val(library->frame_times, time);
    return TRUE;
}

static SearchLibrary *library_new(guint dim)
{
    SearchLibrary *library = g_new0(SearchLibrary, 1);
    library->index = search_index_new(dim);
    library->photos = g_hash_table_new(g_int64_hash, g_int64_equal);
    library->by_path = g_hash_table_new(g_str_hash, g_str_equal);
    library->entry_blocks = g_ptr_array_new_with_free_func(g_free);
    library->strings = g_string_chunk_new(1 << 20);
    library->frames = search_index_new(dim);
    library->frame_videos = g_array_new(FALSE, FALSE, sizeof(int64_t));
    library->frame_times = g_array_new(FALSE, FALSE, sizeof(double));
    return library;
}

SearchLibrary *search_library_load(LibraryStore *store, const char *model_id, guint dim,
                                   GError **error)
{
    g_autoptr(SearchLibrary) library = library_new(dim);
    LoadContext load = {library, dim, NULL};
    if (!library_store_foreach_embedding(store, model_id, add_photo, &load, error) ||
        (load.error == NULL &&
         !library_store_foreach_video_frame(store, model_id, add_frame, &load, error)))
        return NULL;
    if (load.error != NULL) {
        g_propagate_error(error, load.error);
        return NULL;
    }
    return g_steal_pointer(&library);
}

/* A photo's facts beside a saved index, which must hold its row. */
static gboolean add_facts(const LibraryPhotoFacts *photo, const float *vector, guint dim,
                          gpointer user_data)
{
    LoadContext *load = user_data;
    if (!search_index_contains(load->library->index, photo->id)) {
        g_set_error(&load->error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "photo %" G_GINT64_FORMAT " (%s) is missing from it", photo->id, photo->path);
        return FALSE;
    }
    add_entry(load->library, photo);
    return TRUE;
}

/* The facts of the saved index's photos: FALSE (with load->error) when the store does not
 * list exactly its photos and videos. */
static gboolean load_facts(LibraryStore *store, const char *model_id, LoadContext *load,
                           GError **error)
{
    SearchLibrary *library = load->library;
    if (!library_store_foreach_embedded_photo(store, model_id, add_facts, load, error))
        return FALSE;
    if (load->error == NULL && g_hash_table_size(library->photos) != library->index->n)
        g_set_error(&load->error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "it holds %u photos, the library %u", library->index->n,
                    g_hash_table_size(library->photos));
    for (guint i = 0; load->error == NULL && i < library->frame_videos->len; i++) {
        int64_t video = g_array_index(library->frame_videos, int64_t, i);
        if (!search_library_is_video(library, video))
            g_set_error(&load->error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "it holds frames of photo %" G_GINT64_FORMAT ", not a video", video);
    }
    return TRUE;
}

/* The saved index, with the store's facts; NULL when there is none or it does not fit (then
 * *warning may say why), or on a store error (*error). */
static SearchLibrary *load_saved(LibraryStore *store, const char *model_id, guint dim,
                                 const char *path, const char *key, char **warning, GError **error)
{
    g_autoptr(SearchLibrary) library = library_new(dim);
    g_autoptr(GError) refused = NULL;
    if (!search_library_cache_load(library, path, key, dim, &refused)) {
        if (!g_error_matches(refused, G_FILE_ERROR, G_FILE_ERROR_NOENT) &&
            !g_error_matches(refused, G_FILE_ERROR, G_FILE_ERROR_AGAIN))
            *warning = g_strdup_printf("saved search index rebuilt: %s", refused->message);
        return NULL;
    }
    LoadContext load = {library, dim, NULL};
    if (!load_facts(store, model_id, &load, error))
        return NULL;
    if (load.error != NULL) {
        *warning = g_strdup_printf("saved search index rebuilt: %s: %s", path, load.error->message);
        g_error_free(load.error);
        return NULL;
    }
    library->from_cache = TRUE;
    return g_steal_pointer(&library);
}

/* The same library's index files of other models (a model switch) and the leftovers of writes
 * that did not finish: named as search_library_cache_path() names them, "<library>-<model>". */
static void drop_other_models(const char *path)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *name = g_path_get_basename(path);
    const char *dash = strchr(name, '-');
    if (dash == NULL || !g_str_has_suffix(name, ".index"))
        return;
    g_autofree char *prefix = g_strndup(name, (gsize)(dash - name + 1));
    g_autoptr(GDir) listing = g_dir_open(dir, 0, NULL);
    for (const char *other; listing != NULL && (other = g_dir_read_name(listing)) != NULL;)
        if (g_str_has_prefix(other, prefix) && strcmp(other, name) != 0 &&
            strstr(other, ".index") != NULL) {
            g_autofree char *stale = g_build_filename(dir, other, NULL);
            g_unlink(stale);
        }
}

SearchLibrary *search_library_load_cached(LibraryStore *store, const char *model_id, guint dim,
                                          const char *cache_path, char **warning, GError **error)
{
    g_autofree char *ignored = NULL;
    if (warning == NULL)
        warning = &ignored;
    *warning = NULL;
    g_autofree char *generation = library_store_get_search_generation(store, error);
    if (generation == NULL)
        return NULL;
    g_autofree char *key = g_strdup_printf("%s %s %u", generation, model_id, dim);
    GError *local = NULL;
    SearchLibrary *library = load_saved(store, model_id, dim, cache_path, key, warning, &local);
    if (library != NULL || local != NULL) {
        if (local != NULL)
            g_propagate_error(error, local);
        return library;
    }
    library = search_library_load(store, model_id, dim, error);
    g_autoptr(GError) save_error = NULL;
    if (library != NULL && !search_library_cache_save(library, cache_path, key, &save_error)) {
        g_autofree char *before = g_steal_pointer(warning);
        *warning = g_strdup_printf("%s%ssearch index not saved: %s", before ? before : "",
                                   before ? "; " : "", save_error->message);
    } else if (library != NULL) {
        drop_other_models(cache_path);
    }
    return library;
}

char *search_library_cache_path(const char *db_path, const char *model_id)
{
    g_autofree char *canonical = g_canonicalize_filename(db_path, NULL);
    g_autofree char *hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, canonical, -1);
    g_autofree char *name = g_strdup_printf("%.16s-%s.index", hash, model_id);
    return g_build_filename(g_get_user_cache_dir(), "spyglass", "search", name, NULL);
}

gboolean search_library_from_cache(SearchLibrary *library)
{
    return library->from_cache;
}

SearchIndex *search_library_get_index(SearchLibrary *library)
{
    return library->index;
}

const char *search_library_get_path(SearchLibrary *library, int64_t id)
{
    const PhotoEntry *entry = g_hash_table_lookup(library->photos, &id);
    return entry != NULL ? entry->path : NULL;
}

const char *search_library_get_taken(SearchLibrary *library, int64_t id)
{
    const PhotoEntry *entry = g_hash_table_lookup(library->photos, &id);
    return entry != NULL ? entry->taken : NULL;
}

gboolean search_library_is_video(SearchLibrary *library, int64_t id)
{
    const PhotoEntry *entry = g_hash_table_lookup(library->photos, &id);
    return entry != NULL && entry->is_video;
}

double search_library_get_duration(SearchLibrary *library, int64_t id)
{
    const PhotoEntry *entry = g_hash_table_lookup(library->photos, &id);
    return entry != NULL && entry->is_video ? entry->duration : NAN;
}

int64_t search_library_find(SearchLibrary *library, const char *path)
{
    const PhotoEntry *entry = g_hash_table_lookup(library->by_path, path);
    return entry != NULL ? entry->id : -1;
}

static gboolean allows_photo(int64_t id, gpointer user_data)
{
    gpointer *context = user_data;
    SearchLibrary *library = context[0];
    const SearchQuery *query = context[1];
    const PhotoEntry *entry = g_hash_table_lookup(library->photos, &id);
    SearchPhotoFacts facts = {
        .path = entry->path,
        .format = entry->format,
        .taken = entry->taken,
        .camera_make = entry->camera_make,
        .camera_model = entry->camera_model,
        .has_location = entry->has_location,
    };
    return search_query_matches(query, &facts);
}

gboolean search_library_filter(SearchLibrary *library, const SearchQuery *query,
                               SearchFilter **filter, GError **error)
{
    *filter = NULL;
    if (!search_query_has_filters(query))
        return TRUE;
    gpointer context[] = {library, (gpointer)query};
    *filter = search_filter_new_from_func(library->index, allows_photo, context);
    return TRUE;
}

/* Videos in a query: the still photos come from the main index, the
 * videos from their frames, each by its best frame, and the two lists
 * merge. A video is a hit of its own, so the frames are searched deep
 * enough to find `limit` distinct videos, or all of them. */

typedef struct {
    SearchLibrary *library;
    const SearchQuery *query; /* NULL: no filters */
} VideoContext;

static gboolean allows_still(int64_t id, gpointer user_data)
{
    VideoContext *context = user_data;
    const PhotoEntry *entry = g_hash_table_lookup(context->library->photos, &id);
    if (entry->is_video)
        return FALSE;
    gpointer filter_context[] = {context->library, (gpointer)context->query};
    return context->query == NULL || allows_photo(id, filter_context);
}

static gboolean allows_frame(int64_t row, gpointer user_data)
{
    VideoContext *context = user_data;
    int64_t video = g_array_index(context->library->frame_videos, int64_t, row);
    gpointer filter_context[] = {context->library, (gpointer)context->query};
    return allows_photo(video, filter_context);
}

typedef struct {
    SearchHit hit; /* the video's id, its best frame's score */
    int64_t frame; /* that frame's row; -1 for a still photo */
    double time;   /* that frame's time */
} MergedHit;

static int merged_hit_compare(gconstpointer a, gconstpointer b)
{
    const SearchHit *x = &((const MergedHit *)a)->hit, *y = &((const MergedHit *)b)->hit;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* The best frame of each video among the top frames, deep enough for limit videos. */
static GArray *search_video_frames(SearchLibrary *library, const SearchRequest *base,
                                   const SearchFilter *filter, uint32_t *n_searched, double *mean,
                                   double *stddev)
{
    uint32_t n_frames = search_index_size(library->frames);
    uint32_t depth = MIN(n_frames, base->limit * 4 + 16);
    for (;;) {
        SearchRequest request = *base;
        request.filter = filter;
        request.exclude_ids = NULL;
        request.n_exclude = 0;
        request.limit = depth;
        g_autoptr(SearchResults) frames = search_index_search(library->frames, &request);
        GArray *videos = g_array_new(FALSE, FALSE, sizeof(MergedHit));
        g_autoptr(GHashTable) seen = g_hash_table_new(g_int64_hash, g_int64_equal);
        for (uint32_t i = 0; i < frames->n_hits && videos->len < base->limit; i++) {
            int64_t row = frames->hits[i].id;
            int64_t *video = &g_array_index(library->frame_videos, int64_t, row);
            if (!g_hash_table_add(seen, video))
                continue; /* a lower frame of a video already in */
            MergedHit hit = {.hit = {*video, frames->hits[i].score},
                             .frame = row,
                             .time = g_array_index(library->frame_times, double, row)};
            g_array_append_val(videos, hit);
        }
        if (videos->len >= base->limit || depth >= n_frames) {
            *n_searched = frames->n_searched;
            *mean = frames->mean;
            *stddev = frames->stddev;
            return videos;
        }
        g_array_unref(videos);
        depth = (uint32_t)MIN((uint64_t)n_frames, (uint64_t)depth * 4);
    }
}

/* Photos and videos in one list, best first, with the pooled distribution
 * of the scores of both searches. */
static SearchResults *merge_results(const SearchResults *stills, GArray *videos, uint32_t limit,
                                    uint32_t frames_searched, double frames_mean,
                                    double frames_stddev, int64_t **frames_out)
{
    g_autoptr(GArray) merged = g_array_new(FALSE, FALSE, sizeof(MergedHit));
    for (uint32_t i = 0; i < stills->n_hits; i++) {
        MergedHit hit = {.hit = stills->hits[i], .frame = -1, .time = NAN};
        g_array_append_val(merged, hit);
    }
    g_array_append_vals(merged, videos->data, videos->len);
    g_array_sort(merged, merged_hit_compare);
    uint32_t n = MIN(merged->len, limit);

    SearchResults *results = g_new0(SearchResults, 1);
    results->hits = g_new(SearchHit, MAX(n, 1u));
    results->times = g_new(double, MAX(n, 1u));
    *frames_out = g_new(int64_t, MAX(n, 1u));
    results->n_hits = n;
    for (uint32_t i = 0; i < n; i++) {
        const MergedHit *hit = &g_array_index(merged, MergedHit, i);
        results->hits[i] = hit->hit;
        results->times[i] = hit->time;
        (*frames_out)[i] = hit->frame;
    }
    /* Pooled over every row searched: stills and frames. */
    double a = stills->n_searched, b = frames_searched;
    results->n_searched = stills->n_searched + frames_searched;
    results->n_rescored = stills->n_rescored;
    if (a + b > 0) {
        double mean = (a * stills->mean + b * frames_mean) / (a + b);
        double second = (a * (stills->stddev * stills->stddev + stills->mean * stills->mean) +
                         b * (frames_stddev * frames_stddev + frames_mean * frames_mean)) /
                        (a + b);
        results->mean = mean;
        results->stddev = sqrt(MAX(second - mean * mean, 0.0));
    }
    return results;
}

static SearchResults *search_with_videos(SearchLibrary *library, const SearchQuery *query,
                                         const SearchRequest *base, int64_t **frames)
{
    VideoContext context = {library, search_query_has_filters(query) ? query : NULL};
    g_autoptr(SearchFilter) stills_filter =
        search_filter_new_from_func(library->index, allows_still, &context);
    g_autoptr(SearchFilter) frames_filter =
        context.query != NULL ? search_filter_new_from_func(library->frames, allows_frame, &context)
                              : NULL;
    SearchRequest request = *base;
    request.filter = stills_filter;
    g_autoptr(SearchResults) stills = search_index_search(library->index, &request);
    uint32_t frames_searched = 0;
    double frames_mean = 0, frames_stddev = 0;
    g_autoptr(GArray) videos = search_video_frames(library, base, frames_filter, &frames_searched,
                                                   &frames_mean, &frames_stddev);
    return merge_results(stills, videos, base->limit, frames_searched, frames_mean, frames_stddev,
                         frames);
}

/* The relevance rule's flags for the hits: a SigLIP model's probability, or
 * CLIP's rule with the neutral reference scored for the hits only: a
 * video's against the frame that scored. frames (may be NULL) gives each
 * hit's frame row, -1 for a still photo. */
static gboolean *classify_hits(SearchLibrary *library, const SearchResults *results,
                               const int64_t *frames, const float *neutral, const ClipModel *model)
{
    uint32_t n = MAX(results->n_hits, 1u);
    if (search_relevance_is_calibrated(model)) {
        gboolean *strong = g_new(gboolean, n);
        search_relevance_classify_calibrated(results, model, strong);
        return strong;
    }
    g_autofree int64_t *ids = g_new(int64_t, n);
    g_autofree float *neutral_scores = g_new(float, n);
    gboolean *strong = g_new(gboolean, n);
    for (uint32_t i = 0; i < results->n_hits; i++)
        ids[i] = results->hits[i].id;
    search_index_score_ids(library->index, neutral, ids, results->n_hits, neutral_scores);
    for (uint32_t i = 0; frames != NULL && i < results->n_hits; i++)
        if (frames[i] >= 0)
            search_index_score_ids(library->frames, neutral, &frames[i], 1, &neutral_scores[i]);
    search_relevance_classify(results, neutral_scores, strong);
    return strong;
}

static void keep_strong(SearchResults *results, gboolean *strong)
{
    uint32_t kept = 0;
    for (uint32_t i = 0; i < results->n_hits; i++)
        if (strong[i]) {
            results->hits[kept] = results->hits[i];
            if (results->times != NULL)
                results->times[kept] = results->times[i];
            strong[kept++] = TRUE;
        }
    results->n_hits = kept;
}

SearchResults *search_library_query(SearchLibrary *library, const SearchTextEncoder *encoder,
                                    const SearchQuery *query,
                                    const SearchLibraryQueryOptions *options, gboolean **strong,
                                    GError **error)
{
    g_autoptr(SearchFilter) filter = NULL;
    g_auto(SearchEncodedQuery) encoded = {0};
    if (!search_library_filter(library, query, &filter, error) ||
        !search_encode_query(encoder, query, &encoded, error))
        return NULL;
    SearchIndex *index = library->index;
    if (options->adjust != NULL)
        options->adjust(index, &encoded, options->adjust_data);
    SearchRequest request = {
        .query = encoded.query,
        .negatives = encoded.negatives,
        .n_negatives = encoded.n_negatives,
        .negative_weight = SEARCH_NEGATIVE_WEIGHT,
        .filter = filter,
        .limit = options->limit,
    };
    g_autofree int64_t *frames = NULL;
    SearchResults *results = search_index_size(library->frames) > 0
                                 ? search_with_videos(library, query, &request, &frames)
                                 : search_index_search(index, &request);
    g_autofree gboolean *flags =
        classify_hits(library, results, frames, encoded.neutral, encoder->model);
    if (options->strong_only)
        keep_strong(results, flags);
    if (strong != NULL)
        *strong = g_steal_pointer(&flags);
    return results;
}
