import Gatehouse

/// A decision as text for people.
enum DecisionText {
    static func render(_ decision: Decision) -> String {
        var lines = ["\(decision.outcome.rawValue) \(decision.status) \(decision.code.rawValue)"]
        func add(_ label: String, _ value: String?) {
            guard let value, !value.isEmpty else { return }
            lines.append("  " + label.padding(toLength: 10, withPad: " ", startingAt: 0) + value)
        }
        add("reason", decision.reason)
        add("rule", decision.rule.map { rule in decision.location.map { "\(rule) (\($0))" } ?? rule } ?? "(none)")
        add("path", decision.path)
        if let identity = decision.identity {
            var via = [identity.provider.map { "provider \($0)" }, "scheme \(identity.scheme.rawValue)"].compactMap {
                $0
            }
            if let token = identity.apiToken { via.append("api token \(token)") }
            if decision.simulated == true { via.append("simulated") }
            add("caller", "\(identity.username) (\(via.joined(separator: ", ")))")
            add("groups", identity.groups.joined(separator: ", "))
            add("scopes", identity.scopes.joined(separator: " "))
        }
        for (name, value) in decision.headers.sorted(by: { $0.key < $1.key }) { add("header", "\(name): \(value)") }
        add("challenge", decision.challenge)
        if let claims = decision.assertion { add("assertion", "claims \(claims.json) (signed by serve)") }
        if let trace = decision.trace {
            lines.append("  trace")
            for step in trace {
                let place = step.location.map { " (\($0))" } ?? ""
                lines.append(
                    "    \(step.result.padding(toLength: 8, withPad: " ", startingAt: 0)) \(step.rule)\(place): \(step.detail)"
                )
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The answer a gateway is sent: its status, every header, and the body.
    static func render(_ answer: GatewayAnswer) -> String {
        var lines = ["answer to \(answer.gateway.rawValue): \(answer.status)"]
        lines += answer.headers.map { "  \($0.name): \($0.value)" }
        if let body = answer.body { lines += body.split(separator: "\n").map { "  | \($0)" } }
        return lines.joined(separator: "\n") + "\n"
    }
}
