#include <doctest/doctest.h>

#include "tests/bench/latency_log.hpp"

using namespace mqttbench;

TEST_CASE("latency span: NAME:FROM:TO") {
    auto s = LatencySpan::parse("storm_1:100:250");
    REQUIRE(s);
    CHECK(s->name == "storm_1");
    CHECK(s->from_ns == 100);
    CHECK(s->to_ns == 250);
    CHECK(LatencySpan::parse("quiet:5:5"));
    CHECK_FALSE(LatencySpan::parse("quiet:6:5"));
    CHECK_FALSE(LatencySpan::parse(":1:2"));
    CHECK_FALSE(LatencySpan::parse("a b:1:2"));
    CHECK_FALSE(LatencySpan::parse("quiet:1"));
    CHECK_FALSE(LatencySpan::parse("quiet:1:2:3"));
    CHECK_FALSE(LatencySpan::parse("quiet:-1:2"));
    CHECK_FALSE(LatencySpan::parse("quiet::2"));
}

TEST_CASE("latency windows: each message counts in the spans its send time falls in") {
    LatencyWindows w({*LatencySpan::parse("quiet:0:1000"), *LatencySpan::parse("storm:1000:2000"),
                      *LatencySpan::parse("all:0:2000")});
    CHECK(w.add_line(latency_sample_line(999, 10)));
    CHECK(w.add_line(latency_sample_line(1000, 50)));  // half-open: the storm's, not the quiet one's
    CHECK(w.add_line("1999 70\n"));
    CHECK(w.add_line("2000 90"));                      // after every span
    CHECK(w.histogram(0).count() == 1);
    CHECK(w.histogram(0).max() == 10);
    CHECK(w.histogram(1).count() == 2);
    CHECK(w.histogram(1).min() == 50);
    CHECK(w.histogram(1).max() == 70);
    CHECK(w.histogram(2).count() == 3);
}

TEST_CASE("latency windows: malformed lines are refused and not recorded") {
    LatencyWindows w({*LatencySpan::parse("all:0:100")});
    CHECK_FALSE(w.add_line(""));
    CHECK_FALSE(w.add_line("5"));
    CHECK_FALSE(w.add_line("5 x"));
    CHECK_FALSE(w.add_line("5 7 9"));
    CHECK_FALSE(w.add_line("-5 7"));
    CHECK(w.histogram(0).count() == 0);
}
