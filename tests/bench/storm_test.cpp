#include <doctest/doctest.h>

#include "tests/bench/storm.hpp"

using namespace mqttbench;

TEST_CASE("storm tally: back_ns is the CONNACK of the last connection back") {
    StormTally t;
    CHECK_FALSE(t.active());
    t.on_back(5);  // before any storm: not counted
    t.begin(3);
    CHECK(t.line(7) == "STORM dropped=3 back=0 failures=0 back_ns=0 cpu_us=7\n");
    t.on_back(100);
    t.on_failed_attempt();
    t.on_back(200);
    CHECK_FALSE(t.all_back());
    CHECK(t.line(7) == "STORM dropped=3 back=2 failures=1 back_ns=0 cpu_us=7\n");
    t.on_back(300);
    CHECK(t.all_back());
    CHECK(t.line(7) == "STORM dropped=3 back=3 failures=1 back_ns=300 cpu_us=7\n");
    t.on_back(400);  // a reconnection beyond the dropped ones changes nothing
    CHECK(t.line(7) == "STORM dropped=3 back=3 failures=1 back_ns=300 cpu_us=7\n");
}

TEST_CASE("storm tally: a connection lost again is out until it is back again") {
    StormTally t;
    t.begin(2);
    t.on_back(10);
    t.on_back(20);
    t.on_lost_again();
    CHECK_FALSE(t.all_back());
    CHECK(t.line(7) == "STORM dropped=2 back=1 failures=0 back_ns=0 cpu_us=7\n");
    t.on_back(30);
    CHECK(t.line(7) == "STORM dropped=2 back=2 failures=0 back_ns=30 cpu_us=7\n");
}

TEST_CASE("storm tally: a worker with no connections is back at once") {
    StormTally t;
    t.begin(0);
    CHECK(t.all_back());
    auto r = StormReport::parse(t.line(7));
    REQUIRE(r);
    CHECK(r->all_back);
}

TEST_CASE("storm report: parse reads every field and rejects malformed lines") {
    auto r = StormReport::parse("STORM dropped=5 back=5 failures=2 back_ns=123 cpu_us=40");
    REQUIRE(r);
    CHECK(r->dropped == 5);
    CHECK(r->back == 5);
    CHECK(r->failures == 2);
    CHECK(r->back_ns == 123);
    CHECK(r->cpu_us == 40);
    CHECK(r->all_back);
    auto out = StormReport::parse("STORM dropped=5 back=4 failures=0 back_ns=0 cpu_us=7\n");
    REQUIRE(out);
    CHECK_FALSE(out->all_back);
    CHECK_FALSE(StormReport::parse("LIVE live=5"));
    CHECK_FALSE(StormReport::parse("STORM dropped=5 back=5 failures=0 cpu_us=1"));
    CHECK_FALSE(StormReport::parse("STORM dropped=5 back=5 failures=0 back_ns=1"));
    CHECK_FALSE(StormReport::parse("STORM dropped=5 back=6 failures=0 back_ns=1 cpu_us=1"));
    CHECK_FALSE(StormReport::parse("STORM dropped=x back=0 failures=0 back_ns=0 cpu_us=1"));
    CHECK_FALSE(StormReport::parse("STORM dropped=5x back=0 failures=0 back_ns=0 cpu_us=1"));
}

TEST_CASE("storm report: the sum is back when every worker is, at the latest one's time") {
    StormReport sum;
    sum.merge(*StormReport::parse("STORM dropped=4 back=4 failures=1 back_ns=700 cpu_us=100"));
    sum.merge(*StormReport::parse("STORM dropped=6 back=6 failures=0 back_ns=900 cpu_us=250"));
    CHECK(sum.all_back);
    CHECK(sum.dropped == 10);
    CHECK(sum.failures == 1);
    CHECK(sum.back_ns == 900);
    CHECK(sum.cpu_us == 350);
    sum.merge(*StormReport::parse("STORM dropped=2 back=1 failures=3 back_ns=0 cpu_us=0"));
    CHECK_FALSE(sum.all_back);
    CHECK(sum.back == 11);
    CHECK(sum.failures == 4);
    CHECK(sum.back_ns == 0);
}
