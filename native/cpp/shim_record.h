// What skiff-shim records about its service in <state>/status.json, each change an atomic rename,
// so that an agent started later can adopt the service or collect how it ended.
#ifndef SKIFF_SHIM_RECORD_H
#define SKIFF_SHIM_RECORD_H

#include <sys/types.h>

#include <string>
#include <vector>

namespace skiff {

class ServiceRecord {
 public:
  explicit ServiceRecord(std::string dir) : dir_(std::move(dir)) {}
  // The launch failed before the service ran.
  void fail_launch(const std::string& why);
  // The sandbox's init is running as pid (the service is its child), in these cgroup folders.
  void started(pid_t pid, const std::vector<std::string>& cgroup);
  void mark_ready();
  bool ready() const { return ready_at_ms_ > 0; }
  // The service's wait status, as the sandbox's init reported it.
  void exited(int wait_status);
  // One line for the log: "exited with code 3" or "killed by SIGKILL".
  std::string exit_line() const;

 private:
  void write();

  std::string dir_;
  std::string state_ = "starting";
  std::string error_;
  pid_t pid_ = -1, app_pid_ = -1;
  unsigned long long shim_start_ = 0, pid_start_ = 0;
  long long started_ms_ = 0, ready_at_ms_ = 0, ended_ms_ = 0;
  std::vector<std::string> cgroup_;
  int code_ = -1, signal_ = 0;
};

// Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot (0 if unknown).
unsigned long long process_start_ticks(pid_t pid);

}  // namespace skiff

#endif
