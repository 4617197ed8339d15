/* A tiny probe run inside the sandbox by the tests (compiled static, bind-mounted at /probe).
 * Usage: probe syscalls | ioctl | alloc MB | forkbomb | connect PORT | fds | x32 | ids | clone_ns
 * Prints one "name=errno" (or a result line) per probe so the tests can assert exact outcomes. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *name, long rc) {
  printf("%s=%d\n", name, rc < 0 ? errno : 0);
}

/* Each call has harmless arguments: if seccomp let it through it would fail some other way. */
static void syscalls(void) {
  errno = 0; report("mount", syscall(SYS_mount, "none", "/nonexistent", "tmpfs", 0, NULL));
  errno = 0; report("umount2", syscall(SYS_umount2, "/nonexistent", 0));
  errno = 0; report("unshare", syscall(SYS_unshare, CLONE_NEWNS));
  errno = 0; report("setns", syscall(SYS_setns, -1, 0));
  errno = 0; report("pivot_root", syscall(SYS_pivot_root, "/nonexistent", "/nonexistent"));
  errno = 0; report("ptrace", syscall(SYS_ptrace, 0x4206 /* PTRACE_SEIZE */, 1, 0, 0));
  errno = 0; report("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0));
  errno = 0; report("init_module", syscall(SYS_init_module, NULL, 0, ""));
  errno = 0; report("bpf", syscall(SYS_bpf, 0, NULL, 0));
  errno = 0; report("perf_event_open", syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
  errno = 0; report("keyctl", syscall(SYS_keyctl, 0, 0, 0, 0, 0));
  errno = 0; report("add_key", syscall(SYS_add_key, "user", "x", "", 0, 0));
  errno = 0; report("open_by_handle_at", syscall(SYS_open_by_handle_at, -1, NULL, 0));
  errno = 0; report("reboot", syscall(SYS_reboot, 0, 0, 0, NULL));
  errno = 0; report("swapon", syscall(SYS_swapon, "/nonexistent", 0));
  errno = 0; report("getpid", syscall(SYS_getpid));
}

/* TIOCSTI on a non-terminal fails with ENOTTY when allowed; the guard makes it the plan's errno. */
static void ioctls(void) {
  char c = 'x';
  errno = 0; report("TIOCSTI", syscall(SYS_ioctl, 0, (unsigned long)TIOCSTI, &c));
  errno = 0; report("TIOCSTI_high", syscall(SYS_ioctl, 0, (unsigned long)TIOCSTI | 0x100000000UL, &c));
  errno = 0; report("TIOCSTI_allhigh", syscall(SYS_ioctl, 0, (unsigned long)TIOCSTI | 0xffffffff00000000UL, &c));
  errno = 0; report("TIOCLINUX", syscall(SYS_ioctl, 0, (unsigned long)TIOCLINUX, &c));
  errno = 0; report("TIOCLINUX_high", syscall(SYS_ioctl, 0, (unsigned long)TIOCLINUX | 0x800000000UL, &c));
  errno = 0; report("FIONREAD", syscall(SYS_ioctl, 0, (unsigned long)FIONREAD, &c));
  errno = 0; report("TCGETS", syscall(SYS_ioctl, 0, (unsigned long)TCGETS, &c));
}

static int alloc(long mb) {
  for (long i = 1; i <= mb; i++) {
    char *p = malloc(1 << 20);
    if (p == NULL) { printf("malloc failed at %ld MB\n", i); return 1; }
    memset(p, 1, 1 << 20);  /* touch every page: the memory limit counts resident pages */
    if (i % 16 == 0) { printf("allocated %ld MB\n", i); fflush(stdout); }
  }
  printf("allocated all %ld MB\n", mb);
  return 0;
}

static int forkbomb(void) {
  int made = 0;
  for (;;) {
    pid_t pid = fork();
    if (pid == 0) { pause(); _exit(0); }
    if (pid < 0) { printf("fork failed errno=%d after %d\n", errno, made); fflush(stdout); break; }
    made++;
    if (made > 10000) { printf("fork never failed\n"); break; }
  }
  return 0;  /* pid 1 exiting takes every child of the namespace with it */
}

static int connect_port(int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  errno = 0;
  report("connect", connect(s, (struct sockaddr *)&a, sizeof a));
  return 0;
}

static int fds(void) {
  DIR *d = opendir("/proc/self/fd");
  if (d == NULL) { perror("opendir"); return 1; }
  int own = dirfd(d);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' || atoi(e->d_name) == own) continue;
    printf("fd %s\n", e->d_name);
  }
  closedir(d);
  return 0;
}

/* An x32-ABI syscall number: same audit arch as x86_64, so the filter must catch it by number. */
static int x32(void) {
  long rc = syscall(0x40000000L | SYS_getpid);
  printf("x32 getpid returned %ld errno=%d\n", rc, errno);
  return 0;
}

/* The ids after exec: a setuid-root copy of the probe reports whether exec raised them. */
static int ids(void) {
  uid_t r, e, s;
  getresuid(&r, &e, &s);
  printf("uid=%u euid=%u suid=%u\n", r, e, s);
  return 0;
}

/* Namespaces through clone/clone3, and the ordinary uses of both: fork and threads. */
static long raw_clone(unsigned long flags) {
  long pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid((pid_t)pid, NULL, 0);
  return pid;
}

static void *thread_main(void *arg) { return arg; }

static int clone_ns(void) {
  errno = 0; report("clone_newuser", raw_clone(CLONE_NEWUSER));
  errno = 0; report("clone_newns", raw_clone(CLONE_NEWNS));
  errno = 0; report("clone_newnet", raw_clone(CLONE_NEWNET));
  unsigned long long args[11] = {0};  /* struct clone_args: flags first, exit_signal fifth */
  args[0] = CLONE_NEWUSER;
  args[4] = SIGCHLD;
  errno = 0;
  long pid = syscall(SYS_clone3, args, sizeof args);
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid((pid_t)pid, NULL, 0);
  report("clone3_newuser", pid);
  errno = 0; report("fork", raw_clone(0));
  pthread_t t;
  int rc = pthread_create(&t, NULL, thread_main, NULL);
  if (rc == 0) pthread_join(t, NULL);
  printf("thread=%d\n", rc);
  return 0;
}

/* Sockets as the mechanism's rules see them: families (argRules), an inet bind to a fixed port
   (the bind guard), and a bind to port 0 (which it leaves alone). */
static int sockets(int port) {
  errno = 0; report("socket_vsock", socket(40 /* AF_VSOCK */, SOCK_STREAM, 0));
  errno = 0; report("socket_inet", socket(AF_INET, SOCK_DGRAM, 0));
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  errno = 0; report("bind_udp_port", bind(s, (struct sockaddr *)&a, sizeof a));
  a.sin_port = 0;
  errno = 0; report("bind_udp_0", bind(s, (struct sockaddr *)&a, sizeof a));
  return 0;
}

/* Run on the host: enters `layers` Landlock domains (each scoping abstract sockets only), then
   execs argv. The kernel nests at most 16, so a launch below it fails at its own Landlock step. */
static int stack_landlock(int layers, char **argv) {
  unsigned long long attr[3] = {0, 0, 1 /* LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET */};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) { perror("no_new_privs"); return 1; }
  for (int i = 0; i < layers; i++) {
    long fd = syscall(SYS_landlock_create_ruleset, attr, sizeof attr, 0);
    if (fd < 0 || syscall(SYS_landlock_restrict_self, fd, 0) < 0) { perror("landlock"); return 1; }
    close((int)fd);
  }
  execv(argv[0], argv);
  perror("execv");
  return 127;
}

