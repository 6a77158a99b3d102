import Testing

@testable import Gatehouse

@Suite struct ShadowAnalysisTests {
    /// (earlier pattern, earlier methods, later pattern, later methods, shadowed?)
    static let pairs: [(String, String, String, String, Bool)] = [
        ("/api/**", "", "/api/users/{id}", "[GET]", true),
        ("/api/*", "", "/api/users", "", true),
        ("/api/*", "", "/api/users/1", "", false),
        ("/api/**", "[GET]", "/api/users", "", false),
        ("/api/**", "[GET, POST]", "/api/users", "[POST]", true),
        ("/*/**", "", "/**/x", "", true),
        ("/**", "", "/", "", true),
        ("/*/**", "", "/x/**", "", true),
        ("/**/x", "", "/a/**/x", "", true),
        ("/a/**/x", "", "/**/x", "", false),
        ("/a/{p}", "", "/a/*", "", true),
        ("/a/b", "", "/a/*", "", false),
    ]

    @Test(arguments: pairs)
    func shadowing(_ first: String, _ firstMethods: String, _ second: String, _ secondMethods: String, _ shadowed: Bool)
    {
        func rule(_ id: String, _ path: String, _ methods: String) -> String {
            let list = methods.isEmpty ? "" : ", methods: \(methods)"
            return "  - id: \(id)\n    match: { path: \"\(path)\"\(list) }\n    allow: anyone\n"
        }
        let result = Fixtures.check(
            "version: 1\nrules:\n" + rule("first", first, firstMethods) + rule("second", second, secondMethods))
        let warnings = result.diagnostics.filter { $0.code == "check.shadowed-rule" }
        #expect(warnings.count == (shadowed ? 1 : 0))
        #expect(result.policy != nil)
    }

    /// `covers` against the matcher itself: for every pair of patterns of up to three segments
    /// over `a`, `b`, `*` and `**`, it must say "covers" exactly when every path of up to five
    /// segments over `a`, `b` and `z` that the inner pattern matches, the outer one matches too.
    @Test func coversAgreesWithTheMatcher() throws {
        var patterns: [[PathPattern.Segment]] = [[]]
        var longest: [[PathPattern.Segment]] = [[]]
        for _ in 0..<3 {
            longest = longest.flatMap { pattern in
                [PathPattern.Segment.literal("a"), .literal("b"), .one, .anyDepth].compactMap { next in
                    pattern.last == .anyDepth && next == .anyDepth ? nil : pattern + [next]
                }
            }
            patterns += longest
        }
        var paths: [[String]] = [[]]
        var frontier: [[String]] = [[]]
        for _ in 0..<5 {
            frontier = frontier.flatMap { path in ["a", "b", "z"].map { path + [$0] } }
            paths += frontier
        }
        let compiled = patterns.map { PathPattern(text: "", segments: $0) }
        let matched = compiled.map { pattern in Set(paths.indices.filter { pattern.match(paths[$0]) != nil }) }
        var checked = 0
        for outer in patterns.indices {
            for inner in patterns.indices {
                let expected = matched[inner].isSubset(of: matched[outer])
                let found = ShadowAnalysis.covers(patterns[outer], patterns[inner])
                #expect(found == expected, "\(compiled[outer].segments) covers \(compiled[inner].segments)")
                checked += 1
            }
        }
        #expect(checked > 5_000)
    }
}
