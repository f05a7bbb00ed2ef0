/* gpu-vulkan-memory.c: the Vulkan backend's buffers and the device memory
 * under them.
 *
 * Every tensor is a VkBuffer of its own (texel views and binding windows
 * stay per tensor), but its memory is a range of a large block shared with
 * other tensors: a model's ~200 weight tensors and its activations take a
 * few allocations of BLOCK_SIZE instead of one each. Drivers limit the
 * number of allocations (maxMemoryAllocationCount is 4096 on some), and an
 * allocation costs far more than a buffer. Tensors over half a block get a
 * block of their own, as do host-visible buffers (the staging buffer):
 * host-visible memory may be scarce (a 256 MiB PCIe window) and must not
 * hold a large block for one buffer. A block is freed when its last
 * tensor is. */
#include "gpu-vulkan-private.h"

#include <string.h>

#define BLOCK_SIZE ((VkDeviceSize)256 << 20)
/* Ranges are multiples of this, and start on it. */
#define GRANULE ((VkDeviceSize)256)

typedef struct {
    VkDeviceSize offset, size;
} Range;

struct _GpuVkBlock {
    VkDeviceMemory memory;
    VkDeviceSize size, used;
    uint32_t type;
    gboolean dedicated;
    void *mapped; /* the whole block, when host-visible and coherent */
    GArray *free; /* Range, sorted by offset, neighbours merged */
};

static VkDeviceSize align_up(VkDeviceSize value, VkDeviceSize alignment)
{
    return (value + alignment - 1) / alignment * alignment;
}

static gboolean find_memory_type(GpuVkDevice *vk, uint32_t allowed, VkMemoryPropertyFlags want,
                                 uint32_t *type)
{
    for (uint32_t i = 0; i < vk->memory.memoryTypeCount; i++) {
        if ((allowed & (1u << i)) && (vk->memory.memoryTypes[i].propertyFlags & want) == want) {
            *type = i;
            return TRUE;
        }
    }
    return FALSE;
}

static const VkMemoryPropertyFlags coherent =
    VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;

static void block_free(GpuVkDevice *vk, GpuVkBlock *block)
{
    if (block->mapped != NULL)
        gpu_vkUnmapMemory(vk->device, block->memory);
    if (block->memory != VK_NULL_HANDLE)
        gpu_vkFreeMemory(vk->device, block->memory, NULL);
    if (block->free != NULL)
        g_array_unref(block->free);
    g_free(block);
}

static GpuVkBlock *block_new(GpuVkDevice *vk, VkDeviceSize size, uint32_t type, gboolean dedicated,
                             GError **error)
{
    GpuVkBlock *block = g_new0(GpuVkBlock, 1);
    block->size = size;
    block->type = type;
    block->dedicated = dedicated;
    VkMemoryAllocateInfo alloc = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .allocationSize = size,
        .memoryTypeIndex = type,
    };
    if (!gpu_vk_check(gpu_vkAllocateMemory(vk->device, &alloc, NULL, &block->memory),
                      "allocating device memory", error)) {
        block_free(vk, block);
        return NULL;
    }
    if ((vk->memory.memoryTypes[type].propertyFlags & coherent) == coherent &&
        !gpu_vk_check(
            gpu_vkMapMemory(vk->device, block->memory, 0, VK_WHOLE_SIZE, 0, &block->mapped),
            "vkMapMemory", error)) {
        block_free(vk, block);
        return NULL;
    }
    block->free = g_array_new(FALSE, FALSE, sizeof(Range));
    Range all = {0, size};
    g_array_append_val(block->free, all);
    return block;
}

/* First fit: the start of a free range, aligned, that holds size bytes. */
static gboolean block_take(GpuVkBlock *block, VkDeviceSize size, VkDeviceSize alignment,
                           VkDeviceSize *offset)
{
    for (guint i = 0; i < block->free->len; i++) {
        Range *range = &g_array_index(block->free, Range, i);
        VkDeviceSize start = align_up(range->offset, alignment);
        VkDeviceSize end = range->offset + range->size;
        if (start > end || end - start < size)
            continue;
        Range before = {range->offset, start - range->offset};
        Range after = {start + size, end - start - size};
        g_array_remove_index(block->free, i);
        if (after.size > 0)
            g_array_insert_val(block->free, i, after);
        if (before.size > 0)
            g_array_insert_val(block->free, i, before);
        block->used += size;
        *offset = start;
        return TRUE;
    }
    return FALSE;
}

static void block_give_back(GpuVkBlock *block, VkDeviceSize offset, VkDeviceSize size)
{
    guint i = 0;
    while (i < block->free->len && g_array_index(block->free, Range, i).offset < offset)
        i++;
    Range range = {offset, size};
    g_array_insert_val(block->free, i, range);
    /* Merge with the next range, then with the previous one. */
    Range *ranges = (Range *)(void *)block->free->data;
    if (i + 1 < block->free->len && ranges[i].offset + ranges[i].size == ranges[i + 1].offset) {
        ranges[i].size += ranges[i + 1].size;
        g_array_remove_index(block->free, i + 1);
        ranges = (Range *)(void *)block->free->data;
    }
    if (i > 0 && ranges[i - 1].offset + ranges[i - 1].size == ranges[i].offset) {
        ranges[i - 1].size += ranges[i].size;
        g_array_remove_index(block->free, i);
    }
    block->used -= size;
}

/* The size of a shared block: BLOCK_SIZE, or less where the heap or the
 * driver's largest allocation is small. */
static VkDeviceSize block_size(GpuVkDevice *vk, uint32_t type)
{
    VkDeviceSize heap = vk->memory.memoryHeaps[vk->memory.memoryTypes[type].heapIndex].size;
    VkDeviceSize size = MIN(BLOCK_SIZE, heap / 4);
    if (vk->max_allocation > 0)
        size = MIN(size, vk->max_allocation);
    return MAX(size - size % GRANULE, GRANULE);
}

