import Foundation
import Testing

@testable import GatehouseFuzzing

/// Every input the fuzzers ever crashed on (`Fuzz/regressions/HARNESS/`) and every committed
/// seed (`Fuzz/seeds/HARNESS/`) runs through its harness on each test run: a fixed crash stays
/// fixed.
@Suite struct FuzzRegressionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The files under `Fuzz/FOLDER/HARNESS/`, as (harness, path).
    static func inputs(_ folder: String) -> [(String, String)] {
        FuzzHarness.all.keys.sorted().flatMap { name -> [(String, String)] in
            let directory = root.appendingPathComponent("Fuzz/\(folder)/\(name)").path
            let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            return files.sorted().map { (name, directory + "/" + $0) }
        }
    }

    @Test(arguments: inputs("regressions") + inputs("seeds"))
    func inputRunsThroughItsHarness(_ harness: String, _ path: String) async throws {
        let data = try #require(FileManager.default.contents(atPath: path))
        let run = try #require(FuzzHarness.all[harness])
        await run(Array(data))
    }

    @Test func everyHarnessHasSeeds() {
        #expect(Set(Self.inputs("seeds").map(\.0)) == Set(FuzzHarness.all.keys))
    }
}
