#include "mimic/system/firmware.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

using mimic::system::FirmwarePath;

TEST(FirmwarePath, UserDirectoriesComeFirst) {
    namespace fs = std::filesystem;
    fs::path dir = fs::path(testing::TempDir()) / "mimic-fw-test";
    fs::create_directories(dir);
    std::FILE* f = std::fopen((dir / "custom.bin").c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fclose(f);
    FirmwarePath path({dir.string()});
    EXPECT_EQ(path.find("custom.bin"), (dir / "custom.bin").string());
    EXPECT_EQ(path.search_dirs().front(), dir.string());
    EXPECT_EQ(path.find("no-such-firmware.bin"), std::nullopt);
    EXPECT_EQ(path.find("/no/such/dir/bios.bin"), std::nullopt);
    EXPECT_EQ(path.find(""), std::nullopt);
}

TEST(FirmwarePath, FindsSeabiosFromDebian) {
    FirmwarePath path;
    if (!std::filesystem::exists("/usr/share/seabios/bios.bin")) GTEST_SKIP() << "seabios not installed";
    EXPECT_EQ(path.find("bios.bin"), "/usr/share/seabios/bios.bin");
}
