/* search-album-names.h: every auto-album name of the bundled taxonomies (data/albums).
 *
 * Generated into search-album-names.c by tools/gen-album-names.py so that the
 * names reach the translations: a name's translation is
 * g_dpgettext2(GETTEXT_PACKAGE, SEARCH_ALBUM_NAME_CONTEXT, name). A taxonomy a
 * model ships itself may hold names outside this list: they stay English.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SEARCH_ALBUM_NAME_CONTEXT "album name"

/* NULL-terminated, in the taxonomy files' order, each name once. */
extern const char *const search_album_names[];

G_END_DECLS
