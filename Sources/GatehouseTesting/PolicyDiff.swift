import Foundation
import Gatehouse
import GatehouseIdentity

/// What changes between two versions of a policy: its rules and settings (static), and the
/// decisions on a sample of requests (traffic).
public struct PolicyDiff: Sendable {
    /// One static change, ready to print.
    public struct Change: Sendable, Encodable {
        /// `added`, `removed`, `changed`, `moved`, `shadowed` or `setting`.
        public let kind: String
        /// The rule id or setting name.
        public let subject: String
        /// What changed, in one line.
        public let detail: String
    }

    /// Requests decided differently, grouped by the rules that decided them and the outcomes.
    public struct TrafficGroup: Sendable, Encodable {
        public let oldRule: String?
        public let newRule: String?
        public let old: String
        public let new: String
        public var count: Int
        /// The first few requests, as `METHOD /path as user`.
        public var examples: [String]

        enum CodingKeys: String, CodingKey {
            case old, new, count, examples
            case oldRule = "old_rule"
            case newRule = "new_rule"
        }
    }

    /// The traffic part: how many requests were decided, and the groups of changed ones.
    public struct Traffic: Sendable, Encodable {
        public var requests = 0
        public var changed = 0
        /// Decision-log lines that cannot be decided again (no path: the target was refused).
        public var skipped = 0
        public var groups: [TrafficGroup] = []
    }

    public let changes: [Change]
    public let traffic: Traffic?

    /// Whether anything changed.
    public var isEmpty: Bool { changes.isEmpty && (traffic?.changed ?? 0) == 0 }

    /// Compares the rules and settings of `old` and `new`; with `requests`, decides each under
    /// both at `now`.
    public static func compare(
        old oldCompiled: CompiledPolicy, new newCompiled: CompiledPolicy, oldDiagnostics: [Diagnostic],
        newDiagnostics: [Diagnostic], requests: [TrafficRequest]? = nil, now: Date = Date()
    ) async -> PolicyDiff {
        let (old, new) = (oldCompiled.policy, newCompiled.policy)
        var changes = ruleChanges(old.rules, new.rules)
        changes += shadowChanges(old, new, oldDiagnostics, newDiagnostics)
        changes += settingChanges(old, new)
        guard let requests else { return PolicyDiff(changes: changes, traffic: nil) }
        return PolicyDiff(
            changes: changes, traffic: await replay(requests, old: oldCompiled, new: newCompiled, now: now))
    }

    // MARK: Static

