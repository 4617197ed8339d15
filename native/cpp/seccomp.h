// Compiles a SeccompPlan into classic BPF with libseccomp, in the parent, before clone.
#ifndef SKIFF_SECCOMP_H
#define SKIFF_SECCOMP_H

#include <linux/filter.h>

#include <vector>

#include "failure.h"
#include "plan.h"

namespace skiff {

struct BpfProgram {
  std::vector<sock_filter> code;
};

// Two programs, loaded in this order (the kernel applies the strictest result of all filters):
//  1. the ioctl guard: allows everything except ioctl requests denied on their low 32 bits;
//  2. the allowlist: the plan's syscalls allowed, everything else failed with errno (or logged).
// Two filters because libseccomp refuses a rule whose action equals the default action, so a
// single default-EPERM filter cannot say "ioctl allowed, but TIOCSTI fails with EPERM".
int compile_seccomp(const SeccompPlan& plan, std::vector<BpfProgram>* out, Failure* f);

}  // namespace skiff

#endif
