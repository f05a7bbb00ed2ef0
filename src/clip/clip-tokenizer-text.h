/* clip-tokenizer-text.h: Python's and Rust's whitespace and lower case on UCS-4 text (private to
 * src/clip). */
#pragma once

#include <glib.h>
#include <stddef.h>

G_BEGIN_DECLS

/* The White_Space property: `\s` in the `regex` module CLIP splits with. */
gboolean clip_text_is_regex_space(gunichar c);

/* Python's str.isspace(): `\s` of the `re` module and what str.strip() drops. */
gboolean clip_text_is_python_space(gunichar c);

typedef gboolean (*ClipTextSpaceFunc)(gunichar c);

/* Valid UTF-8 to a GArray of gunichar. */
GArray *clip_text_to_ucs4(const char *text);

/* str.strip(), in place. */
void clip_text_strip_python_space(GArray *text);

/* re.sub(r'\s+', ' ', text), in place, `\s` being `is_space`. */
void clip_text_collapse_space(GArray *text, ClipTextSpaceFunc is_space);

/* str.lower(): the full mapping with the final-sigma rule, locale-independent. */
GArray *clip_text_python_lower(const gunichar *text, size_t n);

/* Each character lower-cased on its own (Rust's char::to_lowercase()). */
GArray *clip_text_lower_each_char(const gunichar *text, size_t n);

G_END_DECLS
