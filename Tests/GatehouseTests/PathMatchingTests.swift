import Gatehouse
import Testing

@Suite struct PathMatchingTests {
    static let matches: [(String, String, [String: String]?)] = [
        ("/", "/", [:]),
        ("/", "/a", nil),
        ("/a/*", "/a/b", [:]),
        ("/a/*", "/a", nil),
        ("/a/*", "/a/b/c", nil),
        ("/a/**", "/a", [:]),
        ("/a/**", "/a/b/c", [:]),
        ("/a/**", "/ab", nil),
        ("/**/z", "/z", [:]),
        ("/**/z", "/x/y/z", [:]),
        ("/**/z", "/x/y", nil),
        ("/users/{name}/**", "/users/alice", ["name": "alice"]),
        ("/users/{name}/**", "/users/alice/keys/1", ["name": "alice"]),
        ("/users/{name}/keys/{key}", "/users/bob/keys/7", ["name": "bob", "key": "7"]),
        ("/a/**/b/*", "/a/x/b/y", [:]),
        ("/a/**/b/*", "/a/b/y", [:]),
        ("/café/*", "/caf%C3%A9/x", [:]),
    ]

    @Test(arguments: matches)
    func patternMatching(_ pattern: String, _ path: String, _ captures: [String: String]?) throws {
        let parsed = try PathPattern.parse(pattern).get()
        let target = try RequestTarget.parse(path).get()
        #expect(parsed.match(target.segments) == captures)
    }

    /// The compiled trie and a plain scan of the rules agree on random policies and paths.
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func trieAgreesWithLinearScan(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let pieces = ["a", "b", "c", "*", "**", "{p}"]
        var rules = ""
        for index in 0..<150 {
            var segments: [String] = []
            for _ in 0..<random.next(upTo: 5) {
                let piece = pieces[random.next(upTo: pieces.count)]
                if piece == "**" && segments.last == "**" { continue }
                segments.append(piece == "{p}" ? "{p\(segments.count)}" : piece)
            }
            let methods = ["", ", methods: [GET]", ", methods: [POST, PUT]", ", methods: [GET, DELETE]"][
                random.next(upTo: 4)]
            rules +=
                "  - id: r\(index)\n    match: { path: \"/\(segments.joined(separator: "/"))\"\(methods) }\n    allow: anyone\n"
        }
        let policy = try Fixtures.compile("version: 1\nrules:\n" + rules)
        for _ in 0..<3000 {
            let segments = (0..<random.next(upTo: 6)).map { _ in ["a", "b", "c", "d"][random.next(upTo: 4)] }
            for method in ["GET", "POST", "DELETE", "PROPFIND", "BREW"] {
                let mask = MethodMask(requestMethod: method)
                #expect(
                    policy.firstMatch(segments: segments, method: mask)
                        == policy.firstMatchByScan(segments: segments, method: mask),
                    "\(method) /\(segments.joined(separator: "/"))")
            }
        }
    }

    @Test func caseInsensitivePathsWhenThePolicySaysSo() throws {
        let policy = try Fixtures.compile(
            """
            version: 1
            case_sensitive_paths: false
            rules:
              - id: admin
                match: { path: /Admin/** }
                deny: no
            """)
        let decision = Evaluator(policy: policy).decide(
            APIRequest(method: "GET", target: "/aDMIN/x"), identity: nil, now: .now)
        #expect(decision.code == .ruleDeny)
        #expect(decision.rule == "admin")
        let sensitive = try Fixtures.compile(
            "version: 1\nrules:\n  - id: admin\n    match: { path: /Admin/** }\n    deny: no\n")
        #expect(
            Evaluator(policy: sensitive).decide(
                APIRequest(method: "GET", target: "/aDMIN/x"), identity: nil, now: .now
            ).code
                == .defaultDeny)
    }

    /// Patterns and the segments they parse into.
    static let parsed: [(String, [PathPattern.Segment])] = [
        ("/", []),
        (
            "/rest/api/{id}/*/**/z",
            [.literal("rest"), .literal("api"), .parameter("id"), .one, .anyDepth, .literal("z")]
        ),
        ("/caf%C3%A9/é", [.literal("café"), .literal("é")]),
        ("/{_a1}/{B_2}", [.parameter("_a1"), .parameter("B_2")]),
    ]

    @Test(arguments: parsed)
    func parsing(_ pattern: String, _ segments: [PathPattern.Segment]) throws {
        let parsed = try PathPattern.parse(pattern).get()
        #expect(parsed.segments == segments)
        #expect(parsed.text == pattern)
    }

    /// Patterns refused, one for each reason, and the reason.
    static let refused: [(String, String)] = [
        ("rest", "a path pattern starts with `/`"),
        ("", "a path pattern starts with `/`"),
        ("/a?b=1", "a path pattern matches the path only: remove the query or fragment"),
        ("/a#top", "a path pattern matches the path only: remove the query or fragment"),
        ("/a//b", "a path pattern has no empty segments (`//` or a trailing `/`)"),
        ("/a/", "a path pattern has no empty segments (`//` or a trailing `/`)"),
        ("/**/**", "`**` twice in a row"),
        ("/{}", "`{}` is not a valid parameter: use letters, digits and `_`"),
        ("/{1a}", "`{1a}` is not a valid parameter: use letters, digits and `_`"),
        ("/{a-b}", "`{a-b}` is not a valid parameter: use letters, digits and `_`"),
        ("/{é}", "`{é}` is not a valid parameter: use letters, digits and `_`"),
        ("/{a}/x/{a}", "parameter `a` appears twice"),
        ("/a*", "`*` and `**` must be whole segments (found `a*`)"),
        ("/***", "`*` and `**` must be whole segments (found `***`)"),
        ("/x{a}", "a `{parameter}` must be a whole segment (found `x{a}`)"),
        ("/{", "a `{parameter}` must be a whole segment (found `{`)"),
        ("/a%2Fb", "segment `a%2Fb` would never match: it has an encoded slash (`%2F`) in its path"),
        ("/..", "segment `..` would never match: it has a dot segment (`.` or `..`)"),
    ]

    @Test(arguments: refused)
    func refusal(_ pattern: String, _ reason: String) {
        guard case .failure(let error) = PathPattern.parse(pattern) else {
            Issue.record("\(pattern) parsed")
            return
        }
        #expect(error.reason == reason)
    }
}

/// A small deterministic generator for reproducible random tests.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(upTo bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }
}
