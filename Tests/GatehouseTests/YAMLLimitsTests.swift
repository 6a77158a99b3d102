import Foundation
import Gatehouse
import Testing

@Suite struct YAMLLimitsTests {
    @Test func nestingDeeperThan64LevelsIsRefused() {
        let deep = "version: 1\nrules: " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        let result = Fixtures.check(deep)
        #expect(result.diagnostics.map(\.code) == ["yaml.too-deep"])
    }

    @Test func aMillionOpenBracketsIsRefusedWithoutRecursion() {
        let hostile = "a: " + String(repeating: "[", count: 1_000_000)
        #expect(Fixtures.check(hostile).diagnostics.map(\.code) == ["yaml.too-deep"])
    }

    /// A repeated key is found in a small mapping (whose keys are searched in order) and in a large
    /// one (whose keys are indexed once it has 16), and named with the line of its first use.
    @Test(arguments: [2, 15, 16, 17, 40])
    func duplicateKeysAreFoundInMappingsOfEverySize(keys: Int) {
        let lines = (1...keys).map { "k\($0): \($0)" } + ["k2: again", "k\(keys): again"]
        let result = YAMLReader.read(SourceFile(name: "x", text: lines.joined(separator: "\n") + "\n"))
        guard case .failure(let list) = result else {
            Issue.record("a mapping with repeated keys was read")
            return
        }
        #expect(list.diagnostics.map(\.code) == ["yaml.duplicate-key", "yaml.duplicate-key"])
        #expect(list.diagnostics.map(\.location?.line) == [keys + 1, keys + 2])
        #expect(
            list.diagnostics.map(\.help) == [
                "`k2` is already set at line 2; each key may appear once",
                "`k\(keys)` is already set at line \(keys); each key may appear once",
            ])
    }

    @Test func sixtyFourLevelsAreAccepted() {
        let text = "x: " + String(repeating: "[", count: 63) + String(repeating: "]", count: 63)
        #expect(YAMLReader.read(SourceFile(name: "x", text: text)).isSuccess)
    }

    @Test func filesOver4MiBAreRefused() {
        let big = "version: 1\n# " + String(repeating: "x", count: 4 * 1024 * 1024) + "\nrules: []\n"
        #expect(Fixtures.check(big).diagnostics.map(\.code) == ["yaml.too-large"])
    }

    @Test func billionLaughsIsRefusedAtTheFirstAnchor() {
        var text = "version: 1\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        var previous = "a"
        for name in "bcdefghijklmnopqrstuvwxyz" {
            text += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ", ") + "]\n"
            previous = String(name)
        }
        let codes = Set(Fixtures.check(text).diagnostics.map(\.code))
        #expect(codes == ["yaml.anchor", "yaml.alias"])
    }

    @Test func scalarsKeepTheirTextAsWritten() throws {
        let policy = try #require(
            Fixtures.check(
                """
                version: 1
                name: no
                providers:
                  on:
                    kind: keycloak
                    url: https://sso.example.com
                    realm: "0123"
                    audiences: [off]
                rules:
                  - id: yes
                    match: { path: /a }
                    allow: anyone
                """
            ).policy)
        #expect(policy.name == "no")
        #expect(policy.providers.map(\.id) == ["on"])
        #expect(policy.providers[0].issuer == "https://sso.example.com/realms/0123")
        #expect(policy.providers[0].audiences == ["off"])
        #expect(policy.rules.map(\.id) == ["yes"])
    }

    @Test func moreThanOneDocumentIsRefused() {
        #expect(
            Fixtures.check("version: 1\nrules: []\n---\nversion: 1\n").diagnostics.map(\.code) == [
                "yaml.multiple-documents"
            ])
    }

    @Test func anEmptyFileIsRefused() {
        #expect(Fixtures.check("# nothing\n").diagnostics.map(\.code) == ["yaml.empty"])
    }

    @Test func diagnosticsAreSortedAndAllCollected() {
        let result = Fixtures.check(
            """
            version: 1
            schemes: [bearr]
            rules:
              - id: a
                match: { path: /a, methods: [get] }
                allow: everyone
            defualt: deny
            """)
        #expect(
            result.diagnostics.map(\.code) == [
                "check.unknown-scheme", "check.invalid-method", "check.invalid-value", "check.unknown-key",
            ])
        #expect(result.diagnostics.map { $0.location?.line } == [2, 5, 6, 7])
        #expect(result.diagnostics.last?.help == "did you mean `default`?")
    }
}

extension Result {
    var isSuccess: Bool { if case .success = self { true } else { false } }
}
