import Foundation

/// Decides requests under one compiled policy. The hot path does no parsing of the policy and no
/// I/O except through the injected ``CredentialVerifier``; time is always passed in.
///
/// A decision is made in two steps: ``begin(_:caller:verifier:now:)`` settles everything that
/// needs no waiting (the target, the rule, the credential's form, a verification the verifier
/// can answer at once) and either decides or returns a ``PendingDecision``, which
/// ``finish(_:verifier:now:)`` completes after verifying. A server begins on the thread that read
/// the request and finishes elsewhere without repeating any of the first step.
public struct Evaluator: Sendable {
    /// The policy it decides with.
    public let policy: CompiledPolicy

    /// Creates an evaluator for `policy`.
    public init(policy: CompiledPolicy) { self.policy = policy }

    /// Where a request stands after ``begin(_:caller:verifier:now:)``.
    public enum Evaluation: Sendable {
        /// Decided without waiting.
        case decided(Decision)
        /// Its credential needs verification that waits (a key set, a provider's answer, bcrypt).
        case pending(PendingDecision)

        /// The decision, when it was made without waiting.
        public var decided: Decision? {
            if case .decided(let decision) = self { return decision }
            return nil
        }
    }

    /// Decides `request`: reads its credentials, verifies them with `verifier` when the matched
    /// rule needs a caller, and checks the rule's requirements. A simulated `caller` replaces the
    /// request's credentials.
    public func evaluate(
        _ request: APIRequest, caller: SimulatedCaller? = nil,
        verifier: any CredentialVerifier = UnverifiedCredentials(), now: Date, explain: Bool = false
    ) async -> Decision {
        var decision: Decision
        switch begin(request, caller: caller, verifier: verifier, now: now) {
        case .decided(let decided): decision = decided
        case .pending(let pending): decision = await finish(pending, verifier: verifier, now: now)
        }
        if explain { decision.trace = trace(request, decision: decision) }
        return decision
    }

    /// Everything that needs no waiting: the target, the rule, a simulated caller, the
    /// `Authorization` header, and a verification `verifier` can answer at once.
    public func begin(
        _ request: APIRequest, caller: SimulatedCaller? = nil, verifier: any CredentialVerifier, now: Date
    ) -> Evaluation {
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
        let credential: Credential
        switch readCredential(request, match) {
        case .refused(let refusal): return .decided(refusal)
        case .read(let read): credential = read
        }
        if var refusal = schemeRefusal(credential, match) {
            if case .basic(let username, _) = credential { refusal.credential = .basicUser(username) }
            return .decided(refusal)
        }
        let prepared = verifier.prepare(credential)
        guard
            let verification = verifier.verifyImmediately(
                prepared, policy: policy, accepted: match.acceptance, now: now)
        else { return .pending(PendingDecision(match: match, credential: prepared)) }
        return .decided(finish(match, prepared, verification))
    }

    /// Verifies the pending decision's credential and decides.
    public func finish(_ pending: PendingDecision, verifier: any CredentialVerifier, now: Date) async -> Decision {
        let verification = await verifier.verify(
            pending.credential, policy: policy, accepted: pending.match.acceptance, now: now)
        return finish(pending.match, pending.credential, verification)
    }

    /// Decides `request` for an already known caller (or none). Synchronous: no verification.
    public func decide(_ request: APIRequest, identity: Identity?, now: Date) -> Decision {
        switch route(request) {
        case .decided(let decision): return decision
        case .needsCaller(let match):
            guard let identity else { return missingCredentials(match) }
            return authorize(match, identity, simulated: false)
        }
    }

    /// What a request's `Authorization` header(s) give.
    private enum CredentialRead {
        case read(Credential)
        case refused(Decision)
    }

    /// The one credential of `request`, or the refusal of its `Authorization` header(s).
    private func readCredential(_ request: APIRequest, _ match: Match) -> CredentialRead {
        if match.hasQueryToken {
            return .refused(
                make(
                    .credentialsAmbiguous,
                    .text("tokens in the query string (`access_token`) are not accepted; send `Authorization: Bearer`"),
                    match))
        }
        let authorizations = request.values(of: "Authorization")
        guard authorizations.count <= 1 else {
            return .refused(
                make(.credentialsAmbiguous, .text("the request carries more than one Authorization header"), match))
        }
        guard let header = authorizations.first else { return .refused(missingCredentials(match)) }
        switch Credential.parse(header) {
        case .unsupported(let scheme):
            return .refused(
                make(
                    .schemeDisabled,
                    .text(
                        scheme.map { "the `\($0)` authentication scheme is not supported" }
                            ?? "the authentication scheme is not supported; send `Bearer` credentials"), match,
                    challenge: challenge(match)))
        case .malformed(let rejection): return .refused(refuse(match, rejection))
        case .credential(let credential): return .read(credential)
        }
    }

