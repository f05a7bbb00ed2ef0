/* library-crawler.c: the folder walk (openat/fdopendir/fstatat) and the content fingerprint. */
#include "library-crawler.h"

#include "library-decoder.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A file's identity, whatever the path that reached it. */
typedef struct {
    dev_t dev;
    ino_t ino;
} FileKey;

static guint file_key_hash(gconstpointer key)
{
    const FileKey *k = key;
    return g_int64_hash(&(gint64){(gint64)k->ino}) ^ (guint)k->dev;
}

static gboolean file_key_equal(gconstpointer a, gconstpointer b)
{
    const FileKey *x = a, *y = b;
    return x->dev == y->dev && x->ino == y->ino;
}

static GHashTable *file_key_set_new(void)
{
    return g_hash_table_new_full(file_key_hash, file_key_equal, g_free, NULL);
}

/* Adds a file to a set; FALSE when it was there already. */
static gboolean file_key_set_add(GHashTable *set, const struct stat *st)
{
    FileKey key = {st->st_dev, st->st_ino};
    if (g_hash_table_contains(set, &key))
        return FALSE;
    g_hash_table_add(set, g_memdup2(&key, sizeof key));
    return TRUE;
}

typedef struct {
    LibraryCrawl *crawl;
    GCancellable *cancellable;
    GHashTable *excluded;     /* FileKey: the app's own folders */
    GHashTable *seen_files;   /* FileKey: photo files listed, across roots */
    GHashTable *visited_dirs; /* FileKey: folders walked under the current root */
    GPtrArray *stack;         /* char*: folders left to walk, the next one last */
    guint root;
} Crawler;

static void crawl_file_free(LibraryCrawlFile *file)
{
    g_free(file->path);
    g_free(file);
}

static void crawl_root_free(LibraryCrawlRoot *root)
{
    g_free(root->path);
    g_free(root);
}

static void crawl_problem_free(LibraryCrawlProblem *problem)
{
    g_free(problem->path);
    g_free(problem->reason);
    g_free(problem);
}

void library_crawl_free(LibraryCrawl *crawl)
{
    if (crawl == NULL)
        return;
    g_ptr_array_unref(crawl->roots);
    g_ptr_array_unref(crawl->files);
    g_ptr_array_unref(crawl->problems);
    g_clear_pointer(&crawl->companions, g_hash_table_unref);
    g_free(crawl);
}

static void crawler_add_problem(Crawler *crawler, const char *path, int errsv)
{
    LibraryCrawlProblem *problem = g_new0(LibraryCrawlProblem, 1);
    problem->path = g_strdup(path);
    problem->reason = g_strdup(g_strerror(errsv));
    g_debug("%s: %s: skipped", path, problem->reason);
    g_ptr_array_add(crawler->crawl->problems, problem);
}

/* The app's own folders: its database, caches and the thumbnails it writes. */
static GHashTable *own_folders_new(void)
{
    GHashTable *set = file_key_set_new();
    g_autofree char *data = g_build_filename(g_get_user_data_dir(), "spyglass", NULL);
    g_autofree char *cache = g_build_filename(g_get_user_cache_dir(), "spyglass", NULL);
    g_autofree char *thumbnails = g_build_filename(g_get_user_cache_dir(), "thumbnails", NULL);
    const char *folders[] = {data, cache, thumbnails};
    for (size_t i = 0; i < G_N_ELEMENTS(folders); i++) {
        struct stat st;
        if (stat(folders[i], &st) == 0 && S_ISDIR(st.st_mode))
            file_key_set_add(set, &st);
    }
    return set;
}

gboolean library_is_own_folder(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return FALSE;
    g_autoptr(GHashTable) own = own_folders_new();
    FileKey key = {st.st_dev, st.st_ino};
    return g_hash_table_contains(own, &key);
}

static gboolean is_excluded(Crawler *crawler, const struct stat *st)
{
    FileKey key = {st->st_dev, st->st_ino};
    return g_hash_table_contains(crawler->excluded, &key);
}

