/* test-library-crash.c: kill -9 `spyglass-cli index` at random moments and restart it:
 * the database stays intact, nothing committed is lost, and the end state equals a
 * clean run's, for photos, RAW files and videos alike, with no exception: every file,
 * videos included, decodes in a sandboxed helper, so a run that dies during a decode
 * never counts against the file (library-store-decoding.c).
 *
 * Usage: test-library-crash SPYGLASS_CLI. Five kills by default; at least 25
 * with SPYGLASS_LONG_TESTS=1. Each round starts from an empty library and
 * kills the indexer until a run finishes by itself, then compares. Also: photos and videos
 * that crash, hang or overspend the sandboxed decoders (poison-files), and `similar FILE` /
 * `embed-image` decoding in the sandbox (front-ends-in-sandbox). */
#include "test-common.h"
#include "test-library-common.h"

#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define GOOD_PHOTOS   56
#define RAW_FILES     5 /* 4 RAW, 1 cut */
#define VIDEO_FILES   3 /* 2 clips, 1 of noise */
#define DEFAULT_KILLS 5
#define LONG_KILLS    25
/* After this many attempts a round lets the indexer finish. */
#define MAX_ATTEMPTS_PER_ROUND 40

static const char *cli_path;
static char *tmp_dir;

typedef struct {
    char *state;
    char *error;
    GBytes *vector;    /* NULL without an embedding */
    gint64 frames;     /* a video's stored frames */
    gint64 attempts;   /* runs that died during its in-process decode, so far */
    gboolean decoding; /* recorded as being decoded */
} PhotoRow;

static void photo_row_free(PhotoRow *row)
{
    g_free(row->state);
    g_free(row->error);
    g_clear_pointer(&row->vector, g_bytes_unref);
    g_free(row);
}

/* path → PhotoRow, read with a plain SQLite connection after an integrity
 * check; empty when the indexer died before creating the file. */
static GHashTable *read_snapshot(const char *db_path)
{
    GHashTable *rows =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)photo_row_free);
    if (!g_file_test(db_path, G_FILE_TEST_EXISTS))
        return rows;
    sqlite3 *db = NULL;
    g_assert_cmpint(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *stmt = NULL;
    g_assert_cmpint(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, NULL), ==,
                    SQLITE_OK);
    g_assert_cmpint(sqlite3_step(stmt), ==, SQLITE_ROW);
    g_assert_cmpstr((const char *)sqlite3_column_text(stmt, 0), ==, "ok");
    sqlite3_finalize(stmt);

    /* A kill before the schema was committed leaves no tables: nothing committed. */
    if (sqlite3_prepare_v2(db,
                           "SELECT p.path, p.state, p.error, e.vector,"
                           " (SELECT count(*) FROM video_frames f WHERE f.photo_id = p.id),"
                           " (SELECT d.attempts FROM decoding d WHERE d.photo_id = p.id),"
                           " (SELECT count(*) FROM decoding d WHERE d.photo_id = p.id)"
                           " FROM photos p LEFT JOIN embeddings e ON e.photo_id = p.id",
                           -1, &stmt, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return rows;
    }
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        PhotoRow *row = g_new0(PhotoRow, 1);
        row->state = g_strdup((const char *)sqlite3_column_text(stmt, 1));
        row->error = g_strdup((const char *)sqlite3_column_text(stmt, 2));
        if (sqlite3_column_type(stmt, 3) == SQLITE_BLOB)
            row->vector =
                g_bytes_new(sqlite3_column_blob(stmt, 3), (gsize)sqlite3_column_bytes(stmt, 3));
        row->frames = sqlite3_column_int64(stmt, 4);
        row->attempts = sqlite3_column_int64(stmt, 5); /* NULL (not being decoded): 0 */
        row->decoding = sqlite3_column_int64(stmt, 6) > 0;
        /* One model only: a second row per photo would be a bug. */
        g_assert_true(
            g_hash_table_insert(rows, g_strdup((const char *)sqlite3_column_text(stmt, 0)), row));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return rows;
}

