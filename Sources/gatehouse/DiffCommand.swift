import ArgumentParser
import Foundation
import Gatehouse
import GatehouseTesting

/// `gatehouse diff`: what a policy change changes, in its rules and on real traffic.
struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two versions of a policy: rules and settings, and decisions on sample traffic.",
        discussion: """
            Example:
              gatehouse diff policies/confluence-okta.yaml policies/confluence-okta-v2.yaml
              gatehouse diff main:policies/confluence-okta.yaml policies/confluence-okta.yaml \\
                --requests decisions.jsonl

            OLD and NEW are policy files, or REV:PATH read with `git show` (an existing file wins). \
            The requests file holds JSON lines: request documents (as `evaluate --request` reads, \
            `identity` included) or the decision log `serve --decision-log` writes; each is \
            decided under both versions. Exits 0 when nothing changes, 1 when anything does, \
            65 when a policy or the requests file cannot be read.
            """
    )

    @Argument(help: "The policy before the change: a file, or REV:PATH from git.")
    var old: String

    @Argument(help: "The policy after the change: a file, or REV:PATH from git.")
    var new: String

    @Option(help: "JSON lines of requests or decision-log entries to decide under both versions.")
    var requests: String?

    @Option(help: "Output format: text or json.")
    var format: DecisionFormat = .text

    @Option(help: "Decide the requests at this RFC 3339 instant (default: now).")
    var now: String?

    func validate() throws {
        if let now, RFC3339.parse(now) == nil { throw ValidationError("--now `\(now)` is not an RFC 3339 instant") }
    }

    func run() async throws {
        let before = try Loading.load(old, files: GitRevisionFiles())
        let after = try Loading.load(new, files: GitRevisionFiles())
        var traffic: [TrafficRequest]?
        if let requests {
            do {
                traffic = try TrafficFile.parse(try Loading.source(requests).text, name: requests)
            } catch let problem as TrafficFile.Problem {
                Standard.error("error: \(problem.description)\n")
                throw Exit.unreadable
            }
        }
        let diff = await PolicyDiff.compare(
            old: before.compiled!, new: after.compiled!, oldDiagnostics: before.diagnostics,
            newDiagnostics: after.diagnostics, requests: traffic, now: now.flatMap(RFC3339.parse) ?? Date())
        switch format {
        case .json: Standard.out(JSONText.encode(DiffReport(old: old, new: new, diff: diff)))
        case .text: Standard.out(Self.text(diff))
        }
        if !diff.isEmpty { throw Exit.findings }
    }

    static func text(_ diff: PolicyDiff) -> String {
        var out = ""
        if diff.changes.isEmpty {
            out += "rules and settings: no change\n"
        } else {
            out += "rules and settings: \(diff.changes.count) change(s)\n"
            for change in diff.changes {
                out +=
                    "  \(change.kind.padding(toLength: 9, withPad: " ", startingAt: 0)) \(change.subject): \(change.detail)\n"
            }
        }
        if let traffic = diff.traffic {
            let skipped = traffic.skipped == 0 ? "" : " (\(traffic.skipped) logged without a path, not decided again)"
            out += "traffic: \(traffic.changed) of \(traffic.requests) request(s) decided differently\(skipped)\n"
            for group in traffic.groups {
                out +=
                    "  \(group.count) × rule \(group.oldRule ?? "(none)") -> \(group.newRule ?? "(none)"): \(group.old) -> \(group.new)\n"
                out += group.examples.map { "      \($0)\n" }.joined()
            }
        }
        return out
    }
}

/// `diff --format json`.
struct DiffReport: Encodable {
    let old: String
    let new: String
    let changes: [PolicyDiff.Change]
    let traffic: PolicyDiff.Traffic?
    let changed: Bool

    init(old: String, new: String, diff: PolicyDiff) {
        self.old = old
        self.new = new
        changes = diff.changes
        traffic = diff.traffic
        changed = !diff.isEmpty
    }
}
