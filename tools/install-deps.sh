#!/bin/sh
# Installs Spyglass's build and test dependencies from Debian 12's packages.
# Idempotent: only missing packages are installed. libgtk-4-media-gstreamer is GTK's
# media backend: the app plays videos with it (without it, a still frame and the reason).
set -eu

PACKAGES="
build-essential pkg-config meson ninja-build
libglib2.0-dev libjson-glib-dev
libvulkan-dev glslang-tools mesa-vulkan-drivers vulkan-validationlayers vulkan-tools
libseccomp-dev
clang-14 libclang-rt-14-dev
libsqlite3-dev libexif-dev libheif-dev libjpeg62-turbo-dev libpng-dev libwebp-dev
libgdk-pixbuf-2.0-dev libsoup-3.0-dev libraw-dev
libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-plugins-base
gstreamer1.0-plugins-good gstreamer1.0-libav gstreamer1.0-tools
libopenblas-pthread-dev libdnnl-dev
libsentencepiece-dev
libgtk-4-dev libadwaita-1-dev libgtk-4-media-gstreamer
xvfb xauth dbus-daemon desktop-file-utils appstream gettext libglib2.0-bin
python3-numpy python3-pil
"

missing=""
for pkg in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $pkg"
    fi
done

if [ -n "$missing" ]; then
    echo "Installing:$missing" >&2
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
