extension Evaluator {
    /// Every rule tried for `request`, in order, up to the one that decided, and the outcome.
    func trace(_ request: APIRequest, decision: Decision) -> [TraceStep] {
        guard case .success(let target) = RequestTarget.parse(request.target), request.hasValidMethod else {
            return [TraceStep(rule: "request", location: nil, result: "decided", detail: decision.reason)]
        }
        let segments = policy.folded(target.segments)
        let method = MethodMask(requestMethod: request.method)
        var steps: [TraceStep] = []
        for compiled in policy.rules {
            let rule = compiled.rule
            let location = "\(rule.location)"
            guard rule.path.match(segments, caseSensitive: policy.policy.caseSensitivePaths) != nil else {
                steps.append(
                    TraceStep(
                        rule: rule.id, location: location, result: "skipped",
                        detail: "path `\(target.path)` does not match `\(rule.path.text)`"))
                continue
            }
            guard compiled.methods.intersects(method) else {
                let methods = (rule.methods ?? []).map(\.rawValue).joined(separator: ", ")
                steps.append(
                    TraceStep(
                        rule: rule.id, location: location, result: "skipped",
                        detail: "method `\(request.method)` is not one of [\(methods)]"))
                continue
            }
            steps.append(
                TraceStep(
                    rule: rule.id, location: location, result: "matched",
                    detail: "path matches `\(rule.path.text)`; \(decision.code): \(decision.reason)"))
            return steps
        }
        steps.append(
            TraceStep(
                rule: "default", location: nil, result: "matched",
                detail: "no rule matched; default `\(policy.policy.defaultAction.rawValue)`: \(decision.reason)"))
        return steps
    }
}
