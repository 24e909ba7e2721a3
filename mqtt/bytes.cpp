#include "mqtt/bytes.hpp"

#include <cstring>
#include <new>
#include <stdexcept>

namespace actormq::mqtt {

namespace {

void* default_allocate(std::size_t size) { return ::operator new(size); }
void default_free(void* p) noexcept { ::operator delete(p); }
constexpr BlockHeap default_heap{default_allocate, default_free};
std::atomic<const BlockHeap*> block_heap{&default_heap};

}  // namespace

void set_block_heap(const BlockHeap* heap) noexcept {
  block_heap.store(heap != nullptr ? heap : &default_heap, std::memory_order_release);
}

SharedBytes SharedBytes::allocate(std::size_t size) {
  SharedBytes b;
  if (size == 0) {
    return b;
  }
  if (size > UINT32_MAX - sizeof(Block)) {
    throw std::length_error("SharedBytes: more than 4 GiB");
  }
  const BlockHeap* heap = block_heap.load(std::memory_order_acquire);
  void* mem = heap->allocate(sizeof(Block) + size);
  b.block_ = new (mem) Block{{1}, static_cast<std::uint32_t>(size), heap->free};
  return b;
}

SharedBytes SharedBytes::copy_of(std::span<const std::uint8_t> data) {
  return build(data.size(), [&](std::span<std::uint8_t> out) {
    std::memcpy(out.data(), data.data(), data.size());
  });
}

SharedBytes SharedBytes::copy_of(std::string_view data) {
  return copy_of(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
}

void SharedBytes::release() noexcept {
  if (block_ == nullptr) {
    return;
  }
  // acq_rel: the last owner must see every other owner's reads finished
  // before the memory is freed (the usual shared_ptr ordering).
  if (block_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    auto free = block_->free;
    block_->~Block();
    free(block_);
  }
  block_ = nullptr;
}

}  // namespace actormq::mqtt
