// SCRAM credential files (core/auth/scram.cpp): any text is parsed or refused
// with "path:line: message"; the users of a file that parses can be looked
// up, and so can users it does not have.

#include "core/auth/scram.hpp"
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace actormq::core;
  std::string_view text = actormq::fuzz::as_text(data, size);
  auto file = ScramFile::parse(text, "scram");
  FUZZ_CHECK(file.ok() || !file.error().text().empty());
  if (!file.ok()) {
    FUZZ_CHECK(file.error().text().starts_with("scram:"));
    return 0;
  }
  std::string_view first = text.substr(0, text.find(':'));
  for (std::string_view user : {first, std::string_view("nobody")}) {
    ScramCredential c = file->lookup(user);
    FUZZ_CHECK(!c.salt.empty());
  }
  return 0;
}
