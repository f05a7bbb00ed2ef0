/* clip-tokenizer.c: CLIP's byte-level BPE tokenizer, a port of OpenAI's simple_tokenizer.py.
 *
 * Exactness matters more than elegance here: the text encoder only works on
 * the ids it was trained with, so every step copies the Python reference,
 * including Python's own definitions of whitespace and lower case, which
 * differ from GLib's.
 *
 * Text is handled as UCS-4 from cleaning to splitting because the reference
 * works on Python code points (the HTML entity name limit, the final-sigma
 * context), and only a piece about to be merged goes back to UTF-8 bytes.
 */
#include "clip/clip-tokenizer.h"

#include "clip/clip-model.h"
#include "clip/clip-safetensors.h"
#include "clip/clip-tokenizer-spm.h"
#include "clip/clip-tokenizer-text.h"

#include <json-glib/json-glib.h>
#include <string.h>

#define START_TOKEN "<|startoftext|>"
#define END_TOKEN   "<|endoftext|>"
#define END_OF_WORD "</w>"

/* Python's cache grows forever; an app that tokenizes every search query for
 * weeks should not, so the cache starts over past this many words. */
#define WORD_CACHE_MAX_WORDS 65536

/* ---- Unicode classes, as Python and the `regex` module define them ---- */

static gboolean is_letter(gunichar c)
{
    switch (g_unichar_type(c)) {
    case G_UNICODE_UPPERCASE_LETTER:
    case G_UNICODE_LOWERCASE_LETTER:
    case G_UNICODE_TITLECASE_LETTER:
    case G_UNICODE_MODIFIER_LETTER:
    case G_UNICODE_OTHER_LETTER:
        return TRUE;
    default:
        return FALSE;
    }
}

static gboolean is_number(gunichar c)
{
    switch (g_unichar_type(c)) {
    case G_UNICODE_DECIMAL_NUMBER:
    case G_UNICODE_LETTER_NUMBER:
    case G_UNICODE_OTHER_NUMBER:
        return TRUE;
    default:
        return FALSE;
    }
}

static void append_char(GArray *text, gunichar c)
{
    g_array_append_val(text, c);
}

/* ---- html.unescape() ---- */

typedef struct {
    const char *name;
    gunichar codepoint;
    gboolean legacy; /* also recognised without the ';', as browsers do */
} HtmlEntity;

/* HTML 4's entities plus &apos;, sorted by name (strcmp) for bsearch(). The
 * full HTML 5 list (2,231 names) would add little for captions and queries. */
