// The parent's side of a launch: clone, the cgroup, release, and reading the child's report.
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bindguard.h"

namespace skiff {
namespace {

// Pipe ends must not sit on 0-2, which the child overwrites with the app's stdio.
constexpr int kFirstPrivateFd = 3;

int move_above_stdio(int fd) {
  if (fd >= kFirstPrivateFd) return fd;
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, kFirstPrivateFd);
  int saved = errno;
  close(fd);
  errno = saved;
  return moved;
}

int cloexec_pipe(int fds[2]) {
  if (pipe2(fds, O_CLOEXEC) < 0) return -1;
  fds[0] = move_above_stdio(fds[0]);
  fds[1] = move_above_stdio(fds[1]);
  if (fds[0] < 0 || fds[1] < 0) {
    int saved = errno;
    if (fds[0] >= 0) close(fds[0]);
    if (fds[1] >= 0) close(fds[1]);
    errno = saved;
    return -1;
  }
  return 0;
}

void reap(pid_t pid) {
  while (waitpid(pid, nullptr, __WALL) < 0 && errno == EINTR) {
  }
}

// Reads the child's report: a whole report, or 0 bytes when exec closed the pipe.
ssize_t read_report(int fd, ChildReport* r) {
  size_t got = 0;
  char* buf = reinterpret_cast<char*>(r);
  while (got < sizeof *r) {
    ssize_t n = read(fd, buf + got, sizeof *r - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(got);
}

}  // namespace

int prepare(Plan plan, Prepared* out, Failure* f) {
  out->plan = std::move(plan);
  for (std::string& a : out->plan.argv) out->argv.push_back(&a[0]);
  out->argv.push_back(nullptr);
  for (std::string& e : out->plan.env) out->envp.push_back(&e[0]);
  out->envp.push_back(nullptr);
  out->source_fds.assign(out->plan.mounts.size(), -1);
  if (out->plan.has_seccomp && compile_seccomp(out->plan.seccomp, &out->seccomp, f) < 0) return -1;
  for (BpfProgram& program : out->seccomp) {
    sock_fprog prog;
    prog.len = static_cast<unsigned short>(program.code.size());
    prog.filter = program.code.data();
    out->programs.push_back(prog);
  }
  return 0;
}

int launch(Prepared* p, const int stdio[3], Launched* out, Failure* f, int notify_fd) {
  // A closed descriptor would be replaced by one of ours in the child: refuse it here.
  for (int i = 0; i < 3; i++) {
    if (fcntl(stdio[i], F_GETFD) < 0) return fail(f, "stdio", errno);
  }
  int release[2], report[2], status[2];
  if (cloexec_pipe(release) < 0) return fail(f, "pipe", errno);
  if (cloexec_pipe(report) < 0) {
    int err = errno;
    close(release[0]);
    close(release[1]);
    return fail(f, "pipe", err);
  }
  if (cloexec_pipe(status) < 0) {
    int err = errno;
    for (int fd : {release[0], release[1], report[0], report[1]}) close(fd);
    return fail(f, "pipe", err);
  }

  // All signals blocked across clone: the child must not run the parent's handlers before it resets them.
  sigset_t all, saved_mask;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved_mask);
  // A fork-like clone (no new stack): the child is pid 1 of the new pid namespace, its init (init.cc).
  pid_t pid = static_cast<pid_t>(syscall(SYS_clone, static_cast<unsigned long>(p->plan.clone_flags) | SIGCHLD,
                                         nullptr, nullptr, nullptr, nullptr));
  if (pid == 0) {
    ChildFds fds = {{stdio[0], stdio[1], stdio[2]}, release[0], release[1], report[0], report[1], status[1], notify_fd};
    child_main(p, fds);
  }
  int clone_err = errno;
  pthread_sigmask(SIG_SETMASK, &saved_mask, nullptr);
  close(release[0]);
  close(report[1]);
  close(status[1]);

  int step_err = 0;
  const char* step = nullptr;
  if (pid < 0) {
    step = "clone";
    step_err = clone_err;
  } else if (p->plan.has_cgroup && (cgroup_create(p->plan.cgroup, pid, &out->cgroup, f) < 0 ||
                                     bind_guard_create(p->plan, pid, &out->cgroup, f) < 0 ||
                                     cgroup_attach(out->cgroup, pid, f) < 0)) {
    // The child waits for its release: it runs nothing before it is in its cgroup, with its limits.
    step = f->step;
    step_err = f->err;
  }
  if (step != nullptr) {
    // The child is still waiting for its release: closing the pipe ends it; SIGKILL makes sure.
    if (pid > 0) kill(pid, SIGKILL);
    close(release[1]);
    close(report[0]);
    if (pid > 0) reap(pid);
    close(status[0]);
    cgroup_remove(out->cgroup);
    return fail(f, step, step_err);
  }
  // A child that failed before its release (stdio) has already reported: EPIPE here, the report below.
  bool released = write(release[1], "g", 1) == 1;
  int release_err = errno;
  close(release[1]);

  ChildReport r;
  ssize_t n = read_report(report[0], &r);
  int read_err = errno;
  close(report[0]);
  if (n == 0 && !released) {
    reap(pid);
    close(status[0]);
    cgroup_remove(out->cgroup);
    return fail(f, "release", release_err);
  }
  if (n != 0) {
    reap(pid);
    close(status[0]);
    cgroup_remove(out->cgroup);
    if (n != static_cast<ssize_t>(sizeof r)) return fail(f, "report", n < 0 ? read_err : EIO);
    fail(f, child_step_name(r.step), r.err);
    f->row = r.row;
    return -1;
  }
  out->pid = pid;
  out->status_fd = status[0];
  return 0;
}

int app_wait_status(int status_fd, int init_status) {
  if (status_fd < 0) return init_status;
  int reported = 0;
  size_t got = 0;
  char* buf = reinterpret_cast<char*>(&reported);
  // The init has exited, so this never blocks: its whole report, or EOF.
  while (got < sizeof reported) {
    ssize_t n = read(status_fd, buf + got, sizeof reported - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(status_fd);
  return got == sizeof reported ? reported : init_status;
}

}  // namespace skiff
