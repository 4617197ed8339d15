// The Node binding: uniform argument checks, then calls into the mechanism. The TypeScript wrapper
// (src/) validates options first; these checks only keep a wrong call from reaching a syscall.
#include <napi.h>
#include <string.h>

#include <string>

#include "mount.h"

namespace {

// Throws a JS Error carrying {step, errno, description} so the wrapper can make it a MountError or LaunchError.
void ThrowFailure(Napi::Env env, const skiff::Failure& f) {
  char buf[128];
  const char* description = strerror_r(f.err, buf, sizeof buf);
  Napi::Error error = Napi::Error::New(env, std::string(f.step) + ": " + description);
  error.Set("step", Napi::String::New(env, f.step));
  error.Set("errno", Napi::Number::New(env, f.err));
  error.Set("description", Napi::String::New(env, description));
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

Napi::Value MountBundle(const Napi::CallbackInfo& info) {
  std::string file, target;
  if (!ArgString(info, 0, "file", &file) || !ArgString(info, 1, "target", &target)) return info.Env().Undefined();
  skiff::Failure f;
  if (skiff::mount_bundle(file.c_str(), target.c_str(), &f) < 0) ThrowFailure(info.Env(), f);
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

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("mountBundle", Napi::Function::New(env, MountBundle));
  exports.Set("unmount", Napi::Function::New(env, Unmount));
  return exports;
}

}  // namespace

NODE_API_MODULE(skiff_native, Init)
