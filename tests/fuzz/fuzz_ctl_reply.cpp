// What `actormq ctl` reads (core/ctl/http_client.cpp): the first byte picks
// a reply of the broker's HTTP API (parse_http_reply) or an --api URL
// (parse_http_url), the rest is the input. Checked: a failure says why; a
// reply's status is 100..599 and its body comes from the input; a URL's
// port is 1..65535 and url() reads back as the same endpoint.

#include <string>

#include "core/ctl/http_client.hpp"
#include "fuzz_util.hpp"

using namespace actormq::core::ctl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  std::string_view input = actormq::fuzz::as_text(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    auto reply = parse_http_reply(input);
    if (!reply) {
      FUZZ_CHECK(!reply.error().text().empty());
      return 0;
    }
    FUZZ_CHECK(reply->status >= 100 && reply->status <= 599);
    FUZZ_CHECK(reply->body.size() <= input.size());
    return 0;
  }
  auto url = parse_http_url(input);
  if (!url) {
    FUZZ_CHECK(!url.error().text().empty());
    return 0;
  }
  FUZZ_CHECK(url->port >= 1 && !url->host.empty());
  auto again = parse_http_url(url->url());
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == *url);
  return 0;
}
