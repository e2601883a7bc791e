#include "mimic/util/load_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

using mimic::FileKind;
using mimic::FileLoadError;
using mimic::load_file_bounded;
using Reason = FileLoadError::Reason;

namespace {

std::string temp_path(const std::string& name) {
    return (std::filesystem::path(testing::TempDir()) / ("load-file-" + name)).string();
}

std::string write_file(const std::string& name, const std::string& contents) {
    std::string path = temp_path(name);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << contents;
    return path;
}

// The FileLoadError `load` throws.
template <typename F>
FileLoadError failure_of(F&& load) {
    try {
        load();
    } catch (const FileLoadError& e) {
        return e;
    }
    ADD_FAILURE() << "no FileLoadError";
    return FileLoadError(Reason::kRead, 0, 0, "");
}

}  // namespace

TEST(LoadFileBounded, ReadsARegularFileUpToTheBound) {
    std::string path = write_file("small", "hello");
    EXPECT_EQ(load_file_bounded(path, 5), (std::vector<uint8_t>{'h', 'e', 'l', 'l', 'o'}));
    EXPECT_EQ(load_file_bounded(write_file("empty", ""), 5), std::vector<uint8_t>{});
    FileLoadError e = failure_of([&] { load_file_bounded(path, 4); });
    EXPECT_EQ(e.reason(), Reason::kTooLarge);
    EXPECT_EQ(e.size(), 5u);
    EXPECT_STREQ(e.what(), "File too large");
}

TEST(LoadFileBounded, ASparseGiantIsRefusedWithoutReadingIt) {
    std::string path = temp_path("sparse");
    std::ofstream(path, std::ios::trunc).close();
    std::filesystem::resize_file(path, 3ull << 30);
    FileLoadError e = failure_of([&] { load_file_bounded(path, 1 << 20); });
    EXPECT_EQ(e.reason(), Reason::kTooLarge);
    EXPECT_EQ(e.size(), 3ull << 30);
    std::filesystem::remove(path);
}

TEST(LoadFileBounded, MissingFilesAndDirectoriesSayWhy) {
    FileLoadError missing = failure_of([] { load_file_bounded("/nonexistent/file", 100); });
    EXPECT_EQ(missing.reason(), Reason::kOpen);
    EXPECT_EQ(missing.error_number(), ENOENT);
    EXPECT_STREQ(missing.what(), "No such file or directory");
    FileLoadError directory = failure_of([] { load_file_bounded("/tmp", 100); });
    EXPECT_EQ(directory.reason(), Reason::kNotRegular);
    EXPECT_STREQ(directory.what(), "Is a directory");
}

TEST(LoadFileBounded, DevicesAreNotFilesUnlessStreamsAreAllowed) {
    FileLoadError zero = failure_of([] { load_file_bounded("/dev/zero", 1 << 20); });
    EXPECT_EQ(zero.reason(), Reason::kNotRegular);
    EXPECT_STREQ(zero.what(), "Not a regular file");
    // As a stream it is read only to one byte past the bound.
    FileLoadError endless = failure_of([] { load_file_bounded("/dev/zero", 4096, FileKind::kRegularOrStream); });
    EXPECT_EQ(endless.reason(), Reason::kTooLarge);
    EXPECT_EQ(load_file_bounded("/dev/null", 4096, FileKind::kRegularOrStream), std::vector<uint8_t>{});
}

TEST(LoadFileBounded, AFifoWithoutAWriterDoesNotHang) {
    std::string path = temp_path("fifo");
    std::filesystem::remove(path);
    ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
    EXPECT_EQ(failure_of([&] { load_file_bounded(path, 100); }).reason(), Reason::kNotRegular);
    // A stream is read to its end once a writer comes and goes.
    std::thread writer([&] { std::ofstream(path) << "secret"; });
    EXPECT_EQ(load_file_bounded(path, 100, FileKind::kRegularOrStream),
              (std::vector<uint8_t>{'s', 'e', 'c', 'r', 'e', 't'}));
    writer.join();
    std::filesystem::remove(path);
}
