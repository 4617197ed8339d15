#pragma once
#include <napi.h>

// Adds zstdCompressBlock, zstdDecompressBlock, zstdPatch and zstdMakePatch to the addon's exports.
void RegisterZstdBlock(Napi::Env env, Napi::Object exports);
