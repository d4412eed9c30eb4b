//===- Simt.cpp - CUDA's thread model on the host: fibers and barriers ----===//
#include "tests/cuda_simt/Simt.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>
#include <vector>

namespace popt::simt {

namespace {

constexpr int kWarp = 32;
constexpr unsigned kMaxBlock = 1024;
constexpr size_t kStack = size_t(64) << 10;

struct Barrier {
  int expected = 0, arrived = 0;
  uint64_t generation = 0;
};

struct Fiber {
  ucontext_t context;
  Coordinates at;
  bool done = false;
  Barrier *waitingOn = nullptr; ///< while blocked: the barrier, and
  uint64_t waitGeneration = 0;  ///< its generation when it arrived
};

/// The block being run on this host thread.
struct Block {
  std::vector<Fiber> fibers;
  std::vector<Barrier> warps;
  std::vector<uint64_t> slots; ///< each thread's word in a shuffle
  Barrier block;
  ucontext_t scheduler;
  int current = 0;
  const std::function<void()> *body = nullptr;
};

thread_local Block *active = nullptr;
/// Blocks begun on this host thread, and the block each __shared__
/// variable was last poisoned for.
thread_local uint64_t blocksBegun = 0;
thread_local std::map<void *, uint64_t> poisonedFor;
/// The fibers' stacks, each above a page that faults (an overrun stops the
/// process instead of corrupting a neighbour).
struct Stacks {
  char *base = nullptr;
  size_t threads = 0, stride = 0;
  ~Stacks() {
    if (base)
      munmap(base, threads * stride);
  }
  char *of(int t) const { return base + size_t(t) * stride + guard(); }
  static size_t guard() { return size_t(sysconf(_SC_PAGESIZE)); }
  void reserve(unsigned n) {
    if (threads >= n)
      return;
    if (base)
      munmap(base, threads * stride);
    stride = kStack + guard();
    void *p = mmap(nullptr, n * stride, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    if (p == MAP_FAILED) {
      std::fprintf(stderr, "popt SIMT: cannot map %u fiber stacks\n", n);
      std::abort();
    }
    base = static_cast<char *>(p);
    threads = n;
    for (unsigned t = 0; t < n; ++t)
      mprotect(base + t * stride, guard(), PROT_NONE);
  }
};
thread_local Stacks stacks;
const Coordinates kHost{};

[[noreturn]] void fail(const char *what) {
  const Coordinates &c = here();
  std::fprintf(stderr,
               "popt SIMT check: %s (block %u of %u, thread %u of %u); a GPU would be "
               "undefined here\n",
               what, c.block.x, c.gridSize.x, c.thread.x, c.blockSize.x);
  std::abort();
}

void release(Barrier &b) {
  b.arrived = 0;
  ++b.generation;
}

/// Arrives at `b` and returns once every live thread it counts has.
void arrive(Barrier &b) {
  Block &k = *active;
  if (++b.arrived >= b.expected) {
    release(b);
    return;
  }
  Fiber &f = k.fibers[size_t(k.current)];
  f.waitingOn = &b;
  f.waitGeneration = b.generation;
  while (b.generation == f.waitGeneration)
    swapcontext(&f.context, &k.scheduler);
  f.waitingOn = nullptr;
}

/// A finished thread leaves its block's and its warp's barriers.
void leave(Block &k, int t) {
  for (Barrier *b : {&k.block, &k.warps[size_t(t / kWarp)]}) {
    --b->expected;
    if (b->arrived > 0 && b->arrived >= b->expected)
      release(*b);
  }
}

void fiberMain() {
  Block &k = *active;
  (*k.body)();
  k.fibers[size_t(k.current)].done = true;
  leave(k, k.current);
  // Returns to the scheduler through uc_link.
}

void runBlock(Block &k, unsigned blockIndex, unsigned grid, unsigned threads) {
  const int n = int(threads);
  ++blocksBegun;
  k.block = Barrier{n, 0, 0};
  k.warps.assign(size_t((n + kWarp - 1) / kWarp), Barrier{});
  for (int w = 0; w < int(k.warps.size()); ++w)
    k.warps[size_t(w)].expected = std::min(kWarp, n - w * kWarp);
  k.slots.assign(size_t(n), 0);
  k.fibers.assign(size_t(n), Fiber{});
  for (int t = 0; t < n; ++t) {
    Fiber &f = k.fibers[size_t(t)];
    f.at.thread = uint3{unsigned(t), 0, 0};
    f.at.block = uint3{blockIndex, 0, 0};
    f.at.blockSize = dim3(threads, 1, 1);
    f.at.gridSize = dim3(grid, 1, 1);
    getcontext(&f.context);
    f.context.uc_stack.ss_sp = stacks.of(t);
    f.context.uc_stack.ss_size = kStack;
    f.context.uc_link = &k.scheduler;
    makecontext(&f.context, fiberMain, 0);
  }
  // Odd blocks run their threads last to first: a read of shared memory
  // that no barrier orders after its write then sees the old value in one
  // of every two blocks instead of always the new one.
  const bool reverse = blockIndex % 2 == 1;
  for (;;) {
    bool ran = false, left = false;
    for (int i = 0; i < n; ++i) {
      const int t = reverse ? n - 1 - i : i;
      Fiber &f = k.fibers[size_t(t)];
      if (f.done)
        continue;
      left = true;
      if (f.waitingOn && f.waitingOn->generation == f.waitGeneration)
        continue;
      k.current = t;
      swapcontext(&k.scheduler, &f.context);
      ran = true;
    }
    if (!left)
      return;
    if (!ran) {
      // Every live thread waits at a barrier that cannot complete.
      for (int t = 0; t < n; ++t)
        if (!k.fibers[size_t(t)].done) {
          k.current = t;
          break;
        }
      fail("every live thread waits at a barrier some threads never reach");
    }
  }
}

} // namespace

const Coordinates &here() {
  return active ? active->fibers[size_t(active->current)].at : kHost;
}

void syncThreads() {
  if (!active)
    fail("__syncthreads outside a kernel");
  arrive(active->block);
}

uint64_t exchange64(uint64_t value, int source) {
  if (!active)
    fail("a shuffle outside a kernel");
  Block &k = *active;
  const int t = k.current, warp = t / kWarp;
  if (source < 0 || source >= kWarp)
    fail("a shuffle from a lane outside the warp");
  const int from = warp * kWarp + source;
  k.slots[size_t(t)] = value;
  arrive(k.warps[size_t(warp)]);
  if (from >= int(k.fibers.size()) || k.fibers[size_t(from)].done)
    fail("a shuffle from a lane that has exited or does not exist");
  const uint64_t got = k.slots[size_t(from)];
  arrive(k.warps[size_t(warp)]);
  return got;
}

void poisonShared(void *p, size_t bytes) {
  uint64_t &last = poisonedFor[p];
  if (last == blocksBegun)
    return;
  last = blocksBegun;
  std::memset(p, 0xFF, bytes);
}

uint32_t exchange(uint32_t value, int source) { return uint32_t(exchange64(value, source)); }

void runGrid(unsigned grid, unsigned block, const std::function<void()> &body) {
  if (grid == 0 || block == 0 || block > kMaxBlock) {
    std::fprintf(stderr, "popt SIMT check: a launch of %u blocks of %u threads is invalid\n",
                 grid, block);
    std::abort();
  }
  stacks.reserve(block);
  Block k;
  k.body = &body;
  Block *outer = active;
  active = &k;
  for (unsigned b = 0; b < grid; ++b)
    runBlock(k, b, grid, block);
  active = outer;
}

} // namespace popt::simt
