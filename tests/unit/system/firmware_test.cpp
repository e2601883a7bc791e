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

// Mimic's own ROMs (pc-bios/) are found beside the binary before any system
// directory, so QEMU's same-purpose ROMs in /usr/share/qemu never stand in.
TEST(FirmwarePath, OwnFirmwareBeforeTheSystems) {
    FirmwarePath path({"/user/fw"});
    std::vector<std::string> dirs = path.search_dirs();
    std::string exe_dir = std::filesystem::read_symlink("/proc/self/exe").parent_path().string();
    ASSERT_GE(dirs.size(), 4u);
    EXPECT_EQ(dirs[0], "/user/fw");
    EXPECT_EQ(dirs[1], exe_dir + "/pc-bios");
    EXPECT_EQ(dirs[2], exe_dir + "/../share/mimic");
    EXPECT_EQ(dirs[3], "/usr/share/seabios");
}
