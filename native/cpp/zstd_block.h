#pragma once
#include <napi.h>

// Adds zstdCompressBlock, zstdDecompressBlock and zstdPatch to the addon's exports.
void RegisterZstdBlock(Napi::Env env, Napi::Object exports);
