// Two tiny BPF_PROG_TYPE_CGROUP_SOCK_ADDR programs (bind4, bind6) built by hand: no clang, no
// libbpf. seccomp cannot read bind's sockaddr and Landlock (to ABI 7) knows only TCP; these
// hooks see every explicit inet bind, UDP included. Kernels from 4.17 with a cgroup2 mount.
#include "bindguard.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "cgroup.h"

namespace skiff {
namespace {

constexpr char kLicense[] = "Apache-2.0";  // the programs call no GPL-only helper

// return ctx->user_port == 0 (an ephemeral port, as a client's bind(0) takes) ? allow : deny.
// Both hooks read the same bpf_sock_addr field; 1 allows the bind, 0 fails it with EPERM.
const bpf_insn kProgram[] = {
  {BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, offsetof(bpf_sock_addr, user_port), 0},
  {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1},
  {BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_2, 0, 1, 0},
  {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},
  {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
};

long bpf(int cmd, bpf_attr* attr) { return syscall(SYS_bpf, cmd, attr, sizeof *attr); }

int load(bpf_attach_type type) {
  bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_SOCK_ADDR;
  attr.expected_attach_type = type;
  attr.insns = reinterpret_cast<uint64_t>(kProgram);
  attr.insn_cnt = sizeof kProgram / sizeof kProgram[0];
  attr.license = reinterpret_cast<uint64_t>(kLicense);
  return static_cast<int>(bpf(BPF_PROG_LOAD, &attr));
}

// Loads and attaches one program; the attachment keeps it alive until the cgroup goes.
int attach(int cgroup_fd, bpf_attach_type type) {
  int prog = load(type);
  if (prog < 0) return -1;
  bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.target_fd = static_cast<uint32_t>(cgroup_fd);
  attr.attach_bpf_fd = static_cast<uint32_t>(prog);
  attr.attach_type = type;
  attr.attach_flags = BPF_F_ALLOW_MULTI;  // programs the host attached above us still run too
  long rc = bpf(BPF_PROG_ATTACH, &attr);
  int saved = errno;
  close(prog);
  errno = saved;
  return rc < 0 ? -1 : 0;
}

}  // namespace

int bind_guard_create(const Plan& plan, pid_t pid, CgroupDirs* cg, Failure* f) {
  if (plan.bind_guard_cgroup2_root.empty()) return 0;
  // The launch's folder on that hierarchy if it already has one (v2, or made for another use).
  const std::string prefix = plan.bind_guard_cgroup2_root + "/";
  std::string dir;
  for (const std::string& d : cg->dirs) {
    if (d.compare(0, prefix.size(), prefix) == 0) dir = d;
  }
  if (dir.empty()) {
    std::string rel = plan.cgroup.path + (plan.cgroup.append_pid ? "-" + std::to_string(pid) : "");
    if (cgroup_make_dirs(plan.bind_guard_cgroup2_root, rel) < 0) return fail(f, "bind_guard_cgroup", errno);
    dir = plan.bind_guard_cgroup2_root + "/" + rel;
    cg->dirs.push_back(dir);
  }
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(f, "bind_guard_cgroup", errno);
  int rc = attach(fd, BPF_CGROUP_INET4_BIND);
  if (rc == 0) rc = attach(fd, BPF_CGROUP_INET6_BIND);
  int saved = errno;
  close(fd);
  return rc < 0 ? fail(f, "bind_guard_bpf", saved) : 0;
}

}  // namespace skiff