static const HtmlEntity html_entities[] = {
    {"AElig", 0x00C6, TRUE},    {"AMP", 0x0026, TRUE},      {"Aacute", 0x00C1, TRUE},
    {"Acirc", 0x00C2, TRUE},    {"Agrave", 0x00C0, TRUE},   {"Alpha", 0x0391, FALSE},
    {"Aring", 0x00C5, TRUE},    {"Atilde", 0x00C3, TRUE},   {"Auml", 0x00C4, TRUE},
    {"Beta", 0x0392, FALSE},    {"COPY", 0x00A9, TRUE},     {"Ccedil", 0x00C7, TRUE},
    {"Chi", 0x03A7, FALSE},     {"Dagger", 0x2021, FALSE},  {"Delta", 0x0394, FALSE},
    {"ETH", 0x00D0, TRUE},      {"Eacute", 0x00C9, TRUE},   {"Ecirc", 0x00CA, TRUE},
    {"Egrave", 0x00C8, TRUE},   {"Epsilon", 0x0395, FALSE}, {"Eta", 0x0397, FALSE},
    {"Euml", 0x00CB, TRUE},     {"GT", 0x003E, TRUE},       {"Gamma", 0x0393, FALSE},
    {"Iacute", 0x00CD, TRUE},   {"Icirc", 0x00CE, TRUE},    {"Igrave", 0x00CC, TRUE},
    {"Iota", 0x0399, FALSE},    {"Iuml", 0x00CF, TRUE},     {"Kappa", 0x039A, FALSE},
    {"LT", 0x003C, TRUE},       {"Lambda", 0x039B, FALSE},  {"Mu", 0x039C, FALSE},
    {"Ntilde", 0x00D1, TRUE},   {"Nu", 0x039D, FALSE},      {"OElig", 0x0152, FALSE},
    {"Oacute", 0x00D3, TRUE},   {"Ocirc", 0x00D4, TRUE},    {"Ograve", 0x00D2, TRUE},
    {"Omega", 0x03A9, FALSE},   {"Omicron", 0x039F, FALSE}, {"Oslash", 0x00D8, TRUE},
    {"Otilde", 0x00D5, TRUE},   {"Ouml", 0x00D6, TRUE},     {"Phi", 0x03A6, FALSE},
    {"Pi", 0x03A0, FALSE},      {"Prime", 0x2033, FALSE},   {"Psi", 0x03A8, FALSE},
    {"QUOT", 0x0022, TRUE},     {"REG", 0x00AE, TRUE},      {"Rho", 0x03A1, FALSE},
    {"Scaron", 0x0160, FALSE},  {"Sigma", 0x03A3, FALSE},   {"THORN", 0x00DE, TRUE},
    {"Tau", 0x03A4, FALSE},     {"Theta", 0x0398, FALSE},   {"Uacute", 0x00DA, TRUE},
    {"Ucirc", 0x00DB, TRUE},    {"Ugrave", 0x00D9, TRUE},   {"Upsilon", 0x03A5, FALSE},
    {"Uuml", 0x00DC, TRUE},     {"Xi", 0x039E, FALSE},      {"Yacute", 0x00DD, TRUE},
    {"Yuml", 0x0178, FALSE},    {"Zeta", 0x0396, FALSE},    {"aacute", 0x00E1, TRUE},
    {"acirc", 0x00E2, TRUE},    {"acute", 0x00B4, TRUE},    {"aelig", 0x00E6, TRUE},
    {"agrave", 0x00E0, TRUE},   {"alefsym", 0x2135, FALSE}, {"alpha", 0x03B1, FALSE},
    {"amp", 0x0026, TRUE},      {"and", 0x2227, FALSE},     {"ang", 0x2220, FALSE},
    {"apos", 0x0027, FALSE},    {"aring", 0x00E5, TRUE},    {"asymp", 0x2248, FALSE},
    {"atilde", 0x00E3, TRUE},   {"auml", 0x00E4, TRUE},     {"bdquo", 0x201E, FALSE},
    {"beta", 0x03B2, FALSE},    {"brvbar", 0x00A6, TRUE},   {"bull", 0x2022, FALSE},
    {"cap", 0x2229, FALSE},     {"ccedil", 0x00E7, TRUE},   {"cedil", 0x00B8, TRUE},
    {"cent", 0x00A2, TRUE},     {"chi", 0x03C7, FALSE},     {"circ", 0x02C6, FALSE},
    {"clubs", 0x2663, FALSE},   {"cong", 0x2245, FALSE},    {"copy", 0x00A9, TRUE},
    {"crarr", 0x21B5, FALSE},   {"cup", 0x222A, FALSE},     {"curren", 0x00A4, TRUE},
    {"dArr", 0x21D3, FALSE},    {"dagger", 0x2020, FALSE},  {"darr", 0x2193, FALSE},
    {"deg", 0x00B0, TRUE},      {"delta", 0x03B4, FALSE},   {"diams", 0x2666, FALSE},
    {"divide", 0x00F7, TRUE},   {"eacute", 0x00E9, TRUE},   {"ecirc", 0x00EA, TRUE},
    {"egrave", 0x00E8, TRUE},   {"empty", 0x2205, FALSE},   {"emsp", 0x2003, FALSE},
    {"ensp", 0x2002, FALSE},    {"epsilon", 0x03B5, FALSE}, {"equiv", 0x2261, FALSE},
    {"eta", 0x03B7, FALSE},     {"eth", 0x00F0, TRUE},      {"euml", 0x00EB, TRUE},
    {"euro", 0x20AC, FALSE},    {"exist", 0x2203, FALSE},   {"fnof", 0x0192, FALSE},
    {"forall", 0x2200, FALSE},  {"frac12", 0x00BD, TRUE},   {"frac14", 0x00BC, TRUE},
    {"frac34", 0x00BE, TRUE},   {"frasl", 0x2044, FALSE},   {"gamma", 0x03B3, FALSE},
    {"ge", 0x2265, FALSE},      {"gt", 0x003E, TRUE},       {"hArr", 0x21D4, FALSE},
    {"harr", 0x2194, FALSE},    {"hearts", 0x2665, FALSE},  {"hellip", 0x2026, FALSE},
    {"iacute", 0x00ED, TRUE},   {"icirc", 0x00EE, TRUE},    {"iexcl", 0x00A1, TRUE},
    {"igrave", 0x00EC, TRUE},   {"image", 0x2111, FALSE},   {"infin", 0x221E, FALSE},
    {"int", 0x222B, FALSE},     {"iota", 0x03B9, FALSE},    {"iquest", 0x00BF, TRUE},
    {"isin", 0x2208, FALSE},    {"iuml", 0x00EF, TRUE},     {"kappa", 0x03BA, FALSE},
    {"lArr", 0x21D0, FALSE},    {"lambda", 0x03BB, FALSE},  {"lang", 0x27E8, FALSE},
    {"laquo", 0x00AB, TRUE},    {"larr", 0x2190, FALSE},    {"lceil", 0x2308, FALSE},
    {"ldquo", 0x201C, FALSE},   {"le", 0x2264, FALSE},      {"lfloor", 0x230A, FALSE},
    {"lowast", 0x2217, FALSE},  {"loz", 0x25CA, FALSE},     {"lrm", 0x200E, FALSE},
    {"lsaquo", 0x2039, FALSE},  {"lsquo", 0x2018, FALSE},   {"lt", 0x003C, TRUE},
    {"macr", 0x00AF, TRUE},     {"mdash", 0x2014, FALSE},   {"micro", 0x00B5, TRUE},
    {"middot", 0x00B7, TRUE},   {"minus", 0x2212, FALSE},   {"mu", 0x03BC, FALSE},
    {"nabla", 0x2207, FALSE},   {"nbsp", 0x00A0, TRUE},     {"ndash", 0x2013, FALSE},
    {"ne", 0x2260, FALSE},      {"ni", 0x220B, FALSE},      {"not", 0x00AC, TRUE},
    {"notin", 0x2209, FALSE},   {"nsub", 0x2284, FALSE},    {"ntilde", 0x00F1, TRUE},
    {"nu", 0x03BD, FALSE},      {"oacute", 0x00F3, TRUE},   {"ocirc", 0x00F4, TRUE},
    {"oelig", 0x0153, FALSE},   {"ograve", 0x00F2, TRUE},   {"oline", 0x203E, FALSE},
    {"omega", 0x03C9, FALSE},   {"omicron", 0x03BF, FALSE}, {"oplus", 0x2295, FALSE},
    {"or", 0x2228, FALSE},      {"ordf", 0x00AA, TRUE},     {"ordm", 0x00BA, TRUE},
    {"oslash", 0x00F8, TRUE},   {"otilde", 0x00F5, TRUE},   {"otimes", 0x2297, FALSE},
    {"ouml", 0x00F6, TRUE},     {"para", 0x00B6, TRUE},     {"part", 0x2202, FALSE},
    {"permil", 0x2030, FALSE},  {"perp", 0x22A5, FALSE},    {"phi", 0x03C6, FALSE},
    {"pi", 0x03C0, FALSE},      {"piv", 0x03D6, FALSE},     {"plusmn", 0x00B1, TRUE},
    {"pound", 0x00A3, TRUE},    {"prime", 0x2032, FALSE},   {"prod", 0x220F, FALSE},
    {"prop", 0x221D, FALSE},    {"psi", 0x03C8, FALSE},     {"quot", 0x0022, TRUE},
    {"rArr", 0x21D2, FALSE},    {"radic", 0x221A, FALSE},   {"rang", 0x27E9, FALSE},
    {"raquo", 0x00BB, TRUE},    {"rarr", 0x2192, FALSE},    {"rceil", 0x2309, FALSE},
    {"rdquo", 0x201D, FALSE},   {"real", 0x211C, FALSE},    {"reg", 0x00AE, TRUE},
    {"rfloor", 0x230B, FALSE},  {"rho", 0x03C1, FALSE},     {"rlm", 0x200F, FALSE},
    {"rsaquo", 0x203A, FALSE},  {"rsquo", 0x2019, FALSE},   {"sbquo", 0x201A, FALSE},
    {"scaron", 0x0161, FALSE},  {"sdot", 0x22C5, FALSE},    {"sect", 0x00A7, TRUE},
    {"shy", 0x00AD, TRUE},      {"sigma", 0x03C3, FALSE},   {"sigmaf", 0x03C2, FALSE},
    {"sim", 0x223C, FALSE},     {"spades", 0x2660, FALSE},  {"sub", 0x2282, FALSE},
    {"sube", 0x2286, FALSE},    {"sum", 0x2211, FALSE},     {"sup", 0x2283, FALSE},
    {"sup1", 0x00B9, TRUE},     {"sup2", 0x00B2, TRUE},     {"sup3", 0x00B3, TRUE},
    {"supe", 0x2287, FALSE},    {"szlig", 0x00DF, TRUE},    {"tau", 0x03C4, FALSE},
    {"there4", 0x2234, FALSE},  {"theta", 0x03B8, FALSE},   {"thetasym", 0x03D1, FALSE},
    {"thinsp", 0x2009, FALSE},  {"thorn", 0x00FE, TRUE},    {"tilde", 0x02DC, FALSE},
    {"times", 0x00D7, TRUE},    {"trade", 0x2122, FALSE},   {"uArr", 0x21D1, FALSE},
    {"uacute", 0x00FA, TRUE},   {"uarr", 0x2191, FALSE},    {"ucirc", 0x00FB, TRUE},
    {"ugrave", 0x00F9, TRUE},   {"uml", 0x00A8, TRUE},      {"upsih", 0x03D2, FALSE},
    {"upsilon", 0x03C5, FALSE}, {"uuml", 0x00FC, TRUE},     {"weierp", 0x2118, FALSE},
    {"xi", 0x03BE, FALSE},      {"yacute", 0x00FD, TRUE},   {"yen", 0x00A5, TRUE},
    {"yuml", 0x00FF, TRUE},     {"zeta", 0x03B6, FALSE},    {"zwj", 0x200D, FALSE},
    {"zwnj", 0x200C, FALSE},
};

