// Data trees walked by file descriptor: every name is opened with openat2 beneath its parent's fd,
// refusing symlinks and "..", and judged by fstat of what was opened, never by an earlier lstat.
#include "datatree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fd.h"

namespace skiff {
namespace {

// A swapped entry is retried this many times before the delete gives up (the app races unfrozen).
constexpr int kSwapRetries = 100;
// Passes over one folder while the app keeps adding entries; beyond this the delete fails.
constexpr int kRemovePasses = 100000;
// Read/write fallback buffer when neither FICLONE nor copy_file_range applies.
constexpr size_t kCopyBufferBytes = 64 * 1024;

const uint64_t kResolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

int open_beneath(int dirfd, const char* name, int flags) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = static_cast<uint64_t>(flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  how.resolve = kResolve;
  int fd;
  do { fd = static_cast<int>(syscall(SYS_openat2, dirfd, name, &how, sizeof how)); } while (fd < 0 && errno == EINTR);
  return fd;
}

// A root-controlled folder named by path: only its last component could be a link, and is refused.
int open_top(const char* path) {
  return open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

// The names in a folder, read through a duplicate of its fd so the caller keeps its own.
int list_names(int dirfd, std::vector<std::string>* names) {
  int dup_fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return -1;
  DIR* dir = fdopendir(dup_fd);
  if (!dir) { int e = errno; close(dup_fd); errno = e; return -1; }
  rewinddir(dir);  // the duplicate shares the offset of an fd read before
  names->clear();
  errno = 0;
  while (struct dirent* e = readdir(dir)) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) names->push_back(e->d_name);
    errno = 0;
  }
  int err = errno;
  closedir(dir);
  errno = err;
  return err ? -1 : 0;
}

// The errors of an entry that vanished or changed type between readdir and open: skipped, never followed.
bool raced(int err) {
  return err == ENOENT || err == ELOOP || err == ENOTDIR || err == EXDEV || err == ENXIO || err == EISDIR || err == EAGAIN;
}

class Copier {
 public:
  Copier(const TreeCopy& opts, std::vector<SkippedEntry>* skipped, Failure* f, std::string* where)
      : opts_(opts), skipped_(skipped), f_(f), where_(where) {}

  int copy_dir(int src, int dst, const std::string& rel, int depth) {
    std::vector<std::string> names;
    if (list_names(src, &names) < 0) return failed("readdir", errno, rel);
    for (const std::string& name : names) {
      if (copy_entry(src, dst, name.c_str(), rel.empty() ? name : rel + "/" + name, depth) < 0) return -1;
    }
    return 0;
  }

  // Owner forced to the app, setuid/setgid dropped (fchmod after fchown), times of the source kept.
  int finish(int fd, const struct stat& st, const std::string& rel) {
    if (fchown(fd, opts_.uid, opts_.gid) < 0) return failed("fchown", errno, rel);
    if (fchmod(fd, st.st_mode & 01777) < 0) return failed("fchmod", errno, rel);
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (futimens(fd, times) < 0) return failed("futimens", errno, rel);
    return 0;
  }

  int failed(const char* step, int err, const std::string& rel) {
    *where_ = rel;
    return fail(f_, step, err);
  }

 private:
  void skip(const std::string& rel, const std::string& reason) { skipped_->push_back({rel, reason}); }

  int copy_entry(int src, int dst, const char* name, const std::string& rel, int depth) {
    struct stat hint;
    if (fstatat(src, name, &hint, AT_SYMLINK_NOFOLLOW) < 0) {
      if (raced(errno)) { skip(rel, "vanished while copied"); return 0; }
      return failed("fstatat", errno, rel);
    }
    if (S_ISLNK(hint.st_mode)) return copy_symlink(src, dst, name, hint, rel);
    if (!S_ISDIR(hint.st_mode) && !S_ISREG(hint.st_mode)) { skip(rel, "not a file, folder or symlink"); return 0; }
    // O_NONBLOCK: a fifo swapped in after the lstat opens without waiting for a writer.
    Fd in(open_beneath(src, name, O_RDONLY | O_NONBLOCK | (S_ISDIR(hint.st_mode) ? O_DIRECTORY : 0)));
    if (in.get() < 0) {
      if (raced(errno)) { skip(rel, std::string("changed while copied: ") + strerrorname_np(errno)); return 0; }
      return failed("openat2", errno, rel);
    }
    struct stat st;
    if (fstat(in.get(), &st) < 0) return failed("fstat", errno, rel);
    if (st.st_uid != opts_.uid) { skip(rel, "owned by uid " + std::to_string(st.st_uid) + ", not the app"); return 0; }
    if (S_ISDIR(st.st_mode)) return copy_subdir(in.get(), dst, name, st, rel, depth);
    if (S_ISREG(st.st_mode)) return copy_file(in.get(), dst, name, st, rel);
    skip(rel, "not a file, folder or symlink");
    return 0;
  }

