// The Node binding: uniform argument checks, then calls into the mechanism. The TypeScript wrapper
// (src/) validates options first (a launch plan through checkPlan, i.e. cpp/plan_json.cc) and turns
// failures into LaunchError/MountError.
#include <napi.h>
#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <map>
#include <mutex>
#include <string>

#include "cgroup.h"
#include "datatree.h"
#include "launch.h"
#include "mount.h"
#include "plan.h"
#include "seccomp.h"
#include "zstd_block.h"

namespace {

// What each launched pid leaves to wait(): its cgroup to remove, and the pipe its init reports the app's status on.
struct Sandbox {
  skiff::CgroupDirs cgroup;
  int status_fd = -1;
};
std::mutex g_sandboxes_mutex;
std::map<pid_t, Sandbox> g_sandboxes;

// A JS Error carrying {step, errno, description} for the wrapper to rethrow as its own class.
Napi::Error FailureError(Napi::Env env, const skiff::Failure& f) {
  char buf[128];
  const char* description = strerror_r(f.err, buf, sizeof buf);
  Napi::Error error = Napi::Error::New(env, std::string(f.step) + ": " + description);
  error.Set("step", Napi::String::New(env, f.step));
  error.Set("errno", Napi::Number::New(env, f.err));
  error.Set("description", Napi::String::New(env, description));
  return error;
}

// Throws the failure with the mount row it was executing (-1 for none).
void ThrowFailure(Napi::Env env, const skiff::Failure& f) {
  Napi::Error error = FailureError(env, f);
  error.Set("row", Napi::Number::New(env, f.row));
  error.ThrowAsJavaScriptException();
}

bool ArgString(const Napi::CallbackInfo& info, size_t i, const char* name, std::string* out) {
  if (info.Length() <= i || !info[i].IsString()) {
    Napi::TypeError::New(info.Env(), std::string(name) + " must be a string").ThrowAsJavaScriptException();
    return false;
  }
  *out = info[i].As<Napi::String>().Utf8Value();
  if (out->find('\0') != std::string::npos) {
    Napi::TypeError::New(info.Env(), std::string(name) + " must not contain NUL").ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* name, bool* out) {
  if (info.Length() <= i || !info[i].IsBoolean()) {
    Napi::TypeError::New(info.Env(), std::string(name) + " must be a boolean").ThrowAsJavaScriptException();
    return false;
  }
  *out = info[i].As<Napi::Boolean>().Value();
  return true;
}

bool ArgInt(const Napi::CallbackInfo& info, size_t i, const char* name, int min, int* out) {
  if (info.Length() <= i || !info[i].IsNumber()) {
    Napi::TypeError::New(info.Env(), std::string(name) + " must be a number").ThrowAsJavaScriptException();
    return false;
  }
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (d != static_cast<double>(static_cast<int>(d)) || d < min) {
    Napi::TypeError::New(info.Env(), std::string(name) + " must be an integer >= " + std::to_string(min)).ThrowAsJavaScriptException();
    return false;
  }
  *out = static_cast<int>(d);
  return true;
}

// A uid or gid: an integer in [1, 2^32 - 2] ((uid_t)-1 means "unchanged" to the kernel).
bool ArgId(const Napi::CallbackInfo& info, size_t i, const char* name, uint32_t* out) {
  double d = info.Length() > i && info[i].IsNumber() ? info[i].As<Napi::Number>().DoubleValue() : -1;
  if (d != static_cast<double>(static_cast<int64_t>(d)) || d < 1 || d > 4294967294.0) {
    Napi::TypeError::New(info.Env(), std::string(name) + " must be an integer from 1 to 4294967294").ThrowAsJavaScriptException();
    return false;
  }
  *out = static_cast<uint32_t>(d);
  return true;
}

bool ArgPlan(const Napi::CallbackInfo& info, size_t i, skiff::Plan* plan) {
  std::string text, error;
  if (!ArgString(info, i, "plan", &text)) return false;
  if (!skiff::parse_plan(text, plan, &error, "plan")) {
    Napi::TypeError::New(info.Env(), error).ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

// mountBundle(file, target[, legacyLoop]): legacyLoop (tests only) uses LOOP_SET_FD + LOOP_SET_STATUS64.
Napi::Value MountBundle(const Napi::CallbackInfo& info) {
  std::string file, target;
  if (!ArgString(info, 0, "file", &file) || !ArgString(info, 1, "target", &target)) return info.Env().Undefined();
  bool legacy = false;
  if (info.Length() > 2 && !ArgBool(info, 2, "legacyLoop", &legacy)) return info.Env().Undefined();
  skiff::Failure f;
  if (skiff::mount_bundle(file.c_str(), target.c_str(), &f, legacy) < 0) ThrowFailure(info.Env(), f);
  return info.Env().Undefined();
}

Napi::Value MountVolume(const Napi::CallbackInfo& info) {
  std::string file, target;
  if (!ArgString(info, 0, "file", &file) || !ArgString(info, 1, "target", &target)) return info.Env().Undefined();
  skiff::Failure f;
  if (skiff::mount_volume(file.c_str(), target.c_str(), &f) < 0) ThrowFailure(info.Env(), f);
  return info.Env().Undefined();
}

Napi::Value RefreshLoopCapacity(const Napi::CallbackInfo& info) {
  std::string device;
  if (!ArgString(info, 0, "device", &device)) return info.Env().Undefined();
  skiff::Failure f;
  if (skiff::refresh_loop_capacity(device.c_str(), &f) < 0) ThrowFailure(info.Env(), f);
  return info.Env().Undefined();
}

Napi::Value Unmount(const Napi::CallbackInfo& info) {
  std::string target;
  bool lazy = false;
  if (!ArgString(info, 0, "target", &target) || !ArgBool(info, 1, "lazy", &lazy)) return info.Env().Undefined();
  skiff::Failure f;
  if (skiff::unmount_target(target.c_str(), lazy, &f) < 0) ThrowFailure(info.Env(), f);
  return info.Env().Undefined();
}

// spawn(planJson, stdin, stdout, stderr) -> pid; returns once the child has exec'd.
Napi::Value Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  skiff::Plan plan;
  int stdio[3];
  if (!ArgPlan(info, 0, &plan) || !ArgInt(info, 1, "stdin", 0, &stdio[0]) ||
      !ArgInt(info, 2, "stdout", 0, &stdio[1]) || !ArgInt(info, 3, "stderr", 0, &stdio[2])) {
    return env.Undefined();
  }
  skiff::Prepared prepared;
  skiff::Failure f;
  if (skiff::prepare(std::move(plan), &prepared, &f) < 0) {
    ThrowFailure(env, f);
    return env.Undefined();
  }
  skiff::Launched launched;
  if (skiff::launch(&prepared, stdio, &launched, &f) < 0) {
    ThrowFailure(env, f);
    return env.Undefined();
  }
  {
    std::lock_guard<std::mutex> lock(g_sandboxes_mutex);
    g_sandboxes[launched.pid] = Sandbox{std::move(launched.cgroup), launched.status_fd};
  }
  return Napi::Number::New(env, launched.pid);
}

// pipe() -> [readFd, writeFd], both close-on-exec (so no other launch inherits them): a confined
// child's stdout or stderr, read by the caller (Node has no pipe(2) of its own).
Napi::Value Pipe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) {
    skiff::Failure f;
    skiff::fail(&f, "pipe", errno);
    ThrowFailure(env, f);
    return env.Undefined();
  }
  Napi::Array result = Napi::Array::New(env, 2);
  result.Set(0u, Napi::Number::New(env, fds[0]));
  result.Set(1u, Napi::Number::New(env, fds[1]));
  return result;
}

// Reaps one pid and removes its cgroup on the thread pool, then settles the promise. Queued once a
// pidfd says the pid has exited, so it holds a pool thread only briefly (a long-running app must
// not pin one of libuv's four threads: fs and crypto calls would queue behind it).
class ReapWorker : public Napi::AsyncWorker {
 public:
  ReapWorker(Napi::Env env, pid_t pid, Napi::Promise::Deferred deferred)
      : Napi::AsyncWorker(env), pid_(pid), deferred_(deferred) {}

