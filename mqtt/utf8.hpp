#pragma once
// UTF-8 rules of MQTT §1.5.4: well-formed UTF-8 (no overlong forms, nothing
// above U+10FFFF), no surrogates U+D800..U+DFFF, no U+0000.

#include <string_view>

namespace actormq::mqtt {

/// True if `text` is an acceptable MQTT UTF-8 string body (length not checked).
[[nodiscard]] bool is_valid_mqtt_utf8(std::string_view text) noexcept;

}  // namespace actormq::mqtt
