/* search-query.c: parsing the search box's syntax (search-query.h) and testing photos against its
 * filters. */
#include "search-query.h"

#include <stdlib.h>
#include <string.h>

/* Written out rather than with G_DEFINE_QUARK, whose hyphenated first
 * argument clang-format spaces out (and the spaces end up in the name). */
GQuark search_query_error_quark(void)
{
    return g_quark_from_static_string("search-query-error-quark");
}

typedef enum {
    KEY_AFTER,
    KEY_BEFORE,
    KEY_CAMERA,
    KEY_FOLDER,
    KEY_TYPE,
    KEY_HAS,
    N_KEYS,
} FilterKey;

static const char *const key_names[N_KEYS] = {"after", "before", "camera", "folder", "type", "has"};

/* type: values and the decoder's format names they mean. */
static const struct {
    const char *alias, *format;
} type_aliases[] = {
    {"jpeg", "jpeg"}, {"jpg", "jpeg"},  {"jpe", "jpeg"},  {"png", "png"},
    {"heif", "heif"}, {"heic", "heif"}, {"avif", "avif"}, {"webp", "webp"},
    {"gif", "gif"},   {"tiff", "tiff"}, {"tif", "tiff"},  {"bmp", "bmp"},
};

void search_query_free(SearchQuery *query)
{
    if (query == NULL)
        return;
    g_free(query->text);
    g_ptr_array_unref(query->negatives);
    g_free(query->taken_from);
    g_free(query->taken_before);
    g_ptr_array_unref(query->cameras);
    g_ptr_array_unref(query->folders);
    g_ptr_array_unref(query->types);
    g_free(query);
}

static SearchQuery *query_new(void)
{
    SearchQuery *query = g_new0(SearchQuery, 1);
    query->negatives = g_ptr_array_new_with_free_func(g_free);
    query->cameras = g_ptr_array_new_with_free_func(g_free);
    query->folders = g_ptr_array_new_with_free_func(g_free);
    query->types = g_ptr_array_new_with_free_func(g_free);
    return query;
}

/* ---- scanning ---- */

static gboolean is_space_at(const char *p)
{
    return *p != '\0' && g_unichar_isspace(g_utf8_get_char(p));
}

static const char *skip_spaces(const char *p)
{
    while (is_space_at(p))
        p = g_utf8_next_char(p);
    return p;
}

/* ASCII quotes and the typographic ones a keyboard layout or a paste may bring. */
static gboolean is_quote_at(const char *p)
{
    gunichar c = *p != '\0' ? g_utf8_get_char(p) : 0;
    return c == '"' || c == 0x201C || c == 0x201D || c == 0x201E;
}

/* p is at an opening quote: the text up to the closing one, or to the end
 * when it is missing (a user still typing). */
static const char *read_quoted(const char *p, char **out)
{
    p = g_utf8_next_char(p);
    const char *start = p;
    while (*p != '\0' && !is_quote_at(p))
        p = g_utf8_next_char(p);
    *out = g_strndup(start, p - start);
    return *p != '\0' ? g_utf8_next_char(p) : p;
}

static const char *read_word(const char *p, char **out)
{
    const char *start = p;
    while (*p != '\0' && !is_space_at(p))
        p = g_utf8_next_char(p);
    *out = g_strndup(start, p - start);
    return p;
}

/* A filter key followed by ':' at p: its key, and *value_at past the colon. */
static gboolean match_key(const char *p, FilterKey *key, const char **value_at)
{
    for (FilterKey k = 0; k < N_KEYS; k++) {
        size_t len = strlen(key_names[k]);
        if (g_ascii_strncasecmp(p, key_names[k], len) == 0 && p[len] == ':') {
            *key = k;
            *value_at = p + len + 1;
            return TRUE;
        }
    }
    return FALSE;
}

/* ---- filter values ---- */

static gboolean invalid(GError **error, FilterKey key, const char *value, const char *why)
{
    g_set_error(error, SEARCH_QUERY_ERROR, SEARCH_QUERY_ERROR_INVALID, "%s:%s: %s", key_names[key],
                value, why);
    return FALSE;
}