  void Execute() override {
    pid_t r;
    do { r = waitpid(pid_, &status_, __WALL); } while (r < 0 && errno == EINTR);
    if (r < 0) {
      err_ = errno;
      return;
    }
    Sandbox sandbox;
    {
      std::lock_guard<std::mutex> lock(g_sandboxes_mutex);
      auto it = g_sandboxes.find(pid_);
      if (it != g_sandboxes.end()) {
        sandbox = std::move(it->second);
        g_sandboxes.erase(it);
      }
    }
    // The pid is the sandbox's init: the app's own status is what it reported.
    status_ = skiff::app_wait_status(sandbox.status_fd, status_);
    skiff::cgroup_remove(sandbox.cgroup);
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (err_ != 0) {
      skiff::Failure f;
      skiff::fail(&f, "waitpid", err_);
      deferred_.Reject(FailureError(env, f).Value());
      return;
    }
    Napi::Object result = Napi::Object::New(env);
    result.Set("code", WIFEXITED(status_) ? Napi::Number::New(env, WEXITSTATUS(status_)) : env.Null());
    result.Set("signal", WIFSIGNALED(status_) ? Napi::Number::New(env, WTERMSIG(status_)) : env.Null());
    deferred_.Resolve(result);
  }

 private:
  pid_t pid_;
  int status_ = 0;
  int err_ = 0;
  Napi::Promise::Deferred deferred_;
};

// A pidfd watched by the event loop itself: no thread waits while the app runs.
struct PidWatch {
  uv_poll_t handle;
  pid_t pid;
  int pidfd;
  napi_env env;
  Napi::Promise::Deferred deferred;
};

void OnPidExited(uv_poll_t* handle, int /*status*/, int /*events*/) {
  PidWatch* watch = static_cast<PidWatch*>(handle->data);
  uv_poll_stop(handle);
  Napi::Env env(watch->env);
  Napi::HandleScope scope(env);
  (new ReapWorker(env, watch->pid, watch->deferred))->Queue();
  uv_close(reinterpret_cast<uv_handle_t*>(handle), [](uv_handle_t* h) {
    PidWatch* done = static_cast<PidWatch*>(h->data);
    close(done->pidfd);
    delete done;
  });
}

Napi::Value Wait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int pid = 0;
  if (!ArgInt(info, 0, "pid", 1, &pid)) return env.Undefined();
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
  uv_loop_t* loop = nullptr;
  // Only a child of ours can be waited for: any other pid is refused at once (ECHILD), not watched forever.
  siginfo_t probe;
  bool ours = waitid(P_PID, static_cast<id_t>(pid), &probe, WEXITED | WNOHANG | WNOWAIT | __WALL) == 0;
  int pidfd = ours ? static_cast<int>(syscall(SYS_pidfd_open, pid, 0)) : -1;
  if (pidfd >= 0) fcntl(pidfd, F_SETFD, FD_CLOEXEC);
  if (pidfd >= 0 && napi_get_uv_event_loop(env, &loop) == napi_ok) {
    PidWatch* watch = new PidWatch{uv_poll_t(), pid, pidfd, env, deferred};
    watch->handle.data = watch;
    if (uv_poll_init(loop, &watch->handle, pidfd) == 0) {
      if (uv_poll_start(&watch->handle, UV_READABLE, OnPidExited) == 0) return deferred.Promise();
      watch->handle.data = watch;
      uv_close(reinterpret_cast<uv_handle_t*>(&watch->handle), [](uv_handle_t* h) { delete static_cast<PidWatch*>(h->data); });
    } else {
      delete watch;
    }
  }
  if (pidfd >= 0) close(pidfd);
  // Not ours, or no pidfd (kernel before 5.3): a waitpid on the pool reaps it or says why.
  (new ReapWorker(env, pid, deferred))->Queue();
  return deferred.Promise();
}

