// The syscall filter: default deny (EPERM), an allowlist enough for sh, coreutils, python3 and node.
import type { SeccompArgRule, SeccompPlan } from '@skiff/native';
import { BASE_SOCKET_RULES } from './sockets';

const EPERM = 1;
const ENOSYS = 38;

/** ioctls denied whatever the high bits (compared on 32 bits, CVE-2019-7303). */
export const DENIED_IOCTLS: readonly number[] = [
  0x5412, // TIOCSTI: pushes input into a terminal, typing commands into the caller's shell
  0x541c, // TIOCLINUX: same kind of injection through the Linux console (selection paste)
];

/**
 * Allowed for every app. Grouped by purpose; names unknown to an architecture are skipped
 * by the launcher. Deliberately absent (denied with EPERM): mount, umount2, pivot_root, chroot,
 * unshare, setns, ptrace, process_vm_*, kcmp, pidfd_getfd, kexec_*, *_module, bpf,
 * perf_event_open, keyctl, add_key, request_key, open_by_handle_at, name_to_handle_at, reboot,
 * swapon/swapoff, acct, quotactl, settimeofday/clock_settime/adjtimex, sethostname,
 * io_uring_* (a large attack surface; libuv falls back), userfaultfd, fanotify_*, lookup_dcookie,
 * personality, syslog, vhangup, iopl/ioperm, move_pages, migrate_pages.
 */
