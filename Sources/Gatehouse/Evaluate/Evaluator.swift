import Foundation

/// Decides requests under one compiled policy. The hot path does no parsing of the policy and no
/// I/O except through the injected ``CredentialVerifier``; time is always passed in.
public struct Evaluator: Sendable {
    /// The policy it decides with.
    public let policy: CompiledPolicy

    /// Creates an evaluator for `policy`.
    public init(policy: CompiledPolicy) { self.policy = policy }

    /// Decides `request`: reads its credentials, verifies them with `verifier` when the matched
    /// rule needs a caller, and checks the rule's requirements. A simulated `caller` replaces the
    /// request's credentials.
    public func evaluate(
        _ request: HTTPRequest, caller: SimulatedCaller? = nil,
        verifier: any CredentialVerifier = UnverifiedCredentials(), now: Date, explain: Bool = false
    ) async -> Decision {
        var decision = await decideCaller(request, caller: caller, verifier: verifier, now: now)
        if explain { decision.trace = trace(request, decision: decision) }
        return decision
    }

    /// Decides `request` for an already known caller (or none). Synchronous: no verification.
    public func decide(_ request: HTTPRequest, identity: Identity?, now: Date) -> Decision {
        switch route(request) {
        case .decided(let decision): return decision
        case .needsCaller(let match):
            guard let identity else { return missingCredentials(match) }
            return authorize(match, identity, simulated: false)
        }
    }

    /// Decides `request` without waiting: nil when its credentials need verification that does
    /// I/O (a key set, a provider's answer, bcrypt), which ``evaluate(_:caller:verifier:now:explain:)``
    /// then does. A server answers the common case, a token it has already verified, on the thread
    /// that read the request.
    public func evaluateImmediately(_ request: HTTPRequest, verifier: any CredentialVerifier, now: Date) -> Decision? {
        switch prepare(request, caller: nil, now: now) {
        case .decided(let decision): return decision
        case .verify(let match, let credential):
            guard
                let verification = verifier.verifyImmediately(
                    credential, policy: policy, schemes: match.schemes, now: now)
            else { return nil }
            return finish(match, verification)
        }
    }

    private func decideCaller(
        _ request: HTTPRequest, caller: SimulatedCaller?, verifier: any CredentialVerifier, now: Date
    ) async -> Decision {
        switch prepare(request, caller: caller, now: now) {
        case .decided(let decision): return decision
        case .verify(let match, let credential):
            return finish(match, await verifier.verify(credential, policy: policy, schemes: match.schemes, now: now))
        }
    }

    /// Where a request stands before its credentials are verified.
    private enum Prepared {
        case decided(Decision)
        case verify(Match, Credential)
    }

    /// Everything up to verifying credentials: the rule, a simulated caller, the `Authorization` header.
    private func prepare(_ request: HTTPRequest, caller: SimulatedCaller?, now: Date) -> Prepared {
        let match: Match
        switch route(request) {
        case .decided(let decision): return .decided(decision)
        case .needsCaller(let needed): match = needed
        }
        if let caller {
            switch policy.identity(for: caller, now: now) {
            case .success(let identity): return .decided(authorize(match, identity, simulated: true))
            case .failure(let rejection): return .decided(refuse(match, rejection))
            }
        }
        let authorizations = request.values(of: "Authorization")
        if match.hasQueryToken {
            return .decided(
                make(
                    .deny, 400, "credentials.ambiguous",
                    .text("tokens in the query string (`access_token`) are not accepted; send `Authorization: Bearer`"),
                    match))
        }
        guard authorizations.count <= 1 else {
            return .decided(
                make(
                    .deny, 400, "credentials.ambiguous",
                    .text("the request carries more than one Authorization header"), match))
        }
        guard let header = authorizations.first else { return .decided(missingCredentials(match)) }
        let credential: Credential
        switch Credential.parse(header) {
        case .unsupported(let scheme):
            return .decided(
                make(
                    .deny, 401, "scheme.disabled", .text("the `\(scheme)` authentication scheme is not supported"),
                    match, challenge: challenge(match)))
        case .malformed(let rejection): return .decided(refuse(match, rejection))
        case .credential(let parsed): credential = parsed
        }
        if let refusal = schemeRefusal(credential, match) { return .decided(refusal) }
        return .verify(match, credential)
    }

