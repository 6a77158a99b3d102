import Gatehouse

/// A provider with its preset expanded, as `check --show-providers` prints it.
struct ProviderSummary: Encodable {
    let id, kind, issuer, verify: String
    let audiences, algorithms: [String]
    let username: String
    let endpoints: [String: String]

    init(_ provider: Provider) {
        id = provider.id
        kind = provider.kind.rawValue
        issuer = provider.issuer
        verify = provider.verify.rawValue
        audiences = provider.audiences
        algorithms = provider.algorithms.map(\.rawValue)
        username = provider.claims.username.text
        var endpoints: [String: String] = [:]
        for (name, value) in Self.endpoints(provider.endpoints) { endpoints[name] = value }
        self.endpoints = endpoints
    }

    static func endpoints(_ endpoints: ProviderEndpoints) -> [(String, String)] {
        [
            ("discovery", endpoints.discovery), ("jwks", endpoints.jwks), ("token", endpoints.token),
            ("userinfo", endpoints.userinfo), ("introspection", endpoints.introspection),
        ]
        .compactMap { name, value in value.map { (name, $0) } }
    }

    static func text(_ providers: [Provider]) -> String {
        providers.map { provider in
            var lines = [
                "provider \(provider.id) (\(provider.kind.rawValue))",
                "  issuer         \(provider.issuer)",
                "  verify         \(provider.verify.rawValue) [\(provider.algorithms.map(\.rawValue).joined(separator: ", "))]",
                "  audiences      \(provider.audiences.isEmpty ? "(any)" : provider.audiences.joined(separator: ", "))",
                "  username       claim `\(provider.claims.username.text)`",
            ]
            for (name, value) in endpoints(provider.endpoints) {
                lines.append("  " + name.padding(toLength: 15, withPad: " ", startingAt: 0) + value)
            }
            if provider.endpoints.jwks == nil || provider.endpoints.userinfo == nil {
                lines.append("  (other endpoints come from discovery)")
            }
            return lines.joined(separator: "\n") + "\n"
        }.joined()
    }
}
