// A file descriptor closed when it goes out of scope: every early return of a step closes what it opened.
#ifndef SKIFF_FD_H
#define SKIFF_FD_H

#include <unistd.h>

namespace skiff {

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

}  // namespace skiff

#endif
