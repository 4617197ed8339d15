// Reads and checks a launch plan from JSON (nlohmann/json, built without exceptions: every access
// is type-checked first). The one check of the plan: skiff-launch's plan files and the addon's
// validatePlan/spawn both come here.
#include <sched.h>
#include <sys/mount.h>

#include <nlohmann/json.hpp>

#include "plan.h"

namespace skiff {
namespace {

using json = nlohmann::json;

// Linux limits: HOST_NAME_MAX, MAX_ERRNO, and the largest uid/gid (-1 means "unchanged" to setresuid).
constexpr size_t kHostnameMax = 64;
constexpr int64_t kErrnoMax = 4095;
constexpr int64_t kIdMax = 4294967294LL;
constexpr int64_t kSafeIntegerMax = 9007199254740991LL;  // Number.MAX_SAFE_INTEGER: plans come from JS
constexpr int64_t kDefaultCpuPeriodUs = 100000;
constexpr int64_t kCloneFlagsMax = 0xffffffffLL;  // every CLONE_NEW* is in the low 32 bits
constexpr int64_t kArgIndexMax = 5;                // seccomp sees six syscall arguments
constexpr int64_t kArgValueMax = 0xffffffffLL;     // argRules compare on 32 bits
constexpr int64_t kPortMax = 65535;

std::string join(const std::string& where, const std::string& key) {
  if (where.empty() || key.empty()) return where + key;
  return where + "." + key;
}

class Checker {
 public:
  Checker(std::string* error, const std::string& root) : error_(error), root_(root) {}
  bool failed() const { return !error_->empty(); }

  // Keeps the first failure, naming the field from the plan's root ("" names the plan itself).
  bool bad(const std::string& where, const std::string& what) {
    const std::string name = join(root_, where);
    if (error_->empty()) *error_ = name.empty() ? what : name + " " + what;
    return false;
  }

  // An absent optional field is nullptr; a present null is left to the type check to refuse.
  const json* field(const json& obj, const char* key, const std::string& where, bool required = true) {
    auto it = obj.find(key);
    if (it != obj.end()) return &*it;
    if (required) bad(join(where, key), "is missing");
    return nullptr;
  }

  bool string(const json* v, const std::string& where, std::string* out) {
    if (v == nullptr) return false;
    if (!v->is_string()) return bad(where, "must be a string");
    *out = v->get_ref<const std::string&>();
    if (out->find('\0') != std::string::npos) return bad(where, "must not contain NUL");
    return true;
  }

  bool integer(const json* v, const std::string& where, int64_t min, int64_t max, int64_t* out) {
    if (v == nullptr) return false;
    if (!v->is_number_integer()) return bad(where, "must be an integer");
    if (v->is_number_unsigned()) {
      uint64_t u = v->get<uint64_t>();
      if (u > static_cast<uint64_t>(max)) return bad(where, "is out of range");
      *out = static_cast<int64_t>(u);
    } else {
      *out = v->get<int64_t>();
    }
    if (*out < min || *out > max) return bad(where, "is out of range");
    return true;
  }

  bool strings(const json* v, const std::string& where, std::vector<std::string>* out) {
    if (v == nullptr) return false;
    if (!v->is_array()) return bad(where, "must be an array of strings");
    for (size_t i = 0; i < v->size(); i++) {
      std::string s;
      if (!string(&(*v)[i], where + "[" + std::to_string(i) + "]", &s)) return false;
      out->push_back(std::move(s));
    }
    return true;
  }

