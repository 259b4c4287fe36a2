#!/usr/bin/python3
"""The asyncio and uvloop peers of bench/compare, doing what weft's benchmarks do.

  asyncio_peer.py [--loop asyncio|uvloop] [WORKLOAD ...]   W1a W1b W2 W3a W3b (default: all)
  asyncio_peer.py [--loop asyncio|uvloop] echo-server PORT  W5: line-echo server (Protocol API)

Each workload prints `RESULT <name> items=<n> cpu_s=<s> wall_s=<s>`; items per CPU second is the
figure. Python runs the same shapes at a fifth of the sizes (the figure is a rate), so a full
comparison stays within minutes. WEFT_BENCH_QUICK=1 shrinks them further, as for the C++ peers.
"""
import asyncio
import os
import sys
import time

QUICK = os.environ.get("WEFT_BENCH_QUICK", "0") not in ("", "0")


def size(full):
    return max(10, full // 1000) if QUICK else full


W1_TASKS = size(200_000)
W1_BATCH = 1000
W2_MESSAGES = size(200_000)
W3A_TASKS = 10 if QUICK else 2_000
W3A_YIELDS = 100
W3B_TIMERS = size(100_000)


def report(name, items, cpu0, wall0, loop_name):
    cpu = time.process_time() - cpu0
    wall = time.monotonic() - wall0
    print(f"RESULT {name} items={items} cpu_s={cpu:.6f} wall_s={wall:.6f} loop={loop_name}",
          flush=True)


async def trivial():
    return 1


async def w1a(total):
    done = 0
    while done < total:
        n = min(W1_BATCH, total - done)
        results = await asyncio.gather(*[trivial() for _ in range(n)])
        done += len(results)
    return done


async def w1b(total):
    done = 0
    for _ in range(total):
        done += await asyncio.create_task(trivial())
    return done


async def ponger(inq, outq, rounds):
    for _ in range(rounds):
        v = await inq.get()
        await outq.put(v + 1)


async def w2(messages):
    ping = asyncio.Queue()
    pong = asyncio.Queue()
    rounds = messages // 2
    other = asyncio.create_task(ponger(ping, pong, rounds))
    v = 0
    for _ in range(rounds):
        await ping.put(v)
        v = await pong.get()
    await other
    return v


async def yielder(yields):
    for _ in range(yields):
        await asyncio.sleep(0)


async def w3a(tasks, yields):
    await asyncio.gather(*[yielder(yields) for _ in range(tasks)])
    return tasks * yields


def delay_s(i):
    return (1 + (i * 7919) % 1000) * 1e-6


async def sleeper(i):
    await asyncio.sleep(delay_s(i))


async def w3b(n):
    handles = [asyncio.create_task(sleeper(i)) for i in range(n)]
    await asyncio.sleep(1e-9)
    for i in range(0, n, 3):
        handles[i].cancel()
    await asyncio.wait(handles)
    return sum(1 for h in handles if not h.cancelled())


class EchoProtocol(asyncio.Protocol):
    """Echoes every complete line; keeps a partial line until its end arrives."""

    def connection_made(self, transport):
        self.transport = transport
        self.pending = b""

    def data_received(self, data):
        if self.pending:
            data = self.pending + data
        end = data.rfind(b"\n")
        if end < 0:
            self.pending = data
            return
        self.pending = data[end + 1:]
        self.transport.write(data[:end + 1])


async def echo_server(port):
    loop = asyncio.get_running_loop()
    server = await loop.create_server(EchoProtocol, "127.0.0.1", port)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


def main(argv):
    loop_name = "asyncio"
    if len(argv) >= 2 and argv[0] == "--loop":
        loop_name = argv[1]
        argv = argv[2:]
    if loop_name == "uvloop":
        import uvloop
        run = uvloop.run if hasattr(uvloop, "run") else None
        if run is None:
            uvloop.install()
            run = asyncio.run
    elif loop_name == "asyncio":
        run = asyncio.run
    else:
        sys.exit(f"unknown loop {loop_name!r} (asyncio or uvloop)")

    if argv and argv[0] == "echo-server":
        port = int(argv[1]) if len(argv) > 1 else 0
        try:
            run(echo_server(port))
        except KeyboardInterrupt:
            pass
        return

    workloads = {
        "W1a": (lambda: w1a(W1_TASKS), W1_TASKS, W1_TASKS),
        "W1b": (lambda: w1b(W1_TASKS), W1_TASKS, W1_TASKS),
        "W2": (lambda: w2(W2_MESSAGES), W2_MESSAGES // 2, W2_MESSAGES // 2 * 2),
        "W3a": (lambda: w3a(W3A_TASKS, W3A_YIELDS), W3A_TASKS * W3A_YIELDS,
                W3A_TASKS * W3A_YIELDS),
        "W3b": (lambda: w3b(W3B_TIMERS), W3B_TIMERS - (W3B_TIMERS + 2) // 3, W3B_TIMERS),
    }
    selected = argv or list(workloads)
    for name in selected:
        if name not in workloads:
            sys.exit(f"unknown workload {name!r}")
        make, expected, items = workloads[name]
        cpu0, wall0 = time.process_time(), time.monotonic()
        got = run(make())
        if got != expected:
            sys.exit(f"peer self-check failed: {name}: {got} != {expected}")
        report(name, items, cpu0, wall0, loop_name)


if __name__ == "__main__":
    main(sys.argv[1:])
