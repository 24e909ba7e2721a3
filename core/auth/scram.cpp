#include "core/auth/scram.hpp"

#include <charconv>
#include <optional>

#include "core/auth/crypto.hpp"

namespace actormq::core {

namespace {

constexpr std::uint32_t min_iterations = 4096;  // RFC 7677 section 4
constexpr std::uint32_t max_scram_iterations = 10'000'000;
constexpr std::size_t nonce_bytes = 18;
constexpr std::size_t max_message = 4096;  // client messages; far above any real one

// "a=1,b=2" -> its attributes in order; nullopt if one is not "x=...".
std::optional<std::vector<std::pair<char, std::string_view>>> attributes(std::string_view text) {
  std::vector<std::pair<char, std::string_view>> out;
  for (;;) {
    std::size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    if (item.size() < 2 || item[1] != '=') {
      return std::nullopt;
    }
    out.emplace_back(item[0], item.substr(2));
    if (comma == std::string_view::npos) {
      return out;
    }
    text.remove_prefix(comma + 1);
  }
}

// RFC 5802 5.1: saslname escapes ',' as "=2C" and '=' as "=3D".
std::optional<std::string> unescape_saslname(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == ',') {
      return std::nullopt;
    }
    if (s[i] != '=') {
      out.push_back(s[i]);
      continue;
    }
    std::string_view code = s.substr(i + 1, 2);
    if (code == "2C") {
      out.push_back(',');
    } else if (code == "3D") {
      out.push_back('=');
    } else {
      return std::nullopt;
    }
    i += 2;
  }
  return out;
}

bool printable_nonce(std::string_view nonce) {
  // RFC 5802: printable ASCII except ','.
  for (char c : nonce) {
    if (c < 0x21 || c > 0x7e || c == ',') {
      return false;
    }
  }
  return !nonce.empty();
}

ScramServer::Step failure(std::string reason) {
  return {ScramServer::Step::Kind::failure, {}, std::move(reason)};
}

std::array<std::uint8_t, 32> to_key(const std::vector<std::uint8_t>& bytes) {
  std::array<std::uint8_t, 32> key{};
  std::copy(bytes.begin(), bytes.end(), key.begin());
  return key;
}

}  // namespace

Result<ScramCredential> parse_scram_credential(std::string_view text) {
  // SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey> (RFC 5803 section 3)
  constexpr std::string_view prefix = "SCRAM-SHA-256$";
  if (!text.starts_with(prefix)) {
    return fail("expected SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>");
  }
  text.remove_prefix(prefix.size());
  std::size_t dollar = text.find('$');
  if (dollar == std::string_view::npos) {
    return fail("expected SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>");
  }
  std::string_view first = text.substr(0, dollar);
  std::string_view second = text.substr(dollar + 1);
  std::size_t c1 = first.find(':');
  std::size_t c2 = second.find(':');
  if (c1 == std::string_view::npos || c2 == std::string_view::npos) {
    return fail("expected SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>");
  }
  ScramCredential c;
  std::string_view iter = first.substr(0, c1);
  auto [ptr, ec] = std::from_chars(iter.data(), iter.data() + iter.size(), c.iterations);
  if (ec != std::errc{} || ptr != iter.data() + iter.size() || c.iterations < min_iterations ||
      c.iterations > max_scram_iterations) {
    return fail("bad iteration count \"" + std::string(iter) + "\" (" + std::to_string(min_iterations) + ".." +
                std::to_string(max_scram_iterations) + ")");
  }
  auto salt = crypto::base64_decode(first.substr(c1 + 1));
  auto stored = crypto::base64_decode(second.substr(0, c2));
  auto server = crypto::base64_decode(second.substr(c2 + 1));
  if (!salt || salt->empty()) {
    return fail("salt is not base64");
  }
  if (!stored || stored->size() != 32 || !server || server->size() != 32) {
    return fail("StoredKey and ServerKey must be the base64 of 32 bytes");
  }
  c.salt = std::move(*salt);
  c.stored_key = to_key(*stored);
  c.server_key = to_key(*server);
  return c;
}

Result<ScramFile> ScramFile::parse(std::string_view text, const std::string& path) {
  ScramFile file;
  Lines lines(text);
  while (auto entry = lines.next_entry()) {
    std::string_view l = *entry;
    std::size_t colon = l.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return Failure{at_line(path, lines.number(), "expected user:SCRAM-SHA-256$...")};
    }
    std::string user(l.substr(0, colon));
    auto cred = parse_scram_credential(l.substr(colon + 1));
    if (!cred.ok()) {
      return Failure{at_line(path, lines.number(), "user \"" + user + "\": " + cred.error().text())};
    }
    if (!file.users_.emplace(user, std::move(cred).value()).second) {
      return Failure{at_line(path, lines.number(), "user \"" + user + "\" is defined twice")};
    }
  }
  file.secret_ = crypto::random_bytes(32);
  return file;
}