 private:
  std::string* error_;
  std::string root_;
};

// An absolute path without empty, "." or ".." components (targets are never resolved through them).
bool normalised_absolute(const std::string& p) {
  if (p.size() < 2 || p[0] != '/' || p.back() == '/') return false;
  size_t start = 1;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string::npos) end = p.size();
    std::string part = p.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

bool parse_row(Checker& c, const json& v, const std::string& where, MountRow* row) {
  if (!v.is_object()) return c.bad(where, "must be an object");
  std::string kind;
  if (!c.string(c.field(v, "kind", where), where + ".kind", &kind)) return false;
  if (kind == "tmpfs") row->kind = MountKind::kTmpfs;
  else if (kind == "bind") row->kind = MountKind::kBind;
  else if (kind == "proc") row->kind = MountKind::kProc;
  else if (kind == "mkdir") row->kind = MountKind::kMkdir;
  else if (kind == "symlink") row->kind = MountKind::kSymlink;
  else return c.bad(where + ".kind", "must be one of tmpfs, bind, proc, mkdir, symlink");
  if (!c.string(c.field(v, "source", where), where + ".source", &row->source)) return false;
  if (!c.string(c.field(v, "target", where), where + ".target", &row->target)) return false;
  if (!normalised_absolute(row->target)) return c.bad(where + ".target", "must be a normalised absolute path other than /");
  if (row->kind == MountKind::kBind && (row->source.empty() || row->source[0] != '/')) {
    return c.bad(where + ".source", "must be an absolute host path");
  }
  if (row->kind == MountKind::kSymlink && row->source.empty()) return c.bad(where + ".source", "must be the link's text");
  std::vector<std::string> flags;
  if (!c.strings(c.field(v, "flags", where), where + ".flags", &flags)) return false;
  for (const std::string& flag : flags) {
    if (flag == "ro") row->flags |= MS_RDONLY;
    else if (flag == "nosuid") row->flags |= MS_NOSUID;
    else if (flag == "nodev") row->flags |= MS_NODEV;
    else if (flag == "noexec") row->flags |= MS_NOEXEC;
    else if (flag == "rec") row->rec = true;
    else return c.bad(where + ".flags", "must hold only ro, nosuid, nodev, noexec, rec");
  }
  if (const json* data = c.field(v, "data", where, false)) {
    if (!c.string(data, where + ".data", &row->data)) return false;
  }
  if (row->kind == MountKind::kMkdir && !row->data.empty()) {
    if (row->data.size() > 4 || row->data.find_first_not_of("01234567") != std::string::npos) {
      return c.bad(where + ".data", "must be an octal mode such as 0755");
    }
  }
  if (const json* optional = c.field(v, "optional", where, false)) {
    if (!optional->is_boolean()) return c.bad(where + ".optional", "must be a boolean");
    row->optional = optional->get<bool>();
  }
  return c.string(c.field(v, "reason", where), where + ".reason", &row->reason);
}

bool parse_cgroup(Checker& c, const json& v, CgroupPlan* cg) {
  if (!v.is_object()) return c.bad("cgroup", "must be an object or null");
  int64_t version = 0;
  if (!c.integer(c.field(v, "version", "cgroup"), "cgroup.version", 1, 2, &version)) return false;
  cg->version = static_cast<int>(version);
  if (!c.string(c.field(v, "root", "cgroup"), "cgroup.root", &cg->root)) return false;
  if (!normalised_absolute(cg->root)) return c.bad("cgroup.root", "must be a normalised absolute path");
  if (!c.string(c.field(v, "path", "cgroup"), "cgroup.path", &cg->path)) return false;
  if (!normalised_absolute("/" + cg->path)) return c.bad("cgroup.path", "must be a normalised relative path");
  struct Limit { const char* key; int64_t min; int64_t max; int64_t* out; };
  const Limit limits[] = {
    {"memoryBytes", 1, kSafeIntegerMax, &cg->memory_bytes},
    {"pidsMax", 1, kSafeIntegerMax, &cg->pids_max},
    {"cpuQuotaUs", 1000, kSafeIntegerMax, &cg->cpu_quota_us},   // the kernel's minimum quota is 1 ms
    {"cpuPeriodUs", 1000, 1000000, &cg->cpu_period_us},         // and the period 1 ms to 1 s
  };
  for (const Limit& l : limits) {
    if (const json* value = c.field(v, l.key, "cgroup", false)) {
      if (!c.integer(value, std::string("cgroup.") + l.key, l.min, l.max, l.out)) return false;
    }
  }
  if (cg->cpu_quota_us > 0 && cg->cpu_period_us < 0) cg->cpu_period_us = kDefaultCpuPeriodUs;
  if (const json* append = c.field(v, "appendPid", "cgroup", false)) {
    if (!append->is_boolean()) return c.bad("cgroup.appendPid", "must be a boolean");
    cg->append_pid = append->get<bool>();
  }
  return true;
}

bool parse_arg_rule(Checker& c, const json& v, const std::string& where, SeccompPlan* sc) {
  if (!v.is_object()) return c.bad(where, "must be an object");
  ArgRule rule;
  if (!c.string(c.field(v, "syscall", where), where + ".syscall", &rule.syscall)) return false;
  const json* args = c.field(v, "args", where);
  if (args == nullptr) return false;
  if (!args->is_array() || args->empty()) return c.bad(where + ".args", "must be a non-empty array of {index, value}");
  for (size_t j = 0; j < args->size(); j++) {
    const std::string at = where + ".args[" + std::to_string(j) + "]";
    if (!(*args)[j].is_object()) return c.bad(at, "must be an object");
    int64_t index = 0, value = 0;
    if (!c.integer(c.field((*args)[j], "index", at), at + ".index", 0, kArgIndexMax, &index)) return false;
    if (!c.integer(c.field((*args)[j], "value", at), at + ".value", 0, kArgValueMax, &value)) return false;
    rule.args.emplace_back(static_cast<unsigned>(index), static_cast<uint32_t>(value));
  }
  sc->arg_rules.push_back(std::move(rule));
  return true;
}

bool parse_seccomp(Checker& c, const json& v, SeccompPlan* sc) {
  if (!v.is_object()) return c.bad("seccomp", "must be an object or null");
  std::string action;
  if (!c.string(c.field(v, "defaultAction", "seccomp"), "seccomp.defaultAction", &action)) return false;
  if (action != "errno" && action != "log") return c.bad("seccomp.defaultAction", "must be errno or log");
  sc->log = action == "log";
  int64_t err = 0;
  if (!c.integer(c.field(v, "errno", "seccomp"), "seccomp.errno", 1, kErrnoMax, &err)) return false;
  sc->errno_value = static_cast<int>(err);
  if (!c.strings(c.field(v, "allow", "seccomp"), "seccomp.allow", &sc->allow)) return false;
  const json* deny = c.field(v, "denyIoctls", "seccomp");
  if (deny == nullptr) return false;
  if (!deny->is_array()) return c.bad("seccomp.denyIoctls", "must be an array of integers");
  for (size_t i = 0; i < deny->size(); i++) {
    int64_t request = 0;
    if (!c.integer(&(*deny)[i], "seccomp.denyIoctls[" + std::to_string(i) + "]", 0, kSafeIntegerMax, &request)) return false;
    sc->deny_ioctls.push_back(static_cast<uint32_t>(request));  // the kernel reads the request as 32 bits
  }
  if (const json* by = c.field(v, "errnoBySyscall", "seccomp", false)) {
    if (!by->is_object()) return c.bad("seccomp.errnoBySyscall", "must be an object of syscall name to errno");
    for (auto it = by->begin(); it != by->end(); ++it) {
      int64_t value = 0;
      if (!c.integer(&it.value(), "seccomp.errnoBySyscall." + it.key(), 1, kErrnoMax, &value)) return false;
      sc->errno_by_syscall.emplace_back(it.key(), static_cast<int>(value));
    }
  }
  if (const json* flags = c.field(v, "denyCloneFlags", "seccomp", false)) {
    int64_t value = 0;
    if (!c.integer(flags, "seccomp.denyCloneFlags", 0, kCloneFlagsMax, &value)) return false;
    sc->deny_clone_flags = static_cast<uint32_t>(value);
  }
  if (const json* rules = c.field(v, "argRules", "seccomp", false)) {
    if (!rules->is_array()) return c.bad("seccomp.argRules", "must be an array of {syscall, args}");
    for (size_t i = 0; i < rules->size(); i++) {
      if (!parse_arg_rule(c, (*rules)[i], "seccomp.argRules[" + std::to_string(i) + "]", sc)) return false;
    }
  }
  return true;
}

bool parse_landlock(Checker& c, const json& v, LandlockPlan* ll) {
  if (!v.is_object()) return c.bad("landlock", "must be an object or null");
  std::vector<std::string> scope;
  if (!c.strings(c.field(v, "scope", "landlock"), "landlock.scope", &scope)) return false;
  for (const std::string& s : scope) {
    if (s == "abstract-unix-socket") ll->scope_abstract_unix = true;
    else if (s == "signal") ll->scope_signal = true;
    else return c.bad("landlock.scope", "must hold only abstract-unix-socket, signal");
  }
  if (const json* ports = c.field(v, "bindTcpPorts", "landlock", false)) {
    if (!ports->is_array()) return c.bad("landlock.bindTcpPorts", "must be an array of ports");
    ll->guard_bind_tcp = true;
    for (size_t i = 0; i < ports->size(); i++) {
      int64_t port = 0;
      if (!c.integer(&(*ports)[i], "landlock.bindTcpPorts[" + std::to_string(i) + "]", 0, kPortMax, &port)) return false;
      ll->bind_tcp_ports.push_back(static_cast<uint16_t>(port));
    }
  }
  return true;
}

}  // namespace

bool parse_plan(const std::string& text, Plan* plan, std::string* error, const std::string& root) {
  error->clear();
  Checker c(error, root);
  json v = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded()) return c.bad("", "is not valid JSON");
  if (!v.is_object()) return c.bad("", "must be an object");
  if (!c.strings(c.field(v, "argv", ""), "argv", &plan->argv)) return false;
  if (plan->argv.empty() || plan->argv[0].empty()) return c.bad("argv", "must name a program");
  if (!c.strings(c.field(v, "env", ""), "env", &plan->env)) return false;
  for (const std::string& e : plan->env) {
    if (e.find('=') == std::string::npos || e[0] == '=') return c.bad("env", "entries must be NAME=value");
  }
  if (!c.string(c.field(v, "cwd", ""), "cwd", &plan->cwd)) return false;
  if (plan->cwd.empty() || plan->cwd[0] != '/') return c.bad("cwd", "must be an absolute path");
  if (!c.string(c.field(v, "hostname", ""), "hostname", &plan->hostname)) return false;
  if (plan->hostname.size() > kHostnameMax) return c.bad("hostname", "is longer than 64 bytes");

