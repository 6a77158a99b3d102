import Foundation
import Gatehouse
import Testing

/// Every invalid fixture produces its expected diagnostic, and the full text output matches the
/// golden file beside it. Re-record with `GATEHOUSE_RECORD=1 swift test`.
@Suite struct CheckGoldenTests {
    static let fixtures = Fixtures.files(in: "check", suffix: ".yaml")

    @Test func everyFixtureIsFound() {
        #expect(Self.fixtures.count >= 20)
    }

    @Test(arguments: fixtures)
    func diagnosticsMatchGolden(_ path: String) throws {
        let text = try Fixtures.text(path)
        let expected = try #require(text.split(separator: "\n").first { $0.hasPrefix("# expect: ") })
            .dropFirst("# expect: ".count)
        // Named by its path from the package root, so that files it refers to, like an htpasswd
        // file, are found beside it.
        let source = SourceFile(name: path, text: text)
        let result = PolicyChecker.check(source, files: Fixtures.disk)
        #expect(result.diagnostics.contains { $0.code == expected }, "\(path) should report \(expected)")
        if result.diagnostics.contains(where: { $0.severity == .error }) { #expect(result.policy == nil) }
        let rendered = DiagnosticRenderer(sources: [source]).render(result.diagnostics, as: .text)
        let golden = Fixtures.root.appendingPathComponent(path.replacingOccurrences(of: ".yaml", with: ".golden"))
        if Fixtures.recording {
            try rendered.write(to: golden, atomically: true, encoding: .utf8)
        }
        let recorded = try String(contentsOf: golden, encoding: .utf8)
        #expect(rendered == recorded)
    }

    @Test func inlineSecretIsNeverEchoed() throws {
        let path = "Tests/GatehouseTests/Fixtures/check/inline-secret.yaml"
        let result = PolicyChecker.check(SourceFile(name: "inline-secret.yaml", text: try Fixtures.text(path)))
        let rendered = DiagnosticRenderer(sources: []).render(result.diagnostics, as: .json)
        #expect(!rendered.contains("s3cr3t"))
        #expect(result.diagnostics.map(\.code) == ["check.inline-secret"])
    }
}
