#include "tests/bench/histogram.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>

namespace mqttbench {

size_t Histogram::bucket_of(uint64_t v) {
    if (v < (1u << exact_bits)) {
        return static_cast<size_t>(v);
    }
    int e = 63 - std::countl_zero(v);            // e >= exact_bits
    uint64_t mantissa = v >> (e - 6);              // in [64, 127]
    return (1u << exact_bits) + static_cast<size_t>(e - exact_bits) * 64 + (mantissa - 64);
}

uint64_t Histogram::bucket_upper(size_t index) {
    if (index < (1u << exact_bits)) {
        return index;
    }
    size_t rel = index - (1u << exact_bits);
    int e = static_cast<int>(rel / 64) + exact_bits;
    uint64_t mantissa = 64 + rel % 64;
    uint64_t lower = mantissa << (e - 6);
    uint64_t width = uint64_t{1} << (e - 6);
    return lower + (width - 1);
}

void Histogram::record(uint64_t v) {
    ++buckets_[bucket_of(v)];
    ++count_;
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
    sum_ += static_cast<long double>(v);
}

void Histogram::merge(const Histogram& o) {
    for (size_t i = 0; i < bucket_count; ++i) {
        buckets_[i] += o.buckets_[i];
    }
    count_ += o.count_;
    min_ = std::min(min_, o.min_);
    max_ = std::max(max_, o.max_);
    sum_ += o.sum_;
}

double Histogram::mean() const {
    return count_ == 0 ? 0.0 : static_cast<double>(sum_ / static_cast<long double>(count_));
}

uint64_t Histogram::percentile(double q) const {
    if (count_ == 0) {
        return 0;
    }
    auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
    rank = std::clamp<uint64_t>(rank, 1, count_);
    uint64_t seen = 0;
    for (size_t i = 0; i < bucket_count; ++i) {
        seen += buckets_[i];
        if (seen >= rank) {
            return std::min(bucket_upper(i), max_);
        }
    }
    return max_;
}

std::string Histogram::serialize() const {
    std::string s = std::to_string(min()) + ";" + std::to_string(max_) + ";" +
                    std::to_string(static_cast<uint64_t>(sum_)) + ";";
    for (size_t i = 0; i < bucket_count; ++i) {
        if (buckets_[i] != 0) {
            s += std::to_string(i) + ":" + std::to_string(buckets_[i]) + ",";
        }
    }
    return s;
}

bool Histogram::merge_serialized(std::string_view text) {
    Histogram h;
    const char* p = text.data();
    const char* end = p + text.size();
    auto number = [&](uint64_t& out, char sep) {
        auto r = std::from_chars(p, end, out);
        if (r.ec != std::errc{} || r.ptr == end || *r.ptr != sep) {
            return false;
        }
        p = r.ptr + 1;
        return true;
    };
    uint64_t mn = 0;
    uint64_t mx = 0;
    uint64_t sum = 0;
    if (!number(mn, ';') || !number(mx, ';') || !number(sum, ';')) {
        return false;
    }
    while (p < end) {
        uint64_t idx = 0;
        uint64_t n = 0;
        if (!number(idx, ':') || !number(n, ',') || idx >= bucket_count) {
            return false;
        }
        h.buckets_[idx] += n;
        h.count_ += n;
    }
    if (h.count_ > 0) {
        h.min_ = mn;
        h.max_ = mx;
        h.sum_ = static_cast<long double>(sum);
    }
    merge(h);
    return true;
}

}  // namespace mqttbench
