#include <doctest/doctest.h>

#include <string>

#include "core/auth/password_file.hpp"

using actormq::core::PasswordCheck;
using actormq::core::PasswordFile;

namespace {
// Written by Debian 12's mosquitto_passwd 2.0.11: `-b` (PBKDF2, $7$) and `-H sha512 -b` ($6$).
const std::string alice = "alice:$7$101$9UNj0GiYB9R0ARXt$p1dAb6bfa3jiw0oeYdQMJ89+gUTAtMukSAs/"
                          "H2oqh7SgzH/y70ZDZIWPbJArvLTXBDwtUayB5zeYdRnSbisC+w==";  // password "secret"
const std::string bob = "bob:$6$sQYChEuso4YHmATe$L3ulzDxclavBBsx64XzvJrSxyTMnJbyZCn2s9VY/"
                        "fS7ZtVyW+qTPIoHWRMznsyit8bllZZj2WTR/yAEjzRL2wQ==";  // password "hunter2"

std::string parse_error(const std::string& text) {
  auto r = PasswordFile::parse(text, "pw");
  REQUIRE_FALSE(r.ok());
  return r.error().text();
}
}  // namespace

TEST_CASE("password file: mosquitto_passwd $7$ and $6$ hashes verify") {
  auto r = PasswordFile::parse("# users\n\n" + alice + "\r\n" + bob + "\n", "pw");
  REQUIRE_MESSAGE(r.ok(), r.error().text());
  const PasswordFile& f = *r;
  CHECK(f.size() == 2);
  CHECK(f.check("alice", "secret") == PasswordCheck::ok);
  CHECK(f.check("alice", "Secret") == PasswordCheck::wrong_password);
  CHECK(f.check("alice", "") == PasswordCheck::wrong_password);
  CHECK(f.check("bob", "hunter2") == PasswordCheck::ok);
  CHECK(f.check("bob", "hunter") == PasswordCheck::wrong_password);
  CHECK(f.check("carol", "secret") == PasswordCheck::unknown_user);
  CHECK(f.check("", "") == PasswordCheck::unknown_user);
  CHECK(f.check("Alice", "secret") == PasswordCheck::unknown_user);
}

TEST_CASE("password file: malformed lines are refused with file and line") {
  CHECK(parse_error("# ok\n" + alice + "\nnocolon\n") == "pw:3: expected user:hash");
  CHECK(parse_error(":$6$abc$def\n") == "pw:1: empty user name");
  CHECK(parse_error("u:plaintext\n").starts_with("pw:1: user \"u\": not a mosquitto_passwd hash"));
  CHECK(parse_error("u:$5$c2FsdA==$aGFzaA==\n").starts_with("pw:1: user \"u\": not a mosquitto_passwd hash"));
  CHECK(parse_error("u:$7$0$c2FsdA==$aGFzaA==\n").starts_with("pw:1: user \"u\": bad iteration count \"0\""));
  CHECK(parse_error("u:$7$x1$c2FsdA==$aGFzaA==\n").starts_with("pw:1: user \"u\": bad iteration count"));
  CHECK(parse_error("u:$6$!!!$aGFzaA==\n") == "pw:1: user \"u\": salt is not base64");
  CHECK(parse_error("u:$6$c2FsdA==$aGFzaA==\n") == "pw:1: user \"u\": hash is not the base64 of 64 bytes");
  CHECK(parse_error("u:$6$c2FsdA==\n").starts_with("pw:1: user \"u\": not a mosquitto_passwd hash"));
  CHECK(parse_error(alice + "\n" + alice + "\n") == "pw:2: user \"alice\" is already defined on line 1");
}

TEST_CASE("password file: empty and comment-only files hold no users") {
  auto r = PasswordFile::parse("#\n   \n# nobody\n", "pw");
  REQUIRE(r.ok());
  CHECK(r->size() == 0);
  CHECK(r->check("alice", "secret") == PasswordCheck::unknown_user);
}

TEST_CASE("password file: a missing file is an error naming it") {
  auto r = PasswordFile::load("/nonexistent/actormq-pw");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().text().starts_with("/nonexistent/actormq-pw: cannot read"));
}

TEST_CASE("password file: SHA-512-crypt lines from openssl passwd -6 and crypt(3)") {
  // `openssl passwd -6 -salt saltsalt hunter2`, and Python's crypt.crypt('hunter2', '$6$rounds=1000$abc').
  const std::string dave = "dave:$6$saltsalt$8iYtNHxjWRl.NF6oNZ5tF.iKFlQREaXBLlSmZKP6dy9l5z3vsooWNW0/"
                           "GZ6Nej73/TFug6pIPSqbJoCT6dfnj.";
  const std::string erin = "erin:$6$rounds=1000$abc$43wqGC46ojRcbFJpCMurxe7e3BZz6xuIinQNZWMBi.jDzL1uasHGHU1uUSu"
                           "YmL/Lc3177/SROIa1T8hsSvPoP/";
  auto r = PasswordFile::parse(dave + "\n" + erin + "\n" + bob + "\n", "pw");
  REQUIRE_MESSAGE(r.ok(), r.error().text());
  CHECK(r->check("dave", "hunter2") == PasswordCheck::ok);
  CHECK(r->check("dave", "hunter3") == PasswordCheck::wrong_password);
  CHECK(r->check("erin", "hunter2") == PasswordCheck::ok);
  CHECK(r->check("erin", "") == PasswordCheck::wrong_password);
  CHECK(r->check("bob", "hunter2") == PasswordCheck::ok);  // mosquitto's own $6$ beside them
  CHECK(r->check("zed", "hunter2") == PasswordCheck::unknown_user);
  CHECK(parse_error("u:$6$rounds=999$abc$" + std::string(86, 'a') + "\n").starts_with("pw:1: user \"u\": bad rounds"));
  CHECK(parse_error("u:$6$rounds=01000$abc$" + std::string(86, 'a') + "\n").starts_with("pw:1: user \"u\": bad rounds"));
  CHECK(parse_error("u:$6$saltsaltsaltsaltX$" + std::string(86, 'a') + "\n") ==
        "pw:1: user \"u\": bad SHA-512-crypt salt");
}
