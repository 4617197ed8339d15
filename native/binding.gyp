{
  "target_defaults": {
    "cflags": ["-fvisibility=hidden", "-Wall", "-Wextra", "-fstack-protector-strong", "-D_FORTIFY_SOURCE=2", "-D_GNU_SOURCE"],
    "cflags_cc": ["-std=c++17", "-fno-exceptions", "-fno-rtti"],
    "cflags_cc!": ["-std=gnu++17", "-fexceptions", "-frtti"],
    "ldflags": ["-Wl,-z,relro", "-Wl,-z,now"],
    "libraries": ["-lseccomp"]
  },
  "targets": [
    {
      "target_name": "skiff_native",
      "sources": ["cpp/addon.cc", "cpp/mount.cc", "cpp/plan_json.cc", "cpp/seccomp.cc", "cpp/cgroup.cc", "cpp/launch.cc", "cpp/child.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS"]
    },
    {
      "target_name": "skiff-launch",
      "type": "executable",
      "sources": ["cpp/launcher_main.cc", "cpp/plan_json.cc", "cpp/seccomp.cc", "cpp/cgroup.cc", "cpp/launch.cc", "cpp/child.cc"],
      "cflags": ["-fPIE"],
      "ldflags": ["-pie"]
    }
  ]
}
