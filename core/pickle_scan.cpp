#include "core/pickle_scan.h"

#include "core/errors.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

namespace difflens {

namespace {

uint64_t littleEndian(const unsigned char* p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

/** Bytes an opcode's length prefix takes (1, 4 or 8) for the opcodes that carry a run of raw bytes, else 0. */
int lengthPrefix(unsigned char op)
{
    switch (op) {
    case 'C': case 'U': case 0x8c: case 0x8a: return 1; // SHORT_BINBYTES, SHORT_BINSTRING, SHORT_BINUNICODE, LONG1
    case 'X': case 'B': case 'T': case 0x8b: return 4;  // BINUNICODE, BINBYTES, BINSTRING, LONG4
    case 0x8d: case 0x8e: case 0x96: return 8;          // BINUNICODE8, BINBYTES8, BYTEARRAY8
    default: return 0;
    }
}

/** Fixed-size argument bytes of the other opcodes torch.save and TorchScript write; -1: not known here. */
int fixedArgument(unsigned char op)
{
    switch (op) {
    case 0x80: case 'q': case 'h': case 'K': return 1;  // PROTO, BINPUT, BINGET, BININT1
    case 'M': return 2;                                  // BININT2
    case 'r': case 'j': case 'J': return 4;              // LONG_BINPUT, LONG_BINGET, BININT
    case 'G': case 0x95: return 8;                       // BINFLOAT, FRAME
    case '}': case ']': case ')': case '(': case 't': case 0x85: case 0x86: case 0x87: case 'R': case 'b':
    case 's': case 'u': case 'a': case 'e': case 0x88: case 0x89: case 'N': case 'Q': case 0x94: case '0':
    case '1': case '2': case 0x81: case 0x92: case 0x90: case 0x91:
        return 0; // containers, marks, constants, memo, NEWOBJ, NEWOBJ_EX, ADDITEMS, FROZENSET
    default: return -1;
    }
}

/** Walks one pickle from `begin`; `end` is the end of the file (the record cannot reach past it). */
void scanPickle(const unsigned char* p, const unsigned char* end, const std::string& path, const std::string& record)
{
    while (p < end) {
        const unsigned char op = *p++;
        if (op == '.') return; // STOP
        if (op == 'c') {       // GLOBAL: "module\nname\n"
            for (int line = 0; line < 2; ++line) {
                const void* nl = std::memchr(p, '\n', static_cast<size_t>(end - p));
                if (!nl) return;
                p = static_cast<const unsigned char*>(nl) + 1;
            }
            continue;
        }
        if (const int prefix = lengthPrefix(op)) {
            if (end - p < prefix) return;
            const uint64_t n = littleEndian(p, prefix);
            p += prefix;
            const auto left = static_cast<uint64_t>(end - p);
            if (n > left)
                throw DataError("'" + path + "' is damaged: its record " + record + " claims a string of " +
                                std::to_string(n) + " bytes where the file has " + std::to_string(left) + " left");
            p += n;
            continue;
        }
        const int fixed = fixedArgument(op);
        if (fixed < 0 || end - p < fixed) return; // an opcode this scan does not know: LibTorch decides
        p += fixed;
    }
}

/** The zip's own bookkeeping, checked the way a reader relies on it (PKWARE APPNOTE 4.3): the end record, then
    every central directory entry and the local header it points to, all inside the file. LibTorch's miniz
    trusts these offsets (fuzz_tensor_file: a memmove from a wild address in mz_zip_reader_init). Zip64
    archives (fields at their 0xFFFF.. escape values: files past 4 GB) are left to LibTorch. */
void checkZipStructure(const unsigned char* bytes, size_t size, const std::string& path)
{
    const auto refuse = [&](const std::string& what) {
        throw DataError("'" + path + "' is a damaged zip archive (" + what + "); a file written by torch.save or "
                        "torch.jit.save is a whole zip archive");
    };
    // End of central directory: "PK\5\6" and 18 bytes of fields, then a comment of up to 65,535 bytes.
    const size_t kEnd = 22;
    if (size < kEnd) refuse("too short for its end record");
    size_t eocd = size - kEnd;
    const size_t lowest = size > kEnd + 65535 ? size - kEnd - 65535 : 0;
    while (std::memcmp(bytes + eocd, "PK\x05\x06", 4) != 0) {
        if (eocd == lowest) refuse("no end-of-central-directory record");
        --eocd;
    }
    const uint64_t disk = littleEndian(bytes + eocd + 4, 2), cdDisk = littleEndian(bytes + eocd + 6, 2);
    const uint64_t entriesHere = littleEndian(bytes + eocd + 8, 2), entries = littleEndian(bytes + eocd + 10, 2);
    const uint64_t cdSize = littleEndian(bytes + eocd + 12, 4), cdOffset = littleEndian(bytes + eocd + 16, 4);
    if (entries == 0xFFFF || entriesHere == 0xFFFF || cdSize == 0xFFFFFFFF || cdOffset == 0xFFFFFFFF) return;
    if (disk != 0 || cdDisk != 0 || entriesHere != entries) refuse("it claims to span several disks");
    if (entries == 0) refuse("no entries");
    if (cdOffset > eocd || cdSize > eocd - cdOffset) refuse("the central directory lies outside the file");
    // Central directory entries: "PK\1\2", 42 bytes of fields, name, extra, comment.
    size_t at = cdOffset;
    for (uint64_t i = 0; i < entries; ++i) {
        if (at + 46 > cdOffset + cdSize || std::memcmp(bytes + at, "PK\x01\x02", 4) != 0)
            refuse("central directory entry " + std::to_string(i + 1) + " is missing");
        const uint64_t packed = littleEndian(bytes + at + 20, 4), local = littleEndian(bytes + at + 42, 4);
        const size_t entryEnd = at + 46 + littleEndian(bytes + at + 28, 2) + littleEndian(bytes + at + 30, 2) +
                                littleEndian(bytes + at + 32, 2);
        if (entryEnd > cdOffset + cdSize) refuse("central directory entry " + std::to_string(i + 1) + " is cut off");
        if (packed == 0xFFFFFFFF || local == 0xFFFFFFFF) return; // zip64 extra fields: LibTorch's to judge
        if (local + 30 > cdOffset || std::memcmp(bytes + local, "PK\x03\x04", 4) != 0)
            refuse("entry " + std::to_string(i + 1) + " points to no local header");
        const uint64_t dataStart = local + 30 + littleEndian(bytes + local + 26, 2) + littleEndian(bytes + local + 28, 2);
        if (dataStart > cdOffset || packed > cdOffset - dataStart)
            refuse("entry " + std::to_string(i + 1) + " runs past the central directory");
        at = entryEnd;
    }
}

} // namespace

void checkPickleLengths(const char* data, size_t size, const std::string& path)
{
    const auto* bytes = reinterpret_cast<const unsigned char*>(data);
    const unsigned char* end = bytes + size;
    if (size >= 4 && std::memcmp(bytes, "PK\x03\x04", 4) == 0) checkZipStructure(bytes, size, path);
    // Local file headers: "PK\3\4", 26 bytes of fields (name length at +26, extra length at +28), name, extra.
    for (size_t at = 0; at + 30 <= size; ++at) {
        if (std::memcmp(bytes + at, "PK\x03\x04", 4) != 0) continue;
        const size_t nameLength = littleEndian(bytes + at + 26, 2), extraLength = littleEndian(bytes + at + 28, 2);
        const size_t dataStart = at + 30 + nameLength + extraLength;
        if (dataStart > size) break;
        const std::string name(reinterpret_cast<const char*>(bytes + at + 30), nameLength);
        if (name.size() >= 4 && name.compare(name.size() - 4, 4, ".pkl") == 0)
            scanPickle(bytes + dataStart, end, path, "'" + name + "'");
        at = dataStart - 1;
    }
}

void checkPickleLengthsOfFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) return;
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    checkPickleLengths(bytes.data(), bytes.size(), path);
}

} // namespace difflens
