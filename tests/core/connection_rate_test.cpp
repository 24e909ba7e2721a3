#include <doctest/doctest.h>

#include "core/listen/connection_rate.hpp"

using actormq::core::ConnectionRate;

TEST_CASE("connection rate: 0 admits everything") {
  ConnectionRate r(0);
  for (int i = 0; i < 1000; ++i) {
    CHECK(r.admit(5).admitted);
  }
}

TEST_CASE("connection rate: a second's burst, then refills at the rate, one log line a second") {
  ConnectionRate r(10);
  int admitted = 0;
  for (int i = 0; i < 30; ++i) {
    admitted += r.admit(1000).admitted ? 1 : 0;
  }
  CHECK(admitted == 10);
  // 20 refused: the first refusal is reported at once, the rest are held.
  CHECK_FALSE(r.admit(1000).admitted);
  CHECK(r.admit(1100).admitted);  // 100 ms at 10/s: one token back
  CHECK_FALSE(r.admit(1100).admitted);
  ConnectionRate::Admission later = r.admit(2000);  // 0.9 s: 9 tokens
  CHECK(later.admitted);
  for (int i = 0; i < 8; ++i) {
    CHECK(r.admit(2000).admitted);
  }
  ConnectionRate::Admission refused = r.admit(2000);
  CHECK_FALSE(refused.admitted);
  CHECK(refused.report == 22);  // everything refused since the first line, this one included
}

TEST_CASE("connection rate: the first refusal is logged at once") {
  ConnectionRate r(1);
  CHECK(r.admit(10).admitted);
  ConnectionRate::Admission a = r.admit(10);
  CHECK_FALSE(a.admitted);
  CHECK(a.report == 1);
  CHECK(r.admit(20).report == 0);
}
