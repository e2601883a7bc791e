"""A 64 KiB -bios image built from hand-assembled bytes, for monitor tests.

From the reset vector it jumps to F000:0000, loads known values into ESI and
EBX, writes 0xDEAD to 0x500, then polls the i8042 forever and appends every
byte the keyboard sends to memory from 0x600 on (so sendkey can be checked
with xp). Interrupts stay off; nothing else touches memory.
"""

CODE = bytes.fromhex(
    "66be78563412"  # 0xf0000  mov esi, 0x12345678
    "66bb44332211"  # 0xf0006  mov ebx, 0x11223344
    "b90000"        # 0xf000c  mov cx, 0
    "8ed9"          # 0xf000f  mov ds, cx
    "c7060005adde"  # 0xf0011  mov word [0x500], 0xdead
    "bf0006"        # 0xf0017  mov di, 0x600
    "e464"          # 0xf001a  poll: in al, 0x64
    "a801"          #                test al, 1
    "74fa"          #                jz poll
    "e460"          #                in al, 0x60
    "8805"          #                mov [di], al
    "47"            #                inc di
    "ebf3"          #                jmp poll
)

# What QEMU 7.2's `x/3i 0xf0000` prints for the first instructions.
DISASSEMBLY = (
    "0x000f0000:  66 be 78 56 34 12        movl     $0x12345678, %esi\r\n"
    "0x000f0006:  66 bb 44 33 22 11        movl     $0x11223344, %ebx\r\n"
    "0x000f000c:  b9 00 00                 movw     $0, %cx\r\n"
)


def write(path):
    image = bytearray(b"\xf4" * 65536)
    image[0:len(CODE)] = CODE
    image[0xFFF0:0xFFF5] = bytes.fromhex("ea0000" "00f0")  # jmp f000:0000
    with open(path, "wb") as f:
        f.write(image)
