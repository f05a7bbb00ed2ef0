/* bench-timeline.c: how the timeline keeps up on a big library: the time from the process's
 * start to the first frame that shows the timeline, then the scrubber dragged from top to
 * bottom one step a frame, with the main loop's longest stall, the frame intervals and the main
 * thread's CPU time a step, then a jump to a year. tools/bench-timeline.py makes the library and
 * runs it under Xvfb.
 *
 * $SPYGLASS_DB: the library. $BENCH_START_US (optional): CLOCK_MONOTONIC microseconds at
 * which the driver started this process (else main()'s start). argv[1] (optional): scrubber
 * steps (default 600). Prints one JSON object. */
#include "spyglass-application.h"
#include "spyglass-window.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The probe that sees the main loop stall: a high-priority timeout this often. */
#define PROBE_MS 2

/* The main thread's CPU time, µs: a stall it spent computing is the app's; one it spent
 * waiting for a CPU is the machine's load. */
static gint64 thread_cpu_us(void)
{
    struct timespec now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return (gint64)now.tv_sec * G_USEC_PER_SEC + now.tv_nsec / 1000;
}

typedef struct {
    gint64 last_probe, max_stall;   /* µs */
    gint64 last_cpu, max_stall_cpu; /* the main thread's CPU time in the longest stall */
    guint stalls_over_50ms;
    GArray *frames; /* gint64 µs of each paint while measuring */
    gboolean measuring;
} Probe;

static Probe probe;

static gboolean probe_tick(gpointer data)
{
    gint64 now = g_get_monotonic_time(), cpu = thread_cpu_us();
    gint64 stall = now - probe.last_probe - PROBE_MS * 1000;
    if (probe.measuring && probe.last_probe > 0) {
        if (stall > probe.max_stall) {
            probe.max_stall = stall;
            probe.max_stall_cpu = cpu - probe.last_cpu;
        }
        probe.stalls_over_50ms += stall > 50000;
    }
    probe.last_probe = now;
    probe.last_cpu = cpu;
    return G_SOURCE_CONTINUE;
}

static void painted(GdkFrameClock *clock, gpointer data)
{
    if (probe.measuring) {
        gint64 now = g_get_monotonic_time();
        g_array_append_val(probe.frames, now);
    }
}

static void run_until(gboolean (*done)(SpyglassWindow *), SpyglassWindow *window, double seconds)
{
    gint64 end = g_get_monotonic_time() + (gint64)(seconds * G_USEC_PER_SEC);
    while (!done(window) && g_get_monotonic_time() < end)
        g_main_context_iteration(NULL, TRUE);
    if (!done(window)) {
        fprintf(stderr, "bench-timeline: gave up waiting after %.0f s\n", seconds);
        exit(1);
    }
}

static void run_for(double seconds)
{
    gint64 end = g_get_monotonic_time() + (gint64)(seconds * G_USEC_PER_SEC);
    /* The probe wakes the loop every few milliseconds. */
    while (g_get_monotonic_time() < end)
        g_main_context_iteration(NULL, TRUE);
}

static gboolean timeline_shown(SpyglassWindow *window)
{
    SpyglassTimelineView *view = spyglass_window_get_timeline_view(window);
    return gtk_widget_get_mapped(GTK_WIDGET(view)) &&
           g_list_model_get_n_items(G_LIST_MODEL(spyglass_timeline_view_get_model(view))) > 0;
}

static gboolean is_idle(SpyglassWindow *window)
{
    return !spyglass_window_get_busy(window);
}

static gint64 first_paint;

static void first_painted(GdkFrameClock *clock, SpyglassWindow *window)
{
    if (first_paint == 0 && timeline_shown(window))
        first_paint = g_get_monotonic_time();
}

static gboolean painted_timeline(SpyglassWindow *window)
{
    return first_paint != 0;
}

static int compare_int64(gconstpointer a, gconstpointer b)
{
    gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
    return x < y ? -1 : x > y;
}

/* The scrubber moves one step each frame, as a drag does. */
typedef struct {
    GtkRange *scrubber;
    guint step, steps;
} Drag;

