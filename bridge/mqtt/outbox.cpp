#include "bridge/mqtt/outbox.hpp"

#include <algorithm>

namespace actormq::bridge {

std::vector<OutMessage> Outbox::push(OutMessage msg, bool front) {
  bytes_ += msg.size();
  if (front) {
    queue_.push_front(std::move(msg));
  } else {
    queue_.push_back(std::move(msg));
  }
  std::vector<OutMessage> dropped;
  // In-flight messages stay: the remote may have them already. Waiting
  // ones go oldest first, as in every broker's bridge queue.
  while (bytes_ > max_bytes_ && queue_.size() > 1) {
    bytes_ -= queue_.front().size();
    dropped.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return dropped;
}

std::uint16_t Outbox::id_for(const OutMessage& msg) {
  if (msg.seq == 0) {
    return next_packet_id();
  }
  auto id = static_cast<std::uint16_t>((msg.seq - 1) % 65535 + 1);
  return in_use(id) ? 0 : id;
}

std::vector<const InFlight*> Outbox::fill() {
  std::vector<const InFlight*> moved;
  while (!queue_.empty() && window_msgs_.size() < window_) {
    InFlight f;
    f.packet_id = id_for(queue_.front());
    if (f.packet_id == 0) {
      break;  // its id is still in flight: the order is kept, it waits
    }
    f.msg = std::move(queue_.front());
    queue_.pop_front();
    id_used_[f.packet_id] = true;
    window_msgs_.push_back(std::move(f));
    moved.push_back(&window_msgs_.back());
  }
  return moved;
}

std::optional<OutMessage> Outbox::complete(std::uint16_t packet_id, mqtt::QoS qos) {
  auto it = std::find_if(window_msgs_.begin(), window_msgs_.end(),
                         [&](const InFlight& f) { return f.packet_id == packet_id && f.msg.qos == qos; });
  if (it == window_msgs_.end()) {
    return std::nullopt;
  }
  bytes_ -= it->msg.size();
  id_used_[packet_id] = false;
  OutMessage done = std::move(it->msg);
  window_msgs_.erase(it);
  return done;
}

const OutMessage* Outbox::release(std::uint16_t packet_id) {
  for (InFlight& f : window_msgs_) {
    if (f.packet_id == packet_id && f.msg.qos == mqtt::QoS::exactly_once) {
      f.msg.released = true;
      return &f.msg;
    }
  }
  return nullptr;
}

std::vector<OutMessage> Outbox::take_all() {
  std::vector<OutMessage> all;
  all.reserve(size());
  for (InFlight& f : window_msgs_) {
    id_used_[f.packet_id] = false;
    f.msg.from_store = true;  // as one read back at a start: it may have reached the remote
    all.push_back(std::move(f.msg));
  }
  for (OutMessage& m : queue_) {
    all.push_back(std::move(m));
  }
  window_msgs_.clear();
  queue_.clear();
  bytes_ = 0;
  return all;
}

bool Outbox::in_use(std::uint16_t id) const { return id_used_[id]; }

std::uint16_t Outbox::next_packet_id() {
  // The window holds at most 65535 ids, so a free one exists.
  do {
    last_id_ = static_cast<std::uint16_t>(last_id_ == 65535 ? 1 : last_id_ + 1);
  } while (in_use(last_id_));
  return last_id_;
}

}  // namespace actormq::bridge