static void assert_same_vector(const char *path, GBytes *a, GBytes *b)
{
    g_assert_true((a == NULL) == (b == NULL));
    if (a == NULL)
        return;
    gsize na = 0, nb = 0;
    const float *x = g_bytes_get_data(a, &na), *y = g_bytes_get_data(b, &nb);
    g_assert_cmpuint(na, ==, nb);
    for (gsize i = 0; i < na / sizeof(float); i++)
        if (fabsf(x[i] - y[i]) > 1e-5f)
            g_error("%s: embedding differs at %zu: %g vs %g", path, i, x[i], y[i]);
}

/* A photo committed before is still there, with the outcome it had, if it had one. */
static void assert_row_kept(const char *path, const PhotoRow *old, const PhotoRow *now)
{
    if (now == NULL)
        g_error("%s was committed, then lost", path);
    if (g_str_equal(old->state, "pending"))
        return;
    if (g_strcmp0(now->state, old->state) != 0 || g_strcmp0(now->error, old->error) != 0)
        g_error("%s: %s (%s), was %s (%s)", path, now->state, now->error, old->state, old->error);
    assert_same_vector(path, old->vector, now->vector);
    /* A video is embedded with all its frames, in one transaction. */
    g_assert_cmpint(now->frames, ==, old->frames);
}

/* Everything committed before is still there: photos, and the outcome of
 * every photo that had one. */
static void assert_kept(GHashTable *before, GHashTable *after)
{
    GHashTableIter iter;
    gpointer key, value;
    g_hash_table_iter_init(&iter, before);
    while (g_hash_table_iter_next(&iter, &key, &value))
        assert_row_kept(key, value, g_hash_table_lookup(after, key));
}

/* The clean run's library, every file as it was there. */
static void assert_same_library(GHashTable *got, GHashTable *expected)
{
    g_assert_cmpuint(g_hash_table_size(got), ==, g_hash_table_size(expected));
    GHashTableIter iter;
    gpointer key, value;
    g_hash_table_iter_init(&iter, got);
    while (g_hash_table_iter_next(&iter, &key, &value))
        g_assert_cmpstr(((PhotoRow *)value)->state, !=, "pending");
    g_hash_table_iter_init(&iter, expected);
    while (g_hash_table_iter_next(&iter, &key, &value))
        assert_row_kept(key, value, g_hash_table_lookup(got, key));
}

static void write_corpus(const char *root)
{
    for (guint i = 0; i < GOOD_PHOTOS; i++) {
        g_autofree char *name =
            g_strdup_printf("%02u/photo-%02u.%s", i % 4, i, i % 5 == 0 ? "png" : "jpg");
        g_autofree char *path = g_build_filename(root, name, NULL);
        if (i % 5 == 0)
            test_library_write_png(path, 96, 64, i);
        else
            test_library_write_jpeg(path, 96, 64, i);
    }
    g_autoptr(GBytes) jpeg = test_library_jpeg_bytes(96, 64, 1000);
    g_autofree char *truncated = g_build_filename(root, "01", "truncated.jpg", NULL);
    test_library_write_file(truncated, g_bytes_get_data(jpeg, NULL), g_bytes_get_size(jpeg) / 2);
    g_autofree char *empty = g_build_filename(root, "02", "empty.jpg", NULL);
    test_library_write_file(empty, "", 0);
    g_autofree char *text = g_build_filename(root, "03", "text.png", NULL);
    test_library_write_file(text, "text", 4);
    g_autoptr(GBytes) corrupt = test_library_png_corrupt_chunk();
    g_autofree char *corrupt_path = g_build_filename(root, "00", "corrupt.png", NULL);
    test_library_write_bytes(corrupt_path, corrupt);
    /* RAW photos and a cut one. */
    for (guint i = 0; i < 4; i++) {
        g_autoptr(GBytes) raw = test_library_raw_bytes(i % 2, 200 + i);
        g_autofree char *name = g_strdup_printf("%02u/raw-%u.%s", i, i, i % 2 ? "nef" : "dng");
        g_autofree char *path = g_build_filename(root, name, NULL);
        test_library_write_bytes(path, raw);
        if (i == 3) {
            g_autofree char *cut = g_build_filename(root, "03", "cut.dng", NULL);
            test_library_write_file(cut, g_bytes_get_data(raw, NULL), g_bytes_get_size(raw) / 2);
        }
    }
    /* Videos (3 frames each) and noise named .mp4. GStreamer's start in the first video
     * helper makes the first one long: many kills land there. */
    for (guint i = 0; i < 2; i++) {
        g_autofree char *name = g_strdup_printf("%02u/clip-%u.webm", i * 2, i);
        g_autofree char *path = g_build_filename(root, name, NULL);
        test_library_write_video(path, 3, 300 + i);
    }
    static const char noise[] = "\x1a\x45\xdf\xa3 the start of a Matroska file, no more";
    g_autofree char *noise_path = g_build_filename(root, "01", "noise.mp4", NULL);
    test_library_write_file(noise_path, noise, sizeof noise - 1);
}

