// A SCRAM-SHA-256 exchange (core/auth/scram.cpp), server side: the input is the
// client-first message, a NUL byte, then the client-final message, in which
// "@N" stands for the nonce the server chose (so the fuzzer gets past the
// nonce check). The exchange must end in a failure with a reason, or go on.

#include <string>

#include "core/auth/scram.hpp"
#include "fuzz_util.hpp"

using namespace actormq::core;

namespace {

const ScramFile& users() {
  // "user", password "pencil" (RFC 7677's example), 4096 iterations.
  static const ScramFile file = ScramFile::parse(
      "user:SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
      "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=\n",
      "scram")
                                    .value();
  return file;
}

std::string with_nonce(std::string_view text, std::string_view nonce) {
  std::string out;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t mark = text.find("@N", at);
    out += text.substr(at, mark - at);
    if (mark == std::string_view::npos) {
      break;
    }
    out += nonce;
    at = mark + 2;
  }
  return out;
}

void check_failure(const ScramServer::Step& step) {
  if (step.kind == ScramServer::Step::Kind::failure) {
    FUZZ_CHECK(!step.reason.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input = actormq::fuzz::as_text(data, size);
  std::size_t nul = input.find('\0');
  std::string_view client_first = input.substr(0, nul);
  std::string_view client_final = nul == std::string_view::npos ? std::string_view{} : input.substr(nul + 1);

  ScramServer server;
  ScramServer::Step first = server.start(client_first, users());
  check_failure(first);
  if (first.kind != ScramServer::Step::Kind::next) {
    FUZZ_CHECK(server.finish(client_final).kind == ScramServer::Step::Kind::failure);
    return 0;
  }
  // server-first: "r=<client nonce><server nonce>,s=<salt>,i=<iterations>".
  FUZZ_CHECK(first.data.starts_with("r="));
  std::string_view nonce = std::string_view(first.data).substr(2, first.data.find(',') - 2);
  ScramServer::Step last = server.finish(with_nonce(client_final, nonce));
  check_failure(last);
  // Nobody can know the proof of a password by chance.
  FUZZ_CHECK(last.kind == ScramServer::Step::Kind::failure);
  FUZZ_CHECK(server.start(client_first, users()).kind == ScramServer::Step::Kind::failure);
  return 0;
}