// Throws like ThrowFailure, with the entry (relative to the tree) the failed step worked on.
void ThrowTreeFailure(Napi::Env env, const skiff::Failure& f, const std::string& where) {
  Napi::Error error = FailureError(env, f);
  error.Set("path", Napi::String::New(env, where));
  error.ThrowAsJavaScriptException();
}

// copyDataTree(srcDir, srcName, dstDir, dstName, uid, gid, maxDepth) -> [{path, reason}] skipped.
Napi::Value CopyDataTree(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string src_dir, src_name, dst_dir, dst_name;
  uint32_t uid = 0, gid = 0;
  int depth = 0;
  if (!ArgString(info, 0, "srcDir", &src_dir) || !ArgString(info, 1, "srcName", &src_name) ||
      !ArgString(info, 2, "dstDir", &dst_dir) || !ArgString(info, 3, "dstName", &dst_name) ||
      !ArgId(info, 4, "uid", &uid) || !ArgId(info, 5, "gid", &gid) || !ArgInt(info, 6, "maxDepth", 2, &depth)) {
    return env.Undefined();
  }
  skiff::TreeCopy opts{uid, gid, depth};
  std::vector<skiff::SkippedEntry> skipped;
  skiff::Failure f;
  std::string where;
  if (skiff::tree_copy(src_dir.c_str(), src_name.c_str(), dst_dir.c_str(), dst_name.c_str(), opts, &skipped, &f, &where) < 0) {
    ThrowTreeFailure(env, f, where);
    return env.Undefined();
  }
  Napi::Array result = Napi::Array::New(env, skipped.size());
  for (size_t i = 0; i < skipped.size(); i++) {
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("path", Napi::String::New(env, skipped[i].path));
    entry.Set("reason", Napi::String::New(env, skipped[i].reason));
    result.Set(i, entry);
  }
  return result;
}

