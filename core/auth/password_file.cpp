#include "core/auth/password_file.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

#include "core/auth/crypto.hpp"
#include "core/auth/sha512_crypt.hpp"

namespace actormq::core {

namespace {
constexpr std::size_t sha512_size = 64;
// mosquitto_passwd's default; the dummy hash costs at least this much.
constexpr std::uint32_t default_iterations = 101;
// Beyond this a single CONNECT could keep a scheduler busy for seconds.
constexpr std::uint32_t max_iterations = 10'000'000;

std::vector<std::string_view> split_dollar(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t end = s.find('$', start);
    parts.push_back(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) {
      return parts;
    }
    start = end + 1;
  }
}

// Beyond this a SHA-512-crypt check takes more than about a second.
constexpr std::uint32_t max_crypt_rounds = 1'000'000;

bool crypt_chars(std::string_view s) {
  return s.find_first_not_of("./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") ==
         std::string_view::npos;
}

// "$6$[rounds=N$]salt$<86 chars>", or nullopt when `text` is not one.
std::optional<Result<PasswordHash>> parse_sha512_crypt(std::string_view text) {
  std::vector<std::string_view> parts = split_dollar(text);
  if (parts.size() < 4 || parts.size() > 5 || !parts[0].empty() || parts[1] != "6" || parts.back().size() != 86 ||
      !crypt_chars(parts.back())) {
    return std::nullopt;
  }
  PasswordHash h;
  h.kind = PasswordHash::Kind::sha512_crypt;
  std::string_view salt = parts[2];
  if (parts.size() == 5) {
    std::string_view rounds = parts[2];
    if (!rounds.starts_with("rounds=")) {
      return fail("not a mosquitto_passwd or SHA-512-crypt hash");
    }
    rounds.remove_prefix(7);
    auto [ptr, ec] = std::from_chars(rounds.data(), rounds.data() + rounds.size(), h.iterations);
    // Canonical digits only: verification writes "rounds=N" back the same way.
    if (ec != std::errc{} || ptr != rounds.data() + rounds.size() || h.iterations < 1000 ||
        h.iterations > max_crypt_rounds || std::to_string(h.iterations) != rounds) {
      return fail("bad rounds \"" + std::string(rounds) + "\" (1000.." + std::to_string(max_crypt_rounds) + ")");
    }
    salt = parts[3];
  }
  if (salt.size() > 16 || salt.find_first_of(":\n") != std::string_view::npos) {
    return fail("bad SHA-512-crypt salt");
  }
  h.salt.assign(salt.begin(), salt.end());
  h.hash.assign(text.begin(), text.end());  // verification rebuilds this text
  return Result<PasswordHash>{std::move(h)};
}

// What one check of `h` costs, in SHA-512 compressions (roughly).
std::uint64_t cost(const PasswordHash& h) {
  switch (h.kind) {
    case PasswordHash::Kind::sha512:
      return 1;
    case PasswordHash::Kind::pbkdf2_sha512:
      return std::uint64_t{h.iterations} * 2;
    case PasswordHash::Kind::sha512_crypt:
      return h.iterations == 0 ? sha512_crypt_default_rounds : h.iterations;
  }
  return 1;
}
}  // namespace

Result<PasswordHash> parse_password_hash(std::string_view text) {
  if (auto crypt = parse_sha512_crypt(text)) {
    return std::move(*crypt);
  }
  // "$6$salt$hash" splits into "", "6", salt, hash; "$7$n$salt$hash" into 5.
  std::vector<std::string_view> parts = split_dollar(text);
  PasswordHash h;
  std::string_view salt;
  std::string_view hash;
  if (parts.size() == 4 && parts[0].empty() && parts[1] == "6") {
    h.kind = PasswordHash::Kind::sha512;
    salt = parts[2];
    hash = parts[3];
  } else if (parts.size() == 5 && parts[0].empty() && parts[1] == "7") {
    h.kind = PasswordHash::Kind::pbkdf2_sha512;
    const char* end = parts[2].data() + parts[2].size();
    auto [ptr, ec] = std::from_chars(parts[2].data(), end, h.iterations);
    if (ec != std::errc{} || ptr != end || h.iterations == 0 || h.iterations > max_iterations) {
      return fail("bad iteration count \"" + std::string(parts[2]) + "\" (1.." + std::to_string(max_iterations) +
                  ")");
    }
    salt = parts[3];
    hash = parts[4];
  } else {
    return fail("not a mosquitto_passwd hash ($6$salt$hash or $7$iterations$salt$hash)");
  }
  auto salt_bytes = crypto::base64_decode(salt);
  if (!salt_bytes || salt_bytes->empty()) {
    return fail("salt is not base64");
  }
  auto hash_bytes = crypto::base64_decode(hash);
  if (!hash_bytes || hash_bytes->size() != sha512_size) {
    return fail("hash is not the base64 of 64 bytes");
  }
  h.salt = std::move(*salt_bytes);
  h.hash = std::move(*hash_bytes);
  return h;
}

