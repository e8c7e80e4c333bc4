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

} // namespace

void checkPickleLengths(const char* data, size_t size, const std::string& path)
{
    const auto* bytes = reinterpret_cast<const unsigned char*>(data);
    const unsigned char* end = bytes + size;
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