static gboolean parse_number(const char *s, size_t min_digits, size_t max_digits, int *out,
                             const char **end)
{
    size_t n = 0;
    int value = 0;
    while (g_ascii_isdigit(s[n]) && n < max_digits)
        value = value * 10 + (s[n++] - '0');
    *out = value;
    *end = s + n;
    return n >= min_digits && !g_ascii_isdigit(s[n]);
}

/* 2019, 2019-06, 2019-6-15 (or with '/' or '.') to the period's first
 * moment, "YYYY-MM-DDT00:00:00". */
static char *parse_date(const char *value)
{
    int year, month = 1, day = 1;
    const char *p;
    if (!parse_number(value, 4, 4, &year, &p) || year < 1000)
        return NULL;
    if (*p == '-' || *p == '/' || *p == '.') {
        if (!parse_number(p + 1, 1, 2, &month, &p) || month < 1 || month > 12)
            return NULL;
        if (*p == '-' || *p == '/' || *p == '.') {
            if (!parse_number(p + 1, 1, 2, &day, &p) ||
                !g_date_valid_dmy((GDateDay)day, (GDateMonth)month, (GDateYear)year))
                return NULL;
        }
    }
    if (*p != '\0')
        return NULL;
    return g_strdup_printf("%04d-%02d-%02dT00:00:00", year, month, day);
}

static gboolean add_date(SearchQuery *query, FilterKey key, const char *value, GError **error)
{
    g_autofree char *date = parse_date(value);
    if (date == NULL)
        return invalid(error, key, value, "not a date (2019, 2019-06 or 2019-06-15)");
    /* Several bounds of one kind: all must hold, so the tightest wins. */
    char **bound = key == KEY_AFTER ? &query->taken_from : &query->taken_before;
    gboolean tighter =
        *bound == NULL || (key == KEY_AFTER ? strcmp(date, *bound) > 0 : strcmp(date, *bound) < 0);
    if (tighter) {
        g_free(*bound);
        *bound = g_steal_pointer(&date);
    }
    return TRUE;
}

static gboolean add_types(SearchQuery *query, const char *value, GError **error)
{
    g_auto(GStrv) names = g_strsplit(value, ",", -1);
    for (char **name = names; *name != NULL; name++) {
        const char *format = NULL;
        for (size_t i = 0; i < G_N_ELEMENTS(type_aliases) && format == NULL; i++)
            if (g_ascii_strcasecmp(*name, type_aliases[i].alias) == 0)
                format = type_aliases[i].format;
        if (format == NULL)
            return invalid(error, KEY_TYPE, value,
                           "unknown type (jpeg, png, heif, avif, webp, gif, tiff, bmp)");
        g_ptr_array_add(query->types, g_strdup(format));
    }
    return TRUE;
}

static gboolean apply_filter(SearchQuery *query, FilterKey key, const char *value, gboolean negated,
                             GError **error)
{
    if (*value == '\0')
        return invalid(error, key, value, "needs a value");
    if (negated && key != KEY_HAS)
        return invalid(error, key, value, "only has: can be negated");
    switch (key) {
    case KEY_AFTER:
    case KEY_BEFORE:
        return add_date(query, key, value, error);
    case KEY_CAMERA:
        g_ptr_array_add(query->cameras, g_utf8_casefold(value, -1));
        return TRUE;
    case KEY_FOLDER:
        g_ptr_array_add(query->folders, g_utf8_casefold(value, -1));
        return TRUE;
    case KEY_TYPE:
        return add_types(query, value, error);
    case KEY_HAS:
        if (g_ascii_strcasecmp(value, "location") != 0 && g_ascii_strcasecmp(value, "gps") != 0)
            return invalid(error, key, value, "unknown property (location)");
        query->location = negated ? SEARCH_HAS_NO : SEARCH_HAS_YES;
        return TRUE;
    case N_KEYS:
        break;
    }
    g_return_val_if_reached(FALSE);
}

/* ---- parsing ---- */

static void add_term(SearchQuery *query, GString *text, char *term, gboolean negated)
{
    g_autofree char *owned = term;
    g_strstrip(owned);
    if (*owned == '\0')
        return;
    if (negated) {
        g_ptr_array_add(query->negatives, g_steal_pointer(&owned));
        return;
    }
    if (text->len > 0)
        g_string_append_c(text, ' ');
    g_string_append(text, owned);
}

