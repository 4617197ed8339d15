#include "shim_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

namespace skiff {
namespace {

// A longer line is cut: one line must not defeat the size cap, or hold memory without end.
constexpr size_t kMaxLineBytes = 16 * 1024;
constexpr mode_t kLogMode = 0640;
const char* const kStreamNames[] = {"out", "err", "shim"};

void append_timestamp(std::string* out) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct tm tm;
  gmtime_r(&now.tv_sec, &tm);
  char buf[40];
  int n = snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ ", tm.tm_year + 1900, tm.tm_mon + 1,
                   tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000);
  out->append(buf, static_cast<size_t>(n));
}

}  // namespace

ServiceLog::~ServiceLog() {
  if (fd_ >= 0) close(fd_);
}

int ServiceLog::open_current() {
  std::string path = dir_ + "/current";
  fd_ = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, kLogMode);
  if (fd_ < 0) return -1;
  struct stat st;
  size_ = fstat(fd_, &st) == 0 ? static_cast<size_t>(st.st_size) : 0;
  return 0;
}

void ServiceLog::take(int stream, const char* data, size_t n) {
  std::string& part = partial_[stream];
  for (size_t i = 0; i < n;) {
    const char* nl = static_cast<const char*>(memchr(data + i, '\n', n - i));
    size_t end = nl ? static_cast<size_t>(nl - data) : n;
    size_t room = kMaxLineBytes - part.size();
    if (end - i >= room) {  // too long: cut here and go on with the rest as a new line
      part.append(data + i, room);
      line(stream, part.data(), part.size());
      part.clear();
      i += room;
      continue;
    }
    part.append(data + i, end - i);
    i = end;
    if (!nl) break;
    line(stream, part.data(), part.size());
    part.clear();
    i++;  // past the newline
  }
  write_out();
}

void ServiceLog::flush_partial() {
  for (int s = 0; s < 2; s++) {
    if (partial_[s].empty()) continue;
    line(s, partial_[s].data(), partial_[s].size());
    partial_[s].clear();
  }
  write_out();
}

void ServiceLog::note(const std::string& text) {
  line(2, text.data(), text.size());
  write_out();
}

void ServiceLog::line(int stream, const char* data, size_t n) {
  size_t before = out_.size();
  append_timestamp(&out_);
  out_.append(kStreamNames[stream]);
  out_.push_back(' ');
  out_.append(data, n);
  out_.push_back('\n');
  size_t added = out_.size() - before;
  if (size_ > 0 && size_ + added > max_bytes_) {
    // Rotate before this line: what was formatted before it goes to the old file.
    std::string mine = out_.substr(before);
    out_.resize(before);
    write_out();
    rotate();
    out_ = std::move(mine);
  }
  size_ += added;
}

void ServiceLog::write_out() {
  size_t done = 0;
  while (done < out_.size() && fd_ >= 0) {
    ssize_t n = write(fd_, out_.data() + done, out_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // a full disk loses lines, never the service
    done += static_cast<size_t>(n);
  }
  out_.clear();
}

// current -> current.1 -> ... -> current.<files-1>, the oldest dropped; then a fresh current.
void ServiceLog::rotate() {
  for (int i = files_ - 1; i >= 1; i--) {
    std::string from = dir_ + "/current" + (i == 1 ? "" : "." + std::to_string(i - 1));
    std::string to = dir_ + "/current." + std::to_string(i);
    rename(from.c_str(), to.c_str());
  }
  if (files_ <= 1) {
    std::string cur = dir_ + "/current";
    unlink(cur.c_str());
  }
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  size_ = 0;
  open_current();
}

}  // namespace skiff
