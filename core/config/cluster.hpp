#pragma once
// The rules of the `cluster` object's values (the keys themselves are in the
// key table, core/config/config.cpp): node names, node ids, seed addresses
// and the cookie. bridge/dist/ uses the same node-name rule for the names a
// peer announces.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/config/config.hpp"
#include "core/result.hpp"

namespace actormq::core {

inline constexpr std::size_t max_node_name = 255;
inline constexpr std::size_t max_cookie = 255;

/// 1 to 255 bytes of letters, digits, '.', '_', '-' and '@' (printable in any
/// log, usable as a host-like name).
[[nodiscard]] bool valid_node_name(std::string_view name) noexcept;

/// The node id of a node that sets no node_id: 1 + FNV-1a-32(name) mod 65535,
/// the same on every build and machine. Two names may give the same id; the
/// handshake then refuses the link (id_conflict), and one of the two nodes
/// must set node_id.
[[nodiscard]] std::uint16_t derived_node_id(std::string_view name) noexcept;

/// A seed, "host:port": host an IPv4 address, a host name, or an IPv6
/// address in brackets ("[::1]:4370"); port 1..65535.
struct SeedAddress {
  std::string host;  ///< without the brackets of an IPv6 address
  std::uint16_t port = 0;
  friend bool operator==(const SeedAddress&, const SeedAddress&) = default;
};

/// The seed `text` or why it is not one ("must be host:port ...").
[[nodiscard]] Result<SeedAddress> parse_seed(std::string_view text);

/// Why `cookie` cannot be a cookie (empty, longer than max_cookie, a line
/// break), or success.
[[nodiscard]] Status check_cookie(std::string_view cookie);

/// The cookie in the file at `path`, without its trailing newline (as
/// Erlang's .erlang.cookie). Refused: a file that is missing, not a regular
/// file, readable or writable by group or others (the cookie is the
/// cluster's password), empty, or not a valid cookie. Messages start with
/// the path.
[[nodiscard]] Result<std::string> read_cookie_file(const std::string& path);

/// The cluster's cookie: `cookie`, or what read_cookie_file reads from
/// `cookie_file`; messages name the key ("cluster.cookie_file: ...").
[[nodiscard]] Result<std::string> load_cookie(const ClusterConfig& cluster);

}  // namespace actormq::core