bool verify_password(const PasswordHash& h, std::string_view password) {
  if (h.kind == PasswordHash::Kind::sha512_crypt) {
    std::string_view salt(reinterpret_cast<const char*>(h.salt.data()), h.salt.size());
    std::string computed =
        sha512_crypt(password, salt, h.iterations == 0 ? std::nullopt : std::optional(h.iterations));
    return crypto::equal_constant_time(crypto::bytes_of(computed), h.hash);
  }
  if (h.kind == PasswordHash::Kind::sha512) {
    auto digest = crypto::sha512(crypto::bytes_of(password), h.salt);
    return crypto::equal_constant_time(digest, h.hash);
  }
  crypto::Bytes derived =
      crypto::pbkdf2(crypto::Digest::sha512, crypto::bytes_of(password), h.salt, h.iterations, sha512_size);
  return crypto::equal_constant_time(derived, h.hash);
}

Result<PasswordFile> PasswordFile::parse(std::string_view text, const std::string& path) {
  PasswordFile file;
  std::unordered_map<std::string, int> line_of;
  std::array<std::size_t, 3> kinds{};             // entries of each kind
  std::array<const PasswordHash*, 3> costliest{};  // costliest entry of each kind
  Lines lines(text);
  while (auto entry = lines.next_entry()) {
    std::string_view l = *entry;
    std::size_t colon = l.find(':');
    if (colon == std::string_view::npos) {
      return Failure{at_line(path, lines.number(), "expected user:hash")};
    }
    std::string user(l.substr(0, colon));
    if (user.empty()) {
      return Failure{at_line(path, lines.number(), "empty user name")};
    }
    auto hash = parse_password_hash(l.substr(colon + 1));
    if (!hash.ok()) {
      return Failure{at_line(path, lines.number(), "user \"" + user + "\": " + hash.error().text())};
    }
    if (auto seen = line_of.find(user); seen != line_of.end()) {
      return Failure{at_line(path, lines.number(),
                             "user \"" + user + "\" is already defined on line " + std::to_string(seen->second))};
    }
    line_of.emplace(user, lines.number());
    auto [it, inserted] = file.users_.emplace(std::move(user), std::move(hash).value());
    auto k = static_cast<std::size_t>(it->second.kind);
    ++kinds[k];
    if (costliest[k] == nullptr || cost(it->second) > cost(*costliest[k])) {
      costliest[k] = &it->second;
    }
  }
  // The dummy: a copy of the costliest entry of the most common kind, with
  // a random hash no password matches (default: mosquitto_passwd's PBKDF2).
  auto common = static_cast<std::size_t>(std::max_element(kinds.begin(), kinds.end()) - kinds.begin());
  if (costliest[common] != nullptr) {
    file.dummy_ = *costliest[common];
  } else {
    file.dummy_.kind = PasswordHash::Kind::pbkdf2_sha512;
    file.dummy_.iterations = default_iterations;
    file.dummy_.salt = crypto::random_bytes(12);
  }
  if (file.dummy_.kind == PasswordHash::Kind::sha512_crypt) {
    // Same length as a real one; '!' is outside crypt's alphabet, so nothing matches.
    std::fill(file.dummy_.hash.end() - 86, file.dummy_.hash.end(), '!');
  } else {
    file.dummy_.hash = crypto::random_bytes(sha512_size);
  }
  return file;
}

Result<PasswordFile> PasswordFile::load(const std::string& path) { return load_text_file<PasswordFile>(path); }

PasswordCheck PasswordFile::check(std::string_view user, std::string_view password) const {
  auto it = users_.find(user);
  // An unknown user costs a full verification too: the answer's timing must
  // not tell which user names exist.
  bool match = verify_password(it == users_.end() ? dummy_ : it->second, password);
  if (it == users_.end()) {
    return PasswordCheck::unknown_user;
  }
  return match ? PasswordCheck::ok : PasswordCheck::wrong_password;
}

}  // namespace actormq::core
