// The child's side of a launch, from clone to execve. Only async-signal-safe calls: the parent
// may be a multi-threaded Node process whose locks (malloc, stdio) are in any state here.
// Each step is one line with why; a failure reports {step, errno, row} and exits 127.
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <limits.h>

#include "init.h"
#include "landlock.h"
#include "launch.h"

namespace skiff {
namespace {

enum Step : int32_t {
  kWaitParent, kStdio, kUnshareCgroup, kMakeSlave, kOpenSource, kRootTmpfs, kPivotRoot,
  kBind, kRemountBind, kTmpfs, kProc, kMkdir, kSymlink, kUmountOldRoot, kRemountRoot,
  kLoopback, kSethostname, kCloseFds, kSetsid, kCapbsetDrop, kAmbientClear, kSetgroups,
  kSetresgid, kSetresuid, kPdeathsig, kCapset, kChdir, kNoNewPrivs, kLandlockRuleset, kLandlockRule,
  kLandlockRestrict, kSeccomp, kCloneApp, kExecve, kPlaceNotify, kStepCount,
};

const char* const kStepNames[kStepCount] = {
  "wait_parent", "stdio", "unshare_cgroup", "make_slave", "bind", "root_tmpfs", "pivot_root",
  "bind", "remount_bind", "tmpfs", "proc", "mkdir", "symlink", "umount_oldroot", "remount_root",
  "loopback", "sethostname", "close_fds", "setsid", "capbset_drop", "ambient_clear", "setgroups",
  "setresgid", "setresuid", "pdeathsig", "capset", "chdir", "no_new_privs", "landlock_ruleset", "landlock_rule",
  "landlock_restrict", "seccomp", "clone_app", "execve", "notify_fd",
};

// The new root is built on a tmpfs mounted here (inside our own mount namespace only), and the
// host's root is kept at /.oldroot until the mount table is done.
constexpr const char* kStaging = "/tmp";
constexpr const char* kStagingOldRoot = "/tmp/.oldroot";
constexpr const char* kOldRoot = "/.oldroot";
constexpr const char* kOldRootFdPrefix = "/.oldroot/proc/self/fd/";
// The root holds only mount points and small files the table creates.
constexpr const char* kRootTmpfsOptions = "mode=0755,size=1m,nr_inodes=4096";
constexpr mode_t kDirMode = 0755;
constexpr mode_t kFileMode = 0644;
constexpr mode_t kAppUmask = 022;
// Flags a bind remount must keep from the mount it copies (statfs reports them as ST_*).
constexpr unsigned long kKeptMountFlags = MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME;

int g_report_fd = -1;
// Where a service finds its readiness pipe (SKIFF_NOTIFY_FD); 3 is also the first descriptor closed otherwise.
constexpr int kAppNotifyFd = 3;

[[noreturn]] void die(Step step, int err, int row = -1) {
  ChildReport r = {step, err, row};
  ssize_t ignored = write(g_report_fd, &r, sizeof r);
  (void)ignored;
  _exit(kExitLaunchFailed);
}

// "/.oldroot/proc/self/fd/<fd>": a path that names exactly the object fd was opened on.
void fd_path(int fd, char* buf, size_t cap) {
  size_t len = strlen(kOldRootFdPrefix);
  memcpy(buf, kOldRootFdPrefix, len);
  char digits[16];
  int n = 0;
  unsigned v = static_cast<unsigned>(fd);
  do { digits[n++] = static_cast<char>('0' + v % 10); v /= 10; } while (v != 0 && n < 15);
  while (n > 0 && len + 1 < cap) buf[len++] = digits[--n];
  buf[len] = '\0';
}

enum class Create { kNone, kDir, kFile };

// Opens the parent folder of `target` (absolute, inside the new root) one component at a time
// with O_NOFOLLOW, creating missing folders: no symlink in the new root can redirect a mount
// outside it (runc CVE-2021-30465). `name` receives the last component, inside `buf`.
int open_parent(const char* target, char* buf, size_t cap, const char** name) {
  size_t len = strlen(target);
  if (len + 1 > cap) { errno = ENAMETOOLONG; return -1; }
  memcpy(buf, target, len + 1);
  int dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return -1;
  char* part = buf + 1;  // targets are absolute and normalised (checked when parsed)
  for (char* slash = strchr(part, '/'); slash != nullptr; slash = strchr(part, '/')) {
    *slash = '\0';
    int next = openat(dir, part, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0 && errno == ENOENT) {
      if (mkdirat(dir, part, kDirMode) < 0 && errno != EEXIST) { close(dir); return -1; }
      next = openat(dir, part, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    int saved = errno;
    close(dir);
    if (next < 0) { errno = saved == ENOTDIR ? ELOOP : saved; return -1; }
    dir = next;
    part = slash + 1;
  }
  *name = part;
  return dir;
}

// Opens target as an O_PATH descriptor, creating it as a folder or an empty file first, and
// refuses a symlink or the wrong type in its place.
int open_target(const char* target, Create create) {
  char buf[PATH_MAX];
  const char* name = nullptr;
  int dir = open_parent(target, buf, sizeof buf, &name);
  if (dir < 0) return -1;
  if (create == Create::kDir && mkdirat(dir, name, kDirMode) < 0 && errno != EEXIST) { close(dir); return -1; }
  if (create == Create::kFile && mknodat(dir, name, S_IFREG | kFileMode, 0) < 0 && errno != EEXIST) { close(dir); return -1; }
  int fd = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  int saved = errno;
  close(dir);
  if (fd < 0) { errno = saved; return -1; }
  struct stat st;
  if (fstat(fd, &st) < 0) { saved = errno; close(fd); errno = saved; return -1; }
  int wrong = 0;
  if (S_ISLNK(st.st_mode)) wrong = ELOOP;
  else if (create == Create::kDir && !S_ISDIR(st.st_mode)) wrong = ENOTDIR;
  else if (create == Create::kFile && S_ISDIR(st.st_mode)) wrong = EISDIR;
  if (wrong != 0) { close(fd); errno = wrong; return -1; }
  return fd;
}

// mount(2) onto the object `target_fd` was opened on, never re-resolving the path.
int mount_on(const char* source, int target_fd, const char* fstype, unsigned long flags, const char* data) {
  char path[64];
  fd_path(target_fd, path, sizeof path);
  return mount(source, path, fstype, flags, data);
}

// mount_setattr(AT_RECURSIVE) with the MS_* flags a row asks for (kernels from 5.12; ENOSYS before).
int set_attr_recursive(int fd, unsigned long flags) {
  struct mount_attr attr;
  memset(&attr, 0, sizeof attr);
  if (flags & MS_RDONLY) attr.attr_set |= MOUNT_ATTR_RDONLY;
  if (flags & MS_NOSUID) attr.attr_set |= MOUNT_ATTR_NOSUID;
  if (flags & MS_NODEV) attr.attr_set |= MOUNT_ATTR_NODEV;
  if (flags & MS_NOEXEC) attr.attr_set |= MOUNT_ATTR_NOEXEC;
  return static_cast<int>(syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr));
}

void bind_row(const Prepared& p, size_t i) {
  const MountRow& row = p.plan.mounts[i];
  int row_index = static_cast<int>(i);
  int source = p.source_fds[i];
  if (source < 0) return;  // an optional source missing on this host
  struct stat st;
  if (fstat(source, &st) < 0) die(kBind, errno, row_index);
  int target = open_target(row.target.c_str(), S_ISDIR(st.st_mode) ? Create::kDir : Create::kFile);
  if (target < 0) die(kBind, errno, row_index);
  char source_path[64];
  fd_path(source, source_path, sizeof source_path);
  if (mount_on(source_path, target, nullptr, MS_BIND | (row.rec ? MS_REC : 0), nullptr) < 0) die(kBind, errno, row_index);
  close(target);
  if (row.flags == 0) return;
  // A bind copies the source's flags; ro/nosuid/nodev/noexec need a remount of the new mount,
  // which keeps the flags the source had (the kernel refuses to clear locked ones).
  int mounted = open_target(row.target.c_str(), Create::kNone);
  if (mounted < 0) die(kRemountBind, errno, row_index);
  struct statfs sfs;
  if (fstatfs(mounted, &sfs) < 0) die(kRemountBind, errno, row_index);
  unsigned long kept = static_cast<unsigned long>(sfs.f_flags) & kKeptMountFlags;
  if (mount_on(nullptr, mounted, nullptr, MS_REMOUNT | MS_BIND | row.flags | kept, nullptr) < 0) {
    die(kRemountBind, errno, row_index);
  }
  // A remount changes the top mount only: the submounts of a recursive bind get the flags too.
  if (row.rec && set_attr_recursive(mounted, row.flags) < 0 && errno != ENOSYS) die(kRemountBind, errno, row_index);
  close(mounted);
}

void mkdir_row(const MountRow& row, int row_index) {
  mode_t mode = kDirMode;
  if (!row.data.empty()) {
    mode = 0;
    for (char c : row.data) mode = static_cast<mode_t>(mode * 8 + static_cast<mode_t>(c - '0'));
  }
  char buf[PATH_MAX];
  const char* name = nullptr;
  int dir = open_parent(row.target.c_str(), buf, sizeof buf, &name);
  if (dir < 0) die(kMkdir, errno, row_index);
  if (mkdirat(dir, name, mode) < 0 && errno != EEXIST) die(kMkdir, errno, row_index);
  struct stat st;
  if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0) die(kMkdir, errno, row_index);
  if (!S_ISDIR(st.st_mode)) die(kMkdir, ENOTDIR, row_index);
  // The mode exactly as asked (sticky /tmp, say), not as the umask left it.
  if (fchmodat(dir, name, mode, 0) < 0) die(kMkdir, errno, row_index);
  close(dir);
}

void symlink_row(const MountRow& row, int row_index) {
  char buf[PATH_MAX];
  const char* name = nullptr;
  int dir = open_parent(row.target.c_str(), buf, sizeof buf, &name);
  if (dir < 0) die(kSymlink, errno, row_index);
  if (symlinkat(row.source.c_str(), dir, name) < 0) die(kSymlink, errno, row_index);
  close(dir);
}

void run_mount_table(const Prepared& p) {
  for (size_t i = 0; i < p.plan.mounts.size(); i++) {
    const MountRow& row = p.plan.mounts[i];
    int row_index = static_cast<int>(i);
    switch (row.kind) {
      case MountKind::kBind:
        bind_row(p, i);
        break;
      case MountKind::kTmpfs: {
        int target = open_target(row.target.c_str(), Create::kDir);
        if (target < 0) die(kTmpfs, errno, row_index);
        const char* data = row.data.empty() ? nullptr : row.data.c_str();
        if (mount_on("tmpfs", target, "tmpfs", row.flags, data) < 0) die(kTmpfs, errno, row_index);
        close(target);
        break;
      }
      case MountKind::kProc: {
        // A proc of the new pid namespace: the app sees only its own processes.
        int target = open_target(row.target.c_str(), Create::kDir);
        if (target < 0) die(kProc, errno, row_index);
        if (mount_on("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC | row.flags, nullptr) < 0) die(kProc, errno, row_index);
        close(target);
        break;
      }
      case MountKind::kMkdir:
        mkdir_row(row, row_index);
        break;
      case MountKind::kSymlink:
        symlink_row(row, row_index);
        break;
    }
  }
}

int loopback_up() {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, "lo", 3);
  int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
  if (rc == 0) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    rc = ioctl(s, SIOCSIFFLAGS, &ifr);
  }
  int saved = errno;
  close(s);
  errno = saved;
  return rc;
}

// Closes [from, to] (to may be ~0U); false only when close_range exists and fails.
bool close_span(unsigned from, unsigned to, bool* have_close_range) {
  if (from > to || !*have_close_range) return true;
  if (close_range(from, to, 0) == 0) return true;
  if (errno != ENOSYS) return false;
  *have_close_range = false;
  return true;
}

int close_other_fds(int keep_a, int keep_b, unsigned first) {
  // Everything from `first` on but our two pipes: a leaked descriptor is an escape (runc CVE-2024-21626).
  unsigned lo = static_cast<unsigned>(keep_a < keep_b ? keep_a : keep_b);
  unsigned hi = static_cast<unsigned>(keep_a < keep_b ? keep_b : keep_a);
  bool have_close_range = true;
  if (!close_span(first, lo - 1, &have_close_range) || !close_span(lo + 1, hi - 1, &have_close_range) ||
      !close_span(hi + 1, ~0U, &have_close_range)) return -1;
  if (have_close_range) return 0;
  struct rlimit lim;  // kernels before 5.9: close them one by one
  if (getrlimit(RLIMIT_NOFILE, &lim) < 0) return -1;
  for (rlim_t fd = first; fd < lim.rlim_cur; fd++) {
    if (static_cast<int>(fd) != keep_a && static_cast<int>(fd) != keep_b) close(static_cast<int>(fd));
  }
  return 0;
}

// Moves our own pipes off kAppNotifyFd, then puts the notify pipe there, inheritable.
int place_notify_fd(int notify, int* status_write) {
  for (int* fd : {&g_report_fd, status_write}) {
    if (*fd != kAppNotifyFd) continue;
    int moved = fcntl(*fd, F_DUPFD_CLOEXEC, kAppNotifyFd + 1);
    if (moved < 0) return -1;
    close(*fd);
    *fd = moved;
  }
  if (notify == kAppNotifyFd) return fcntl(notify, F_SETFD, 0);  // dup2 onto itself would keep CLOEXEC
  return dup2(notify, kAppNotifyFd) < 0 ? -1 : 0;
}

int drop_bounding_set() {
  for (int cap = 0;; cap++) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) return errno == EINVAL ? 0 : -1;  // EINVAL: past the last cap
  }
}

