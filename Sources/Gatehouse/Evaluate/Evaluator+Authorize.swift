extension Evaluator {
    /// Checks a known caller against the matched rule's requirements.
    func authorize(_ match: Match, _ identity: Identity, simulated: Bool) -> Decision {
        let requirement = match.requirement
        let simulatedFlag: Bool? = simulated ? true : nil
        func deny(_ code: DecisionCode, _ reason: String) -> Decision {
            make(code, .text(reason), match, identity: identity, simulated: simulatedFlag)
        }
        guard match.schemes.allows(identity.scheme) else {
            return make(
                .schemeDisabled, .text("the `\(identity.scheme.rawValue)` scheme is not allowed here"),
                match, identity: identity, challenge: challenge(match), simulated: simulatedFlag)
        }
        if !requirement.providers.isEmpty {
            guard let provider = identity.provider, requirement.providers.containsExactly(provider) else {
                return deny(
                    .requireProvider, "this rule accepts callers from \(Self.list(requirement.providers)) only")
            }
        }
        let missingScopes = requirement.scopes.filter { !identity.scopes.containsExactly($0) }
        if !missingScopes.isEmpty {
            return make(
                .requireScope, .lacksScopes(missingScopes), match, identity: identity,
                challenge: .insufficientScope(realm: policy.realm, scopes: requirement.scopes), simulated: simulatedFlag
            )
        }
        if !requirement.groups.isEmpty && !requirement.groups.contains(where: identity.groups.containsExactly) {
            return deny(.requireGroup, "the caller is in none of the groups \(Self.list(requirement.groups))")
        }
        // Only claim values and usernames are templates; the captures are read for those alone.
        let parameters =
            requirement.claims.isEmpty && requirement.username == nil
            ? [:] : match.rule.map { pathParameters(of: $0, match.segments) } ?? [:]
        for claim in requirement.claims {
            let expected = claim.value.expand(parameters)
            guard Self.claim(identity.claims.lookup(claim.path), has: expected) else {
                return deny(.requireClaim, "claim `\(claim.path)` is not `\(expected)`")
            }
        }
        if let template = requirement.username {
            let expected = template.expand(parameters)
            guard identity.username.isExactly(expected) else {
                return deny(.requireUsername, "this path belongs to user `\(expected)`, not the caller")
            }
        }
        let reason: Explanation =
            match.rule.map { .ruleAllows(rule: policy.rules[$0].rule.id, username: identity.username) }
            ?? .text("no rule matches and the default allows any verified caller")
        return make(
            match.rule == nil ? .defaultAllow : .ruleAllow, reason, match,
            identity: identity, simulated: simulatedFlag)
    }

    /// The path parameters of rule `index` for `segments`; empty for rules without any.
    private func pathParameters(of index: Int, _ segments: [String]) -> [String: String] {
        let compiled = policy.rules[index]
        guard compiled.hasParameters else { return [:] }
        return compiled.rule.path.match(segments, caseSensitive: policy.policy.caseSensitivePaths) ?? [:]
    }

    func missingCredentials(_ match: Match) -> Decision {
        make(
            .credentialsMissing, .text("this request needs credentials and none were sent"), match,
            challenge: challenge(match))
    }

    /// The refusal of credentials (401 with a challenge; 503 when they could not be checked).
    func refuse(_ match: Match, _ rejection: Rejection) -> Decision {
        let challenge: Challenge? =
            rejection.code.isInvalidToken
            ? .invalidToken(realm: policy.realm, description: rejection.reason)
            : rejection.code.status == 401 ? challenge(match) : nil
        return make(rejection.code, .text(rejection.reason), match, challenge: challenge)
    }

    /// The challenges for the schemes the matched rule accepts.
    func challenge(_ match: Match) -> Challenge {
        .schemes(match.schemes, realm: policy.realm)
    }

    func make(
        _ code: DecisionCode, _ reason: Explanation, _ match: Match, identity: Identity? = nil,
        challenge: Challenge? = nil, simulated: Bool? = nil
    ) -> Decision {
        make(
            code, reason, rule: match.rule, path: match.path, identity: identity, challenge: challenge,
            simulated: simulated)
    }

    func make(
        _ code: DecisionCode, _ reason: Explanation, rule: Int?, path: String?, identity: Identity? = nil,
        challenge: Challenge? = nil, simulated: Bool? = nil
    ) -> Decision {
        let compiled = rule.map { policy.rules[$0] }
        return Decision(
            code: code, rule: compiled?.rule.id, location: compiled?.locationText, path: path,
            identity: identity.map(DecisionIdentity.init), simulated: simulated, explanation: reason,
            upstream: code.outcome == .allow ? policy.policy.upstreamHeaders : [], challengeSpec: challenge)
    }

    private static func claim(_ value: JSONValue?, has expected: String) -> Bool {
        switch value {
        case .array(let items)?: return items.contains { $0.scalarText?.isExactly(expected) == true }
        case let value?: return value.scalarText?.isExactly(expected) == true
        case nil: return false
        }
    }

    static func list(_ names: [String]) -> String {
        names.count == 1 ? "`\(names[0])`" : names.map { "`\($0)`" }.joined(separator: ", ")
    }
}
