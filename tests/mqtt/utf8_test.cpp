#include "mqtt/utf8.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace actormq::mqtt;

TEST_CASE("valid MQTT UTF-8") {
  CHECK(is_valid_mqtt_utf8(""));
  CHECK(is_valid_mqtt_utf8("sport/tennis/player1"));
  CHECK(is_valid_mqtt_utf8("a long ascii string that spans several 8-byte blocks!"));
  CHECK(is_valid_mqtt_utf8("\xC3\xA9t\xC3\xA9"));              // été
  CHECK(is_valid_mqtt_utf8("\xE2\x82\xAC"));                   // U+20AC
  CHECK(is_valid_mqtt_utf8("\xEF\xBB\xBF"));                   // U+FEFF, allowed [MQTT-1.5.4-3]
  CHECK(is_valid_mqtt_utf8("\xF0\x9F\x98\x80"));               // U+1F600
  CHECK(is_valid_mqtt_utf8("\xF4\x8F\xBF\xBF"));               // U+10FFFF
  CHECK(is_valid_mqtt_utf8("\xED\x9F\xBF"));                   // U+D7FF
  CHECK(is_valid_mqtt_utf8("\x01\x1F\x7F"));                   // controls: SHOULD NOT, but legal
}

TEST_CASE("invalid MQTT UTF-8") {
  CHECK_FALSE(is_valid_mqtt_utf8(std::string("a\0b", 3)));           // U+0000
  CHECK_FALSE(is_valid_mqtt_utf8(std::string("abcdefgh\0", 9)));     // NUL in fast path block
  CHECK_FALSE(is_valid_mqtt_utf8(std::string("abcdefg\0", 8)));      // NUL in an 8-byte block
  CHECK_FALSE(is_valid_mqtt_utf8("\xED\xA0\x80"));                   // U+D800 surrogate
  CHECK_FALSE(is_valid_mqtt_utf8("\xED\xBF\xBF"));                   // U+DFFF surrogate
  CHECK_FALSE(is_valid_mqtt_utf8("\xC0\xAF"));                       // overlong '/'
  CHECK_FALSE(is_valid_mqtt_utf8("\xC1\xBF"));                       // overlong
  CHECK_FALSE(is_valid_mqtt_utf8("\xE0\x80\xAF"));                   // overlong 3-byte
  CHECK_FALSE(is_valid_mqtt_utf8("\xF0\x80\x80\xAF"));               // overlong 4-byte
  CHECK_FALSE(is_valid_mqtt_utf8("\xF4\x90\x80\x80"));               // above U+10FFFF
  CHECK_FALSE(is_valid_mqtt_utf8("\xF5\x80\x80\x80"));               // invalid lead
  CHECK_FALSE(is_valid_mqtt_utf8("\x80"));                           // lone continuation
  CHECK_FALSE(is_valid_mqtt_utf8("\xC3"));                           // truncated
  CHECK_FALSE(is_valid_mqtt_utf8("abc\xE2\x82"));                    // truncated at end
  CHECK_FALSE(is_valid_mqtt_utf8("\xE2\x28\xA1"));                   // bad continuation
  CHECK_FALSE(is_valid_mqtt_utf8("\xFF"));
}