  int copy_subdir(int in, int dst, const char* name, const struct stat& st, const std::string& rel, int depth) {
    if (depth + 1 > opts_.max_depth) { skip(rel, "deeper than " + std::to_string(opts_.max_depth) + " folders"); return 0; }
    if (mkdirat(dst, name, 0700) < 0) return failed("mkdirat", errno, rel);
    Fd out(open_beneath(dst, name, O_RDONLY | O_DIRECTORY));
    if (out.get() < 0) return failed("openat2", errno, rel);
    if (copy_dir(in, out.get(), rel, depth + 1) < 0) return -1;
    return finish(out.get(), st, rel);
  }

  int copy_file(int in, int dst, const char* name, const struct stat& st, const std::string& rel) {
    Fd out(openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (out.get() < 0) return failed("create", errno, rel);
    if (copy_contents(in, out.get(), st.st_size) < 0) return failed("copy", errno, rel);
    return finish(out.get(), st, rel);
  }

  // A reflink where the filesystem shares blocks; else copy_file_range; else read and write.
  // Copies at most the size fstat saw, so a file the app keeps growing cannot hold root forever.
  static int copy_contents(int in, int out, off_t size) {
    if (size > 0 && ioctl(out, FICLONE, in) == 0) return 0;
    off_t left = size;
    while (left > 0) {
      ssize_t n = copy_file_range(in, nullptr, out, nullptr, static_cast<size_t>(left), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) return read_write(in, out, left);
      if (n < 0) return -1;
      if (n == 0) break;  // the app truncated it: what is there is copied
      left -= n;
    }
    return 0;
  }

  static int read_write(int in, int out, off_t left) {
    std::vector<char> buf(kCopyBufferBytes);
    while (left > 0) {
      ssize_t n = read(in, buf.data(), buf.size() < static_cast<size_t>(left) ? buf.size() : static_cast<size_t>(left));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return n < 0 ? -1 : 0;
      for (ssize_t done = 0; done < n;) {
        ssize_t w = write(out, buf.data() + done, static_cast<size_t>(n - done));
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -1;
        done += w;
      }
      left -= n;
    }
    return 0;
  }

  // Recreated as a link owned by the app; its text is data, never resolved by root.
  int copy_symlink(int src, int dst, const char* name, const struct stat& hint, const std::string& rel) {
    if (hint.st_uid != opts_.uid) { skip(rel, "owned by uid " + std::to_string(hint.st_uid) + ", not the app"); return 0; }
    char target[PATH_MAX];
    ssize_t n = readlinkat(src, name, target, sizeof target);
    if (n < 0 && (raced(errno) || errno == EINVAL)) { skip(rel, "changed while copied"); return 0; }
    if (n < 0) return failed("readlinkat", errno, rel);
    if (static_cast<size_t>(n) >= sizeof target) { skip(rel, "symlink text too long"); return 0; }
    target[n] = '\0';
    if (symlinkat(target, dst, name) < 0) return failed("symlinkat", errno, rel);
    if (fchownat(dst, name, opts_.uid, opts_.gid, AT_SYMLINK_NOFOLLOW) < 0) return failed("fchownat", errno, rel);
    struct timespec times[2] = {hint.st_atim, hint.st_mtim};
    if (utimensat(dst, name, times, AT_SYMLINK_NOFOLLOW) < 0) return failed("utimensat", errno, rel);
    return 0;
  }

  const TreeCopy& opts_;
  std::vector<SkippedEntry>* skipped_;
  Failure* f_;
  std::string* where_;
};

class Remover {
 public:
  Remover(int max_depth, Failure* f, std::string* where) : max_depth_(max_depth), f_(f), where_(where) {}

