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

/* Valid UTF-8 to a GArray of gunichar. */
GArray *clip_text_to_ucs4(const char *text);

/* str.strip(), in place. */
void clip_text_strip_python_space(GArray *text);

/* re.sub(r'\s+', ' ', text) with the `regex` module, in place. */
void clip_text_collapse_regex_space(GArray *text);

/* str.lower(): the full mapping with the final-sigma rule, locale-independent. */
GArray *clip_text_python_lower(const gunichar *text, size_t n);

/* One character lower-cased on its own (Rust's char::to_lowercase()):
 * writes 1 or 2 characters to `lower`, returns how many. */
size_t clip_text_lower_char(gunichar c, gunichar lower[2]);

G_END_DECLS
