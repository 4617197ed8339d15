{
  "target_defaults": {
    "cflags": ["-fvisibility=hidden", "-Wall", "-Wextra", "-fstack-protector-strong", "-D_FORTIFY_SOURCE=2", "-fno-strict-aliasing"],
    "cflags_cc": ["-std=c++17", "-fno-exceptions", "-fno-rtti"],
    "cflags!": ["-fno-omit-frame-pointer"],
    "cflags_cc!": ["-fexceptions", "-frtti", "-std=gnu++17"],
    "ldflags": ["-Wl,-z,relro", "-Wl,-z,now"]
  },
  "targets": [
    {
      "target_name": "skiff_native",
      "sources": ["cpp/addon.cc", "cpp/mount.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS"]
    }
  ]
}
