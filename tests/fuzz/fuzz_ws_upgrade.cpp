// The WebSocket opening handshake (net/ws_upgrade.cpp): the input is the
// bytes a client sends first; the header byte picks the listener's options.
// Checked: the answer is a well-formed HTTP response with the status given,
// never echoes a line break from the request (header injection), and a 101
// carries the accept value of the request's key and one of our subprotocols.

#include <algorithm>
#include <string>

#include "fuzz_util.hpp"
#include "net/ws_upgrade.hpp"

using namespace actormq::net;

namespace {

WsOptions options_of(std::uint8_t flags) {
  WsOptions o;
  if ((flags & 1) != 0) {
    o.subprotocols = {"mqtt", "mqttv3.1"};
  }
  if ((flags & 2) != 0) {
    o.allowed_origins = {"https://example.com"};
  }
  if ((flags & 4) != 0) {
    o.max_header_bytes = 64;
  }
  return o;
}

// Every line ends with CRLF; the header block ends with an empty line.
void check_http(const std::string& response, int status) {
  FUZZ_CHECK(response.starts_with("HTTP/1.1 " + std::to_string(status) + " "));
  FUZZ_CHECK(response.ends_with("\r\n\r\n"));
  FUZZ_CHECK(find_header_end(response) == response.size());
  for (std::size_t i = 0; i < response.size(); ++i) {
    if (response[i] == '\n') {
      FUZZ_CHECK(i > 0 && response[i - 1] == '\r');
    }
    if (response[i] == '\r') {
      FUZZ_CHECK(i + 1 < response.size() && response[i + 1] == '\n');
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const WsOptions options = options_of(data[0]);
  std::string_view input = actormq::fuzz::as_text(data + 1, size - 1);
  std::size_t end = find_header_end(input);
  if (end == std::string_view::npos) {
    return 0;  // WsStream answers only once the blank line has arrived
  }
  UpgradeResult r = answer_upgrade(input.substr(0, end), options);
  check_http(r.response, r.status);
  if (r.status != 101) {
    FUZZ_CHECK(!r.reason.empty());
    FUZZ_CHECK(r.subprotocol.empty());
    return 0;
  }
  FUZZ_CHECK(r.response.find("\r\nSec-WebSocket-Accept: ") != std::string::npos);
  if (options.subprotocols.empty()) {
    FUZZ_CHECK(r.subprotocol.empty());
  } else {
    FUZZ_CHECK(std::find(options.subprotocols.begin(), options.subprotocols.end(), r.subprotocol) !=
               options.subprotocols.end());
  }
  return 0;
}
