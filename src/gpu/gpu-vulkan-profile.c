/* gpu-vulkan-profile.c: per-op GPU time from timestamps written between dispatches.
 *
 * Each dispatch is followed by a full compute barrier, so a timestamp
 * written after that barrier marks the end of the op and the start of the
 * next: n + 1 timestamps time n ops, and their sum is the graph's GPU time. */
#include "gpu-vulkan-private.h"

#include <string.h>

/* Ops timed per graph run; more are run untimed (a CLIP forward pass is a
 * few hundred dispatches). */
#define MAX_TIMED 2047

void gpu_vk_profile_init(GpuVkDevice *vk)
{
    uint32_t count = 0;
    gpu_vkGetPhysicalDeviceQueueFamilyProperties(vk->physical, &count, NULL);
    g_autofree VkQueueFamilyProperties *families = g_new0(VkQueueFamilyProperties, MAX(count, 1));
    gpu_vkGetPhysicalDeviceQueueFamilyProperties(vk->physical, &count, families);
    /* timestampComputeAndGraphics promises timestamps on every compute
     * queue; otherwise the queue family's own bits say. */
    vk->timestamp_bits =
        vk->queue_family < count ? families[vk->queue_family].timestampValidBits : 0;
    vk->timestamp_period = vk->properties.limits.timestampPeriod;
    if (vk->timestamp_period <= 0.0f)
        vk->timestamp_bits = 0;
}

gboolean gpu_vk_profile_start(GpuDevice *device)
{
    GpuVkDevice *vk = gpu_vk_device(device);
    if (vk->timestamp_bits == 0)
        return FALSE;
    g_mutex_lock(&vk->lock);
    vk->profiling = TRUE;
    if (vk->profile == NULL)
        vk->profile = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    g_hash_table_remove_all(vk->profile);
    g_mutex_unlock(&vk->lock);
    return TRUE;
}

static gint by_time(gconstpointer a, gconstpointer b)
{
    double ta = ((const GpuOpTime *)a)->milliseconds, tb = ((const GpuOpTime *)b)->milliseconds;
    return (ta < tb) - (ta > tb);
}

GArray *gpu_vk_profile_stop(GpuDevice *device)
{
    GpuVkDevice *vk = gpu_vk_device(device);
    GArray *times = g_array_new(FALSE, FALSE, sizeof(GpuOpTime));
    g_mutex_lock(&vk->lock);
    vk->profiling = FALSE;
    if (vk->profile != NULL) {
        GHashTableIter iter;
        gpointer value;
        g_hash_table_iter_init(&iter, vk->profile);
        while (g_hash_table_iter_next(&iter, NULL, &value))
            g_array_append_val(times, *(GpuOpTime *)value);
        g_hash_table_remove_all(vk->profile);
    }
    g_mutex_unlock(&vk->lock);
    g_array_sort(times, by_time);
    return times;
}

static gboolean profiling(GpuVkDevice *vk)
{
    g_mutex_lock(&vk->lock);
    gboolean on = vk->profiling;
    g_mutex_unlock(&vk->lock);
    return on;
}

void gpu_vk_profile_before_dispatch(GpuGraph *graph, const char *op)
{
    GpuVkDevice *vk = gpu_vk_device(graph->device);
    GpuVkGraph *vg = graph->impl;
    if (vg->n_timed == 0) {
        if (!profiling(vk))
            return;
        if (vg->queries == VK_NULL_HANDLE) {
            VkQueryPoolCreateInfo info = {
                .sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                .queryType = VK_QUERY_TYPE_TIMESTAMP,
                .queryCount = MAX_TIMED + 1,
            };
            GError *error = NULL;
            if (!gpu_vk_check(gpu_vkCreateQueryPool(vk->device, &info, NULL, &vg->queries),
                              "vkCreateQueryPool", &error)) {
                gpu_graph_fail(graph, error);
                return;
            }
            vg->timed_ops = g_new0(const char *, MAX_TIMED);
        }
        gpu_vkCmdResetQueryPool(vg->cmd, vg->queries, 0, MAX_TIMED + 1);
        gpu_vkCmdWriteTimestamp(vg->cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, vg->queries, 0);
    }
    if (vg->n_timed < MAX_TIMED)
        vg->timed_ops[vg->n_timed] = op;
}

void gpu_vk_profile_after_dispatch(GpuGraph *graph)
{
    GpuVkGraph *vg = graph->impl;
    if (vg->timed_ops == NULL || vg->n_timed >= MAX_TIMED ||
        (vg->n_timed == 0 && vg->timed_ops[0] == NULL))
        return;
    vg->n_timed++;
    gpu_vkCmdWriteTimestamp(vg->cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, vg->queries,
                            vg->n_timed);
}

static void add_times(GpuVkDevice *vk, GpuVkGraph *vg, guint n)
{
    g_autofree uint64_t *ticks = g_new(uint64_t, n + 1);
    VkResult result = gpu_vkGetQueryPoolResults(vk->device, vg->queries, 0, n + 1,
                                                (n + 1) * sizeof(uint64_t), ticks, sizeof(uint64_t),
                                                VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT);
    if (result != VK_SUCCESS)
        return;
    uint64_t mask = vk->timestamp_bits >= 64 ? UINT64_MAX : (UINT64_C(1) << vk->timestamp_bits) - 1;
    g_mutex_lock(&vk->lock);
    for (guint i = 0; i < n && vk->profile != NULL; i++) {
        /* Masked subtraction: correct across one wrap of the counter. */
        uint64_t delta = ((ticks[i + 1] & mask) - (ticks[i] & mask)) & mask;
        GpuOpTime *time = g_hash_table_lookup(vk->profile, vg->timed_ops[i]);
        if (time == NULL) {
            time = g_new0(GpuOpTime, 1);
            time->op = vg->timed_ops[i];
            g_hash_table_insert(vk->profile, (gpointer)time->op, time);
        }
        time->milliseconds += delta * (double)vk->timestamp_period / 1e6;
        time->dispatches++;
    }
    g_mutex_unlock(&vk->lock);
}

void gpu_vk_profile_collect(GpuGraph *graph, gboolean ran)
{
    GpuVkDevice *vk = gpu_vk_device(graph->device);
    GpuVkGraph *vg = graph->impl;
    guint n = vg->n_timed;
    vg->n_timed = 0;
    if (n > 0 && ran)
        add_times(vk, vg, n);
    /* The next recording starts untimed until a dispatch finds profiling on. */
    if (vg->timed_ops != NULL)
        vg->timed_ops[0] = NULL;
}

void gpu_vk_profile_graph_release(GpuGraph *graph)
{
    GpuVkDevice *vk = gpu_vk_device(graph->device);
    GpuVkGraph *vg = graph->impl;
    if (vg->queries != VK_NULL_HANDLE)
        gpu_vkDestroyQueryPool(vk->device, vg->queries, NULL);
    vg->queries = VK_NULL_HANDLE;
    g_clear_pointer(&vg->timed_ops, g_free);
}

void gpu_vk_profile_device_release(GpuVkDevice *vk)
{
    g_clear_pointer(&vk->profile, g_hash_table_unref);
}