static GPid spawn_indexer(const char *db, const char *model, const char *root)
{
    const char *argv[] = {cli_path,    "--db", db,       "--model", model, "--device",
                          "reference", "-q",   "--json", "index",   root,  NULL};
    g_autoptr(GError) error = NULL;
    GPid pid = 0;
    g_spawn_async(NULL, (char **)argv, NULL,
                  G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                      G_SPAWN_STDERR_TO_DEV_NULL,
                  NULL, NULL, &pid, &error);
    g_assert_no_error(error);
    return pid;
}

/* Runs the indexer to the end; returns its wall time in seconds. */
static double run_indexer(const char *db, const char *model, const char *root)
{
    gint64 start = g_get_monotonic_time();
    GPid pid = spawn_indexer(db, model, root);
    int status = 0;
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    return (g_get_monotonic_time() - start) / 1e6;
}

/* Starts the indexer and kills it after `delay` seconds; FALSE when it had
 * already finished by itself. */
static gboolean kill_indexer_after(const char *db, const char *model, const char *root,
                                   double delay)
{
    GPid pid = spawn_indexer(db, model, root);
    g_usleep((gulong)(delay * G_USEC_PER_SEC));
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
        g_assert_true(WIFEXITED(status));
        g_assert_cmpint(WEXITSTATUS(status), ==, 0);
        return FALSE;
    }
    g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    /* It may have finished between the check and the kill. */
    return WIFSIGNALED(status);
}

/* Photos embedded or failed. */
static guint count_done(GHashTable *rows)
{
    guint done = 0;
    GHashTableIter iter;
    gpointer value;
    g_hash_table_iter_init(&iter, rows);
    while (g_hash_table_iter_next(&iter, NULL, &value))
        done += !g_str_equal(((PhotoRow *)value)->state, "pending");
    return done;
}

/* Adds to caught (paths) the pending files a dead run was decoding; none of them has a
 * death counted against it, as every decode ran in a helper. */
static void note_caught(GHashTable *rows, GHashTable *caught)
{
    GHashTableIter iter;
    gpointer key, value;
    g_hash_table_iter_init(&iter, rows);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        const PhotoRow *row = value;
        g_assert_cmpint(row->attempts, ==, 0);
        if (g_str_equal(row->state, "pending") && row->decoding)
            g_hash_table_add(caught, g_strdup(key));
    }
}

/* Kills indexers on a fresh library until one finishes; returns the kills, and in
 * *recovered the files a kill caught in their decode (indexed as in the clean run all
 * the same). */
static guint crash_round(const char *db, const char *model, const char *root, double clean_time,
                         GHashTable *expected, guint *recovered)
{
    g_autoptr(GHashTable) before = read_snapshot(db);
    g_autoptr(GHashTable) caught = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    guint kills = 0;
    for (guint attempt = 0; attempt < MAX_ATTEMPTS_PER_ROUND; attempt++) {
        double delay = g_test_rand_double_range(0.0, 1.2 * clean_time);
        gboolean killed = kill_indexer_after(db, model, root, delay);
        g_autoptr(GHashTable) after = read_snapshot(db);
        assert_kept(before, after);
        g_hash_table_unref(before);
        before = g_steal_pointer(&after);
        if (!killed)
            break;
        kills++;
        note_caught(before, caught);
        g_test_message("killed after %.3f s: %u photos known, %u of them done", delay,
                       g_hash_table_size(before), count_done(before));
    }
    run_indexer(db, model, root); /* finishes whatever is left; a no-op otherwise */
    g_autoptr(GHashTable) final = read_snapshot(db);
    assert_kept(before, final);
    assert_same_library(final, expected);
    *recovered = g_hash_table_size(caught);
    return kills;
}

