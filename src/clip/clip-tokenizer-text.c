/* clip-tokenizer-text.c: Python's and Rust's definitions of whitespace and lower case, for the
 * tokenizers.
 *
 * The reference tokenizers are Python (OpenAI's simple_tokenizer.py,
 * transformers' SiglipTokenizer) or Rust (the `tokenizers` crate), and the
 * ids depend on their exact notions of whitespace and case, which differ
 * from GLib's. Text is UCS-4 here because those definitions work on code
 * points (the final-sigma context).
 */
#include "clip/clip-tokenizer-text.h"

static void append_char(GArray *text, gunichar c)
{
    g_array_append_val(text, c);
}

/* The White_Space property: `\s` in the `regex` module CLIP splits with. */
gboolean clip_text_is_regex_space(gunichar c)
{
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000;
}

/* Python's str.isspace(), which str.strip() uses, also counts the
 * information separators; g_unichar_isspace() misses \v and U+0085. */
gboolean clip_text_is_python_space(gunichar c)
{
    return clip_text_is_regex_space(c) || (c >= 0x1C && c <= 0x1F);
}

/* Roman numerals and enclosed Latin letters have case without being
 * letters, which GLib's case functions ignore and Python does not. */
static gboolean is_cased_non_letter(gunichar c)
{
    return (c >= 0x2160 && c <= 0x217F) || (c >= 0x24B6 && c <= 0x24E9) ||
           (c >= 0x1F130 && c <= 0x1F149) || (c >= 0x1F150 && c <= 0x1F169) ||
           (c >= 0x1F170 && c <= 0x1F189);
}

/* Python's str.lower() for one character other than İ and Σ: GLib's
 * mapping plus Ⅰ..Ⅿ → ⅰ..ⅿ and Ⓐ..Ⓩ → ⓐ..ⓩ. */
static gunichar python_lower_char(gunichar c)
{
    if ((c >= 0x2160 && c <= 0x216F) || (c >= 0x24B6 && c <= 0x24CF))
        return c + (c < 0x24B6 ? 0x10 : 0x1A);
    return g_unichar_tolower(c);
}

/* Unicode's Cased property: letters with case, and the few lower-case
 * letters without a mapping (ª, º) that Python also counts. */
static gboolean is_cased(gunichar c)
{
    GUnicodeType type = g_unichar_type(c);
    return type == G_UNICODE_UPPERCASE_LETTER || type == G_UNICODE_LOWERCASE_LETTER ||
           type == G_UNICODE_TITLECASE_LETTER || g_unichar_tolower(c) != c ||
           g_unichar_toupper(c) != c || is_cased_non_letter(c) || c == 0xAA || c == 0xBA;
}

/* Unicode's Case_Ignorable property: marks, format characters, modifiers and
 * the word-internal punctuation (apostrophes, periods, colons). */
static gboolean is_case_ignorable(gunichar c)
{
    switch (g_unichar_type(c)) {
    case G_UNICODE_NON_SPACING_MARK:
    case G_UNICODE_ENCLOSING_MARK:
    case G_UNICODE_FORMAT:
    case G_UNICODE_MODIFIER_LETTER:
    case G_UNICODE_MODIFIER_SYMBOL:
        return TRUE;
    default:
        break;
    }
    static const gunichar word_internal[] = {
        0x0027, 0x002E, 0x003A, 0x00B7, 0x0387, 0x055F, 0x05F4, 0x2018, 0x2019,
        0x2024, 0x2027, 0xFE13, 0xFE52, 0xFE55, 0xFF07, 0xFF0E, 0xFF1A,
    };
    for (size_t i = 0; i < G_N_ELEMENTS(word_internal); i++) {
        if (c == word_internal[i])
            return TRUE;
    }
    return FALSE;
}

/* str.strip(): drops Python whitespace at both ends, in place. */
void clip_text_strip_python_space(GArray *text)
{
    const gunichar *c = (const gunichar *)text->data;
    size_t end = text->len;
    while (end > 0 && clip_text_is_python_space(c[end - 1]))
        end--;
    size_t start = 0;
    while (start < end && clip_text_is_python_space(c[start]))
        start++;
    g_array_set_size(text, end);
    if (start > 0)
        g_array_remove_range(text, 0, start);
}

/* re.sub(r'\s+', ' ', text) with the `regex` module, in place. */
void clip_text_collapse_regex_space(GArray *text)
{
    gunichar *c = (gunichar *)text->data;
    size_t kept = 0;
    gboolean in_space_run = FALSE;
    for (size_t i = 0; i < text->len; i++) {
        gboolean space = clip_text_is_regex_space(c[i]);
        if (!space)
            c[kept++] = c[i];
        else if (!in_space_run)
            c[kept++] = ' ';
        in_space_run = space;
    }
    g_array_set_size(text, kept);
}

/* Python's Final_Sigma rule: Σ ends a word when a cased letter comes before
 * it and none after it, skipping case-ignorable characters both ways.
 * g_utf8_strdown() only looks at the next character. */
static gboolean is_final_sigma(const gunichar *text, size_t n, size_t at)
{
    size_t before = at;
    while (before > 0 && is_case_ignorable(text[before - 1]))
        before--;
    if (before == 0 || !is_cased(text[before - 1]))
        return FALSE;
    size_t after = at + 1;
    while (after < n && is_case_ignorable(text[after]))
        after++;
    return after == n || !is_cased(text[after]);
}

/* str.lower(): the full mapping, locale-independent (g_utf8_strdown() would
 * follow a Turkish or Lithuanian locale). */
GArray *clip_text_python_lower(const gunichar *text, size_t n)
{
    GArray *out = g_array_sized_new(FALSE, FALSE, sizeof(gunichar), n + 8);
    for (size_t i = 0; i < n; i++) {
        if (text[i] == 0x0130) { /* İ: the only one-to-two lower-case mapping */
            append_char(out, 'i');
            append_char(out, 0x0307);
        } else if (text[i] == 0x03A3) {
            append_char(out, is_final_sigma(text, n, i) ? 0x03C2 : 0x03C3);
        } else {
            append_char(out, python_lower_char(text[i]));
        }
    }
    return out;
}

GArray *clip_text_to_ucs4(const char *text)
{
    GArray *out = g_array_new(FALSE, FALSE, sizeof(gunichar));
    for (const char *p = text; *p != '\0'; p = g_utf8_next_char(p))
        append_char(out, g_utf8_get_char(p));
    return out;
}

/* Rust's char::to_lowercase(), which is also what transformers 4.x's
 * do_lower_case does (str.lower() one character at a time): the full
 * mapping (İ → i + U+0307, the only one-to-two mapping) but no context, so
 * Σ is σ even at the end of a word. */
size_t clip_text_lower_char(gunichar c, gunichar lower[2])
{
    if (c == 0x0130) {
        lower[0] = 'i';
        lower[1] = 0x0307;
        return 2;
    }
    lower[0] = python_lower_char(c);
    return 1;
}
