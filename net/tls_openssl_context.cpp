#include "net/tls_openssl_context.hpp"

#include "net/tls_openssl_files.hpp"
#include "net/tls_openssl_stream.hpp"

namespace actormq::net {

OpensslTlsContext::~OpensslTlsContext() = default;

OpensslTlsContext::Made OpensslTlsContext::create(const TlsOptions& options) {
  std::shared_ptr<OpensslTlsContext> context(new OpensslTlsContext(options));
  if (std::string error = context->reload(); !error.empty()) {
    return {nullptr, std::move(error)};
  }
  return {std::move(context), {}};
}

std::string OpensslTlsContext::reload() {
  OpensslServerFiles::Loaded loaded = OpensslServerFiles::load(options_);
  if (!loaded.files) {
    return loaded.error;
  }
  std::lock_guard lock(mutex_);
  files_ = std::move(loaded.files);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return {};
}

std::shared_ptr<const OpensslServerFiles> OpensslTlsContext::current() const {
  std::lock_guard lock(mutex_);
  return files_;
}

std::string OpensslTlsContext::revoked(STACK_OF(X509) * chain, X509* leaf) const {
  return current()->revoked(chain, leaf);
}

Stream* OpensslTlsContext::wrap(Socket* socket) const { return new OpensslTlsStream(socket, *this); }

}  // namespace actormq::net
