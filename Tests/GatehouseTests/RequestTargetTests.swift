import Gatehouse
import Testing

/// One case per request-target class of DESIGN §5: what is refused and why, what is accepted and
/// how it is read.
@Suite struct RequestTargetTests {
    static let refused: [(String, TargetError)] = [
        ("", .empty),
        ("/" + String(repeating: "a", count: 8200), .tooLong),
        ("http://internal/admin", .absoluteForm),
        ("example.com:443", .notOriginForm),
        ("*", .asteriskForm),
        ("/a#frag", .fragment),
        ("/a/./b", .dotSegment),
        ("/a/../b", .dotSegment),
        ("/a/..", .dotSegment),
        ("/a/%2e%2e/b", .dotSegment),
        ("/a/%2E/b", .dotSegment),
        ("/a/.%2e/b", .dotSegment),
        ("/a%2Fb", .encodedSlash),
        ("/a%2fb", .encodedSlash),
        ("/a\\b", .backslash),
        ("/a%5Cb", .encodedBackslash),
        ("/a%5cb", .encodedBackslash),
        ("/a;jsessionid=1", .semicolon),
        ("/a%3Bb", .semicolon),
        ("/a%00b", .controlCharacter),
        ("/a\u{01}b", .controlCharacter),
        ("/a b", .controlCharacter),
        ("/a%0Ab", .controlCharacter),
        ("/a%7Fb", .controlCharacter),
        ("/a%252Fb", .doubleEncoding),
        ("/a%25b", .doubleEncoding),
        ("/a%C3%28", .invalidUTF8),
        ("/a%C0%AE%C0%AE/b", .invalidUTF8),
        ("/a%C0%AF", .invalidUTF8),
        ("/a%ED%A0%80", .invalidUTF8),
        ("/a%FF", .invalidUTF8),
        ("/a%", .badEscape),
        ("/a%2", .badEscape),
        ("/a%G1", .badEscape),
        ("/a//b", .emptySegment),
        ("//a", .emptySegment),
        ("/a?x=%00", .controlCharacter),
        ("/a?x=%zz", .badEscape),
        ("/a?x=1 2", .controlCharacter),
        ("/café", .nonASCII),
        ("/a?x=\u{FC}", .nonASCII),
        ("/%EF%BC%8E%EF%BC%8E/admin", .compatibilityForm),
        ("/a%C2%A0b", .unicodeSeparator),
        ("/a%C2%85b", .controlCharacter),
        ("/ad%E2%80%8Bmin", .invisibleCharacter),
        ("/cafe%CC%81", .notNFC),
    ]

    static let accepted: [(String, String, [String], String?)] = [
        ("/", "/", [], nil),
        ("/a/b", "/a/b", ["a", "b"], nil),
        ("/a/b/", "/a/b", ["a", "b"], nil),
        ("/a%41", "/aA", ["aA"], nil),
        ("/%7Euser", "/~user", ["~user"], nil),
        ("/caf%C3%A9", "/café", ["café"], nil),
        ("/file%2Etxt", "/file.txt", ["file.txt"], nil),
        ("/a%21b", "/a!b", ["a!b"], nil),
        ("/...", "/...", ["..."], nil),
        ("/a?x=1&y=%2F", "/a", ["a"], "x=1&y=%2F"),
        ("/a?", "/a", ["a"], ""),
    ]

    @Test(arguments: refused)
    func refusedTargets(_ raw: String, _ expected: TargetError) {
        #expect(RequestTarget.parse(raw) == .failure(expected))
    }

    @Test(arguments: accepted)
    func acceptedTargets(_ raw: String, _ path: String, _ segments: [String], _ query: String?) throws {
        let target = try RequestTarget.parse(raw).get()
        #expect(target.path == path)
        #expect(target.segments == segments)
        #expect(target.query == query)
    }

    @Test func everyRefusalClassIsCovered() {
        #expect(Set(Self.refused.map(\.1)) == Set(TargetError.allCases))
    }
}
