// cgroup v2 (one unified folder) or v1 (a folder per controller hierarchy), driven by the plan.
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

namespace skiff {
namespace {

// rmdir fails with EBUSY until the last task has left: retry for this long, this often.
constexpr int kRemoveTimeoutMs = 2000;
constexpr long kRemoveRetryNs = 2 * 1000 * 1000;
constexpr mode_t kCgroupDirMode = 0755;

int write_file(const std::string& path, const std::string& value) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = write(fd, value.data(), value.size());
  int saved = errno;
  close(fd);
  if (n < 0) { errno = saved; return -1; }
  if (static_cast<size_t>(n) != value.size()) { errno = EIO; return -1; }
  return 0;
}

bool exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// v2: the controllers a limit needs must be enabled in every parent below the root.
int enable_controllers(const CgroupPlan& plan, const std::vector<const char*>& controllers) {
  size_t slash = 0;
  while ((slash = plan.path.find('/', slash)) != std::string::npos) {
    std::string control = plan.root + "/" + plan.path.substr(0, slash) + "/cgroup.subtree_control";
    for (const char* c : controllers) {
      if (write_file(control, std::string("+") + c) < 0) return -1;
    }
    slash++;
  }
  return 0;
}

int create_v2(const CgroupPlan& plan, CgroupDirs* out, Failure* f) {
  std::vector<const char*> controllers;
  if (plan.memory_bytes > 0) controllers.push_back("memory");
  if (plan.pids_max > 0) controllers.push_back("pids");
  if (plan.cpu_quota_us > 0) controllers.push_back("cpu");
  if (cgroup_make_dirs(plan.root, plan.path) < 0) return fail(f, "cgroup_create", errno);
  std::string dir = plan.root + "/" + plan.path;
  out->dirs.push_back(dir);
  if (enable_controllers(plan, controllers) < 0) return fail(f, "cgroup_controllers", errno);
  if (plan.memory_bytes > 0) {
    if (write_file(dir + "/memory.max", std::to_string(plan.memory_bytes)) < 0) return fail(f, "cgroup_limit", errno);
    // Swap would let the app exceed its limit: none, where the kernel has swap accounting.
    if (exists(dir + "/memory.swap.max") && write_file(dir + "/memory.swap.max", "0") < 0) return fail(f, "cgroup_limit", errno);
  }
  if (plan.pids_max > 0 && write_file(dir + "/pids.max", std::to_string(plan.pids_max)) < 0) return fail(f, "cgroup_limit", errno);
  if (plan.cpu_quota_us > 0) {
    std::string max = std::to_string(plan.cpu_quota_us) + " " + std::to_string(plan.cpu_period_us);
    if (write_file(dir + "/cpu.max", max) < 0) return fail(f, "cgroup_limit", errno);
  }
  return 0;
}

// v1: the cpu controller may be mounted alone or co-mounted with cpuacct.
std::string v1_cpu_root(const std::string& root) {
  return exists(root + "/cpu/cpu.cfs_quota_us") ? root + "/cpu" : root + "/cpu,cpuacct";
}

enum class V1 { kMemory, kPids, kCpu, kFreezer };

int limit_v1(V1 controller, const CgroupPlan& plan, const std::string& dir) {
  switch (controller) {
    case V1::kMemory: {
      if (write_file(dir + "/memory.limit_in_bytes", std::to_string(plan.memory_bytes)) < 0) return -1;
      // memory+swap capped at the same value: swap must not extend the limit (only if accounted).
      std::string memsw = dir + "/memory.memsw.limit_in_bytes";
      return exists(memsw) ? write_file(memsw, std::to_string(plan.memory_bytes)) : 0;
    }
    case V1::kPids:
      return plan.pids_max > 0 ? write_file(dir + "/pids.max", std::to_string(plan.pids_max)) : 0;
    case V1::kCpu:
      // Period first: the quota is checked against it.
      if (write_file(dir + "/cpu.cfs_period_us", std::to_string(plan.cpu_period_us)) < 0) return -1;
      return write_file(dir + "/cpu.cfs_quota_us", std::to_string(plan.cpu_quota_us));
    case V1::kFreezer:
      return 0;  // no limit: the folder lets the device freeze the app while root works on its data
  }
  return 0;
}

int create_v1(const CgroupPlan& plan, CgroupDirs* out, Failure* f) {
  struct Controller { V1 kind; std::string base; bool wanted; };
  // pids always: it gives the app a cgroup of its own even with no limit asked.
  const Controller controllers[] = {
    {V1::kMemory, plan.root + "/memory", plan.memory_bytes > 0},
    {V1::kPids, plan.root + "/pids", true},
    {V1::kCpu, v1_cpu_root(plan.root), plan.cpu_quota_us > 0},
    // freezer where the host mounts it: v1 has no cgroup.freeze of its own.
    {V1::kFreezer, plan.root + "/freezer", exists(plan.root + "/freezer/tasks")},
  };
  for (const Controller& c : controllers) {
    if (!c.wanted) continue;
    if (cgroup_make_dirs(c.base, plan.path) < 0) return fail(f, "cgroup_create", errno);
    std::string dir = c.base + "/" + plan.path;
    out->dirs.push_back(dir);
    if (limit_v1(c.kind, plan, dir) < 0) return fail(f, "cgroup_limit", errno);
  }
  return 0;
}

}  // namespace

int cgroup_make_dirs(const std::string& base, const std::string& rel) {
  for (size_t slash = rel.find('/'); slash != std::string::npos; slash = rel.find('/', slash + 1)) {
    if (mkdir((base + "/" + rel.substr(0, slash)).c_str(), kCgroupDirMode) < 0 && errno != EEXIST) return -1;
  }
  const std::string leaf = base + "/" + rel;
  rmdir(leaf.c_str());  // a leftover of a crashed launch: fails harmlessly when absent or in use
  return mkdir(leaf.c_str(), kCgroupDirMode);
}

int cgroup_create(const CgroupPlan& plan, pid_t pid, CgroupDirs* out, Failure* f) {
  out->dirs.clear();
  CgroupPlan named = plan;
  if (plan.append_pid) named.path += "-" + std::to_string(pid);
  int rc = named.version == 2 ? create_v2(named, out, f) : create_v1(named, out, f);
  if (rc < 0) {
    cgroup_remove(*out);
    out->dirs.clear();
  }
  return rc;
}

int cgroup_attach(const CgroupDirs& cg, pid_t pid, Failure* f) {
  for (const std::string& dir : cg.dirs) {
    if (write_file(dir + "/cgroup.procs", std::to_string(pid)) < 0) return fail(f, "cgroup_attach", errno);
  }
  return 0;
}

int cgroup_remove(const CgroupDirs& cg) {
  int rc = 0;
  for (const std::string& dir : cg.dirs) {
    int waited_ms = 0;
    while (rmdir(dir.c_str()) < 0 && errno == EBUSY && waited_ms < kRemoveTimeoutMs) {
      struct timespec pause = {0, kRemoveRetryNs};
      nanosleep(&pause, nullptr);
      waited_ms += static_cast<int>(kRemoveRetryNs / 1000000);
    }
    if (exists(dir)) rc = -1;
  }
  return rc;
}

}  // namespace skiff
