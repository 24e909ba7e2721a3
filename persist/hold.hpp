#pragma once
// What a write waits with (persist/writer.hpp): shared copies ride along with
// the writes that some answer depends on, and the answer may go once the
// last copy is released. A commit that fails tells the hold first, so that
// what depended on it is never taken as stored.

#include <memory>

namespace actormq::persist {

class Hold {
 public:
  Hold() = default;
  Hold(const Hold&) = delete;
  Hold& operator=(const Hold&) = delete;
  virtual ~Hold() = default;
  /// Thread-safe (called on the writer thread, before it releases its copy).
  /// A write carrying this hold was not stored: `rc` is the LMDB or errno code.
  virtual void failed(int rc) noexcept = 0;
};

using HoldPtr = std::shared_ptr<Hold>;

}  // namespace actormq::persist
