#include "mqtt/bytes.hpp"

#include <cstring>
#include <new>

namespace actormq::mqtt {

SharedBytes SharedBytes::allocate(std::size_t size) {
  SharedBytes b;
  if (size == 0) {
    return b;
  }
  void* mem = ::operator new(sizeof(Block) + size);
  b.block_ = new (mem) Block{{1}, size};
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
    block_->~Block();
    ::operator delete(block_);
  }
  block_ = nullptr;
}

}  // namespace actormq::mqtt
