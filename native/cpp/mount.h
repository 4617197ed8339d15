// Loop-mounting a squashfs bundle read-only or an ext4 data volume read-write, and unmounting them.
#ifndef SKIFF_MOUNT_H
#define SKIFF_MOUNT_H

#include "failure.h"

namespace skiff {

// Attaches file to a free loop device (read-only, autoclear) and mounts it as squashfs
// ro,nosuid,nodev at target. On success the loop device is freed when target is unmounted.
// legacy_loop skips LOOP_CONFIGURE for the pre-5.8 interface (what older kernels get; for tests).
int mount_bundle(const char* file, const char* target, Failure* f, bool legacy_loop = false);

// Attaches file to a free loop device (read-write, direct I/O, autoclear) and mounts it as ext4 rw,nosuid,nodev
// at target. On success the loop device is freed when target is unmounted.
int mount_volume(const char* file, const char* target, Failure* f);

// Makes a loop device (e.g. /dev/loop3) take up the new size of its grown backing file.
int refresh_loop_capacity(const char* device, Failure* f);

// umount2(target), with MNT_DETACH when lazy; never follows a symlink at target.
int unmount_target(const char* target, bool lazy, Failure* f);

}  // namespace skiff

#endif
