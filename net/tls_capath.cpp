#include "net/tls_capath.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

namespace actormq::net {

namespace {
bool holds_certificate(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.find("-----BEGIN CERTIFICATE-----") != std::string::npos;
}
}  // namespace

CapathFiles tls_capath_files(const std::string& capath) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> entries;
  for (fs::directory_iterator it(capath, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().starts_with(".") || !it->is_regular_file(ec)) {
      continue;
    }
    entries.push_back(it->path());
  }
  if (ec) {
    return {{}, "capath " + capath + ": " + ec.message()};
  }
  std::sort(entries.begin(), entries.end());
  CapathFiles listed;
  for (const fs::path& file : entries) {
    if (holds_certificate(file)) {
      listed.files.push_back(file.string());
    }
  }
  if (listed.files.empty()) {
    listed.error = "capath " + capath + ": no PEM CA certificate in it";
  }
  return listed;
}

}  // namespace actormq::net