/* Python maps these numeric references the way browsers read Windows-1252. */
static const gunichar windows_1252_c1[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

/* Longest name html.unescape() reads after '&', in code points. */
#define HTML_NAME_MAX 32

static int compare_entity_name(const void *key, const void *entity)
{
    return strcmp(key, ((const HtmlEntity *)entity)->name);
}

static const HtmlEntity *find_entity(const char *name, gboolean with_semicolon)
{
    const HtmlEntity *entity = bsearch(name, html_entities, G_N_ELEMENTS(html_entities),
                                       sizeof(html_entities[0]), compare_entity_name);
    if (entity == NULL || (!with_semicolon && !entity->legacy))
        return NULL;
    return entity;
}

/* Appends what a numeric reference stands for: Python drops the code points
 * HTML forbids and replaces the impossible ones. */
static void append_numeric_reference(GArray *out, uint64_t value)
{
    if (value == 0x00) {
        append_char(out, 0xFFFD);
    } else if (value == 0x0D) {
        append_char(out, '\r');
    } else if (value >= 0x80 && value <= 0x9F) {
        append_char(out, windows_1252_c1[value - 0x80]);
    } else if ((value >= 0xD800 && value <= 0xDFFF) || value > 0x10FFFF) {
        append_char(out, 0xFFFD);
    } else if ((value >= 0x01 && value <= 0x08) || value == 0x0B ||
               (value >= 0x0E && value <= 0x1F) || value == 0x7F ||
               (value >= 0xFDD0 && value <= 0xFDEF) || (value & 0xFFFE) == 0xFFFE) {
        return;
    } else {
        append_char(out, (gunichar)value);
    }
}

static int digit_value(gunichar c, gboolean hex)
{
    if (c >= '0' && c <= '9')
        return (int)(c - '0');
    if (hex && c >= 'a' && c <= 'f')
        return (int)(c - 'a' + 10);
    if (hex && c >= 'A' && c <= 'F')
        return (int)(c - 'A' + 10);
    return -1;
}

/* "&#123;" or "&#x7B;" (the ';' optional) at text[at] == '&': appends the
 * character and returns the length read, or 0 when there is no number. */
static size_t unescape_numeric(const gunichar *text, size_t n, size_t at, GArray *out)
{
    size_t i = at + 1;
    if (i >= n || text[i] != '#')
        return 0;
    i++;
    gboolean hex =
        i + 1 < n && (text[i] == 'x' || text[i] == 'X') && digit_value(text[i + 1], TRUE) >= 0;
    if (hex)
        i++;
    if (i >= n || digit_value(text[i], hex) < 0)
        return 0;

    /* Saturate: anything past U+10FFFF reads as one invalid code point. */
    uint64_t value = 0;
    for (; i < n && digit_value(text[i], hex) >= 0; i++)
        value = MIN(value * (hex ? 16 : 10) + (uint64_t)digit_value(text[i], hex), 0x110000);
    if (i < n && text[i] == ';')
        i++;
    append_numeric_reference(out, value);
    return i - at;
}

static gboolean is_entity_name_char(gunichar c)
{
    return c != '\t' && c != '\n' && c != '\f' && c != ' ' && c != '<' && c != '&' && c != '#' &&
           c != ';';
}

/* "&name;" at text[at] == '&' with Python's rules: the whole name (';'
 * optional), else the longest legacy name it starts with, the rest kept as
 * text. Returns the length read (0: not a reference at all). */
static size_t unescape_named(const gunichar *text, size_t n, size_t at, GArray *out)
{
    /* Names are ASCII: any other character becomes a byte no name holds. */
    char name[HTML_NAME_MAX + 1];
    size_t length = 0;
    while (length < HTML_NAME_MAX && at + 1 + length < n &&
           is_entity_name_char(text[at + 1 + length])) {
        gunichar c = text[at + 1 + length];
        name[length++] = c < 0x80 ? (char)c : '\x01';
    }
    if (length == 0)
        return 0;
    name[length] = '\0';
    gboolean semicolon = at + 1 + length < n && text[at + 1 + length] == ';';
    size_t read = 1 + length + (semicolon ? 1 : 0);

    const HtmlEntity *entity = find_entity(name, semicolon);
    if (entity != NULL) {
        append_char(out, entity->codepoint);
        return read;
    }
    /* Then the prefixes of what was read, longest first, down to two
     * characters: having no ';', only a legacy name can match. */
    for (size_t prefix = semicolon ? length : length - 1; prefix >= 2; prefix--) {
        char saved = name[prefix];
        name[prefix] = '\0';
        entity = find_entity(name, FALSE);
        name[prefix] = saved;
        if (entity != NULL) {
            append_char(out, entity->codepoint);
            g_array_append_vals(out, text + at + 1 + prefix, read - 1 - prefix);
            return read;
        }
    }
    g_array_append_vals(out, text + at, read);
    return read;
}

/* Python's html.unescape(): numeric and named character references. */
static GArray *html_unescape(const gunichar *text, size_t n)
{
    GArray *out = g_array_sized_new(FALSE, FALSE, sizeof(gunichar), n);
    for (size_t i = 0; i < n;) {
        size_t read = 0;
        if (text[i] == '&') {
            read = unescape_numeric(text, n, i, out);
            if (read == 0)
                read = unescape_named(text, n, i, out);
        }
        if (read == 0) {
            append_char(out, text[i]);
            read = 1;
        }
        i += read;
    }
    return out;
}

/* ---- cleaning ---- */

/* NFC segments end at the first ASCII character after this many characters,
 * or at twice as many before any starter. */
#define NFC_SEGMENT_CHARS 256

/* g_utf8_normalize(NFC) segment by segment: GLib's composition shifts the
 * rest of the buffer at every composed pair, quadratic in the text's
 * length (100,000 "é" took 0.2 s, four times that at twice the length).
 * Segments end before an ASCII character, which never composes with what
 * precedes it, so the result is the same; a run of 2 × NFC_SEGMENT_CHARS
 * without one is cut before a starter outside the Hangul jamo, which
 * differs only where the cut splits a rare starter-starter composition
 * (some Indic vowel signs). */
static char *nfc_in_segments(const char *text)
{
    GString *out = g_string_new(NULL);
    const char *segment = text;
    size_t length = 0;
    for (const char *p = text;; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        gboolean cut =
            c == 0 ||
            (length >= NFC_SEGMENT_CHARS &&
             (c < 0x80 || (length >= 2 * NFC_SEGMENT_CHARS && g_unichar_combining_class(c) == 0 &&
                           (c < 0x1100 || c > 0x11ff))));
        if (cut && p != segment) {
            g_autofree char *composed = g_utf8_normalize(segment, p - segment, G_NORMALIZE_NFC);
            g_string_append(out, composed);
            segment = p;
            length = 0;
        }
        if (c == 0)
            return g_string_free(out, FALSE);
        length++;
    }
}

/* whitespace_clean(basic_clean(text)).lower() with ftfy replaced by NFC. */
static GArray *clean_text_ucs4(const char *text)
{
    g_autofree char *valid = g_utf8_make_valid(text, -1);
    g_autofree char *composed = nfc_in_segments(valid);
    g_autoptr(GArray) decoded = clip_text_to_ucs4(composed);
    g_autoptr(GArray) once = html_unescape((gunichar *)decoded->data, decoded->len);
    g_autoptr(GArray) twice = html_unescape((gunichar *)once->data, once->len);
    clip_text_strip_python_space(twice);
    clip_text_collapse_regex_space(twice);
    clip_text_strip_python_space(twice);
    return clip_text_python_lower((gunichar *)twice->data, twice->len);
}

char *clip_tokenizer_clean_text(const char *text)
{
    g_autoptr(GArray) cleaned = clean_text_ucs4(text);
    return g_ucs4_to_utf8((gunichar *)cleaned->data, cleaned->len, NULL, NULL, NULL);
}

/* ---- the split pattern ----
 * <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
 * with IGNORECASE, tried alternative by alternative at each position as the
 * regex engine does. */

/* IGNORECASE matching of the pattern's ASCII letters: 'ſ' (U+017F) folds to 's'. */
static gboolean matches_ignoring_case(gunichar c, char literal)
{
    return c == (gunichar)literal || c == (gunichar)g_ascii_toupper(literal) ||
           (literal == 's' && c == 0x017F);
}

static size_t match_literal(const gunichar *text, size_t n, size_t at, const char *literal)
{
    size_t length = strlen(literal);
    if (n - at < length)
        return 0;
    for (size_t i = 0; i < length; i++) {
        if (!matches_ignoring_case(text[at + i], literal[i]))
            return 0;
    }
    return length;
}

/* What the pattern's classes make of a character once lower-cased. */
typedef enum {
    PIECE_LETTER,    /* [\p{L}] */
    PIECE_NUMBER,    /* [\p{N}] */
    PIECE_SPACE,     /* \s: separates pieces */
    PIECE_OTHER,     /* [^\s\p{L}\p{N}] */
    PIECE_UNMATCHED, /* in no class: dropped like a space */
} PieceClass;

static PieceClass classify_for_pieces(gunichar c)
{
    /* With IGNORECASE the `regex` module tests a character's case variants
     * too: U+0345 (a mark that case-folds to ι) then falls in neither
     * [\p{L}] nor its negation, and the reference drops it. */
    if (c == 0x0345)
        return PIECE_UNMATCHED;
    if (is_letter(c))
        return PIECE_LETTER;
    if (is_number(c))
        return PIECE_NUMBER;
    if (clip_text_is_regex_space(c))
        return PIECE_SPACE;
    return PIECE_OTHER;
}

/* Length of the piece starting at text[at], or 0 when no alternative
 * matches there (whitespace, U+0345): the reference skips the character. */
static size_t match_piece(const gunichar *text, size_t n, size_t at)
{
    static const char *const literals[] = {
        START_TOKEN, END_TOKEN, "'s", "'t", "'re", "'ve", "'m", "'ll", "'d",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(literals); i++) {
        size_t length = match_literal(text, n, at, literals[i]);
        if (length > 0)
            return length;
    }
    PieceClass piece_class = classify_for_pieces(text[at]);
    switch (piece_class) {
    case PIECE_NUMBER:
        return 1;
    case PIECE_LETTER:
    case PIECE_OTHER: {
        size_t end = at + 1;
        while (end < n && classify_for_pieces(text[end]) == piece_class)
            end++;
        return end - at;
    }
    case PIECE_SPACE:
    case PIECE_UNMATCHED:
    default:
        return 0;
    }
}

/* ---- merges ---- */

/* A merge rule keyed by the ids of its two symbols: open addressing on the
 * packed pair, so applying merges costs no string work. */
typedef struct {
    uint64_t pair; /* EMPTY_PAIR when the slot is free */
    int32_t rank;
    int32_t merged_id;
} MergeSlot;

#define EMPTY_PAIR UINT64_MAX

typedef struct {
    MergeSlot *slots;
    size_t mask; /* slot count − 1, a power of two */
} MergeTable;

static uint64_t pack_pair(int32_t left, int32_t right)
{
    return ((uint64_t)(uint32_t)left << 32) | (uint32_t)right;
}

static size_t pair_slot(const MergeTable *table, uint64_t pair)
{
    /* Fibonacci hashing spreads the consecutive ids of common symbols. */
    return (size_t)((pair * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & table->mask;
}

static void merge_table_init(MergeTable *table, size_t expected)
{
    size_t slots = 16;
    while (slots < expected * 2)
        slots *= 2;
    table->slots = g_new(MergeSlot, slots);
    table->mask = slots - 1;
    for (size_t i = 0; i < slots; i++)
        table->slots[i].pair = EMPTY_PAIR;
}

static MergeSlot *merge_table_find(const MergeTable *table, uint64_t pair)
{
    for (size_t i = pair_slot(table, pair);; i = (i + 1) & table->mask) {
        MergeSlot *slot = &table->slots[i];
        if (slot->pair == pair || slot->pair == EMPTY_PAIR)
            return slot;
    }
}

/* A repeated rule takes the later rank, as Python's dict(zip(merges, ranks)) does. */
static void merge_table_insert(MergeTable *table, uint64_t pair, int32_t rank, int32_t merged_id)
{
    MergeSlot *slot = merge_table_find(table, pair);
    *slot = (MergeSlot){.pair = pair, .rank = rank, .merged_id = merged_id};
}

static const MergeSlot *merge_table_lookup(const MergeTable *table, int32_t left, int32_t right)
{
    const MergeSlot *slot = merge_table_find(table, pack_pair(left, right));
    return slot->pair == EMPTY_PAIR ? NULL : slot;
}

/* ---- the tokenizer ---- */

typedef struct {
    size_t n_ids;
    int32_t ids[];
} WordIds;

struct _ClipTokenizer {
    ClipTokenizerStyle style;
    ClipSpmTokenizer *spm; /* the SentencePiece styles; the rest is CLIP's */

    int32_t byte_ids[256];     /* a byte's bytes_to_unicode() character */
    int32_t byte_end_ids[256]; /* the same character + </w>: a word's last symbol */
    MergeTable merges;
    int32_t start_id;
    int32_t end_id;
    uint32_t vocab_size;

    GMutex cache_lock;
    GHashTable *word_cache; /* piece bytes → WordIds */
};

/* CLIP's bytes_to_unicode(): printable Latin-1 bytes stand for themselves,
 * the others for U+0100 onwards in byte order, so every byte has a visible,
 * non-space character in vocab.json. */
static gboolean is_printable_byte(unsigned byte)
{
    return (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || byte >= 0xAE;
}

static gunichar byte_to_unicode(unsigned byte)
{
    if (is_printable_byte(byte))
        return byte;
    gunichar hidden_before = 0;
    for (unsigned b = 0; b < byte; b++) {
        if (!is_printable_byte(b))
            hidden_before++;
    }
    return 0x100 + hidden_before;
}

typedef struct {
    const char *path;
    JsonParser *parser;
    GHashTable *ids; /* token (owned by the parser) → GINT_TO_POINTER(id) */
} Vocab;

static void vocab_clear(Vocab *vocab)
{
    g_clear_pointer(&vocab->ids, g_hash_table_unref);
    g_clear_object(&vocab->parser);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Vocab, vocab_clear)

static gboolean vocab_lookup(const Vocab *vocab, const char *token, int32_t *id)
{
    gpointer value;
    if (!g_hash_table_lookup_extended(vocab->ids, token, NULL, &value))
        return FALSE;
    *id = GPOINTER_TO_INT(value);
    return TRUE;
}

static gboolean read_file(const char *path, char **contents, size_t *length, GError **error)
{
    g_autoptr(GError) local_error = NULL;
    if (!g_file_get_contents(path, contents, length, &local_error)) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_IO, "%s", local_error->message);
        return FALSE;
    }
    return TRUE;
}

static gboolean vocab_add_member(Vocab *vocab, const char *token, JsonNode *node,
                                 uint32_t *vocab_size, GError **error)
{
    if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED,
                    "%s: the id of token “%s” is not an integer", vocab->path, token);
        return FALSE;
    }
    gint64 id = json_node_get_int(node);
    if (id < 0 || id >= G_MAXINT32) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED,
                    "%s: the id of token “%s” is out of range: %" G_GINT64_FORMAT, vocab->path,
                    token, id);
        return FALSE;
    }
    g_hash_table_insert(vocab->ids, (gpointer)token, GINT_TO_POINTER((int32_t)id));
    *vocab_size = MAX(*vocab_size, (uint32_t)id + 1);
    return TRUE;
}

