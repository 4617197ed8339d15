{
  "targets": [
    {
      "target_name": "skiff_native",
      "sources": ["cpp/addon.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS"],
      "cflags": ["-fvisibility=hidden", "-Wall", "-Wextra", "-fstack-protector-strong", "-D_FORTIFY_SOURCE=2"],
      "cflags_cc": ["-fvisibility=hidden", "-std=c++17", "-fno-exceptions"]
    }
  ]
}
