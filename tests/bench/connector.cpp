#include "tests/bench/connector.hpp"

#include <arpa/inet.h>
#include <unistd.h>

namespace mqttbench {

std::optional<sockaddr_in> make_address(std::string_view host, uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    std::string h(host == "localhost" ? "127.0.0.1" : host);
    if (inet_pton(AF_INET, h.c_str(), &a.sin_addr) != 1) {
        return std::nullopt;
    }
    return a;
}

sockaddr_in source_address(uint64_t i, uint32_t sources) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = 0;
    a.sin_addr.s_addr = htonl((127u << 24) | static_cast<uint32_t>(1 + i % (sources == 0 ? 1 : sources)));
    return a;
}

std::string client_id(std::string_view prefix, uint64_t index) {
    return std::string(prefix) + "-" + std::to_string(getpid()) + "-" + std::to_string(index);
}

}  // namespace mqttbench
