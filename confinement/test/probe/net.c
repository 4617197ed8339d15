/* The probe's socket modes: families, servers, clients, abstract sockets; and signal state. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define AF_VSOCK_ 40
#define NETLINK_KOBJECT_UEVENT_ 15
/* A server waits this long for the test's one request. */
#define SERVE_TIMEOUT_S 20

static const char *ename(long r) { return r < 0 ? strerrorname_np(errno) : "OK"; }

static void sockets(void) {
  int sv[2];
  printf("socket_unix %s\n", ename(socket(AF_UNIX, SOCK_STREAM, 0)));
  printf("socket_inet %s\n", ename(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)));
  printf("socket_inet6 %s\n", ename(socket(AF_INET6, SOCK_STREAM, 0)));
  printf("socket_vsock %s\n", ename(socket(AF_VSOCK_, SOCK_STREAM, 0)));
  printf("socket_packet %s\n", ename(socket(AF_PACKET, SOCK_DGRAM, 0)));
  printf("socket_netlink_route %s\n", ename(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0)));
  printf("socket_netlink_uevent %s\n", ename(socket(AF_NETLINK, SOCK_RAW, NETLINK_KOBJECT_UEVENT_)));
  printf("socketpair_unix %s\n", ename(socketpair(AF_UNIX, SOCK_STREAM, 0, sv)));
  printf("socketpair_inet %s\n", ename(socketpair(AF_INET, SOCK_STREAM, 0, sv)));
  struct ifaddrs *ifa = NULL;
  printf("getifaddrs %s\n", ename(getifaddrs(&ifa)));
}

/* "@name" is an abstract address, zero-padded to the full length as Node binds one; anything else a path. */
static socklen_t unix_addr(const char *name, struct sockaddr_un *a) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  size_t n = strlen(name);
  if (n >= sizeof a->sun_path) n = sizeof a->sun_path - 1;
  memcpy(a->sun_path, name, n);
  if (name[0] == '@') a->sun_path[0] = '\0';
  return name[0] == '@' ? (socklen_t)sizeof *a : (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
}

/* Connects to a unix socket and prints the first line it says. */
static void unix_connect(const char *name) {
  struct sockaddr_un a;
  socklen_t len = unix_addr(name, &a);
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  long r = s < 0 ? -1 : connect(s, (struct sockaddr *)&a, len);
  char buf[64] = "";
  if (r == 0) { ssize_t n = read(s, buf, sizeof buf - 1); buf[n > 0 ? n : 0] = '\0'; buf[strcspn(buf, "\n")] = '\0'; }
  printf("connect %s%s%s\n", ename(r), buf[0] ? " " : "", buf);
}

/* A unix server of the app's own, stream (needs listen) or datagram, and a child that talks to it. */
static void unix_serve(const char *name, int type) {
  struct sockaddr_un a;
  socklen_t len = unix_addr(name, &a);
  int s = socket(AF_UNIX, type, 0);
  long r = s < 0 ? -1 : bind(s, (struct sockaddr *)&a, len);
  printf("bind %s\n", ename(r));
  if (r == 0 && type == SOCK_STREAM) printf("listen %s\n", ename(r = listen(s, 1)));
  if (r < 0) return;
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    int c = socket(AF_UNIX, type, 0);
    if (connect(c, (struct sockaddr *)&a, len) < 0 || write(c, "ping", 4) != 4) _exit(1);
    _exit(0);
  }
  int peer = type == SOCK_STREAM ? accept(s, NULL, NULL) : s;
  char buf[8] = "";
  ssize_t n = peer < 0 ? -1 : read(peer, buf, 4);
  waitpid(child, NULL, 0);
  printf("served %s\n", n == 4 && !memcmp(buf, "ping", 4) ? "OK" : "FAILED");
}

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

/* Binds 127.0.0.1:port (TCP or UDP), says so, then answers one request from the host with "pong"
   (or stops there when only_bind). */