/* vocab.json: one JSON object, token → integer id. */
static gboolean vocab_load(Vocab *vocab, const char *path, uint32_t *vocab_size, GError **error)
{
    g_autofree char *contents = NULL;
    size_t length = 0;
    if (!read_file(path, &contents, &length, error))
        return FALSE;

    if (!clip_json_check_text(path, contents, length, error))
        return FALSE;
    g_autoptr(GError) local_error = NULL;
    vocab->path = path;
    vocab->parser = json_parser_new();
    if (!json_parser_load_from_data(vocab->parser, contents, (gssize)length, &local_error)) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: not valid JSON: %s", path,
                    local_error->message);
        return FALSE;
    }
    JsonNode *root = json_parser_get_root(vocab->parser);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED,
                    "%s: expected a JSON object mapping tokens to ids", path);
        return FALSE;
    }

    vocab->ids = g_hash_table_new(g_str_hash, g_str_equal);
    *vocab_size = 0;
    JsonObjectIter iter;
    const char *token;
    JsonNode *node;
    json_object_iter_init(&iter, json_node_get_object(root));
    while (json_object_iter_next(&iter, &token, &node)) {
        if (!vocab_add_member(vocab, token, node, vocab_size, error))
            return FALSE;
    }
    return TRUE;
}

static gboolean lookup_required_token(const Vocab *vocab, const char *token, int32_t *id,
                                      GError **error)
{
    if (vocab_lookup(vocab, token, id))
        return TRUE;
    g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: no “%s” token", vocab->path, token);
    return FALSE;
}

