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
            next to the username, groups and scopes the policy's claim mapping takes from them. \
            Exits 0 when the token verifies, 1 when it is refused, 65 when the provider cannot be asked.
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

    init(provider: Provider, identity: Identity?, rejection: Rejection?) {
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
        claims = identity?.claims
    }

    var text: String {
        var lines = ["provider  \(provider) (verify: \(verify))"]
        guard let identity else {
            lines.append("refused   \(code ?? "") \(reason ?? "")")
            return lines.joined(separator: "\n") + "\n"
        }
        lines.append("username  \(identity.username) (claim `\(identity.usernameClaim)`)")
        if let subject = identity.subject { lines.append("subject   \(subject)") }
        lines.append("groups    \(identity.groups.joined(separator: ", "))")
        lines.append("scopes    \(identity.scopes.joined(separator: " "))")
        lines.append("claims")
        lines.append(JSONText.encode(claims ?? [:]).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        return lines.joined(separator: "\n") + "\n"
    }
}
