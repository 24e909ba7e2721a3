// HTTP/1.1 request heads (net/http_request.cpp), as the API's connections
// and the WebSocket upgrade read them: the input is the bytes a client
// sends; the first byte picks the limits. Checked: a parsed head has a
// token method, an origin-form target whose decoded path it holds, lower-case
// header names, a Content-Length within the limit; a refusal is 400, 413 or
// 431 with a reason; a query string either parses or is refused whole.

#include <algorithm>
#include <cctype>
#include <string>

#include "fuzz_util.hpp"
#include "net/http_request.hpp"

using namespace actormq::net;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  HttpLimits limits;
  if ((data[0] & 1) != 0) {
    limits.max_header_bytes = 64;
  }
  if ((data[0] & 2) != 0) {
    limits.max_body_bytes = 10;
  }
  std::string_view input = actormq::fuzz::as_text(data + 1, size - 1);
  (void)plausible_request_line(input);
  std::size_t end = find_header_end(input);
  if (end == std::string_view::npos) {
    return 0;  // a connection waits for the blank line
  }
  ParsedHead head = parse_head(input.substr(0, end), limits);
  if (head.error_status != 0) {
    FUZZ_CHECK(head.error_status == 400 || head.error_status == 413 || head.error_status == 431);
    FUZZ_CHECK(!head.reason.empty());
    return 0;
  }
  FUZZ_CHECK(end <= limits.max_header_bytes);
  const HttpRequest& r = head.request;
  FUZZ_CHECK(!r.method.empty());
  FUZZ_CHECK(!r.target.empty() && (r.target.front() == '/' || r.target == "*"));
  FUZZ_CHECK(r.minor_version == 0 || r.minor_version == 1);
  FUZZ_CHECK(head.content_length <= limits.max_body_bytes);
  for (const auto& [name, value] : r.headers) {
    FUZZ_CHECK(!name.empty());
    FUZZ_CHECK(std::none_of(name.begin(), name.end(), [](char c) { return std::isupper(static_cast<unsigned char>(c)); }));
    FUZZ_CHECK(value.find_first_of("\r\n") == std::string::npos);
  }
  FUZZ_CHECK(r.target.find('?') != std::string::npos || r.query.empty());
  auto decoded = percent_decode(r.target.substr(0, r.target.find('?')), false);
  FUZZ_CHECK(decoded && *decoded == r.path);
  (void)parse_query(r.query);
  (void)r.keep_alive();
  return 0;
}
