#pragma once
// HTTP/1.1 responses as a server writes them: the status line, the headers
// and a body of known length (no chunking). Pure.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace actormq::net {

struct HttpResponse {
  int status = 200;
  std::string content_type;  ///< empty: no Content-Type (and no body expected)
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  ///< besides the ones serialize() writes
  bool close = false;  ///< the connection ends after this response
};

/// The reason phrase of a status code ("Not Found"); "Error" for one not known here.
[[nodiscard]] const char* status_text(int status);

/// The whole response: status line, `headers`, Content-Type, Content-Length,
/// "Connection: close" when it closes, blank line, body. A header value with
/// a line break is not written (no header injection).
[[nodiscard]] std::string serialize(const HttpResponse& response);

/// An HTTP error response with no body (Connection: close).
[[nodiscard]] std::string http_error(int status, std::string_view extra_headers = {});

}  // namespace actormq::net
