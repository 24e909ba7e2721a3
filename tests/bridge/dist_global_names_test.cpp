// Global names: the names frame layout and the table every node keeps, with
// its conflict rule (bridge/dist/names_frame.cpp, global_names.cpp).
#include <doctest/doctest.h>

#include <string>

#include "bridge/dist/global_names.hpp"
#include "bridge/dist/names_frame.hpp"
#include "bridge/dist/wire.hpp"

using namespace actormq;
using namespace actormq::dist;
using sched::Pid;

namespace {

NamesFrame sample() {
  return NamesFrame{NamesOp::reset, 42, {NameEntry{"leader", Pid(2, 7), 1000}, NameEntry{"x", Pid(2, 9), 5}}};
}

const NodeInfo alpha{"alpha", 1, 0x101};
const NodeInfo beta{"beta", 2, 0x202};
const NodeInfo gamma_node{"gamma", 3, 0x303};

}  // namespace

TEST_CASE("names frame: decodes to what was encoded, every op") {
  for (NamesOp op : {NamesOp::reset, NamesOp::claim}) {
    NamesFrame f = sample();
    f.op = op;
    std::string body = encode_names(f);
    CHECK(frame_kind(body).value() == FrameKind::names);
    auto back = decode_names(body);
    REQUIRE(back);
    CHECK(*back == f);
  }
  NamesFrame release{NamesOp::release, 3, {NameEntry{"leader", {}, 0}}};
  CHECK(decode_names(encode_names(release)).value() == release);
  NamesFrame empty{NamesOp::reset, 0, {}};
  CHECK(decode_names(encode_names(empty)).value() == empty);
}

TEST_CASE("names frame: every truncation, a trailing byte and impossible fields are refused") {
  std::string body = encode_names(sample());
  for (std::size_t n = 0; n < body.size(); ++n) {
    CHECK_FALSE(decode_names(body.substr(0, n)));
  }
  CHECK(decode_names(body + "x").error() == WireError::trailing_bytes);
  std::string bad_op = body;
  bad_op[1] = 3;
  CHECK(decode_names(bad_op).error() == WireError::bad_value);
  // A claim without a holder, a release with one, an empty name, a name too long.
  CHECK_FALSE(decode_names(encode_names(NamesFrame{NamesOp::claim, 1, {NameEntry{"a", {}, 1}}})));
  CHECK_FALSE(decode_names(encode_names(NamesFrame{NamesOp::release, 1, {NameEntry{"a", Pid(2, 1), 0}}})));
  CHECK_FALSE(decode_names(encode_names(NamesFrame{NamesOp::claim, 1, {NameEntry{"", Pid(2, 1), 1}}})));
  std::string long_name = encode_names(NamesFrame{NamesOp::claim, 1, {NameEntry{std::string(255, 'n'), Pid(2, 1), 1}}});
  CHECK(decode_names(long_name));
  long_name[1 + 1 + 8 + 4 + 3] = 0;  // the name's length, 255 -> 256
  long_name[1 + 1 + 8 + 4 + 2] = 1;
  CHECK(decode_names(long_name).error() == WireError::field_too_long);
  // A count larger than the rest could hold is refused before anything is allocated.
  std::string huge = encode_names(NamesFrame{NamesOp::reset, 1, {}});
  huge[10] = 0;
  huge[11] = 1;  // 65,536 entries announced, none there
  CHECK_FALSE(decode_names(huge));
  huge[11] = 2;  // over max_global_names
  CHECK(decode_names(huge).error() == WireError::bad_value);
}

TEST_CASE("global names: a name is given once, resolves to its holder, and comes back when released") {
  GlobalNames names(alpha);
  Pid p(1, 5);
  auto claimed = names.claim("leader", p, 100);
  REQUIRE(claimed);
  CHECK(claimed->op == NamesOp::claim);
  CHECK(claimed->version == 1);
  CHECK(names.whereis("leader") == p);
  CHECK_FALSE(names.claim("leader", Pid(1, 6), 50));  // held
  CHECK_FALSE(names.claim("", p, 1));
  CHECK_FALSE(names.claim(std::string(256, 'n'), p, 1));
  CHECK_FALSE(names.claim("other", Pid(2, 6), 1));  // not this node's process
  REQUIRE(names.claim("deputy", p, 101));
  CHECK(names.snapshot() ==
        NamesFrame{NamesOp::reset, 2, {NameEntry{"deputy", p, 101}, NameEntry{"leader", p, 100}}});
  auto gone = names.release_all(p);
  REQUIRE(gone);
  CHECK(gone->op == NamesOp::release);
  CHECK(gone->entries.size() == 2);
  CHECK_FALSE(names.whereis("leader").valid());
  CHECK_FALSE(names.release("leader"));
  CHECK(names.claim("leader", Pid(1, 6), 200));
}

