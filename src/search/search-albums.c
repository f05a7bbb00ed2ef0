/* search-albums.c: taxonomy files, album class vectors and the membership rule of search-albums.h.
 */
#include "search-albums.h"

#include "search-private.h"

#include "clip/clip-safetensors.h"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Written out rather than with G_DEFINE_QUARK, whose hyphenated first
 * argument clang-format spaces out (and the spaces end up in the name). */
GQuark search_taxonomy_error_quark(void)
{
    return g_quark_from_static_string("search-taxonomy-error-quark");
}

/* ---- taxonomy files ---- */

static void album_free(SearchAlbum *album)
{
    g_free(album->name);
    g_free(album->group);
    g_ptr_array_unref(album->prompts);
    g_free(album);
}

void search_taxonomy_free(SearchTaxonomy *taxonomy)
{
    if (taxonomy == NULL)
        return;
    g_clear_pointer(&taxonomy->albums, g_ptr_array_unref);
    g_clear_pointer(&taxonomy->background, g_ptr_array_unref);
    g_free(taxonomy->checksum);
    g_free(taxonomy);
}

static gboolean invalid(GError **error, const char *path, const char *what)
{
    g_set_error(error, SEARCH_TAXONOMY_ERROR, SEARCH_TAXONOMY_ERROR_INVALID, "%s: %s", path, what);
    return FALSE;
}

/* A non-empty array of non-empty strings; templates must hold "{}" once. */
static GPtrArray *read_strings(JsonObject *object, const char *member, gboolean templates)
{
    JsonNode *node = json_object_get_member(object, member);
    if (node == NULL || !JSON_NODE_HOLDS_ARRAY(node))
        return NULL;
    JsonArray *array = json_node_get_array(node);
    g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < json_array_get_length(array); i++) {
        JsonNode *element = json_array_get_element(array, i);
        if (!JSON_NODE_HOLDS_VALUE(element) || json_node_get_value_type(element) != G_TYPE_STRING)
            return NULL;
        const char *s = json_node_get_string(element);
        const char *slot = strstr(s, "{}");
        if (*s == '\0' || (templates && (slot == NULL || strstr(slot + 2, "{}") != NULL)))
            return NULL;
        g_ptr_array_add(strings, g_strdup(s));
    }
    return strings->len > 0 ? g_steal_pointer(&strings) : NULL;
}

static char *apply_template(const char *template, const char *subject)
{
    const char *slot = strstr(template, "{}");
    return g_strdup_printf("%.*s%s%s", (int)(slot - template), template, subject, slot + 2);
}

static SearchAlbum *read_album(JsonNode *node, GPtrArray *default_templates, const char *path,
                               guint index, GError **error)
{
    JsonObject *object = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
    const char *name =
        object ? json_object_get_string_member_with_default(object, "name", NULL) : NULL;
    if (name == NULL || *name == '\0') {
        g_autofree char *what = g_strdup_printf("album %u has no name", index);
        invalid(error, path, what);
        return NULL;
    }
    g_autoptr(GPtrArray) subjects = read_strings(object, "subjects", FALSE);
    g_autoptr(GPtrArray) own = json_object_has_member(object, "templates")
                                   ? read_strings(object, "templates", TRUE)
                                   : NULL;
    if (subjects == NULL || (own == NULL && json_object_has_member(object, "templates"))) {
        g_autofree char *what = g_strdup_printf(
            "album “%s”: subjects must be a non-empty list of texts, templates a non-empty "
            "list of texts each with one {}",
            name);
        invalid(error, path, what);
        return NULL;
    }
    GPtrArray *templates = own != NULL ? own : default_templates;
    SearchAlbum *album = g_new0(SearchAlbum, 1);
    album->name = g_strdup(name);
    album->group = g_strdup(json_object_get_string_member_with_default(object, "group", ""));
    album->prompts = g_ptr_array_new_with_free_func(g_free);
    album->n_templates = templates->len;
    album->n_subjects = subjects->len;
    for (guint s = 0; s < subjects->len; s++)
        for (guint t = 0; t < templates->len; t++)
            g_ptr_array_add(album->prompts, apply_template(g_ptr_array_index(templates, t),
                                                           g_ptr_array_index(subjects, s)));
    return album;
}

