/* Guest CPU benchmark: a few kinds of work a user's programs do, each timed
 * by the guest itself (CLOCK_MONOTONIC), so that the emulator's boot and
 * console do not count. Built static (gcc -O2) by cpu_bench.py and run by
 * the test guest's init; prints
 *     BENCH <part> <seconds> <checksum>
 * per part, then "BENCH total <seconds>" and "BENCH-DONE".
 * Checksums keep the compiler from dropping work and let the host compare
 * them with a native run of the same binary. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void) {  /* xorshift64: same inputs on every run */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void* xmalloc(size_t size) {
    void* p = malloc(size);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

/* Integer: byte loads/stores and branches. */
#define SIEVE_SIZE 2000000
#define SIEVE_ROUNDS 10

static uint64_t sieve(void) {
    uint8_t* composite = xmalloc(SIEVE_SIZE);
    uint64_t sum = 0;
    for (int round = 0; round < SIEVE_ROUNDS; ++round) {
        memset(composite, 0, SIEVE_SIZE);
        uint64_t primes = 0;
        for (size_t i = 2; i < SIEVE_SIZE; ++i) {
            if (composite[i]) continue;
            ++primes;
            for (size_t j = i * i; j < SIEVE_SIZE; j += i) composite[j] = 1;
        }
        sum = sum * 31 + primes;
    }
    free(composite);
    return sum;
}

/* qsort: indirect calls to a comparator, glibc's merge sort. */
#define SORT_COUNT 300000

static int compare_int(const void* a, const void* b) {
    int x = *(const int*)a, y = *(const int*)b;
    return (x > y) - (x < y);
}

static uint64_t sort(void) {
    int* values = xmalloc(SORT_COUNT * sizeof *values);
    for (size_t i = 0; i < SORT_COUNT; ++i) values[i] = (int)(rng() >> 33);
    qsort(values, SORT_COUNT, sizeof *values, compare_int);
    uint64_t sum = 0;
    for (size_t i = 0; i < SORT_COUNT; ++i) sum = sum * 1000003 + (uint64_t)values[i];
    free(values);
    return sum;
}

/* Strings: glibc's SSE2 mem and str routines over short and long strings. */
#define TEXT_SIZE (4 << 20)
#define STRING_ROUNDS 8

static uint64_t strings(void) {
    char* text = xmalloc(TEXT_SIZE);
    char* copy = xmalloc(TEXT_SIZE);
    /* NUL-terminated strings of 8..4103 letters back to back. */
    size_t count = 0, pos = 0;
    size_t* starts = xmalloc(TEXT_SIZE / 8 * sizeof *starts);
    while (pos + 4200 < TEXT_SIZE) {
        size_t len = 8 + rng() % (rng() % 8 == 0 ? 4096 : 120);
        starts[count++] = pos;
        for (size_t i = 0; i < len; ++i) text[pos + i] = 'a' + rng() % 26;
        text[pos + len] = 0;
        pos += len + 1;
    }
    memset(text + pos, 0, TEXT_SIZE - pos);
    uint64_t sum = 0;
    for (int round = 0; round < STRING_ROUNDS; ++round) {
        memset(copy, round, TEXT_SIZE);
        for (size_t s = 0; s < count; ++s) {
            const char* str = text + starts[s];
            size_t len = strlen(str);
            memcpy(copy + starts[s], str, len + 1);
            const char* z = strchr(str, 'z' - round);
            sum += len + (z ? (size_t)(z - str) : 0);
            sum += memcmp(copy + starts[s], str, len + 1) == 0;
        }
        sum += memcmp(copy, text, TEXT_SIZE) == 0;
        memset(copy, 0, TEXT_SIZE / 2);
        memcpy(copy + TEXT_SIZE / 2, copy, TEXT_SIZE / 2);
        sum = sum * 7 + (uint8_t)copy[TEXT_SIZE - 1 - round];
    }
    free(starts);
    free(copy);
    free(text);
    return sum;
}

/* SIMD: a loop gcc vectorizes with SSE2 (paddd, pmuludq and shuffles for
 * the 32-bit multiply). */
#define VECTOR_SIZE 16384
#define VECTOR_ROUNDS 1200

static int32_t va[VECTOR_SIZE], vb[VECTOR_SIZE], vc[VECTOR_SIZE];

static __attribute__((noinline)) void multiply_add(int32_t* restrict c, const int32_t* restrict a,
                                                   const int32_t* restrict b, int32_t k) {
    for (int i = 0; i < VECTOR_SIZE; ++i) c[i] += a[i] * b[i] + k;
}

static uint64_t simd(void) {
    for (int i = 0; i < VECTOR_SIZE; ++i) {
        va[i] = (int32_t)rng();
        vb[i] = (int32_t)rng();
        vc[i] = 0;
    }
    for (int round = 0; round < VECTOR_ROUNDS; ++round) multiply_add(vc, va, vb, round);
    uint64_t sum = 0;
    for (int i = 0; i < VECTOR_SIZE; ++i) sum = sum * 31 + (uint32_t)vc[i];
    return sum;
}

/* Float: scalar double add, multiply and divide (pi by the midpoint rule,
 * and a series); correctly rounded, so the result matches the host's. */
#define INTEGRAL_STEPS 4000000

static uint64_t floating(void) {
    double h = 1.0 / INTEGRAL_STEPS, pi = 0.0;
    for (int i = 0; i < INTEGRAL_STEPS; ++i) {
        double x = (i + 0.5) * h;
        pi += 4.0 / (1.0 + x * x);
    }
    pi *= h;
    double series = 0.0, sign = 1.0;
    for (int k = 0; k < INTEGRAL_STEPS; ++k) {
        series += sign / (2.0 * k + 1.0);
        sign = -sign;
    }
    uint64_t a, b;
    memcpy(&a, &pi, sizeof a);
    memcpy(&b, &series, sizeof b);
    return a ^ (b << 1);
}

/* CRC: a table lookup per byte, a dependent chain of loads and shifts. */
#define CRC_SIZE (4 << 20)
#define CRC_ROUNDS 10

static uint64_t crc(void) {
    uint32_t table[256];
    for (uint32_t n = 0; n < 256; ++n) {
        uint32_t c = n;
        for (int bit = 0; bit < 8; ++bit) c = (c >> 1) ^ (0xedb88320u & -(c & 1));
        table[n] = c;
    }
    uint8_t* data = xmalloc(CRC_SIZE);
    for (size_t i = 0; i < CRC_SIZE; i += 8) {
        uint64_t r = rng();
        memcpy(data + i, &r, 8);
    }
    uint64_t sum = 0;
    for (int round = 0; round < CRC_ROUNDS; ++round) {
        uint32_t c = 0xffffffffu ^ (uint32_t)round;
        for (size_t i = 0; i < CRC_SIZE; ++i) c = table[(c ^ data[i]) & 0xff] ^ (c >> 8);
        sum = sum * 0x100000001b3ull ^ ~c;
    }
    free(data);
    return sum;
}

int main(void) {
    static const struct {
        const char* name;
        uint64_t (*run)(void);
    } parts[] = {
        {"sieve", sieve}, {"qsort", sort}, {"strings", strings},
        {"simd", simd},   {"float", floating}, {"crc", crc},
    };
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("BENCH-START\n");
    double total = 0;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; ++i) {
        double start = now();
        uint64_t check = parts[i].run();
        double elapsed = now() - start;
        total += elapsed;
        printf("BENCH %s %.6f %016" PRIx64 "\n", parts[i].name, elapsed, check);
    }
    printf("BENCH total %.6f\n", total);
    printf("BENCH-DONE\n");
    return 0;
}
