/* search-library-cache.c: a library's search index saved to a file, so that a new process
 * maps it instead of reading, normalising and quantising every embedding again.
 *
 * Layout (little-endian, every section starting on a 64-byte boundary, zero padding):
 *
 *   header   FileHeader (below), then the key's bytes
 *   per index (the photos', then the frames'), N rows of dimension D, Dp = D padded to 32:
 *            ids (N × int64), meta (N × {scale, resid, norm_hat} F32), codes (N × Dp int8),
 *            rows (N × D F32, normalised)
 *   frames   the video of each frame row (int64), its time (F64)
 *
 * The checksum covers every byte after the header: a file that was cut short, overwritten
 * or flipped anywhere is refused (and rebuilt by the caller), never searched. It is a
 * four-lane multiply-xorshift over 64-bit words: each step is a bijection of its lane, so a
 * changed word always changes its lane's state, and it runs at memory speed (CRC-32 of zlib
 * measured several times slower on this size).
 */
#include "search-library-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

G_STATIC_ASSERT(G_BYTE_ORDER == G_LITTLE_ENDIAN);
G_STATIC_ASSERT(sizeof(SearchRowMeta) == 12);

#define CACHE_MAGIC   "SPYGSRCH"
#define CACHE_VERSION 1
#define CACHE_ALIGN   64
/* The writer's buffer: a multiple of CACHE_ALIGN, so that every flush hashes whole words. */
#define WRITE_BUFFER (1 << 20)

typedef struct {
    char magic[8];
    uint32_t version;
    uint32_t dim;
    uint32_t n_photos, n_frames;
    uint32_t key_length;
    uint32_t reserved;
    uint64_t file_size;
    uint64_t checksum;
} FileHeader;

G_STATIC_ASSERT(sizeof(FileHeader) == 48);

/* ---- the checksum ---- */

typedef struct {
    uint64_t lanes[4];
} Checksum;

static void checksum_init(Checksum *sum)
{
    for (int i = 0; i < 4; i++)
        sum->lanes[i] = 0x243f6a8885a308d3ull + (uint64_t)i;
}

/* n words, a multiple of 4. */
static void checksum_words(Checksum *sum, const uint64_t *words, size_t n)
{
    uint64_t a = sum->lanes[0], b = sum->lanes[1], c = sum->lanes[2], d = sum->lanes[3];
    const uint64_t k = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < n; i += 4) {
        a = (a ^ words[i]) * k;
        b = (b ^ words[i + 1]) * k;
        c = (c ^ words[i + 2]) * k;
        d = (d ^ words[i + 3]) * k;
        a ^= a >> 29;
        b ^= b >> 29;
        c ^= c >> 29;
        d ^= d >> 29;
    }
    sum->lanes[0] = a;
    sum->lanes[1] = b;
    sum->lanes[2] = c;
    sum->lanes[3] = d;
}

static uint64_t checksum_finish(const Checksum *sum)
{
    uint64_t h = 0;
    for (int i = 0; i < 4; i++) {
        h = (h ^ sum->lanes[i]) * 0xff51afd7ed558ccdull;
        h ^= h >> 33;
    }
    return h;
}

/* ---- writing ---- */

typedef struct {
    int fd;
    uint8_t *buffer;
    size_t used;
    uint64_t written; /* after the header */
    Checksum sum;
    int failed; /* errno of the first failed write */
} Writer;

static void writer_flush(Writer *w)
{
    g_assert(w->used % (4 * sizeof(uint64_t)) == 0);
    checksum_words(&w->sum, (const uint64_t *)(void *)w->buffer, w->used / sizeof(uint64_t));
    for (size_t done = 0; done < w->used && w->failed == 0;) {
        ssize_t n = write(w->fd, w->buffer + done, w->used - done);
        if (n < 0 && errno != EINTR)
            w->failed = errno;
        else if (n > 0)
            done += (size_t)n;
    }
    w->written += w->used;
    w->used = 0;
}