static gboolean read_taxonomy(SearchTaxonomy *taxonomy, JsonNode *root, const char *path,
                              GError **error)
{
    JsonObject *object = JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
    if (object == NULL || json_object_get_int_member_with_default(object, "version", 0) != 1)
        return invalid(error, path, "not a version 1 taxonomy object");
    g_autoptr(GPtrArray) templates = read_strings(object, "templates", TRUE);
    taxonomy->background = read_strings(object, "background", FALSE);
    JsonNode *albums = json_object_get_member(object, "albums");
    if (templates == NULL || taxonomy->background == NULL || albums == NULL ||
        !JSON_NODE_HOLDS_ARRAY(albums) || json_array_get_length(json_node_get_array(albums)) == 0)
        return invalid(error, path,
                       "needs templates (texts with one {}), background (texts) and albums");

    g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) groups = g_hash_table_new(g_str_hash, g_str_equal);
    JsonArray *array = json_node_get_array(albums);
    for (guint i = 0; i < json_array_get_length(array); i++) {
        SearchAlbum *album =
            read_album(json_array_get_element(array, i), templates, path, i, error);
        if (album == NULL)
            return FALSE;
        g_ptr_array_add(taxonomy->albums, album);
        gpointer group_id;
        if (!g_hash_table_lookup_extended(groups, album->group, NULL, &group_id)) {
            group_id = GUINT_TO_POINTER(taxonomy->n_groups++);
            g_hash_table_insert(groups, album->group, group_id);
        }
        album->group_id = GPOINTER_TO_UINT(group_id);
        if (!g_hash_table_add(names, album->name)) {
            g_autofree char *what = g_strdup_printf("album “%s” appears twice", album->name);
            return invalid(error, path, what);
        }
    }
    return TRUE;
}

SearchTaxonomy *search_taxonomy_load(const char *path, GError **error)
{
    g_autofree char *contents = NULL;
    gsize length;
    if (!g_file_get_contents(path, &contents, &length, error))
        return NULL;
    g_autoptr(GError) unsafe = NULL;
    if (!clip_json_check_text(path, contents, length, &unsafe)) {
        g_set_error_literal(error, SEARCH_TAXONOMY_ERROR, SEARCH_TAXONOMY_ERROR_INVALID,
                            unsafe->message);
        return NULL;
    }
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) parse_error = NULL;
    if (!json_parser_load_from_data(parser, contents, (gssize)length, &parse_error)) {
        invalid(error, path, parse_error->message);
        return NULL;
    }
    g_autoptr(SearchTaxonomy) taxonomy = g_new0(SearchTaxonomy, 1);
    taxonomy->albums = g_ptr_array_new_with_free_func((GDestroyNotify)album_free);
    taxonomy->checksum =
        g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)contents, length);
    if (!read_taxonomy(taxonomy, json_parser_get_root(parser), path, error))
        return NULL;
    return g_steal_pointer(&taxonomy);
}

char *search_taxonomy_find(const char *model_dir, const char *model_name, const char *albums_dir)
{
    g_autofree char *named = g_strdup_printf("%s-taxonomy.json", model_name ? model_name : "");
    char *candidates[] = {
        model_dir ? g_build_filename(model_dir, "taxonomy.json", NULL) : NULL,
        albums_dir && model_name ? g_build_filename(albums_dir, named, NULL) : NULL,
        albums_dir ? g_build_filename(albums_dir, "taxonomy.json", NULL) : NULL,
    };
    char *found = NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(candidates); i++) {
        if (found == NULL && candidates[i] != NULL &&
            g_file_test(candidates[i], G_FILE_TEST_IS_REGULAR))
            found = g_steal_pointer(&candidates[i]);
        g_free(candidates[i]);
    }
    return found;
}

/* ---- class vectors ---- */

void search_album_vectors_clear(SearchAlbumVectors *vectors)
{
    g_clear_pointer(&vectors->first, g_free);
    g_clear_pointer(&vectors->subjects, g_free);
    g_clear_pointer(&vectors->background, g_free);
    vectors->n_albums = vectors->n_subjects = vectors->dim = 0;
}

static void vectors_alloc(SearchAlbumVectors *vectors, uint32_t n_albums, uint32_t n_subjects,
                          uint32_t dim)
{
    vectors->n_albums = n_albums;
    vectors->n_subjects = n_subjects;
    vectors->dim = dim;
    vectors->first = g_new0(uint32_t, n_albums + 1);
    vectors->subjects = g_new(float, (size_t)n_subjects *dim);
    vectors->background = g_new(float, dim);
}

static guint count_prompts(const SearchTaxonomy *taxonomy)
{
    guint n = taxonomy->background->len;
    for (guint a = 0; a < taxonomy->albums->len; a++)
        n += ((const SearchAlbum *)g_ptr_array_index(taxonomy->albums, a))->prompts->len;
    return n;
}