    static func ruleChanges(_ old: [Rule], _ new: [Rule]) -> [Change] {
        let oldByID = Dictionary(old.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let newByID = Dictionary(new.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var changes: [Change] = []
        for rule in new where oldByID[rule.id] == nil {
            changes.append(Change(kind: "added", subject: rule.id, detail: "\(describe(rule)) (\(rule.location))"))
        }
        for rule in old where newByID[rule.id] == nil {
            changes.append(Change(kind: "removed", subject: rule.id, detail: "\(describe(rule)) (\(rule.location))"))
        }
        for rule in new {
            guard let before = oldByID[rule.id], describe(before) != describe(rule) else { continue }
            changes.append(
                Change(kind: "changed", subject: rule.id, detail: "\(describe(before)) -> \(describe(rule))"))
        }
        let oldOrder = old.map(\.id).filter { newByID[$0] != nil }
        let newOrder = new.map(\.id).filter { oldByID[$0] != nil }
        let kept = Set(longestCommonSubsequence(oldOrder, newOrder))
        for (index, id) in newOrder.enumerated() where !kept.contains(id) {
            let before = oldOrder.firstIndex(of: id).map { $0 + 1 } ?? 0
            changes.append(
                Change(
                    kind: "moved", subject: id,
                    detail: "from position \(before) to \(index + 1) among the rules both versions have"))
        }
        return changes
    }

    /// A rule's match and action in one canonical line.
    static func describe(_ rule: Rule) -> String {
        let methods = rule.methods.map { " " + $0.map(\.rawValue).joined(separator: ",") } ?? ""
        let action: String
        switch rule.action {
        case .allowAnyone: action = "allow anyone"
        case .deny(let reason): action = "deny (\(reason))"
        case .require(let requirement):
            var parts: [String] = []
            if let schemes = requirement.schemes {
                parts.append("schemes " + schemes.schemes.map(\.rawValue).joined(separator: ","))
            }
            if !requirement.providers.isEmpty {
                parts.append("providers " + requirement.providers.joined(separator: ","))
            }
            if !requirement.groups.isEmpty { parts.append("groups " + requirement.groups.joined(separator: ",")) }
            if !requirement.scopes.isEmpty { parts.append("scopes " + requirement.scopes.joined(separator: ",")) }
            for claim in requirement.claims { parts.append("claim \(claim.path.text)=\(claim.value.text)") }
            if let username = requirement.username { parts.append("username \(username.text)") }
            action = parts.isEmpty ? "require authenticated" : "require " + parts.joined(separator: "; ")
        }
        return "\(rule.path.text)\(methods): \(action)"
    }

    static func longestCommonSubsequence(_ a: [String], _ b: [String]) -> [String] {
        guard !a.isEmpty, !b.isEmpty else { return [] }
        var table = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                table[i][j] = a[i] == b[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        var result: [String] = []
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if a[i] == b[j] {
                result.append(a[i])
                i += 1
                j += 1
            } else if table[i + 1][j] >= table[i][j + 1] {
                i += 1
            } else {
                j += 1
            }
        }
        return result
    }

    static func shadowChanges(
        _ old: Policy, _ new: Policy, _ oldDiagnostics: [Diagnostic], _ newDiagnostics: [Diagnostic]
    )
        -> [Change]
    {
        func shadowed(_ policy: Policy, _ diagnostics: [Diagnostic]) -> [String: String] {
            let byLocation = Dictionary(policy.rules.map { ($0.location, $0.id) }, uniquingKeysWith: { a, _ in a })
            var result: [String: String] = [:]
            for diagnostic in diagnostics where diagnostic.code == Diagnostic.shadowedRule {
                if let location = diagnostic.location, let id = byLocation[location] { result[id] = diagnostic.message }
            }
            return result
        }
        let before = shadowed(old, oldDiagnostics)
        return shadowed(new, newDiagnostics).sorted { $0.key < $1.key }.filter { before[$0.key] == nil }.map {
            Change(kind: "shadowed", subject: $0.key, detail: $0.value)
        }
    }

    static func settingChanges(_ old: Policy, _ new: Policy) -> [Change] {
        var changes: [Change] = []
        func compare(_ name: String, _ before: String, _ after: String) {
            if before != after {
                changes.append(Change(kind: "setting", subject: name, detail: "\(before) -> \(after)"))
            }
        }
        compare("default", old.defaultAction.rawValue, new.defaultAction.rawValue)
        compare(
            "schemes", old.schemes.schemes.map(\.rawValue).joined(separator: ","),
            new.schemes.schemes.map(\.rawValue).joined(separator: ","))
        compare("case_sensitive_paths", String(old.caseSensitivePaths), String(new.caseSensitivePaths))
        compare(
            "upstream_headers", old.upstreamHeaders.map { "\($0.name)=\($0.field.rawValue)" }.joined(separator: ","),
            new.upstreamHeaders.map { "\($0.name)=\($0.field.rawValue)" }.joined(separator: ","))
        func providers(_ policy: Policy) -> [String: String] {
            Dictionary(
                policy.providers.map {
                    (
                        $0.id,
                        "issuer \($0.issuer), audiences \($0.audiences.joined(separator: ",")), verify \($0.verify), algorithms \($0.algorithms.map { "\($0)" }.joined(separator: ",")), claims \($0.claims)"
                    )
                }, uniquingKeysWith: { a, _ in a })
        }
        func tokens(_ policy: Policy) -> [String: String] {
            Dictionary(
                policy.apiTokens.map { ($0.id, "\($0)") }, uniquingKeysWith: { a, _ in a })
        }
        for (section, before, after) in [
            ("provider", providers(old), providers(new)), ("api_token", tokens(old), tokens(new)),
        ] {
            for id in Set(before.keys).union(after.keys).sorted() {
                switch (before[id], after[id]) {
                case (nil, .some): changes.append(Change(kind: "setting", subject: "\(section) \(id)", detail: "added"))
                case (.some, nil):
                    changes.append(Change(kind: "setting", subject: "\(section) \(id)", detail: "removed"))
                case (.some(let a), .some(let b)) where a != b:
                    changes.append(Change(kind: "setting", subject: "\(section) \(id)", detail: "changed"))
                default: break
                }
            }
        }
        compare(
            "basic users", old.basicUsers.map(\.username).sorted().joined(separator: ","),
            new.basicUsers.map(\.username).sorted().joined(separator: ","))
        return changes
    }

    // MARK: Traffic

    static func replay(_ requests: [TrafficRequest], old: CompiledPolicy, new: CompiledPolicy, now: Date) async
        -> Traffic
    {
        let oldEvaluator = Evaluator(policy: old)
        let newEvaluator = Evaluator(policy: new)
        let verifier = TokenVerifier.offline()
        var traffic = Traffic()
        var index: [String: Int] = [:]
        for request in requests {
            guard let http = request.request else {
                traffic.skipped += 1
                continue
            }
            traffic.requests += 1
            let before: Decision
            let after: Decision
            if let identity = request.identity {
                before = oldEvaluator.decide(http, identity: identity, now: now)
                after = newEvaluator.decide(http, identity: identity, now: now)
            } else {
                before = await oldEvaluator.evaluate(http, caller: request.caller, verifier: verifier, now: now)
                after = await newEvaluator.evaluate(http, caller: request.caller, verifier: verifier, now: now)
            }
            // A username counts as changed only when both decisions name a caller.
            let sameCaller =
                before.identity == nil || after.identity == nil || before.identity?.username == after.identity?.username
            let old = outcome(before, naming: !sameCaller), new = outcome(after, naming: !sameCaller)
            guard old != new || before.rule != after.rule else { continue }
            traffic.changed += 1
            let key = [before.rule ?? "", after.rule ?? "", old, new].joined(separator: "\u{0}")
            let caller = before.identity?.username ?? after.identity?.username ?? request.who
            let example = "\(http.method) \(http.target)" + (caller.map { " as \($0)" } ?? "")
            if let at = index[key] {
                traffic.groups[at].count += 1
                if traffic.groups[at].examples.count < 3 { traffic.groups[at].examples.append(example) }
            } else {
                index[key] = traffic.groups.count
                traffic.groups.append(
                    TrafficGroup(
                        oldRule: before.rule, newRule: after.rule, old: old, new: new, count: 1, examples: [example]))
            }
        }
        traffic.groups.sort { ($0.count, $1.oldRule ?? "") > ($1.count, $0.oldRule ?? "") }
        return traffic
    }

    /// Decision, status and code, and the username when `naming` (it differs between the two).
    static func outcome(_ decision: Decision, naming: Bool) -> String {
        "\(decision.outcome.rawValue) \(decision.status) \(decision.code.rawValue)"
            + (naming ? " as \(decision.identity?.username ?? "(nobody)")" : "")
    }
}
