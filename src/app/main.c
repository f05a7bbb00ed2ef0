/* main.c: the Spyglass application's entry point. */
#include "spyglass-application.h"
#include "spyglass-config.h"

#include <glib/gi18n.h>
#include <locale.h>

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    bindtextdomain(GETTEXT_PACKAGE, SPYGLASS_LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    textdomain(GETTEXT_PACKAGE);
    g_autoptr(SpyglassApplication) app = spyglass_application_new();
    return g_application_run(G_APPLICATION(app), argc, argv);
}
