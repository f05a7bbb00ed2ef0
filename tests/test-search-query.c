/* test-search-query.c: the search box's syntax on tricky inputs, and filters on photo facts. */
#include "search/search-query.h"

#include <string.h>

static char *join(GPtrArray *strings)
{
    g_autoptr(GString) out = g_string_new(NULL);
    for (guint i = 0; i < strings->len; i++)
        g_string_append_printf(out, "%s%s", i ? "|" : "",
                               (const char *)g_ptr_array_index(strings, i));
    return g_string_free(g_steal_pointer(&out), FALSE);
}

typedef struct {
    const char *input;
    const char *text;
    const char *negatives; /* joined with '|' */
    const char *from, *before;
    const char *cameras, *folders, *types;
    SearchHas location;
} ParseCase;

static const ParseCase parse_cases[] = {
    {"beach after:2019-06 camera:pixel -people", "beach", "people", "2019-06-01T00:00:00", NULL,
     "pixel", "", "", SEARCH_HAS_ANY},
    {"", "", "", NULL, NULL, "", "", "", SEARCH_HAS_ANY},
    {"   \t  ", "", "", NULL, NULL, "", "", "", SEARCH_HAS_ANY},
    {"  red   car\u00a0at night ", "red car at night", "", NULL, NULL, "", "", "", SEARCH_HAS_ANY},
    /* phrases keep their inner spaces and their place in the text */
    {"a \"red  car\" parked", "a red  car parked", "", NULL, NULL, "", "", "", SEARCH_HAS_ANY},
    {"-\"power lines\" sunset -fog", "sunset", "power lines|fog", NULL, NULL, "", "", "",
     SEARCH_HAS_ANY},
    /* a user still typing: the phrase runs to the end */
    {"dog \"on the bea", "dog on the bea", "", NULL, NULL, "", "", "", SEARCH_HAS_ANY},
    {"\u201csmart quotes\u201d ok", "smart quotes ok", "", NULL, NULL, "", "", "", SEARCH_HAS_ANY},
    /* lone and doubled dashes, empty phrases */
    {"cat - dog", "cat dog", "", NULL, NULL, "", "", "", SEARCH_HAS_ANY},
    {"cat --dog \"\" -\"\"", "cat", "-dog", NULL, NULL, "", "", "", SEARCH_HAS_ANY},
    {"well-lit room", "well-lit room", "", NULL, NULL, "", "", "", SEARCH_HAS_ANY},
    /* unknown keys and colons are text */
    {"re:union 10:30 http://x.org", "re:union 10:30 http://x.org", "", NULL, NULL, "", "", "",
     SEARCH_HAS_ANY},
    /* keys in any case, quoted values, several values */
    {"AFTER:2019 Before:2020/03 FOLDER:\"Summer Trip\" folder:Pets camera:\"EOS R\" camera:Pixel",
     "", "", "2019-01-01T00:00:00", "2020-03-01T00:00:00", "eos r|pixel", "summer trip|pets", "",
     SEARCH_HAS_ANY},
    /* the tightest of several bounds */
    {"after:2018 after:2019-05-02 after:2019 before:2021 before:2020.7", "", "",
     "2019-05-02T00:00:00", "2020-07-01T00:00:00", "", "", "", SEARCH_HAS_ANY},
    {"type:jpg,PNG type:heic has:location", "", "", NULL, NULL, "", "", "jpeg|png|heif",
     SEARCH_HAS_YES},
    {"snow -has:location", "snow", "", NULL, NULL, "", "", "", SEARCH_HAS_NO},
    {"after:2024-02-29", "", "", "2024-02-29T00:00:00", NULL, "", "", "", SEARCH_HAS_ANY},
    {"ÉTÉ camera:ÇANON", "ÉTÉ", "", NULL, NULL, "çanon", "", "", SEARCH_HAS_ANY},
    {"photo\xff of", "photo\xef\xbf\xbd of", "", NULL, NULL, "", "", "", SEARCH_HAS_ANY},
};

static void test_parse(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(parse_cases); i++) {
        const ParseCase *c = &parse_cases[i];
        g_autoptr(GError) error = NULL;
        g_autoptr(SearchQuery) q = search_query_parse(c->input, &error);
        g_assert_no_error(error);
        g_autofree char *negatives = join(q->negatives);
        g_autofree char *cameras = join(q->cameras);
        g_autofree char *folders = join(q->folders);
        g_autofree char *types = join(q->types);
        if (g_strcmp0(q->text, c->text) != 0 || g_strcmp0(negatives, c->negatives) != 0 ||
            g_strcmp0(q->taken_from, c->from) != 0 || g_strcmp0(q->taken_before, c->before) != 0 ||
            g_strcmp0(cameras, c->cameras) != 0 || g_strcmp0(folders, c->folders) != 0 ||
            g_strcmp0(types, c->types) != 0 || q->location != c->location)
            g_test_fail_printf("“%s”: text “%s”, negatives “%s”, from %s, before %s, cameras “%s”, "
                               "folders “%s”, types “%s”, location %d",
                               c->input, q->text, negatives, q->taken_from, q->taken_before,
                               cameras, folders, types, q->location);
        gboolean filters = c->from || c->before || *c->cameras || *c->folders || *c->types ||
                           c->location != SEARCH_HAS_ANY;
        g_assert_cmpint(search_query_has_filters(q), ==, filters);
    }
}

