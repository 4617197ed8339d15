{
  "target_defaults": {
    "cflags": ["-fvisibility=hidden", "-Wall", "-Wextra", "-fstack-protector-strong", "-D_FORTIFY_SOURCE=2", "-D_GNU_SOURCE", "-fPIC"],
    "cflags_cc": ["-std=c++17", "-fno-exceptions", "-fno-rtti"],
    "cflags_cc!": ["-std=gnu++17", "-fexceptions", "-frtti"],
    "ldflags": ["-Wl,-z,relro", "-Wl,-z,now"]
  },
  "targets": [
    {
      # The launch code, compiled once and linked into both the addon and skiff-launch.
      "target_name": "skiff_launch_core",
      "type": "static_library",
      "sources": ["cpp/plan_json.cc", "cpp/seccomp.cc", "cpp/cgroup.cc", "cpp/launch.cc", "cpp/child.cc", "cpp/init.cc", "cpp/landlock.cc", "cpp/bindguard.cc"]
    },
    {
      "target_name": "skiff_native",
      "sources": ["cpp/addon.cc", "cpp/mount.cc", "cpp/datatree.cc", "cpp/zstd_block.cc"],
      "dependencies": ["skiff_launch_core"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS"],
      "libraries": ["-lseccomp", "-lzstd"]
    },
    {
      "target_name": "skiff-launch",
      "type": "executable",
      "sources": ["cpp/launcher_main.cc"],
      "dependencies": ["skiff_launch_core"],
      # Static C++ runtime and libseccomp: fewer shared objects to map on every app start.
      "ldflags": ["-pie", "-static-libstdc++", "-static-libgcc"],
      "libraries": ["-l:libseccomp.a"]
    },
    {
      # The parent of one service (docs/design.md, "Services"): small, so each running service costs little.
      "target_name": "skiff-shim",
      "type": "executable",
      "sources": ["cpp/shim_main.cc", "cpp/shim_log.cc", "cpp/shim_record.cc"],
      "dependencies": ["skiff_launch_core"],
      "ldflags": ["-static-pie"],
      "libraries": ["-l:libseccomp.a"]
    }
  ]
}