static void crawler_add_photo(Crawler *crawler, const char *path, const struct stat *st)
{
    LibraryCrawlRoot *root = g_ptr_array_index(crawler->crawl->roots, crawler->root);
    root->n_photos++;
    if (!file_key_set_add(crawler->seen_files, st))
        return;
    LibraryCrawlFile *file = g_new0(LibraryCrawlFile, 1);
    file->path = g_strdup(path);
    file->size = st->st_size;
    file->mtime = (gint64)st->st_mtim.tv_sec * G_GINT64_CONSTANT(1000000000) + st->st_mtim.tv_nsec;
    file->root = crawler->root;
    g_ptr_array_add(crawler->crawl->files, file);
}

typedef struct {
    char *name;
    unsigned char type; /* d_type */
} DirEntry;

static int compare_entries(gconstpointer a, gconstpointer b)
{
    const DirEntry *x = a, *y = b;
    return strcmp(x->name, y->name);
}

static void clear_entry(gpointer data)
{
    g_free(((DirEntry *)data)->name);
}

/* The folder's visible entries that may matter, sorted by name; NULL with
 * errno when the folder cannot be listed (entries read so far are dropped:
 * a partial listing is treated like no listing). */
static GArray *read_entries(DIR *dir)
{
    GArray *entries = g_array_new(FALSE, FALSE, sizeof(DirEntry));
    g_array_set_clear_func(entries, clear_entry);
    struct dirent *dirent;
    errno = 0;
    while ((dirent = readdir(dir)) != NULL) {
        const char *name = dirent->d_name;
        /* Hidden files, "." and "..": skipped without a stat. */
        if (name[0] == '.')
            continue;
        /* A plain file that is not a photo needs no stat either. */
        if (dirent->d_type == DT_REG && !library_is_photo_name(name))
            continue;
        DirEntry entry = {g_strdup(name), dirent->d_type};
        g_array_append_val(entries, entry);
    }
    if (errno != 0) {
        int errsv = errno;
        g_array_unref(entries);
        errno = errsv;
        return NULL;
    }
    g_array_sort(entries, compare_entries);
    return entries;
}

/* Looks at one entry of a listed folder: photos are recorded, folders pushed. */
static void crawl_entry(Crawler *crawler, int dir_fd, const char *dir_path, const DirEntry *entry,
                        GPtrArray *subfolders)
{
    g_autofree char *path = g_build_filename(dir_path, entry->name, NULL);
    struct stat st;
    /* Follows symbolic links: a link is what it points to. */
    if (fstatat(dir_fd, entry->name, &st, 0) != 0) {
        int errsv = errno;
        /* A dangling or self-referencing link, or a file deleted since the
         * listing, is not there: nothing to read, nothing lost. */
        if (errsv == ENOENT || errsv == ELOOP)
            g_debug("%s: %s: ignored", path, g_strerror(errsv));
        else
            crawler_add_problem(crawler, path, errsv);
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        if (!is_excluded(crawler, &st) && file_key_set_add(crawler->visited_dirs, &st))
            g_ptr_array_add(subfolders, g_steal_pointer(&path));
    } else if (S_ISREG(st.st_mode) && library_is_photo_name(entry->name)) {
        crawler_add_photo(crawler, path, &st);
    }
}

/* Lists one folder; its subfolders go on the stack, to be walked in name order. */
static void crawl_folder(Crawler *crawler, const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
    g_autoptr(GArray) entries = dir != NULL ? read_entries(dir) : NULL;
    if (entries == NULL) {
        crawler_add_problem(crawler, path, errno);
        if (dir != NULL)
            closedir(dir);
        else if (fd >= 0)
            close(fd);
        return;
    }
    g_autoptr(GPtrArray) subfolders = g_ptr_array_new();
    for (guint i = 0; i < entries->len; i++)
        crawl_entry(crawler, dirfd(dir), path, &g_array_index(entries, DirEntry, i), subfolders);
    closedir(dir);
    for (guint i = subfolders->len; i > 0; i--)
        g_ptr_array_add(crawler->stack, g_ptr_array_index(subfolders, i - 1));
}