static void writer_append(Writer *w, const void *data, size_t size)
{
    const uint8_t *bytes = data;
    while (size > 0) {
        size_t n = MIN(size, WRITE_BUFFER - w->used);
        memcpy(w->buffer + w->used, bytes, n);
        w->used += n;
        bytes += n;
        size -= n;
        if (w->used == WRITE_BUFFER)
            writer_flush(w);
    }
}

/* Zeros up to the next CACHE_ALIGN boundary of the payload. */
static void writer_align(Writer *w)
{
    static const uint8_t zeros[CACHE_ALIGN];
    size_t at = (size_t)((w->written + w->used) % CACHE_ALIGN);
    if (at != 0)
        writer_append(w, zeros, CACHE_ALIGN - at);
}

static void writer_section(Writer *w, const void *data, size_t size)
{
    writer_append(w, data, size);
    writer_align(w);
}

static void write_index(Writer *w, const SearchIndex *index)
{
    size_t n = index->n;
    writer_section(w, index->ids, n * sizeof(int64_t));
    writer_section(w, index->meta, n * sizeof(SearchRowMeta));
    writer_section(w, index->codes, n * index->dpad);
    writer_section(w, index->rows, n * index->dim * sizeof(float));
}

static size_t header_size(size_t key_length)
{
    return (sizeof(FileHeader) + key_length + CACHE_ALIGN - 1) / CACHE_ALIGN * CACHE_ALIGN;
}

gboolean search_library_cache_save(SearchLibrary *library, const char *path, const char *key,
                                   GError **error)
{
    g_autofree char *dir = g_path_get_dirname(path);
    if (g_mkdir_with_parents(dir, 0700) != 0) {
        int saved = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "%s: %s", dir,
                    g_strerror(saved));
        return FALSE;
    }
    g_autofree char *temporary = g_strconcat(path, ".XXXXXX", NULL);
    int fd = g_mkstemp_full(temporary, O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) {
        int saved = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "%s: %s", temporary,
                    g_strerror(saved));
        return FALSE;
    }

    size_t key_length = strlen(key), head = header_size(key_length);
    g_autofree uint8_t *header_bytes = g_malloc0(head);
    Writer w = {.fd = fd, .buffer = g_malloc(WRITE_BUFFER)};
    checksum_init(&w.sum);
    if (lseek(fd, (off_t)head, SEEK_SET) < 0)
        w.failed = errno;
    write_index(&w, library->index);
    write_index(&w, library->frames);
    writer_section(&w, library->frame_videos->data, library->frame_videos->len * sizeof(int64_t));
    writer_section(&w, library->frame_times->data, library->frame_times->len * sizeof(double));
    writer_flush(&w);
    g_free(w.buffer);

    FileHeader header = {.version = CACHE_VERSION,
                         .dim = search_index_dim(library->index),
                         .n_photos = library->index->n,
                         .n_frames = library->frames->n,
                         .key_length = (uint32_t)key_length,
                         .file_size = head + w.written,
                         .checksum = checksum_finish(&w.sum)};
    memcpy(header.magic, CACHE_MAGIC, sizeof header.magic);
    memcpy(header_bytes, &header, sizeof header);
    memcpy(header_bytes + sizeof header, key, key_length);
    if (w.failed == 0 && pwrite(fd, header_bytes, head, 0) != (ssize_t)head)
        w.failed = errno != 0 ? errno : EIO;
    if (close(fd) != 0 && w.failed == 0)
        w.failed = errno;
    if (w.failed == 0 && g_rename(temporary, path) != 0)
        w.failed = errno;
    if (w.failed != 0) {
        g_unlink(temporary);
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(w.failed), "%s: %s", path,
                    g_strerror(w.failed));
        return FALSE;
    }
    return TRUE;
}

/* ---- reading ---- */

typedef struct {
    const uint8_t *data;
    uint64_t size, at; /* at: the next section's offset */
} Reader;

/* The next section of size bytes, or NULL when the file is too short. */
static const void *reader_section(Reader *r, uint64_t size)
{
    if (size > r->size - r->at)
        return NULL;
    const void *section = r->data + r->at;
    uint64_t end = r->at + size;
    r->at = (end + CACHE_ALIGN - 1) / CACHE_ALIGN * CACHE_ALIGN;
    r->at = MIN(r->at, r->size);
    return section;
}