TEST_CASE("global names: peers' claims resolve, a peer's names go with it, a restarted peer's old ones too") {
  GlobalNames names(alpha);
  REQUIRE(names.apply(beta, NamesFrame{NamesOp::reset, 4, {NameEntry{"b1", Pid(2, 1), 10}}}));
  REQUIRE(names.apply(beta, NamesFrame{NamesOp::claim, 5, {NameEntry{"b2", Pid(2, 2), 11}}}));
  CHECK(names.whereis("b1") == Pid(2, 1));
  CHECK(names.whereis("b2") == Pid(2, 2));
  CHECK_FALSE(names.claim("b1", Pid(1, 1), 1));  // held by beta's process
  // Stale frames (a replaced link's) change nothing.
  REQUIRE(names.apply(beta, NamesFrame{NamesOp::release, 5, {NameEntry{"b2", {}, 0}}}));
  CHECK(names.whereis("b2") == Pid(2, 2));
  REQUIRE(names.apply(beta, NamesFrame{NamesOp::release, 6, {NameEntry{"b2", {}, 0}}}));
  CHECK_FALSE(names.whereis("b2").valid());
  // A new run of beta (another incarnation) starts over: versions from 0, old claims void.
  NodeInfo beta_again{"beta", 2, 0x303};
  REQUIRE(names.apply(beta_again, NamesFrame{NamesOp::claim, 1, {NameEntry{"b3", Pid(2, 9), 20}}}));
  CHECK_FALSE(names.whereis("b1").valid());
  CHECK(names.whereis("b3") == Pid(2, 9));
  names.drop_node(2);
  CHECK(names.all().empty());
  // A peer speaks for its own processes only.
  CHECK_FALSE(names.apply(beta, NamesFrame{NamesOp::claim, 9, {NameEntry{"x", Pid(3, 1), 1}}}));
  CHECK_FALSE(names.whereis("x").valid());
}

TEST_CASE("global names: a conflict keeps the earlier claim on every node, the local loser withdraws") {
  // alpha and beta both gave "leader" away while not linked; gamma sees both.
  GlobalNames at_alpha(alpha);
  GlobalNames at_beta(beta);
  GlobalNames at_gamma(gamma_node);
  auto a_claim = at_alpha.claim("leader", Pid(1, 5), 1000);
  auto b_claim = at_beta.claim("leader", Pid(2, 5), 900);  // earlier
  REQUIRE(a_claim);
  REQUIRE(b_claim);

  auto at_alpha_applied = at_alpha.apply(beta, *b_claim);
  REQUIRE(at_alpha_applied);
  REQUIRE(at_alpha_applied->lost.size() == 1);
  CHECK(at_alpha_applied->lost[0].name == "leader");
  CHECK(at_alpha_applied->lost[0].loser == Pid(1, 5));
  CHECK(at_alpha_applied->lost[0].winner == Pid(2, 5));
  REQUIRE(at_alpha_applied->withdrawal);
  CHECK(at_alpha_applied->withdrawal->op == NamesOp::release);
  CHECK(at_alpha.whereis("leader") == Pid(2, 5));
  CHECK(at_alpha.snapshot().entries.empty());

  auto at_beta_applied = at_beta.apply(alpha, *a_claim);
  REQUIRE(at_beta_applied);
  CHECK(at_beta_applied->lost.empty());  // beta keeps it
  CHECK(at_beta.whereis("leader") == Pid(2, 5));

  REQUIRE(at_gamma.apply(alpha, *a_claim));
  CHECK(at_gamma.whereis("leader") == Pid(1, 5));  // the only claim it knows
  REQUIRE(at_gamma.apply(beta, *b_claim));
  CHECK(at_gamma.whereis("leader") == Pid(2, 5));
  REQUIRE(at_gamma.apply(alpha, *at_alpha_applied->withdrawal));
  CHECK(at_gamma.whereis("leader") == Pid(2, 5));
  REQUIRE(at_beta.apply(alpha, *at_alpha_applied->withdrawal));
  CHECK(at_beta.all() == std::vector<std::pair<std::string, Pid>>{{"leader", Pid(2, 5)}});
}

TEST_CASE("global names: the conflict rule is registration time, then node name, then pid") {
  using Claim = GlobalNames::Claim;
  CHECK(GlobalNames::precedes(Claim{Pid(2, 1), 5, "zeta"}, Claim{Pid(1, 1), 6, "alpha"}));
  CHECK(GlobalNames::precedes(Claim{Pid(2, 1), 5, "alpha"}, Claim{Pid(1, 1), 5, "beta"}));
  CHECK(GlobalNames::precedes(Claim{Pid(1, 1), 5, "alpha"}, Claim{Pid(1, 2), 5, "alpha"}));
  CHECK_FALSE(GlobalNames::precedes(Claim{Pid(1, 1), 5, "alpha"}, Claim{Pid(1, 1), 5, "alpha"}));
}
