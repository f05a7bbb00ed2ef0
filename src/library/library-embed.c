/* library-embed.c: decode → preprocess → encode → L2-normalise, written once. */
#include "library-embed.h"

/* Images per encoder call when embedding files (the indexer batches its own). */
#define FILE_BATCH 8

gboolean library_embed_load_pixels(LibrarySandbox *sandbox, const char *path,
                                   const ClipConfig *config, guint min_side, LibraryPhotoInfo *info,
                                   float *pixels, GError **error)
{
    g_autoptr(ClipRgbImage) image =
        sandbox != NULL ? library_sandbox_decode(sandbox, path, min_side, info, error)
                        : library_decode_photo(path, min_side, info, error);
    if (image == NULL)
        return FALSE;
    clip_preprocess_for_model(image, config, pixels);
    return TRUE;
}

gboolean library_embed_pixels(ClipSession *session, const ClipConfig *config, const float *pixels,
                              guint n, float *out, GError **error)
{
    if (!clip_session_encode_images(session, pixels, n, out, error))
        return FALSE;
    clip_normalize_rows(out, n, config->embed_dim);
    return TRUE;
}

gboolean library_embed_image(ClipSession *session, const ClipConfig *config,
                             const ClipRgbImage *image, float *out, GError **error)
{
    g_autofree float *pixels = g_new(float, (size_t)3 * config->image_size * config->image_size);
    clip_preprocess_for_model(image, config, pixels);
    return library_embed_pixels(session, config, pixels, 1, out, error);
}

gboolean library_embed_files(ClipSession *session, const ClipConfig *config,
                             LibrarySandbox *sandbox, const char *const *paths, guint n,
                             guint min_side, float *out, GError **error)
{
    size_t image_elements = (size_t)3 * config->image_size * config->image_size;
    g_autofree float *pixels = g_new(float, MIN(n, FILE_BATCH) * image_elements);
    for (guint first = 0; first < n; first += FILE_BATCH) {
        guint count = MIN(FILE_BATCH, n - first);
        for (guint i = 0; i < count; i++)
            if (!library_embed_load_pixels(sandbox, paths[first + i], config, min_side, NULL,
                                           pixels + i * image_elements, error))
                return FALSE;
        if (!library_embed_pixels(session, config, pixels, count,
                                  out + (size_t)first * config->embed_dim, error))
            return FALSE;
    }
    return TRUE;
}
