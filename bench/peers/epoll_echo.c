/* The hardware limit for W5: a single-threaded, level-triggered epoll line-echo server in plain
 * C. For each readable connection it reads what is there, writes back every complete line at
 * once and keeps a partial line for later (the same contract as weft's and asyncio's echo
 * protocols). Unsent bytes wait for EPOLLOUT.
 *   epoll_echo [PORT]   (0 or none: any free port) — prints "PORT <n>" once listening.
 * Build: gcc -O2 epoll_echo.c. Runs until killed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct conn {
  int fd;
  char *in;       /* partial line */
  size_t in_len, in_cap;
  char *out;      /* unsent bytes */
  size_t out_len, out_cap;
  int want_out;
};

static int epfd;

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void append(char **buf, size_t *len, size_t *cap, const char *data, size_t n) {
  if (*len + n > *cap) {
    size_t c = *cap ? *cap : 256;
    while (c < *len + n) c *= 2;
    *buf = realloc(*buf, c);
    if (!*buf) die("realloc");
    *cap = c;
  }
  memcpy(*buf + *len, data, n);
  *len += n;
}

static void close_conn(struct conn *c) {
  epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  free(c->in);
  free(c->out);
  free(c);
}

static void set_events(struct conn *c, int want_out) {
  if (c->want_out == want_out) return;
  struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.ptr = c};
  epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
  c->want_out = want_out;
}

/* Sends `data` (after anything already queued); returns -1 if the connection broke. */
static int send_all(struct conn *c, const char *data, size_t n) {
  if (c->out_len == 0) {
    ssize_t w = send(c->fd, data, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return -1;
      w = 0;
    }
    data += w;
    n -= (size_t)w;
    if (n == 0) return 0;
  }
  append(&c->out, &c->out_len, &c->out_cap, data, n);
  set_events(c, 1);
  return 0;
}

static int on_readable(struct conn *c) {
  char buf[65536];
  ssize_t r = recv(c->fd, buf, sizeof(buf), 0);
  if (r == 0) return -1;
  if (r < 0) return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
  const char *data = buf;
  size_t n = (size_t)r;
  if (c->in_len > 0) {
    append(&c->in, &c->in_len, &c->in_cap, buf, n);
    data = c->in;
    n = c->in_len;
  }
  const char *end = memrchr(data, '\n', n);
  if (!end) {
    if (data == buf) append(&c->in, &c->in_len, &c->in_cap, buf, n);
    return 0;
  }
  size_t line_bytes = (size_t)(end - data) + 1;
  if (send_all(c, data, line_bytes) < 0) return -1;
  size_t rest = n - line_bytes;
  if (data == buf) {
    if (rest) append(&c->in, &c->in_len, &c->in_cap, end + 1, rest);
  } else {
    memmove(c->in, end + 1, rest);
    c->in_len = rest;
  }
  return 0;
}

static int on_writable(struct conn *c) {
  ssize_t w = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
  if (w < 0) return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
  memmove(c->out, c->out + w, c->out_len - (size_t)w);
  c->out_len -= (size_t)w;
  if (c->out_len == 0) set_events(c, 0);
  return 0;
}

int main(int argc, char **argv) {
  int port = argc > 1 ? atoi(argv[1]) : 0;
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (lfd < 0) die("socket");
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0) die("bind");
  if (listen(lfd, 1024) < 0) die("listen");
  socklen_t len = sizeof(addr);
  getsockname(lfd, (struct sockaddr *)&addr, &len);
  printf("PORT %d\n", ntohs(addr.sin_port));
  fflush(stdout);

  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) die("epoll_create1");
  struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &lev);

  struct epoll_event events[128];
  for (;;) {
    int n = epoll_wait(epfd, events, 128, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      struct conn *c = events[i].data.ptr;
      if (!c) {
        int fd;
        while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
          c = calloc(1, sizeof(*c));
          if (!c) die("calloc");
          c->fd = fd;
          struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
          epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
        }
        continue;
      }
      int broken = 0;
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) broken = on_readable(c) < 0;
      if (!broken && (events[i].events & EPOLLOUT)) broken = on_writable(c) < 0;
      if (broken) close_conn(c);
    }
  }
}
