"""A small RFB (VNC) client on Python's standard library, for tests: the
handshake in protocol 3.3, 3.7 and 3.8 with no or VNC authentication, key
and pointer events, QEMU's extended key event, and framebuffer updates in
raw, hextile, zlib, tight and ZRLE, decoded into 0xRRGGBB pixels (the
client asks for the server's own 32-bit format)."""

import socket
import struct
import subprocess
import zlib

RAW, COPYRECT, HEXTILE, ZLIB, TIGHT, ZRLE = 0, 1, 5, 6, 7, 16
DESKTOP_SIZE, POINTER_TYPE_CHANGE, EXT_KEY_EVENT = -223, -257, -258


class RfbError(Exception):
    pass


def vnc_auth_response(password, challenge):
    """DES of the challenge keyed by the bit-reversed password, computed by
    OpenSSL (an implementation independent of the server's)."""
    key = bytes(int(f"{b:08b}"[::-1], 2) for b in password.encode()[:8].ljust(8, b"\0"))
    result = subprocess.run(
        ["openssl", "enc", "-des-ecb", "-nopad", "-K", key.hex(), "-provider", "legacy", "-provider", "default"],
        input=challenge, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    return result.stdout


class RfbClient:
    def __init__(self, address, version=8, password=None, shared=True, timeout=20.0):
        family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(address)
            self.handshake(version, password, shared)
        except BaseException:
            self.sock.close()
            raise

    def handshake(self, version, password, shared):
        self.zstreams = {}
        self.server_version = self.recv(12)
        if not self.server_version.startswith(b"RFB 003."):
            raise RfbError(f"not an RFB server: {self.server_version!r}")
        self.send(b"RFB 003.%03d\n" % version)
        if version == 3:
            sec = struct.unpack(">I", self.recv(4))[0]
        else:
            count = self.recv(1)[0]
            if count == 0:
                raise RfbError(self.reason())
            types = self.recv(count)
            sec = 2 if password is not None and 2 in types else types[0]
            self.send(bytes([sec]))
        if sec == 2:
            challenge = self.recv(16)
            self.send(vnc_auth_response(password or "", challenge))
        if sec == 2 or version == 8:
            result = struct.unpack(">I", self.recv(4))[0]
            if result != 0:
                raise RfbError(self.reason() if version == 8 else "authentication failed")
        self.send(bytes([1 if shared else 0]))
        init = self.recv(24)
        self.width, self.height = struct.unpack(">HH", init[:4])
        self.pixel_format = init[4:20]
        self.name = self.recv(struct.unpack(">I", init[20:24])[0]).decode()
        self.fb = [[0] * self.width for _ in range(self.height)]
        self.pseudo = []  # (encoding, x, y, w, h) of pseudo-rectangles received

    def reason(self):
        return self.recv(struct.unpack(">I", self.recv(4))[0]).decode()

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def recv(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise RfbError("connection closed")
            data += chunk
        return data

    def set_encodings(self, encodings):
        self.send(struct.pack(">BxH", 2, len(encodings)) + b"".join(struct.pack(">i", e) for e in encodings))

    def request(self, incremental=False, rect=None):
        x, y, w, h = rect or (0, 0, self.width, self.height)
        self.send(struct.pack(">BBHHHH", 3, 1 if incremental else 0, x, y, w, h))

    def key(self, keysym, down):
        self.send(struct.pack(">BBxxI", 4, 1 if down else 0, keysym))

    def ext_key(self, keysym, keycode, down):
        self.send(struct.pack(">BBHII", 255, 0, 1 if down else 0, keysym, keycode))

    def pointer(self, buttons, x, y):
        self.send(struct.pack(">BBHH", 5, buttons, x, y))

    # --- updates ---------------------------------------------------------

    def read_update(self):
        """Reads one FramebufferUpdate (skipping other messages); returns the
        encodings of its rectangles."""
        while True:
            kind = self.recv(1)[0]
            if kind == 0:
                break
            if kind == 2:  # bell
                continue
            if kind == 3:  # server cut text
                self.recv(3)
                self.recv(struct.unpack(">I", self.recv(4))[0])
                continue
            raise RfbError(f"unexpected server message {kind}")
        count = struct.unpack(">xH", self.recv(3))[0]
        encodings = []
        for _ in range(count):
            x, y, w, h, enc = struct.unpack(">HHHHi", self.recv(12))
            encodings.append(enc)
            if enc == DESKTOP_SIZE:
                self.width, self.height = w, h
                self.fb = [[0] * w for _ in range(h)]
                self.pseudo.append((enc, x, y, w, h))
            elif enc in (POINTER_TYPE_CHANGE, EXT_KEY_EVENT):
                self.pseudo.append((enc, x, y, w, h))
            elif enc == RAW:
                data = self.recv(w * h * 4)
                self.put_block(x, y, w, h, self.pixels(data, 4))
            elif enc == COPYRECT:
                sx, sy = struct.unpack(">HH", self.recv(4))
                block = [self.fb[sy + j][sx:sx + w] for j in range(h)]
                for j in range(h):
                    self.fb[y + j][x:x + w] = block[j]
            elif enc == HEXTILE:
                self.hextile(x, y, w, h)
            elif enc == ZLIB:
                data = self.inflate(4, struct.unpack(">I", self.recv(4))[0])
                self.put_block(x, y, w, h, self.pixels(data, 4))
            elif enc == TIGHT:
                self.tight(x, y, w, h)
            elif enc == ZRLE:
                self.zrle(x, y, w, h)
            else:
                raise RfbError(f"unexpected encoding {enc}")
        return encodings

    def inflate(self, stream, length):
        z = self.zstreams.setdefault(stream, zlib.decompressobj())
        return z.decompress(self.recv(length))

    @staticmethod
    def pixels(data, size):
        # The server's format: 32 bits, little-endian, red at bit 16.
        if size == 4:
            return [int.from_bytes(data[i:i + 3], "little") for i in range(0, len(data), 4)]
        return [int.from_bytes(data[i:i + 3], "little") for i in range(0, len(data), 3)]

    def put_block(self, x, y, w, h, pixels):
        if len(pixels) != w * h:
            raise RfbError("short rectangle")
        for j in range(h):
            self.fb[y + j][x:x + w] = pixels[j * w:(j + 1) * w]

    def fill(self, x, y, w, h, c):
        for j in range(h):
            self.fb[y + j][x:x + w] = [c] * w

    def hextile(self, x, y, w, h):
        bg = fg = 0
        for ty in range(y, y + h, 16):
            for tx in range(x, x + w, 16):
                tw, th = min(16, x + w - tx), min(16, y + h - ty)
                flags = self.recv(1)[0]
                if flags & 1:
                    self.put_block(tx, ty, tw, th, self.pixels(self.recv(tw * th * 4), 4))
                    continue
                if flags & 2:
                    bg = self.pixels(self.recv(4), 4)[0]
                self.fill(tx, ty, tw, th, bg)
                if flags & 4:
                    fg = self.pixels(self.recv(4), 4)[0]
                if flags & 8:
                    for _ in range(self.recv(1)[0]):
                        c = self.pixels(self.recv(4), 4)[0] if flags & 16 else fg
                        xy, wh = self.recv(2)
                        self.fill(tx + (xy >> 4), ty + (xy & 15), (wh >> 4) + 1, (wh & 15) + 1, c)

    def tight(self, x, y, w, h):
        control = self.recv(1)[0]
        for s in range(4):
            if control & (1 << s):
                self.zstreams.pop(s, None)
        kind = control >> 4
        if kind == 8:
            self.fill(x, y, w, h, self.pixels(self.recv(3), 3)[0])
            return
        if kind > 7 or kind & 4:
            raise RfbError(f"unexpected tight control {control:#x}")
        size = w * h * 3
        if size < 12:
            data = self.recv(size)
        else:
            length, shift = 0, 0
            while True:
                b = self.recv(1)[0]
                length |= (b & 0x7f if shift < 14 else b) << shift
                if not b & 0x80 or shift == 14:
                    break
                shift += 7
            data = self.inflate(kind & 3, length)
        self.put_block(x, y, w, h, self.pixels(data, 3))

    def zrle(self, x, y, w, h):
        data = self.inflate(5, struct.unpack(">I", self.recv(4))[0])
        at = 0
        for ty in range(y, y + h, 64):
            for tx in range(x, x + w, 64):
                tw, th = min(64, x + w - tx), min(64, y + h - ty)
                sub = data[at]
                at += 1
                if sub == 0:
                    self.put_block(tx, ty, tw, th, self.pixels(data[at:at + tw * th * 3], 3))
                    at += tw * th * 3
                elif sub == 1:
                    self.fill(tx, ty, tw, th, self.pixels(data[at:at + 3], 3)[0])
                    at += 3
                elif sub <= 16:
                    palette = self.pixels(data[at:at + 3 * sub], 3)
                    at += 3 * sub
                    bits = 1 if sub == 2 else 2 if sub <= 4 else 4
                    per_row = (tw * bits + 7) // 8
                    for j in range(th):
                        row = data[at:at + per_row]
                        at += per_row
                        for i in range(tw):
                            bit = i * bits
                            index = (row[bit // 8] >> (8 - bits - bit % 8)) & ((1 << bits) - 1)
                            self.fb[ty + j][tx + i] = palette[index]
                else:
                    raise RfbError(f"unexpected ZRLE subencoding {sub}")


def read_ppm(path):
    """(width, height, rows of 0xRRGGBB) of a binary PPM."""
    with open(path, "rb") as f:
        data = f.read()
    parts = data.split(b"\n", 3)
    width, height = map(int, parts[1].split())
    pixels = parts[3]
    rows = []
    for y in range(height):
        row = pixels[y * width * 3:(y + 1) * width * 3]
        rows.append([int.from_bytes(row[i:i + 3], "big") for i in range(0, len(row), 3)])
    return width, height, rows


def read_png(path):
    """(width, height, rows of 0xRRGGBB) of an 8-bit RGB or RGBA PNG."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    at, idat = 8, b""
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            if depth != 8 or colour not in (2, 6):
                raise ValueError("unsupported PNG")
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(height):
        filt = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if filt == 1:
                line[i] = (line[i] + a) & 0xff
            elif filt == 2:
                line[i] = (line[i] + b) & 0xff
            elif filt == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xff
            elif filt == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 0xff
        rows.append([int.from_bytes(line[i:i + 3], "big") for i in range(0, stride, bpp)])
        prev = line
    return width, height, rows