static void remove_db(const char *db)
{
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < G_N_ELEMENTS(suffixes); i++) {
        g_autofree char *path = g_strconcat(db, suffixes[i], NULL);
        g_unlink(path);
    }
}

/* The photo paths being decoded now, as the indexer records them. */
static gboolean is_decoding(const char *db_path, const char *name)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return FALSE;
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *stmt = NULL;
    gboolean found = FALSE;
    if (sqlite3_prepare_v2(db, "SELECT p.path FROM decoding d JOIN photos p ON p.id = d.photo_id",
                           -1, &stmt, NULL) == SQLITE_OK)
        while (sqlite3_step(stmt) == SQLITE_ROW)
            found = found || g_str_has_suffix((const char *)sqlite3_column_text(stmt, 0), name);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return found;
}

static void test_kill_and_resume(void)
{
    g_autofree char *model = test_fixture_path("tiny-f32/hf");
    if (model == NULL)
        return;
    if (cli_path == NULL) {
        g_test_skip("pass the spyglass-cli binary as the first argument");
        return;
    }
    g_autofree char *root = g_build_filename(tmp_dir, "Photos", NULL);
    write_corpus(root);

    g_autofree char *clean_db = g_build_filename(tmp_dir, "clean.db", NULL);
    double clean_time = run_indexer(clean_db, model, root);
    g_autoptr(GHashTable) expected = read_snapshot(clean_db);
    g_assert_cmpuint(g_hash_table_size(expected), ==, GOOD_PHOTOS + 4 + RAW_FILES + VIDEO_FILES);
    guint n_frames = 0;
    GHashTableIter iter;
    gpointer key, value;
    g_hash_table_iter_init(&iter, expected);
    while (g_hash_table_iter_next(&iter, &key, &value))
        n_frames += ((PhotoRow *)value)->frames;
    g_assert_cmpuint(n_frames, ==, 2 * 3); /* both clips, a frame a second */

    guint wanted = g_getenv("SPYGLASS_LONG_TESTS") != NULL ? LONG_KILLS : DEFAULT_KILLS;
    g_autofree char *db = g_build_filename(tmp_dir, "crashed.db", NULL);
    guint kills = 0, rounds = 0, recovered = 0;
    while (kills < wanted) {
        remove_db(db);
        guint round_recovered = 0;
        kills += crash_round(db, model, root, clean_time, expected, &round_recovered);
        recovered += round_recovered;
        rounds++;
    }
    g_test_message("%u kills in %u rounds (%u caught a file in its decode, which then indexed "
                   "as in a clean run); a clean run takes %.2f s",
                   kills, rounds, recovered, clean_time);

    /* Killed while the first clip decodes, on purpose: the next run decodes it again (last)
     * and the library is the clean run's. */
    remove_db(db);
    GPid pid = spawn_indexer(db, model, root);
    gint64 give_up = g_get_monotonic_time() + 120 * G_USEC_PER_SEC;
    while (!is_decoding(db, "/clip-0.webm")) {
        g_assert_cmpint(g_get_monotonic_time(), <, give_up);
        g_usleep(5000);
    }
    g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
    int status = 0;
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFSIGNALED(status));
    g_autoptr(GHashTable) killed = read_snapshot(db);
    g_autofree char *clip = g_build_filename(root, "00", "clip-0.webm", NULL);
    const PhotoRow *caught = g_hash_table_lookup(killed, clip);
    g_assert_nonnull(caught);
    g_assert_cmpstr(caught->state, ==, "pending");
    g_assert_true(caught->decoding);
    g_assert_cmpint(caught->attempts, ==, 0); /* a helper's decode: not counted against it */
    run_indexer(db, model, root);
    g_autoptr(GHashTable) resumed = read_snapshot(db);
    assert_same_library(resumed, expected);
}

/* Exactly the poisoned files failed, each with its reason; the rest embedded. */
static void assert_poisoned_failed(GHashTable *rows, guint good, const char *const *poisoned,
                                   const char *const *reasons)
{
    guint embedded = 0, failed = 0;
    GHashTableIter iter;
    gpointer key, value;
    g_hash_table_iter_init(&iter, rows);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        PhotoRow *row = value;
        if (g_str_equal(row->state, "embedded")) {
            embedded++;
            continue;
        }
        g_test_message("%s: %s: %s", (const char *)key, row->state, row->error);
        g_assert_cmpstr(row->state, ==, "failed");
        gboolean known = FALSE;
        for (guint i = 0; poisoned[i] != NULL; i++) {
            if (g_str_has_suffix(key, poisoned[i])) {
                known = TRUE;
                g_assert_nonnull(strstr(row->error, reasons[i]));
            }
        }
        g_assert_true(known);
        failed++;
    }
    g_assert_cmpuint(embedded, ==, good);
    g_assert_cmpuint(failed, ==, g_strv_length((char **)poisoned));
}

