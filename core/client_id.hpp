#pragma once
// A client id as the session that has it and the session registry both keep
// it: one shared, immutable allocation (core/shared_text.hpp).

#include "core/shared_text.hpp"

namespace actormq::core {

using ClientId = SharedText;

}  // namespace actormq::core
