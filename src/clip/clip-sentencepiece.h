/* clip-sentencepiece.h: a plain C face on libsentencepiece's C++ SentencePieceProcessor.
 *
 * Only what the SentencePiece tokenizer styles need (clip-tokenizer-spm.c):
 * load a serialized model, encode normalised text to ids, and map between
 * ids and pieces. Encoding is const in libsentencepiece, so one loaded model
 * may serve several threads.
 */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef struct _ClipSentencepiece ClipSentencepiece;

/* Parses the `size` bytes of a model file (spiece.model, tokenizer.model).
 * Returns NULL and sets *message (free with g_free()) when they are not a
 * SentencePiece model; the caller names the file. */
ClipSentencepiece *clip_sentencepiece_new(const void *data, size_t size, char **message);

void clip_sentencepiece_free(ClipSentencepiece *sp);

/* Appends to `ids` (a GArray of int32_t) the ids of `length` bytes of valid
 * UTF-8, normalised and segmented exactly as the model file says (its
 * normaliser, dummy prefix, whitespace handling, byte fallback). */
void clip_sentencepiece_encode(const ClipSentencepiece *sp, const char *text, size_t length,
                               GArray *ids);

/* How many pieces the model has: every id it returns is below it. */
uint32_t clip_sentencepiece_n_pieces(const ClipSentencepiece *sp);

/* The id of `piece`, or -1 when the model has no such piece. */
int32_t clip_sentencepiece_piece_id(const ClipSentencepiece *sp, const char *piece);

/* The piece of an id below n_pieces(), owned by `sp`. */
const char *clip_sentencepiece_piece(const ClipSentencepiece *sp, int32_t id);

/* The longest piece in bytes: bounds how much text one id can stand for. */
size_t clip_sentencepiece_max_piece_bytes(const ClipSentencepiece *sp);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ClipSentencepiece, clip_sentencepiece_free)

G_END_DECLS