/* Photos on which the decoder crashes, hangs and allocates without bound
 * (spyglass-decode's test switches) and videos on which the video decoder
 * crashes and hangs (spyglass-decode-video's), among good photos and
 * videos: the run finishes with exactly those failed, and so do runs
 * killed with -9 while the hanging photo or video is being decoded, once
 * restarted. */
static void test_poison_files(void)
{
    g_autofree char *model = test_fixture_path("tiny-f32/hf");
    if (model == NULL)
        return;
    if (cli_path == NULL) {
        g_test_skip("pass the spyglass-cli binary as the first argument");
        return;
    }
    const guint good_photos = 12, good_videos = 2, good = good_photos + good_videos;
    g_autofree char *root = g_build_filename(tmp_dir, "Poisoned", NULL);
    for (guint i = 0; i < good_photos; i++) {
        g_autofree char *name = g_strdup_printf("photo-%02u.jpg", i);
        g_autofree char *path = g_build_filename(root, name, NULL);
        test_library_write_jpeg(path, 96, 64, i);
    }
    for (guint i = 0; i < good_videos; i++) {
        g_autofree char *name = g_strdup_printf("clip-%u.webm", i);
        g_autofree char *path = g_build_filename(root, name, NULL);
        test_library_write_video(path, 2, 400 + i);
    }
    /* AddressSanitizer's allocator does not fail at the address-space limit
     * the way glibc's does (docs/security.md): no runaway allocation there. */
    gboolean sanitized = g_getenv("SPYGLASS_SANITIZE") != NULL;
    const char *const poisoned[] = {
        "crash.webm", "hang.webm", "crash.jpg", "hang.jpg", sanitized ? NULL : "alloc.jpg", NULL};
    const char *const reasons[] = {"the decoder crashed on this file (SIGSEGV)",
                                   "decoding took longer than 3 s",
                                   "the decoder crashed on this file (SIGSEGV)",
                                   "decoding took longer than 3 s", "memory limit"};
    for (guint i = 0; poisoned[i] != NULL; i++) {
        g_autofree char *path = g_build_filename(root, poisoned[i], NULL);
        if (g_str_has_suffix(path, ".webm"))
            test_library_write_video(path, 2, 500 + i);
        else
            test_library_write_jpeg(path, 96, 64, 100 + i);
    }
    g_setenv("SPYGLASS_DECODE_TEST_FAULTS",
             "crash=crash.jpg,hang=hang.jpg,alloc=alloc.jpg,crash=crash.webm,hang=hang.webm", TRUE);
    g_setenv("SPYGLASS_DECODE_TIMEOUT", "3", TRUE);
    /* meson's MALLOC_PERTURB_ would have glibc fill each runaway block. */
    g_unsetenv("MALLOC_PERTURB_");

    g_autofree char *db = g_build_filename(tmp_dir, "poisoned.db", NULL);
    run_indexer(db, model, root);
    g_autoptr(GHashTable) first = read_snapshot(db);
    assert_poisoned_failed(first, good, poisoned, reasons);

    /* Again from scratch, killed while the hanging photo, then the hanging
     * video, is being decoded. */
    const char *const hanging[] = {"hang.jpg", "hang.webm"};
    for (size_t h = 0; h < G_N_ELEMENTS(hanging); h++) {
        remove_db(db);
        GPid pid = spawn_indexer(db, model, root);
        gint64 give_up = g_get_monotonic_time() + 120 * G_USEC_PER_SEC;
        while (!is_decoding(db, hanging[h])) {
            g_assert_cmpint(g_get_monotonic_time(), <, give_up);
            g_usleep(20000);
        }
        g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
        int status = 0;
        g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
        g_assert_true(WIFSIGNALED(status));
        run_indexer(db, model, root);
        g_autoptr(GHashTable) resumed = read_snapshot(db);
        assert_poisoned_failed(resumed, good, poisoned, reasons);
    }

    g_unsetenv("SPYGLASS_DECODE_TEST_FAULTS");
    g_unsetenv("SPYGLASS_DECODE_TIMEOUT");
}

