// LMDB record decoding (persist/record.cpp): the input is a stored value or
// key read back from a possibly corrupt store. Every decoder either refuses
// it or returns a record that encodes to bytes decoding to the same record.

#include "fuzz_util.hpp"
#include "persist/record.hpp"

using namespace actormq::persist;

namespace {

template <class Decode>
void check(std::string_view bytes, Decode decode) {
  auto decoded = decode(bytes);
  if (!decoded) {
    return;
  }
  std::string again = encode(*decoded);
  auto redecoded = decode(again);
  FUZZ_CHECK(redecoded.has_value());
  FUZZ_CHECK(*redecoded == *decoded);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes = actormq::fuzz::as_text(data, size);
  check(bytes, decode_message);
  check(bytes, decode_entry);
  check(bytes, decode_session);
  if (auto key = parse_session_key(bytes)) {
    FUZZ_CHECK(session_key(key->client_id, key->n) == bytes);
  }
  if (auto id = parse_body_key(bytes)) {
    FUZZ_CHECK(body_key(*id) == bytes);
  }
  return 0;
}
