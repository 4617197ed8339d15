// A service's log as its parent writes it: one timestamped line per line of output, into
// <dir>/current, rotated by size into current.1 .. current.<files-1>, so the folder never grows past
// files x max_bytes (plus one line).
#ifndef SKIFF_SHIM_LOG_H
#define SKIFF_SHIM_LOG_H

#include <stddef.h>

#include <string>

namespace skiff {

class ServiceLog {
 public:
  ServiceLog(std::string dir, size_t max_bytes, int files) : dir_(std::move(dir)), max_bytes_(max_bytes), files_(files) {}
  ~ServiceLog();
  // Opens (appends to) <dir>/current; -1 with errno when it cannot.
  int open_current();
  // Takes a chunk of one stream's output; whole lines are written at once, a partial one kept.
  void take(int stream, const char* data, size_t n);
  // Writes what is left of a partial line of each stream (the service has ended).
  void flush_partial();
  // One line of the shim's own (the exit status), marked as such.
  void note(const std::string& line);

 private:
  void line(int stream, const char* data, size_t n);
  void write_out();
  void rotate();

  std::string dir_;
  size_t max_bytes_;
  int files_;
  int fd_ = -1;
  size_t size_ = 0;          // bytes in current, written or waiting in out_
  std::string partial_[2];   // stdout, stderr: an unfinished line
  std::string out_;          // lines formatted, not yet written
};

}  // namespace skiff

#endif
