#include "core/session/restore.hpp"

#include <algorithm>
#include <functional>
#include <unordered_map>

#include "core/clock.hpp"
#include "core/store/persistence.hpp"

namespace actormq::core {

using persist::Db;
using persist::Op;

namespace {

class Restorer {
 public:
  Restorer(const persist::Env& env, persist::Writer& writer, std::uint64_t now)
      : env_(env), writer_(writer), now_(now) {}

  Result<StoreContents> run() {
    for (auto step : {&Restorer::read_sessions, &Restorer::read_bodies,
                      &Restorer::read_queue, &Restorer::read_inflight}) {
      if (!(this->*step)() || !error_.empty()) {
        writer_.keep_bodies();  // a store that cannot be read is left as it is
        return Failure{error_};
      }
    }
    writer_.submit(std::move(ops_));
    drop_unreferenced_bodies();
    return std::move(out_);
  }

 private:
  bool scan(Db db, const std::function<bool(std::string_view, std::string_view)>& f) {
    if (auto err = env_.for_each(db, f)) {
      error_ = "data_dir " + env_.path() + ": cannot read database '" +
               std::string(persist::db_names[static_cast<std::size_t>(db)]) + "': " + *err;
      return false;
    }
    return true;
  }
  bool corrupt(Db db, std::string_view key) {
    error_ = "data_dir " + env_.path() + ": unreadable record in database '" +
             std::string(persist::db_names[static_cast<std::size_t>(db)]) + "' (key \"" + printable_key(key) +
             "\"); move the directory away to start empty";
    return false;
  }

  bool read_sessions() {
    return scan(Db::sessions, [&](std::string_view key, std::string_view value) {
      auto s = persist::decode_session(value);
      if (!s) {
        return corrupt(Db::sessions, key);
      }
      std::uint64_t left_ms = ~std::uint64_t{0};
      if (s->session_expiry_s != 0xFFFFFFFFu) {
        // Expiry is wall time (it runs while the broker is down); a session
        // that was connected when the broker stopped starts its expiry now.
        std::uint64_t since = s->disconnected_ms == 0 ? now_ : s->disconnected_ms;
        std::uint64_t end = since + std::uint64_t{s->session_expiry_s} * 1000;
        if (now_ >= end) {
          erase_session(key);
          ++out_.expired_sessions;
          return true;
        }
        left_ms = end - now_;
      }
      RestoredSession r;
      r.client_id = std::string(key);
      r.version = static_cast<mqtt::ProtocolVersion>(s->protocol_version);
      r.session_expiry_s = left_ms == ~std::uint64_t{0} ? 0xFFFFFFFFu
                                                        : static_cast<std::uint32_t>((left_ms + 999) / 1000);
      r.state.last_packet_id = s->last_packet_id;
      r.username = std::move(s->username);
      r.listener_index = s->listener_index;
      for (persist::StoredSubscription& sub : s->subscriptions) {
        Subscription live = Subscription::of(
            sub.full_filter, SubInfo{sub.max_qos, sub.no_local, sub.retain_as_published, false, sub.subscription_id});
        r.state.subscriptions.insert_or_assign(std::move(sub.full_filter), live);
      }
      if (s->will) {
        r.state.will = std::make_unique<mqtt::Will>(from_stored(std::move(*s->will)));
      }
      sessions_.emplace(r.client_id, out_.sessions.size());
      out_.sessions.push_back(std::move(r));
      return true;
    });
  }

  void erase_session(std::string_view client_id) {
    ops_.push_back(Op::erase(Db::sessions, std::string(client_id)));
    ops_.push_back(Op::erase_prefix(Db::queue, persist::session_prefix(client_id)));
    ops_.push_back(Op::erase_prefix(Db::inflight, persist::session_prefix(client_id)));
  }

