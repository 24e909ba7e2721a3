#pragma once
// Helpers shared by every scenario for opening many connections: addresses, client
// ids and a pacer that bounds both the connect rate and the connects in flight.

#include <netinet/in.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mqttbench {

/// Parses a dotted IPv4 address (loopback is the only target this tool is for).
[[nodiscard]] std::optional<sockaddr_in> make_address(std::string_view host, uint16_t port);

/// 127.0.0.(1 + i % sources), port 0; sources >= 1.
[[nodiscard]] sockaddr_in source_address(uint64_t i, uint32_t sources);

/// prefix-pid-index: unique across the worker processes of one run.
[[nodiscard]] std::string client_id(std::string_view prefix, uint64_t index);

/// Starts connections no faster than rate per second (0 = unpaced) and with at
/// most max_pending awaiting their CONNACK.
class ConnectPacer {
public:
    ConnectPacer(uint64_t total, double rate, uint32_t max_pending, uint64_t t0_ns)
        : total_(total), rate_(rate), max_pending_(max_pending), t0_(t0_ns) {}

    /// Calls start(index) for each connection now due.
    template <typename F>
    void pump(uint64_t now, F&& start) {
        uint64_t due = total_;
        if (rate_ > 0) {
            double elapsed = static_cast<double>(now - t0_) / 1e9;
            due = std::min<uint64_t>(total_, static_cast<uint64_t>(elapsed * rate_) + 1);
        }
        while (started_ < due && pending_ < max_pending_) {
            ++pending_;
            start(started_++);
        }
    }
    /// A connection got its CONNACK or failed.
    void resolved() {
        if (pending_ > 0) {
            --pending_;
        }
    }
    [[nodiscard]] uint64_t started() const { return started_; }
    [[nodiscard]] bool all_started() const { return started_ == total_; }

private:
    uint64_t total_;
    double rate_;
    uint32_t max_pending_;
    uint64_t t0_;
    uint64_t started_ = 0;
    uint32_t pending_ = 0;
};

}  // namespace mqttbench
