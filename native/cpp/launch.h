// Starting one confined process from a plan: prepare everything in the parent, then launch.
// Shared by the Node addon and the skiff-launch executable.
#ifndef SKIFF_LAUNCH_H
#define SKIFF_LAUNCH_H

#include <linux/filter.h>
#include <sys/types.h>

#include <vector>

#include "cgroup.h"
#include "failure.h"
#include "plan.h"
#include "seccomp.h"

namespace skiff {

// Everything the child reads between clone and exec, built before clone so the child never
// allocates: string arrays, the compiled seccomp programs, a slot per mount row for its source.
struct Prepared {
  Plan plan;
  std::vector<char*> argv;           // null-terminated, pointing into plan.argv
  std::vector<char*> envp;           // null-terminated, pointing into plan.env
  std::vector<BpfProgram> seccomp;   // in load order; empty when the plan has no seccomp
  std::vector<sock_fprog> programs;  // views of `seccomp` for prctl
  std::vector<int> source_fds;       // one per mount row, filled in by the child
};

int prepare(Plan plan, Prepared* out, Failure* f);

struct Launched {
  pid_t pid = -1;  // the sandbox's init (pid 1 inside); the app is its child
  CgroupDirs cgroup;
  int status_fd = -1;  // read end: the app's wait status, written by the init as it exits (CLOEXEC)
};

// The app's wait status as the sandbox's init reported it; init_status (the init's own, from waitpid)
// when it reported none, e.g. because it was killed from outside. Closes status_fd.
int app_wait_status(int status_fd, int init_status);

// Launches the prepared plan with stdio[0..2] as the child's 0, 1 and 2. Returns once the child
// has exec'd (0), or failed (-1, with f naming the step; the child is reaped and its cgroup gone).
// The caller ignores SIGPIPE (Node does; skiff-launch sets it): a child that dies early closes a pipe.
// notify_fd, when >= 0, becomes the app's fd 3 (the write end of a service's readiness pipe).
int launch(Prepared* p, const int stdio[3], Launched* out, Failure* f, int notify_fd = -1);

// The descriptors the child starts with, besides the plan.
struct ChildFds {
  int stdio[3];
  int release_read;   // the parent writes one byte here once the child is in its cgroup
  int release_write;  // the parent's end: closed at once by the child
  int report_read;    // the parent's end: closed at once by the child
  int report_write;   // CLOEXEC: a successful exec closes it, which the parent reads as EOF
  int status_write;   // CLOEXEC: kept by the init alone, which writes the app's wait status on it
  int notify;         // -1, or the descriptor that becomes fd 3 of the init and the app
};

// What the child writes on the report pipe when a step fails.
struct ChildReport {
  int32_t step;
  int32_t err;
  int32_t row;
};

// Runs in the child after clone: only async-signal-safe calls; becomes the init of the sandbox and
// starts the app as its child (execve). Never returns.
[[noreturn]] void child_main(Prepared* p, const ChildFds& fds);
// The name of a step reported by the child, e.g. "pivot_root".
const char* child_step_name(int32_t step);

}  // namespace skiff

#endif
