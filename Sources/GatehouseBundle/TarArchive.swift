/// A POSIX ustar archive of regular files, read and written strictly: what a bundle is on the
/// wire. Only what a bundle needs is accepted; anything a tar tool might read differently is
/// refused, never guessed at: absolute paths, `..` or `.` segments, empty segments, backslashes,
/// links, devices, directories with content, pax and GNU extension headers, a name given twice,
/// a bad header checksum, data after the end of the archive, more than ``maxMembers`` members or
/// ``maxBytes`` in all.
struct TarArchive: Sendable, Equatable {
    /// One regular file.
    struct Member: Sendable, Equatable {
        let name: String
        let bytes: [UInt8]
    }

    /// The files, in archive order.
    let members: [Member]

    /// The largest archive read, in bytes: a policy and its files are far smaller.
    static let maxBytes = 16 * 1024 * 1024
    /// The most members read.
    static let maxMembers = 256

    /// The member `name`, if any.
    func member(_ name: String) -> Member? { members.first { $0.name == name } }

    // MARK: Reading

    /// Reads `bytes`, or says why the archive is refused.
    static func read(_ bytes: [UInt8]) throws(BundleError) -> TarArchive {
        guard bytes.count <= maxBytes else {
            throw .unsafeArchive("the bundle is larger than \(maxBytes / 1024 / 1024) MiB")
        }
        guard bytes.count % 512 == 0 else {
            throw .unsafeArchive("the bundle is not a tar archive (its size is not whole 512-byte blocks)")
        }
        var members: [Member] = []
        var names: Set<String> = []
        var offset = 0
        while offset + 512 <= bytes.count {
            let header = Array(bytes[offset..<offset + 512])
            if header.allSatisfy({ $0 == 0 }) {  // the end-of-archive blocks: nothing may follow
                guard bytes[offset...].allSatisfy({ $0 == 0 }) else {
                    throw .unsafeArchive("the bundle has data after the end of the archive")
                }
                break
            }
            try checkChecksum(header)
            guard Array(header[257..<262]) == Array("ustar".utf8) else {
                throw .unsafeArchive("member at byte \(offset) is not a ustar header")
            }
            let type = header[156]
            if [UInt8(ascii: "x"), UInt8(ascii: "g"), UInt8(ascii: "L"), UInt8(ascii: "K")].contains(type) {
                throw .unsafeArchive("the bundle has an extension header (pax or GNU); a bundle is plain ustar")
            }
            let name = try memberName(header)
            let size = try octal(header[124..<136], "size of `\(name)`")
            let dataStart = offset + 512
            let padded = (size + 511) / 512 * 512
            guard dataStart + padded <= bytes.count else {
                throw .unsafeArchive("`\(name)` runs past the end of the bundle")
            }
            switch type {
            case UInt8(ascii: "0"), 0:
                guard names.insert(name).inserted else { throw .unsafeArchive("`\(name)` is in the bundle twice") }
                guard members.count < maxMembers else {
                    throw .unsafeArchive("the bundle has more than \(maxMembers) files")
                }
                members.append(Member(name: name, bytes: Array(bytes[dataStart..<dataStart + size])))
            case UInt8(ascii: "5"):
                guard size == 0 else { throw .unsafeArchive("directory `\(name)` has content") }
            case UInt8(ascii: "1"), UInt8(ascii: "2"):
                throw .unsafeArchive("`\(name)` is a link; a bundle holds regular files only")
            default:
                throw .unsafeArchive("`\(name)` is not a regular file (type `\(Character(Unicode.Scalar(type)))`)")
            }
            offset = dataStart + padded
        }
        return TarArchive(members: members)
    }

