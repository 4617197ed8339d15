// Copy and delete of an app's writable data, relative to file descriptors that cannot leave it: root
// never follows a path the app controls. The TypeScript wrapper (src/datatree.ts) checks
// every argument; this file only executes.
#ifndef SKIFF_DATATREE_H
#define SKIFF_DATATREE_H

#include <sys/types.h>

#include <string>
#include <vector>

#include "failure.h"

namespace skiff {

// An entry left out of a copy, by its path relative to the copied folder, and why.
struct SkippedEntry {
  std::string path;
  std::string reason;
};

struct TreeCopy {
  uid_t uid;       // every copied entry is owned by the app, whatever the source said
  gid_t gid;
  int max_depth;   // folders below the top; deeper ones are skipped and reported
};

// Copies <src_dir>/<src_name> into a new folder <dst_dir>/<dst_name> (which must not exist).
// src_dir and dst_dir are root-controlled paths; nothing below them is ever followed.
// On failure, *where names the entry (relative path) the failed step was working on.
int tree_copy(const char* src_dir, const char* src_name, const char* dst_dir, const char* dst_name,
              const TreeCopy& opts, std::vector<SkippedEntry>* skipped, Failure* f, std::string* where);

// Deletes <dir>/<name> and everything below it; an absent name is success. A symlink is unlinked,
// never followed. Folders deeper than max_depth are moved up into the top folder and deleted from there.
int tree_remove(const char* dir, const char* name, int max_depth, Failure* f, std::string* where);

}  // namespace skiff

#endif
