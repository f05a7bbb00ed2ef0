/* clip-device-choice.h: `auto` picks the device measured fastest for a model.
 *
 * The first time a model runs with `auto` on a machine with a real GPU, a
 * short calibration encodes a few images on that GPU and on `cpu` and times
 * them; the images/s are remembered in $XDG_CACHE_HOME/spyglass/devices.ini
 * per (model id, device, driver version), and `auto` takes the faster one
 * from then on. A new model or a driver update has no entry yet, so it is
 * measured again. Without a real GPU `auto` is `cpu` and nothing is measured:
 * lavapipe never competes (tests let it, with SPYGLASS_CALIBRATE_LAVAPIPE=1).
 * "No GPU" is remembered too, under a stamp of the Vulkan loader's and
 * drivers' files, the device nodes and the variables steering them, so later
 * starts skip the Vulkan probe until one of those changes.
 *
 * Test switch: SPYGLASS_SLOW_DEVICE="NAME:MS" adds MS milliseconds per image
 * to the calibration of every device whose name contains NAME (a fake slow
 * device).
 */
#pragma once

#include "clip/clip-model.h"
#include "gpu/gpu.h"

G_BEGIN_DECLS

/* gpu_device_open(), except that "auto" (also spec NULL with no
 * $SPYGLASS_DEVICE) is decided by the remembered calibration for model,
 * calibrating first when there is none. */
GpuDevice *clip_device_open(const char *spec, const ClipModel *model, GError **error);

/* Fills images_per_second of the devices (gpu_device_list()) measured for
 * model_id, and moves `selected` to the remembered winner. */
void clip_device_choice_annotate(GPtrArray *devices, const char *model_id);

/* The cache file the measurements are kept in. */
char *clip_device_choice_path(void);

G_END_DECLS