gboolean search_album_vectors_encode_full(const SearchTaxonomy *taxonomy,
                                          const SearchTextEncoder *encoder,
                                          SearchAlbumsProgressFunc progress, gpointer progress_data,
                                          SearchAlbumVectors *out, GError **error)
{
    uint32_t A = taxonomy->albums->len, E = encoder->config->embed_dim, S = 0;
    for (uint32_t a = 0; a < A; a++)
        S += ((const SearchAlbum *)g_ptr_array_index(taxonomy->albums, a))->n_subjects;
    guint total = count_prompts(taxonomy), done = 0;
    if (progress != NULL)
        progress(0, total, progress_data);
    SearchAlbumVectors vectors = {0};
    vectors_alloc(&vectors, A, S, E);
    gboolean ok = search_encode_ensemble(encoder, (const char *const *)taxonomy->background->pdata,
                                         taxonomy->background->len, vectors.background, error);
    done += taxonomy->background->len;
    for (uint32_t a = 0, subject = 0; a < A && ok; a++) {
        const SearchAlbum *album = g_ptr_array_index(taxonomy->albums, a);
        vectors.first[a] = subject;
        for (guint j = 0; j < album->n_subjects && ok; j++, subject++) {
            const char *const *prompts =
                (const char *const *)album->prompts->pdata + (size_t)j * album->n_templates;
            ok = search_encode_ensemble(encoder, prompts, album->n_templates,
                                        vectors.subjects + (size_t)subject * E, error);
            done += album->n_templates;
            if (ok && progress != NULL)
                progress(done, total, progress_data);
        }
    }
    vectors.first[A] = S;
    if (!ok) {
        search_album_vectors_clear(&vectors);
        return FALSE;
    }
    *out = vectors;
    return TRUE;
}

gboolean search_album_vectors_encode(const SearchTaxonomy *taxonomy,
                                     const SearchTextEncoder *encoder, SearchAlbumVectors *out,
                                     GError **error)
{
    return search_album_vectors_encode_full(taxonomy, encoder, NULL, NULL, out, error);
}

void search_album_scores(const SearchAlbumVectors *vectors, const float *x, float *scores)
{
    for (uint32_t a = 0; a < vectors->n_albums; a++) {
        float best = -INFINITY;
        for (uint32_t j = vectors->first[a]; j < vectors->first[a + 1]; j++)
            best = MAX(best, search_dot_f32(vectors->subjects + (size_t)j * vectors->dim, x,
                                            vectors->dim));
        scores[a] = best;
    }
}

/* A header line, then the offsets (uint32), the subjects and the background (float). */
#define CACHE_MAGIC "spyglass-album-vectors 2"

gboolean search_album_vectors_load(const char *path, const char *key, SearchAlbumVectors *out)
{
    g_autofree char *contents = NULL;
    gsize length;
    if (!g_file_get_contents(path, &contents, &length, NULL))
        return FALSE;
    const char *newline = memchr(contents, '\n', length);
    if (newline == NULL)
        return FALSE;
    g_autofree char *header = g_strndup(contents, newline - contents);
    g_autofree char *want_prefix = g_strdup_printf(CACHE_MAGIC " %s ", key);
    unsigned A, S, E;
    if (!g_str_has_prefix(header, want_prefix) ||
        sscanf(header + strlen(want_prefix), "%u %u %u", &A, &S, &E) != 3 || A == 0 || S == 0 ||
        E == 0)
        return FALSE;
    size_t offsets = sizeof(uint32_t) * ((size_t)A + 1), floats = ((size_t)S + 1) * E;
    size_t at = newline + 1 - contents;
    if (length - at != offsets + floats * sizeof(float))
        return FALSE;
    vectors_alloc(out, A, S, E);
    memcpy(out->first, contents + at, offsets);
    memcpy(out->subjects, contents + at + offsets, sizeof(float) * S * E);
    memcpy(out->background, contents + at + offsets + sizeof(float) * S * E, sizeof(float) * E);
    for (uint32_t a = 0; a < A; a++)
        if (out->first[a] > out->first[a + 1] || out->first[A] != S) {
            search_album_vectors_clear(out);
            return FALSE;
        }
    return TRUE;
}

gboolean search_album_vectors_save(const char *path, const char *key,
                                   const SearchAlbumVectors *vectors, GError **error)
{
    g_autofree char *dir = g_path_get_dirname(path);
    if (g_mkdir_with_parents(dir, 0700) != 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: cannot create: %s",
                    dir, g_strerror(errno));
        return FALSE;
    }
    g_autoptr(GByteArray) bytes = g_byte_array_new();
    g_autofree char *header = g_strdup_printf(CACHE_MAGIC " %s %u %u %u\n", key, vectors->n_albums,
                                              vectors->n_subjects, vectors->dim);
    g_byte_array_append(bytes, (const guint8 *)header, (guint)strlen(header));
    g_byte_array_append(bytes, (const guint8 *)vectors->first,
                        (guint)(sizeof(uint32_t) * (vectors->n_albums + 1)));
    g_byte_array_append(bytes, (const guint8 *)vectors->subjects,
                        (guint)(sizeof(float) * vectors->n_subjects * vectors->dim));
    g_byte_array_append(bytes, (const guint8 *)vectors->background,
                        (guint)(sizeof(float) * vectors->dim));
    return g_file_set_contents(path, (const char *)bytes->data, bytes->len, error);
}