/* An index over the next sections, NULL when they do not fit or repeat an id. */
static SearchIndex *read_index(Reader *r, uint32_t dim, uint32_t n, GMappedFile *mapping)
{
    uint64_t dpad = (dim + SEARCH_ROW_ALIGN - 1) / SEARCH_ROW_ALIGN * SEARCH_ROW_ALIGN;
    const int64_t *ids = reader_section(r, (uint64_t)n * sizeof(int64_t));
    const SearchRowMeta *meta = reader_section(r, (uint64_t)n * sizeof(SearchRowMeta));
    const int8_t *codes = reader_section(r, (uint64_t)n * dpad);
    const float *rows = reader_section(r, (uint64_t)n * dim * sizeof(float));
    if (ids == NULL || meta == NULL || codes == NULL || rows == NULL)
        return NULL;
    return search_index_new_mapped(dim, n, ids, meta, codes, rows, mapping);
}

/* G_FILE_ERROR_INVAL: damaged; G_FILE_ERROR_AGAIN: whole but stale. */
static gboolean refuse(GError **error, const char *path, const char *reason)
{
    gboolean stale = strstr(reason, "(stale)") != NULL;
    g_set_error(error, G_FILE_ERROR, stale ? G_FILE_ERROR_AGAIN : G_FILE_ERROR_INVAL, "%s: %s",
                path, reason);
    return FALSE;
}

gboolean search_library_cache_load(SearchLibrary *library, const char *path, const char *key,
                                   guint dim, GError **error)
{
    g_autoptr(GMappedFile) mapping = g_mapped_file_new(path, FALSE, error);
    if (mapping == NULL)
        return FALSE;
    const uint8_t *data = (const uint8_t *)g_mapped_file_get_contents(mapping);
    uint64_t size = g_mapped_file_get_length(mapping);
    FileHeader header;
    size_t key_length = strlen(key);
    if (size < sizeof header)
        return refuse(error, path, "too short for a saved search index");
    memcpy(&header, data, sizeof header);
    if (memcmp(header.magic, CACHE_MAGIC, sizeof header.magic) != 0 ||
        header.version != CACHE_VERSION)
        return refuse(error, path, "not a saved search index of this version");
    if (header.file_size != size)
        return refuse(error, path, "its length is not the one it was written with");
    if (header.dim != dim || header.key_length != key_length || size < sizeof header + key_length ||
        memcmp(data + sizeof header, key, key_length) != 0)
        return refuse(error, path, "saved for another state of the library (stale)");
    size_t head = header_size(key_length);
    if (size < head || (size - head) % (4 * sizeof(uint64_t)) != 0)
        return refuse(error, path, "its length is not a whole number of sections");
    Checksum sum;
    checksum_init(&sum);
    checksum_words(&sum, (const uint64_t *)(const void *)(data + head),
                   (size - head) / sizeof(uint64_t));
    if (checksum_finish(&sum) != header.checksum)
        return refuse(error, path, "checksum mismatch (the file is damaged)");

    Reader r = {data, size, head};
    g_autoptr(SearchIndex) photos = read_index(&r, dim, header.n_photos, mapping);
    g_autoptr(SearchIndex) frames =
        photos != NULL ? read_index(&r, dim, header.n_frames, mapping) : NULL;
    const int64_t *videos = reader_section(&r, (uint64_t)header.n_frames * sizeof(int64_t));
    const double *times = reader_section(&r, (uint64_t)header.n_frames * sizeof(double));
    if (frames == NULL || videos == NULL || times == NULL)
        return refuse(error, path, "its sections do not fit its length or repeat an id");

    search_index_free(library->index);
    library->index = g_steal_pointer(&photos);
    search_index_free(library->frames);
    library->frames = g_steal_pointer(&frames);
    g_array_set_size(library->frame_videos, 0);
    g_array_append_vals(library->frame_videos, videos, header.n_frames);
    g_array_set_size(library->frame_times, 0);
    g_array_append_vals(library->frame_times, times, header.n_frames);
    return TRUE;
}
