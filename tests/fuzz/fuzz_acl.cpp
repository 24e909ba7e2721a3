// ACL files (core/auth/acl.cpp): the input is the file, then after a NUL byte a
// list of NUL-separated topics and filters to ask about. Every question is
// answered without a crash; filter_covers() and filters_intersect() are
// checked against the reference matcher on the topics given.

#include <string>
#include <vector>

#include "core/auth/acl.hpp"
#include "fuzz_util.hpp"
#include "mqtt/topic.hpp"
#include "tests/core/reference_match.hpp"

using namespace actormq::core;
using actormq::core::testing::reference_match;
namespace mqtt = actormq::mqtt;

namespace {

std::vector<std::string_view> split_nul(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty() && out.size() < 16) {
    std::size_t nul = text.find('\0');
    out.push_back(text.substr(0, nul));
    text = nul == std::string_view::npos ? std::string_view{} : text.substr(nul + 1);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input = actormq::fuzz::as_text(data, size);
  std::size_t nul = input.find('\0');
  auto acl = Acl::parse(input.substr(0, nul), "acl");
  FUZZ_CHECK(acl.ok() || !acl.error().text().empty());
  std::vector<std::string_view> asked =
      nul == std::string_view::npos ? std::vector<std::string_view>{} : split_nul(input.substr(nul + 1));

  std::vector<std::string_view> topics;
  std::vector<std::string_view> filters;
  for (std::string_view s : asked) {
    if (mqtt::is_valid_topic_name(s)) {
      topics.push_back(s);
    }
    if (mqtt::is_valid_topic_filter(s)) {
      filters.push_back(s);
    }
  }
  if (acl.ok()) {
    const std::string user = "alice";
    const std::string wild = "a+b";
    const AclClient clients[] = {{"client1", nullptr}, {"client1", &user}, {"c#", &wild}};
    for (const AclClient& who : clients) {
      for (std::string_view t : topics) {
        (void)acl->allows(who, t, AclAccess::read);
        (void)acl->allows(who, t, AclAccess::write);
      }
      for (std::string_view f : filters) {
        (void)acl->allows_subscribe(who, f);
      }
    }
  }
  for (std::string_view a : filters) {
    for (std::string_view b : filters) {
      const bool covers = filter_covers(a, b);
      const bool meet = filters_intersect(a, b);
      FUZZ_CHECK(meet == filters_intersect(b, a));
      for (std::string_view t : topics) {
        if (covers && reference_match(b, t)) {
          FUZZ_CHECK(reference_match(a, t));
        }
        if (reference_match(a, t) && reference_match(b, t)) {
          FUZZ_CHECK(meet);
        }
      }
    }
  }
  return 0;
}
