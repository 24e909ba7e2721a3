#pragma once
// The load generator's own MQTT wire layer: only the packets a test client needs,
// written independently of the broker's codec so the two do not share bugs.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "tests/bench/out_buffer.hpp"

namespace mqttbench {

enum class PacketType : uint8_t {
    connect = 1, connack, publish, puback, pubrec, pubrel, pubcomp,
    subscribe, suback, unsubscribe, unsuback, pingreq, pingresp, disconnect, auth,
};

/// Protocol level byte of CONNECT: 4 is MQTT 3.1.1, 5 is MQTT 5.0.
enum class Version : uint8_t { v311 = 4, v5 = 5 };

// ---- encoding -------------------------------------------------------------------

struct ConnectOptions {
    std::string_view client_id;
    uint16_t keepalive_s = 60;
    bool clean_start = true;
    Version version = Version::v311;
};

void encode_connect(OutBuffer& out, const ConnectOptions& opts);
void encode_subscribe(OutBuffer& out, uint16_t packet_id, std::string_view filter, uint8_t qos,
                      Version version);
/// Writes fixed header, topic, packet id and (v5) empty properties; the caller then
/// appends exactly payload_len payload bytes.
void encode_publish_header(OutBuffer& out, std::string_view topic, uint8_t qos, bool retain,
                           uint16_t packet_id, size_t payload_len, Version version);
/// PUBACK, PUBREC, PUBREL or PUBCOMP with reason "success" (the short form in v5).
void encode_ack(OutBuffer& out, PacketType type, uint16_t packet_id);
void encode_pingreq(OutBuffer& out);
void encode_disconnect(OutBuffer& out, Version version);

// ---- decoding -------------------------------------------------------------------

/// One complete packet; body points into the parser's input or its partial buffer
/// and is valid only during the callback.
struct Packet {
    PacketType type;
    uint8_t flags;
    std::span<const uint8_t> body;
};

enum class ParseError : uint8_t { none, bad_length, too_large };

/// Streaming frame splitter: tolerates packets split across reads at any byte and
/// keeps only the unfinished packet between calls.
class FrameParser {
public:
    explicit FrameParser(size_t max_packet = 64u << 20) : max_packet_(max_packet) {}

    /// Calls on_packet(const Packet&) for every complete packet in data.
    template <typename F>
    [[nodiscard]] ParseError feed(std::span<const uint8_t> data, F&& on_packet);

    [[nodiscard]] size_t buffered() const { return partial_.size(); }

private:
    enum class Frame : uint8_t { complete, need_more, bad_length };
    struct FrameInfo {
        Frame status;
        size_t header_len;
        size_t total_len;
    };
    [[nodiscard]] static FrameInfo frame_info(const uint8_t* p, size_t n);
    [[nodiscard]] ParseError check(const FrameInfo& fi) const;

    std::vector<uint8_t> partial_;
    size_t max_packet_;
};

struct ConnackView {
    bool session_present = false;
    uint8_t reason = 0;             // 3.1.1 return code or v5 reason code
    uint16_t receive_maximum = 0;   // v5 property 0x21; 0 when absent
};
struct PublishView {
    std::string_view topic;
    uint8_t qos = 0;
    bool retain = false;
    bool dup = false;
    uint16_t packet_id = 0;
    std::span<const uint8_t> payload;
};
struct AckView {
    uint16_t packet_id = 0;
    uint8_t reason = 0;
};
struct SubackView {
    uint16_t packet_id = 0;
    uint8_t first_code = 0;  // granted QoS or failure code of the first filter
};

enum class DecodeStatus : uint8_t { ok, malformed };

template <typename T>
struct Decoded {
    DecodeStatus status;
    T value;
};

[[nodiscard]] Decoded<ConnackView> decode_connack(const Packet& p, Version v);
[[nodiscard]] Decoded<PublishView> decode_publish(const Packet& p, Version v);
[[nodiscard]] Decoded<AckView> decode_ack(const Packet& p);
[[nodiscard]] Decoded<SubackView> decode_suback(const Packet& p, Version v);

/// MQTT topic filter matching (MQTT 3.1.1 §4.7): '+' one level, '#' the rest
/// (including the parent level), '$' topics not matched by a leading wildcard.
[[nodiscard]] bool topic_matches(std::string_view filter, std::string_view topic);

// ---- FrameParser::feed ------------------------------------------------------------

template <typename F>
ParseError FrameParser::feed(std::span<const uint8_t> data, F&& on_packet) {
    const uint8_t* p = data.data();
    size_t n = data.size();
    size_t off = 0;
    // Finish the packet left over from the previous read, copying only its bytes.
    while (!partial_.empty()) {
        FrameInfo fi = frame_info(partial_.data(), partial_.size());
        if (fi.status == Frame::bad_length) {
            return ParseError::bad_length;
        }
        if (fi.status == Frame::need_more && fi.total_len == 0) {
            if (off == n) {
                return ParseError::none;
            }
            partial_.push_back(p[off++]);
            continue;
        }
        if (ParseError e = check(fi); e != ParseError::none) {
            return e;
        }
        size_t take = std::min(fi.total_len - partial_.size(), n - off);
        partial_.insert(partial_.end(), p + off, p + off + take);
        off += take;
        if (partial_.size() < fi.total_len) {
            return ParseError::none;
        }
        Packet pkt{static_cast<PacketType>(partial_[0] >> 4), static_cast<uint8_t>(partial_[0] & 0x0F),
                   std::span<const uint8_t>(partial_.data() + fi.header_len, fi.total_len - fi.header_len)};
        on_packet(pkt);
        partial_.clear();
    }
    while (off < n) {
        FrameInfo fi = frame_info(p + off, n - off);
        if (fi.status == Frame::bad_length) {
            return ParseError::bad_length;
        }
        if (fi.status == Frame::need_more && fi.total_len == 0) {
            partial_.assign(p + off, p + n);
            return ParseError::none;
        }
        if (ParseError e = check(fi); e != ParseError::none) {
            return e;
        }
        if (fi.status == Frame::need_more) {
            partial_.reserve(fi.total_len);
            partial_.assign(p + off, p + n);
            return ParseError::none;
        }
        Packet pkt{static_cast<PacketType>(p[off] >> 4), static_cast<uint8_t>(p[off] & 0x0F),
                   std::span<const uint8_t>(p + off + fi.header_len, fi.total_len - fi.header_len)};
        on_packet(pkt);
        off += fi.total_len;
    }
    return ParseError::none;
}

}  // namespace mqttbench