  std::vector<std::string> namespaces;
  if (!c.strings(c.field(v, "namespaces", ""), "namespaces", &namespaces)) return false;
  bool mount_ns = false;
  for (const std::string& ns : namespaces) {
    if (ns == "mount") { plan->clone_flags |= CLONE_NEWNS; mount_ns = true; }
    else if (ns == "pid") plan->clone_flags |= CLONE_NEWPID;
    else if (ns == "ipc") plan->clone_flags |= CLONE_NEWIPC;
    else if (ns == "uts") { plan->clone_flags |= CLONE_NEWUTS; plan->new_uts_ns = true; }
    else if (ns == "net") { plan->clone_flags |= CLONE_NEWNET; plan->new_net_ns = true; }
    else if (ns == "cgroup") plan->new_cgroup_ns = true;
    else return c.bad("namespaces", "must hold only mount, pid, ipc, uts, cgroup, net");
  }
  // The new root is built by mounts that must never reach the host's namespace.
  if (!mount_ns) return c.bad("namespaces", "must include mount");

  const json* mounts = c.field(v, "mounts", "");
  if (mounts == nullptr) return false;
  if (!mounts->is_array()) return c.bad("mounts", "must be an array");
  for (size_t i = 0; i < mounts->size(); i++) {
    MountRow row;
    if (!parse_row(c, (*mounts)[i], "mounts[" + std::to_string(i) + "]", &row)) return false;
    plan->mounts.push_back(std::move(row));
  }
  int64_t id = 0;
  if (!c.integer(c.field(v, "uid", ""), "uid", 0, kIdMax, &id)) return false;
  plan->uid = static_cast<uid_t>(id);
  if (!c.integer(c.field(v, "gid", ""), "gid", 0, kIdMax, &id)) return false;
  plan->gid = static_cast<gid_t>(id);

