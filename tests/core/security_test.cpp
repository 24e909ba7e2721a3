#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>

#include "core/auth/security.hpp"
#include "core/config/config.hpp"

using namespace actormq::core;

namespace {

// A file in /tmp removed at the end of the test.
struct TempFile {
  std::string path;
  explicit TempFile(const std::string& text) {
    char name[] = "/tmp/actormq-security-XXXXXX";
    int fd = mkstemp(name);
    REQUIRE(fd >= 0);
    ::close(fd);
    path = name;
    write(text);
  }
  ~TempFile() { std::remove(path.c_str()); }
  void write(const std::string& text) const { std::ofstream(path, std::ios::trunc) << text; }
};

// Written by mosquitto_passwd -b (password "secret").
const char* const alice = "alice:$7$101$9UNj0GiYB9R0ARXt$p1dAb6bfa3jiw0oeYdQMJ89+gUTAtMukSAs/"
                          "H2oqh7SgzH/y70ZDZIWPbJArvLTXBDwtUayB5zeYdRnSbisC+w==\n";

Config two_listeners(const std::string& pw, const std::string& acl) {
  Config c;
  c.allow_anonymous = false;
  c.password_file = pw;
  c.acl_file = acl;
  ListenerConfig open(ListenerType::tcp);
  open.port = 1884;
  open.allow_anonymous = true;
  open.password_file = "";
  c.listeners.push_back(open);
  return c;
}

}  // namespace

TEST_CASE("security: per-listener rules from the configuration") {
  TempFile pw(alice);
  TempFile acl("topic read public/#\n");
  auto loaded = Security::load(two_listeners(pw.path, acl.path));
  REQUIRE_MESSAGE(loaded.ok(), loaded.error().text());
  Security& s = **loaded;
  CHECK_FALSE(s.listener(0).allow_anonymous);
  CHECK(s.listener(0).checks_passwords());
  REQUIRE(s.listener(0).passwords() != nullptr);
  CHECK(s.listener(0).passwords()->check("alice", "secret") == PasswordCheck::ok);
  CHECK(s.listener(1).allow_anonymous);
  CHECK_FALSE(s.listener(1).checks_passwords());
  CHECK(s.listener(1).passwords() == nullptr);
  // One ACL file named by both listeners is parsed once and shared.
  CHECK(s.listener(0).acl() == s.listener(1).acl());
  CHECK(s.listener(0).scram() == nullptr);
  CHECK(s.listener(1).scram() == nullptr);
}

TEST_CASE("security: each listener has the SCRAM users its configuration names") {
  TempFile pw(alice);
  // Written by scripts/scram_passwd.py bob b0b.
  TempFile scram(
      "bob:SCRAM-SHA-256$4096:sPYXD6WIXO0965IET0rNBQ==$mg6B4iJ1dn9UkKNNEd1SWsvEl9PgxYp8jgFXCS8CB7w=:"
      "hb6Nt19nxF+YmPS/yxyD2yLUaO3XpUzf42MlKUKnkgY=\n");
  Config c = two_listeners(pw.path, "");
  c.scram_file = scram.path;
  ListenerConfig own(ListenerType::tcp);
  own.port = 1885;
  own.scram_file = scram.path;
  c.listeners.push_back(own);
  auto loaded = Security::load(c);
  REQUIRE_MESSAGE(loaded.ok(), loaded.error().text());
  Security& s = **loaded;
  CHECK(s.listener(0).scram() != nullptr);  // inherits: no authentication of its own
  CHECK(s.listener(1).scram() == nullptr);  // sets allow_anonymous and password_file
  CHECK(s.listener(2).scram() == s.listener(0).scram());  // one file, parsed once
}

TEST_CASE("security: a malformed file fails the load with its kind, path and line") {
  TempFile pw(std::string(alice) + "broken\n");
  auto loaded = Security::load(two_listeners(pw.path, ""));
  REQUIRE_FALSE(loaded.ok());
  CHECK(loaded.error().text() == "password_file " + pw.path + ":2: expected user:hash");
  TempFile acl("user\n");
  loaded = Security::load(two_listeners("", acl.path));
  REQUIRE_FALSE(loaded.ok());
  CHECK(loaded.error().text() == "acl_file " + acl.path + ":1: user: missing user name");
}

