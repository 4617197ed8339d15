/* A probe run inside the sandbox by the integration tests: each mode prints what it observed. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int net_main(int argc, char **argv); /* net.c */

static const char *ename(long r) { return r < 0 ? strerrorname_np(errno) : "OK"; }

/* Each call is made so that, without the filter, it would not fail with EPERM where it can,
   and is harmless even when it succeeds (paths that do not exist, a bad fd). */
static void syscalls(void) {
  char c = 'x';
  printf("mount %s\n", ename(syscall(SYS_mount, "none", "/nonexistent-probe", "tmpfs", 0, NULL)));
  printf("umount2 %s\n", ename(syscall(SYS_umount2, "/nonexistent-probe", 0)));
  printf("unshare %s\n", ename(syscall(SYS_unshare, 0x10000000 /* CLONE_NEWUSER */)));
  printf("setns %s\n", ename(syscall(SYS_setns, -1, 0)));
  printf("pivot_root %s\n", ename(syscall(SYS_pivot_root, "/nonexistent-probe", "/nonexistent-probe")));
  printf("ptrace %s\n", ename(syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0)));
  printf("kexec_load %s\n", ename(syscall(SYS_kexec_load, 0, 0, NULL, 0)));
  printf("init_module %s\n", ename(syscall(SYS_init_module, NULL, 0, "")));
  printf("bpf %s\n", ename(syscall(SYS_bpf, 0 /* BPF_MAP_CREATE */, NULL, 0)));
  printf("perf_event_open %s\n", ename(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0)));
  printf("keyctl %s\n", ename(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, 1)));
  printf("add_key %s\n", ename(syscall(SYS_add_key, "user", "probe", "v", 1, KEY_SPEC_PROCESS_KEYRING)));
  printf("open_by_handle_at %s\n", ename(syscall(SYS_open_by_handle_at, -1, NULL, 0)));
  printf("reboot %s\n", ename(syscall(SYS_reboot, 0, 0, 0, NULL)));
  printf("swapon %s\n", ename(syscall(SYS_swapon, "/nonexistent", 0)));
  printf("ioctl_tiocsti %s\n", ename(syscall(SYS_ioctl, 0, 0x5412UL, &c)));
  printf("ioctl_tiocsti_high %s\n", ename(syscall(SYS_ioctl, 0, 0xffffffff00005412UL, &c)));
  printf("ioctl_tioclinux %s\n", ename(syscall(SYS_ioctl, 0, 0x541cUL, &c)));
  printf("getpid %s\n", ename(syscall(SYS_getpid)));
}

/* Namespaces through clone and clone3 rather than unshare: a child that exits at once. */
static void clone_ns(void) {
  long flags[] = {0x10000000 /* CLONE_NEWUSER */, 0x20000 /* CLONE_NEWNS */, 0x40000000 /* CLONE_NEWNET */};
  const char *names[] = {"clone_newuser", "clone_newns", "clone_newnet"};
  for (int i = 0; i < 3; i++) {
    long pid = syscall(SYS_clone, flags[i] | SIGCHLD, 0, NULL, NULL, 0);
    if (pid == 0) _exit(0);
    if (pid > 0) waitpid((pid_t)pid, NULL, 0);
    printf("%s %s\n", names[i], ename(pid));
  }
  struct { unsigned long long flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls; } args = {0};
  args.flags = 0x10000000;
  args.exit_signal = SIGCHLD;
  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid((pid_t)pid, NULL, 0);
  printf("clone3_newuser %s\n", ename(pid));
}

/* Descriptors open in this process, without the one used to list them. */
static void fds(void) {
  DIR *d = opendir("/proc/self/fd");
  if (!d) { printf("error %s\n", strerrorname_np(errno)); return; }
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d)) continue;
    printf("%s\n", e->d_name);
  }
  closedir(d);
}