/* `spyglass-cli COMMAND FILE` on a library of good photos; returns the exit
 * status and stderr. */
static int run_cli_on_file(const char *db, const char *model, const char *command, const char *file,
                           char **stderr_text)
{
    const char *argv[] = {cli_path,   "--db",      db,      "--model", model,
                          "--device", "reference", command, file,      NULL};
    g_autoptr(GError) error = NULL;
    int status = 0;
    g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                 stderr_text, &status, &error);
    g_assert_no_error(error);
    g_assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* `similar FILE` and `embed-image FILE` on a file outside the library decode
 * it in the sandbox: a file that crashes the decoder fails the command with
 * the helper's reason, and spyglass-cli lives to say so. */
static void test_front_ends_in_sandbox(void)
{
    g_autofree char *model = test_fixture_path("tiny-f32/hf");
    if (model == NULL)
        return;
    if (cli_path == NULL) {
        g_test_skip("pass the spyglass-cli binary as the first argument");
        return;
    }
    g_autofree char *root = g_build_filename(tmp_dir, "Library", NULL);
    for (guint i = 0; i < 3; i++) {
        g_autofree char *name = g_strdup_printf("photo-%u.jpg", i);
        g_autofree char *path = g_build_filename(root, name, NULL);
        test_library_write_jpeg(path, 96, 64, i);
    }
    g_autofree char *db = g_build_filename(tmp_dir, "front-ends.db", NULL);
    run_indexer(db, model, root);
    g_autofree char *good = g_build_filename(tmp_dir, "Elsewhere", "good.jpg", NULL);
    g_autofree char *crash = g_build_filename(tmp_dir, "Elsewhere", "crash.jpg", NULL);
    test_library_write_jpeg(good, 96, 64, 7);
    test_library_write_jpeg(crash, 96, 64, 8);
    g_setenv("SPYGLASS_DECODE_TEST_FAULTS", "crash=crash.jpg", TRUE);

    const char *const commands[] = {"similar", "embed-image"};
    for (guint i = 0; i < G_N_ELEMENTS(commands); i++) {
        g_autofree char *good_stderr = NULL, *crash_stderr = NULL;
        g_assert_cmpint(run_cli_on_file(db, model, commands[i], good, &good_stderr), ==, 0);
        int status = run_cli_on_file(db, model, commands[i], crash, &crash_stderr);
        g_test_message("%s crash.jpg: exit %d, %s", commands[i], status, crash_stderr);
        g_assert_cmpint(status, ==, 1);
        g_assert_nonnull(strstr(crash_stderr, crash));
        g_assert_nonnull(strstr(crash_stderr, "the decoder crashed on this file (SIGSEGV)"));
    }
    g_unsetenv("SPYGLASS_DECODE_TEST_FAULTS");
}

int main(int argc, char **argv)
{
    tmp_dir = test_library_tmp_dir();
    g_autofree char *data_home = g_build_filename(tmp_dir, "xdg-data", NULL);
    g_setenv("XDG_DATA_HOME", data_home, TRUE);
    g_test_init(&argc, &argv, NULL);
    cli_path = argc > 1 ? argv[1] : NULL;
    /* The indexers this test starts decode videos: full stacks under ASan
     * (tests/lsan.supp, GLib's quark table). */
    if (g_getenv("SPYGLASS_SANITIZE") != NULL) {
        const char *asan = g_getenv("ASAN_OPTIONS");
        g_autofree char *options = g_strconcat(asan != NULL ? asan : "", asan != NULL ? ":" : "",
                                               "fast_unwind_on_malloc=0", NULL);
        g_setenv("ASAN_OPTIONS", options, TRUE);
    }
    g_test_add_func("/library/crash/kill-and-resume", test_kill_and_resume);
    g_test_add_func("/library/crash/poison-files", test_poison_files);
    g_test_add_func("/library/crash/front-ends-in-sandbox", test_front_ends_in_sandbox);
    int status = g_test_run();
    test_library_remove_tree(tmp_dir);
    g_free(tmp_dir);
    return status;
}
