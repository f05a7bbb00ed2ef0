/* library-embed.h: a photo to its L2-normalised image embedding, the one decode → preprocess →
 * encode → normalise chain the indexer, `similar`, `embed-image`, the duplicate calibration and
 * the benchmarks share. */
#pragma once

#include "clip/clip-encoder.h"
#include "clip/clip-image.h"
#include "library/library-decoder.h"
#include "library/library-sandbox.h"

G_BEGIN_DECLS

/* Decodes a file (library_decode_photo: oriented, shorter side at least
 * min_side, 0 for the full size) and preprocesses it for config's encoder;
 * in one of sandbox's confined helpers (library-sandbox.h), or in this
 * process when sandbox is NULL. pixels: (3, S, S), S = config->image_size.
 * info may be NULL. */
gboolean library_embed_load_pixels(LibrarySandbox *sandbox, const char *path,
                                   const ClipConfig *config, guint min_side, LibraryPhotoInfo *info,
                                   float *pixels, GError **error);

/* Encodes n preprocessed images and L2-normalises each embedding.
 * pixels: (n, 3, S, S); out: (n, embed_dim). */
gboolean library_embed_pixels(ClipSession *session, const ClipConfig *config, const float *pixels,
                              guint n, float *out, GError **error);

/* One decoded image to its embedding. out: (embed_dim). */
gboolean library_embed_image(ClipSession *session, const ClipConfig *config,
                             const ClipRgbImage *image, float *out, GError **error);

/* Files to embeddings, in batches, decoded as library_embed_load_pixels()
 * decodes them (sandbox may be NULL); the first file that cannot be read
 * fails the call. out: (n, embed_dim). */
gboolean library_embed_files(ClipSession *session, const ClipConfig *config,
                             LibrarySandbox *sandbox, const char *const *paths, guint n,
                             guint min_side, float *out, GError **error);

G_END_DECLS
