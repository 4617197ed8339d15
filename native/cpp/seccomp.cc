// libseccomp does the compiling; we only export the BPF into memory for the child to load.
#include "seccomp.h"

#include <errno.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <vector>

namespace skiff {
namespace {

// Requests that reach another terminal's input or the console: denied whatever the plan says.
constexpr uint32_t kAlwaysDeniedIoctls[] = {TIOCSTI, TIOCLINUX};
// The ioctl request compared on its low 32 bits only: the kernel truncates it (CVE-2019-7303).
constexpr uint64_t kIoctlRequestMask = 0xffffffffULL;

class Filter {
 public:
  explicit Filter(uint32_t default_action) : ctx_(seccomp_init(default_action)) {}
  ~Filter() { if (ctx_ != nullptr) seccomp_release(ctx_); }
  Filter(const Filter&) = delete;
  Filter& operator=(const Filter&) = delete;
  scmp_filter_ctx get() const { return ctx_; }

 private:
  scmp_filter_ctx ctx_;
};

// seccomp_export_bpf writes to a descriptor (libseccomp 2.5 has no in-memory export): use a memfd.
int export_bpf(scmp_filter_ctx ctx, BpfProgram* out, Failure* f) {
  int fd = memfd_create("skiff-seccomp", MFD_CLOEXEC);
  if (fd < 0) return fail(f, "seccomp_export", errno);
  int rc = seccomp_export_bpf(ctx, fd);
  struct stat st;
  if (rc == 0 && fstat(fd, &st) < 0) rc = -errno;
  if (rc == 0 && (st.st_size == 0 || st.st_size % sizeof(sock_filter) != 0)) rc = -EINVAL;
  if (rc == 0) {
    out->code.resize(static_cast<size_t>(st.st_size) / sizeof(sock_filter));
    ssize_t n = pread(fd, out->code.data(), static_cast<size_t>(st.st_size), 0);
    if (n != st.st_size) rc = n < 0 ? -errno : -EIO;
  }
  close(fd);
  return rc < 0 ? fail(f, "seccomp_export", -rc) : 0;
}

// A balanced tree of syscall numbers instead of a linear chain: a few comparisons per syscall
// rather than hundreds, paid by every syscall the app makes (libseccomp >= 2.5).
constexpr uint32_t kOptimizeBinaryTree = 2;

// Anything not of this architecture (32-bit compat calls, x32) kills the process: the
// allowlist names only native syscalls.
int restrict_arch(scmp_filter_ctx ctx, Failure* f) {
  int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  return rc < 0 ? fail(f, "seccomp_arch", -rc) : 0;
}

int compile_guard(const SeccompPlan& plan, BpfProgram* out, Failure* f) {
  Filter guard(SCMP_ACT_ALLOW);
  if (guard.get() == nullptr) return fail(f, "seccomp_init", ENOMEM);
  if (restrict_arch(guard.get(), f) < 0) return -1;
  std::vector<uint32_t> denied(std::begin(kAlwaysDeniedIoctls), std::end(kAlwaysDeniedIoctls));
  denied.insert(denied.end(), plan.deny_ioctls.begin(), plan.deny_ioctls.end());
  // Deny even in devmode: these requests are escapes, not permissions an app could need.
  const uint32_t action = SCMP_ACT_ERRNO(static_cast<uint16_t>(plan.errno_value));
  for (uint32_t request : denied) {
    int rc = seccomp_rule_add(guard.get(), action, SCMP_SYS(ioctl), 1,
                              SCMP_A1(SCMP_CMP_MASKED_EQ, kIoctlRequestMask, request));
    if (rc < 0 && rc != -EEXIST) return fail(f, "seccomp_rule_add", -rc);
  }
  return export_bpf(guard.get(), out, f);
}

// Allows syscall nr when every argument of the rule equals its value on the low 32 bits (an int
// argument's upper half is whatever the caller left in the register).
int add_arg_rule(scmp_filter_ctx ctx, int nr, const ArgRule& rule, Failure* f) {
  constexpr uint64_t kIntMask = 0xffffffffULL;
  std::vector<scmp_arg_cmp> cmps;
  for (const auto& [index, value] : rule.args) {
    cmps.push_back(scmp_arg_cmp{index, SCMP_CMP_MASKED_EQ, kIntMask, value});
  }
  int rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, static_cast<unsigned>(cmps.size()), cmps.data());
  return rc < 0 && rc != -EEXIST ? fail(f, "seccomp_rule_add", -rc) : 0;
}

int compile_allowlist(const SeccompPlan& plan, BpfProgram* out, Failure* f) {
  const uint32_t default_action = plan.log ? SCMP_ACT_LOG : SCMP_ACT_ERRNO(static_cast<uint16_t>(plan.errno_value));
  Filter allow(default_action);
  if (allow.get() == nullptr) return fail(f, "seccomp_init", ENOMEM);
  if (restrict_arch(allow.get(), f) < 0) return -1;
  int rc = seccomp_attr_set(allow.get(), SCMP_FLTATR_CTL_OPTIMIZE, kOptimizeBinaryTree);
  if (rc < 0) return fail(f, "seccomp_optimize", -rc);
  // Syscalls with an errno of their own come first and are never also allowed.
  std::set<int> own_errno;
  for (const auto& [name, err] : plan.errno_by_syscall) {
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr < 0) continue;
    own_errno.insert(nr);
    // libseccomp refuses a rule equal to the default action: the default already does it.
    const uint32_t action = SCMP_ACT_ERRNO(static_cast<uint16_t>(err));
    if (action == default_action) continue;
    rc = seccomp_rule_add(allow.get(), action, nr, 0);
    if (rc < 0 && rc != -EEXIST) return fail(f, "seccomp_rule_add", -rc);
  }
  // Syscalls with argument rules are allowed by those rules alone.
  std::set<int> by_args;
  for (const ArgRule& rule : plan.arg_rules) {
    int nr = seccomp_syscall_resolve_name(rule.syscall.c_str());
    if (nr < 0 || own_errno.count(nr) != 0) continue;
    by_args.insert(nr);
    if (add_arg_rule(allow.get(), nr, rule, f) < 0) return -1;
  }
  const int clone_nr = seccomp_syscall_resolve_name("clone");
  for (const std::string& name : plan.allow) {
    int nr = seccomp_syscall_resolve_name(name.c_str());
    // Unknown here (__NR_SCMP_ERROR) or only a pseudo-number for another ABI: skipped, as the plan allows.
    if (nr < 0 || own_errno.count(nr) != 0 || by_args.count(nr) != 0) continue;
    if (nr == clone_nr && plan.deny_clone_flags != 0) {
      // clone allowed only without the denied flags (its first argument here); otherwise the default.
      rc = seccomp_rule_add(allow.get(), SCMP_ACT_ALLOW, nr, 1, SCMP_A0(SCMP_CMP_MASKED_EQ, plan.deny_clone_flags, 0));
    } else {
      rc = seccomp_rule_add(allow.get(), SCMP_ACT_ALLOW, nr, 0);
    }
    if (rc < 0 && rc != -EEXIST) return fail(f, "seccomp_rule_add", -rc);
  }
  return export_bpf(allow.get(), out, f);
}

}  // namespace

int compile_seccomp(const SeccompPlan& plan, std::vector<BpfProgram>* out, Failure* f) {
  out->clear();
  out->resize(2);
  if (compile_guard(plan, &(*out)[0], f) < 0) return -1;
  return compile_allowlist(plan, &(*out)[1], f);
}

}  // namespace skiff