TEST_CASE("security: reload swaps every file, or none when one is bad") {
  TempFile pw(alice);
  TempFile acl("topic read a\n");
  auto loaded = Security::load(two_listeners(pw.path, acl.path));
  REQUIRE(loaded.ok());
  Security& s = **loaded;
  auto old_acl = s.listener(0).acl();
  AclClient anon{"c", nullptr};
  CHECK(old_acl->allows(anon, "a", AclAccess::read));

  acl.write("topic read b\n");
  pw.write("");  // nobody left
  REQUIRE(s.reload().ok());
  CHECK(s.listener(0).acl()->allows(anon, "b", AclAccess::read));
  CHECK_FALSE(s.listener(0).acl()->allows(anon, "a", AclAccess::read));
  CHECK(s.listener(0).passwords()->check("alice", "secret") == PasswordCheck::unknown_user);
  CHECK(old_acl->allows(anon, "a", AclAccess::read));  // holders of the old rules keep them intact

  acl.write("topic read c\n");
  pw.write(std::string(alice) + ":nouser\n");  // bad: nothing may change
  auto reloaded = s.reload();
  REQUIRE_FALSE(reloaded.ok());
  CHECK(reloaded.error().text().starts_with("password_file " + pw.path + ":2:"));
  CHECK(s.listener(0).acl()->allows(anon, "b", AclAccess::read));
  CHECK_FALSE(s.listener(0).acl()->allows(anon, "c", AclAccess::read));
}

TEST_CASE("security: reconfigure keeps a listener's slot, adds new ones, and changes nothing on a bad file") {
  TempFile pw(alice);
  Config c = two_listeners(pw.path, "");
  auto loaded = Security::load(c);
  REQUIRE(loaded.ok());
  Security& s = **loaded;
  REQUIRE(s.size() == 2);
  ListenerSecurity* first = &s.listener(0);
  ListenerSecurity* second = &s.listener(1);

  // Listener 1 goes, listener 0 stays with the same settings, a new one
  // comes; then listener 0's settings change (a new object in its slot).
  Config next = c;
  next.listeners.erase(next.listeners.begin() + 1);
  ListenerConfig added(ListenerType::tcp);
  added.port = 1890;
  next.listeners.push_back(added);
  auto slots = s.reconfigure(next, {std::optional<std::uint16_t>(0), std::nullopt});
  REQUIRE_MESSAGE(slots.ok(), slots.error().text());
  CHECK(*slots == std::vector<std::uint16_t>{0, 2});
  CHECK(s.size() == 3);
  CHECK(&s.listener(0) == first);   // unchanged settings: the same rules, files read again
  CHECK(&s.listener(1) == second);  // a removed listener's rules stay for its offline sessions
  CHECK_FALSE(s.listener(2).allow_anonymous);
  CHECK(s.listener(2).passwords()->check("alice", "secret") == PasswordCheck::ok);

  next.listeners[0].allow_anonymous = true;
  slots = s.reconfigure(next, {std::optional<std::uint16_t>(0), std::optional<std::uint16_t>(2)});
  REQUIRE(slots.ok());
  CHECK(*slots == std::vector<std::uint16_t>{0, 2});
  CHECK(&s.listener(0) != first);
  CHECK(s.listener(0).allow_anonymous);
  CHECK_FALSE(first->allow_anonymous);  // whoever holds the old object still may use it

  TempFile bad("alice\n");
  next.listeners[1].password_file = bad.path;
  ListenerConfig more(ListenerType::tcp);
  more.port = 1891;
  next.listeners.push_back(more);
  slots = s.reconfigure(next, {std::optional<std::uint16_t>(0), std::optional<std::uint16_t>(2), std::nullopt});
  REQUIRE_FALSE(slots.ok());
  CHECK(slots.error().text().starts_with("password_file " + bad.path + ":1:"));
  CHECK(s.size() == 3);
  CHECK(s.listener(2).password_path() == pw.path);
}
