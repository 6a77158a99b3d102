import ArgumentParser
import Foundation
import Gatehouse
import GatehouseTesting

/// `gatehouse test`: runs policy test files (`*.test.yaml`) and reports what failed and why.
struct TestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run policy test files (*.test.yaml) and report each failing case with its trace.",
        discussion: """
            Example:
              gatehouse test policies/
              gatehouse test --coverage --format junit policies/ > policy-tests.xml

            Folders are searched for *.test.yaml recursively. Credentials in cases are verified \
            offline: API tokens and Basic users against the policy, `signed` tokens against \
            their fixture key set. Exits 0 when every case passes (and coverage is met), 1 when \
            any case fails or coverage is under --min-coverage, 65 when a test file or its \
            policy cannot be read or names a rule, provider or key the policy lacks.
            """
    )

    @Argument(help: "Test files, or folders to search for *.test.yaml (default: the current folder).")
    var paths: [String] = ["."]

    @Option(help: "Output format: text, json or junit (JUnit XML for CI systems).")
    var format: TestFormat = .text

    @Flag(help: "List the rules no case decided with, per policy; fail under --min-coverage.")
    var coverage = false

    @Option(help: "With --coverage, the least share of each policy's rules the cases must exercise, in percent.")
    var minCoverage: Double = 100

    @Flag(help: "Only the folders given, not their subfolders.")
    var noRecursive = false

    func validate() throws {
        guard (0...100).contains(minCoverage) else { throw ValidationError("--min-coverage takes 0 to 100") }
    }

    func run() async throws {
        let files: [String]
        do {
            files = try PolicyTestSuite.find(paths, recursive: !noRecursive)
        } catch {
            Standard.error("error: \(error.description)\n")
            throw Exit.unreadable
        }
        var outcomes: [PolicyTestSuite.FileOutcome] = []
        for file in files {
            outcomes.append(
                await PolicyTestSuite.run(file, defaultNow: Date()) { Loading.policyOrBundle($0) })
        }
        let coverage = self.coverage ? PolicyTestSuite.coverage(outcomes) : []
        let report = TestReport(outcomes: outcomes, coverage: coverage, minimum: minCoverage)
        switch format {
        case .text: Standard.out(report.text())
        case .json: Standard.out(JSONText.encode(report.json()))
        case .junit: Standard.out(report.junit())
        }
        if outcomes.contains(where: { !$0.problems.isEmpty }) { throw Exit.unreadable }
        if report.failed > 0 || !report.coverageMet { throw Exit.findings }
    }
}

/// Output format of `test`.
enum TestFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, junit
}

/// The outcome of a `gatehouse test` run, rendered as text, JSON or JUnit XML.
struct TestReport {
    let outcomes: [PolicyTestSuite.FileOutcome]
    let coverage: [PolicyTestSuite.Coverage]
    let minimum: Double

    var passed: Int { outcomes.map(\.passed).reduce(0, +) }
    var failed: Int { outcomes.map(\.failed).reduce(0, +) }
    var coverageMet: Bool { coverage.allSatisfy { $0.percent >= minimum } }

    func text() -> String {
        var out = ""
        for outcome in outcomes {
            if !outcome.problems.isEmpty {
                out += DiagnosticRenderer(sources: outcome.sources).render(outcome.problems, as: .text)
                out += "\(outcome.file): not run\n"
                continue
            }
            for result in outcome.results where !result.passed {
                out += "FAIL \(result.testCase.location) \(result.testCase.name)\n"
                out += result.mismatches.map { "  \($0)\n" }.joined()
                out += "  the decision was:\n"
                out += DecisionText.render(result.decision).split(separator: "\n").map { "    \($0)\n" }.joined()
            }
            let failed = outcome.failed == 0 ? "" : ", \(outcome.failed) failed"
            out += "\(outcome.file): \(outcome.passed) passed\(failed)\n"
        }
        for policy in coverage {
            let share = Self.percent(policy.percent)
            out +=
                "coverage \(policy.policy): \(policy.rules - policy.unexercised.count) of \(policy.rules) rules (\(share))"
            out += policy.unexercised.isEmpty ? "\n" : "; no case reaches:\n"
            out += policy.unexercised.map { "  \($0.id) (\($0.location))\n" }.joined()
        }
        if !coverageMet {
            out +=
                "coverage is under \(Self.percent(minimum)) for \(coverage.filter { $0.percent < minimum }.map(\.policy).joined(separator: ", "))\n"
        }
        return out + "\(passed) passed, \(failed) failed\n"
    }

