/* cli-library.h: the library database a command works on (--db, else the default). */
#pragma once

#include "cli.h"

#include "library/library-store.h"

/* --db, else $XDG_DATA_HOME/spyglass/library.db. */
char *cli_library_path(const CliOptions *options);
/* Opens (creating when needed) the library database. */
LibraryStore *cli_library_open(const CliOptions *options, GError **error);
