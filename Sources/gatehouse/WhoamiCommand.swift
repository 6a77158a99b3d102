import ArgumentParser
import Foundation
import Gatehouse
import GatehouseIdentity

/// `gatehouse whoami`: verify a token as the server would and show who it stands for.
struct WhoamiCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whoami",
        abstract: "Verify a token with one provider and print its claims and the mapped identity.",
        discussion: """
            Example:
              gatehouse whoami policies/confluence-okta.yaml --provider okta --token "$TOKEN"
              gatehouse token policies/jira-keycloak.yaml --provider keycloak | gatehouse whoami policies/jira-keycloak.yaml --provider keycloak --token -

            The step of "which claim holds the username": the output shows every verified claim \
            next to the username, groups and scopes the policy's claim mapping takes from them, and \
            marks the claims that could hold the username, each with the `claims:` line of a \
            provider that would use it. Exits 0 when the token verifies, 1 when it is refused, 65 when the provider cannot be asked.
            """
    )

    @Argument(help: "The policy file.")
    var policy: String

    @Option(help: "The provider that should vouch for the token.")
    var provider: String

    @Option(help: "The token, or - to read it from standard input.")
    var token: String

    @Option(help: "Verify JWTs against this saved key set (JWKS) instead of the provider's.")
    var jwks: String?

    @Option(help: "Output format: text or json.")
    var format: DecisionFormat = .text

    func run() async throws {
        let compiled = try Loading.policy(policy)
        guard let provider = compiled.provider(provider) else {
            throw Loading.usage("the policy has no provider `\(self.provider)`")
        }
        let value = token == "-" ? (readLine(strippingNewline: true) ?? "") : token
        let verifier = try Loading.verifier(for: compiled.policy, jwks: jwks)
        let report: WhoamiReport
        switch await verifier.verify(value.trimmingCharacters(in: .whitespaces), with: provider, now: Date()) {
        case .verified(let identity):
            report = WhoamiReport(provider: provider, identity: identity, rejection: nil)
        case .rejected(let rejection) where [.tokenNoUsername, .tokenBadUsername].contains(rejection.code):
            // The token verified, but its username claim is missing or unusable: the claims are
            // what the person needs to choose another one.
            var bySubject = provider
            bySubject.claims.username = ClaimPath("sub")
            let retried = await verifier.verify(
                value.trimmingCharacters(in: .whitespaces), with: bySubject, now: Date())
            guard case .verified(let identity) = retried else { fallthrough }
            report = WhoamiReport(provider: provider, identity: nil, rejection: rejection, claims: identity.claims)
        case .rejected(let rejection):
            report = WhoamiReport(provider: provider, identity: nil, rejection: rejection)
        case .unavailable(_, let reason):
            Standard.error("error: identity provider `\(provider.id)` is unavailable: \(reason)\n")
            throw Exit.unreadable
        }
        Standard.out(format == .json ? JSONText.encode(report) : report.text)
        if report.identity == nil { throw Exit.findings }
    }
}

/// What `whoami` prints: no token, only what it verified to.
struct WhoamiReport: Encodable {
    let provider: String
    let verify: String
    let verified: Bool
    let code: String?
    let reason: String?
    let identity: Mapped?
    let claims: [String: JSONValue]?
    /// The claims that could hold the username, the likeliest first.
    let usernameCandidates: [Candidate]?

    /// A claim that could hold the username: a string that names someone, with the policy line
    /// that would take it.
    struct Candidate: Encodable {
        let claim: String
        let value: String
        let policy: String
        /// Whether the policy's provider takes the username from it now.
        let current: Bool
    }

    enum CodingKeys: String, CodingKey {
        case provider, verify, verified, code, reason, identity, claims
        case usernameCandidates = "username_candidates"
    }

    /// The claims providers name people by, the likeliest first: Okta's and Keycloak's
    /// `preferred_username`, then e-mail, Azure AD's `upn` and `unique_name`, and the display
    /// names; `sub`, always present and rarely readable, comes last.
    static let likely = [
        "preferred_username", "username", "email", "upn", "unique_name", "login", "nickname", "name", "sub",
    ]

    /// The string claims of `claims` that could hold the username: those of ``likely``, in its
    /// order, then any other string claim holding an e-mail-like value, by name.
    static func candidates(_ claims: [String: JSONValue], current: String) -> [Candidate] {
        let strings = claims.compactMap { name, value -> (name: String, value: String)? in
            guard case .string(let text) = value, !text.isEmpty else { return nil }
            return (name, text)
        }
        let known = likely.compactMap { name in strings.first { $0.name == name } }
        let mailLike = strings.filter { !likely.contains($0.name) && $0.value.contains("@") }.sorted {
            $0.name < $1.name
        }
        let ordered = known.filter { $0.name != "sub" } + mailLike + known.filter { $0.name == "sub" }
        return ordered.map { claim in
            Candidate(
                claim: claim.name, value: claim.value, policy: "claims: { username: \(claim.name) }",
                current: claim.name == current)
        }
    }

    struct Mapped: Encodable {
        let username: String
        let usernameClaim: String
        let groups: [String]
        let scopes: [String]
        let subject: String?

        enum CodingKeys: String, CodingKey {
            case username, groups, scopes, subject
            case usernameClaim = "username_claim"
        }
    }

    /// The report of `identity` or of `rejection`; a token refused only for its username claim
    /// still shows its verified `claims` and candidates.
    init(provider: Provider, identity: Identity?, rejection: Rejection?, claims found: [String: JSONValue]? = nil) {
        self.provider = provider.id
        verify = provider.verify.rawValue
        verified = identity != nil
        code = rejection?.code.rawValue
        reason = rejection?.reason
        self.identity = identity.map {
            Mapped(
                username: $0.username, usernameClaim: provider.claims.username.text, groups: $0.groups,
                scopes: $0.scopes, subject: $0.subject)
        }
        claims = identity?.claims ?? found
        usernameCandidates = claims.map { Self.candidates($0, current: provider.claims.username.text) }
    }

    var text: String {
        var lines = ["provider  \(provider) (verify: \(verify))"]
        if let identity {
            lines.append("username  \(identity.username) (claim `\(identity.usernameClaim)`)")
            if let subject = identity.subject { lines.append("subject   \(subject)") }
            lines.append("groups    \(identity.groups.joined(separator: ", "))")
            lines.append("scopes    \(identity.scopes.joined(separator: " "))")
        } else {
            lines.append("refused   \(code ?? "") \(reason ?? "")")
            guard claims != nil else { return lines.joined(separator: "\n") + "\n" }
            lines.append("verified  the signature and claims are good; only the username claim is not")
        }
        lines.append("claims")
        lines.append(JSONText.encode(claims ?? [:]).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        let candidates = usernameCandidates ?? []
        if !candidates.isEmpty {
            lines.append("could hold the username (the provider's `claims:` line for each)")
            let width = candidates.map(\.claim.count).max() ?? 0
            let valueWidth = min(candidates.map(\.value.count).max() ?? 0, 40)
            for candidate in candidates {
                let claim = candidate.claim.padding(toLength: width, withPad: " ", startingAt: 0)
                let value = candidate.value + String(repeating: " ", count: max(0, valueWidth - candidate.value.count))
                lines.append("  \(claim)  \(value)  \(candidate.policy)\(candidate.current ? "  (in use)" : "")")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
