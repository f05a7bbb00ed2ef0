/* test-library-timeline.c: the timeline's order and groups: the store's listing newest first by
 * date taken (EXIF, else the file's time on the local clock) through its index, a migrated
 * library's dates, search results by date, and (with the app) the rows the timeline shows:
 * day and month headers, rows of N photos reflowed when N changes. */
#include "core/spyglass-types.h"
#include "library/library-store.h"
#ifdef SPYGLASS_TEST_APP_MODEL
#include "spyglass-timeline-model.h"
#include "spyglass-timeline-row.h"
#endif

#include <math.h>
#include <sqlite3.h>
#include <string.h>

static char *tmp_dir;

/* Seconds since 1970 of a UTC calendar time. */
static gint64 utc(int year, int month, int day, int hour)
{
    g_autoptr(GDateTime) when = g_date_time_new_utc(year, month, day, hour, 0, 0);
    return g_date_time_to_unix(when);
}

typedef struct {
    GArray *ids, *dates;
    GPtrArray *paths;
} Walk;

static gboolean collect(gint64 photo_id, gint64 date_taken, const char *path, double duration,
                        gpointer user_data)
{
    Walk *walk = user_data;
    g_array_append_val(walk->ids, photo_id);
    g_array_append_val(walk->dates, date_taken);
    g_ptr_array_add(walk->paths, g_path_get_basename(path));
    return TRUE;
}

static void walk_init(Walk *walk)
{
    walk->ids = g_array_new(FALSE, FALSE, sizeof(gint64));
    walk->dates = g_array_new(FALSE, FALSE, sizeof(gint64));
    walk->paths = g_ptr_array_new_with_free_func(g_free);
}

static void walk_clear(Walk *walk)
{
    g_array_unref(walk->ids);
    g_array_unref(walk->dates);
    g_ptr_array_unref(walk->paths);
}

static char *joined(GPtrArray *names)
{
    g_ptr_array_add(names, NULL);
    char *text = g_strjoinv(" ", (char **)names->pdata);
    g_ptr_array_remove_index(names, names->len - 1);
    return text;
}

static gint64 add_photo(LibraryStore *store, gint64 folder, const char *name, gint64 mtime)
{
    g_autofree char *path = g_build_filename("/photos", name, NULL);
    gint64 id = 0;
    g_autoptr(GError) error = NULL;
    g_assert_true(library_store_add_photo(store, folder, path, 1,
                                          mtime * G_GINT64_CONSTANT(1000000000), &id, &error));
    g_assert_no_error(error);
    return id;
}

static void set_taken(LibraryStore *store, gint64 id, const char *taken)
{
    LibraryPhotoInfo info = {
        .format = (char *)"jpeg", .width = 8, .height = 8, .taken = (char *)taken};
    const float vector[2] = {1, 0};
    g_autoptr(GError) error = NULL;
    g_assert_true(
        library_store_set_photo_embedded(store, id, &info, "fp", "model", 2, vector, &error));
    g_assert_no_error(error);
}

