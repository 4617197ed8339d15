// skiff-shim: the parent of one service, started detached (its own session) so that it outlives
// whoever started it (the agent). It runs the service from a launch plan as skiff-launch would,
// writes its output into a rotated log, and records under --state:
//   status.json  pids, start times, cgroup, readiness and finally the exit status (atomic renames);
//   control      a unix socket: each client is sent "running"/"ready" lines, may send "stop";
//                a client sees the connection close when the shim has exited (no polling).
// Stop ("stop" or SIGTERM): SIGTERM to the service, SIGKILL to its whole cgroup after --stop-timeout-ms.
// Its own stdout gets one line, "running <pid>" or "failed <why>", then /dev/null.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "launch.h"
#include "plan.h"
#include "shim_log.h"
#include "shim_record.h"

namespace {

using skiff::kExitLaunchFailed;
constexpr size_t kMaxPlanBytes = 4 * 1024 * 1024;
constexpr size_t kMaxClients = 16;       // the agent, a CLI or two: more are refused
constexpr size_t kReadChunk = 64 * 1024;
constexpr const char* kNotifyEnv = "SKIFF_NOTIFY_FD=3";
// How long a v1 freeze may take to settle before the kill goes ahead anyway: 100 x 10 ms.
constexpr int kFreezeTries = 100;
constexpr long kFreezeRetryNs = 10 * 1000 * 1000;

struct Options {
  std::string state, log, plan;
  size_t log_max_bytes = 1024 * 1024;
  int log_files = 5;
  long stop_timeout_ms = 30000;
  bool notify = false;
};

[[noreturn]] void usage(const char* why) {
  fprintf(stderr, "skiff-shim: %s\nusage: skiff-shim --state DIR --log DIR [--log-max-bytes N] [--log-files N] "
          "[--stop-timeout-ms N] [--notify] PLAN.json\n", why);
  exit(kExitLaunchFailed);
}

long number_arg(const char* name, const char* text, long min) {
  char* end = nullptr;
  long v = strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || v < min) usage((std::string(name) + " must be an integer >= " + std::to_string(min)).c_str());
  return v;
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    bool has_value = i + 1 < argc;
    if (a == "--notify") o.notify = true;
    else if (a == "--state" && has_value) o.state = argv[++i];
    else if (a == "--log" && has_value) o.log = argv[++i];
    else if (a == "--log-max-bytes" && has_value) o.log_max_bytes = static_cast<size_t>(number_arg("--log-max-bytes", argv[++i], 4096));
    else if (a == "--log-files" && has_value) o.log_files = static_cast<int>(number_arg("--log-files", argv[++i], 1));
    else if (a == "--stop-timeout-ms" && has_value) o.stop_timeout_ms = number_arg("--stop-timeout-ms", argv[++i], 1);
    else if (a[0] != '-' && o.plan.empty()) o.plan = a;
    else usage(("unknown or incomplete argument " + a).c_str());
  }
  if (o.state.empty() || o.log.empty() || o.plan.empty()) usage("--state, --log and PLAN.json are required");
  return o;
}

bool read_plan(const std::string& path, std::string* out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || out->size() + static_cast<size_t>(n) > kMaxPlanBytes) { close(fd); return false; }
    out->append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return true;
}

int listen_control(const std::string& path) {
  sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) { errno = ENAMETOOLONG; return -1; }
  memcpy(addr.sun_path, path.c_str(), path.size());
  unlink(path.c_str());  // a dead shim's socket
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 || chmod(path.c_str(), 0600) < 0 || listen(fd, 8) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void say(int fd, const char* line) {
  ssize_t ignored = write(fd, line, strlen(line));  // a client that does not read loses lines, never blocks us
  (void)ignored;
}

bool write_small(const std::string& path, const char* text) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = write(fd, text, strlen(text)) == static_cast<ssize_t>(strlen(text));
  close(fd);
  return ok;
}

