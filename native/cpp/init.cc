// Pid 1 of a sandbox. The app is not pid 1 because the kernel drops every signal that pid 1 of a
// namespace has no handler for: a SIGPIPE from a closed pipe (`skiff run hello | head -1` would see
// EPIPE instead of dying quietly), a SIGTERM or SIGINT from the host to an app that relies on the
// default action. This init has no policy: it forwards, reaps and reports. Only async-signal-safe
// calls: it runs in the child of a clone from a threaded process.
#include "init.h"

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace skiff {
namespace {

constexpr int kExitSignalBase = 128;  // what a shell reports for a process killed by a signal

void report_status(int status_fd, int status) {
  const char* p = reinterpret_cast<const char*>(&status);
  size_t left = sizeof status;
  while (left > 0) {
    ssize_t n = write(status_fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nobody reads: the launcher will use our own exit status instead
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace

void run_init(pid_t app, int status_fd) {
  // Not dumpable: the app runs as the same user, and must not reach into pid 1 through /proc/1/mem.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  // Named for what it is, not after the process it was cloned from (node, skiff-launch).
  prctl(PR_SET_NAME, "skiff-init", 0, 0, 0);
  sigset_t all;
  sigfillset(&all);
  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&all, &info);
    if (sig < 0) continue;  // EINTR
    if (sig != SIGCHLD) {
      kill(app, sig);  // the app gets what pid 1 got, with its own disposition deciding
      continue;
    }
    int status = 0;
    pid_t done;
    while ((done = waitpid(-1, &status, WNOHANG | __WALL)) > 0) {
      if (done != app) continue;  // an orphan the app left: reaped, nothing more
      report_status(status_fd, status);
      // Leaving kills whatever else runs in the namespace, as when the app itself was pid 1.
      _exit(WIFEXITED(status) ? WEXITSTATUS(status) : kExitSignalBase + WTERMSIG(status));
    }
  }
}

}  // namespace skiff
