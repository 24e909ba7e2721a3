#include "net/stream.hpp"

#include <cstring>

namespace actormq::net {

std::string Stream::describe(int error) const { return std::strerror(error); }

}  // namespace actormq::net
