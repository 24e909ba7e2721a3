// The upgrade's hand-over lines (core/upgrade/handover.cpp), as the old and
// the new process read each other's: the input is one line. Checked: a line
// either parses or is refused with a reason; what parses formats to a line
// that parses to the same message (the same line again).

#include <string>

#include "core/upgrade/handover.hpp"
#include "fuzz_util.hpp"

using namespace actormq::core::upgrade;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto parsed = parse_handover(actormq::fuzz::as_text(data, size));
  if (!parsed) {
    FUZZ_CHECK(!parsed.error().text().empty());
    return 0;
  }
  std::string line = format_handover(*parsed);
  FUZZ_CHECK(line.size() <= max_handover_message);
  auto again = parse_handover(line);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->index() == parsed->index());
  FUZZ_CHECK(format_handover(*again) == line);
  return 0;
}
