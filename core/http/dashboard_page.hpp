#pragma once
// The dashboard of an http/https listener: one page (`/`, `/index.html`),
// its script (`/dashboard.js`), its style (`/dashboard.css`) and its icon
// (`/favicon.svg`), compiled into the binary. The page needs no user: it
// holds no data. Its script asks the API for everything, with the
// credentials of its own login form, so every answer it shows is still
// behind Basic auth and roles.

#include <optional>
#include <string_view>

#include "net/http_response.hpp"

namespace actormq::core {

/// The file at `path` with its Content-Type and security headers (a
/// Content-Security-Policy that allows the page's own origin only);
/// nullopt for a path that is not the dashboard's.
[[nodiscard]] std::optional<net::HttpResponse> dashboard_file(std::string_view path);

}  // namespace actormq::core
