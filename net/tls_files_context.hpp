#pragma once
// What both listener backends' TlsContexts (net/tls_mbedtls_context.hpp,
// net/tls_openssl_context.hpp) do alike: keep the options, load the files
// from them (`Files`: TlsServerFiles or OpensslServerFiles, each with
// `static Loaded load(const TlsOptions&)`), and on a reload swap in the new
// load whole, so new handshakes take it and established ones keep theirs.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "net/tls_context.hpp"

namespace actormq::net {

/// Thread-safe: reload(), generation() and current() may be called from any
/// thread.
template <class Files>
class TlsFilesContext : public TlsContext {
 public:
  [[nodiscard]] std::string reload() final {
    typename Files::Loaded loaded = Files::load(options_);
    if (!loaded.files) {
      return loaded.error;
    }
    std::lock_guard lock(mutex_);
    files_ = std::move(loaded.files);
    generation_.fetch_add(1, std::memory_order_acq_rel);
    return {};
  }
  std::uint64_t generation() const final { return generation_.load(std::memory_order_acquire); }
  /// The files new handshakes use.
  [[nodiscard]] std::shared_ptr<const Files> current() const {
    std::lock_guard lock(mutex_);
    return files_;
  }

 protected:
  explicit TlsFilesContext(TlsOptions options) : options_(std::move(options)) {}
  /// `context`, just made, once its files are loaded; else the load's error.
  [[nodiscard]] static Made loaded(std::shared_ptr<TlsFilesContext> context) {
    if (std::string error = context->reload(); !error.empty()) {
      return {nullptr, std::move(error)};
    }
    return {std::move(context), {}};
  }

 private:
  const TlsOptions options_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Files> files_;  // guarded by mutex_
  std::atomic<std::uint64_t> generation_{0};
};

}  // namespace actormq::net