/* Every byte must have its symbol, alone and ending a word, or some text
 * would have no ids. */
static gboolean lookup_byte_tokens(ClipTokenizer *self, const Vocab *vocab, GError **error)
{
    for (unsigned byte = 0; byte < 256; byte++) {
        char token[8 + sizeof(END_OF_WORD)];
        int length = g_unichar_to_utf8(byte_to_unicode(byte), token);
        token[length] = '\0';
        if (!lookup_required_token(vocab, token, &self->byte_ids[byte], error))
            return FALSE;
        memcpy(token + length, END_OF_WORD, sizeof(END_OF_WORD));
        if (!lookup_required_token(vocab, token, &self->byte_end_ids[byte], error))
            return FALSE;
    }
    return TRUE;
}

/* One "left right" line of merges.txt into the table with its rank. */
static gboolean add_merge_line(ClipTokenizer *self, const Vocab *vocab, const char *path,
                               size_t line_number, const char *line, int32_t rank, GString *scratch,
                               GError **error)
{
    const char *space = strchr(line, ' ');
    if (space == NULL || space == line || space[1] == '\0' || strchr(space + 1, ' ') != NULL) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED,
                    "%s:%zu: expected two symbols separated by one space, got “%s”", path,
                    line_number, line);
        return FALSE;
    }

    g_string_assign(scratch, line);
    g_string_truncate(scratch, (gsize)(space - line));
    const char *right = space + 1;
    int32_t left_id, right_id, merged_id;
    const char *missing = NULL;
    if (!vocab_lookup(vocab, scratch->str, &left_id))
        missing = "the first symbol";
    else if (!vocab_lookup(vocab, right, &right_id))
        missing = "the second symbol";
    g_string_append(scratch, right);
    if (missing == NULL && !vocab_lookup(vocab, scratch->str, &merged_id))
        missing = "the merged symbol";
    if (missing != NULL) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s:%zu: %s of “%s” is not in %s",
                    path, line_number, missing, line, vocab->path);
        return FALSE;
    }
    merge_table_insert(&self->merges, pack_pair(left_id, right_id), rank, merged_id);
    return TRUE;
}

