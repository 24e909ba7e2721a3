// MQTT UTF-8 validation (mqtt/utf8.cpp) against a decoder written from the
// Unicode table of well-formed byte sequences (Unicode 15, table 3-7), with
// U+0000 and the surrogates refused as MQTT 1.5.4 requires.

#include "fuzz_util.hpp"
#include "mqtt/utf8.hpp"

namespace {

bool in(unsigned char c, unsigned lo, unsigned hi) { return c >= lo && c <= hi; }

bool reference_valid(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = [&](std::size_t k) { return static_cast<unsigned char>(i + k < s.size() ? s[i + k] : 0xFF); };
    unsigned char b = c(0);
    if (b == 0x00) {
      return false;
    }
    if (b <= 0x7F) {
      i += 1;
    } else if (in(b, 0xC2, 0xDF) && in(c(1), 0x80, 0xBF)) {
      i += 2;
    } else if (b == 0xE0 && in(c(1), 0xA0, 0xBF) && in(c(2), 0x80, 0xBF)) {
      i += 3;
    } else if ((in(b, 0xE1, 0xEC) || in(b, 0xEE, 0xEF)) && in(c(1), 0x80, 0xBF) && in(c(2), 0x80, 0xBF)) {
      i += 3;
    } else if (b == 0xED && in(c(1), 0x80, 0x9F) && in(c(2), 0x80, 0xBF)) {
      i += 3;  // ED A0..BF would be a surrogate
    } else if (b == 0xF0 && in(c(1), 0x90, 0xBF) && in(c(2), 0x80, 0xBF) && in(c(3), 0x80, 0xBF)) {
      i += 4;
    } else if (in(b, 0xF1, 0xF3) && in(c(1), 0x80, 0xBF) && in(c(2), 0x80, 0xBF) && in(c(3), 0x80, 0xBF)) {
      i += 4;
    } else if (b == 0xF4 && in(c(1), 0x80, 0x8F) && in(c(2), 0x80, 0xBF) && in(c(3), 0x80, 0xBF)) {
      i += 4;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = actormq::fuzz::as_text(data, size);
  FUZZ_CHECK(actormq::mqtt::is_valid_mqtt_utf8(text) == reference_valid(text));
  return 0;
}
