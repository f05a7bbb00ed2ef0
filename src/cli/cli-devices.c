/* cli-devices.c: `spyglass-cli devices`: the compute devices and auto's choice. */
#include "cli.h"

#include "gpu/gpu.h"

#include <stdio.h>

static JsonNode *devices_to_json(GPtrArray *devices)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "devices");
    json_builder_begin_array(builder);
    for (guint i = 0; i < devices->len; i++) {
        GpuDeviceInfo *info = g_ptr_array_index(devices, i);
        json_builder_begin_object(builder);
        json_builder_set_member_name(builder, "index");
        json_builder_add_int_value(builder, info->index);
        json_builder_set_member_name(builder, "name");
        json_builder_add_string_value(builder, info->name);
        json_builder_set_member_name(builder, "type");
        json_builder_add_string_value(builder, gpu_device_type_to_string(info->type));
        json_builder_set_member_name(builder, "fp16");
        json_builder_add_boolean_value(builder, info->fp16);
        json_builder_set_member_name(builder, "selected");
        json_builder_add_boolean_value(builder, info->selected);
        json_builder_end_object(builder);
    }
    json_builder_end_array(builder);
    json_builder_end_object(builder);
    return json_builder_get_root(builder);
}

int cli_devices(const CliOptions *options, int argc, char **argv)
{
    if (argc > 1)
        return cli_usage_error("devices takes no arguments");

    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) devices = gpu_device_list(&error);
    if (devices == NULL) {
        /* No Vulkan at all: the reference device still works. */
        if (options->verbosity >= 0)
            fprintf(stderr, "spyglass-cli: %s\n", error->message);
        devices = g_ptr_array_new_with_free_func((GDestroyNotify)gpu_device_info_free);
        GpuDeviceInfo *reference = g_new0(GpuDeviceInfo, 1);
        reference->index = -1;
        reference->name = g_strdup("reference");
        reference->type = GPU_DEVICE_TYPE_REFERENCE;
        reference->fp16 = TRUE;
        reference->selected = TRUE;
        g_ptr_array_add(devices, reference);
    }

    if (options->json) {
        g_autoptr(JsonNode) root = devices_to_json(devices);
        cli_print_json(root);
        return CLI_EXIT_OK;
    }
    for (guint i = 0; i < devices->len; i++) {
        GpuDeviceInfo *info = g_ptr_array_index(devices, i);
        g_autofree char *index =
            info->index >= 0 ? g_strdup_printf("%d", info->index) : g_strdup("-");
        printf("%s %-3s %-40s %-10s fp16:%s\n", info->selected ? "*" : " ", index, info->name,
               gpu_device_type_to_string(info->type), info->fp16 ? "yes" : "no");
    }
    return CLI_EXIT_OK;
}