// removeDataTree(dir, name, maxDepth)
Napi::Value RemoveDataTree(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string dir, name;
  int depth = 0;
  if (!ArgString(info, 0, "dir", &dir) || !ArgString(info, 1, "name", &name) || !ArgInt(info, 2, "maxDepth", 2, &depth)) {
    return env.Undefined();
  }
  skiff::Failure f;
  std::string where;
  if (skiff::tree_remove(dir.c_str(), name.c_str(), depth, &f, &where) < 0) ThrowTreeFailure(env, f, where);
  return env.Undefined();
}

// checkPlan(planJson): throws the TypeError that spawn would, naming the field.
Napi::Value CheckPlan(const Napi::CallbackInfo& info) {
  skiff::Plan plan;
  ArgPlan(info, 0, &plan);
  return info.Env().Undefined();
}

// compileSeccomp(planJson) -> [Buffer, ...]: the BPF programs spawn would load, in order.
Napi::Value CompileSeccomp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  skiff::Plan plan;
  if (!ArgPlan(info, 0, &plan)) return env.Undefined();
  Napi::Array result = Napi::Array::New(env);
  if (!plan.has_seccomp) return result;
  std::vector<skiff::BpfProgram> programs;
  skiff::Failure f;
  if (skiff::compile_seccomp(plan.seccomp, &programs, &f) < 0) {
    ThrowFailure(env, f);
    return env.Undefined();
  }
  for (size_t i = 0; i < programs.size(); i++) {
    const auto& code = programs[i].code;
    result.Set(i, Napi::Buffer<char>::Copy(env, reinterpret_cast<const char*>(code.data()), code.size() * sizeof(code[0])));
  }
  return result;
}

// peerCredentials(fd) -> {pid, uid, gid}: who is at the other end of a connected unix socket (SO_PEERCRED),
// which Node has no API for. The kernel records them at connect(); the peer cannot forge them.
Napi::Value PeerCredentials(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  if (!ArgInt(info, 0, "fd", 0, &fd)) return env.Undefined();
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
    FailureError(env, skiff::Failure{"getsockopt SO_PEERCRED", errno, -1}).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("pid", Napi::Number::New(env, cred.pid));
  result.Set("uid", Napi::Number::New(env, cred.uid));
  result.Set("gid", Napi::Number::New(env, cred.gid));
  return result;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("peerCredentials", Napi::Function::New(env, PeerCredentials));
  RegisterZstdBlock(env, exports);
  exports.Set("mountBundle", Napi::Function::New(env, MountBundle));
  exports.Set("mountVolume", Napi::Function::New(env, MountVolume));
  exports.Set("refreshLoopCapacity", Napi::Function::New(env, RefreshLoopCapacity));
  exports.Set("unmount", Napi::Function::New(env, Unmount));
  exports.Set("spawn", Napi::Function::New(env, Spawn));
  exports.Set("wait", Napi::Function::New(env, Wait));
  exports.Set("pipe", Napi::Function::New(env, Pipe));
  exports.Set("checkPlan", Napi::Function::New(env, CheckPlan));
  exports.Set("compileSeccomp", Napi::Function::New(env, CompileSeccomp));
  exports.Set("copyDataTree", Napi::Function::New(env, CopyDataTree));
  exports.Set("removeDataTree", Napi::Function::New(env, RemoveDataTree));
  return exports;
}

}  // namespace

NODE_API_MODULE(skiff_native, Init)
