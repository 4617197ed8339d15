// The launched process's own cgroup: created and limited by the parent before the child runs.
#ifndef SKIFF_CGROUP_H
#define SKIFF_CGROUP_H

#include <sys/types.h>

#include <string>
#include <vector>

#include "failure.h"
#include "plan.h"

namespace skiff {

// The leaf folders made for one launch: one on cgroup v2, one per controller on v1.
struct CgroupDirs {
  std::vector<std::string> dirs;
};

// mkdir the cgroup (and missing parents) and write its limits. On failure removes what it made.
// pid is the launched process, named in the path when the plan asks for append_pid.
int cgroup_create(const CgroupPlan& plan, pid_t pid, CgroupDirs* out, Failure* f);
// mkdir -p of rel below base (a cgroup hierarchy); the leaf is made fresh: an empty leftover of a
// crashed launch is removed first, one still in use makes the mkdir fail with EEXIST.
int cgroup_make_dirs(const std::string& base, const std::string& rel);
// Moves pid into every leaf folder (cgroup.procs).
int cgroup_attach(const CgroupDirs& cg, pid_t pid, Failure* f);
// rmdir every leaf folder, retrying briefly while exiting tasks drain; returns -1 if one stayed.
int cgroup_remove(const CgroupDirs& cg);

}  // namespace skiff

#endif
