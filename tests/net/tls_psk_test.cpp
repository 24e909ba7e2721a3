// The psk_file parser (mosquitto's identity:hexkey format), malformed lines
// included: each error names the file and the line.
#include "net/tls_psk.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace actormq::net {
namespace {

std::string error_of(std::string_view text) { return PskKeys::parse(text, "keys.psk").error; }

}  // namespace

TEST_CASE("psk_file: identities and keys, comments and blank lines") {
  PskKeys::Parsed parsed = PskKeys::parse("# hall 2\n\nsensor-1:00ff10\r\n  \n\tsensor 2 : ABcd \n# end", "keys.psk");
  REQUIRE(parsed.error.empty());
  CHECK(parsed.keys.size() == 2);
  const std::vector<std::uint8_t>* key = parsed.keys.find("sensor-1");
  REQUIRE(key != nullptr);
  CHECK(*key == std::vector<std::uint8_t>{0x00, 0xff, 0x10});
  key = parsed.keys.find("sensor 2");
  REQUIRE(key != nullptr);
  CHECK(*key == std::vector<std::uint8_t>{0xab, 0xcd});
  CHECK(parsed.keys.find("sensor-3") == nullptr);
  CHECK(parsed.keys.find("") == nullptr);
  CHECK(PskKeys::parse("", "keys.psk").keys.size() == 0);
  CHECK(PskKeys::parse("a:" + std::string(64, 'f'), "keys.psk").keys.find("a")->size() == 32);
}

TEST_CASE("psk_file: a malformed line is an error naming the file and the line") {
  CHECK(error_of("a:00\nb\n") == "psk_file keys.psk:2: expected identity:hexkey");
  CHECK(error_of(":00") == "psk_file keys.psk:1: empty identity");
  CHECK(error_of("a:") == "psk_file keys.psk:1: empty key for identity a");
  CHECK(error_of("a:0") == "psk_file keys.psk:1: key has an odd number of hexadecimal digits for identity a");
  CHECK(error_of("a:0g") == "psk_file keys.psk:1: key is not hexadecimal for identity a");
  CHECK(error_of("a:00:1") == "psk_file keys.psk:1: key is not hexadecimal for identity a");
  CHECK(error_of("a:" + std::string(66, '0')) ==
        "psk_file keys.psk:1: key longer than 32 bytes (64 hexadecimal digits) for identity a");
  CHECK(error_of("a:00\n#\na:11") == "psk_file keys.psk:3: identity a given twice");
  CHECK(PskKeys::parse("a:00\nb", "keys.psk").keys.size() == 0);  // nothing of a bad file is used
  CHECK(PskKeys::load("/nonexistent/keys.psk").error == "psk_file /nonexistent/keys.psk: No such file or directory");
}

}  // namespace actormq::net
