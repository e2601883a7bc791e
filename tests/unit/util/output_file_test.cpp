#include "mimic/util/output_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

using mimic::OutputFile;
using mimic::OutputFileError;

namespace {

std::string temp_path(const std::string& name) {
    std::string path = (std::filesystem::path(testing::TempDir()) / ("output-file-" + name)).string();
    std::filesystem::remove(path);
    return path;
}

std::string contents(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::span<const uint8_t> bytes(const std::string& text) {
    return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

}  // namespace

TEST(OutputFile, WritesAndCommits) {
    std::string path = temp_path("ok");
    {
        OutputFile file(path);
        file.write(bytes("hello "));
        file.write(bytes(std::string(200000, 'x')));
        file.commit();
    }
    EXPECT_EQ(contents(path), "hello " + std::string(200000, 'x'));
}

TEST(OutputFile, AFileItCreatedIsGoneAfterAFailure) {
    std::string path = temp_path("abandoned");
    {
        OutputFile file(path);
        file.write(bytes(std::string(100000, 'x')));
        EXPECT_TRUE(std::filesystem::exists(path));
    }
    EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(OutputFile, AFileThatWasThereStays) {
    std::string path = temp_path("existing");
    std::ofstream(path) << "old";
    { OutputFile file(path); }
    EXPECT_TRUE(std::filesystem::exists(path));
}

// Containers often lack /dev/full; root can make one.
TEST(OutputFile, AFullDeviceFailsAtTheWriteOrAtTheClose) {
    std::string full = temp_path("full");
    if (mknod(full.c_str(), S_IFCHR | 0666, makedev(1, 7)) != 0) {
        struct stat st;
        if (stat("/dev/full", &st) != 0 || !S_ISCHR(st.st_mode)) GTEST_SKIP() << "no way to make a /dev/full";
        full = "/dev/full";
    }
    {
        OutputFile small(full);
        small.write(bytes("tiny"));  // buffered: only the commit writes
        try {
            small.commit();
            ADD_FAILURE() << "commit succeeded on a full device";
        } catch (const OutputFileError& e) {
            EXPECT_EQ(e.error_number(), ENOSPC);
            EXPECT_STREQ(e.what(), "No space left on device");
        }
    }
    {
        OutputFile large(full);
        EXPECT_THROW(large.write(bytes(std::string(1 << 20, 'x'))), OutputFileError);
    }
    // The device was there before: not ours to remove.
    EXPECT_TRUE(std::filesystem::exists(full));
}

TEST(OutputFile, OpenErrorsSayWhy) {
    try {
        OutputFile file("/nonexistent/dir/file");
        ADD_FAILURE() << "opened";
    } catch (const OutputFileError& e) {
        EXPECT_EQ(e.error_number(), ENOENT);
    }
}
