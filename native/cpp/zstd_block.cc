// One squashfs block through libzstd, as mksquashfs makes it (ZSTD_compressCCtx at the image's level):
// a device rebuilding a bundle from a delta compresses only the blocks it does not already have, and the
// store reads an image's metadata blocks. Same library, same call, same bytes as mksquashfs. Also a
// delta's file patches (as zstd --patch-from makes them), made and applied in-process.
#include "zstd_block.h"

#include <zstd.h>

#include <string>
#include <vector>

namespace {

// Most a block may hold (bytes): squashfs's largest block size is 1 MiB.
constexpr size_t kMaxBlockBytes = 1 << 20;

bool ArgBlock(const Napi::CallbackInfo& info, Napi::Buffer<uint8_t>* out) {
  if (info.Length() < 1 || !info[0].IsBuffer()) {
    Napi::TypeError::New(info.Env(), "block must be a Buffer").ThrowAsJavaScriptException();
    return false;
  }
  *out = info[0].As<Napi::Buffer<uint8_t>>();
  if (out->Length() > kMaxBlockBytes) {
    Napi::RangeError::New(info.Env(), "block is larger than 1 MiB").ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

bool ArgLevel(const Napi::CallbackInfo& info, size_t i, int* out) {
  if (info.Length() <= i || !info[i].IsNumber()) {
    Napi::TypeError::New(info.Env(), "level must be a number").ThrowAsJavaScriptException();
    return false;
  }
  *out = info[i].As<Napi::Number>().Int32Value();
  if (*out < 1 || *out > ZSTD_maxCLevel()) {
    Napi::RangeError::New(info.Env(), "level must be from 1 to " + std::to_string(ZSTD_maxCLevel())).ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

// Compresses on the thread pool, so a rebuild keeps both cores busy while the event loop writes.
class CompressWorker : public Napi::AsyncWorker {
 public:
  CompressWorker(Napi::Env env, const uint8_t* data, size_t size, int level)
      : Napi::AsyncWorker(env), input_(data, data + size), level_(level), deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    output_.resize(ZSTD_compressBound(input_.size()));
    size_t n = ZSTD_compress(output_.data(), output_.size(), input_.data(), input_.size(), level_);
    if (ZSTD_isError(n)) {
      error_ = ZSTD_getErrorName(n);
      return;
    }
    output_.resize(n);
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (!error_.empty()) {
      deferred_.Reject(Napi::Error::New(env, "zstd: " + error_).Value());
      return;
    }
    deferred_.Resolve(Napi::Buffer<uint8_t>::Copy(env, output_.data(), output_.size()));
  }

 private:
  std::vector<uint8_t> input_;
  std::vector<uint8_t> output_;
  int level_;
  std::string error_;
  Napi::Promise::Deferred deferred_;
};

// zstdCompressBlock(block, level) -> Promise<Buffer>: one zstd frame, as ZSTD_compressCCtx writes it.
Napi::Value CompressBlock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> block;
  int level;
  if (!ArgBlock(info, &block) || !ArgLevel(info, 1, &level)) return env.Undefined();
  auto* worker = new CompressWorker(env, block.Data(), block.Length(), level);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// zstdDecompressBlock(frame, maxBytes) -> Buffer: one block back, refused when it would exceed maxBytes.
Napi::Value DecompressBlock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> frame;
  if (!ArgBlock(info, &frame)) return env.Undefined();
  double max = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : -1;
  if (!(max >= 1 && max <= kMaxBlockBytes)) {
    Napi::RangeError::New(env, "maxBytes must be from 1 to 1 MiB").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::vector<uint8_t> out(static_cast<size_t>(max));
  size_t n = ZSTD_decompress(out.data(), out.size(), frame.Data(), frame.Length());
  if (ZSTD_isError(n)) {
    Napi::Error::New(env, std::string("zstd: ") + ZSTD_getErrorName(n)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Buffer<uint8_t>::Copy(env, out.data(), n);
}

// Most a patched file may be (bytes), the delta format's limit; the window a patch may need covers it twice.
constexpr size_t kMaxPatchedBytes = 16 << 20;
constexpr int kPatchWindowLog = 26;

// The two files of a patch (each at most kMaxPatchedBytes); `usage` names the call in the error.
bool ArgPatchFiles(const Napi::CallbackInfo& info, const char* usage, Napi::Buffer<uint8_t>* a, Napi::Buffer<uint8_t>* b) {
  if (info.Length() < 3 || !info[0].IsBuffer() || !info[1].IsBuffer() || !info[2].IsNumber()) {
    Napi::TypeError::New(info.Env(), usage).ThrowAsJavaScriptException();
    return false;
  }
  *a = info[0].As<Napi::Buffer<uint8_t>>();
  *b = info[1].As<Napi::Buffer<uint8_t>>();
  if (a->Length() > kMaxPatchedBytes || b->Length() > kMaxPatchedBytes) {
    Napi::RangeError::New(info.Env(), "a patched file is at most 16 MiB").ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

// zstdPatch(frame, old, size) -> Buffer: a frame made with `zstd --patch-from=old`, applied in-process
// (a device applying hundreds of patches spawns no zstd for each); the result must be exactly size bytes.
Napi::Value Patch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> frame, old;
  if (!ArgPatchFiles(info, "zstdPatch(frame: Buffer, old: Buffer, size: number)", &frame, &old)) return env.Undefined();
  double size = info[2].As<Napi::Number>().DoubleValue();
  if (!(size >= 0 && size <= kMaxPatchedBytes)) {
    Napi::RangeError::New(env, "a patched file is at most 16 MiB").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  std::vector<uint8_t> out(static_cast<size_t>(size) + 1);  // one byte more: a longer result is an error
  size_t n = ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, kPatchWindowLog);
  if (!ZSTD_isError(n)) n = ZSTD_DCtx_refPrefix(dctx, old.Data(), old.Length());
  if (!ZSTD_isError(n)) {
    ZSTD_outBuffer o = {out.data(), out.size(), 0};
    ZSTD_inBuffer in = {frame.Data(), frame.Length(), 0};
    n = ZSTD_decompressStream(dctx, &o, &in);
    if (!ZSTD_isError(n)) n = n == 0 && in.pos == in.size ? o.pos : static_cast<size_t>(-1);
  }
  ZSTD_freeDCtx(dctx);
  if (ZSTD_isError(n) || n != static_cast<size_t>(size)) {
    std::string why = ZSTD_isError(n) ? ZSTD_getErrorName(n) : "the result is not the size the delta says";
    Napi::Error::New(env, "zstd patch: " + why).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Buffer<uint8_t>::Copy(env, out.data(), n);
}

// zstdMakePatch(old, next, level) -> Buffer: `next` compressed with `old` as its prefix (what zstd --patch-from
// makes), for zstdPatch to apply. The window covers both files (at most 2^26, what zstdPatch accepts); the chain
// and hash tables are capped as the store's zstd runs are (a third of level 19's memory, 2% more bytes).
Napi::Value MakePatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> old, next;
  int level;
  if (!ArgPatchFiles(info, "zstdMakePatch(old: Buffer, next: Buffer, level: number)", &old, &next) || !ArgLevel(info, 2, &level)) return env.Undefined();
  int windowLog = 17;
  while (windowLog < kPatchWindowLog && (size_t{1} << windowLog) < old.Length() + next.Length()) windowLog++;
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  std::vector<uint8_t> out(ZSTD_compressBound(next.Length()));
  size_t n = ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
  if (!ZSTD_isError(n)) n = ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, windowLog);
  if (!ZSTD_isError(n)) n = ZSTD_CCtx_setParameter(cctx, ZSTD_c_chainLog, 21);
  if (!ZSTD_isError(n)) n = ZSTD_CCtx_setParameter(cctx, ZSTD_c_hashLog, 20);
  if (!ZSTD_isError(n)) n = ZSTD_CCtx_refPrefix(cctx, old.Data(), old.Length());
  if (!ZSTD_isError(n)) n = ZSTD_compress2(cctx, out.data(), out.size(), next.Data(), next.Length());
  ZSTD_freeCCtx(cctx);
  if (ZSTD_isError(n)) {
    Napi::Error::New(env, std::string("zstd patch: ") + ZSTD_getErrorName(n)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Buffer<uint8_t>::Copy(env, out.data(), n);
}

}  // namespace

void RegisterZstdBlock(Napi::Env env, Napi::Object exports) {
  exports.Set("zstdCompressBlock", Napi::Function::New(env, CompressBlock));
  exports.Set("zstdDecompressBlock", Napi::Function::New(env, DecompressBlock));
  exports.Set("zstdPatch", Napi::Function::New(env, Patch));
  exports.Set("zstdMakePatch", Napi::Function::New(env, MakePatch));
}
