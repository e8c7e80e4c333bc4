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

/** The zip's own bookkeeping, checked the way a reader relies on it (PKWARE APPNOTE 4.3, zip64 included): the
    end record, then every central directory entry and the local header it points to, all inside the file, and
    each record's stated size possible for the bytes it has. LibTorch's miniz trusts these numbers: a wild central
    directory offset made mz_zip_reader_init memmove from outside the file, and a record claiming 4 GB made
    getRecord allocate that much before reading it (fuzz_tensor_file, fuzz_model_file). */
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
    uint64_t disk = littleEndian(bytes + eocd + 4, 2), cdDisk = littleEndian(bytes + eocd + 6, 2);
    uint64_t entriesHere = littleEndian(bytes + eocd + 8, 2), entries = littleEndian(bytes + eocd + 10, 2);
    uint64_t cdSize = littleEndian(bytes + eocd + 12, 4), cdOffset = littleEndian(bytes + eocd + 16, 4);
    uint64_t cdLimit = eocd; // where the central directory must end
    if (entries == 0xFFFF || entriesHere == 0xFFFF || cdSize == 0xFFFFFFFF || cdOffset == 0xFFFFFFFF) {
        // Zip64: a 20-byte locator ("PK\6\7") just before the end record points to the zip64 end record
        // ("PK\6\6": disk numbers at +16 and +20, entries at +24 and +32, size at +40, offset at +48).
        if (eocd < 20 || std::memcmp(bytes + eocd - 20, "PK\x06\x07", 4) != 0) refuse("no zip64 end locator");
        const uint64_t record = littleEndian(bytes + eocd - 20 + 8, 8);
        if (record > eocd - 20 || eocd - 20 - record < 56 || std::memcmp(bytes + record, "PK\x06\x06", 4) != 0)
            refuse("no zip64 end record");
        disk = littleEndian(bytes + record + 16, 4);
        cdDisk = littleEndian(bytes + record + 20, 4);
        entriesHere = littleEndian(bytes + record + 24, 8);
        entries = littleEndian(bytes + record + 32, 8);
        cdSize = littleEndian(bytes + record + 40, 8);
        cdOffset = littleEndian(bytes + record + 48, 8);
        cdLimit = record;
    }
    if (disk != 0 || cdDisk != 0 || entriesHere != entries) refuse("it claims to span several disks");
    if (entries == 0) refuse("no entries");
    if (cdOffset > cdLimit || cdSize > cdLimit - cdOffset) refuse("the central directory lies outside the file");
    if (entries > cdSize / 46) refuse("more entries than its central directory holds");
    // Central directory entries: "PK\1\2", 42 bytes of fields, name, extra, comment.
    uint64_t entry = cdOffset;
    const uint64_t cdEnd = cdOffset + cdSize;
    for (uint64_t i = 0; i < entries; ++i) {
        const std::string which = "entry " + std::to_string(i + 1);
        if (entry + 46 > cdEnd || std::memcmp(bytes + entry, "PK\x01\x02", 4) != 0)
            refuse("central directory " + which + " is missing");
        const uint64_t method = littleEndian(bytes + entry + 10, 2);
        uint64_t packed = littleEndian(bytes + entry + 20, 4), unpacked = littleEndian(bytes + entry + 24, 4);
        uint64_t local = littleEndian(bytes + entry + 42, 4);
        const uint64_t nameLength = littleEndian(bytes + entry + 28, 2), extraLength = littleEndian(bytes + entry + 30, 2);
        const uint64_t entryEnd = entry + 46 + nameLength + extraLength + littleEndian(bytes + entry + 32, 2);
        if (entryEnd > cdEnd) refuse("central directory " + which + " is cut off");
        if (unpacked == 0xFFFFFFFF || packed == 0xFFFFFFFF || local == 0xFFFFFFFF) {
            // Zip64 extra field (id 1): 8-byte values for exactly the fields at their escape value, in this order.
            uint64_t field = entry + 46 + nameLength;
            const uint64_t fieldsEnd = field + extraLength;
            bool found = false;
            while (!found && field + 4 <= fieldsEnd) {
                const uint64_t id = littleEndian(bytes + field, 2), length = littleEndian(bytes + field + 2, 2);
                if (field + 4 + length > fieldsEnd) break;
                if (id == 1) {
                    uint64_t value = field + 4;
                    const uint64_t valuesEnd = value + length;
                    for (uint64_t* v : {&unpacked, &packed, &local}) {
                        if (*v != 0xFFFFFFFF) continue;
                        if (value + 8 > valuesEnd) refuse(which + "'s zip64 sizes are cut off");
                        *v = littleEndian(bytes + value, 8);
                        value += 8;
                    }
                    found = true;
                }
                field += 4 + length;
            }
            if (!found) refuse(which + " has no zip64 sizes");
        }
        if (local > cdOffset || cdOffset - local < 30 || std::memcmp(bytes + local, "PK\x03\x04", 4) != 0)
            refuse(which + " points to no local header");
        const uint64_t dataStart = local + 30 + littleEndian(bytes + local + 26, 2) + littleEndian(bytes + local + 28, 2);
        if (dataStart > cdOffset || packed > cdOffset - dataStart) refuse(which + " runs past the central directory");
        // Stored records (all PyTorch writes) are as long unpacked as packed; deflate expands at most ~1032x.
        if (method == 0 ? unpacked != packed : unpacked / 1032 > packed + 1)
            refuse(which + " claims " + std::to_string(unpacked) + " bytes from " + std::to_string(packed));
        entry = entryEnd;
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
