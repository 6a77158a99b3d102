extension ProviderKind {
    /// The keys each preset takes to build its issuer, and whether each is required.
    var presetKeys: [(key: String, required: Bool)] {
        switch self {
        case .okta: return [("domain", true), ("authorization_server", false)]
        case .keycloak: return [("url", true), ("realm", true)]
        case .azureAD: return [("tenant", true)]
        case .auth0: return [("domain", true)]
        case .oidc: return [("issuer", true)]
        }
    }

    /// The issuer and endpoints of this preset for the given settings (already validated).
    func expand(_ settings: [String: String]) -> (issuer: String, endpoints: ProviderEndpoints) {
        let value = { (key: String) in settings[key] ?? "" }
        var endpoints = ProviderEndpoints()
        let issuer: String
        switch self {
        case .okta:
            let domain = "https://\(value("domain"))"
            if let server = settings["authorization_server"] {
                issuer = "\(domain)/oauth2/\(server)"
                endpoints = Self.standard(
                    issuer, jwks: "/v1/keys", token: "/v1/token",
                    userinfo: "/v1/userinfo", introspection: "/v1/introspect")
            } else {
                issuer = domain
                endpoints = Self.standard(
                    domain, jwks: "/oauth2/v1/keys", token: "/oauth2/v1/token",
                    userinfo: "/oauth2/v1/userinfo", introspection: "/oauth2/v1/introspect")
            }
        case .keycloak:
            issuer = "\(Self.trimmed(value("url")))/realms/\(value("realm"))"
            endpoints = Self.standard(
                issuer, jwks: "/protocol/openid-connect/certs", token: "/protocol/openid-connect/token",
                userinfo: "/protocol/openid-connect/userinfo",
                introspection: "/protocol/openid-connect/token/introspect")
        case .azureAD:
            let base = "https://login.microsoftonline.com/\(value("tenant"))"
            issuer = "\(base)/v2.0"
            endpoints.discovery = "\(issuer)/.well-known/openid-configuration"
            endpoints.jwks = "\(base)/discovery/v2.0/keys"
            endpoints.token = "\(base)/oauth2/v2.0/token"
            endpoints.userinfo = "https://graph.microsoft.com/oidc/userinfo"
        case .auth0:
            let base = "https://\(value("domain"))"
            issuer = "\(base)/"
            endpoints.discovery = "\(base)/.well-known/openid-configuration"
            endpoints.jwks = "\(base)/.well-known/jwks.json"
            endpoints.token = "\(base)/oauth/token"
            endpoints.userinfo = "\(base)/userinfo"
        case .oidc:
            issuer = value("issuer")
            endpoints.discovery = "\(Self.trimmed(issuer))/.well-known/openid-configuration"
        }
        return (issuer, endpoints)
    }

    private static func standard(
        _ issuer: String, jwks: String, token: String, userinfo: String, introspection: String
    ) -> ProviderEndpoints {
        ProviderEndpoints(
            discovery: "\(issuer)/.well-known/openid-configuration", jwks: issuer + jwks,
            token: issuer + token, userinfo: issuer + userinfo, introspection: issuer + introspection)
    }

    private static func trimmed(_ url: String) -> String {
        url.hasSuffix("/") ? String(url.dropLast()) : url
    }
}
