#include "bridge/mqtt/outbox.hpp"

#include <algorithm>

namespace actormq::bridge {

std::size_t Outbox::push(OutMessage msg, bool front) {
  bytes_ += msg.size();
  if (front) {
    queue_.push_front(std::move(msg));
  } else {
    queue_.push_back(std::move(msg));
  }
  std::size_t dropped = 0;
  // In-flight messages stay: the remote may have them already. Waiting
  // ones go oldest first, as in every broker's bridge queue.
  while (bytes_ > max_bytes_ && queue_.size() > 1) {
    bytes_ -= queue_.front().size();
    queue_.pop_front();
    ++dropped;
  }
  return dropped;
}

std::vector<const InFlight*> Outbox::fill() {
  std::vector<const InFlight*> moved;
  while (!queue_.empty() && window_msgs_.size() < window_) {
    InFlight f;
    f.packet_id = next_packet_id();
    f.msg = std::move(queue_.front());
    queue_.pop_front();
    window_msgs_.push_back(std::move(f));
    moved.push_back(&window_msgs_.back());
  }
  return moved;
}

bool Outbox::complete(std::uint16_t packet_id, mqtt::QoS qos) {
  auto it = std::find_if(window_msgs_.begin(), window_msgs_.end(),
                         [&](const InFlight& f) { return f.packet_id == packet_id && f.msg.qos == qos; });
  if (it == window_msgs_.end()) {
    return false;
  }
  bytes_ -= it->msg.size();
  window_msgs_.erase(it);
  return true;
}

bool Outbox::release(std::uint16_t packet_id) {
  for (InFlight& f : window_msgs_) {
    if (f.packet_id == packet_id && f.msg.qos == mqtt::QoS::exactly_once) {
      f.released = true;
      return true;
    }
  }
  return false;
}

bool Outbox::in_use(std::uint16_t id) const {
  return std::any_of(window_msgs_.begin(), window_msgs_.end(), [id](const InFlight& f) { return f.packet_id == id; });
}

std::uint16_t Outbox::next_packet_id() {
  // The window holds at most 65535 ids, so a free one exists.
  do {
    last_id_ = static_cast<std::uint16_t>(last_id_ == 65535 ? 1 : last_id_ + 1);
  } while (in_use(last_id_));
  return last_id_;
}

}  // namespace actormq::bridge