/* Run on the host: execs argv under a seccomp filter that fails every Landlock syscall with ENOSYS,
   as a kernel without Landlock would: a launch below it must skip Landlock, not fail. */
static int without_landlock(char **argv) {
  struct sock_filter code[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_landlock_create_ruleset, 3, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_landlock_add_rule, 2, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_landlock_restrict_self, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
  };
  struct sock_fprog prog = { .len = sizeof code / sizeof code[0], .filter = code };
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0) { perror("seccomp"); return 1; }
  execv(argv[0], argv);
  perror("execv");
  return 127;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc >= 2 && strcmp(argv[1], "syscalls") == 0) { syscalls(); return 0; }
  if (argc >= 2 && strcmp(argv[1], "ioctl") == 0) { ioctls(); return 0; }
  if (argc >= 3 && strcmp(argv[1], "alloc") == 0) return alloc(atol(argv[2]));
  if (argc >= 2 && strcmp(argv[1], "forkbomb") == 0) return forkbomb();
  if (argc >= 3 && strcmp(argv[1], "connect") == 0) return connect_port(atoi(argv[2]));
  if (argc >= 2 && strcmp(argv[1], "fds") == 0) return fds();
  if (argc >= 2 && strcmp(argv[1], "x32") == 0) return x32();
  if (argc >= 2 && strcmp(argv[1], "ids") == 0) return ids();
  if (argc >= 2 && strcmp(argv[1], "clone_ns") == 0) return clone_ns();
  if (argc >= 3 && strcmp(argv[1], "sockets") == 0) return sockets(atoi(argv[2]));
  if (argc >= 4 && strcmp(argv[1], "stack-landlock") == 0) return stack_landlock(atoi(argv[2]), argv + 3);
  if (argc >= 3 && strcmp(argv[1], "without-landlock") == 0) return without_landlock(argv + 2);
  fprintf(stderr, "usage: probe sockets PORT|stack-landlock N PROG ARGS...|without-landlock PROG ARGS...|syscalls|ioctl|alloc MB|forkbomb|connect PORT|fds|x32|ids|clone_ns\n");
  return 2;
}