static void test_store_order(void)
{
    g_autofree char *path = g_build_filename(tmp_dir, "order.db", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(LibraryStore) store = library_store_open(path, &error);
    g_assert_no_error(error);
    LibraryModelRecord model = {(char *)"model", (char *)"Model", NULL, 2};
    g_assert_true(library_store_set_current_model(store, &model, &error));
    gint64 folder = 0, other = 0;
    g_assert_true(library_store_add_folder(store, "/photos", &folder, &error));
    g_assert_true(library_store_add_folder(store, "/other", &other, &error));

    /* File times only (TZ is UTC here: the local clock is UTC). */
    add_photo(store, folder, "old-file.png", utc(2015, 6, 20, 12));
    gint64 exif = add_photo(store, folder, "exif.jpg", utc(2024, 1, 1, 0));
    add_photo(store, folder, "new-file.png", utc(2025, 7, 12, 9));
    gint64 broken = add_photo(store, folder, "broken.jpg", utc(2026, 1, 1, 0));
    gint64 elsewhere = 0;
    g_assert_true(library_store_add_photo(store, other, "/other/x.png", 1,
                                          utc(2020, 2, 2, 2) * G_GINT64_CONSTANT(1000000000),
                                          &elsewhere, &error));
    /* The EXIF date wins over the file's; a failed photo is not in the timeline. */
    set_taken(store, exif, "2019-03-15T08:30:00");
    g_assert_true(library_store_set_photo_failed(store, broken, NULL, "bad", &error));
    g_assert_no_error(error);

    Walk walk;
    walk_init(&walk);
    g_assert_true(library_store_foreach_by_date(store, -1, collect, &walk, &error));
    g_assert_no_error(error);
    g_autofree char *order = joined(walk.paths);
    g_assert_cmpstr(order, ==, "new-file.png x.png exif.jpg old-file.png");
    g_assert_cmpint(g_array_index(walk.dates, gint64, 0), ==, utc(2025, 7, 12, 9));
    g_assert_cmpint(g_array_index(walk.dates, gint64, 2), ==, utc(2019, 3, 15, 8) + 30 * 60);
    walk_clear(&walk);

    /* One folder's; a changed file's new time moves it. */
    g_autoptr(LibraryPhoto) old = library_store_find_photo(store, "/photos/old-file.png", &error);
    g_assert_true(library_store_mark_photo_changed(
        store, old->id, 2, utc(2030, 1, 1, 0) * G_GINT64_CONSTANT(1000000000), &error));
    walk_init(&walk);
    g_assert_true(library_store_foreach_by_date(store, folder, collect, &walk, &error));
    g_autofree char *folder_order = joined(walk.paths);
    g_assert_cmpstr(folder_order, ==, "old-file.png new-file.png exif.jpg");
    walk_clear(&walk);

    /* The order comes from an index: no temporary B-tree for 100,000 rows. */
    sqlite3 *db = NULL;
    g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
    const char *queries[] = {
        "EXPLAIN QUERY PLAN SELECT id, date_taken, path FROM photos WHERE state != 'failed'"
        " ORDER BY date_taken DESC, id DESC",
        "EXPLAIN QUERY PLAN SELECT id, date_taken, path FROM photos WHERE folder_id = 1 AND"
        " state != 'failed' ORDER BY date_taken DESC, id DESC",
    };
    for (size_t q = 0; q < G_N_ELEMENTS(queries); q++) {
        sqlite3_stmt *stmt = NULL;
        g_assert_cmpint(sqlite3_prepare_v2(db, queries[q], -1, &stmt, NULL), ==, SQLITE_OK);
        g_autoptr(GString) plan = g_string_new(NULL);
        while (sqlite3_step(stmt) == SQLITE_ROW)
            g_string_append_printf(plan, "%s; ", (const char *)sqlite3_column_text(stmt, 3));
        sqlite3_finalize(stmt);
        g_test_message("plan: %s", plan->str);
        g_assert_nonnull(strstr(plan->str, "date_taken"));
        g_assert_null(strstr(plan->str, "TEMP B-TREE"));
    }
    sqlite3_close(db);
}

/* A library of schema version 5 gains the dates of the photos it holds. */
static void test_store_migration(void)
{
    g_autofree char *path = g_build_filename(tmp_dir, "v5.db", NULL);
    {
        g_autoptr(GError) error = NULL;
        g_autoptr(LibraryStore) store = library_store_open(path, &error);
        g_assert_no_error(error);
        gint64 folder = 0;
        g_assert_true(library_store_add_folder(store, "/photos", &folder, &error));
        add_photo(store, folder, "a.png", utc(2010, 5, 5, 5));
    }
    /* As version 6 left it: no column, no triggers, no index. */
    sqlite3 *db = NULL;
    g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
    g_assert_cmpint(sqlite3_exec(db,
                                 "DROP TRIGGER photos_date_taken_insert;"
                                 "DROP TRIGGER photos_date_taken_update;"
                                 "DROP INDEX photos_date_taken;"
                                 "DROP INDEX photos_folder_date_taken;"
                                 "ALTER TABLE photos DROP COLUMN date_taken;"
                                 "UPDATE photos SET taken = '2012-12-12T12:12:12';"
                                 "PRAGMA user_version = 6;",
                                 NULL, NULL, NULL),
                    ==, SQLITE_OK);
    sqlite3_close(db);
    g_autoptr(GError) error = NULL;
    g_autoptr(LibraryStore) store = library_store_open(path, &error);
    g_assert_no_error(error);
    Walk walk;
    walk_init(&walk);
    g_assert_true(library_store_foreach_by_date(store, -1, collect, &walk, &error));
    g_assert_cmpuint(walk.dates->len, ==, 1);
    g_assert_cmpint(g_array_index(walk.dates, gint64, 0), ==, utc(2012, 12, 12, 12) + 12 * 60 + 12);
    walk_clear(&walk);
}

/* Search results newest first by their EXIF date; undated ones last, by path. */
static void test_hits_by_date(void)
{
    g_autoptr(SpyglassHits) hits = spyglass_hits_new(4);
    spyglass_hits_append(hits, 1, "/b-undated.png", 0.9f, NULL, FALSE);
    spyglass_hits_append(hits, 2, "/old.jpg", 0.8f, "2001-01-01T00:00:00", FALSE);
    spyglass_hits_append(hits, 3, "/a-undated.png", 0.7f, "not a date", TRUE);
    spyglass_hits_append(hits, 4, "/new.jpg", 0.6f, "2020-02-29T23:59:59", FALSE);
    g_autoptr(SpyglassTimeline) timeline = spyglass_timeline_new_from_hits(hits);
    const gint64 ids[] = {4, 2, 3, 1};
    for (guint i = 0; i < 4; i++)
        g_assert_cmpint(g_array_index(timeline->photos, SpyglassHit, i).id, ==, ids[i]);
    g_assert_cmpint(g_array_index(timeline->dates, gint64, 0), ==, utc(2020, 2, 29, 23) + 3599);
    g_assert_cmpint(g_array_index(timeline->dates, gint64, 2), ==, SPYGLASS_NO_DATE);
    g_assert_true(g_array_index(timeline->photos, SpyglassHit, 2).weak);
    g_assert_cmpfloat(g_array_index(timeline->photos, SpyglassHit, 0).score, ==, 0.6f);
}

#ifdef SPYGLASS_TEST_APP_MODEL
/* Every row's text: a header's title, or the photos' positions "[0 1 2]". */
static char *describe_rows(SpyglassTimelineModel *model)
{
    g_autoptr(GString) text = g_string_new(NULL);
    for (guint i = 0; i < g_list_model_get_n_items(G_LIST_MODEL(model)); i++) {
        g_autoptr(SpyglassTimelineRow) row = g_list_model_get_item(G_LIST_MODEL(model), i);
        if (spyglass_timeline_row_is_header(row)) {
            g_string_append_printf(text, "%s%s", i > 0 ? " | " : "",
                                   spyglass_timeline_row_get_title(row));
            continue;
        }
        g_string_append(text, " [");
        for (guint p = 0; p < spyglass_timeline_row_get_n_photos(row); p++)
            g_string_append_printf(text, "%s%u", p > 0 ? " " : "",
                                   spyglass_timeline_row_get_first_photo(row) + p);
        g_string_append(text, "]");
    }
    return g_string_free(g_steal_pointer(&text), FALSE);
}

static void test_model_rows(void)
{
    const gint64 dates[] = {
        utc(2025, 7, 12, 10), utc(2025, 7, 12, 9),   utc(2025, 7, 12, 1), utc(2025, 7, 3, 0),
        utc(2019, 3, 15, 0),  utc(1969, 12, 31, 23), SPYGLASS_NO_DATE,
    };
    g_autoptr(GArray) array = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_array_append_vals(array, dates, G_N_ELEMENTS(dates));
    g_autoptr(SpyglassTimelineModel) model = spyglass_timeline_model_new();
    guint changes = 0;
    g_signal_connect_swapped(model, "items-changed", G_CALLBACK(g_atomic_int_inc), &changes);
    spyglass_timeline_model_set_dates(model, array);
    spyglass_timeline_model_set_columns(model, 2);
    g_assert_cmpuint(changes, ==, 2);
    g_autofree char *days = describe_rows(model);
    g_assert_cmpstr(days, ==,
                    "Saturday, 12 July 2025 [0 1] [2] | Thursday, 3 July 2025 [3] | "
                    "Friday, 15 March 2019 [4] | Wednesday, 31 December 1969 [5] | No Date [6]");
    g_assert_cmpuint(spyglass_timeline_model_get_n_groups(model), ==, 5);
    g_assert_cmpuint(spyglass_timeline_model_get_photo_row(model, 2), ==, 2);
    g_assert_cmpuint(spyglass_timeline_model_get_photo_row(model, 3), ==, 4);
    g_assert_cmpuint(spyglass_timeline_model_get_row_group(model, 4), ==, 1);
    g_assert_cmpint(spyglass_timeline_model_find_year(model, 2019), ==, 2);
    g_assert_cmpint(spyglass_timeline_model_find_year(model, 2018), ==, -1);

    /* Wider: three to a row; by month: July's photos under one header. */
    spyglass_timeline_model_set_columns(model, 3);
    spyglass_timeline_model_set_grouping(model, SPYGLASS_TIMELINE_BY_MONTH);
    g_autofree char *months = describe_rows(model);
    g_assert_cmpstr(months, ==,
                    "July 2025 [0 1 2] [3] | March 2019 [4] | December 1969 [5] | No Date [6]");
    g_assert_cmpuint(spyglass_timeline_model_get_group_row(model, 1), ==, 3);
    g_assert_cmpuint(g_list_model_get_n_items(G_LIST_MODEL(model)), ==, 9);
}
#endif

int main(int argc, char **argv)
{
    /* The local clock is UTC: file times give the same calendar days everywhere. */
    g_setenv("TZ", "UTC", TRUE);
    g_setenv("LC_ALL", "C.UTF-8", TRUE);
    g_test_init(&argc, &argv, NULL);
    tmp_dir = g_dir_make_tmp("spyglass-timeline-XXXXXX", NULL);
    g_test_add_func("/library/timeline/store-order", test_store_order);
    g_test_add_func("/library/timeline/store-migration", test_store_migration);
    g_test_add_func("/library/timeline/hits-by-date", test_hits_by_date);
#ifdef SPYGLASS_TEST_APP_MODEL
    g_test_add_func("/app/timeline/model-rows", test_model_rows);
#endif
    return g_test_run();
}