/* merges.txt: one rule a line, highest priority first, after an optional
 * "#version" header (OpenAI's and Hugging Face's files have one). */
static gboolean load_merges(ClipTokenizer *self, const Vocab *vocab, const char *path,
                            GError **error)
{
    g_autofree char *contents = NULL;
    size_t length = 0;
    if (!read_file(path, &contents, &length, error))
        return FALSE;
    if (!g_utf8_validate(contents, (gssize)length, NULL)) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: not UTF-8 text", path);
        return FALSE;
    }

    size_t n_lines = 1;
    for (const char *c = contents; *c != '\0'; c++)
        n_lines += *c == '\n';
    merge_table_init(&self->merges, n_lines);

    g_autoptr(GString) scratch = g_string_new(NULL);
    int32_t rank = 0;
    char *next = contents;
    for (size_t line_number = 1; next != NULL; line_number++) {
        char *line = next;
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        size_t line_length = strlen(line);
        if (line_length > 0 && line[line_length - 1] == '\r')
            line[line_length - 1] = '\0';
        if (line[0] == '\0' || (line_number == 1 && g_str_has_prefix(line, "#version")))
            continue;
        if (!add_merge_line(self, vocab, path, line_number, line, rank, scratch, error))
            return FALSE;
        rank++;
    }
    return TRUE;
}