/* One term at p (not a space): returns where the next may start. */
static const char *parse_term(SearchQuery *query, GString *text, const char *p, GError **error)
{
    gboolean negated = FALSE;
    if (*p == '-' && p[1] != '\0' && !is_space_at(p + 1)) {
        negated = TRUE;
        p++;
    }
    char *term;
    if (is_quote_at(p)) {
        p = read_quoted(p, &term);
        add_term(query, text, term, negated);
        return p;
    }
    FilterKey key;
    const char *value_at;
    if (match_key(p, &key, &value_at)) {
        g_autofree char *value = NULL;
        p = is_quote_at(value_at) ? read_quoted(value_at, &value) : read_word(value_at, &value);
        return apply_filter(query, key, value, negated, error) ? p : NULL;
    }
    if (*p == '-' && !negated) /* a lone "-": nothing */
        return p + 1;
    p = read_word(p, &term);
    add_term(query, text, term, negated);
    return p;
}

SearchQuery *search_query_parse(const char *input, GError **error)
{
    g_autoptr(SearchQuery) query = query_new();
    g_autoptr(GString) text = g_string_new(NULL);
    g_autofree char *valid = g_utf8_make_valid(input, -1);
    for (const char *p = skip_spaces(valid); *p != '\0'; p = skip_spaces(p)) {
        p = parse_term(query, text, p, error);
        if (p == NULL)
            return NULL;
    }
    query->text = g_string_free(g_steal_pointer(&text), FALSE);
    return g_steal_pointer(&query);
}

/* ---- matching ---- */

gboolean search_query_has_filters(const SearchQuery *query)
{
    return query->taken_from != NULL || query->taken_before != NULL || query->cameras->len > 0 ||
           query->folders->len > 0 || query->types->len > 0 || query->location != SEARCH_HAS_ANY;
}

static gboolean camera_matches(const SearchQuery *query, const SearchPhotoFacts *facts)
{
    g_autofree char *camera = g_strdup_printf("%s %s", facts->camera_make ? facts->camera_make : "",
                                              facts->camera_model ? facts->camera_model : "");
    g_autofree char *folded = g_utf8_casefold(camera, -1);
    for (guint i = 0; i < query->cameras->len; i++)
        if (strstr(folded, g_ptr_array_index(query->cameras, i)) != NULL)
            return TRUE;
    return FALSE;
}

/* The photo's folder path ends with '/', so "a/b" and "b/" match whole names. */
static gboolean folder_matches(const SearchQuery *query, const SearchPhotoFacts *facts)
{
    g_autofree char *dir = g_path_get_dirname(facts->path);
    g_autofree char *folded = g_utf8_casefold(dir, -1);
    g_autofree char *with_slash = g_strconcat(folded, "/", NULL);
    g_auto(GStrv) names = g_strsplit(folded, "/", -1);
    for (guint i = 0; i < query->folders->len; i++) {
        const char *wanted = g_ptr_array_index(query->folders, i);
        if (strchr(wanted, '/') != NULL) {
            if (strstr(with_slash, wanted) != NULL)
                return TRUE;
        } else if (g_strv_contains((const char *const *)names, wanted)) {
            return TRUE;
        }
    }
    return FALSE;
}

static gboolean type_matches(const SearchQuery *query, const SearchPhotoFacts *facts)
{
    for (guint i = 0; i < query->types->len; i++)
        if (g_strcmp0(facts->format, g_ptr_array_index(query->types, i)) == 0)
            return TRUE;
    return FALSE;
}

gboolean search_query_matches(const SearchQuery *query, const SearchPhotoFacts *facts)
{
    if (query->taken_from != NULL || query->taken_before != NULL) {
        if (facts->taken == NULL ||
            (query->taken_from != NULL && strcmp(facts->taken, query->taken_from) < 0) ||
            (query->taken_before != NULL && strcmp(facts->taken, query->taken_before) >= 0))
            return FALSE;
    }
    if (query->location != SEARCH_HAS_ANY &&
        facts->has_location != (query->location == SEARCH_HAS_YES))
        return FALSE;
    if (query->types->len > 0 && !type_matches(query, facts))
        return FALSE;
    if (query->cameras->len > 0 && !camera_matches(query, facts))
        return FALSE;
    if (query->folders->len > 0 && !folder_matches(query, facts))
        return FALSE;
    return TRUE;
}