int clear_capabilities() {
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
  memset(data, 0, sizeof data);
  return static_cast<int>(syscall(SYS_capset, &header, data));
}

}  // namespace

const char* child_step_name(int32_t step) {
  return step >= 0 && step < kStepCount ? kStepNames[step] : "unknown";
}

void child_main(Prepared* p, const ChildFds& fds) {
  const Plan& plan = p->plan;
  g_report_fd = fds.report_write;
  close(fds.release_write);  // so a parent that dies leaves us reading EOF, not waiting forever
  close(fds.report_read);

  // The parent's handlers and ignored signals must not reach the app; then unblock all.
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, nullptr);  // glibc-reserved ones fail harmlessly
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);

  // stdio: copy above 2 first, so a permutation of 0-2 cannot overwrite itself.
  int copies[3];
  for (int i = 0; i < 3; i++) {
    copies[i] = fcntl(fds.stdio[i], F_DUPFD_CLOEXEC, 3);
    if (copies[i] < 0) die(kStdio, errno);
  }
  for (int i = 0; i < 3; i++) {
    if (dup2(copies[i], i) < 0) die(kStdio, errno);
  }
  umask(kAppUmask);

  // Wait until the parent has put us in our cgroup: nothing runs outside the limits.
  char go = 0;
  ssize_t n;
  do { n = read(fds.release_read, &go, 1); } while (n < 0 && errno == EINTR);
  if (n != 1) _exit(kExitLaunchFailed);  // the parent gave up on us: it reports the reason itself
  close(fds.release_read);

  // Now the cgroup namespace is rooted at our own cgroup, not the parent's.
  if (plan.new_cgroup_ns && unshare(CLONE_NEWCGROUP) < 0) die(kUnshareCgroup, errno);
  // Slave: host mounts and unmounts still reach us, nothing we mount reaches the host.
  if (mount(nullptr, "/", nullptr, MS_SLAVE | MS_REC, nullptr) < 0) die(kMakeSlave, errno);
  // Bind sources are host paths: open them before anything is mounted over the host's tree.
  for (size_t i = 0; i < plan.mounts.size(); i++) {
    const MountRow& row = plan.mounts[i];
    if (row.kind != MountKind::kBind) continue;
    p->source_fds[i] = open(row.source.c_str(), O_PATH | O_CLOEXEC);
    if (p->source_fds[i] < 0 && !(errno == ENOENT && row.optional)) die(kOpenSource, errno, static_cast<int>(i));
  }
  // The new root: an empty tmpfs of our own.
  if (mount("tmpfs", kStaging, "tmpfs", MS_NOSUID | MS_NODEV, kRootTmpfsOptions) < 0) die(kRootTmpfs, errno);
  if (mkdir(kStagingOldRoot, 0700) < 0) die(kRootTmpfs, errno);
  // pivot_root, not chroot: the host's root is then a mount we can detach, not a path to climb to.
  if (syscall(SYS_pivot_root, kStaging, kStagingOldRoot) < 0) die(kPivotRoot, errno);
  if (chdir("/") < 0) die(kPivotRoot, errno);
  // The plan's mount table, in order, onto targets resolved without following symlinks.
  run_mount_table(*p);
  // Detach the host's root: from here on nothing of the host is reachable but what was bound.
  if (umount2(kOldRoot, MNT_DETACH) < 0) die(kUmountOldRoot, errno);
  if (rmdir(kOldRoot) < 0) die(kUmountOldRoot, errno);
  // The root itself read-only: the app can add nothing beside the mounts it was given.
  if (mount(nullptr, "/", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) < 0) die(kRemountRoot, errno);
  // A new network namespace has only `lo`, and down: bring it up so loopback works inside.
  if (plan.new_net_ns && loopback_up() < 0) die(kLoopback, errno);
  // Our own hostname, in our own uts namespace only.
  if (plan.new_uts_ns && !plan.hostname.empty() && sethostname(plan.hostname.data(), plan.hostname.size()) < 0) {
    die(kSethostname, errno);
  }
  // The readiness pipe (services: skiff-shim) becomes fd 3, the one descriptor the app gets beside stdio.
  int status_write = fds.status_write;
  if (fds.notify >= 0 && place_notify_fd(fds.notify, &status_write) < 0) die(kPlaceNotify, errno);
  if (close_other_fds(g_report_fd, status_write, fds.notify >= 0 ? kAppNotifyFd + 1 : kAppNotifyFd) < 0) die(kCloseFds, errno);
  // A new session without a terminal: TIOCSTI cannot reach the outer terminal (bwrap CVE-2017-5226).
  if (setsid() < 0) die(kSetsid, errno);
  // Bounding and ambient sets first, while we still hold CAP_SETPCAP: exec can never regain them.
  if (drop_bounding_set() < 0) die(kCapbsetDrop, errno);
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) die(kAmbientClear, errno);
  // The app's own user and group, and no supplementary groups of ours. Raw syscalls: glibc's
  // wrappers would try to change the ids of every thread the parent had, which do not exist here.
  if (syscall(SYS_setgroups, 0, nullptr) < 0) die(kSetgroups, errno);
  if (syscall(SYS_setresgid, plan.gid, plan.gid, plan.gid) < 0) die(kSetresgid, errno);
  if (syscall(SYS_setresuid, plan.uid, plan.uid, plan.uid) < 0) die(kSetresuid, errno);
  // If the launcher (or skiff) dies, so does the app: no orphan outside supervision. Set after
  // the uid change, which clears it; the release above proved the parent was alive.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) die(kPdeathsig, errno);
  // Every capability gone from the effective, permitted and inheritable sets (also for uid 0).
  if (clear_capabilities() < 0) die(kCapset, errno);
  // As the app's user, so the folder's permissions apply to it.
  if (chdir(plan.cwd.c_str()) < 0) die(kChdir, errno);
  // No setuid binary or file capability can raise privileges again; seccomp requires it too.
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die(kNoNewPrivs, errno);
  // Landlock before seccomp, whose allowlist need not name its syscalls: the host's abstract
  // sockets and processes out of reach, inet TCP binds guarded, as far as this kernel's ABI goes.
  if (plan.has_landlock) {
    LandlockStage failed = landlock_enter(plan.landlock);
    if (failed == LandlockStage::kRuleset) die(kLandlockRuleset, errno);
    if (failed == LandlockStage::kRule) die(kLandlockRule, errno);
    if (failed == LandlockStage::kRestrict) die(kLandlockRestrict, errno);
  }
  // The filters last, so none of the steps above needs to be allowed by them.
  for (sock_fprog& prog : p->programs) {
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0) die(kSeccomp, errno);
  }
  // We stay as the sandbox's pid 1 (init.cc says why) and the app runs as our child, under every
  // step above. Signals are blocked first so none sent meanwhile is lost: the init takes them in turn.
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  // A raw clone, not fork(): glibc's fork takes locks that other threads of the launching process may hold.
  pid_t app = static_cast<pid_t>(syscall(SYS_clone, SIGCHLD, nullptr, nullptr, nullptr, nullptr));
  if (app < 0) die(kCloneApp, errno);
  if (app == 0) {
    sigprocmask(SIG_SETMASK, &none, nullptr);  // the app starts with nothing blocked, as reset above
    execve(p->argv[0], p->argv.data(), p->envp.data());
    die(kExecve, errno);
  }
  // The init keeps no copy of the report pipe: the launcher reads EOF once the app has exec'd.
  close(g_report_fd);
  run_init(app, status_write);
}

}  // namespace skiff
