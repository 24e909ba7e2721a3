#pragma once
// The message types that may cross a node link. Each has a stable numeric id
// and a layout version; a node decodes a type only if it registered the id
// and reads that version, and refuses anything else (WireError) instead of
// guessing. Ids are never reused; a changed layout gets a new version, and a
// node keeps reading older versions down to TypeInfo::min_version, so that
// mixed-version clusters work during a rolling upgrade.
//
// Id ranges, one per part of bridge/ (each in its own *_proto_vN file):
//   0x0001-0x00FF  the runtime's signals and messages (runtime_proto_v1)
//   0x0100-0x01FF  the cluster broker's routes and forwarded publishes
//   0x0200-0x02FF  session moves (takeover across nodes)
//   0x0300-0xFFFF  free

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "bridge/dist/codec.hpp"
#include "bridge/dist/wire_error.hpp"
#include "sched/message.hpp"

namespace actormq::dist {

struct TypeInfo {
  std::uint16_t id = 0;          ///< stable across releases, never 0
  std::uint8_t version = 1;      ///< the layout this node writes (1..255)
  std::uint8_t min_version = 1;  ///< the oldest layout it still reads
  std::string_view name;         ///< for logs
  bool signal = false;           ///< decoded as a signal (the urgent lane)
};

/// Built once before any link starts, read-only afterwards: then every const
/// method is thread-safe.
class Registry {
 public:
  using EncodeFn = std::function<void(Encoder&, const sched::Message&)>;
  /// Reads one value of the type in layout `version`; null if `Decoder` failed.
  using DecodeFn = std::function<sched::MessagePtr(Decoder&, std::uint8_t version)>;
  struct Entry {
    TypeInfo info;
    const void* local = nullptr;  ///< sched::type_of<T>()
    EncodeFn encode;
    DecodeFn decode;
  };

  /// Registers T. `encode(Encoder&, const T&)` writes TypeInfo::version;
  /// `decode(Decoder&, std::uint8_t version) -> T` reads any version from
  /// min_version to version, reporting bad input through the Decoder.
  /// Throws std::invalid_argument for an id or type registered twice or an
  /// inconsistent TypeInfo (a fault of the program, found at start).
  template <class T, class Encode, class Decode>
  void add(TypeInfo info, Encode encode, Decode decode) {
    add_entry(Entry{
        info, sched::type_of<T>(),
        [encode](Encoder& out, const sched::Message& msg) {
          encode(out, static_cast<const sched::Envelope<T>&>(msg).value);
        },
        [decode, signal = info.signal](Decoder& in, std::uint8_t version) -> sched::MessagePtr {
          T value = decode(in, version);
          if (!in.ok()) {
            return nullptr;
          }
          return signal ? sched::make_signal<T>(std::move(value)) : sched::make_message<T>(std::move(value));
        }});
  }

  [[nodiscard]] const Entry* find(std::uint16_t id) const;
  [[nodiscard]] const Entry* find_local(const void* type) const;
  [[nodiscard]] std::size_t size() const noexcept { return by_id_.size(); }

  /// One entry's payload, decoded with every check: a registered id, a
  /// version this node reads, a layout that holds and ends where the payload
  /// ends. `bodies`: the frame's body table.
  [[nodiscard]] Result<sched::MessagePtr> decode(std::uint16_t id, std::uint8_t version, std::string_view payload,
                                                 std::span<const mqtt::SharedBytes> bodies) const;

 private:
  void add_entry(Entry entry);
  std::unordered_map<std::uint16_t, Entry> by_id_;
  std::unordered_map<const void*, std::uint16_t> by_local_;
};

}  // namespace actormq::dist
