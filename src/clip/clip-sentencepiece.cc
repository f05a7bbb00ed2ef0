// clip-sentencepiece.cc: the C API of clip-sentencepiece.h over libsentencepiece's C++ one.
#include "clip/clip-sentencepiece.h"

#include <sentencepiece_processor.h>

#include <string>
#include <vector>

struct _ClipSentencepiece {
    sentencepiece::SentencePieceProcessor processor;
    size_t max_piece_bytes;
};

ClipSentencepiece *clip_sentencepiece_new(const void *data, size_t size, char **message)
{
    auto *sp = new ClipSentencepiece();
    auto status = sp->processor.LoadFromSerializedProto(
        std::string_view(static_cast<const char *>(data), size));
    if (!status.ok()) {
        *message = g_strdup(status.ToString().c_str());
        delete sp;
        return nullptr;
    }
    sp->max_piece_bytes = 0;
    for (int id = 0; id < sp->processor.GetPieceSize(); id++)
        sp->max_piece_bytes = MAX(sp->max_piece_bytes, sp->processor.IdToPiece(id).size());
    return sp;
}

void clip_sentencepiece_free(ClipSentencepiece *sp)
{
    delete sp;
}

void clip_sentencepiece_encode(const ClipSentencepiece *sp, const char *text, size_t length,
                               GArray *ids)
{
    std::vector<int> encoded;
    // A loaded model encodes any string; the status only reports an unloaded one.
    auto status = sp->processor.Encode(std::string_view(text, length), &encoded);
    g_assert(status.ok());
    for (int id : encoded) {
        int32_t id32 = id;
        g_array_append_val(ids, id32);
    }
}

uint32_t clip_sentencepiece_n_pieces(const ClipSentencepiece *sp)
{
    return static_cast<uint32_t>(sp->processor.GetPieceSize());
}

int32_t clip_sentencepiece_piece_id(const ClipSentencepiece *sp, const char *piece)
{
    // PieceToId answers the unknown piece's id for a piece it lacks.
    int id = sp->processor.PieceToId(piece);
    return sp->processor.IdToPiece(id) == piece ? id : -1;
}

const char *clip_sentencepiece_piece(const ClipSentencepiece *sp, int32_t id)
{
    return sp->processor.IdToPiece(id).c_str();
}

size_t clip_sentencepiece_max_piece_bytes(const ClipSentencepiece *sp)
{
    return sp->max_piece_bytes;
}
