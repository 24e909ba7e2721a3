#include <doctest/doctest.h>

#include <string>

#include "core/auth/acl.hpp"

using actormq::core::Acl;
using actormq::core::AclAccess;
using actormq::core::AclClient;
using actormq::core::filter_covers;
using actormq::core::filters_intersect;

namespace {
Acl parse(const std::string& text) {
  auto r = Acl::parse(text, "acl");
  REQUIRE_MESSAGE(r.ok(), r.error().text());
  return std::move(r).value();
}
std::string parse_error(const std::string& text) {
  auto r = Acl::parse(text, "acl");
  REQUIRE_FALSE(r.ok());
  return r.error().text();
}
constexpr AclAccess R = AclAccess::read;
constexpr AclAccess W = AclAccess::write;

const char* const example = R"(# anonymous clients
topic read public/#
topic public/rw

user alice
topic readwrite a/#
topic deny a/secret
topic write cmd/+

user bob
topic read a/#

pattern readwrite dev/%u/#
pattern write status/%c
)";
}  // namespace

TEST_CASE("acl: the anonymous section, user sections and access words") {
  Acl acl = parse(example);
  const std::string alice = "alice";
  const std::string bob = "bob";
  AclClient anon{"c1", nullptr};
  AclClient a{"ca", &alice};
  AclClient b{"cb", &bob};
  CHECK(acl.allows(anon, "public/x", R));
  CHECK_FALSE(acl.allows(anon, "public/x", W));
  CHECK(acl.allows(anon, "public/rw", R));
  CHECK(acl.allows(anon, "public/rw", W));  // no access word: readwrite
  CHECK_FALSE(acl.allows(anon, "a/x", R));  // user rules are not for anonymous clients
  CHECK(acl.allows(a, "a/x", R));
  CHECK(acl.allows(a, "a/x", W));
  CHECK(acl.allows(a, "a", W));  // "a/#" matches its parent
  CHECK_FALSE(acl.allows(a, "a/secret", R));  // deny wins though listed after
  CHECK_FALSE(acl.allows(a, "a/secret", W));
  CHECK(acl.allows(a, "a/secret/deeper", R));
  CHECK(acl.allows(a, "cmd/go", W));
  CHECK_FALSE(acl.allows(a, "cmd/go", R));
  CHECK_FALSE(acl.allows(a, "public/x", R));  // the anonymous section is not for users
  CHECK(acl.allows(b, "a/x", R));
  CHECK_FALSE(acl.allows(b, "a/x", W));
}

TEST_CASE("acl: patterns substitute %u and %c and apply to everybody") {
  Acl acl = parse(example);
  const std::string alice = "alice";
  const std::string carol = "carol";  // no section of her own: patterns only
  AclClient a{"ca", &alice};
  AclClient c{"cc", &carol};
  AclClient anon{"anon1", nullptr};
  CHECK(acl.allows(a, "dev/alice/temp", W));
  CHECK(acl.allows(a, "dev/alice/temp", R));
  CHECK_FALSE(acl.allows(a, "dev/bob/temp", W));
  CHECK(acl.allows(c, "dev/carol", R));
  CHECK_FALSE(acl.allows(c, "a/x", R));
  CHECK(acl.allows(c, "status/cc", W));
  CHECK_FALSE(acl.allows(c, "status/ca", W));
  CHECK(acl.allows(anon, "status/anon1", W));  // %c applies to anonymous clients
  CHECK_FALSE(acl.allows(anon, "dev//x", W));  // %u patterns do not
}

TEST_CASE("acl: with patterns, + or # in a username or client id is refused") {
  Acl acl = parse(example);
  const std::string wild = "ev+l";
  const std::string carol = "carol";
  CHECK_FALSE(acl.allows(AclClient{"c", &wild}, "dev/ev+l/x", W));
  CHECK_FALSE(acl.allows(AclClient{"#", &carol}, "status/#", W));
  CHECK_FALSE(acl.allows(AclClient{"#", &carol}, "dev/carol/x", W));
}

