// Loop mounts: LOOP_CTL_GET_FREE, LOOP_CONFIGURE (or the older SET_FD + SET_STATUS64), mount(2).
// Bundles are squashfs, read-only; app data volumes are ext4, read-write.
#include "mount.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fd.h"

namespace skiff {
namespace {

// Another process may take the free device between GET_FREE and CONFIGURE; try again this many times.
constexpr int kLoopAttempts = 32;
// Block major number of loop devices, for creating a missing node (/dev without devtmpfs).
constexpr unsigned kLoopMajor = 7;
// Flags of every bundle mount: a bundle is immutable and must never carry setuid files or devices.
constexpr unsigned long kBundleMountFlags = MS_RDONLY | MS_NOSUID | MS_NODEV;
// Flags of every data volume: the app writes it, so a setuid file or device node it leaves stays inert on the host.
constexpr unsigned long kVolumeMountFlags = MS_NOSUID | MS_NODEV;

int open_loop_device(int number, bool read_only, Fd* out) {
  char path[32];
  snprintf(path, sizeof path, "/dev/loop%d", number);
  int mode = read_only ? O_RDONLY : O_RDWR;
  int fd = open(path, mode | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    // Without devtmpfs the node may be missing although the kernel made the device.
    if (mknod(path, S_IFBLK | 0600, makedev(kLoopMajor, number)) < 0 && errno != EEXIST) return -1;
    fd = open(path, mode | O_CLOEXEC);
  }
  if (fd < 0) return -1;
  out->reset(fd);
  return 0;
}

// Binds backing to loop via the old two-call interface (kernels before 5.8).
int attach_legacy(int loop, int backing, const loop_info64& info) {
  if (ioctl(loop, LOOP_SET_FD, backing) < 0) return -1;
  if (ioctl(loop, LOOP_SET_STATUS64, &info) < 0) {
    int saved = errno;
    ioctl(loop, LOOP_CLR_FD, 0);
    errno = saved;
    return -1;
  }
  return 0;
}

// Attaches file to a free loop device (autoclear) and mounts it at target as fstype with flags.
int mount_loop(const char* file, const char* target, const char* fstype, unsigned long flags, unsigned lo_flags,
               Failure* f, bool legacy_loop) {
  bool read_only = (flags & MS_RDONLY) != 0;
  Fd backing(open(file, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC));
  if (backing.get() < 0) return fail(f, read_only ? "open bundle" : "open volume", errno);
  Fd control(open("/dev/loop-control", O_RDWR | O_CLOEXEC));
  if (control.get() < 0) return fail(f, "open /dev/loop-control", errno);

  loop_config config;
  memset(&config, 0, sizeof config);
  config.fd = static_cast<unsigned>(backing.get());
  // Autoclear so unmount frees the device; read-only too for a bundle, so it cannot change under the mount.
  config.info.lo_flags = LO_FLAGS_AUTOCLEAR | (read_only ? LO_FLAGS_READ_ONLY : 0) | lo_flags;
  strncpy(reinterpret_cast<char*>(config.info.lo_file_name), file, LO_NAME_SIZE - 1);
  bool use_configure = !legacy_loop;

  Fd loop;
  for (int attempt = 0;; attempt++) {
    int number = ioctl(control.get(), LOOP_CTL_GET_FREE);
    if (number < 0) return fail(f, "LOOP_CTL_GET_FREE", errno);
    if (open_loop_device(number, read_only, &loop) < 0) return fail(f, "open loop device", errno);
    int rc = -1;
    if (use_configure) {
      rc = ioctl(loop.get(), LOOP_CONFIGURE, &config);
      if (rc < 0 && (errno == EINVAL || errno == ENOTTY)) use_configure = false;  // kernel before 5.8
    }
    if (!use_configure) rc = attach_legacy(loop.get(), backing.get(), config.info);
    if (rc == 0) break;
    if (errno != EBUSY || attempt + 1 >= kLoopAttempts) return fail(f, "attach loop device", errno);
    loop.reset();  // lost the race for this device: ask for another free one
  }

  char device[32];
  snprintf(device, sizeof device, "/proc/self/fd/%d", loop.get());
  char loop_path[64];
  ssize_t n = readlink(device, loop_path, sizeof loop_path - 1);
  if (n < 0) return fail(f, "readlink loop device", errno);
  loop_path[n] = '\0';
  if (mount(loop_path, target, fstype, flags, nullptr) < 0) {
    return fail(f, "mount", errno);  // closing `loop` on return detaches it (autoclear)
  }
  return 0;  // `loop` closes here; the mount holds the device until unmount
}

}  // namespace

int mount_bundle(const char* file, const char* target, Failure* f, bool legacy_loop) {
  return mount_loop(file, target, "squashfs", kBundleMountFlags, 0, f, legacy_loop);
}

int mount_volume(const char* file, const char* target, Failure* f) {
  // Direct I/O: the app's writes are cached once (by ext4), not again in the image's page cache; the
  // kernel falls back to buffered I/O where the host filesystem cannot do it.
  return mount_loop(file, target, "ext4", kVolumeMountFlags, LO_FLAGS_DIRECT_IO, f, false);
}

int refresh_loop_capacity(const char* device, Failure* f) {
  Fd loop(open(device, O_RDONLY | O_CLOEXEC));
  if (loop.get() < 0) return fail(f, "open loop device", errno);
  if (ioctl(loop.get(), LOOP_SET_CAPACITY, 0) < 0) return fail(f, "LOOP_SET_CAPACITY", errno);
  return 0;
}

int unmount_target(const char* target, bool lazy, Failure* f) {
  // UMOUNT_NOFOLLOW: a symlink planted at the mount point must not redirect the unmount.
  int flags = UMOUNT_NOFOLLOW | (lazy ? MNT_DETACH : 0);
  if (umount2(target, flags) < 0) return fail(f, "umount2", errno);
  return 0;
}

}  // namespace skiff
