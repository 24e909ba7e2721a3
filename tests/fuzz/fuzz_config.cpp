// The configuration loader (core/config/config.cpp): any document gets a Config or
// a list of errors, never an exception or a crash; a Config it accepts
// passes validate_config() again, except for the files it names, which need
// not exist here.

#include "core/config/config.hpp"
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace actormq::core;
  Result<Config> r = parse_config(actormq::fuzz::as_text(data, size));
  if (!r.ok()) {
    FUZZ_CHECK(!r.error().text().empty());
    return 0;
  }
  if (auto valid = validate_config(r.value()); !valid) {
    for (const std::string& error : valid.error().messages()) {
      FUZZ_CHECK(!error.empty());
    }
  }
  return 0;
}
