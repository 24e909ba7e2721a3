#pragma once
// Password files in mosquitto_passwd's format, so operators keep managing
// users with `mosquitto_passwd` (mosquitto 2.0):
//
//   # comment                       blank lines and '#' lines are skipped
//   alice:$7$101$<salt>$<hash>      PBKDF2-HMAC-SHA512, <iterations> rounds, 64-byte hash
//   bob:$6$<salt>$<hash>            SHA-512(password || salt) (`mosquitto_passwd -H sha512`)
//   carol:$6$[rounds=N$]<salt>$<86>  SHA-512-crypt (`openssl passwd -6`, /etc/shadow); not
//                                   read by mosquitto, accepted here (core/auth/sha512_crypt.hpp)
//
// Salt and hash are standard base64 of the raw bytes. Anything else (no ':',
// empty user, unknown or malformed hash, a user twice) refuses the file with
// its path and line.
//
// check() takes the same time whether or not the user exists: an unknown
// user is verified against a dummy hash of the file's most common kind, as
// costly as its costliest entry, and hashes are compared in constant time.
// (Users of another kind take another time: keep one kind per file, as
// mosquitto_passwd does.)

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/auth/text_file.hpp"

namespace actormq::core {

enum class PasswordCheck : std::uint8_t { ok, wrong_password, unknown_user };

/// One user's stored hash.
struct PasswordHash {
  enum class Kind : std::uint8_t { sha512, pbkdf2_sha512, sha512_crypt };
  Kind kind = Kind::pbkdf2_sha512;
  std::uint32_t iterations = 0;  ///< pbkdf2_sha512: iterations; sha512_crypt: rounds (0: default, not written)
  std::vector<std::uint8_t> salt;
  std::vector<std::uint8_t> hash;  ///< sha512_crypt: the whole "$6$..." text
};

/// Immutable once parsed; check() is thread-safe.
class PasswordFile {
 public:
  /// Parses the text of a file called `path` (used in error messages).
  [[nodiscard]] static Result<PasswordFile> parse(std::string_view text, const std::string& path);
  [[nodiscard]] static Result<PasswordFile> load(const std::string& path);

  [[nodiscard]] PasswordCheck check(std::string_view user, std::string_view password) const;
  [[nodiscard]] std::size_t size() const noexcept { return users_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, PasswordHash, Hash, std::equal_to<>> users_;
  PasswordHash dummy_;
};

/// Parses the hash part of a password line ("$7$..." or "$6$..."); the error
/// text when it is not one.
[[nodiscard]] Result<PasswordHash> parse_password_hash(std::string_view text);
/// True if `password` hashes to `hash`; compares in constant time.
[[nodiscard]] bool verify_password(const PasswordHash& hash, std::string_view password);

}  // namespace actormq::core