Result<ScramFile> ScramFile::load(const std::string& path) { return load_text_file<ScramFile>(path); }

ScramCredential ScramFile::lookup(std::string_view user) const {
  if (auto it = users_.find(std::string(user)); it != users_.end()) {
    return it->second;
  }
  ScramCredential fake;
  fake.iterations = min_iterations;
  auto salt = crypto::hmac_sha256(secret_, crypto::bytes_of(user));
  fake.salt.assign(salt.begin(), salt.begin() + 16);
  fake.stored_key = to_key(crypto::random_bytes(32));
  fake.server_key = to_key(crypto::random_bytes(32));
  return fake;
}

ScramServer::Step ScramServer::start(std::string_view client_first, const ScramFile& users) {
  if (stage_ != Stage::initial) {
    return failure("SCRAM exchange already started");
  }
  stage_ = Stage::done;  // until it succeeds
  if (client_first.size() > max_message) {
    return failure("client-first message too long");
  }
  // gs2-header: "n,," or "y,," (no channel binding), optionally "n,a=authzid,".
  std::size_t first_comma = client_first.find(',');
  std::size_t second_comma =
      first_comma == std::string_view::npos ? first_comma : client_first.find(',', first_comma + 1);
  if (second_comma == std::string_view::npos) {
    return failure("malformed client-first message");
  }
  std::string_view cbind = client_first.substr(0, first_comma);
  if (cbind != "n" && cbind != "y") {
    return failure("channel binding is not supported");
  }
  std::string_view authzid = client_first.substr(first_comma + 1, second_comma - first_comma - 1);
  if (!authzid.empty() && !authzid.starts_with("a=")) {
    return failure("malformed client-first message");
  }
  gs2_header_ = std::string(client_first.substr(0, second_comma + 1));
  client_first_bare_ = std::string(client_first.substr(second_comma + 1));
  auto attrs = attributes(client_first_bare_);
  if (!attrs || attrs->size() < 2 || (*attrs)[0].first != 'n' || (*attrs)[1].first != 'r') {
    return failure("malformed client-first message");
  }
  auto user = unescape_saslname((*attrs)[0].second);
  if (!user || user->empty() || !printable_nonce((*attrs)[1].second)) {
    return failure("malformed client-first message");
  }
  if (!authzid.empty()) {
    auto authz = unescape_saslname(authzid.substr(2));
    if (!authz || *authz != *user) {
      return failure("authorization identity differs from the user");
    }
  }
  username_ = std::move(*user);
  credential_ = users.lookup(username_);
  std::string server_nonce = crypto::base64_encode(crypto::random_bytes(nonce_bytes));
  nonce_ = std::string((*attrs)[1].second) + server_nonce;
  server_first_ = "r=" + nonce_ + ",s=" + crypto::base64_encode(credential_.salt) +
                  ",i=" + std::to_string(credential_.iterations);
  stage_ = Stage::started;
  return {Step::Kind::next, server_first_, {}};
}

ScramServer::Step ScramServer::finish(std::string_view client_final) {
  if (stage_ != Stage::started) {
    return failure("SCRAM client-final message out of sequence");
  }
  stage_ = Stage::done;
  if (client_final.size() > max_message) {
    return failure("client-final message too long");
  }
  std::size_t proof_at = client_final.rfind(",p=");
  if (proof_at == std::string_view::npos) {
    return failure("malformed client-final message");
  }
  std::string_view without_proof = client_final.substr(0, proof_at);
  auto attrs = attributes(without_proof);
  if (!attrs || attrs->size() < 2 || (*attrs)[0].first != 'c' || (*attrs)[1].first != 'r') {
    return failure("malformed client-final message");
  }
  auto cbind = crypto::base64_decode((*attrs)[0].second);
  if (!cbind || std::string_view(reinterpret_cast<const char*>(cbind->data()), cbind->size()) != gs2_header_) {
    return failure("channel binding data does not match");
  }
  if ((*attrs)[1].second != nonce_) {
    return failure("nonce does not match");
  }
  auto proof = crypto::base64_decode(client_final.substr(proof_at + 3));
  if (!proof || proof->size() != 32) {
    return failure("malformed client proof");
  }
  std::string auth_message = client_first_bare_ + "," + server_first_ + "," + std::string(without_proof);
  auto client_signature = crypto::hmac_sha256(credential_.stored_key, crypto::bytes_of(auth_message));
  std::array<std::uint8_t, 32> client_key{};
  for (std::size_t i = 0; i < client_key.size(); ++i) {
    client_key[i] = static_cast<std::uint8_t>((*proof)[i] ^ client_signature[i]);
  }
  if (!crypto::equal_constant_time(crypto::sha256(client_key), credential_.stored_key)) {
    return failure("invalid proof");
  }
  auto server_signature = crypto::hmac_sha256(credential_.server_key, crypto::bytes_of(auth_message));
  return {Step::Kind::success, "v=" + crypto::base64_encode(server_signature), {}};
}

}  // namespace actormq::core