/* ---- membership ---- */

void search_albums_assign(const SearchTaxonomy *taxonomy, const float *scores,
                          float background_score, const SearchScoreScale *scale, gboolean *member)
{
    GPtrArray *albums = taxonomy->albums;
    if (scale->calibrated) {
        for (guint a = 0; a < albums->len; a++) {
            double logit = (double)scores[a] * scale->logit_scale + scale->logit_bias;
            member[a] = 1.0 / (1.0 + exp(-logit)) >= SEARCH_ALBUM_MIN_PROBABILITY;
        }
        return;
    }
    /* s_best − ln(10)/T: p_a ≥ p_best / 10 in the group's softmax */
    double slack = log(10.0) / MAX(scale->logit_scale, 1e-3f);
    g_autofree float *best = g_new(float, taxonomy->n_groups);
    for (guint g = 0; g < taxonomy->n_groups; g++)
        best[g] = -INFINITY;
    for (guint a = 0; a < albums->len; a++) {
        guint g = ((const SearchAlbum *)g_ptr_array_index(albums, a))->group_id;
        best[g] = MAX(best[g], scores[a]);
    }
    for (guint a = 0; a < albums->len; a++) {
        guint g = ((const SearchAlbum *)g_ptr_array_index(albums, a))->group_id;
        member[a] = scores[a] > background_score && scores[a] >= best[g] - slack;
    }
}

typedef struct {
    const SearchTaxonomy *taxonomy;
    const SearchAlbumVectors *vectors;
    const SearchScoreScale *scale;
    const SearchIndex *index;
    uint32_t n_parts;
    GPtrArray **members; /* per part: per album GArray of ids */
} AlbumBuild;

static void build_part(gpointer data, uint32_t part)
{
    AlbumBuild *build = data;
    const SearchIndex *index = build->index;
    uint32_t A = build->vectors->n_albums, E = build->vectors->dim;
    g_autofree float *scores = g_new(float, A);
    g_autofree gboolean *member = g_new(gboolean, A);
    GPtrArray *members = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
    for (uint32_t a = 0; a < A; a++)
        g_ptr_array_add(members, g_array_new(FALSE, FALSE, sizeof(int64_t)));
    uint32_t begin = (uint32_t)((uint64_t)index->n * part / build->n_parts);
    uint32_t end = (uint32_t)((uint64_t)index->n * (part + 1) / build->n_parts);
    for (uint32_t row = begin; row < end; row++) {
        const float *x = index->rows + (size_t)row * E;
        search_album_scores(build->vectors, x, scores);
        float background = search_dot_f32(build->vectors->background, x, E);
        search_albums_assign(build->taxonomy, scores, background, build->scale, member);
        for (uint32_t a = 0; a < A; a++)
            if (member[a])
                g_array_append_val(g_ptr_array_index(members, a), index->ids[row]);
    }
    build->members[part] = members;
}

static int compare_ids(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

GPtrArray *search_albums_build(const SearchTaxonomy *taxonomy, const SearchAlbumVectors *vectors,
                               const SearchScoreScale *scale, const SearchIndex *index)
{
    g_return_val_if_fail(vectors->dim == index->dim, NULL);
    g_return_val_if_fail(vectors->n_albums == taxonomy->albums->len, NULL);
    AlbumBuild build = {taxonomy, vectors, scale, index, 0, NULL};
    build.n_parts = CLAMP(index->n / 4096, 1u, search_parallel_threads());
    build.members = g_new0(GPtrArray *, build.n_parts);
    search_parallel_run(build_part, &build, build.n_parts);

    GPtrArray *albums = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
    for (uint32_t a = 0; a < vectors->n_albums; a++) {
        GArray *ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
        for (uint32_t p = 0; p < build.n_parts; p++) {
            GArray *part = g_ptr_array_index(build.members[p], a);
            g_array_append_vals(ids, part->data, part->len);
        }
        g_array_sort(ids, compare_ids);
        g_ptr_array_add(albums, ids);
    }
    for (uint32_t p = 0; p < build.n_parts; p++)
        g_ptr_array_unref(build.members[p]);
    g_free(build.members);
    return albums;
}
