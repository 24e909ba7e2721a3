#include "net/http_response.hpp"

namespace actormq::net {

namespace {
bool one_line(std::string_view s) { return s.find_first_of("\r\n") == std::string_view::npos; }
}  // namespace

const char* status_text(int status) {
  switch (status) {
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 426:
      return "Upgrade Required";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

std::string serialize(const HttpResponse& r) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + status_text(r.status) + "\r\n";
  for (const auto& [name, value] : r.headers) {
    if (one_line(name) && one_line(value)) {
      out += name + ": " + value + "\r\n";
    }
  }
  if (!r.content_type.empty()) {
    out += "Content-Type: " + r.content_type + "\r\n";
  }
  if (r.status != 204) {  // RFC 9110 8.6: a 204 has no Content-Length (and no body)
    out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  }
  if (r.close) {
    out += "Connection: close\r\n";
  }
  out += "\r\n";
  out += r.body;
  return out;
}

std::string http_error(int status, std::string_view extra_headers) {
  return "HTTP/1.1 " + std::to_string(status) + " " + status_text(status) + "\r\n" + std::string(extra_headers) +
         "Connection: close\r\nContent-Length: 0\r\n\r\n";
}

}  // namespace actormq::net
