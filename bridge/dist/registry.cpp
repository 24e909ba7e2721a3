#include "bridge/dist/registry.hpp"

#include <stdexcept>

namespace actormq::dist {

void Registry::add_entry(Entry entry) {
  const TypeInfo& info = entry.info;
  if (info.id == 0 || info.version == 0 || info.min_version == 0 || info.min_version > info.version) {
    throw std::invalid_argument("dist: bad TypeInfo for " + std::string(info.name));
  }
  if (by_id_.contains(info.id) || by_local_.contains(entry.local)) {
    throw std::invalid_argument("dist: message type registered twice: " + std::string(info.name));
  }
  by_local_.emplace(entry.local, info.id);
  by_id_.emplace(info.id, std::move(entry));
}

const Registry::Entry* Registry::find(std::uint16_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

const Registry::Entry* Registry::find_local(const void* type) const {
  auto it = by_local_.find(type);
  return it == by_local_.end() ? nullptr : find(it->second);
}

Result<sched::MessagePtr> Registry::decode(std::uint16_t id, std::uint8_t version, std::string_view payload,
                                           std::span<const mqtt::SharedBytes> bodies) const {
  const Entry* entry = find(id);
  if (!entry) {
    return WireError::unknown_type;
  }
  if (version > entry->info.version) {
    return WireError::newer_version;
  }
  if (version < entry->info.min_version) {
    return WireError::older_version;
  }
  Decoder in(payload, bodies);
  sched::MessagePtr msg = entry->decode(in, version);
  if (!in.ok()) {
    return *in.error();
  }
  if (!in.at_end()) {
    return WireError::trailing_bytes;
  }
  return msg;
}

}  // namespace actormq::dist