static void test_errors(void)
{
    static const struct {
        const char *input, *message;
    } cases[] = {
        {"after:yesterday", "after:yesterday: not a date (2019, 2019-06 or 2019-06-15)"},
        {"before:2019-13", "before:2019-13: not a date (2019, 2019-06 or 2019-06-15)"},
        {"after:2023-02-29", "after:2023-02-29: not a date (2019, 2019-06 or 2019-06-15)"},
        {"after:19", "after:19: not a date (2019, 2019-06 or 2019-06-15)"},
        {"after:2019-06-15x", "after:2019-06-15x: not a date (2019, 2019-06 or 2019-06-15)"},
        {"after:20190", "after:20190: not a date (2019, 2019-06 or 2019-06-15)"},
        {"beach camera:", "camera:: needs a value"},
        {"folder:\"\"", "folder:: needs a value"},
        {"type:raw", "type:raw: unknown type (jpeg, png, heif, avif, webp, gif, tiff, bmp)"},
        {"type:jpeg,", "type:jpeg,: unknown type (jpeg, png, heif, avif, webp, gif, tiff, bmp)"},
        {"has:faces", "has:faces: unknown property (location)"},
        {"-camera:pixel", "camera:pixel: only has: can be negated"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(SearchQuery) q = search_query_parse(cases[i].input, &error);
        g_assert_null(q);
        g_assert_error(error, SEARCH_QUERY_ERROR, SEARCH_QUERY_ERROR_INVALID);
        g_assert_cmpstr(error->message, ==, cases[i].message);
    }
}

static gboolean matches(const char *input, const SearchPhotoFacts *facts)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SearchQuery) q = search_query_parse(input, &error);
    g_assert_no_error(error);
    return search_query_matches(q, facts);
}

static void test_matches(void)
{
    SearchPhotoFacts photo = {
        .path = "/home/ana/Pictures/Summer Trip/2019/IMG_0001.HEIC",
        .format = "heif",
        .taken = "2019-06-30T23:59:59",
        .camera_make = "Google",
        .camera_model = "Pixel 4a",
        .has_location = TRUE,
    };
    g_assert_true(matches("beach", &photo));
    g_assert_true(matches("after:2019-06 before:2019-07", &photo));
    g_assert_false(matches("after:2019-07", &photo));
    g_assert_false(matches("before:2019-06-30", &photo));
    g_assert_true(matches("before:2019-07-01", &photo));
    g_assert_true(matches("camera:pixel", &photo));
    g_assert_true(matches("camera:\"google pixel\"", &photo));
    g_assert_true(matches("camera:canon camera:PIXEL", &photo));
    g_assert_false(matches("camera:canon", &photo));
    g_assert_true(matches("folder:\"summer trip\"", &photo));
    g_assert_true(matches("folder:2019", &photo));
    g_assert_false(matches("folder:summer", &photo));        /* a whole name, not a part */
    g_assert_false(matches("folder:img_0001.heic", &photo)); /* the file is not a folder */
    g_assert_true(matches("folder:pictures/summer", &photo));
    g_assert_true(matches("folder:\"trip/2019/\"", &photo));
    g_assert_true(matches("type:heic", &photo));
    g_assert_true(matches("type:png,heif", &photo));
    g_assert_false(matches("type:jpeg", &photo));
    g_assert_true(matches("has:location", &photo));
    g_assert_false(matches("-has:location", &photo));
    g_assert_true(matches("camera:pixel type:heic after:2019 has:location folder:2019", &photo));
    g_assert_false(matches("camera:pixel type:heic after:2020", &photo));

    SearchPhotoFacts bare = {.path = "scan.png", .format = "png"};
    g_assert_true(matches("-has:location type:png", &bare));
    g_assert_false(matches("after:1900", &bare)); /* no date: date filters cannot vouch for it */
    g_assert_false(matches("camera:a", &bare));
    g_assert_false(matches("folder:scan.png", &bare));
}

/* The domain's name is what logs and GError dumps show. */
static void test_error_domain_name(void)
{
    g_assert_cmpstr(g_quark_to_string(SEARCH_QUERY_ERROR), ==, "search-query-error-quark");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/search/query/parse", test_parse);
    g_test_add_func("/search/query/errors", test_errors);
    g_test_add_func("/search/query/error-domain-name", test_error_domain_name);
    g_test_add_func("/search/query/matches", test_matches);
    return g_test_run();
}
