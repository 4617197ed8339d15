#include "shim_record.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

namespace skiff {
namespace {

long long now_ms() {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return static_cast<long long>(t.tv_sec) * 1000 + t.tv_nsec / 1000000;
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') { out += '\\'; out += c; }
    else if (static_cast<unsigned char>(c) < 0x20) { char esc[8]; snprintf(esc, sizeof esc, "\\u%04x", c); out += esc; }
    else out += c;
  }
  return out + "\"";
}

std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "SIG" + std::to_string(sig);
}

// The first child of the sandbox's init: the service itself (a pid of the host's).
pid_t first_child(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children";
  FILE* f = fopen(path.c_str(), "re");
  int child = -1;
  if (f) {
    if (fscanf(f, "%d", &child) != 1) child = -1;
    fclose(f);
  }
  return child;
}

}  // namespace

unsigned long long process_start_ticks(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  FILE* f = fopen(path.c_str(), "re");
  if (!f) return 0;
  char buf[1024];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  const char* p = strrchr(buf, ')');  // the name may hold spaces and parentheses
  unsigned long long start = 0;
  // After ")": state is field 3; starttime is field 22, so 19 fields on.
  if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", &start) == 1) return start;
  return 0;
}

void ServiceRecord::fail_launch(const std::string& why) {
  state_ = "exited";
  error_ = why;
  code_ = 125;
  ended_ms_ = now_ms();
  write();
}

void ServiceRecord::started(pid_t pid, const std::vector<std::string>& cgroup) {
  state_ = "running";
  pid_ = pid;
  pid_start_ = process_start_ticks(pid);
  app_pid_ = first_child(pid);
  cgroup_ = cgroup;
  started_ms_ = now_ms();
  write();
}

void ServiceRecord::mark_ready() {
  ready_at_ms_ = now_ms();
  write();
}

void ServiceRecord::exited(int status) {
  state_ = "exited";
  if (WIFSIGNALED(status)) signal_ = WTERMSIG(status);
  else code_ = WEXITSTATUS(status);
  ended_ms_ = now_ms();
  write();
}

std::string ServiceRecord::exit_line() const {
  return signal_ ? "killed by " + signal_name(signal_) : "exited with code " + std::to_string(code_);
}

void ServiceRecord::write() {
  if (shim_start_ == 0) shim_start_ = process_start_ticks(getpid());
  std::string j = "{\"state\":" + quoted(state_) + ",\"shimPid\":" + std::to_string(getpid()) +
                  ",\"shimStart\":" + std::to_string(shim_start_);
  if (pid_ > 0) {
    j += ",\"pid\":" + std::to_string(pid_) + ",\"pidStart\":" + std::to_string(pid_start_) +
         ",\"appPid\":" + std::to_string(app_pid_) + ",\"startedAt\":" + std::to_string(started_ms_) + ",\"cgroup\":[";
    for (size_t i = 0; i < cgroup_.size(); i++) j += (i ? "," : "") + quoted(cgroup_[i]);
    j += "]";
  }
  if (ready_at_ms_ > 0) j += ",\"readyAt\":" + std::to_string(ready_at_ms_);
  if (state_ == "exited") {
    j += ",\"exit\":{\"code\":" + (signal_ ? std::string("null") : std::to_string(code_)) +
         ",\"signal\":" + (signal_ ? quoted(signal_name(signal_)) : std::string("null")) + "},\"endedAt\":" + std::to_string(ended_ms_);
  }
  if (!error_.empty()) j += ",\"error\":" + quoted(error_);
  j += "}\n";
  std::string tmp = dir_ + "/.status.json.tmp", path = dir_ + "/status.json";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  bool whole = ::write(fd, j.data(), j.size()) == static_cast<ssize_t>(j.size());
  fsync(fd);
  close(fd);
  if (whole) rename(tmp.c_str(), path.c_str());
}

}  // namespace skiff
