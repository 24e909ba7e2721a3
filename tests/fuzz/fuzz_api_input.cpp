// What an HTTP API request brings (core/http/api_input.cpp), decoded as the
// API decodes it: the first byte picks the decoder (and for a publish body,
// the limits), the rest is the input. Checked: a query either decodes whole or
// is refused, paging within its bounds, a subscription filter's QoS 0..2; the
// path's segments, re-joined, are the path when nothing is escaped; Basic
// credentials name a user without ':'; a publish body that decodes is a message
// a client could have published under those limits; a bridge change is a
// boolean or a reason.

#include <algorithm>
#include <string>

#include "core/config/cluster.hpp"
#include "core/http/api_input.hpp"
#include "fuzz_util.hpp"
#include "mqtt/topic.hpp"

using namespace actormq::core;

namespace {

void check_query(std::string_view raw) {
  auto query = query_of(raw);
  if (!query) {
    return;
  }
  if (auto paging = paging_of(*query)) {
    FUZZ_CHECK(paging->page >= 1 && paging->page <= (std::size_t{1} << 32));
    FUZZ_CHECK(paging->limit >= 1 && paging->limit <= max_page_limit);
  } else {
    FUZZ_CHECK(!paging.error().text().empty());
  }
  if (auto filter = subscription_filter_of(*query)) {
    FUZZ_CHECK(!filter->qos || (*filter->qos >= 0 && *filter->qos <= 2));
  }
  ClientFilter clients = client_filter_of(*query);
  FUZZ_CHECK(clients.client_id.has_value() == query->contains("clientid"));
}

void check_segments(std::string_view target) {
  constexpr std::string_view prefix = "/api/v1/";
  auto segments = api_segments(target, prefix);
  std::string_view path = target.substr(0, target.find('?'));
  if (!segments) {
    FUZZ_CHECK(!path.starts_with(prefix) || path.find('%') != std::string_view::npos);
    return;
  }
  FUZZ_CHECK(path.starts_with(prefix) && !segments->empty());
  if (path.find('%') == std::string_view::npos) {
    std::string joined;
    for (std::size_t i = 0; i < segments->size(); ++i) {
      if (i > 0) {
        joined.push_back('/');
      }
      joined += (*segments)[i];
    }
    FUZZ_CHECK(joined == path.substr(prefix.size()));
  }
}

void check_basic(std::string_view header) {
  auto credentials = parse_basic(header);
  if (credentials) {
    FUZZ_CHECK(!credentials->first.empty());
    FUZZ_CHECK(credentials->first.find(':') == std::string::npos);
  }
}

void check_publish(std::uint8_t options, std::string_view body) {
  Limits limits;
  limits.retain_available = (options & 1) == 0;
  limits.max_topic_levels = (options & 2) != 0 ? 3 : limits.max_topic_levels;
  limits.max_packet_size = (options & 4) != 0 ? 64 : limits.max_packet_size;
  auto msg = publish_message(std::string(body), limits);
  if (!msg) {
    FUZZ_CHECK(!msg.error().text().empty());
    return;
  }
  const AppMessage& m = **msg;
  FUZZ_CHECK(actormq::mqtt::is_valid_topic_name(m.topic));
  FUZZ_CHECK(!actormq::mqtt::exceeds_max_levels(m.topic, limits.max_topic_levels));
  FUZZ_CHECK(static_cast<int>(m.qos) <= 2);
  FUZZ_CHECK(!m.retain || limits.retain_available);
  FUZZ_CHECK(m.payload.size() + m.topic.size() <= limits.max_packet_size);
  FUZZ_CHECK(m.publisher == api_publisher);
  const auto& props = m.properties();
  FUZZ_CHECK(!props.payload_format_indicator || *props.payload_format_indicator <= 1);
  FUZZ_CHECK(!props.response_topic || actormq::mqtt::is_valid_topic_name(*props.response_topic));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  std::string_view input = actormq::fuzz::as_text(data + 1, size - 1);
  switch (data[0] % 6) {
    case 0:
      check_query(input);
      break;
    case 1:
      check_segments(input);
      break;
    case 2:
      check_basic(input);
      break;
    case 3:
      check_publish(static_cast<std::uint8_t>(data[0] / 5), input);
      break;
    case 4: {
      auto enabled = bridge_enabled_of(std::string(input));
      FUZZ_CHECK(enabled || !enabled.error().text().empty());
      break;
    }
    default: {
      auto order = evacuation_order_of(std::string(input));
      FUZZ_CHECK(!order || (order->connection_rate >= 1 && order->session_rate >= 1 &&
                            order->wait_takeover_ms <= 3600000 && order->server_reference.size() <= 65535 &&
                            std::all_of(order->migrate_to.begin(), order->migrate_to.end(),
                                        [](const std::string& n) { return valid_node_name(n); })));
      FUZZ_CHECK(order || !order.error().text().empty());
      break;
    }
  }
  return 0;
}