    private func finish(_ match: Match, _ credential: PreparedCredential, _ verification: Verification) -> Decision {
        var decision: Decision
        switch verification {
        case .verified(let identity): decision = authorize(match, identity, simulated: false)
        case .rejected(let rejection): decision = refuse(match, rejection)
        case .unavailable(let provider, let reason):
            decision = make(
                .providerUnavailable, .text("identity provider `\(provider)` is unavailable: \(reason)"), match)
        }
        decision.credential = CredentialName(credential)
        return decision
    }

    /// A Basic header where Basic is off is refused without looking at the password.
    private func schemeRefusal(_ credential: Credential, _ match: Match) -> Decision? {
        switch credential {
        case .basic where !match.schemes.allows(.basic):
            return make(
                .schemeDisabled, .text("Basic authentication is not allowed here"), match, challenge: challenge(match))
        case .bearer where !match.schemes.allows(.bearer) && !match.schemes.allows(.apiToken):
            return make(
                .schemeDisabled, .text("bearer tokens are not allowed here"), match, challenge: challenge(match))
        default:
            return nil
        }
    }
}

/// A decision waiting for its credential to be verified: the rule it matched and the credential,
/// with what the verifier already computed. Made by ``Evaluator/begin(_:caller:verifier:now:)``,
/// completed by ``Evaluator/finish(_:verifier:now:)`` of the same evaluator.
public struct PendingDecision: Sendable {
    let match: Evaluator.Match
    /// The credential left to verify.
    public let credential: PreparedCredential
}

extension Evaluator {
    /// A request whose rule needs a verified caller.
    struct Match: Sendable {
        let rule: Int?
        let requirement: Requirement
        let schemes: SchemeSet
        let segments: [String]
        let path: String
        /// Whether the query carries `access_token` (RFC 6750 §2.3), which is never accepted.
        var hasQueryToken = false

        /// What the rule accepts, as its verifier is told.
        var acceptance: Acceptance { Acceptance(schemes: schemes, providers: requirement.providers) }
    }

    enum Route {
        case decided(Decision)
        case needsCaller(Match)
    }

    /// Reads the target, finds the deciding rule, and settles everything that needs no caller.
    func route(_ request: APIRequest) -> Route {
        guard request.hasValidMethod else {
            return .decided(
                make(
                    .requestInvalidMethod, .text("the request method is not a valid HTTP method"), rule: nil,
                    path: nil))
        }
        guard !request.hasLowercaseMethod else {
            return .decided(
                make(
                    .requestInvalidMethod,
                    .text("the method `\(request.method)` has lowercase letters; methods are case-sensitive"),
                    rule: nil, path: nil))
        }
        if let override = request.headers.lazy.compactMap({ OverrideHeader(named: $0.name) }).first(where: {
            !policy.policy.allowedOverrideHeaders.contains($0)
        }) {
            return .decided(
                make(
                    .requestOverrideHeader,
                    .text(
                        "the request carries `\(override.rawValue)`, which backends may read instead of its target or method"
                    ), rule: nil, path: nil))
        }
        let target: RequestTarget
        switch RequestTarget.parse(request.target) {
        case .success(let parsed): target = parsed
        case .failure(let error):
            return .decided(make(.requestInvalidTarget, .text(error.reason), rule: nil, path: nil))
        }
        let path = target.path
        guard
            let index = policy.firstMatch(
                segments: policy.folded(target.segments), method: MethodMask(requestMethod: request.method))
        else {
            switch policy.policy.defaultAction {
            case .deny:
                return .decided(
                    make(.defaultDeny, .text("no rule matches and the default is `deny`"), rule: nil, path: path))
            case .anyone:
                return .decided(
                    make(.defaultAllow, .text("no rule matches and the default is `anyone`"), rule: nil, path: path))
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
            return .decided(make(.ruleAllow, .ruleAllowsAnyone(rule: compiled.rule.id), rule: index, path: path))
        case .deny(let reason):
            return .decided(make(.ruleDeny, .text(reason), rule: index, path: path))
        case .require(let requirement):
            return .needsCaller(
                Match(
                    rule: index, requirement: requirement, schemes: compiled.schemes,
                    segments: target.segments, path: path, hasQueryToken: target.hasAccessToken))
        }
    }
}
