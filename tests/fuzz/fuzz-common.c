/* fuzz-common.c: a scratch folder for harnesses whose parsers read files. */
#include "fuzz-common.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

static char *scratch;

const char *fuzz_dir(void)
{
    if (scratch == NULL) {
        /* /dev/shm when there is one: a file per input costs no disk. */
        const char *base =
            g_file_test("/dev/shm", G_FILE_TEST_IS_DIR) ? "/dev/shm" : g_get_tmp_dir();
        scratch = g_build_filename(base, "spyglass-fuzz-XXXXXX", NULL);
        if (g_mkdtemp(scratch) == NULL)
            abort();
    }
    return scratch;
}

const char *fuzz_write_file(const char *name, const uint8_t *data, size_t size)
{
    static char *path;
    g_free(path);
    path = g_build_filename(fuzz_dir(), name, NULL);
    if (!g_file_set_contents(path, (const char *)data, (gssize)size, NULL))
        abort();
    return path;
}

char *fuzz_string(const uint8_t *data, size_t size)
{
    char *text = g_malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    return text;
}
