/* The Linux test guest's CPU check: integer and floating-point work with
 * results that do not depend on the machine. The guest builder runs it on
 * the host first (same binary, same instructions) and stores the output;
 * init compares the guest's output with it.
 *
 * Only correctly rounded IEEE operations (+ - * / sqrt) are used, so the
 * results are the same on every x86-64 CPU; libm's transcendental
 * functions pick code paths by CPU feature and are avoided. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint32_t crc32(const uint8_t* data, size_t size) {
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < size; ++i) {
        crc ^= data[i];
        for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
    }
    return ~crc;
}

static uint64_t bits(double value) {
    uint64_t out;
    memcpy(&out, &value, sizeof out);
    return out;
}

static uint32_t fbits(float value) {
    uint32_t out;
    memcpy(&out, &value, sizeof out);
    return out;
}

static uint8_t buffer[1 << 20];

int main(void) {
    /* Integers: a generated buffer's CRC, 64-bit multiply/divide chains,
     * primes by sieve. */
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < sizeof buffer; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buffer[i] = (uint8_t)x;
    }
    printf("crc32 %08" PRIx32 "\n", crc32(buffer, sizeof buffer));

    uint64_t acc = 1;
    int64_t signed_acc = -7;
    for (uint64_t i = 1; i < 200000; ++i) {
        acc = acc * 6364136223846793005ull + i;
        acc ^= acc / (i | 1);
        signed_acc = signed_acc * 31 - (int64_t)(acc % 1000003) / 3;
        signed_acc %= 1000000007;
    }
    printf("muldiv %016" PRIx64 " %" PRId64 "\n", acc, signed_acc);

    static uint8_t composite[1000001];
    unsigned primes = 0;
    for (unsigned i = 2; i <= 1000000; ++i) {
        if (composite[i]) continue;
        ++primes;
        for (unsigned j = i * 2; j <= 1000000; j += i) composite[j] = 1;
    }
    printf("primes %u\n", primes);

    /* Floating point: a series, square roots, a small matrix product, and
     * single precision. */
    double series = 0;
    for (int k = 1; k <= 1000000; ++k) series += 1.0 / ((double)k * k);
    printf("series %016" PRIx64 "\n", bits(series));

    double roots = 0;
    for (int k = 1; k <= 100000; ++k) roots += sqrt((double)k) / (k + 0.5);
    printf("roots %016" PRIx64 "\n", bits(roots));

    enum { N = 48 };
    static double a[N][N], b[N][N], c[N][N];
    for (int i = 0; i < N; ++i)
        for (int j = 0; j < N; ++j) {
            a[i][j] = (i * N + j) % 17 - 8.25;
            b[i][j] = (i + 2 * j) % 13 / 7.0;
        }
    double trace = 0;
    for (int i = 0; i < N; ++i)
        for (int j = 0; j < N; ++j) {
            double sum = 0;
            for (int k = 0; k < N; ++k) sum += a[i][k] * b[k][j];
            c[i][j] = sum;
        }
    for (int i = 0; i < N; ++i) trace += c[i][i] * c[N - 1 - i][i];
    printf("matrix %016" PRIx64 "\n", bits(trace));

    float f = 1.0f;
    for (int k = 1; k <= 10000; ++k) f = f * 1.0001f + 1.0f / (float)k;
    printf("single %08" PRIx32 "\n", fbits(f));
    return 0;
}