  bool read_bodies() {
    return scan(Db::messages, [&](std::string_view key, std::string_view value) {
      auto id = persist::parse_body_key(key);
      auto m = persist::decode_message(value);
      if (!id || !m) {
        return corrupt(Db::messages, key);
      }
      max_body_id_ = std::max(max_body_id_, *id);
      bodies_.emplace(*id, from_stored(std::move(*m), &writer_, *id));
      return true;
    });
  }

  // The session an entry belongs to, or nullptr (its entry is then erased).
  /// The session an entry of `db` belongs to, with the entry's number in its
  /// key; session null: none (a corrupt key, or an orphan, erased).
  struct Owner {
    RestoredSession* session = nullptr;
    std::uint64_t n = 0;
  };
  Owner owner(Db db, std::string_view key) {
    auto k = persist::parse_session_key(key);
    if (!k) {
      corrupt(db, key);
      return {};
    }
    auto it = sessions_.find(k->client_id);
    if (it == sessions_.end()) {
      ops_.push_back(Op::erase(db, std::string(key)));
      return {};
    }
    return {&out_.sessions[it->second], k->n};
  }

  // The message of an entry, or nullptr (missing body or expired: erased).
  AppMessagePtr body_of(Db db, std::string_view key, const persist::StoredEntry& e) {
    auto it = bodies_.find(e.body_id);
    if (it == bodies_.end() || expired(*it->second, now_)) {
      ops_.push_back(Op::erase(db, std::string(key)));
      ++out_.dropped_entries;
      return nullptr;
    }
    return it->second;
  }

  bool read_queue() {
    return scan(Db::queue, [&](std::string_view key, std::string_view value) {
      auto [s, seq] = owner(Db::queue, key);
      if (s == nullptr) {
        return error_.empty();
      }
      auto e = persist::decode_entry(value);
      if (!e) {
        return corrupt(Db::queue, key);
      }
      AppMessagePtr msg = body_of(Db::queue, key, *e);
      if (msg) {
        // Keys sort by sequence number: the queue comes back in order.
        s->state.queue.push_back(Deliver{std::move(msg), e->qos, e->retain, std::move(e->subscription_ids), {}, seq, {}});
      }
      return true;
    });
  }

  bool read_inflight() {
    return scan(Db::inflight, [&](std::string_view key, std::string_view value) {
      auto [s, n] = owner(Db::inflight, key);
      if (s == nullptr) {
        return error_.empty();
      }
      auto id = static_cast<std::uint16_t>(n & 0xFFFF);
      if (n == awaiting_rel_key(id)) {
        s->state.awaiting_rel.push_back(id);
        return true;
      }
      auto e = persist::decode_entry(value);
      if (!e || n == 0 || n > 0xFFFF) {
        return corrupt(Db::inflight, key);
      }
      AppMessagePtr msg;
      if (!e->released) {
        msg = body_of(Db::inflight, key, *e);
        if (!msg) {
          return true;
        }
      }
      s->state.inflight_seq = std::max(s->state.inflight_seq, e->seq);
      s->state.last_packet_id = std::max(s->state.last_packet_id, id);
      Deliver d{std::move(msg), e->qos, e->retain, std::move(e->subscription_ids), {}, 0, {}};
      s->state.inflight.emplace(id, Inflight{e->seq, std::move(d), e->released});
      return true;
    });
  }

  // Bodies no entry refers to are erased when bodies_ lets them go (their
  // BodyRef); ids above the largest stored are free.
  void drop_unreferenced_bodies() { writer_.reserve_body_ids(max_body_id_ + 1); }

  const persist::Env& env_;
  persist::Writer& writer_;
  std::uint64_t now_;
  StoreContents out_;
  std::string error_;
  std::vector<Op> ops_;  // clean-up, submitted only if everything could be read
  std::unordered_map<std::string, std::size_t> sessions_;
  std::unordered_map<std::uint64_t, AppMessagePtr> bodies_;
  std::uint64_t max_body_id_ = 0;
};

}  // namespace

Result<StoreContents> restore(const persist::Env& env, persist::Writer& writer, std::uint64_t now_ms) {
  return Restorer(env, writer, now_ms).run();
}

}  // namespace actormq::core
