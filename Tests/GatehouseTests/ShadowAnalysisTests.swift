import Gatehouse
import Testing

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
}
