/* fuzz-query.c: the search box's query syntax (filters, negatives, quotes) and its matching. */
#include "fuzz-common.h"

#include "search/search-query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = fuzz_string(data, size);
    GError *error = NULL;
    SearchQuery *query = search_query_parse(text, &error);
    if (query != NULL) {
        SearchPhotoFacts facts = {.path = "/photos/2024/cat.jpg",
                                  .format = "jpeg",
                                  .taken = "2024-05-06T07:08:09",
                                  .camera_make = "Canon",
                                  .camera_model = "EOS",
                                  .has_location = TRUE};
        (void)search_query_matches(query, &facts);
        (void)search_query_has_filters(query);
        search_query_free(query);
    }
    g_clear_error(&error);
    return 0;
}
