// skiff-launch PLAN.json [ARGS...]: runs one confined process from a plan file, without Node.
// ARGS are appended to plan.argv; stdio is passed through; SIGINT, SIGTERM, SIGHUP, SIGQUIT,
// SIGUSR1, SIGUSR2 and SIGWINCH are forwarded to the sandbox's init, which passes them on to the app;
// the exit code is the app's (128+signal when killed), 125 when the launch itself failed.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "fd.h"
#include "launch.h"
#include "plan.h"

namespace {

using skiff::kExitLaunchFailed;
constexpr int kExitSignalBase = 128;
constexpr size_t kMaxPlanBytes = 4 * 1024 * 1024;
constexpr int kForwardedSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

[[noreturn]] void die(const std::string& line) {
  fprintf(stderr, "skiff-launch: %s\n", line.c_str());
  exit(kExitLaunchFailed);
}

// 0, 1 and 2 must be open, or the plan's pipes would land there and the app's stdio with them.
void ensure_stdio() {
  for (int fd = 0; fd < 3; fd++) {
    if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) < 0) exit(kExitLaunchFailed);
  }
}

bool read_file(const char* path, std::string* out, std::string* error) {
  skiff::Fd fd(open(path, O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    *error = strerror(errno);
    return false;
  }
  char buf[65536];
  ssize_t n;
  while ((n = read(fd.get(), buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = strerror(errno);
      return false;
    }
    out->append(buf, static_cast<size_t>(n));
    if (out->size() > kMaxPlanBytes) {
      *error = "larger than 4 MiB";
      return false;
    }
  }
  return true;
}

std::string describe(const skiff::Failure& f, const skiff::Plan& plan) {
  std::string line = std::string("launch failed at ") + f.step + ": " + strerror(f.err);
  if (f.row >= 0 && static_cast<size_t>(f.row) < plan.mounts.size()) {
    const skiff::MountRow& row = plan.mounts[static_cast<size_t>(f.row)];
    line += " (mounts[" + std::to_string(f.row) + "] " + row.target + ": " + row.reason + ")";
  }
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  ensure_stdio();
  // A write to a closed pipe (a child that died early) is an error to report, not a reason to die.
  signal(SIGPIPE, SIG_IGN);
  if (argc < 2 || argv[1][0] == '-') die("usage: skiff-launch PLAN.json [ARGS...]");
  // Namespaces, mounts and cgroups need root for now (no user namespaces): say so, not "EPERM at clone".
  if (geteuid() != 0) die("needs root: confined launches are root-only for now");

  std::string text, error;
  if (!read_file(argv[1], &text, &error)) die(std::string("cannot read plan ") + argv[1] + ": " + error);
  skiff::Plan plan;
  if (!skiff::parse_plan(text, &plan, &error)) die(std::string("plan ") + argv[1] + ": " + error);
  for (int i = 2; i < argc; i++) plan.argv.push_back(argv[i]);

  skiff::Prepared prepared;
  skiff::Failure f;
  if (skiff::prepare(std::move(plan), &prepared, &f) < 0) die(describe(f, prepared.plan));

  // Forwarded signals and SIGCHLD stay blocked and are taken one at a time by sigwaitinfo below.
  sigset_t waited;
  sigemptyset(&waited);
  for (int sig : kForwardedSignals) sigaddset(&waited, sig);
  sigaddset(&waited, SIGCHLD);
  sigprocmask(SIG_BLOCK, &waited, nullptr);

  const int stdio[3] = {0, 1, 2};
  skiff::Launched launched;
  if (skiff::launch(&prepared, stdio, &launched, &f) < 0) die(describe(f, prepared.plan));

  int status = 0;
  while (true) {
    pid_t r = waitpid(launched.pid, &status, WNOHANG | __WALL);
    if (r == launched.pid) break;
    if (r < 0 && errno != EINTR) die(std::string("waitpid: ") + strerror(errno));
    siginfo_t info;
    int sig = sigwaitinfo(&waited, &info);
    if (sig > 0 && sig != SIGCHLD) kill(launched.pid, sig);  // the init passes it on to the app
  }
  status = skiff::app_wait_status(launched.status_fd, status);
  if (skiff::cgroup_remove(launched.cgroup) < 0) fprintf(stderr, "skiff-launch: warning: cgroup of pid %d not removed\n", launched.pid);
  if (WIFSIGNALED(status)) return kExitSignalBase + WTERMSIG(status);
  return WEXITSTATUS(status);
}
