/* gpu-vulkan-loader.h: Vulkan entry points loaded at run time with dlopen().
 *
 * Linking libvulkan directly would make spyglass-cli fail to start on a
 * machine without a loader; loading it lazily turns that into a clear error
 * and leaves the reference device usable. */
#pragma once

#define VK_NO_PROTOTYPES
#include <glib.h>
#include <vulkan/vulkan.h>

#define GPU_VK_GLOBAL_FUNCTIONS(X)                                                                \
    X(vkCreateInstance)                                                                            \
    X(vkEnumerateInstanceLayerProperties)                                                          \
    X(vkEnumerateInstanceExtensionProperties)

#define GPU_VK_INSTANCE_FUNCTIONS(X)                                                              \
    X(vkDestroyInstance)                                                                           \
    X(vkEnumeratePhysicalDevices)                                                                  \
    X(vkGetPhysicalDeviceProperties)                                                               \
    X(vkGetPhysicalDeviceFeatures2)                                                                \
    X(vkGetPhysicalDeviceProperties2)                                                              \
    X(vkGetPhysicalDeviceQueueFamilyProperties)                                                    \
    X(vkGetPhysicalDeviceMemoryProperties)                                                         \
    X(vkEnumerateDeviceExtensionProperties)                                                        \
    X(vkCreateDevice)

#define GPU_VK_DEBUG_FUNCTIONS(X)                                                                 \
    X(vkCreateDebugUtilsMessengerEXT)                                                              \
    X(vkDestroyDebugUtilsMessengerEXT)                                                             \
    X(vkSetDebugUtilsObjectNameEXT)

#define GPU_VK_DEVICE_FUNCTIONS(X)                                                                \
    X(vkDestroyDevice)                                                                             \
    X(vkGetDeviceQueue)                                                                            \
    X(vkCreateBuffer)                                                                              \
    X(vkDestroyBuffer)                                                                             \
    X(vkGetBufferMemoryRequirements)                                                               \
    X(vkAllocateMemory)                                                                            \
    X(vkFreeMemory)                                                                                \
    X(vkBindBufferMemory)                                                                          \
    X(vkCreateBufferView)                                                                          \
    X(vkDestroyBufferView)                                                                         \
    X(vkMapMemory)                                                                                 \
    X(vkUnmapMemory)                                                                               \
    X(vkCreateShaderModule)                                                                        \
    X(vkDestroyShaderModule)                                                                       \
    X(vkCreateDescriptorSetLayout)                                                                 \
    X(vkDestroyDescriptorSetLayout)                                                                \
    X(vkCreatePipelineLayout)                                                                      \
    X(vkDestroyPipelineLayout)                                                                     \
    X(vkCreateComputePipelines)                                                                    \
    X(vkDestroyPipeline)                                                                           \
    X(vkCreateCommandPool)                                                                         \
    X(vkDestroyCommandPool)                                                                        \
    X(vkAllocateCommandBuffers)                                                                    \
    X(vkFreeCommandBuffers)                                                                        \
    X(vkBeginCommandBuffer)                                                                        \
    X(vkEndCommandBuffer)                                                                          \
    X(vkResetCommandBuffer)                                                                        \
    X(vkCmdBindPipeline)                                                                           \
    X(vkCmdPushConstants)                                                                          \
    X(vkCmdPushDescriptorSetKHR)                                                                   \
    X(vkCmdDispatch)                                                                               \
    X(vkCmdPipelineBarrier)                                                                        \
    X(vkCmdCopyBuffer)                                                                             \
    X(vkQueueSubmit)                                                                               \
    X(vkCreateFence)                                                                               \
    X(vkDestroyFence)                                                                              \
    X(vkWaitForFences)                                                                             \
    X(vkResetFences)                                                                               \
    X(vkDeviceWaitIdle)                                                                            \
    X(vkCreateQueryPool)                                                                           \
    X(vkDestroyQueryPool)                                                                          \
    X(vkCmdResetQueryPool)                                                                         \
    X(vkCmdWriteTimestamp)                                                                         \
    X(vkGetQueryPoolResults)

#define GPU_VK_DECLARE(name) extern PFN_##name gpu_##name;
GPU_VK_GLOBAL_FUNCTIONS(GPU_VK_DECLARE)
GPU_VK_INSTANCE_FUNCTIONS(GPU_VK_DECLARE)
GPU_VK_DEBUG_FUNCTIONS(GPU_VK_DECLARE)
GPU_VK_DEVICE_FUNCTIONS(GPU_VK_DECLARE)
#undef GPU_VK_DECLARE

/* Opens the loader once per process. FALSE with an error if there is none. */
gboolean gpu_vk_load_loader(GError **error);
/* Loads instance functions (debug ones only if the extension is enabled). */
gboolean gpu_vk_load_instance(VkInstance instance, gboolean debug_utils, GError **error);
/* Loads device-level functions through the instance. */
gboolean gpu_vk_load_device_functions(VkInstance instance, GError **error);

/* A readable name for a VkResult in error messages. */
const char *gpu_vk_result_to_string(VkResult result);
