#pragma once
// SCRAM-SHA-256 (RFC 5802, RFC 7677) for MQTT 5 enhanced authentication
// (MQTT 5 section 4.12), server side, without channel binding:
//
//   CONNECT  method "SCRAM-SHA-256", data client-first  "n,,n=user,r=cnonce"
//   AUTH 0x18                        data server-first  "r=cnonce+snonce,s=salt,i=4096"
//   AUTH 0x18                        data client-final  "c=biws,r=cnonce+snonce,p=proof"
//   CONNACK 0x00                     data server-final  "v=signature"
//
// Credentials come from `scram_file`, one user a line in RFC 5803's form
// (what scripts/scram_passwd.py writes; the password itself is never stored):
//
//   # comment
//   alice:SCRAM-SHA-256$4096:<salt b64>$<StoredKey b64>:<ServerKey b64>
//
// An unknown user gets a salt derived from its name and a server secret, so
// the exchange looks the same as for a real one and fails at the proof.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/auth/text_file.hpp"

namespace actormq::core {

inline constexpr std::string_view scram_sha256_method = "SCRAM-SHA-256";

/// A user's stored SCRAM keys (RFC 5802 section 3).
struct ScramCredential {
  std::uint32_t iterations = 4096;
  std::vector<std::uint8_t> salt;
  std::array<std::uint8_t, 32> stored_key{};
  std::array<std::uint8_t, 32> server_key{};
};

/// The users of a scram_file. Immutable once parsed; thread-safe.
class ScramFile {
 public:
  [[nodiscard]] static Result<ScramFile> parse(std::string_view text, const std::string& path);
  [[nodiscard]] static Result<ScramFile> load(const std::string& path);

  /// The user's keys, or made-up keys no proof will match (unknown users).
  [[nodiscard]] ScramCredential lookup(std::string_view user) const;
  [[nodiscard]] std::size_t size() const noexcept { return users_.size(); }

 private:
  std::unordered_map<std::string, ScramCredential> users_;
  std::vector<std::uint8_t> secret_;  ///< for unknown users' salts
};

/// Parses the part after "user:" of a scram_file line; the error text if bad.
[[nodiscard]] Result<ScramCredential> parse_scram_credential(std::string_view text);

/// One exchange; owner-only (lives in one session during its CONNECT).
class ScramServer {
 public:
  struct Step {
    enum class Kind : std::uint8_t { next, success, failure };
    Kind kind = Kind::failure;
    std::string data;    ///< server-first (next) or server-final (success)
    std::string reason;  ///< failure: why, for the log and the reason string
  };

  /// Takes the client-first message (the CONNECT's Authentication Data).
  [[nodiscard]] Step start(std::string_view client_first, const ScramFile& users);
  /// Takes the client-final message (the AUTH's Authentication Data).
  [[nodiscard]] Step finish(std::string_view client_final);
  /// The authenticated user (after a successful finish()).
  [[nodiscard]] const std::string& username() const noexcept { return username_; }

 private:
  enum class Stage : std::uint8_t { initial, started, done };
  Stage stage_ = Stage::initial;
  std::string username_;
  std::string gs2_header_;
  std::string client_first_bare_;
  std::string server_first_;
  std::string nonce_;
  ScramCredential credential_;
};

}  // namespace actormq::core