// v1 has no cgroup.kill: the service is frozen first, so no pid listed in cgroup.procs can exit and be
// reused by another process before its SIGKILL; thawed afterwards, the frozen processes die.
bool freeze_v1(const std::string& freezer) {
  if (!write_small(freezer + "/freezer.state", "FROZEN")) return false;
  for (int i = 0; i < kFreezeTries; i++) {
    char state[16] = {0};
    int fd = open((freezer + "/freezer.state").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    ssize_t n = read(fd, state, sizeof state - 1);
    close(fd);
    if (n > 0 && strncmp(state, "FROZEN", 6) == 0) return true;
    struct timespec pause = {0, kFreezeRetryNs};
    nanosleep(&pause, nullptr);
  }
  return false;
}

// The service's whole cgroup: cgroup.kill where the folder has it (v2), else each process it lists,
// frozen; SIGKILL to the sandbox's init (our own unreaped child) ends its pid namespace as well.
void kill_cgroup(pid_t init, const skiff::CgroupDirs& cg) {
  kill(init, SIGKILL);
  std::string freezer;
  for (const std::string& dir : cg.dirs) if (dir.find("/freezer/") != std::string::npos) freezer = dir;
  bool frozen = !freezer.empty() && freeze_v1(freezer);
  for (const std::string& dir : cg.dirs) {
    if (write_small(dir + "/cgroup.kill", "1")) continue;
    // Unfrozen, a listed pid could be reused before its kill: the init's death ends them all anyway.
    if (!frozen) continue;
    FILE* procs = fopen((dir + "/cgroup.procs").c_str(), "re");
    if (!procs) continue;
    int pid;
    while (fscanf(procs, "%d", &pid) == 1) kill(pid, SIGKILL);
    fclose(procs);
  }
  if (frozen) write_small(freezer + "/freezer.state", "THAWED");
}

}  // namespace

