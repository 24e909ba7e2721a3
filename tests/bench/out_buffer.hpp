#pragma once
// A growable byte buffer for outgoing packets. Capacity is kept across flushes so a
// connection in steady state encodes without allocating; no zero-filling on growth.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

namespace mqttbench {

class OutBuffer {
public:
    /// Bytes not yet written to the socket.
    [[nodiscard]] const uint8_t* data() const { return buf_.get() + head_; }
    [[nodiscard]] size_t size() const { return tail_ - head_; }
    [[nodiscard]] bool empty() const { return tail_ == head_; }
    [[nodiscard]] size_t capacity() const { return cap_; }

    /// Marks n bytes at the front as written.
    void consume(size_t n) {
        head_ += n;
        if (head_ == tail_) {
            head_ = 0;
            tail_ = 0;
        }
    }

    /// Returns a pointer to n writable bytes at the end; the caller fills all of them.
    uint8_t* extend(size_t n) {
        if (tail_ + n > cap_) {
            grow(n);
        }
        uint8_t* p = buf_.get() + tail_;
        tail_ += n;
        return p;
    }

    void put_u8(uint8_t v) { *extend(1) = v; }
    void put_u16(uint16_t v) {
        uint8_t* p = extend(2);
        p[0] = static_cast<uint8_t>(v >> 8);
        p[1] = static_cast<uint8_t>(v);
    }
    void put_bytes(const void* src, size_t n) {
        if (n > 0) {
            std::memcpy(extend(n), src, n);
        }
    }
    /// MQTT UTF-8 string: two-byte length, then the bytes (MQTT 3.1.1 §1.5.3).
    void put_string(std::string_view s) {
        put_u16(static_cast<uint16_t>(s.size()));
        put_bytes(s.data(), s.size());
    }
    /// Variable byte integer (MQTT 3.1.1 §2.2.3).
    void put_varint(uint32_t v) {
        do {
            uint8_t b = v & 0x7F;
            v >>= 7;
            if (v != 0) {
                b |= 0x80;
            }
            put_u8(b);
        } while (v != 0);
    }

    /// Drops all content and, if the buffer grew past keep bytes, its memory too.
    void reset(size_t keep = 0) {
        head_ = 0;
        tail_ = 0;
        if (cap_ > keep) {
            buf_.reset();
            cap_ = 0;
        }
    }

private:
    void grow(size_t n) {
        size_t live = tail_ - head_;
        size_t want = cap_ == 0 ? 256 : cap_;
        while (want < live + n) {
            want *= 2;
        }
        if (want == cap_) {
            // Enough room once the written prefix is dropped.
            std::memmove(buf_.get(), buf_.get() + head_, live);
        } else {
            auto fresh = std::make_unique_for_overwrite<uint8_t[]>(want);
            if (live > 0) {
                std::memcpy(fresh.get(), buf_.get() + head_, live);
            }
            buf_ = std::move(fresh);
            cap_ = want;
        }
        head_ = 0;
        tail_ = live;
    }

    std::unique_ptr<uint8_t[]> buf_;
    size_t cap_ = 0;
    size_t head_ = 0;
    size_t tail_ = 0;
};

}  // namespace mqttbench