static void word_ids_free(gpointer word_ids)
{
    g_free(word_ids);
}

ClipTokenizer *clip_tokenizer_new(const char *vocab_json_path, const char *merges_txt_path,
                                  GError **error)
{
    g_return_val_if_fail(vocab_json_path != NULL && merges_txt_path != NULL, NULL);

    g_auto(Vocab) vocab = {0};
    g_autoptr(ClipTokenizer) self = g_new0(ClipTokenizer, 1);
    g_mutex_init(&self->cache_lock);
    self->word_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, word_ids_free);

    if (!vocab_load(&vocab, vocab_json_path, &self->vocab_size, error) ||
        !lookup_required_token(&vocab, START_TOKEN, &self->start_id, error) ||
        !lookup_required_token(&vocab, END_TOKEN, &self->end_id, error) ||
        !lookup_byte_tokens(self, &vocab, error) ||
        !load_merges(self, &vocab, merges_txt_path, error))
        return NULL;
    return g_steal_pointer(&self);
}

gboolean clip_tokenizer_detect(const char *model_dir, ClipTokenizerParams *params, GError **error)
{
    g_return_val_if_fail(model_dir != NULL && params != NULL, FALSE);
    return clip_spm_tokenizer_detect(model_dir, params, error);
}

ClipTokenizer *clip_tokenizer_new_with_params(const char *model_dir,
                                              const ClipTokenizerParams *params, GError **error)
{
    g_return_val_if_fail(model_dir != NULL && params != NULL, NULL);

    if (params->style == CLIP_TOKENIZER_STYLE_CLIP) {
        g_autofree char *vocab_path = g_build_filename(model_dir, "vocab.json", NULL);
        g_autofree char *merges_path = g_build_filename(model_dir, "merges.txt", NULL);
        return clip_tokenizer_new(vocab_path, merges_path, error);
    }
    ClipSpmTokenizer *spm = clip_spm_tokenizer_new(model_dir, params, error);
    if (spm == NULL)
        return NULL;
    ClipTokenizer *self = g_new0(ClipTokenizer, 1);
    g_mutex_init(&self->cache_lock);
    self->style = params->style;
    self->spm = spm;
    self->start_id = -1;
    self->end_id = clip_spm_tokenizer_end_id(spm);
    self->vocab_size = clip_spm_tokenizer_vocab_size(spm);
    return self;
}

ClipTokenizer *clip_tokenizer_new_from_dir(const char *model_dir, GError **error)
{
    ClipTokenizerParams params;
    if (!clip_tokenizer_detect(model_dir, &params, error))
        return NULL;
    return clip_tokenizer_new_with_params(model_dir, &params, error);
}

void clip_tokenizer_free(ClipTokenizer *tokenizer)
{
    if (tokenizer == NULL)
        return;
    clip_spm_tokenizer_free(tokenizer->spm);
    g_clear_pointer(&tokenizer->word_cache, g_hash_table_unref);
    g_mutex_clear(&tokenizer->cache_lock);
    g_free(tokenizer->merges.slots);
    g_free(tokenizer);
}

/* ---- encoding ---- */

/* simple_tokenizer's bpe(): start from one symbol a byte, the last marked
 * </w> when word_end, then merge every occurrence of the lowest-ranked
 * adjacent pair, left to right, until no pair has a rule. Quadratic in n:
 * see BPE_MAX_WORD_BYTES. */
