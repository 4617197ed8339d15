// The bind guard: cgroup-BPF programs that refuse inet binds to a fixed port (TCP and UDP).
#ifndef SKIFF_BINDGUARD_H
#define SKIFF_BINDGUARD_H

#include <sys/types.h>

#include "cgroup.h"
#include "failure.h"
#include "plan.h"

namespace skiff {

// Attaches the guard to the launch's cgroup2 folder: the folder of cg under
// plan.bind_guard_cgroup2_root if there is one (a v2 cgroup), else a new folder of the same name
// there, added to cg so that cgroup_attach moves pid into it and cgroup_remove removes it.
// Call between cgroup_create and cgroup_attach.
int bind_guard_create(const Plan& plan, pid_t pid, CgroupDirs* cg, Failure* f);

}  // namespace skiff

#endif
