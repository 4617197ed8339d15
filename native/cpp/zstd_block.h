#pragma once
#include <napi.h>

// Adds zstdCompressBlock and zstdDecompressBlock to the addon's exports.
void RegisterZstdBlock(Napi::Env env, Napi::Object exports);
