#include "sched/process_table.hpp"

#include <stdexcept>
#include <thread>

#include "sched/process.hpp"

namespace actormq::sched {

ProcessTable::ProcessTable(std::uint16_t node, std::uint8_t creation)
    : node_(node), creation_(creation), chunks_(new std::atomic<Slot*>[max_chunks]) {
  for (std::uint32_t i = 0; i < max_chunks; ++i) {
    chunks_[i].store(nullptr, std::memory_order_relaxed);
  }
}

ProcessTable::~ProcessTable() {
  for (std::uint32_t i = 0; i < max_chunks; ++i) {
    delete[] chunks_[i].load(std::memory_order_relaxed);
  }
}

Pid ProcessTable::allocate() {
  std::lock_guard lock(alloc_mutex_);
  std::uint32_t index;
  bool fresh_left = next_unused_ <= Pid::index_mask;
  if (!free_.empty() && (free_.size() >= reuse_after_free || !fresh_left)) {
    index = free_.front();
    free_.pop_front();
  } else {
    index = next_unused_;
    if (!fresh_left) {
      throw std::length_error("process table full");
    }
    if (slot(index) == nullptr) {
      chunks_[index >> chunk_bits].store(new Slot[chunk_size], std::memory_order_release);
    }
    ++next_unused_;
  }
  Slot* s = slot(index);
  return Pid(node_, Pid::make_serial(creation_, s->generation, index));
}

void ProcessTable::publish(Pid pid, Process* p, unsigned home) {
  auto bits = reinterpret_cast<std::uintptr_t>(p);
  std::uint64_t value = (bits & ptr_mask) | (std::uint64_t{home & 0xFF} << home_shift);
  slot(pid.index())->word.fetch_or(value, std::memory_order_release);
}

void ProcessTable::set_home(Pid pid, unsigned home) {
  auto& word = slot(pid.index())->word;
  std::uint64_t w = word.load(std::memory_order_relaxed);
  std::uint64_t desired;
  do {
    desired = (w & ~home_mask) | (std::uint64_t{home & 0xFF} << home_shift);
  } while (!word.compare_exchange_weak(w, desired, std::memory_order_release,
                                       std::memory_order_relaxed));
}

void ProcessTable::remove(Pid pid) {
  Slot* s = slot(pid.index());
  s->word.fetch_and(reader_mask, std::memory_order_acq_rel);
  // Senders that read the pointer before it was cleared finish within a few
  // instructions; wait for them before the process's memory may go.
  while ((s->word.load(std::memory_order_acquire) & reader_mask) != 0) {
    std::this_thread::yield();
  }
  std::lock_guard lock(alloc_mutex_);
  // 16-bit generations; 0 is skipped so serial 0 stays the null pid.
  s->generation = (s->generation + 1) & Pid::generation_mask;
  if (s->generation == 0) {
    s->generation = 1;
  }
  free_.push_back(pid.index());
}

std::vector<Pid> ProcessTable::live_pids() const {
  std::vector<Pid> out;
  std::uint32_t end;
  {
    std::lock_guard lock(alloc_mutex_);
    end = next_unused_;
  }
  for (std::uint32_t i = 1; i < end; ++i) {
    Slot* s = slot(i);
    if (s == nullptr) {
      continue;
    }
    std::uint64_t w = s->word.fetch_add(reader_one, std::memory_order_acquire);
    if ((w & ptr_mask) != 0) {
      out.push_back(reinterpret_cast<Process*>(w & ptr_mask)->self());
    }
    s->word.fetch_sub(reader_one, std::memory_order_release);
  }
  return out;
}

std::vector<Process*> ProcessTable::take_all() {
  std::vector<Process*> out;
  std::lock_guard lock(alloc_mutex_);
  for (std::uint32_t i = 1; i < next_unused_; ++i) {
    Slot* s = slot(i);
    std::uint64_t w = s == nullptr ? 0 : s->word.fetch_and(reader_mask, std::memory_order_acq_rel);
    if ((w & ptr_mask) != 0) {
      out.push_back(reinterpret_cast<Process*>(w & ptr_mask));
    }
  }
  return out;
}

}  // namespace actormq::sched
