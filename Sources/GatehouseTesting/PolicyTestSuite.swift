import Foundation
import Gatehouse
import GatehouseIdentity

/// What `gatehouse test` runs: test files found under paths, each loaded with its policy and run,
/// and which rules the cases exercised.
public enum PolicyTestSuite {
    /// One test file's outcome.
    public struct FileOutcome: Sendable {
        /// The test file's path.
        public let file: String
        /// The policy it tests, when it could be read from the file.
        public let policy: String?
        /// The sources diagnostics point into (the test file, and the policy when read).
        public let sources: [SourceFile]
        /// Why the file could not be run (nothing ran when not empty).
        public let problems: [Diagnostic]
        /// Each case's result, in file order.
        public let results: [PolicyTestRunner.CaseResult]
        /// The policy's rules, for coverage.
        public let rules: [Rule]

        public var passed: Int { results.filter(\.passed).count }
        public var failed: Int { results.count - passed }
    }

    /// The rules of one policy that no case of any file decided with.
    public struct Coverage: Sendable {
        public let policy: String
        public let rules: Int
        public let unexercised: [Rule]

        /// Exercised rules as a percentage (100 for a policy without rules).
        public var percent: Double {
            rules == 0 ? 100 : Double(rules - unexercised.count) * 100 / Double(rules)
        }
    }

    /// Why paths yield no test files.
    public struct NotFound: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// The `*.test.yaml` files named by `paths`: files as given, folders searched (recursively
    /// unless `recursive` is false), each folder's finds sorted.
    public static func find(_ paths: [String], recursive: Bool = true) throws(NotFound) -> [String] {
        var found: [String] = []
        for path in paths {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                throw NotFound(description: "\(path): no such file or folder")
            }
            guard isFolder.boolValue else {
                found.append(path)
                continue
            }
            let names =
                recursive
                ? (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? [])
                : ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
            let prefix = path.hasSuffix("/") ? path : path + "/"
            found += names.filter { $0.hasSuffix(".test.yaml") }.sorted().map { path == "." ? $0 : prefix + $0 }
        }
        guard !found.isEmpty else {
            throw NotFound(description: "no *.test.yaml files in \(paths.joined(separator: ", "))")
        }
        return found
    }

    /// Reads the test file at `path` and its policy (through `load`: a policy file by default, or
    /// whatever else the caller reads a policy from, such as a bundle) and runs the cases.
    public static func run(
        _ path: String, defaultNow: Date,
        load: (String) -> LoadedPolicy = { PolicyLoader.load($0, files: LocalFiles()) }
    ) async -> FileOutcome {
        let files = LocalFiles()
        let source: SourceFile
        do {
            source = try files.read(path)
        } catch {
            return FileOutcome(
                file: path, policy: nil, sources: [], problems: [.error("test.unreadable", error.description, at: nil)],
                results: [], rules: [])
        }
        let file: PolicyTestFile
        switch PolicyTestFile.parse(source) {
        case .failure(let list):
            return FileOutcome(
                file: path, policy: nil, sources: [source], problems: list.diagnostics, results: [], rules: [])
        case .success(let parsed): file = parsed
        }
        func failed(_ problems: [Diagnostic], _ sources: [SourceFile]) -> FileOutcome {
            FileOutcome(file: path, policy: file.policy, sources: sources, problems: problems, results: [], rules: [])
        }
        let loaded = load(file.policy)
        if loaded.unreadable != nil {
            return failed(
                [
                    .error(
                        "test.policy-unreadable", "the policy `\(file.policy)` cannot be read", at: file.policyLocation)
                ],
                [source])
        }
        guard let compiled = loaded.compiled else {
            let errors = loaded.diagnostics.filter { $0.severity == .error }
            return failed(
                errors + [
                    .error(
                        "test.policy-invalid", "the policy `\(file.policy)` has errors; fix them first",
                        at: file.policyLocation, help: "gatehouse check \(file.policy)")
                ], [source] + loaded.sources)
        }
        let runner = PolicyTestRunner(policy: compiled)
        let problems = runner.problems(in: file)
        guard problems.isEmpty else { return failed(problems, [source] + loaded.sources) }
        return FileOutcome(
            file: path, policy: file.policy, sources: [source] + loaded.sources, problems: [],
            results: await runner.run(file, defaultNow: defaultNow), rules: compiled.policy.rules)
    }

    /// For each policy tested, the rules no case decided with, over every file testing it.
    public static func coverage(_ outcomes: [FileOutcome]) -> [Coverage] {
        var order: [String] = []
        var rules: [String: [Rule]] = [:]
        var decided: [String: Set<String>] = [:]
        for outcome in outcomes where outcome.problems.isEmpty {
            guard let policy = outcome.policy else { continue }
            if rules[policy] == nil { order.append(policy) }
            rules[policy] = outcome.rules
            decided[policy, default: []].formUnion(outcome.results.compactMap(\.decision.rule))
        }
        return order.map { policy in
            let all = rules[policy] ?? []
            return Coverage(
                policy: policy, rules: all.count,
                unexercised: all.filter { !(decided[policy] ?? []).contains($0.id) })
        }
    }
}
