// Password files (core/auth/password_file.cpp): any text is parsed or refused
// with "path:line: message"; a hash line that parses is verified against a
// password when it is cheap enough to do so here (the costly kinds would
// only measure PBKDF2 and SHA-512-crypt rounds).

#include "core/auth/password_file.hpp"
#include "fuzz_util.hpp"

using namespace actormq::core;

namespace {

bool cheap(const PasswordHash& h) {
  switch (h.kind) {
    case PasswordHash::Kind::sha512:
      return true;
    case PasswordHash::Kind::pbkdf2_sha512:
      return h.iterations <= 200;
    case PasswordHash::Kind::sha512_crypt:
      return h.iterations != 0 && h.iterations <= 1000;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = actormq::fuzz::as_text(data, size);
  auto file = PasswordFile::parse(text, "passwd");
  FUZZ_CHECK(file.ok() || !file.error().text().empty());
  if (!file.ok()) {
    FUZZ_CHECK(file.error().text().starts_with("passwd:"));
  }
  // The first line's hash part on its own.
  std::string_view line = text.substr(0, text.find('\n'));
  std::string_view hash_text = line.substr(line.find(':') == std::string_view::npos ? 0 : line.find(':') + 1);
  auto hash = parse_password_hash(hash_text);
  FUZZ_CHECK(hash.ok() || !hash.error().text().empty());
  if (hash.ok() && cheap(*hash)) {
    (void)verify_password(*hash, "secret");
  }
  return 0;
}
