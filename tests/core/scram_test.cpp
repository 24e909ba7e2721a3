#include <doctest/doctest.h>

#include <string>

#include "core/auth/crypto.hpp"
#include "core/auth/scram.hpp"

using namespace actormq::core;
namespace crypto = actormq::core::crypto;

namespace {

// The client side of SCRAM-SHA-256 (RFC 5802 section 3), to drive the server.
struct Client {
  std::string password;
  std::string client_first_bare;

  std::string final_message(const std::string& server_first, std::string* server_signature) const {
    auto field = [&](char name) {
      std::size_t at = server_first.find(std::string(1, name) + "=");
      std::size_t end = server_first.find(',', at);
      return server_first.substr(at + 2, end == std::string::npos ? end : end - at - 2);
    };
    auto salt = *crypto::base64_decode(field('s'));
    auto iterations = static_cast<std::uint32_t>(std::stoul(field('i')));
    auto salted = crypto::pbkdf2(crypto::Digest::sha256, crypto::bytes_of(password), salt, iterations, 32);
    auto client_key = crypto::hmac_sha256(salted, crypto::bytes_of("Client Key"));
    auto stored_key = crypto::sha256(client_key);
    auto server_key = crypto::hmac_sha256(salted, crypto::bytes_of("Server Key"));
    std::string without_proof = "c=biws,r=" + field('r');
    std::string auth_message = client_first_bare + "," + server_first + "," + without_proof;
    auto signature = crypto::hmac_sha256(stored_key, crypto::bytes_of(auth_message));
    std::array<std::uint8_t, 32> proof{};
    for (std::size_t i = 0; i < 32; ++i) {
      proof[i] = static_cast<std::uint8_t>(client_key[i] ^ signature[i]);
    }
    *server_signature = "v=" + crypto::base64_encode(crypto::hmac_sha256(server_key, crypto::bytes_of(auth_message)));
    return without_proof + ",p=" + crypto::base64_encode(proof);
  }
};

// The line scripts/scram_passwd.py writes, computed the same way here.
std::string scram_line(const std::string& user, const std::string& password, const std::string& salt_b64) {
  auto salt = *crypto::base64_decode(salt_b64);
  auto salted = crypto::pbkdf2(crypto::Digest::sha256, crypto::bytes_of(password), salt, 4096, 32);
  auto stored = crypto::sha256(crypto::hmac_sha256(salted, crypto::bytes_of("Client Key")));
  auto server = crypto::hmac_sha256(salted, crypto::bytes_of("Server Key"));
  return user + ":SCRAM-SHA-256$4096:" + salt_b64 + "$" + crypto::base64_encode(stored) + ":" +
         crypto::base64_encode(server);
}

ScramFile users() {
  auto r = ScramFile::parse("# users\n" + scram_line("user", "pencil", "W22ZaJ0SNY7soEsUEjb6gQ==") + "\n", "scram");
  REQUIRE_MESSAGE(r.ok(), r.error().text());
  return std::move(r).value();
}

}  // namespace