    private func finish(_ match: Match, _ verification: Verification) -> Decision {
        switch verification {
        case .verified(let identity): return authorize(match, identity, simulated: false)
        case .rejected(let rejection): return refuse(match, rejection)
        case .unavailable(let provider, let reason):
            return make(
                .deny, 503, "provider.unavailable", .text("identity provider `\(provider)` is unavailable: \(reason)"),
                match)
        }
    }

    /// A Basic header where Basic is off is refused without looking at the password.
    private func schemeRefusal(_ credential: Credential, _ match: Match) -> Decision? {
        switch credential {
        case .basic where !match.schemes.allows(.basic):
            return make(
                .deny, 401, "scheme.disabled", .text("Basic authentication is not allowed here"), match,
                challenge: challenge(match))
        case .bearer where !match.schemes.allows(.bearer) && !match.schemes.allows(.apiToken):
            return make(
                .deny, 401, "scheme.disabled", .text("bearer tokens are not allowed here"), match,
                challenge: challenge(match))
        default:
            return nil
        }
    }
}

extension Evaluator {
    /// A request whose rule needs a verified caller.
    struct Match {
        let rule: Int?
        let requirement: Requirement
        let schemes: SchemeSet
        let segments: [String]
        let path: String
        /// Whether the query carries `access_token` (RFC 6750 §2.3), which is never accepted.
        var hasQueryToken = false
    }

    enum Route {
        case decided(Decision)
        case needsCaller(Match)
    }

    /// Reads the target, finds the deciding rule, and settles everything that needs no caller.
    func route(_ request: HTTPRequest) -> Route {
        guard request.hasValidMethod else {
            return .decided(
                make(
                    .deny, 400, "request.invalid-method", .text("the request method is not a valid HTTP method"),
                    rule: nil, path: nil))
        }
        let target: RequestTarget
        switch RequestTarget.parse(request.target) {
        case .success(let parsed): target = parsed
        case .failure(let error):
            return .decided(make(.deny, 400, "request.invalid-target", .text(error.reason), rule: nil, path: nil))
        }
        let path = target.path
        guard
            let index = policy.firstMatch(
                segments: policy.folded(target.segments), method: MethodMask(requestMethod: request.method))
        else {
            switch policy.policy.defaultAction {
            case .deny:
                return .decided(
                    make(
                        .deny, 403, "default.deny", .text("no rule matches and the default is `deny`"), rule: nil,
                        path: path)
                )
            case .anyone:
                return .decided(
                    make(
                        .allow, 200, "default.allow", .text("no rule matches and the default is `anyone`"), rule: nil,
                        path: path))
            case .authenticated:
                return .needsCaller(
                    Match(
                        rule: nil, requirement: .authenticated, schemes: policy.policy.schemes,
                        segments: target.segments, path: path, hasQueryToken: target.hasAccessToken))
            }
        }
        let compiled = policy.rules[index]
        switch compiled.rule.action {
        case .allowAnyone:
            return .decided(
                make(.allow, 200, "rule.allow", .ruleAllowsAnyone(rule: compiled.rule.id), rule: index, path: path))
        case .deny(let reason):
            return .decided(make(.deny, 403, "rule.deny", .text(reason), rule: index, path: path))
        case .require(let requirement):
            return .needsCaller(
                Match(
                    rule: index, requirement: requirement, schemes: compiled.schemes,
                    segments: target.segments, path: path, hasQueryToken: target.hasAccessToken))
        }
    }
}