export const BASE_SYSCALLS: readonly string[] = [
  // files and folders
  'read', 'write', 'readv', 'writev', 'pread64', 'pwrite64', 'preadv', 'pwritev', 'preadv2', 'pwritev2',
  'open', 'openat', 'openat2', 'creat', 'close', 'close_range', 'lseek', '_llseek',
  'stat', 'fstat', 'lstat', 'newfstatat', 'stat64', 'fstat64', 'lstat64', 'fstatat64', 'statx',
  'statfs', 'fstatfs', 'statfs64', 'fstatfs64', 'access', 'faccessat', 'faccessat2',
  'readlink', 'readlinkat', 'getdents', 'getdents64', 'getcwd', 'chdir', 'fchdir', 'umask',
  'mkdir', 'mkdirat', 'rmdir', 'unlink', 'unlinkat', 'rename', 'renameat', 'renameat2',
  'link', 'linkat', 'symlink', 'symlinkat', 'mknod', 'mknodat',
  'chmod', 'fchmod', 'fchmodat', 'chown', 'fchown', 'lchown', 'fchownat',
  'truncate', 'ftruncate', 'fallocate', 'fsync', 'fdatasync', 'sync', 'syncfs', 'sync_file_range',
  'fadvise64', 'fadvise64_64', 'readahead', 'utime', 'utimes', 'utimensat', 'futimesat',
  'dup', 'dup2', 'dup3', 'pipe', 'pipe2', 'fcntl', 'fcntl64', 'flock', 'ioctl',
  'sendfile', 'sendfile64', 'splice', 'tee', 'vmsplice', 'copy_file_range',
  'getxattr', 'lgetxattr', 'fgetxattr', 'listxattr', 'llistxattr', 'flistxattr',
  'setxattr', 'lsetxattr', 'fsetxattr', 'removexattr', 'lremovexattr', 'fremovexattr',
  'inotify_init', 'inotify_init1', 'inotify_add_watch', 'inotify_rm_watch', 'memfd_create',
  // waiting for events
  'poll', 'ppoll', 'select', '_newselect', 'pselect6', 'epoll_create', 'epoll_create1', 'epoll_ctl',
  'epoll_wait', 'epoll_pwait', 'epoll_pwait2', 'eventfd', 'eventfd2', 'signalfd', 'signalfd4',
  'timerfd_create', 'timerfd_settime', 'timerfd_gettime',
  'io_setup', 'io_destroy', 'io_getevents', 'io_pgetevents', 'io_submit', 'io_cancel',
  // memory
  'brk', 'mmap', 'mmap2', 'munmap', 'mremap', 'mprotect', 'madvise', 'mincore', 'msync',
  'mlock', 'mlock2', 'munlock', 'mlockall', 'munlockall', 'membarrier',
  'pkey_alloc', 'pkey_free', 'pkey_mprotect', 'get_mempolicy', 'set_mempolicy', 'mbind',
  // processes and threads (clone's namespace flags cannot be filtered by name: see seccompPlan)
  'clone', 'clone3', 'fork', 'vfork', 'execve', 'execveat', 'exit', 'exit_group', 'wait4', 'waitid',
  'kill', 'tkill', 'tgkill', 'pidfd_open', 'pidfd_send_signal',
  'rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'sigreturn', 'rt_sigpending', 'rt_sigtimedwait',
  'rt_sigqueueinfo', 'rt_tgsigqueueinfo', 'rt_sigsuspend', 'sigaltstack', 'pause', 'restart_syscall',
  'nanosleep', 'clock_nanosleep', 'alarm', 'getitimer', 'setitimer',
  'getpid', 'getppid', 'gettid', 'getpgid', 'setpgid', 'getpgrp', 'getsid', 'setsid',
  'getuid', 'geteuid', 'getgid', 'getegid', 'getresuid', 'getresgid', 'getgroups',
  // set*id cannot gain anything without capabilities; programs call them to drop privileges
  'setuid', 'setgid', 'setreuid', 'setregid', 'setresuid', 'setresgid', 'setgroups', 'setfsuid', 'setfsgid',
  'capget', 'capset', 'prctl', 'arch_prctl', 'set_tid_address', 'set_robust_list', 'get_robust_list',
  'futex', 'futex_waitv', 'rseq', 'sched_yield', 'sched_getaffinity', 'sched_setaffinity',
  'sched_getparam', 'sched_setparam', 'sched_getscheduler', 'sched_setscheduler', 'sched_getattr',
  'sched_setattr', 'sched_get_priority_max', 'sched_get_priority_min', 'sched_rr_get_interval',
  'getpriority', 'setpriority', 'ioprio_get', 'ioprio_set', 'getrlimit', 'setrlimit', 'prlimit64',
  'ugetrlimit', 'getrusage', 'times', 'sysinfo', 'uname', 'getcpu', 'getrandom',
  // sandboxing itself further is always fine (no_new_privs is set)
  'seccomp', 'landlock_create_ruleset', 'landlock_add_rule', 'landlock_restrict_self',
  // clocks
  'time', 'gettimeofday', 'clock_gettime', 'clock_getres', 'clock_gettime64', 'clock_getres_time64',
  'clock_nanosleep_time64', 'timer_create', 'timer_settime', 'timer_gettime', 'timer_getoverrun', 'timer_delete',
  // System V and POSIX IPC (the ipc namespace is the app's own)
  'shmget', 'shmat', 'shmdt', 'shmctl', 'semget', 'semop', 'semtimedop', 'semctl',
  'msgget', 'msgsnd', 'msgrcv', 'msgctl', 'mq_open', 'mq_unlink', 'mq_timedsend', 'mq_timedreceive',
  'mq_notify', 'mq_getsetattr',
  // sockets (socket and socketpair by family: BASE_SOCKET_RULES). bind is here for unix sockets and
  // netlink; an inet bind is guarded by Landlock and cgroup BPF where the host is reachable (plan.ts).
  'connect', 'bind', 'getsockname', 'getpeername', 'setsockopt', 'getsockopt',
  'sendto', 'recvfrom', 'sendmsg', 'recvmsg', 'sendmmsg', 'recvmmsg', 'shutdown',
];

/** Syscalls that must fail with ENOSYS rather than EPERM, so libc falls back to an older call. */
export const ENOSYS_SYSCALLS: Readonly<Record<string, number>> = Object.freeze({
  // glibc 2.34+ tries clone3 for threads and only falls back to clone on ENOSYS; clone3's flags
  // live in memory seccomp cannot read, so filtering namespace flags is only possible on clone.
  clone3: ENOSYS,
});

/** CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWTIME: creating namespaces is refused. */
export const DENIED_CLONE_FLAGS = 0x7e020080;

/** The filter for one launch: base plus what connected plugs add; devmode logs instead of denying. */
export function seccompPlan(plugSyscalls: string[], devmode: boolean, plugArgRules: SeccompArgRule[] = []):
  SeccompPlan & Required<Pick<SeccompPlan, 'errnoBySyscall' | 'denyCloneFlags' | 'argRules'>> {
  return {
    defaultAction: devmode ? 'log' : 'errno',
    errno: EPERM,
    allow: [...new Set([...BASE_SYSCALLS, ...plugSyscalls])],
    denyIoctls: [...DENIED_IOCTLS],
    errnoBySyscall: { ...ENOSYS_SYSCALLS },
    denyCloneFlags: DENIED_CLONE_FLAGS,
    argRules: [...BASE_SOCKET_RULES, ...plugArgRules],
  };
}
