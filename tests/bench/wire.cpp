#include "tests/bench/wire.hpp"

#include <algorithm>

namespace mqttbench {

namespace {

constexpr uint8_t fixed_header(PacketType t, uint8_t flags) {
    return static_cast<uint8_t>((static_cast<uint8_t>(t) << 4) | flags);
}

size_t varint_size(size_t v) {
    return v < 128 ? 1 : v < 16384 ? 2 : v < 2097152 ? 3 : 4;
}

// Bounds-checked reader over a packet body; any overrun sets failed_.
class Reader {
public:
    explicit Reader(std::span<const uint8_t> b) : b_(b) {}
    [[nodiscard]] bool failed() const { return failed_; }
    [[nodiscard]] size_t remaining() const { return b_.size() - pos_; }

    uint8_t u8() {
        if (!need(1)) {
            return 0;
        }
        return b_[pos_++];
    }
    uint16_t u16() {
        if (!need(2)) {
            return 0;
        }
        uint16_t v = static_cast<uint16_t>((b_[pos_] << 8) | b_[pos_ + 1]);
        pos_ += 2;
        return v;
    }
    uint32_t varint() {
        uint32_t v = 0;
        for (int i = 0; i < 4; ++i) {
            uint8_t b = u8();
            v |= static_cast<uint32_t>(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) {
                return v;
            }
        }
        failed_ = true;  // MQTT 5 §1.5.5: at most four bytes
        return 0;
    }
    std::span<const uint8_t> bytes(size_t n) {
        if (!need(n)) {
            return {};
        }
        auto s = b_.subspan(pos_, n);
        pos_ += n;
        return s;
    }
    std::string_view string() {
        auto s = bytes(u16());
        return {reinterpret_cast<const char*>(s.data()), s.size()};
    }
    std::span<const uint8_t> rest() { return bytes(remaining()); }

private:
    bool need(size_t n) {
        if (failed_ || b_.size() - pos_ < n) {
            failed_ = true;
            return false;
        }
        return true;
    }
    std::span<const uint8_t> b_;
    size_t pos_ = 0;
    bool failed_ = false;
};

// Skips one MQTT 5 property value by its identifier's type (MQTT 5 §2.2.2.2);
// returns the two-byte value for the identifiers this client cares about.
bool skip_property(Reader& r, uint8_t id, uint32_t& two_byte_value) {
    switch (id) {
        case 0x01: case 0x17: case 0x19: case 0x24: case 0x25: case 0x28: case 0x29: case 0x2A:
            r.u8();
            return true;
        case 0x13: case 0x21: case 0x22: case 0x23:
            two_byte_value = r.u16();
            return true;
        case 0x02: case 0x11: case 0x18: case 0x27:
            r.bytes(4);
            return true;
        case 0x0B:
            r.varint();
            return true;
        case 0x03: case 0x08: case 0x09: case 0x12: case 0x15: case 0x16: case 0x1A: case 0x1C:
        case 0x1F:
            r.bytes(r.u16());
            return true;
        case 0x26:
            r.bytes(r.u16());
            r.bytes(r.u16());
            return true;
        default:
            return false;
    }
}

}  // namespace

// ---- encoding -------------------------------------------------------------------

void encode_connect(OutBuffer& out, const ConnectOptions& o) {
    const bool v5 = o.version == Version::v5;
    // Variable header: protocol name (6), level (1), flags (1), keepalive (2) [+ props].
    size_t remaining = 10 + (v5 ? 1 : 0) + 2 + o.client_id.size();
    out.put_u8(fixed_header(PacketType::connect, 0));
    out.put_varint(static_cast<uint32_t>(remaining));
    out.put_string("MQTT");
    out.put_u8(static_cast<uint8_t>(o.version));
    out.put_u8(o.clean_start ? 0x02 : 0x00);
    out.put_u16(o.keepalive_s);
    if (v5) {
        out.put_u8(0);  // no properties
    }
    out.put_string(o.client_id);
}

void encode_subscribe(OutBuffer& out, uint16_t packet_id, std::string_view filter, uint8_t qos,
                      Version version) {
    const bool v5 = version == Version::v5;
    size_t remaining = 2 + (v5 ? 1 : 0) + 2 + filter.size() + 1;
    // MQTT 3.1.1 §3.8.1: SUBSCRIBE fixed header flags are 0b0010.
    out.put_u8(fixed_header(PacketType::subscribe, 0x02));
    out.put_varint(static_cast<uint32_t>(remaining));
    out.put_u16(packet_id);
    if (v5) {
        out.put_u8(0);
    }
    out.put_string(filter);
    out.put_u8(qos & 0x03);
}

void encode_publish_header(OutBuffer& out, std::string_view topic, uint8_t qos, bool retain,
                           uint16_t packet_id, size_t payload_len, Version version) {
    const bool v5 = version == Version::v5;
    size_t remaining = 2 + topic.size() + (qos > 0 ? 2 : 0) + (v5 ? 1 : 0) + payload_len;
    uint8_t flags = static_cast<uint8_t>((qos & 0x03) << 1) | (retain ? 1 : 0);
    uint8_t* p = out.extend(1 + varint_size(remaining) + 2 + topic.size());
    *p++ = fixed_header(PacketType::publish, flags);
    size_t v = remaining;
    do {
        uint8_t b = v & 0x7F;
        v >>= 7;
        *p++ = v != 0 ? (b | 0x80) : b;
    } while (v != 0);
    *p++ = static_cast<uint8_t>(topic.size() >> 8);
    *p++ = static_cast<uint8_t>(topic.size());
    std::memcpy(p, topic.data(), topic.size());
    if (qos > 0) {
        out.put_u16(packet_id);
    }
    if (v5) {
        out.put_u8(0);
    }
}

void encode_ack(OutBuffer& out, PacketType type, uint16_t packet_id) {
    // MQTT 3.1.1 §3.6.1: PUBREL fixed header flags are 0b0010.
    uint8_t* p = out.extend(4);
    p[0] = fixed_header(type, type == PacketType::pubrel ? 0x02 : 0x00);
    p[1] = 2;
    p[2] = static_cast<uint8_t>(packet_id >> 8);
    p[3] = static_cast<uint8_t>(packet_id);
}

void encode_pingreq(OutBuffer& out) {
    out.put_u8(fixed_header(PacketType::pingreq, 0));
    out.put_u8(0);
}

void encode_disconnect(OutBuffer& out, Version) {
    // v5 allows the two-byte form meaning "normal disconnection" (MQTT 5 §3.14.2.1).
    out.put_u8(fixed_header(PacketType::disconnect, 0));
    out.put_u8(0);
}

// ---- framing --------------------------------------------------------------------

FrameParser::FrameInfo FrameParser::frame_info(const uint8_t* p, size_t n) {
    size_t len = 0;
    for (size_t i = 1; i <= 4; ++i) {
        if (i >= n) {
            return {Frame::need_more, 0, 0};
        }
        len |= static_cast<size_t>(p[i] & 0x7F) << (7 * (i - 1));
        if ((p[i] & 0x80) == 0) {
            size_t total = 1 + i + len;
            return {total <= n ? Frame::complete : Frame::need_more, 1 + i, total};
        }
    }
    return {Frame::bad_length, 0, 0};
}

ParseError FrameParser::check(const FrameInfo& fi) const {
    if (fi.total_len > max_packet_) {
        return ParseError::too_large;
    }
    return ParseError::none;
}

// ---- decoding -------------------------------------------------------------------

Decoded<ConnackView> decode_connack(const Packet& p, Version v) {
    Reader r(p.body);
    ConnackView c;
    c.session_present = (r.u8() & 0x01) != 0;
    c.reason = r.u8();
    if (v == Version::v5 && r.remaining() > 0) {
        uint32_t plen = r.varint();
        Reader props(r.bytes(plen));
        while (!props.failed() && props.remaining() > 0) {
            uint8_t id = props.u8();
            uint32_t value = 0;
            if (!skip_property(props, id, value)) {
                return {DecodeStatus::malformed, c};
            }
            if (id == 0x21) {
                c.receive_maximum = static_cast<uint16_t>(value);
            }
        }
        if (props.failed()) {
            return {DecodeStatus::malformed, c};
        }
    }
    return {r.failed() ? DecodeStatus::malformed : DecodeStatus::ok, c};
}

Decoded<PublishView> decode_publish(const Packet& p, Version v) {
    Reader r(p.body);
    PublishView pub;
    pub.qos = (p.flags >> 1) & 0x03;
    pub.retain = (p.flags & 0x01) != 0;
    pub.dup = (p.flags & 0x08) != 0;
    pub.topic = r.string();
    if (pub.qos > 0) {
        pub.packet_id = r.u16();
    }
    if (v == Version::v5) {
        r.bytes(r.varint());
    }
    pub.payload = r.rest();
    bool bad = r.failed() || pub.qos == 3 || (pub.qos > 0 && pub.packet_id == 0);
    return {bad ? DecodeStatus::malformed : DecodeStatus::ok, pub};
}

Decoded<AckView> decode_ack(const Packet& p) {
    Reader r(p.body);
    AckView a;
    a.packet_id = r.u16();
    // v5 acks may carry a reason code and properties after the id (MQTT 5 §3.4.2).
    if (r.remaining() > 0) {
        a.reason = r.u8();
    }
    return {r.failed() ? DecodeStatus::malformed : DecodeStatus::ok, a};
}

Decoded<SubackView> decode_suback(const Packet& p, Version v) {
    Reader r(p.body);
    SubackView s;
    s.packet_id = r.u16();
    if (v == Version::v5) {
        r.bytes(r.varint());
    }
    s.first_code = r.u8();
    return {r.failed() ? DecodeStatus::malformed : DecodeStatus::ok, s};
}

bool topic_matches(std::string_view filter, std::string_view topic) {
    if (!topic.empty() && topic[0] == '$' && !filter.empty() && (filter[0] == '+' || filter[0] == '#')) {
        return false;
    }
    size_t f = 0;
    size_t t = 0;
    while (true) {
        size_t fe = std::min(filter.find('/', f), filter.size());
        std::string_view flevel = filter.substr(f, fe - f);
        if (flevel == "#") {
            return true;
        }
        size_t te = std::min(topic.find('/', t), topic.size());
        std::string_view tlevel = topic.substr(t, te - t);
        if (flevel != "+" && flevel != tlevel) {
            return false;
        }
        bool f_end = fe == filter.size();
        bool t_end = te == topic.size();
        if (f_end && t_end) {
            return true;
        }
        if (f_end) {
            return false;
        }
        if (t_end) {
            // Only a trailing "/#" can still match: "a/#" matches "a" (MQTT 3.1.1 §4.7.1.2).
            return filter.substr(fe + 1) == "#";
        }
        f = fe + 1;
        t = te + 1;
    }
}

}  // namespace mqttbench