/* Touches memory 1 MiB at a time, printing progress, up to mib MiB. */
static void alloc(long mib) {
  for (long i = 1; i <= mib; i++) {
    char *p = malloc(1 << 20);
    if (!p) { printf("malloc-failed %ld\n", i); return; }
    memset(p, 1, 1 << 20);
    if (i % 8 == 0) { printf("%ld\n", i); fflush(stdout); }
  }
  printf("allocated %ld\n", mib);
}

/* Forks until refused (children wait), prints how many, holds them hold_ms, then exits. */
static void forks(long max, long hold_ms) {
  long n = 0;
  int err = 0;
  while (n < max) {
    pid_t p = fork();
    if (p < 0) { err = errno; break; }
    if (p == 0) { pause(); _exit(0); }
    n++;
  }
  printf("forked %ld %s\n", n, err ? strerrorname_np(err) : "OK");
  fflush(stdout);
  usleep(hold_ms * 1000);
}

/* Listens on the loopback of wherever it runs: needs listen (network-bind). */
static void tcp_listen(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  long r = s < 0 ? -1 : bind(s, (struct sockaddr *)&a, sizeof a);
  printf("bind %s\n", ename(r));
  printf("listen %s\n", ename(r < 0 ? r : listen(s, 1)));
}

static void tcp_connect(const char *ip, int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
  inet_pton(AF_INET, ip, &a.sin_addr);
  printf("connect %s\n", ename(s < 0 ? -1 : connect(s, (struct sockaddr *)&a, sizeof a)));
}

/* Starts a setuid program waiting on a pipe and reports the ids it really runs with. */
static void setuid_check(const char *prog) {
  int in[2];
  if (pipe(in) < 0) { printf("error pipe\n"); return; }
  pid_t p = fork();
  if (p == 0) { dup2(in[0], 0); execl(prog, prog, "root", (char *)NULL); _exit(127); }
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", p);
  for (int i = 0; i < 200; i++) {
    usleep(10000);
    FILE *f = fopen(path, "r");
    if (!f) break;
    char name[64] = "", uid[256] = "";
    while (fgets(line, sizeof line, f)) {
      if (!strncmp(line, "Name:", 5)) sscanf(line + 5, "%63s", name);
      if (!strncmp(line, "Uid:", 4)) snprintf(uid, sizeof uid, "%s", line + 4);
    }
    fclose(f);
    if (strcmp(name, "probe") != 0 && uid[0]) { printf("name %s uid %s", name, uid); break; }
  }
  kill(p, SIGKILL);
  waitpid(p, NULL, 0);
}

static void create(const char *path) {
  int fd = open(path, O_CREAT | O_WRONLY, 0644);
  printf("create %s %s\n", path, ename(fd));
}

static void readable(const char *path) {
  int fd = open(path, O_RDONLY);
  printf("read %s %s\n", path, ename(fd));
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *m = argc > 1 ? argv[1] : "";
  if (!strcmp(m, "syscalls")) syscalls();
  else if (!strcmp(m, "fds")) fds();
  else if (!strcmp(m, "clone_ns")) clone_ns();
  else if (!strcmp(m, "alloc") && argc > 2) alloc(atol(argv[2]));
  else if (!strcmp(m, "forks") && argc > 3) forks(atol(argv[2]), atol(argv[3]));
  else if (!strcmp(m, "listen")) tcp_listen();
  else if (!strcmp(m, "connect") && argc > 3) tcp_connect(argv[2], atoi(argv[3]));
  else if (!strcmp(m, "setuid") && argc > 2) setuid_check(argv[2]);
  else if (!strcmp(m, "create")) for (int i = 2; i < argc; i++) create(argv[i]);
  else if (!strcmp(m, "read")) for (int i = 2; i < argc; i++) readable(argv[i]);
  else if (argc > 1 && net_main(argc, argv) == 0) {}
  else { fprintf(stderr, "usage: probe sockets|signals|pipe-writer|unix-connect|unix-serve|unix-dgram NAME|udp-serve|udp-bind|tcp-serve PORT|udp-client IP PORT|resolve NAME|syscalls|fds|alloc MIB|forks MAX HOLD_MS|connect IP PORT|setuid PROG|create PATH...|read PATH...\n"); return 2; }
  return 0;
}