static gboolean drag_step(GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
    Drag *drag = data;
    drag->step++;
    gtk_range_set_value(drag->scrubber, (double)drag->step / drag->steps);
    return drag->step < drag->steps ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static Drag *current_drag;

static gboolean drag_done(SpyglassWindow *window)
{
    return current_drag->step >= current_drag->steps;
}

static long peak_rss_kib(void)
{
    g_autofree char *status = NULL;
    if (!g_file_get_contents("/proc/self/status", &status, NULL, NULL))
        return -1;
    const char *line = strstr(status, "VmHWM:");
    return line != NULL ? strtol(line + 6, NULL, 10) : -1;
}

int main(int argc, char **argv)
{
    gint64 start = g_get_monotonic_time();
    const char *given = g_getenv("BENCH_START_US");
    if (given != NULL)
        start = g_ascii_strtoll(given, NULL, 10);
    guint steps = argc > 1 ? (guint)atoi(argv[1]) : 600;
    probe.frames = g_array_new(FALSE, FALSE, sizeof(gint64));

    gtk_init();
    adw_init();
    /* The library as it is: no walk of its folders at start. */
    g_autoptr(GSettings) settings = g_settings_new("io.github.spyglass.Spyglass");
    g_settings_set_boolean(settings, "index-on-start", FALSE);
    g_autoptr(SpyglassApplication) app = spyglass_application_new();
    g_application_set_flags(G_APPLICATION(app), G_APPLICATION_NON_UNIQUE);
    if (!g_application_register(G_APPLICATION(app), NULL, NULL))
        return 1;
    g_application_activate(G_APPLICATION(app));
    SpyglassWindow *window =
        SPYGLASS_WINDOW(gtk_application_get_active_window(GTK_APPLICATION(app)));
    gtk_window_set_default_size(GTK_WINDOW(window), 1280, 900);
    gtk_widget_realize(GTK_WIDGET(window));
    GdkFrameClock *clock = gtk_widget_get_frame_clock(GTK_WIDGET(window));
    g_signal_connect(clock, "after-paint", G_CALLBACK(first_painted), window);
    g_signal_connect(clock, "after-paint", G_CALLBACK(painted), NULL);
    g_timeout_add_full(G_PRIORITY_HIGH, PROBE_MS, probe_tick, NULL, NULL);

    run_until(painted_timeline, window, 120);
    double first_frame = (first_paint - start) / 1e6;
    /* The model and the embeddings load after the timeline shows: the drag starts once they
     * have, so that it measures the timeline alone. */
    run_until(is_idle, window, 300);
    double idle = (g_get_monotonic_time() - start) / 1e6;
    SpyglassTimelineView *view = spyglass_window_get_timeline_view(window);
    SpyglassTimelineModel *model = spyglass_timeline_view_get_model(view);
    run_for(2.0); /* the first screen's thumbnails */

    /* Top to bottom with the scrubber. */
    Drag drag = {spyglass_timeline_view_get_scrubber(view), 0, steps};
    current_drag = &drag;
    probe.measuring = TRUE;
    gint64 drag_start = g_get_monotonic_time(), drag_start_cpu = thread_cpu_us();
    gtk_widget_add_tick_callback(GTK_WIDGET(view), drag_step, &drag, NULL);
    run_until(drag_done, window, 600);
    double drag_seconds = (g_get_monotonic_time() - drag_start) / 1e6;
    /* The main thread's CPU time a step, however loaded the machine. */
    double drag_cpu_ms = (thread_cpu_us() - drag_start_cpu) / 1e3 / steps;
    run_for(0.5);
    probe.measuring = FALSE;
    g_autofree char *bottom = g_strdup(spyglass_timeline_view_get_current_header(view));

    g_autoptr(GArray) intervals = g_array_new(FALSE, FALSE, sizeof(gint64));
    for (guint i = 1; i < probe.frames->len; i++) {
        gint64 gap =
            g_array_index(probe.frames, gint64, i) - g_array_index(probe.frames, gint64, i - 1);
        g_array_append_val(intervals, gap);
    }
    g_array_sort(intervals, compare_int64);
    guint n = intervals->len;
    gint64 median = n > 0 ? g_array_index(intervals, gint64, n / 2) : 0;
    gint64 p99 = n > 0 ? g_array_index(intervals, gint64, MIN(n - 1, n * 99 / 100)) : 0;
    gint64 worst = n > 0 ? g_array_index(intervals, gint64, n - 1) : 0;
    gint64 stall = probe.max_stall, stall_cpu = probe.max_stall_cpu;
    guint long_stalls = probe.stalls_over_50ms;

    /* A jump to the oldest photos' year. */
    int year = 0;
    guint n_groups = spyglass_timeline_model_get_n_groups(model);
    g_autoptr(GDateTime) oldest =
        g_date_time_new_from_unix_utc(spyglass_timeline_model_get_group_date(model, n_groups - 1));
    year = g_date_time_get_year(oldest);
    probe.measuring = TRUE;
    probe.max_stall = 0;
    spyglass_timeline_view_jump_to_year(view, year);
    run_for(1.0);
    probe.measuring = FALSE;

    printf("{\"photos\": %u, \"groups\": %u, \"rows\": %u, \"columns\": %u,"
           " \"first_frame_s\": %.3f, \"open_s\": %.3f, \"drag_steps\": %u, \"drag_s\": %.2f, "
           "\"frames\": %u,"
           " \"frame_median_ms\": %.1f, \"frame_p99_ms\": %.1f, \"frame_max_ms\": %.1f,"
           " \"max_stall_ms\": %.1f, \"max_stall_cpu_ms\": %.1f, \"stalls_over_50ms\": %u,"
           " \"drag_cpu_per_step_ms\": %.1f,"
           " \"jump_year\": %d, \"jump_max_stall_ms\": %.1f,"
           " \"bottom_header\": \"%s\", \"after_jump_header\": \"%s\", \"peak_rss_mib\": %.0f}\n",
           spyglass_timeline_model_get_n_photos(model), n_groups,
           g_list_model_get_n_items(G_LIST_MODEL(model)),
           spyglass_timeline_model_get_columns(model), first_frame, idle, steps, drag_seconds,
           n + 1, median / 1e3, p99 / 1e3, worst / 1e3, stall / 1e3, stall_cpu / 1e3, long_stalls,
           drag_cpu_ms, year, probe.max_stall / 1e3, bottom,
           spyglass_timeline_view_get_current_header(view), peak_rss_kib() / 1024.0);
    gtk_window_destroy(GTK_WINDOW(window));
    return 0;
}
