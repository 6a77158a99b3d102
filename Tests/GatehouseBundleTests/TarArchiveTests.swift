import Testing

@testable import GatehouseBundle

/// The archive reader refuses everything a tar tool could read differently from us.
struct TarArchiveTests {
    /// One header for `name` of `type` announcing `size` bytes (with `magic`), then the content,
    /// padded to whole blocks.
    static func entry(
        _ name: String, type: Character = "0", content: [UInt8] = [], size: Int? = nil, magic: String = "ustar"
    ) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) {
            for (index, byte) in text.utf8.enumerated() { header[offset + index] = byte }
        }
        func octal(_ value: Int, _ width: Int) -> String {
            let digits = String(value, radix: 8)
            return String(repeating: "0", count: width - digits.count) + digits
        }
        put(name, at: 0)
        put(octal(0o644, 7), at: 100)
        put(octal(size ?? content.count, 11), at: 124)
        put(octal(0, 11), at: 136)
        put("        ", at: 148)
        header[156] = type.asciiValue!
        put(magic, at: 257)
        put("00", at: 263)
        put(octal(header.reduce(0) { $0 + Int($1) }, 6) + "\u{0} ", at: 148)
        return header + content + [UInt8](repeating: 0, count: (512 - content.count % 512) % 512)
    }

    static let end = [UInt8](repeating: 0, count: 1024)

    @Test func whatIsWrittenIsReadBack() throws {
        let archive = TarArchive(members: [
            TarArchive.Member(name: "policy.yaml", bytes: Array("version: 1\n".utf8)),
            TarArchive.Member(name: "deep/" + String(repeating: "d", count: 120) + "/htpasswd", bytes: []),
        ])
        #expect(try TarArchive.read(archive.bytes(modified: 0)) == archive)
        #expect(try TarArchive.read(Self.entry("a.yaml", content: [65]) + Self.end).members.map(\.name) == ["a.yaml"])
    }

    @Test(arguments: [
        ("/etc/passwd", "member `/etc/passwd` is an absolute path"),
        ("../outside", "member `../outside` climbs out of the bundle (`..`)"),
        ("files/../../outside", "member `files/../../outside` climbs out of the bundle (`..`)"),
        ("./policy.yaml", "member `./policy.yaml` has an empty or `.` segment"),
        ("a//b", "member `a//b` has an empty or `.` segment"),
        ("a\\b", "member `a\\b` has a backslash or a control character"),
        ("a\u{1}b", "member `a\u{1}b` has a backslash or a control character"),
    ])
    func unsafeNamesAreRefused(_ name: String, _ why: String) {
        #expect(throws: BundleError.unsafeArchive(why)) { try TarArchive.read(Self.entry(name) + Self.end) }
    }

    @Test(arguments: [
        ("2", "`passwd` is a link; a bundle holds regular files only"),
        ("1", "`passwd` is a link; a bundle holds regular files only"),
        ("x", "the bundle has an extension header (pax or GNU); a bundle is plain ustar"),
        ("g", "the bundle has an extension header (pax or GNU); a bundle is plain ustar"),
        ("L", "the bundle has an extension header (pax or GNU); a bundle is plain ustar"),
        ("3", "`passwd` is not a regular file (type `3`)"),
        ("6", "`passwd` is not a regular file (type `6`)"),
    ])
    func onlyRegularFilesAreTaken(_ type: String, _ why: String) {
        #expect(throws: BundleError.unsafeArchive(why)) {
            try TarArchive.read(Self.entry("passwd", type: Character(type)) + Self.end)
        }
    }

    @Test func aNameGivenTwiceIsRefused() {
        let twice = Self.entry("policy.yaml", content: [65]) + Self.entry("policy.yaml", content: [66]) + Self.end
        #expect(throws: BundleError.unsafeArchive("`policy.yaml` is in the bundle twice")) {
            try TarArchive.read(twice)
        }
        let viaDirectory = Self.entry("a/", type: "5") + Self.entry("a", content: [65]) + Self.entry("a/", type: "5")
        #expect(throws: Never.self) { try TarArchive.read(viaDirectory + Self.end) }
    }

    @Test func oversizeIsRefused() {
        let big = [UInt8](repeating: 0, count: TarArchive.maxBytes + 512)
        #expect(throws: BundleError.unsafeArchive("the bundle is larger than 16 MiB")) { try TarArchive.read(big) }
        var many: [UInt8] = []
        for index in 0...TarArchive.maxMembers { many += Self.entry("f\(index)") }
        #expect(throws: BundleError.unsafeArchive("the bundle has more than 256 files")) {
            try TarArchive.read(many + Self.end)
        }
    }

    @Test func malformedArchivesAreRefused() {
        var corrupted = Self.entry("policy.yaml", content: [65]) + Self.end
        corrupted[0] = UInt8(ascii: "q")
        #expect(throws: BundleError.unsafeArchive("a header's checksum does not match")) {
            try TarArchive.read(corrupted)
        }
        #expect(throws: BundleError.unsafeArchive("`policy.yaml` runs past the end of the bundle")) {
            try TarArchive.read(Self.entry("policy.yaml", size: 4096))
        }
        #expect(
            throws: BundleError.unsafeArchive(
                "the bundle is not a tar archive (its size is not whole 512-byte blocks)")
        ) { try TarArchive.read(Self.entry("policy.yaml") + [0]) }
        #expect(throws: BundleError.unsafeArchive("member at byte 0 is not a ustar header")) {
            try TarArchive.read(Self.entry("policy.yaml", magic: "gnu  ") + Self.end)
        }
        let hidden = Self.entry("policy.yaml") + Self.end + Self.entry("hidden.yaml")
        #expect(throws: BundleError.unsafeArchive("the bundle has data after the end of the archive")) {
            try TarArchive.read(hidden)
        }
        #expect(throws: BundleError.unsafeArchive("directory `files` has content")) {
            try TarArchive.read(Self.entry("files", type: "5", content: [65]) + Self.end)
        }
    }
}
