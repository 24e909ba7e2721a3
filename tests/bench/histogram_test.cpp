#include <doctest/doctest.h>

#include <initializer_list>

#include "tests/bench/histogram.hpp"

using namespace mqttbench;

TEST_CASE("values below 128 are exact") {
    Histogram h;
    for (uint64_t v = 1; v <= 100; ++v) {
        h.record(v);
    }
    CHECK(h.count() == 100);
    CHECK(h.percentile(0.5) == 50);
    CHECK(h.percentile(0.9) == 90);
    CHECK(h.percentile(0.99) == 99);
    CHECK(h.percentile(1.0) == 100);
    CHECK(h.min() == 1);
    CHECK(h.max() == 100);
    CHECK(h.mean() == doctest::Approx(50.5));
}

TEST_CASE("large values stay within the bucket's 1/64 relative error") {
    Histogram h;
    for (uint64_t v = 1; v <= 1000000; ++v) {
        h.record(v * 1000);
    }
    for (double q : {0.5, 0.9, 0.99, 0.999}) {
        double want = q * 1e9;
        double got = static_cast<double>(h.percentile(q));
        CHECK(got >= want);
        CHECK(got <= want * (1.0 + 1.0 / 64));
    }
    CHECK(h.percentile(1.0) == 1000000000ull);
}

TEST_CASE("a lone outlier shows at max and p99.9 only when it is that rare") {
    Histogram h;
    for (int i = 0; i < 999; ++i) {
        h.record(1000);
    }
    h.record(5000000);
    CHECK(h.percentile(0.99) < 1100);
    CHECK(h.percentile(0.999) < 1100);
    CHECK(h.percentile(1.0) == 5000000);
    CHECK(h.max() == 5000000);
}

TEST_CASE("bucket bounds are monotonic and each value falls inside its bucket") {
    for (uint64_t v : std::initializer_list<uint64_t>{0, 1, 127, 128, 129, 255, 256, 1000, 123456789, UINT64_MAX / 3}) {
        size_t b = Histogram::bucket_of(v);
        CHECK(Histogram::bucket_upper(b) >= v);
        if (b > 0) {
            CHECK(Histogram::bucket_upper(b - 1) < v);
        }
    }
    CHECK(Histogram::bucket_of(UINT64_MAX) == Histogram::bucket_count - 1);
}

TEST_CASE("serialize and merge_serialized carry a histogram between processes") {
    Histogram a;
    Histogram b;
    for (uint64_t v = 1; v <= 5000; ++v) {
        a.record(v * 7);
        b.record(v * 11);
    }
    Histogram merged = a;
    merged.merge(b);
    Histogram via_text = a;
    REQUIRE(via_text.merge_serialized(b.serialize()));
    CHECK(via_text.count() == merged.count());
    CHECK(via_text.max() == merged.max());
    CHECK(via_text.min() == merged.min());
    CHECK(via_text.percentile(0.5) == merged.percentile(0.5));
    CHECK(via_text.percentile(0.99) == merged.percentile(0.99));
    CHECK_FALSE(via_text.merge_serialized("garbage"));
    Histogram empty;
    CHECK(via_text.merge_serialized(empty.serialize()));
    CHECK(via_text.count() == merged.count());
}

TEST_CASE("an empty histogram reports zeros") {
    Histogram h;
    CHECK(h.percentile(0.99) == 0);
    CHECK(h.max() == 0);
    CHECK(h.min() == 0);
    CHECK(h.mean() == 0.0);
}
