// Landlock for the child, between no_new_privs and seccomp (raw syscalls only: async-signal-safe).
#ifndef SKIFF_LANDLOCK_H
#define SKIFF_LANDLOCK_H

#include "plan.h"

namespace skiff {

// The step that failed, or kNone (also when this kernel has no Landlock, or too old an ABI for
// every part the plan asks: those parts are skipped, as LandlockPlan documents).
enum class LandlockStage { kNone, kRuleset, kRule, kRestrict };

// Enters a Landlock domain with what the plan asks and this kernel supports; errno is set on failure.
LandlockStage landlock_enter(const LandlockPlan& plan);

}  // namespace skiff

#endif
