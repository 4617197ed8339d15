// Pid 1 of a sandbox: the app runs as its child. See init.cc for why.
#ifndef SKIFF_INIT_H
#define SKIFF_INIT_H

#include <sys/types.h>

namespace skiff {

// Runs as pid 1 with every signal blocked: forwards each signal it receives to the app, reaps every
// child, and when the app ends writes its wait status (an int) to status_fd and exits. Never returns.
[[noreturn]] void run_init(pid_t app, int status_fd);

}  // namespace skiff

#endif