    struct JSON: Encodable {
        struct File: Encodable {
            let file: String
            let policy: String?
            let passed, failed: Int
            let problems: [DiagnosticReport]
            let cases: [Case]
        }
        struct Case: Encodable {
            let name, location: String
            let passed: Bool
            let mismatches: [String]
            let decision: Decision
        }
        struct Coverage: Encodable {
            let policy: String
            let rules: Int
            let percent: Double
            let unexercised: [String]
        }
        let files: [File]
        let coverage: [Coverage]?
        let passed, failed: Int
    }

    func json() -> JSON {
        JSON(
            files: outcomes.map { outcome in
                JSON.File(
                    file: outcome.file, policy: outcome.policy, passed: outcome.passed, failed: outcome.failed,
                    problems: outcome.problems.map(DiagnosticReport.init),
                    cases: outcome.results.map {
                        JSON.Case(
                            name: $0.testCase.name, location: $0.testCase.location.description, passed: $0.passed,
                            mismatches: $0.mismatches, decision: $0.decision)
                    })
            },
            coverage: coverage.isEmpty
                ? nil
                : coverage.map {
                    JSON.Coverage(
                        policy: $0.policy, rules: $0.rules, percent: ($0.percent * 10).rounded() / 10,
                        unexercised: $0.unexercised.map(\.id))
                }, passed: passed, failed: failed)
    }

    /// JUnit XML: one suite per test file, one test case per case; a file that could not run is
    /// one errored case; coverage under the minimum is a failed case of its own suite.
    func junit() -> String {
        var suites: [String] = []
        for outcome in outcomes {
            var cases: [String] = []
            if !outcome.problems.isEmpty {
                let text = DiagnosticRenderer(sources: outcome.sources).render(outcome.problems, as: .text)
                cases.append(
                    "    <testcase name=\"\(xml(outcome.file))\" classname=\"\(xml(outcome.file))\">\n"
                        + "      <error message=\"the test file could not be run\">\(xml(text))</error>\n"
                        + "    </testcase>")
            }
            for result in outcome.results {
                let location = result.testCase.location
                var element =
                    "    <testcase name=\"\(xml(result.testCase.name))\" classname=\"\(xml(outcome.file))\" file=\"\(xml(location.file))\" line=\"\(location.line)\""
                if result.passed {
                    element += "/>"
                } else {
                    let details =
                        result.mismatches.joined(separator: "\n") + "\n\n" + DecisionText.render(result.decision)
                    element +=
                        ">\n      <failure message=\"\(xml(result.mismatches.joined(separator: "; ")))\">\(xml(details))</failure>\n    </testcase>"
                }
                cases.append(element)
            }
            let errors = outcome.problems.isEmpty ? 0 : 1
            suites.append(
                "  <testsuite name=\"\(xml(outcome.file))\" tests=\"\(cases.count)\" failures=\"\(outcome.failed)\" errors=\"\(errors)\">\n"
                    + cases.joined(separator: "\n") + "\n  </testsuite>")
        }
        if !coverage.isEmpty {
            let cases = coverage.map { policy in
                let name = "coverage of \(policy.policy)"
                guard policy.percent < minimum else {
                    return "    <testcase name=\"\(xml(name))\" classname=\"coverage\"/>"
                }
                let missing = policy.unexercised.map { "\($0.id) (\($0.location))" }.joined(separator: "\n")
                return
                    "    <testcase name=\"\(xml(name))\" classname=\"coverage\">\n      <failure message=\"\(Self.percent(policy.percent)) of rules exercised, under \(Self.percent(minimum))\">\(xml(missing))</failure>\n    </testcase>"
            }
            let failures = coverage.filter { $0.percent < minimum }.count
            suites.append(
                "  <testsuite name=\"coverage\" tests=\"\(cases.count)\" failures=\"\(failures)\" errors=\"0\">\n"
                    + cases.joined(separator: "\n") + "\n  </testsuite>")
        }
        let errors = outcomes.filter { !$0.problems.isEmpty }.count
        let failures = failed + coverage.filter { $0.percent < minimum }.count
        let tests = outcomes.map { max($0.results.count, $0.problems.isEmpty ? 0 : 1) }.reduce(0, +) + coverage.count
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<testsuites name=\"gatehouse test\" tests=\"\(tests)\" failures=\"\(failures)\" errors=\"\(errors)\">\n"
            + suites.joined(separator: "\n") + "\n</testsuites>\n"
    }

    /// `83%`.
    private static func percent(_ value: Double) -> String { String(format: "%.0f%%", value) }

    private func xml(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\n", "\t": out.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20: out += "?"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
