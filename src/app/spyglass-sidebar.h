/* spyglass-sidebar.h: the library's sidebar: All Photos, auto-albums, saved searches and
 * folders; it keeps which one the grid lists. */
#pragma once

#include "spyglass-engine.h"

#include <adwaita.h>

G_BEGIN_DECLS

/* What a sidebar row opens. */
typedef enum {
    SPYGLASS_SIDEBAR_NONE, /* a row that is no sidebar entry */
    SPYGLASS_SIDEBAR_ALL_PHOTOS,
    SPYGLASS_SIDEBAR_ALBUM,       /* an auto-album */
    SPYGLASS_SIDEBAR_SMART_ALBUM, /* a saved search */
    SPYGLASS_SIDEBAR_FOLDER,
} SpyglassSidebarKind;

#define SPYGLASS_TYPE_SIDEBAR (spyglass_sidebar_get_type())
G_DECLARE_FINAL_TYPE(SpyglassSidebar, spyglass_sidebar, SPYGLASS, SIDEBAR, AdwBin)

/* The engine the sidebar lists; its calls stop when cancellable fires (the window's, when it
 * closes: the sidebar's calls hold the sidebar, not the window). */
void spyglass_sidebar_set_engine(SpyglassSidebar *sidebar, SpyglassEngine *engine,
                                 GCancellable *cancellable);
/* Lists the folders, saved searches and albums again. "folders-listed" hands the folders
 * (LibraryFolder*) on; "busy" is TRUE while the albums are sorted out. */
void spyglass_sidebar_reload(SpyglassSidebar *sidebar);
/* TRUE while the albums are listed, which can take a while (the prompts are encoded). */
gboolean spyglass_sidebar_get_busy(SpyglassSidebar *sidebar);

/* What the user chose ("source-changed" says when): the kind, with the folder's id, the
 * album's id, the name of the album or saved search, and the saved search's id. */
SpyglassSidebarKind spyglass_sidebar_get_kind(SpyglassSidebar *sidebar);
gint64 spyglass_sidebar_get_folder_id(SpyglassSidebar *sidebar);
const char *spyglass_sidebar_get_album_id(SpyglassSidebar *sidebar);
const char *spyglass_sidebar_get_name(SpyglassSidebar *sidebar);
gint64 spyglass_sidebar_get_smart_album_id(SpyglassSidebar *sidebar);
/* Back to All Photos, without "source-changed": the caller lists them. */
void spyglass_sidebar_choose_all_photos(SpyglassSidebar *sidebar);
/* The library's saved searches (LibrarySmartAlbum*) as last listed, or NULL. */
GPtrArray *spyglass_sidebar_get_smart_albums(SpyglassSidebar *sidebar);

/* The rows, for tests and accessibility tools. */
GtkListBox *spyglass_sidebar_get_list(SpyglassSidebar *sidebar);
SpyglassSidebarKind spyglass_sidebar_row_kind(GtkListBoxRow *row);

G_END_DECLS
