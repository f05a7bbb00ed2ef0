/* search-library.c: loading a model's embeddings and the photos' facts from the library store. */
#include "search-library.h"

#include "search-relevance.h"

#include <string.h>

typedef struct {
    char *path;
    char *format;
    char *taken;
    char *camera_make, *camera_model;
    gboolean has_location;
} PhotoEntry;

struct _SearchLibrary {
    SearchIndex *index;
    GHashTable *photos;  /* int64 id → PhotoEntry */
    GHashTable *by_path; /* path (owned by the entry) → boxed int64 id */
};

static void photo_entry_free(PhotoEntry *entry)
{
    g_free(entry->path);
    g_free(entry->format);
    g_free(entry->taken);
    g_free(entry->camera_make);
    g_free(entry->camera_model);
    g_free(entry);
}

void search_library_free(SearchLibrary *library)
{
    if (library == NULL)
        return;
    search_index_free(library->index);
    g_clear_pointer(&library->by_path, g_hash_table_unref);
    g_clear_pointer(&library->photos, g_hash_table_unref);
    g_free(library);
}

/* The decoder's format name from the file name, for photos whose decoded
 * format the store lacks: the names agree for photos that decoded. */
static char *format_from_name(const char *path)
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
            return g_strdup(formats[i].format);
    return NULL;
}

typedef struct {
    SearchLibrary *library;
    guint dim;
    GError *error;
} LoadContext;

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
    PhotoEntry *entry = g_new0(PhotoEntry, 1);
    entry->path = g_strdup(photo->path);
    entry->format = photo->format != NULL ? g_strdup(photo->format) : format_from_name(photo->path);
    entry->taken = g_strdup(photo->taken);
    entry->camera_make = g_strdup(photo->camera_make);
    entry->camera_model = g_strdup(photo->camera_model);
    entry->has_location = photo->has_location;
    g_hash_table_insert(library->photos, g_memdup2(&photo->id, sizeof photo->id), entry);
    g_hash_table_insert(library->by_path, entry->path, g_memdup2(&photo->id, sizeof photo->id));
    return TRUE;
}

SearchLibrary *search_library_load(LibraryStore *store, const char *model_id, guint dim,
                                   GError **error)
{
    g_autoptr(SearchLibrary) library = g_new0(SearchLibrary, 1);
    library->index = search_index_new(dim);
    library->photos = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
                                            (GDestroyNotify)photo_entry_free);
    library->by_path = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    LoadContext load = {library, dim, NULL};
    if (!library_store_foreach_embedding(store, model_id, add_photo, &load, error))
        return NULL;
    if (load.error != NULL) {
        g_propagate_error(error, load.error);
        return NULL;
    }
    return g_steal_pointer(&library);
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

int64_t search_library_find(SearchLibrary *library, const char *path)
{
    const int64_t *id = g_hash_table_lookup(library->by_path, path);
    return id != NULL ? *id : -1;
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

/* The relevance rule's flags for the hits: a SigLIP model's probability, or
 * CLIP's rule with the neutral reference scored for the hits only. */
static gboolean *classify_hits(const SearchIndex *index, const SearchResults *results,
                               const float *neutral, const ClipModel *model)
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
    search_index_score_ids(index, neutral, ids, results->n_hits, neutral_scores);
    search_relevance_classify(results, neutral_scores, strong);
    return strong;
}

static void keep_strong(SearchResults *results, gboolean *strong)
{
    uint32_t kept = 0;
    for (uint32_t i = 0; i < results->n_hits; i++)
        if (strong[i]) {
            results->hits[kept] = results->hits[i];
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
    SearchResults *results = search_index_search(index, &request);
    g_autofree gboolean *flags = classify_hits(index, results, encoded.neutral, encoder->model);
    if (options->strong_only)
        keep_strong(results, flags);
    if (strong != NULL)
        *strong = g_steal_pointer(&flags);
    return results;
}