int main(int argc, char** argv) {
  Options opt = parse_args(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  setsid();  // its own session: no terminal, no process group of the caller's to be killed with
  if (geteuid() != 0) usage("needs root: confined launches are root-only for now");
  skiff::ServiceRecord record(opt.state);
  auto give_up = [&](const std::string& why) {
    record.fail_launch(why);
    printf("failed %s\n", why.c_str());
    fflush(stdout);
    exit(kExitLaunchFailed);
  };

  sigset_t handled;
  sigemptyset(&handled);
  for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&handled, sig);
  sigprocmask(SIG_BLOCK, &handled, nullptr);
  int sigfd = signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK);
  int control = listen_control(opt.state + "/control");
  if (sigfd < 0 || control < 0) give_up(std::string("control socket: ") + strerror(errno));
  skiff::ServiceLog log(opt.log, opt.log_max_bytes, opt.log_files);
  if (log.open_current() < 0) give_up("log " + opt.log + "/current: " + strerror(errno));

  std::string text, error;
  skiff::Plan plan;
  if (!read_plan(opt.plan, &text)) give_up("cannot read plan " + opt.plan);
  if (!skiff::parse_plan(text, &plan, &error)) give_up("plan " + opt.plan + ": " + error);
  if (opt.notify) plan.env.push_back(kNotifyEnv);
  skiff::Prepared prepared;
  skiff::Failure f;
  if (skiff::prepare(std::move(plan), &prepared, &f) < 0) give_up(std::string("launch failed at ") + f.step + ": " + strerror(f.err));

  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  int out[2], err[2], ready[2] = {-1, -1};
  if (devnull < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 || (opt.notify && pipe2(ready, O_CLOEXEC) < 0)) {
    give_up(std::string("pipes: ") + strerror(errno));
  }
  const int stdio[3] = {devnull, out[1], err[1]};
  skiff::Launched launched;
  if (skiff::launch(&prepared, stdio, &launched, &f, ready[1]) < 0) give_up(std::string("launch failed at ") + f.step + ": " + strerror(f.err));
  for (int fd : {out[1], err[1], ready[1], devnull}) if (fd >= 0) close(fd);
  for (int fd : {out[0], err[0], ready[0]}) if (fd >= 0) fcntl(fd, F_SETFL, O_NONBLOCK);
  record.started(launched.pid, launched.cgroup.dirs);
  printf("running %d\n", launched.pid);
  fflush(stdout);
  int null_out = open("/dev/null", O_WRONLY);
  if (null_out >= 0) { dup2(null_out, 1); close(null_out); }

  int timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  std::vector<int> clients;
  bool stopping = false, exited = false, open_out = true, open_err = true;
  int status = 0;
  char buf[kReadChunk];
  auto stop = [&]() {
    if (stopping || exited) return;  // once reaped, the pid may be another process's
    stopping = true;
    kill(launched.pid, SIGTERM);  // the init passes it to the service
    itimerspec when = {{0, 0}, {opt.stop_timeout_ms / 1000, (opt.stop_timeout_ms % 1000) * 1000000}};
    timerfd_settime(timer, 0, &when, nullptr);
  };
  // Runs until the service has exited and its output is drained (every writer was in its namespace).
  while (!exited || open_out || open_err) {
    std::vector<pollfd> fds = {{sigfd, POLLIN, 0}, {control, POLLIN, 0}, {timer, POLLIN, 0},
                               {open_out ? out[0] : -1, POLLIN, 0}, {open_err ? err[0] : -1, POLLIN, 0}, {ready[0], POLLIN, 0}};
    for (int c : clients) fds.push_back({c, POLLIN, 0});
    if (poll(fds.data(), fds.size(), exited ? 1000 : -1) == 0) break;  // exited, and a leaked pipe writer stalls us
    if (fds[0].revents) {
      signalfd_siginfo si;
      while (read(sigfd, &si, sizeof si) == sizeof si) {
        if (si.ssi_signo != SIGCHLD) { stop(); continue; }
        if (!exited && waitpid(launched.pid, &status, WNOHANG | __WALL) == launched.pid) exited = true;
      }
    }
    if (fds[1].revents) {
      int c = accept4(control, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (c >= 0 && clients.size() >= kMaxClients) close(c);
      else if (c >= 0) { clients.push_back(c); say(c, record.ready() ? "ready\n" : "running\n"); }
    }
    if (fds[2].revents) {
      uint64_t ticks;
      if (read(timer, &ticks, sizeof ticks) > 0 && !exited) kill_cgroup(launched.pid, launched.cgroup);
    }
    for (int s = 0; s < 2; s++) {
      if (!fds[3 + s].revents) continue;
      ssize_t n = read(s == 0 ? out[0] : err[0], buf, sizeof buf);
      if (n > 0) log.take(s, buf, static_cast<size_t>(n));
      else if (n == 0 || errno != EAGAIN) (s == 0 ? open_out : open_err) = false;
    }
    if (fds[5].revents) {
      ssize_t n = read(ready[0], buf, sizeof buf - 1);
      if (n > 0 && !record.ready() && memmem(buf, static_cast<size_t>(n), "READY=1", 7)) {
        record.mark_ready();
        for (int c : clients) say(c, "ready\n");
      }
      if (n == 0) { close(ready[0]); ready[0] = -1; }
    }
    for (size_t i = 0; i < clients.size(); i++) {
      short ev = fds[6 + i].revents;
      if (!ev) continue;
      ssize_t n = (ev & POLLIN) ? read(clients[i], buf, sizeof buf) : 0;
      if (n > 0 && memmem(buf, static_cast<size_t>(n), "stop", 4)) stop();
      if (n == 0 || (n < 0 && errno != EAGAIN)) { close(clients[i]); clients[i] = -1; }
    }
    clients.erase(std::remove(clients.begin(), clients.end(), -1), clients.end());
  }
  log.flush_partial();
  status = skiff::app_wait_status(launched.status_fd, status);
  if (skiff::cgroup_remove(launched.cgroup) < 0) log.note("cgroup not removed: a process is still in it");
  record.exited(status);
  log.note(record.exit_line());
  unlink((opt.state + "/control").c_str());
  return 0;
}
