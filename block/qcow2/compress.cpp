#include "compress.h"

#include "format.h"

#include <zlib.h>
#include <zstd.h>

namespace mimic::block::qcow2 {
namespace {

// qcow2's zlib type is a raw deflate stream with a 4 KiB window.
constexpr int kWindowBits = -12;

std::optional<std::vector<uint8_t>> deflate_cluster(const uint8_t* data, size_t size) {
    z_stream s = {};
    if (deflateInit2(&s, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kWindowBits, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return std::nullopt;
    std::vector<uint8_t> out(size);
    s.next_in = const_cast<uint8_t*>(data);
    s.avail_in = static_cast<uInt>(size);
    s.next_out = out.data();
    s.avail_out = static_cast<uInt>(out.size());
    int ret = deflate(&s, Z_FINISH);
    size_t produced = out.size() - s.avail_out;
    deflateEnd(&s);
    if (ret != Z_STREAM_END || produced >= size) return std::nullopt;
    out.resize(produced);
    return out;
}

bool inflate_cluster(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size) {
    z_stream s = {};
    if (inflateInit2(&s, kWindowBits) != Z_OK) return false;
    s.next_in = const_cast<uint8_t*>(in);
    s.avail_in = static_cast<uInt>(in_size);
    s.next_out = out;
    s.avail_out = static_cast<uInt>(out_size);
    int ret = inflate(&s, Z_FINISH);
    bool ok = (ret == Z_STREAM_END || ret == Z_BUF_ERROR || ret == Z_OK) && s.avail_out == 0;
    inflateEnd(&s);
    return ok;
}

std::optional<std::vector<uint8_t>> zstd_cluster(const uint8_t* data, size_t size) {
    std::vector<uint8_t> out(ZSTD_compressBound(size));
    size_t n = ZSTD_compress(out.data(), out.size(), data, size, ZSTD_CLEVEL_DEFAULT);
    if (ZSTD_isError(n) || n >= size) return std::nullopt;
    out.resize(n);
    return out;
}

bool unzstd_cluster(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size) {
    // Streaming decompression stops once the cluster is full, so padding
    // after the frame does not matter.
    ZSTD_DStream* stream = ZSTD_createDStream();
    if (!stream) return false;
    ZSTD_inBuffer input = {in, in_size, 0};
    ZSTD_outBuffer output = {out, out_size, 0};
    bool ok = true;
    while (output.pos < output.size) {
        size_t ret = ZSTD_decompressStream(stream, &output, &input);
        if (ZSTD_isError(ret)) { ok = false; break; }
        if (ret == 0 || input.pos == input.size) {
            if (output.pos < output.size) ok = false;
            break;
        }
    }
    ZSTD_freeDStream(stream);
    return ok;
}

}  // namespace

std::optional<std::vector<uint8_t>> compress_cluster(uint8_t type, const uint8_t* data, size_t size) {
    return type == kCompressionZstd ? zstd_cluster(data, size) : deflate_cluster(data, size);
}

bool decompress_cluster(uint8_t type, const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size) {
    return type == kCompressionZstd ? unzstd_cluster(in, in_size, out, out_size)
                                    : inflate_cluster(in, in_size, out, out_size);
}

}  // namespace mimic::block::qcow2