static void crawl_root(Crawler *crawler, guint index)
{
    LibraryCrawlRoot *root = g_ptr_array_index(crawler->crawl->roots, index);
    struct stat st;
    if (stat(root->path, &st) != 0) {
        crawler_add_problem(crawler, root->path, errno);
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        crawler_add_problem(crawler, root->path, ENOTDIR);
        return;
    }
    root->present = TRUE;
    if (is_excluded(crawler, &st))
        return;

    crawler->root = index;
    g_hash_table_remove_all(crawler->visited_dirs);
    file_key_set_add(crawler->visited_dirs, &st);
    g_ptr_array_add(crawler->stack, g_strdup(root->path));
    while (crawler->stack->len > 0) {
        if (g_cancellable_is_cancelled(crawler->cancellable)) {
            crawler->crawl->cancelled = TRUE;
            return;
        }
        g_autofree char *path = g_ptr_array_steal_index(crawler->stack, crawler->stack->len - 1);
        crawl_folder(crawler, path);
    }
}

/* "folder/name" without the extension, case-folded: what a RAW and its JPEG share. */
static char *pair_key(const char *path)
{
    const char *dot = strrchr(path, '.');
    return g_ascii_strdown(path, dot != NULL ? dot - path : -1);
}

static gboolean is_jpeg_name(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot != NULL &&
           (g_ascii_strcasecmp(dot, ".jpg") == 0 || g_ascii_strcasecmp(dot, ".jpeg") == 0 ||
            g_ascii_strcasecmp(dot, ".jpe") == 0);
}

/* Takes the RAWs that have a JPEG of the same name beside them out of the
 * files, as the JPEGs' companions: the camera's own rendering is the photo
 * shown and embedded, and the RAW is not decoded twice over. */
static void crawl_pair_raw(LibraryCrawl *crawl)
{
    g_autoptr(GHashTable) jpegs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < crawl->files->len; i++) {
        LibraryCrawlFile *file = g_ptr_array_index(crawl->files, i);
        if (is_jpeg_name(file->path))
            g_hash_table_insert(jpegs, pair_key(file->path), file->path);
    }
    crawl->companions = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    GPtrArray *kept = g_ptr_array_new_full(crawl->files->len, (GDestroyNotify)crawl_file_free);
    for (guint i = 0; i < crawl->files->len; i++) {
        LibraryCrawlFile *file = g_ptr_array_index(crawl->files, i);
        g_autofree char *key = library_is_raw_name(file->path) ? pair_key(file->path) : NULL;
        const char *jpeg = key != NULL ? g_hash_table_lookup(jpegs, key) : NULL;
        if (jpeg != NULL) {
            g_hash_table_insert(crawl->companions, g_strdup(jpeg), g_strdup(file->path));
            crawl_file_free(file);
        } else {
            g_ptr_array_add(kept, file);
        }
    }
    g_ptr_array_set_free_func(crawl->files, NULL);
    g_ptr_array_unref(crawl->files);
    crawl->files = kept;
}