static void serve(int type, int port, int only_bind) {
  struct sockaddr_in a = loopback(port);
  int s = socket(AF_INET, type, 0);
  long r = s < 0 ? -1 : bind(s, (struct sockaddr *)&a, sizeof a);
  printf("bind %s\n", ename(r));
  if (r == 0 && type == SOCK_STREAM) printf("listen %s\n", ename(r = listen(s, 1)));
  fflush(stdout);
  if (r < 0 || only_bind) return;
  struct timeval tv = { .tv_sec = SERVE_TIMEOUT_S };
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[16];
  struct sockaddr_in from;
  socklen_t flen = sizeof from;
  if (type == SOCK_DGRAM) {
    r = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
    if (r >= 0) r = sendto(s, "pong", 4, 0, (struct sockaddr *)&from, flen);
  } else {
    int c = accept(s, NULL, NULL);
    r = c < 0 ? -1 : write(c, "pong", 4);
  }
  printf("served %s\n", ename(r));
}

/* A UDP client as Node's dgram is one: bind(port 0) first, then send and wait for the answer. */
static void udp_client(const char *ip, int port) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in any = { .sin_family = AF_INET }, to = loopback(port);
  inet_pton(AF_INET, ip, &to.sin_addr);
  printf("bind0 %s\n", ename(bind(s, (struct sockaddr *)&any, sizeof any)));
  struct timeval tv = { .tv_sec = SERVE_TIMEOUT_S };
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[16];
  long r = sendto(s, "ping", 4, 0, (struct sockaddr *)&to, sizeof to);
  printf("exchange %s\n", ename(r < 0 ? r : recv(s, buf, sizeof buf, 0)));
}

static void resolve(const char *name) {
  struct addrinfo *res = NULL, hints = { .ai_socktype = SOCK_STREAM };
  int rc = getaddrinfo(name, "80", &hints, &res);
  char addr[64] = "";
  if (rc == 0) getnameinfo(res->ai_addr, res->ai_addrlen, addr, sizeof addr, NULL, 0, NI_NUMERICHOST);
  printf("resolve %s\n", rc == 0 ? addr : gai_strerror(rc));
}

/* SigIgn, SigBlk and SigCgt of this process, as the kernel reports them. */
static void signals(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  while (f && fgets(line, sizeof line, f)) {
    if (!strncmp(line, "SigIgn:", 7) || !strncmp(line, "SigBlk:", 7) || !strncmp(line, "SigCgt:", 7)) fputs(line, stdout);
  }
  if (f) fclose(f);
}

/* Writes to stdout until it fails; reaching the end means SIGPIPE did not end us. */
static void pipe_writer(void) {
  long r;
  while ((r = write(1, "x\n", 2)) > 0) {}
  fprintf(stderr, "write %s\n", ename(r));
}

int net_main(int argc, char **argv) {
  const char *m = argv[1];
  if (!strcmp(m, "sockets")) sockets();
  else if (!strcmp(m, "unix-connect") && argc > 2) unix_connect(argv[2]);
  else if (!strcmp(m, "unix-serve") && argc > 2) unix_serve(argv[2], SOCK_STREAM);
  else if (!strcmp(m, "unix-dgram") && argc > 2) unix_serve(argv[2], SOCK_DGRAM);
  else if (!strcmp(m, "udp-serve") && argc > 2) serve(SOCK_DGRAM, atoi(argv[2]), 0);
  else if (!strcmp(m, "udp-bind") && argc > 2) serve(SOCK_DGRAM, atoi(argv[2]), 1);
  else if (!strcmp(m, "tcp-serve") && argc > 2) serve(SOCK_STREAM, atoi(argv[2]), 0);
  else if (!strcmp(m, "udp-client") && argc > 3) udp_client(argv[2], atoi(argv[3]));
  else if (!strcmp(m, "resolve") && argc > 2) resolve(argv[2]);
  else if (!strcmp(m, "signals")) signals();
  else if (!strcmp(m, "pipe-writer")) pipe_writer();
  else return -1;
  return 0;
}
