#pragma once
// Prometheus families that services add to /metrics (core/http/prometheus):
// the cluster its links and forwarded messages. Read when /metrics is
// scraped, so a source reads thread-safe counters only and asks no process.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/source_set.hpp"

namespace actormq::core {

/// One family: its samples are (labels, value), labels as the text between
/// the braces (`node="n1"`) or empty.
struct MetricFamily {
  std::string name;  ///< actormq_..., counters ending in _total
  std::string type;  ///< "counter" or "gauge"
  std::string help;
  std::vector<std::pair<std::string, std::int64_t>> samples;
};

using MetricSources = SourceSet<MetricFamily>;

/// `name="value"` with the value escaped as the text format asks (\\, \", \n).
[[nodiscard]] inline std::string metric_label(std::string_view name, std::string_view value) {
  std::string out(name);
  out += "=\"";
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

}  // namespace actormq::core