LibraryCrawl *library_crawl(const char *const *roots, GCancellable *cancellable)
{
    LibraryCrawl *crawl = g_new0(LibraryCrawl, 1);
    crawl->roots = g_ptr_array_new_with_free_func((GDestroyNotify)crawl_root_free);
    crawl->files = g_ptr_array_new_with_free_func((GDestroyNotify)crawl_file_free);
    crawl->problems = g_ptr_array_new_with_free_func((GDestroyNotify)crawl_problem_free);
    for (guint i = 0; roots[i] != NULL; i++) {
        LibraryCrawlRoot *root = g_new0(LibraryCrawlRoot, 1);
        root->path = g_strdup(roots[i]);
        g_ptr_array_add(crawl->roots, root);
    }

    Crawler crawler = {
        .crawl = crawl,
        .cancellable = cancellable,
        .excluded = own_folders_new(),
        .seen_files = file_key_set_new(),
        .visited_dirs = file_key_set_new(),
        .stack = g_ptr_array_new_with_free_func(g_free),
    };
    for (guint i = 0; i < crawl->roots->len && !crawl->cancelled; i++)
        crawl_root(&crawler, i);
    g_hash_table_unref(crawler.excluded);
    g_hash_table_unref(crawler.seen_files);
    g_hash_table_unref(crawler.visited_dirs);
    g_ptr_array_unref(crawler.stack);
    crawl_pair_raw(crawl);

    crawl->complete = !crawl->cancelled && crawl->problems->len == 0;
    for (guint i = 0; i < crawl->roots->len; i++)
        crawl->complete &= ((LibraryCrawlRoot *)g_ptr_array_index(crawl->roots, i))->present;
    return crawl;
}

/* path is `ancestor` or below it. */
static gboolean path_is_within(const char *path, const char *ancestor)
{
    size_t n = strlen(ancestor);
    return strncmp(path, ancestor, n) == 0 && (path[n] == '\0' || path[n] == G_DIR_SEPARATOR ||
                                               (n > 0 && ancestor[n - 1] == G_DIR_SEPARATOR));
}

gboolean library_crawl_may_remove(const LibraryCrawl *crawl, guint root_index, const char *path)
{
    if (crawl->cancelled || root_index >= crawl->roots->len)
        return FALSE;
    const LibraryCrawlRoot *root = g_ptr_array_index(crawl->roots, root_index);
    if (!root->present || root->n_photos == 0)
        return FALSE;
    for (guint i = 0; i < crawl->problems->len; i++) {
        const LibraryCrawlProblem *problem = g_ptr_array_index(crawl->problems, i);
        if (path_is_within(path, problem->path))
            return FALSE;
    }
    return TRUE;
}

/* Reads exactly `size` bytes at `offset`; FALSE with errno on failure. */
static gboolean read_fully(int fd, guint8 *buffer, size_t size, off_t offset)
{
    while (size > 0) {
        ssize_t n = pread(fd, buffer, size, offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO; /* the file shrank under us */
            return FALSE;
        }
        buffer += n, size -= (size_t)n, offset += n;
    }
    return TRUE;
}

/* Hashes the file's size, head and tail; FALSE with errno. */
static gboolean fingerprint_fd(int fd, GChecksum *checksum)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return FALSE;
    guint64 size = GUINT64_TO_LE((guint64)st.st_size);
    g_checksum_update(checksum, (const guchar *)&size, sizeof size);

    g_autofree guint8 *buffer = g_malloc(LIBRARY_FINGERPRINT_CHUNK);
    off_t head = MIN(st.st_size, (off_t)LIBRARY_FINGERPRINT_CHUNK);
    off_t tail_start = MAX(head, st.st_size - (off_t)LIBRARY_FINGERPRINT_CHUNK);
    off_t spans[2][2] = {{0, head}, {tail_start, st.st_size}};
    for (int s = 0; s < 2; s++) {
        size_t length = (size_t)(spans[s][1] - spans[s][0]);
        if (!read_fully(fd, buffer, length, spans[s][0]))
            return FALSE;
        g_checksum_update(checksum, buffer, length);
    }
    return TRUE;
}

char *library_fingerprint_file(const char *path, GError **error)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
    if (fd < 0 || !fingerprint_fd(fd, checksum)) {
        int errsv = errno;
        if (fd >= 0)
            close(fd);
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errsv), "%s: %s", path,
                    g_strerror(errsv));
        return NULL;
    }
    close(fd);
    return g_strdup(g_checksum_get_string(checksum));
}
