// W5's one load client: drives every echo server (weft's, the raw epoll C server, asyncio's,
// uvloop's) the same way. It opens CONNS connections to 127.0.0.1:PORT; each keeps exactly one
// 64-byte line in flight (send, wait for the full echo, check it, send the next) until MESSAGES
// lines have been echoed in all. Single-threaded, non-blocking sockets, epoll.
//   echo_load PORT CONNS MESSAGES [SERVER_PID]
// Prints one line:
//   RESULT W5 conns=<n> items=<messages> wall_s=<s> msgs_per_s=<x> client_cpu_s=<s>
//          [server_cpu_s=<s> server_ns_per_msg=<x>]
// Server CPU time is the sum over the server's threads of /proc/<pid>/task/*/schedstat
// (nanoseconds on CPU), read after the connections are up and after the last echo.
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr size_t kLine = 64;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "echo_load: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

double now_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double own_cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

// Nanoseconds the process `pid` has spent on a CPU, all threads; -1 if unreadable.
int64_t process_cpu_ns(int pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(dir.c_str());
  if (!d) return -1;
  int64_t total = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const std::string path = dir + "/" + e->d_name + "/schedstat";
    FILE* f = std::fopen(path.c_str(), "r");
    if (!f) continue;
    long long ns = 0;
    if (std::fscanf(f, "%lld", &ns) == 1) total += ns;
    std::fclose(f);
  }
  closedir(d);
  return total;
}

struct Conn {
  int fd = -1;
  int64_t quota = 0;     // lines this connection still has to send
  int64_t received = 0;  // bytes of the current echo received so far
  char echo[kLine];
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s PORT CONNS MESSAGES [SERVER_PID]\n", argv[0]);
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const int conns = std::atoi(argv[2]);
  const int64_t messages = std::atoll(argv[3]);
  const int server_pid = argc > 4 ? std::atoi(argv[4]) : 0;
  if (port <= 0 || conns <= 0 || messages < conns) {
    std::fprintf(stderr, "echo_load: need PORT > 0, CONNS > 0, MESSAGES >= CONNS\n");
    return 2;
  }

  char line[kLine];
  for (size_t i = 0; i < kLine - 1; ++i) line[i] = static_cast<char>('a' + i % 26);
  line[kLine - 1] = '\n';

  const int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  std::vector<Conn> all(static_cast<size_t>(conns));
  for (int i = 0; i < conns; ++i) {
    Conn& c = all[static_cast<size_t>(i)];
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c.fd < 0) die("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) die("connect");
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c.quota = messages / conns + (i < messages % conns ? 1 : 0);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<uint32_t>(i);
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev) < 0) die("epoll_ctl");
  }

  // One round trip per connection before timing: every server has accepted and set up.
  auto send_line = [&](Conn& c) {
    if (send(c.fd, line, kLine, MSG_NOSIGNAL) != static_cast<ssize_t>(kLine)) die("send");
  };
  for (Conn& c : all) {
    send_line(c);
    size_t got = 0;
    while (got < kLine) {
      ssize_t r = recv(c.fd, c.echo + got, kLine - got, 0);
      if (r <= 0) die("warm-up recv");
      got += static_cast<size_t>(r);
    }
  }

  const int64_t server0 = server_pid ? process_cpu_ns(server_pid) : -1;
  const double cpu0 = own_cpu_s();
  const double t0 = now_s();
  int64_t done = 0;
  for (Conn& c : all) {
    send_line(c);
    --c.quota;
  }
  epoll_event events[256];
  while (done < messages) {
    const int n = epoll_wait(ep, events, 256, 10'000);
    if (n == 0) {
      std::fprintf(stderr, "echo_load: no echo for 10 s (%lld of %lld done)\n",
                   static_cast<long long>(done), static_cast<long long>(messages));
      return 1;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      Conn& c = all[events[i].data.u32];
      ssize_t r = recv(c.fd, c.echo + c.received, kLine - static_cast<size_t>(c.received), 0);
      if (r <= 0) {
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        std::fprintf(stderr, "echo_load: server closed a connection\n");
        return 1;
      }
      c.received += r;
      if (c.received < static_cast<int64_t>(kLine)) continue;
      if (std::memcmp(c.echo, line, kLine) != 0) {
        std::fprintf(stderr, "echo_load: wrong echo\n");
        return 1;
      }
      c.received = 0;
      ++done;
      if (c.quota > 0) {
        --c.quota;
        send_line(c);
      }
    }
  }
  const double wall = now_s() - t0;
  const double cpu = own_cpu_s() - cpu0;
  const int64_t server1 = server_pid ? process_cpu_ns(server_pid) : -1;

  std::printf("RESULT W5 conns=%d items=%lld wall_s=%.6f msgs_per_s=%.1f client_cpu_s=%.6f", conns,
              static_cast<long long>(messages), wall, static_cast<double>(messages) / wall, cpu);
  if (server0 >= 0 && server1 >= 0) {
    const double server_s = static_cast<double>(server1 - server0) * 1e-9;
    std::printf(" server_cpu_s=%.6f server_ns_per_msg=%.1f", server_s,
                server_s * 1e9 / static_cast<double>(messages));
  }
  std::printf("\n");
  for (Conn& c : all) close(c.fd);
  close(ep);
  return 0;
}
