import Foundation
import Gatehouse

/// Reads a ``PolicyTestFile`` with the same located diagnostics as policies.
final class TestFileReader {
    let source: SourceFile
    let context = CheckContext()

    init(source: SourceFile) { self.source = source }

    func read() -> PolicyTestFile? {
        let root: YAMLNode
        switch YAMLReader.read(source) {
        case .failure(let list):
            list.diagnostics.forEach(context.report)
            return nil
        case .success(let node): root = node
        }
        guard
            let fields = context.mapping(
                root, "the test file", allowed: PolicyTestFile.keys, required: ["policy", "cases"]),
            let policy = fields["policy"].flatMap({ context.string($0, "`policy`") }),
            let casesNode = fields["cases"]
        else { return nil }
        let now = fields["now"].flatMap { context.date($0, "`now`") }
        guard case .sequence(let items, _) = casesNode else {
            context.wrongType(casesNode, "`cases`", expected: "a list of cases")
            return nil
        }
        return PolicyTestFile(
            file: source.name, policy: resolve(policy.value), policyLocation: policy.location, now: now,
            cases: items.compactMap(readCase))
    }

    /// `path` relative to the test file's folder, with `.` and `..` resolved where they can be.
    private func resolve(_ path: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        var parts: [Substring] = []
        for part in (source.name.split(separator: "/").dropLast() + path.split(separator: "/")) {
            switch part {
            case ".": continue
            case ".." where !parts.isEmpty && parts.last != "..": parts.removeLast()
            default: parts.append(part)
            }
        }
        return (source.name.hasPrefix("/") ? "/" : "") + parts.joined(separator: "/")
    }

    private func readCase(_ node: YAMLNode) -> PolicyTestFile.Case? {
        guard
            let fields = context.mapping(
                node, "a test case", allowed: PolicyTestFile.caseKeys, required: ["name", "request", "expect"]),
            let name = fields["name"].flatMap({ context.string($0, "`name`") }),
            let requestNode = fields["request"],
            let parsed = RequestFile.parse(requestNode, context: context),
            let expect = fields["expect"].flatMap(readExpectation)
        else { return nil }
        var caller = parsed.caller
        var signed: PolicyTestFile.SignedToken?
        if let identity = fields["identity"] {
            guard caller == nil else {
                context.error(
                    "check.invalid-value", "case `\(name.value)` has an identity in its request and beside it",
                    at: identity.location)
                return nil
            }
            if case .mapping(let entries, _) = identity, entries.first?.key.value == "signed" {
                guard entries.count == 1, let token = readSigned(entries[0].value) else {
                    if entries.count > 1 {
                        context.error(
                            "check.invalid-value", "`identity` has either `signed` or a simulated caller",
                            at: identity.location)
                    }
                    return nil
                }
                guard parsed.request.values(of: "Authorization").isEmpty else {
                    context.error(
                        "check.invalid-value",
                        "case `\(name.value)` sends a signed token and its own `Authorization` header",
                        at: identity.location)
                    return nil
                }
                signed = token
            } else {
                guard let simulated = RequestFile.readCaller(identity, context) else { return nil }
                caller = simulated
            }
        }
        return PolicyTestFile.Case(
            name: name.value, location: name.location, request: parsed.request, caller: caller, signed: signed,
            expect: expect)
    }

    private func readSigned(_ node: YAMLNode) -> PolicyTestFile.SignedToken? {
        guard
            let fields = context.mapping(
                node, "`signed`", allowed: ["provider", "jwks", "kid", "claims"], required: ["provider", "jwks"]),
            let provider = fields["provider"].flatMap({ context.string($0, "`provider`") }),
            let jwks = fields["jwks"].flatMap({ context.string($0, "`jwks`") })
        else { return nil }
        var claims: [String: JSONValue] = [:]
        if let claimsNode = fields["claims"] {
            guard case .object(let object) = JSONValue(yaml: claimsNode) else {
                context.wrongType(claimsNode, "`claims`", expected: "a mapping")
                return nil
            }
            claims = object
        }
        return PolicyTestFile.SignedToken(
            provider: provider.value, jwks: Located(resolve(jwks.value), at: jwks.location),
            kid: fields["kid"].flatMap { context.string($0, "`kid`")?.value }, claims: claims)
    }

    private func readExpectation(_ node: YAMLNode) -> PolicyTestFile.Expectation? {
        guard let fields = context.mapping(node, "`expect`", allowed: PolicyTestFile.expectKeys) else { return nil }
        var expect = PolicyTestFile.Expectation()
        expect.decision = fields["decision"].flatMap { context.word($0, "decision", as: Decision.Outcome.self) }
        if let status = fields["status"].flatMap({ context.string($0, "`status`") }) {
            guard let value = Int(status.value), [200, 400, 401, 403, 503].contains(value) else {
                context.error(
                    "check.invalid-value", "`\(status.value)` is not a status a decision has", at: status.location,
                    help: "decisions have status 200, 400, 401, 403 or 503")
                return nil
            }
            expect.status = value
        }
        expect.code = fields["code"].flatMap { context.word($0, "decision code", as: DecisionCode.self) }
        if let rule = fields["rule"] {
            if case .scalar(let scalar) = rule, scalar.isNull {
                expect.rule = .some(nil)
            } else {
                expect.rule = context.string(rule, "`rule`").map { .some($0.value) }
            }
            expect.ruleLocation = rule.location
        }
        expect.challenge = fields["challenge"].flatMap { context.string($0, "`challenge`")?.value }
        expect.username = fields["username"].flatMap { context.string($0, "`username`")?.value }
        if let headers = fields["headers"] {
            guard case .mapping(let entries, _) = headers else {
                context.wrongType(headers, "`headers`", expected: "a mapping")
                return nil
            }
            var values: [String: String] = [:]
            for entry in entries {
                values[entry.key.value] = context.string(entry.value, "header `\(entry.key.value)`")?.value
            }
            expect.headers = values
        }
        return expect
    }
}
