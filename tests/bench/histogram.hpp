#pragma once
// Log-bucketed latency histogram in the spirit of HdrHistogram: exact below 128,
// then 64 buckets per power of two (relative error under 1.6%), fixed memory.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace mqttbench {

class Histogram {
public:
    static constexpr int exact_bits = 7;
    static constexpr size_t bucket_count = (1u << exact_bits) + (64 - exact_bits) * 64;

    void record(uint64_t value);
    void merge(const Histogram& other);

    [[nodiscard]] uint64_t count() const { return count_; }
    [[nodiscard]] uint64_t min() const { return count_ == 0 ? 0 : min_; }
    [[nodiscard]] uint64_t max() const { return max_; }
    [[nodiscard]] double mean() const;
    /// Smallest recorded bucket bound at or above the q-quantile (0 < q <= 1);
    /// never above max(). 0 when empty.
    [[nodiscard]] uint64_t percentile(double q) const;

    /// Compact text form ("index:count,...") to pass a histogram between processes.
    [[nodiscard]] std::string serialize() const;
    /// Adds a serialize()d histogram; false if the text is malformed.
    [[nodiscard]] bool merge_serialized(std::string_view text);

    [[nodiscard]] static size_t bucket_of(uint64_t value);
    [[nodiscard]] static uint64_t bucket_upper(size_t index);

private:
    std::array<uint64_t, bucket_count> buckets_{};
    uint64_t count_ = 0;
    uint64_t min_ = UINT64_MAX;
    uint64_t max_ = 0;
    long double sum_ = 0;
};

}  // namespace mqttbench