static WordIds *bpe_word(const ClipTokenizer *self, const guint8 *bytes, size_t n,
                         gboolean word_end)
{
    WordIds *word = g_malloc(sizeof(WordIds) + n * sizeof(int32_t));
    int32_t *symbols = word->ids;
    for (size_t i = 0; i < n; i++)
        symbols[i] =
            i + 1 < n || !word_end ? self->byte_ids[bytes[i]] : self->byte_end_ids[bytes[i]];

    size_t length = n;
    while (length > 1) {
        const MergeSlot *best = NULL;
        for (size_t i = 0; i + 1 < length; i++) {
            const MergeSlot *rule = merge_table_lookup(&self->merges, symbols[i], symbols[i + 1]);
            if (rule != NULL && (best == NULL || rule->rank < best->rank))
                best = rule;
        }
        if (best == NULL)
            break;

        int32_t left = (int32_t)(best->pair >> 32), right = (int32_t)(uint32_t)best->pair;
        size_t kept = 0;
        for (size_t i = 0; i < length; kept++) {
            if (i + 1 < length && symbols[i] == left && symbols[i + 1] == right) {
                symbols[kept] = best->merged_id;
                i += 2;
            } else {
                symbols[kept] = symbols[i++];
            }
        }
        length = kept;
    }
    word->n_ids = length;
    return word;
}

/* A piece longer than this is no word but a hostile or broken query (a
 * 100,000-letter "word" took 3.8 s): it is merged in runs of this many
 * bytes, which bounds the work at O(n × BPE_MAX_WORD_BYTES) and stops once
 * `limit` ids are there. The reference merges the whole piece; ids differ
 * from its only for pieces this long, far beyond a 77-token context. */
#define BPE_MAX_WORD_BYTES 512

static void append_long_piece_ids(const ClipTokenizer *self, const char *piece, size_t n_bytes,
                                  GArray *ids, size_t limit)
{
    for (size_t at = 0; at < n_bytes && (limit == 0 || ids->len < limit);
         at += BPE_MAX_WORD_BYTES) {
        size_t n = MIN(BPE_MAX_WORD_BYTES, n_bytes - at);
        g_autofree WordIds *run = bpe_word(self, (const guint8 *)piece + at, n, at + n == n_bytes);
        g_array_append_vals(ids, run->ids, run->n_ids);
    }
}

/* Appends the ids of one piece of the split text, from the cache when seen
 * before; a very long piece stops once ids holds `limit` (0: no limit). */
static void append_piece_ids(ClipTokenizer *self, const char *piece, size_t n_bytes, GArray *ids,
                             size_t limit)
{
    /* The reference's cache maps the special tokens to themselves. */
    if (strcmp(piece, START_TOKEN) == 0) {
        g_array_append_val(ids, self->start_id);
        return;
    }
    if (strcmp(piece, END_TOKEN) == 0) {
        g_array_append_val(ids, self->end_id);
        return;
    }

    if (n_bytes > BPE_MAX_WORD_BYTES) {
        append_long_piece_ids(self, piece, n_bytes, ids, limit);
        return;
    }

    g_mutex_lock(&self->cache_lock);
    const WordIds *cached = g_hash_table_lookup(self->word_cache, piece);
    if (cached == NULL) {
        if (g_hash_table_size(self->word_cache) >= WORD_CACHE_MAX_WORDS)
            g_hash_table_remove_all(self->word_cache);
        WordIds *word = bpe_word(self, (const guint8 *)piece, n_bytes, TRUE);
        g_hash_table_insert(self->word_cache, g_strndup(piece, n_bytes), word);
        cached = word;
    }
    g_array_append_vals(ids, cached->ids, cached->n_ids);
    g_mutex_unlock(&self->cache_lock);
}

int32_t *clip_tokenizer_encode(ClipTokenizer *tokenizer, const char *text, uint32_t context_length,
                               size_t *n_ids)
{
    g_return_val_if_fail(tokenizer != NULL && text != NULL && n_ids != NULL, NULL);
    if (tokenizer->spm != NULL)
        return clip_spm_tokenizer_encode(tokenizer->spm, text, context_length, n_ids);

    g_autoptr(GArray) cleaned = clean_text_ucs4(text);
    const gunichar *chars = (const gunichar *)cleaned->data;
    size_t n_chars = cleaned->len;
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(int32_t));
    g_autoptr(GString) piece = g_string_new(NULL);

    g_array_append_val(ids, tokenizer->start_id);
    /* With a context, the pieces after it cannot change the ids kept: stop
     * once there are context_length of them (the end token makes one more). */
    for (size_t at = 0; at < n_chars && (context_length == 0 || ids->len < context_length);) {
        size_t length = match_piece(chars, n_chars, at);
        if (length == 0) {
            at++;
            continue;
        }
        g_string_truncate(piece, 0);
        for (size_t i = at; i < at + length; i++)
            g_string_append_unichar(piece, chars[i]);
        append_piece_ids(tokenizer, piece->str, piece->len, ids, context_length);
        at += length;
    }
    g_array_append_val(ids, tokenizer->end_id);

    if (context_length > 0 && ids->len > context_length) {
        g_array_set_size(ids, context_length);
        g_array_index(ids, int32_t, context_length - 1) = tokenizer->end_id;
    }
    return (int32_t *)g_array_steal(ids, n_ids);
}

ClipTokenizerStyle clip_tokenizer_style(ClipTokenizer *tokenizer)
{
    return tokenizer->style;
}

int32_t clip_tokenizer_start_id(ClipTokenizer *tokenizer)
{
    return tokenizer->start_id;
}

int32_t clip_tokenizer_end_id(ClipTokenizer *tokenizer)
{
    return tokenizer->end_id;
}

int32_t clip_tokenizer_pad_id(ClipTokenizer *tokenizer)
{
    return tokenizer->spm != NULL ? clip_spm_tokenizer_pad_id(tokenizer->spm) : 0;
}

uint32_t clip_tokenizer_vocab_size(ClipTokenizer *tokenizer)
{
    return tokenizer->vocab_size;
}