static gboolean suballocate(GpuVkDevice *vk, const VkMemoryRequirements *requirements,
                            uint32_t type, gboolean dedicated, GpuVkBuffer *buffer, GError **error)
{
    VkDeviceSize alignment = MAX(requirements->alignment, GRANULE);
    VkDeviceSize size = align_up(requirements->size, GRANULE);
    VkDeviceSize shared_size = block_size(vk, type);
    dedicated = dedicated || size > shared_size / 2;

    g_mutex_lock(&vk->memory_lock);
    GpuVkBlock *block = NULL;
    VkDeviceSize offset = 0;
    for (guint i = 0; !dedicated && i < vk->blocks->len; i++) {
        GpuVkBlock *candidate = g_ptr_array_index(vk->blocks, i);
        if (!candidate->dedicated && candidate->type == type &&
            block_take(candidate, size, alignment, &offset)) {
            block = candidate;
            break;
        }
    }
    if (block == NULL) {
        block = block_new(vk, dedicated ? size : shared_size, type, dedicated, error);
        if (block != NULL) {
            g_ptr_array_add(vk->blocks, block);
            block_take(block, size, alignment, &offset);
        }
    }
    g_mutex_unlock(&vk->memory_lock);
    if (block == NULL)
        return FALSE;
    buffer->block = block;
    buffer->offset = offset;
    buffer->span = size;
    if (block->mapped != NULL)
        buffer->mapped = (char *)block->mapped + offset;
    return gpu_vk_check(gpu_vkBindBufferMemory(vk->device, buffer->buffer, block->memory, offset),
                        "vkBindBufferMemory", error);
}

static void release(GpuVkDevice *vk, GpuVkBuffer *buffer)
{
    GpuVkBlock *block = buffer->block;
    g_mutex_lock(&vk->memory_lock);
    block_give_back(block, buffer->offset, buffer->span);
    if (block->used == 0) {
        g_ptr_array_remove_fast(vk->blocks, block);
        block_free(vk, block);
    }
    g_mutex_unlock(&vk->memory_lock);
}

void gpu_vk_buffer_destroy(GpuVkDevice *vk, GpuVkBuffer *buffer)
{
    for (int i = 0; i < GPU_VK_N_TEXEL_FORMATS; i++)
        if (buffer->views[i] != VK_NULL_HANDLE)
            gpu_vkDestroyBufferView(vk->device, buffer->views[i], NULL);
    if (buffer->buffer != VK_NULL_HANDLE)
        gpu_vkDestroyBuffer(vk->device, buffer->buffer, NULL);
    if (buffer->block != NULL)
        release(vk, buffer);
    memset(buffer, 0, sizeof *buffer);
}

gboolean gpu_vk_buffer_create(GpuVkDevice *vk, VkDeviceSize size, gboolean host_visible,
                              GpuVkBuffer *buffer, GError **error)
{
    memset(buffer, 0, sizeof *buffer);
    size = align_up(size, 16);
    VkBufferCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
        .size = size,
        .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT |
                 VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
    };
    if (!gpu_vk_check(gpu_vkCreateBuffer(vk->device, &info, NULL, &buffer->buffer),
                      "vkCreateBuffer", error))
        return FALSE;

    /* host_visible: the staging buffer. Otherwise device-local memory is
     * preferred, mapped directly when it happens to be host-visible too
     * (lavapipe, unified-memory GPUs), which saves the staging copy. */
    VkMemoryRequirements requirements;
    gpu_vkGetBufferMemoryRequirements(vk->device, buffer->buffer, &requirements);
    uint32_t type;
    gboolean found = host_visible
                         ? find_memory_type(vk, requirements.memoryTypeBits, coherent, &type)
                         : find_memory_type(vk, requirements.memoryTypeBits,
                                            VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, &type) ||
                               find_memory_type(vk, requirements.memoryTypeBits, 0, &type);
    if (!found) {
        g_set_error(error, GPU_ERROR, GPU_ERROR_OUT_OF_MEMORY, "no suitable Vulkan memory type");
        gpu_vk_buffer_destroy(vk, buffer);
        return FALSE;
    }
    if (!suballocate(vk, &requirements, type, host_visible, buffer, error)) {
        gpu_vk_buffer_destroy(vk, buffer);
        return FALSE;
    }
    buffer->size = size;
    return TRUE;
}

void gpu_vk_memory_init(GpuVkDevice *vk)
{
    VkPhysicalDeviceMaintenance3Properties maintenance3 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES,
    };
    VkPhysicalDeviceProperties2 properties = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
        .pNext = &maintenance3,
    };
    gpu_vkGetPhysicalDeviceProperties2(vk->physical, &properties);
    vk->max_allocation = maintenance3.maxMemoryAllocationSize;
    vk->blocks = g_ptr_array_new();
    g_mutex_init(&vk->memory_lock);
}

void gpu_vk_memory_release(GpuVkDevice *vk)
{
    if (vk->blocks == NULL)
        return;
    /* Blocks left are those of tensors never freed: the device goes. */
    for (guint i = 0; i < vk->blocks->len; i++)
        block_free(vk, g_ptr_array_index(vk->blocks, i));
    g_clear_pointer(&vk->blocks, g_ptr_array_unref);
    g_mutex_clear(&vk->memory_lock);
}

guint gpu_vk_memory_blocks(GpuVkDevice *vk)
{
    g_mutex_lock(&vk->memory_lock);
    guint n = vk->blocks->len;
    g_mutex_unlock(&vk->memory_lock);
    return n;
}