TEST_CASE("scram: the test client reproduces RFC 7677's example") {
  Client c{"pencil", "n=user,r=rOprNGfwEbeRWgbNEkqO"};
  std::string signature;
  std::string final_message = c.final_message(
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", &signature);
  CHECK(final_message ==
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  CHECK(signature == "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
}

TEST_CASE("scram: a full exchange succeeds and ends with the server signature") {
  ScramFile file = users();
  ScramServer server;
  auto first = server.start("n,,n=user,r=rOprNGfwEbeRWgbNEkqO", file);
  REQUIRE(first.kind == ScramServer::Step::Kind::next);
  CHECK(first.data.starts_with("r=rOprNGfwEbeRWgbNEkqO"));
  CHECK(first.data.size() > std::string("r=rOprNGfwEbeRWgbNEkqO").size() + 10);  // plus our nonce
  CHECK(first.data.find(",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096") != std::string::npos);
  Client c{"pencil", "n=user,r=rOprNGfwEbeRWgbNEkqO"};
  std::string expected_signature;
  auto last = server.finish(c.final_message(first.data, &expected_signature));
  REQUIRE_MESSAGE(last.kind == ScramServer::Step::Kind::success, last.reason);
  CHECK(last.data == expected_signature);
  CHECK(server.username() == "user");
}

TEST_CASE("scram: a wrong password, an unknown user or a tampered message fail") {
  ScramFile file = users();
  std::string sig;
  {
    ScramServer server;
    auto first = server.start("n,,n=user,r=abc", file);
    auto last = server.finish(Client{"pencil!", "n=user,r=abc"}.final_message(first.data, &sig));
    CHECK(last.kind == ScramServer::Step::Kind::failure);
    CHECK(last.reason == "invalid proof");
  }
  {
    ScramServer server;
    auto first = server.start("n,,n=nobody,r=abc", file);
    REQUIRE(first.kind == ScramServer::Step::Kind::next);  // no hint that the user is unknown
    ScramServer again;
    auto first_again = again.start("n,,n=nobody,r=abc", file);
    // The same made-up salt each time, like a real user's.
    CHECK(first.data.substr(first.data.find(",s=")) == first_again.data.substr(first_again.data.find(",s=")));
    auto last = server.finish(Client{"pencil", "n=nobody,r=abc"}.final_message(first.data, &sig));
    CHECK(last.kind == ScramServer::Step::Kind::failure);
  }
  {
    ScramServer server;
    auto first = server.start("n,,n=user,r=abc", file);
    std::string msg = Client{"pencil", "n=user,r=abc"}.final_message(first.data, &sig);
    msg.replace(msg.find("r=abc"), 5, "r=abd");  // another nonce
    CHECK(server.finish(msg).reason == "nonce does not match");
  }
  {
    ScramServer server;
    CHECK(server.finish("c=biws,r=x,p=AAAA").reason == "SCRAM client-final message out of sequence");
    auto first = server.start("n,,n=user,r=abc", file);
    auto second = server.start("n,,n=user,r=abc", file);
    CHECK(second.kind == ScramServer::Step::Kind::failure);
  }
}

TEST_CASE("scram: malformed client-first messages are refused") {
  ScramFile file = users();
  for (const char* bad : {"", "n,,", "n,,r=abc", "n,,n=user", "p=tls-unique,,n=user,r=abc", "x,,n=user,r=abc",
                          "n,,n=us=ZZer,r=abc", "n,,n=user,r=", "n,a=other,n=user,r=abc", "n,,m=ext,n=user,r=a"}) {
    CAPTURE(bad);
    ScramServer server;
    CHECK(server.start(bad, file).kind == ScramServer::Step::Kind::failure);
  }
  ScramServer server;
  CHECK(server.start("n,a=user,n=user,r=abc", file).kind == ScramServer::Step::Kind::next);
}

TEST_CASE("scram file: malformed lines are refused with file and line") {
  auto bad = [](const std::string& text) {
    auto r = ScramFile::parse(text, "scram");
    REQUIRE_FALSE(r.ok());
    return r.error().text();
  };
  CHECK(bad("\nnocolon\n") == "scram:2: expected user:SCRAM-SHA-256$...");
  CHECK(bad("u:SCRAM-SHA-1$4096:c2FsdA==$a:b\n").starts_with("scram:1: user \"u\": expected SCRAM-SHA-256$"));
  CHECK(bad("u:SCRAM-SHA-256$100:c2FsdA==$a:b\n").starts_with("scram:1: user \"u\": bad iteration count \"100\""));
  CHECK(bad("u:SCRAM-SHA-256$4096:c2FsdA==$YQ==:YQ==\n") ==
        "scram:1: user \"u\": StoredKey and ServerKey must be the base64 of 32 bytes");
  std::string good = scram_line("u", "p", "c2FsdA==");
  CHECK(bad(good + "\n" + good + "\n") == "scram:2: user \"u\" is defined twice");
}
