// The launch plan in C++: the same data as src/plan.ts, already checked by plan_json.cc.
#ifndef SKIFF_PLAN_H
#define SKIFF_PLAN_H

#include <stdint.h>
#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace skiff {

enum class MountKind { kTmpfs, kBind, kProc, kMkdir, kSymlink };

struct MountRow {
  MountKind kind = MountKind::kTmpfs;
  std::string source;
  std::string target;          // absolute, normalised, inside the new root
  std::string data;            // tmpfs options, or the octal mode of a mkdir row
  unsigned long flags = 0;     // MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC from the row's flags
  bool rec = false;            // MS_REC for a bind
  bool optional = false;       // skip a bind whose source is missing on this host
  std::string reason;
};

struct CgroupPlan {
  int version = 2;
  std::string root;            // e.g. /sys/fs/cgroup
  std::string path;            // relative, e.g. skiff/hello.hello-4711
  int64_t memory_bytes = -1;   // -1: no limit asked
  int64_t pids_max = -1;
  int64_t cpu_quota_us = -1;
  int64_t cpu_period_us = -1;
  bool append_pid = false;     // path + "-<pid>": one saved plan, many launches at once
};

// A syscall allowed only when each listed argument equals its value (on the low 32 bits).
struct ArgRule {
  std::string syscall;
  std::vector<std::pair<unsigned, uint32_t>> args;  // (index 0-5, value)
};

struct SeccompPlan {
  bool log = false;            // devmode: log what is not allowed instead of failing it
  int errno_value = 1;         // EPERM unless the plan says otherwise
  std::vector<std::string> allow;
  std::vector<uint32_t> deny_ioctls;
  std::vector<std::pair<std::string, int>> errno_by_syscall;  // these fail with their own errno
  uint32_t deny_clone_flags = 0;                               // clone with any of these bits fails
  std::vector<ArgRule> arg_rules;                              // their syscalls are allowed by these alone
};

struct LandlockPlan {
  bool scope_abstract_unix = false;  // LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (ABI 6)
  bool scope_signal = false;         // LANDLOCK_SCOPE_SIGNAL (ABI 6)
  bool guard_bind_tcp = false;       // LANDLOCK_ACCESS_NET_BIND_TCP handled (ABI 4)
  std::vector<uint16_t> bind_tcp_ports;  // the ports still allowed then (0: ephemeral)
};

struct Plan {
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string cwd = "/";
  std::string hostname;
  int clone_flags = 0;         // CLONE_NEW* from plan.namespaces, except cgroup (see new_cgroup_ns)
  bool new_cgroup_ns = false;  // entered by the child after the parent moved it into its cgroup
  bool new_net_ns = false;
  bool new_uts_ns = false;
  std::vector<MountRow> mounts;
  uid_t uid = 0;
  gid_t gid = 0;
  bool has_cgroup = false;
  CgroupPlan cgroup;
  bool has_seccomp = false;
  SeccompPlan seccomp;
  bool has_landlock = false;
  LandlockPlan landlock;
  std::string bind_guard_cgroup2_root;  // empty: no bind guard
};

// Parses and checks a plan written as JSON (the shape of src/plan.ts). On error returns false
// and sets *error to one line naming the field from `root`, e.g. "mounts[2].kind must be one of ...".
bool parse_plan(const std::string& text, Plan* plan, std::string* error, const std::string& root = "");

}  // namespace skiff

#endif
