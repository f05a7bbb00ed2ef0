/* cli-library.c: opening the library database for a command. */
#include "cli-library.h"

char *cli_library_path(const CliOptions *options)
{
    return options->db != NULL ? g_strdup(options->db) : library_store_default_path();
}

LibraryStore *cli_library_open(const CliOptions *options, GError **error)
{
    g_autofree char *path = cli_library_path(options);
    return library_store_open(path, error);
}
