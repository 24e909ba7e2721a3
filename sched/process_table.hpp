#pragma once
// The local process table: pid index -> Process*, safe against concurrent exit.
//
// A slot's word holds the process pointer in its low 48 bits, the id of its
// home scheduler in the next 8 and a count of readers in the top 8. A sender
// on another thread announces itself with one fetch_add, reads the pointer,
// delivers, and leaves with one fetch_sub; an exiting process clears the
// pointer and waits for the reader count to drain before its memory is freed.
// A sender running on the process's home scheduler needs neither: only that
// thread frees or migrates the process. No reference counts, no locks.
//
// Freed slots are reused oldest first, and only once half a chunk of them
// (32,768) is free: a slot's 16-bit generation then wraps after 2 billion
// spawns at the earliest, so a pid kept long after its process died does not
// reach a new one; the slots held back fit in the first chunk.

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "sched/pid.hpp"

namespace actormq::sched {

class Process;

class ProcessTable {
 public:
  /// A freed slot is reused once this many are free (the oldest first).
  static constexpr std::size_t reuse_after_free = std::size_t{1} << 15;

  /// `creation` goes into every pid (sched/pid.hpp): this run of the node.
  explicit ProcessTable(std::uint16_t node, std::uint8_t creation = 0);
  ~ProcessTable();
  ProcessTable(const ProcessTable&) = delete;
  ProcessTable& operator=(const ProcessTable&) = delete;

  /// Thread-safe. Reserves a slot and returns the pid the process will have.
  Pid allocate();
  /// Thread-safe. Makes `p`, homed on scheduler `home`, reachable under `pid`.
  void publish(Pid pid, Process* p, unsigned home);
  /// Owner-only (the process's current home): records a migration.
  void set_home(Pid pid, unsigned home);
  /// Owner-only (scheduler `home`): the process if it is live and homed on
  /// `home`, else nullptr. The caller must be running on that scheduler.
  Process* local(Pid pid, unsigned home) const;
  /// Thread-safe. Makes the pid unreachable, waits for readers, frees the slot.
  void remove(Pid pid);

  /// Thread-safe. Calls f(Process&) while the process is guaranteed not to be
  /// freed; returns false (without calling f) if no live process has this pid.
  template <class F>
  bool with_process(Pid pid, F&& f);

  /// Thread-safe, approximate. Every pid currently published.
  std::vector<Pid> live_pids() const;
  /// Only once every scheduler has stopped: unpublishes and returns every
  /// process still in the table, for the runtime to free.
  std::vector<Process*> take_all();
  std::uint16_t node() const { return node_; }
  std::uint8_t creation() const { return creation_; }

 private:
  struct Slot {
    std::atomic<std::uint64_t> word{0};
    std::uint32_t generation = 1;  // generation 0 is never used: serial 0 is the null pid
    std::uint32_t next_free = 0;
  };
  static constexpr std::uint32_t chunk_bits = 16;
  static constexpr std::uint32_t chunk_size = 1u << chunk_bits;
  static_assert(reuse_after_free <= chunk_size, "the slots held back fit in the first chunk");
  static constexpr std::uint32_t max_chunks = 1u << (Pid::index_bits - chunk_bits);
  static constexpr std::uint64_t ptr_mask = (std::uint64_t{1} << 48) - 1;
  static constexpr int home_shift = 48;
  static constexpr std::uint64_t home_mask = std::uint64_t{0xFF} << home_shift;
  // At most 255 threads may be inside with_process at once.
  static constexpr std::uint64_t reader_one = std::uint64_t{1} << 56;
  static constexpr std::uint64_t reader_mask = std::uint64_t{0xFF} << 56;

  Slot* slot(std::uint32_t index) const;

  std::uint16_t node_;
  std::uint8_t creation_;
  std::unique_ptr<std::atomic<Slot*>[]> chunks_;
  mutable std::mutex alloc_mutex_;
  std::deque<std::uint32_t> free_;     // guarded by alloc_mutex_; oldest first
  std::uint32_t next_unused_ = 1;      // guarded by alloc_mutex_; index 0 unused
};

inline ProcessTable::Slot* ProcessTable::slot(std::uint32_t index) const {
  Slot* chunk = chunks_[index >> chunk_bits].load(std::memory_order_acquire);
  return chunk == nullptr ? nullptr : &chunk[index & (chunk_size - 1)];
}

inline Process* ProcessTable::local(Pid pid, unsigned home) const {
  if (pid.node() != node_ || pid.index() == 0) {
    return nullptr;
  }
  Slot* s = slot(pid.index());
  if (s == nullptr) {
    return nullptr;
  }
  std::uint64_t w = s->word.load(std::memory_order_acquire);
  if (((w & home_mask) >> home_shift) != home) {
    return nullptr;
  }
  return reinterpret_cast<Process*>(w & ptr_mask);
}

}  // namespace actormq::sched

#include "sched/process.hpp"

namespace actormq::sched {

template <class F>
bool ProcessTable::with_process(Pid pid, F&& f) {
  if (pid.node() != node_ || pid.index() == 0) {
    return false;
  }
  Slot* s = slot(pid.index());
  if (s == nullptr) {
    return false;
  }
  std::uint64_t w = s->word.fetch_add(reader_one, std::memory_order_acquire);
  auto* p = reinterpret_cast<Process*>(w & ptr_mask);
  bool found = p != nullptr && p->self() == pid;
  if (found) {
    f(*p);
  }
  s->word.fetch_sub(reader_one, std::memory_order_release);
  return found;
}

}  // namespace actormq::sched
