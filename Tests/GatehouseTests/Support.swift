import Foundation
import Gatehouse

/// Paths and helpers shared by the engine tests.
enum Fixtures {
    /// The package root, found from this file's path.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// Files in a fixture folder with the given suffix, sorted, as paths relative to the root.
    static func files(in subfolder: String, suffix: String) -> [String] {
        let directory = folder.appendingPathComponent(subfolder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(suffix) }.sorted().map { "Tests/GatehouseTests/Fixtures/\(subfolder)/\($0)" }
    }

    /// The text of a file relative to the package root.
    static func text(_ relative: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(relative), encoding: .utf8)
    }

    /// The files of the package on disk, by path from the package root, as the engine reads them
    /// (the engine itself reads no file): for fixtures that name other files.
    static let disk = DiskFiles()

    /// Checks a policy written inline; the file name in diagnostics is `policy.yaml`.
    static func check(_ yaml: String) -> PolicyChecker.Result {
        PolicyChecker.check(SourceFile(name: "policy.yaml", text: yaml))
    }

    /// Checks and compiles an inline policy that must be valid.
    static func compile(_ yaml: String) throws -> CompiledPolicy {
        let result = check(yaml)
        guard let policy = result.policy else {
            throw FixtureError(message: DiagnosticRenderer(sources: []).render(result.diagnostics, as: .text))
        }
        return PolicyCompiler.compile(policy)
    }

    /// Whether golden files are being re-recorded (`GATEHOUSE_RECORD=1`).
    static var recording: Bool { ProcessInfo.processInfo.environment["GATEHOUSE_RECORD"] == "1" }
}

/// The package's files, read by the tests.
struct DiskFiles: FileAccess {
    func read(_ path: String) throws(FileReadError) -> SourceFile {
        guard let text = try? Fixtures.text(path) else { throw FileReadError("\(path): cannot be read") }
        return SourceFile(name: path, text: text)
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
