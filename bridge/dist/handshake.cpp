#include "bridge/dist/handshake.hpp"

#include <algorithm>
#include <stdexcept>

#include "bridge/dist/codec.hpp"
#include "bridge/dist/wire.hpp"
#include "core/auth/crypto.hpp"

namespace actormq::dist {

namespace {

constexpr std::string_view magic = "AMQD";
// Domain labels of the two proofs (the protocol's, not a version's).
constexpr std::string_view initiator_label = "actormq dist handshake: initiator";
constexpr std::string_view acceptor_label = "actormq dist handshake: acceptor";

struct Hello {
  std::uint16_t min_version = 0;
  std::uint16_t max_version = 0;
  std::uint64_t capabilities = 0;
  NodeInfo node;
};

struct Challenge {
  std::uint16_t version = 0;
  std::uint64_t capabilities = 0;
  NodeInfo node;
  std::string_view challenge;
};

struct Reply {
  std::string_view challenge;
  std::string_view proof;
};

void put_node(Encoder& out, const NodeInfo& node) {
  out.str(node.name, max_node_name);
  out.u16(node.id);
  out.u32(node.incarnation);
}

NodeInfo get_node(Decoder& in) {
  NodeInfo node;
  node.name = std::string(in.str(max_node_name));
  node.id = in.u16();
  node.incarnation = in.u32();
  return node;
}

// Every handshake frame is read whole and must end where its layout ends.
template <class Read>
auto read_whole(std::string_view body, Read read) -> std::optional<decltype(read(std::declval<Decoder&>()))> {
  Decoder in(body);
  in.u8();  // the kind, checked by the caller
  auto value = read(in);
  if (!in.ok() || !in.at_end()) {
    return std::nullopt;
  }
  return value;
}

std::string encode_frame(FrameKind kind, const std::function<void(Encoder&)>& fields) {
  BodyTable none;
  Encoder out(none);
  out.u8(static_cast<std::uint8_t>(kind));
  fields(out);
  return make_frame(out.take());
}

std::string refuse_frame(RefuseReason reason, const HandshakeConfig& config) {
  return encode_frame(FrameKind::refuse, [&](Encoder& out) {
    out.u8(static_cast<std::uint8_t>(reason));
    out.u16(config.min_version);
    out.u16(config.max_version);
  });
}

// The peer's refusal, as this side's outcome.
Step peer_refused(std::string_view body) {
  struct Refuse {
    std::uint8_t reason;
    std::uint16_t min;
    std::uint16_t max;
  };
  auto r = read_whole(body, [](Decoder& in) {
    std::uint8_t reason = in.u8();
    std::uint16_t min = in.u16();
    return Refuse{reason, min, in.u16()};
  });
  Refused out{RefuseReason::protocol_error, true, "malformed refusal"};
  if (r && r->reason >= 1 && r->reason <= static_cast<std::uint8_t>(RefuseReason::capabilities)) {
    out.reason = static_cast<RefuseReason>(r->reason);
    out.detail = "refused by the peer: " + std::string(to_string(out.reason)) + " (it speaks versions " +
                 std::to_string(r->min) + "-" + std::to_string(r->max) + ")";
  }
  return Step{{}, Outcome(std::move(out))};
}

namespace crypto = core::crypto;
using Digest = std::array<std::uint8_t, 32>;

/// HMAC-SHA256 with the cookie over the concatenation of `parts`.
Digest hmac_sha256(std::string_view key, std::initializer_list<std::string_view> parts) {
  std::string message;
  for (std::string_view p : parts) {
    message.append(p);
  }
  return crypto::hmac_sha256(crypto::bytes_of(key), crypto::bytes_of(message));
}

/// Fills `out` from the kernel's CSPRNG (getrandom(2)); throws if it cannot.
void system_random(std::span<std::uint8_t> out) {
  crypto::Bytes drawn = crypto::random_bytes(out.size());
  std::copy(drawn.begin(), drawn.end(), out.begin());
}

std::string_view as_text(const Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

bool same_digest(std::string_view proof, const Digest& expected) {
  return crypto::equal_constant_time(
      std::span(reinterpret_cast<const std::uint8_t*>(proof.data()), proof.size()), expected);
}

std::string draw_challenge(const RandomFill& random) {
  std::string c(challenge_size, '\0');
  auto bytes = std::span(reinterpret_cast<std::uint8_t*>(c.data()), c.size());
  if (random) {
    random(bytes);
  } else {
    system_random(bytes);
  }
  return c;
}

void check_config(const HandshakeConfig& config) {
  if (config.cookie.empty() || !valid_node_name(config.self.name) || config.min_version == 0 ||
      config.min_version > config.max_version) {
    throw std::invalid_argument("dist handshake: empty cookie, invalid node name or version range");
  }
}

// What both sides check of who the peer says it is.
std::optional<std::pair<RefuseReason, std::string>> check_peer(const NodeInfo& peer, const NodeInfo& self) {
  if (!valid_node_name(peer.name)) {
    return std::pair(RefuseReason::bad_name, std::string("the peer's node name is not valid"));
  }
  if (peer.name == self.name || peer.id == self.id) {
    return std::pair(RefuseReason::id_conflict,
                     "the peer " + peer.name + " (id " + std::to_string(peer.id) + ") has this node's name or id");
  }
  return std::nullopt;
}

std::string unexpected(std::string_view body, std::string_view waiting_for) {
  auto kind = frame_kind(body);
  std::string got = kind ? std::to_string(static_cast<int>(*kind)) : "unknown";
  return "frame of kind " + got + " while waiting for " + std::string(waiting_for);
}

}  // namespace

std::uint32_t new_incarnation(const RandomFill& random) {
  std::uint32_t v = 0;
  while (v == 0) {
    std::array<std::uint8_t, 4> b{};
    if (random) {
      random(b);
    } else {
      system_random(b);
    }
    v = (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
  }
  return v;
}

std::string_view to_string(RefuseReason reason) noexcept {
  switch (reason) {
    case RefuseReason::protocol_error: return "protocol error";
    case RefuseReason::version_mismatch: return "no common protocol version";
    case RefuseReason::not_allowed: return "not allowed";
    case RefuseReason::bad_name: return "bad node name";
    case RefuseReason::id_conflict: return "node name or id in use";
    case RefuseReason::duplicate: return "duplicate link";
    case RefuseReason::capabilities: return "missing capability";
  }
  return "unknown";
}

bool outgoing_wins(std::string_view local, std::string_view remote) noexcept { return local < remote; }

// ---- initiator ----

Initiator::Initiator(HandshakeConfig config) : config_(std::move(config)) { check_config(config_); }

Step Initiator::start() {
  if (state_ != State::idle) {
    return {};
  }
  std::string frame = encode_frame(FrameKind::hello, [&](Encoder& out) {
    out.raw(magic);
    out.u16(config_.min_version);
    out.u16(config_.max_version);
    out.u64(config_.capabilities);
    put_node(out, config_.self);
  });
  hello_ = frame.substr(frame_prefix_size);
  state_ = State::sent_hello;
  return Step{{std::move(frame)}, std::nullopt};
}

Step Initiator::on_frame(std::string_view body) {
  auto kind = frame_kind(body);
  if (state_ == State::done || state_ == State::idle) {
    return {};
  }
  if (kind && *kind == FrameKind::refuse) {
    state_ = State::done;
    return peer_refused(body);
  }
  if (state_ == State::sent_hello && kind && *kind == FrameKind::challenge) {
    return on_challenge(body);
  }
  if (state_ == State::sent_reply && kind && *kind == FrameKind::ack) {
    return on_ack(body);
  }
  return refuse(RefuseReason::protocol_error,
                unexpected(body, state_ == State::sent_hello ? "a challenge" : "an acknowledgement"));
}

Step Initiator::on_challenge(std::string_view body) {
  auto c = read_whole(body, [](Decoder& in) {
    Challenge c;
    c.version = in.u16();
    c.capabilities = in.u64();
    c.node = get_node(in);
    c.challenge = in.raw(challenge_size);
    return c;
  });
  if (!c) {
    return refuse(RefuseReason::protocol_error, "malformed challenge");
  }
  if (c->version < config_.min_version || c->version > config_.max_version ||
      (c->capabilities & ~config_.capabilities) != 0) {
    return refuse(RefuseReason::protocol_error, "the peer chose a version or capability not offered");
  }
  if (auto bad = check_peer(c->node, config_.self)) {
    return refuse(bad->first, bad->second);
  }
  if ((config_.required_capabilities & ~c->capabilities) != 0) {
    return refuse(RefuseReason::capabilities, "the peer lacks a required capability");
  }
  challenge_ = std::string(body);
  result_ = Established{c->node, c->version, c->capabilities};
  own_challenge_ = draw_challenge(config_.random);
  Digest proof = hmac_sha256(config_.cookie, {initiator_label, hello_, challenge_, own_challenge_});
  state_ = State::sent_reply;
  return Step{{encode_frame(FrameKind::reply,
                            [&](Encoder& out) {
                              out.raw(own_challenge_);
                              out.raw(as_text(proof));
                            })},
              std::nullopt};
}

Step Initiator::on_ack(std::string_view body) {
  auto proof = read_whole(body, [](Decoder& in) { return in.raw(Digest{}.size()); });
  if (!proof) {
    return refuse(RefuseReason::protocol_error, "malformed acknowledgement");
  }
  Digest expected = hmac_sha256(config_.cookie, {acceptor_label, hello_, challenge_, own_challenge_});
  if (!same_digest(*proof, expected)) {
    return refuse(RefuseReason::not_allowed, "the peer did not prove it holds the cookie");
  }
  state_ = State::done;
  return Step{{}, Outcome(result_)};
}

Step Initiator::refuse(RefuseReason reason, std::string detail) {
  state_ = State::done;
  return Step{{refuse_frame(reason, config_)}, Outcome(Refused{reason, false, std::move(detail)})};
}

// ---- acceptor ----

Acceptor::Acceptor(HandshakeConfig config) : config_(std::move(config)) { check_config(config_); }

Step Acceptor::on_frame(std::string_view body) {
  auto kind = frame_kind(body);
  if (state_ == State::done) {
    return {};
  }
  if (kind && *kind == FrameKind::refuse) {
    state_ = State::done;
    return peer_refused(body);
  }
  if (state_ == State::await_hello && kind && *kind == FrameKind::hello) {
    return on_hello(body);
  }
  if (state_ == State::sent_challenge && kind && *kind == FrameKind::reply) {
    return on_reply(body);
  }
  return refuse(RefuseReason::protocol_error,
                unexpected(body, state_ == State::await_hello ? "a hello" : "a reply"));
}

Step Acceptor::on_hello(std::string_view body) {
  auto h = read_whole(body, [](Decoder& in) {
    Hello h;
    if (in.raw(magic.size()) != magic && in.ok()) {
      in.fail(WireError::bad_value);
    }
    h.min_version = in.u16();
    h.max_version = in.u16();
    h.capabilities = in.u64();
    h.node = get_node(in);
    return h;
  });
  if (!h) {
    return refuse(RefuseReason::protocol_error, "malformed hello (not an actormq node?)");
  }
  std::uint16_t low = std::max(h->min_version, config_.min_version);
  std::uint16_t high = std::min(h->max_version, config_.max_version);
  if (low > high) {
    return refuse(RefuseReason::version_mismatch,
                  "the peer " + h->node.name + " speaks versions " + std::to_string(h->min_version) + "-" +
                      std::to_string(h->max_version) + ", this node " + std::to_string(config_.min_version) + "-" +
                      std::to_string(config_.max_version));
  }
  if (auto bad = check_peer(h->node, config_.self)) {
    return refuse(bad->first, bad->second);
  }
  std::uint64_t shared = h->capabilities & config_.capabilities;
  if ((config_.required_capabilities & ~shared) != 0) {
    return refuse(RefuseReason::capabilities, "the peer " + h->node.name + " lacks a required capability");
  }
  if (config_.admit) {
    if (auto reason = config_.admit(h->node)) {
      return refuse(*reason, "the peer " + h->node.name + " was not admitted");
    }
  }
  hello_ = std::string(body);
  result_ = Established{h->node, high, shared};
  own_challenge_ = draw_challenge(config_.random);
  std::string frame = encode_frame(FrameKind::challenge, [&](Encoder& out) {
    out.u16(high);
    out.u64(shared);
    put_node(out, config_.self);
    out.raw(own_challenge_);
  });
  challenge_ = frame.substr(frame_prefix_size);
  state_ = State::sent_challenge;
  return Step{{std::move(frame)}, std::nullopt};
}

Step Acceptor::on_reply(std::string_view body) {
  auto r = read_whole(body, [](Decoder& in) {
    std::string_view challenge = in.raw(challenge_size);
    return Reply{challenge, in.raw(Digest{}.size())};
  });
  if (!r) {
    return refuse(RefuseReason::protocol_error, "malformed reply");
  }
  Digest expected = hmac_sha256(config_.cookie, {initiator_label, hello_, challenge_, r->challenge});
  // A peer that echoes our own challenge gets no proof over it from us.
  bool reflected = r->challenge == own_challenge_;
  if (!same_digest(r->proof, expected) || reflected) {
    return refuse(RefuseReason::not_allowed, "the peer " + result_.peer.name + " did not prove it holds the cookie");
  }
  Digest proof = hmac_sha256(config_.cookie, {acceptor_label, hello_, challenge_, r->challenge});
  state_ = State::done;
  return Step{{encode_frame(FrameKind::ack, [&](Encoder& out) { out.raw(as_text(proof)); })}, Outcome(result_)};
}

Step Acceptor::refuse(RefuseReason reason, std::string detail) {
  state_ = State::done;
  return Step{{refuse_frame(reason, config_)}, Outcome(Refused{reason, false, std::move(detail)})};
}

}  // namespace actormq::dist