  const json* cgroup = c.field(v, "cgroup", "");
  if (cgroup == nullptr) return false;
  plan->has_cgroup = !cgroup->is_null();
  if (plan->has_cgroup && !parse_cgroup(c, *cgroup, &plan->cgroup)) return false;
  const json* seccomp = c.field(v, "seccomp", "");
  if (seccomp == nullptr) return false;
  plan->has_seccomp = !seccomp->is_null();
  if (plan->has_seccomp && !parse_seccomp(c, *seccomp, &plan->seccomp)) return false;
  // Both optional (absent or null): plans saved before they existed still run.
  const json* landlock = c.field(v, "landlock", "", false);
  plan->has_landlock = landlock != nullptr && !landlock->is_null();
  if (plan->has_landlock && !parse_landlock(c, *landlock, &plan->landlock)) return false;
  const json* guard = c.field(v, "bindGuard", "", false);
  if (guard != nullptr && !guard->is_null()) {
    if (!guard->is_object()) return c.bad("bindGuard", "must be an object or null");
    if (!c.string(c.field(*guard, "cgroup2Root", "bindGuard"), "bindGuard.cgroup2Root", &plan->bind_guard_cgroup2_root)) return false;
    if (!normalised_absolute(plan->bind_guard_cgroup2_root)) return c.bad("bindGuard.cgroup2Root", "must be a normalised absolute path");
    if (!plan->has_cgroup) return c.bad("bindGuard", "needs a cgroup (its folder is named after plan.cgroup.path)");
  }
  return !c.failed();
}

}  // namespace skiff