TEST_CASE("acl: wildcards at the first level do not reach $ topics") {
  Acl acl = parse("topic read #\ntopic read $SYS/broker/uptime\n");
  AclClient anon{"c", nullptr};
  CHECK(acl.allows(anon, "x/y", R));
  CHECK_FALSE(acl.allows(anon, "$SYS/broker/load", R));
  CHECK(acl.allows(anon, "$SYS/broker/uptime", R));
}

TEST_CASE("acl: an empty file refuses everything") {
  Acl acl = parse("# nothing\n");
  const std::string u = "u";
  CHECK_FALSE(acl.allows(AclClient{"c", nullptr}, "a", R));
  CHECK_FALSE(acl.allows(AclClient{"c", &u}, "a", W));
  CHECK_FALSE(acl.allows_subscribe(AclClient{"c", &u}, "#"));
}

TEST_CASE("acl: subscriptions need read on some topic of the filter, and no deny covering it") {
  Acl acl = parse(example);
  const std::string alice = "alice";
  AclClient a{"ca", &alice};
  CHECK(acl.allows_subscribe(a, "a/#"));
  CHECK(acl.allows_subscribe(a, "a/+/x"));
  CHECK(acl.allows_subscribe(a, "#"));  // intersects a/#; delivery filters the rest
  CHECK(acl.allows_subscribe(a, "+/x"));
  CHECK_FALSE(acl.allows_subscribe(a, "a/secret"));  // covered by the deny
  CHECK(acl.allows_subscribe(a, "a/secret/#"));      // only partly denied
  CHECK_FALSE(acl.allows_subscribe(a, "cmd/+"));     // write only
  CHECK_FALSE(acl.allows_subscribe(a, "other/#"));
  CHECK(acl.allows_subscribe(a, "dev/alice/#"));
  CHECK_FALSE(acl.allows_subscribe(a, "dev/bob/#"));
  CHECK_FALSE(acl.allows_subscribe(a, "$SYS/#"));
}

TEST_CASE("acl: filter_covers and filters_intersect") {
  CHECK(filter_covers("#", "a/b"));
  CHECK(filter_covers("a/#", "a"));
  CHECK(filter_covers("a/#", "a/+/c"));
  CHECK(filter_covers("a/+", "a/b"));
  CHECK(filter_covers("a/+", "a/+"));
  CHECK_FALSE(filter_covers("a/+", "a/#"));
  CHECK_FALSE(filter_covers("a/b", "a/+"));
  CHECK_FALSE(filter_covers("a", "a/#"));
  CHECK_FALSE(filter_covers("#", "$SYS/x"));
  CHECK(filter_covers("$SYS/#", "$SYS/x"));
  CHECK(filters_intersect("a/#", "#"));
  CHECK(filters_intersect("a/+/c", "a/b/+"));
  CHECK(filters_intersect("a/#", "a"));
  CHECK(filters_intersect("a", "a/#"));
  CHECK(filters_intersect("+/+", "/x"));
  CHECK_FALSE(filters_intersect("a/b", "a/c"));
  CHECK_FALSE(filters_intersect("a/+", "a"));
  CHECK_FALSE(filters_intersect("a/+", "a/b/c"));
  CHECK_FALSE(filters_intersect("#", "$SYS/x"));
  CHECK(filters_intersect("$SYS/#", "$SYS/+"));
}

TEST_CASE("acl: malformed files are refused with file and line") {
  CHECK(parse_error("topic read a\nbogus a\n") ==
        "acl:2: unknown keyword \"bogus\" (expected topic, pattern or user)");
  CHECK(parse_error("user\n") == "acl:1: user: missing user name");
  CHECK(parse_error("topic\n") == "acl:1: topic: missing topic");
  CHECK(parse_error("\n\ntopic sometimes a/b\n") ==
        "acl:3: bad access \"sometimes\" (expected read, write, readwrite or deny)");
  CHECK(parse_error("pattern read a/#/b\n") == "acl:1: invalid topic filter \"a/#/b\"");
  CHECK(parse_error("topic write a+\n") == "acl:1: invalid topic filter \"a+\"");
  // mosquitto: a single word after "topic" is the topic, whatever it says.
  Acl acl = parse("topic read\n");
  CHECK(acl.allows(AclClient{"c", nullptr}, "read", AclAccess::write));
}