  // Removes name in parent: a folder is emptied then removed; anything else is unlinked as it is.
  int remove_entry(int parent, const char* name, const std::string& rel, int depth, int top) {
    for (int attempt = 0; attempt < kSwapRetries; attempt++) {
      Fd dir(open_beneath(parent, name, O_RDONLY | O_DIRECTORY));
      if (dir.get() < 0) {
        if (errno == ENOENT) return 0;
        if (errno != ENOTDIR && errno != ELOOP && errno != EXDEV) return failed("openat2", errno, rel);
        if (unlinkat(parent, name, 0) == 0 || errno == ENOENT) return 0;
        if (errno == EISDIR) continue;  // swapped back to a folder: open it again
        return failed("unlinkat", errno, rel);
      }
      // The top of the walk is where folders too deep to descend into are moved and deleted from.
      if (empty_dir(dir.get(), rel, depth, top < 0 ? dir.get() : top) < 0) return -1;
      if (unlinkat(parent, name, AT_REMOVEDIR) == 0 || errno == ENOENT) return 0;
      if (errno != ENOTEMPTY && errno != ENOTDIR && errno != EEXIST) return failed("unlinkat", errno, rel);
      // The app added an entry or swapped another entry in under this name: go again.
    }
    return failed("unlinkat", ENOTEMPTY, rel);
  }

 private:
  int empty_dir(int dir, const std::string& rel, int depth, int top) {
    std::vector<std::string> names;
    for (int pass = 0; pass < kRemovePasses; pass++) {
      if (list_names(dir, &names) < 0) return failed("readdir", errno, rel);
      if (names.empty()) return 0;
      for (const std::string& name : names) {
        std::string child = rel.empty() ? name : rel + "/" + name;
        int rc = depth + 1 >= max_depth_ ? move_to_top(dir, name.c_str(), child, top)
                                         : remove_entry(dir, name.c_str(), child, depth + 1, top);
        if (rc < 0) return -1;
      }
    }
    return failed("rmdir", ENOTEMPTY, rel);
  }

  // At the depth limit: files go at once; a folder is renamed into the top folder, so the walk
  // never holds more than max_depth fds and still reaches the bottom of any tree.
  int move_to_top(int dir, const char* name, const std::string& rel, int top) {
    if (unlinkat(dir, name, 0) == 0 || errno == ENOENT) return 0;
    if (errno != EISDIR) return failed("unlinkat", errno, rel);
    while (true) {
      std::string moved = ".skiff-deep-" + std::to_string(++moved_);
      if (renameat2(dir, name, top, moved.c_str(), RENAME_NOREPLACE) == 0 || errno == ENOENT) return 0;
      if (errno != EEXIST) return failed("renameat2", errno, rel);
    }
  }

  int failed(const char* step, int err, const std::string& rel) {
    *where_ = rel;
    return fail(f_, step, err);
  }

  int max_depth_;
  unsigned long moved_ = 0;
  Failure* f_;
  std::string* where_;
};

}  // namespace

int tree_copy(const char* src_dir, const char* src_name, const char* dst_dir, const char* dst_name,
              const TreeCopy& opts, std::vector<SkippedEntry>* skipped, Failure* f, std::string* where) {
  Copier copier(opts, skipped, f, where);
  Fd src_parent(open_top(src_dir));
  if (src_parent.get() < 0) return copier.failed("open_source_parent", errno, "");
  Fd dst_parent(open_top(dst_dir));
  if (dst_parent.get() < 0) return copier.failed("open_destination_parent", errno, "");
  Fd src(open_beneath(src_parent.get(), src_name, O_RDONLY | O_DIRECTORY));
  if (src.get() < 0) return copier.failed("open_source", errno, "");
  struct stat st;
  if (fstat(src.get(), &st) < 0) return copier.failed("fstat", errno, "");
  if (mkdirat(dst_parent.get(), dst_name, 0700) < 0) return copier.failed("mkdir_destination", errno, "");
  Fd dst(open_beneath(dst_parent.get(), dst_name, O_RDONLY | O_DIRECTORY));
  if (dst.get() < 0) return copier.failed("open_destination", errno, "");
  if (copier.copy_dir(src.get(), dst.get(), "", 0) < 0) return -1;
  // The top is the revision's own folder: the app's, 0700, whatever the source's mode was.
  st.st_mode = S_IFDIR | 0700;
  return copier.finish(dst.get(), st, "");
}

int tree_remove(const char* dir, const char* name, int max_depth, Failure* f, std::string* where) {
  Fd parent(open_top(dir));
  if (parent.get() < 0) {
    if (errno == ENOENT) return 0;
    *where = "";
    return fail(f, "open_parent", errno);
  }
  return Remover(max_depth, f, where).remove_entry(parent.get(), name, "", 0, -1);
}

}  // namespace skiff
