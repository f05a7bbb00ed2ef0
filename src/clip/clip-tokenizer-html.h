/* clip-tokenizer-html.h: Python's html.unescape() on UCS-4 text (private to
 * src/clip). */
#pragma once

#include <glib.h>

/* Numeric and named character references in text[0..n) replaced as
 * Python's html.unescape() does; a new array of gunichar. */
GArray *clip_tokenizer_html_unescape(const gunichar *text, size_t n);
