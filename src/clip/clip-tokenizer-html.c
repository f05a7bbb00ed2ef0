/* clip-tokenizer-html.c: Python's html.unescape() on UCS-4 text, the first
 * step of CLIP's text cleaning (clip-tokenizer.c), which runs it twice. */
#include "clip/clip-tokenizer-html.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void append_char(GArray *text, gunichar c)
{
    g_array_append_val(text, c);
}

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
GArray *clip_tokenizer_html_unescape(const gunichar *text, size_t n)
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
