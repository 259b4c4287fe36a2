// The knobs of weft::sim::Network: per-link latency, bandwidth and UDP faults, TCP segmenting
// and windows, timeouts, and the seeded random-fault mode. Every random quantity is drawn with
// SimLoop::choose, where choice 0 is the nominal value (minimum latency, no split, no fault).
#ifndef WEFT_SIM_NET_NETWORK_CONFIG_H_
#define WEFT_SIM_NET_NETWORK_CONFIG_H_

#include <cstddef>
#include <cstdint>

namespace weft::sim {

inline constexpr int64_t kMicrosecond = 1'000;
inline constexpr int64_t kMillisecond = 1'000'000;
inline constexpr int64_t kSecond = 1'000'000'000;

// One-way latency: uniform in [min_ns, max_ns]; then, with `tail_probability`, up to `tail_ns`
// more (a slow packet). min == max and tail_probability == 0 draw nothing: the latency is exact.
struct LatencyDistribution {
  int64_t min_ns = 1 * kMillisecond;
  int64_t max_ns = 1 * kMillisecond;
  double tail_probability = 0.0;
  int64_t tail_ns = 0;
};

// A link between two hosts (both directions), or a host's loopback.
struct LinkConfig {
  LatencyDistribution latency;
  // Bytes per second a link carries; 0 = unlimited. Shared by every connection on the link.
  uint64_t bandwidth = 0;
  // UDP only: a datagram is lost / delivered twice / delayed by up to `udp_reorder_ns` extra
  // (so later datagrams may overtake it) with these probabilities.
  double udp_loss = 0.0;
  double udp_duplicate = 0.0;
  double udp_reorder = 0.0;
  int64_t udp_reorder_ns = 5 * kMillisecond;
};

// Seeded random faults, all off by default. Drawn per TCP data segment / UDP datagram sent
// between two different hosts (never on a loopback).
struct FaultConfig {
  // The connection is reset: both ends get ConnectionResetError.
  double tcp_reset_probability = 0.0;
  // The two hosts are cut both ways for a duration in [partition_min_ns, partition_max_ns],
  // then healed (the heal also removes a scripted cut between the same two hosts).
  double partition_probability = 0.0;
  int64_t partition_min_ns = 1 * kSecond;
  int64_t partition_max_ns = 5 * kSecond;
  // The sending host is clogged for a duration in [clog_min_ns, clog_max_ns].
  double clog_probability = 0.0;
  int64_t clog_min_ns = 100 * kMillisecond;
  int64_t clog_max_ns = 1 * kSecond;
};

// A link whose latency is uniform in [min_ns, max_ns], otherwise default.
inline LinkConfig link_with_latency(int64_t min_ns, int64_t max_ns) {
  LinkConfig link;
  link.latency.min_ns = min_ns;
  link.latency.max_ns = max_ns;
  return link;
}

struct NetworkConfig {
  // Links between different hosts, unless set_link() overrides a pair.
  LinkConfig link = link_with_latency(1 * kMillisecond, 5 * kMillisecond);
  // Every host's loopback (127.0.0.1, ::1, or a host talking to its own address).
  LinkConfig loopback = link_with_latency(10 * kMicrosecond, 50 * kMicrosecond);
  // TCP: each segment that leaves a sender is, with this probability, cut short at a chosen
  // size; the rest follows at least `split_gap_ns` later, so a reader sees it in a later
  // data_received (a partial read). Segments that arrive together are delivered together.
  double partial_read_probability = 0.25;
  int64_t split_gap_ns = 1 * kMicrosecond;
  size_t max_segment = 64 * 1024;
  // Bytes a direction may have in flight plus received-but-unread (a reader that paused reading
  // holds it full): beyond it the sender's transport buffers, and pause_writing fires.
  size_t window = 256 * 1024;
  // Unacknowledged data stuck behind a cut (or a crashed host) for this long fails the sending
  // end with OSError(ETIMEDOUT); 0 = never. Linux gives up after ~15 minutes.
  int64_t tcp_timeout_ns = 60 * kSecond;
  // A connect with no answer (cut, crashed host, unknown address) fails with OSError(ETIMEDOUT)
  // after this long (Linux: ~127 s).
  int64_t connect_timeout_ns = 127 * kSecond;
  FaultConfig faults;
};

}  // namespace weft::sim

#endif  // WEFT_SIM_NET_NETWORK_CONFIG_H_
