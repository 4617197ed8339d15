// A failed step and its errno: how every mechanism function reports an error (no C++ exceptions).
#ifndef SKIFF_FAILURE_H
#define SKIFF_FAILURE_H

namespace skiff {

struct Failure {
  const char* step = nullptr;  // static string naming the step, e.g. "pivot_root"; nullptr means success
  int err = 0;                 // errno of the failed call
  int row = -1;                // index of the mount row being executed, or -1
};

// The exit status of a launch that failed before the app ran: of skiff-launch, as env(1) and container
// runtimes use it (the launcher failed, not the app), and of the sandbox child that reports the step.
constexpr int kExitLaunchFailed = 125;

// Records the step and errno; returns -1 so callers can `return fail(f, "x", errno);`.
inline int fail(Failure* f, const char* step, int err) {
  f->step = step;
  f->err = err;
  return -1;
}

}  // namespace skiff

#endif
