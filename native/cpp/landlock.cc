// Landlock network and IPC restrictions. The UAPI constants are spelled out here because the
// build host's <linux/landlock.h> may predate ABI 4 (network) and ABI 6 (scopes).
#include "landlock.h"

#include <errno.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace skiff {
namespace {

constexpr unsigned kCreateRulesetVersion = 1U << 0;
constexpr uint64_t kAccessNetBindTcp = 1ULL << 0;
constexpr uint64_t kScopeAbstractUnixSocket = 1ULL << 0;
constexpr uint64_t kScopeSignal = 1ULL << 1;
constexpr int kRuleNetPort = 2;
// The first ABI versions with network rules and with scopes.
constexpr long kAbiNet = 4;
constexpr long kAbiScope = 6;

// struct landlock_ruleset_attr as of ABI 6; older kernels accept it while the newer fields are 0.
struct RulesetAttr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;
};

struct NetPortAttr {
  uint64_t allowed_access;
  uint64_t port;
};

}  // namespace

LandlockStage landlock_enter(const LandlockPlan& plan) {
  long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0, kCreateRulesetVersion);
  if (abi < 0) return LandlockStage::kNone;  // ENOSYS: not built in; EOPNOTSUPP: disabled at boot
  RulesetAttr attr = {0, 0, 0};
  if (plan.guard_bind_tcp && abi >= kAbiNet) attr.handled_access_net = kAccessNetBindTcp;
  if (abi >= kAbiScope) {
    if (plan.scope_abstract_unix) attr.scoped |= kScopeAbstractUnixSocket;
    if (plan.scope_signal) attr.scoped |= kScopeSignal;
  }
  if (attr.handled_access_net == 0 && attr.scoped == 0) return LandlockStage::kNone;
  int fd = static_cast<int>(syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0));
  if (fd < 0) return LandlockStage::kRuleset;
  LandlockStage failed = LandlockStage::kNone;
  if (attr.handled_access_net != 0) {
    for (uint16_t port : plan.bind_tcp_ports) {
      NetPortAttr rule = {kAccessNetBindTcp, port};
      if (syscall(SYS_landlock_add_rule, fd, kRuleNetPort, &rule, 0) < 0) { failed = LandlockStage::kRule; break; }
    }
  }
  if (failed == LandlockStage::kNone && syscall(SYS_landlock_restrict_self, fd, 0) < 0) failed = LandlockStage::kRestrict;
  int saved = errno;
  close(fd);
  errno = saved;
  return failed;
}

}  // namespace skiff
