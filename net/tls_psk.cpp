#include "net/tls_psk.hpp"

#include <mbedtls/platform_util.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ciphersuites.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "net/hex.hpp"

namespace actormq::net {

namespace {
std::string_view trimmed(std::string_view line) {
  std::size_t begin = line.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) {
    return {};
  }
  return line.substr(begin, line.find_last_not_of(" \t\r") - begin + 1);
}

}  // namespace

PskKey psk_key_from_hex(std::string_view hex) {
  if (hex.empty()) {
    return {{}, "empty key"};
  }
  if (hex.size() % 2 != 0) {
    return {{}, "key has an odd number of hexadecimal digits"};
  }
  // mbedTLS 2.28 takes keys of MBEDTLS_PSK_MAX_LEN bytes at most.
  if (hex.size() / 2 > MBEDTLS_PSK_MAX_LEN) {
    return {{}, "key longer than " + std::to_string(MBEDTLS_PSK_MAX_LEN) + " bytes (" +
                    std::to_string(2 * MBEDTLS_PSK_MAX_LEN) + " hexadecimal digits)"};
  }
  PskKey key;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int high = hex_value(hex[i]);
    int low = hex_value(hex[i + 1]);
    if (high < 0 || low < 0) {
      mbedtls_platform_zeroize(key.bytes.data(), key.bytes.size());
      return {{}, "key is not hexadecimal"};
    }
    key.bytes.push_back(static_cast<std::uint8_t>(high << 4 | low));
  }
  return key;
}

std::vector<int> tls_psk_suites(bool rsa_psk) {
  std::vector<mbedtls_key_exchange_type_t> order = {MBEDTLS_KEY_EXCHANGE_ECDHE_PSK, MBEDTLS_KEY_EXCHANGE_PSK,
                                                    MBEDTLS_KEY_EXCHANGE_DHE_PSK};
  if (rsa_psk) {
    order.push_back(MBEDTLS_KEY_EXCHANGE_RSA_PSK);
  }
  std::vector<int> suites;
  for (mbedtls_key_exchange_type_t kind : order) {
    for (const int* id = mbedtls_ssl_list_ciphersuites(); *id != 0; ++id) {
      if (mbedtls_ssl_ciphersuite_from_id(*id)->key_exchange == kind) {
        suites.push_back(*id);
      }
    }
  }
  return suites;
}

PskKeys::~PskKeys() {
  for (auto& [identity, key] : keys_) {
    mbedtls_platform_zeroize(key.data(), key.size());
  }
}

PskKeys::Parsed PskKeys::parse(std::string_view text, const std::string& path) {
  Parsed parsed;
  std::size_t number = 0;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view line = trimmed(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++number;
    if (line.empty() || line.front() == '#') {
      continue;
    }
    auto fail = [&](const std::string& why) {
      return Parsed{PskKeys(), "psk_file " + path + ":" + std::to_string(number) + ": " + why};
    };
    // As mosquitto: the identity ends at the first ':', so it holds none.
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return fail("expected identity:hexkey");
    }
    std::string identity(trimmed(line.substr(0, colon)));
    if (identity.empty()) {
      return fail("empty identity");
    }
    PskKey key = psk_key_from_hex(trimmed(line.substr(colon + 1)));
    if (!key.error.empty()) {
      return fail(key.error + " for identity " + identity);
    }
    if (!parsed.keys.keys_.emplace(identity, std::move(key.bytes)).second) {
      return fail("identity " + identity + " given twice");
    }
  }
  return parsed;
}

PskKeys::Parsed PskKeys::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return {PskKeys(), "psk_file " + path + ": " + std::strerror(errno)};
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Parsed parsed = parse(text, path);
  mbedtls_platform_zeroize(text.data(), text.size());
  return parsed;
}

const std::vector<std::uint8_t>* PskKeys::find(std::string_view identity) const {
  auto it = keys_.find(std::string(identity));
  return it == keys_.end() ? nullptr : &it->second;
}

}  // namespace actormq::net