    /// A member's name: `prefix/name`, a relative path of plain segments.
    private static func memberName(_ header: [UInt8]) throws(BundleError) -> String {
        func field(_ range: Range<Int>) -> [UInt8] { Array(header[range].prefix { $0 != 0 }) }
        let prefix = field(345..<500)
        let raw = prefix.isEmpty ? field(0..<100) : prefix + [UInt8(ascii: "/")] + field(0..<100)
        guard let name = String(validating: raw, as: UTF8.self) else {
            throw .unsafeArchive("a member's name is not UTF-8")
        }
        let trimmed = name.hasSuffix("/") ? String(name.dropLast()) : name
        guard let problem = pathProblem(trimmed) else { return trimmed }
        throw .unsafeArchive("member `\(name)` \(problem)")
    }

    /// Why `path` is not a safe member name, if it is not: a relative path whose segments are
    /// neither empty, `.` nor `..`, without backslashes or control characters.
    static func pathProblem(_ path: String) -> String? {
        if path.isEmpty { return "has no name" }
        if path.hasPrefix("/") { return "is an absolute path" }
        if path.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "\\") }) {
            return "has a backslash or a control character"
        }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        if segments.contains(where: { $0 == ".." }) { return "climbs out of the bundle (`..`)" }
        if segments.contains(where: { $0.isEmpty || $0 == "." }) { return "has an empty or `.` segment" }
        return nil
    }

    private static func checkChecksum(_ header: [UInt8]) throws(BundleError) {
        let expected = try octal(header[148..<156], "a header checksum")
        var sum = 0
        for (index, byte) in header.enumerated() { sum += (148..<156).contains(index) ? 32 : Int(byte) }
        guard sum == expected else { throw .unsafeArchive("a header's checksum does not match") }
    }

    /// An octal number field (NUL or space terminated).
    private static func octal(_ field: ArraySlice<UInt8>, _ what: String) throws(BundleError) -> Int {
        let digits = field.prefix { $0 != 0 && $0 != UInt8(ascii: " ") }.drop { $0 == UInt8(ascii: " ") }
        guard !digits.isEmpty, digits.count <= 11, digits.allSatisfy({ (0x30...0x37).contains($0) }) else {
            throw .unsafeArchive("\(what) is not an octal number")
        }
        return digits.reduce(0) { $0 * 8 + Int($1 - 0x30) }
    }

    // MARK: Writing

    /// The archive as bytes: each member with a ustar header (mode 0644, owner 0, the given time),
    /// then two zero blocks.
    func bytes(modified: Int) -> [UInt8] {
        var out: [UInt8] = []
        for member in members {
            var header = [UInt8](repeating: 0, count: 512)
            func put(_ text: String, at offset: Int) {
                for (index, byte) in text.utf8.enumerated() { header[offset + index] = byte }
            }
            func octalField(_ value: Int, _ width: Int) -> String {
                let digits = String(value, radix: 8)
                return String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits
            }
            let (prefix, name) = Self.split(member.name)
            put(name, at: 0)
            put(octalField(0o644, 8), at: 100)
            put(octalField(0, 8), at: 108)
            put(octalField(0, 8), at: 116)
            put(octalField(member.bytes.count, 12), at: 124)
            put(octalField(modified, 12), at: 136)
            put("        ", at: 148)
            header[156] = UInt8(ascii: "0")
            put("ustar", at: 257)
            put("00", at: 263)
            put(prefix, at: 345)
            let sum = header.reduce(0) { $0 + Int($1) }
            put(octalField(sum, 7) + "\u{0} ", at: 148)
            out += header
            out += member.bytes
            out += [UInt8](repeating: 0, count: (512 - member.bytes.count % 512) % 512)
        }
        return out + [UInt8](repeating: 0, count: 1024)
    }

    /// A name as ustar's prefix (up to 155 bytes) and name (up to 100) fields, split at a `/`.
    private static func split(_ path: String) -> (String, String) {
        guard path.utf8.count > 100,
            let slash = path.utf8.indices.last(where: {
                path.utf8[$0] == UInt8(ascii: "/")
                    && path.utf8.distance(from: path.utf8.index(after: $0), to: path.utf8.endIndex) <= 100
            })
        else { return ("", path) }
        return (String(path[..<slash]), String(path[path.index(after: slash)...]))
    }
}
