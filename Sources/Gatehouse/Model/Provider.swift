/// An identity provider the policy trusts, with its preset expanded into issuer and endpoints.
public struct Provider: Sendable {
    /// The provider's id in the policy.
    public let id: String
    /// Where the provider is defined.
    public let location: SourceLocation
    /// The preset it was written with.
    public let kind: ProviderKind
    /// The exact `iss` its tokens carry.
    public let issuer: String
    /// Where to reach it.
    public let endpoints: ProviderEndpoints
    /// Accepted `aud` values (any of); empty means the audience is not checked.
    public let audiences: [String]
    /// How its tokens are verified.
    public let verify: VerifyMode
    /// The only signature algorithms accepted.
    public let algorithms: [SignatureAlgorithm]
    /// Clock skew tolerated for `exp`, `nbf` and `iat`.
    public let leeway: Duration
    /// How long a userinfo or introspection answer is remembered.
    public let cache: Duration
    /// Which claims become username, groups and scopes (`whoami` tries another username claim
    /// to show the claims of a token the mapping refuses).
    public var claims: ClaimMapping
    /// Client id for introspection and the client-credentials grant.
    public let clientID: String?
    /// Client secret, by reference.
    public let clientSecret: SecretReference?
}

/// A provider preset.
public enum ProviderKind: String, Sendable, CaseIterable {
    case okta, keycloak, azureAD = "azure-ad", auth0, oidc
}

/// How a provider's tokens are verified.
public enum VerifyMode: String, Sendable, CaseIterable {
    /// Local signature check against the provider's JWKS.
    case jwt
    /// The token is sent to the userinfo endpoint; its answer gives the claims.
    case userinfo
    /// RFC 7662 token introspection with client authentication.
    case introspection
}

/// A JWS signature algorithm Gatehouse can pin.
public enum SignatureAlgorithm: String, Sendable, CaseIterable, Hashable {
    case rs256 = "RS256", rs384 = "RS384", rs512 = "RS512", ps256 = "PS256"
    case es256 = "ES256", es384 = "ES384", edDSA = "EdDSA"
}

/// A provider's endpoints; nil where the provider has none and discovery will tell.
public struct ProviderEndpoints: Sendable, Hashable {
    public var discovery: String?
    public var jwks: String?
    public var token: String?
    public var userinfo: String?
    public var introspection: String?
    /// RFC 8628's device authorization endpoint: from the discovery document only.
    public var deviceAuthorization: String?
    /// The authorization endpoint a person signs in at: from the discovery document only.
    public var authorization: String?
    /// Whether the authorization response names its issuer in `iss` (RFC 9207's
    /// `authorization_response_iss_parameter_supported`): then a response without it is refused.
    public var namesIssuerInResponse = false

    /// The endpoint keys of the policy file, with the endpoint each sets.
    static var keys: [(key: String, path: WritableKeyPath<ProviderEndpoints, String?>)] {
        [
            ("discovery_url", \.discovery), ("jwks_uri", \.jwks), ("token_endpoint", \.token),
            ("userinfo_endpoint", \.userinfo), ("introspection_endpoint", \.introspection),
        ]
    }
}

/// A secret that is never written in the policy itself.
public enum SecretReference: Sendable, Hashable {
    /// Read from an environment variable.
    case environment(String)
    /// Read from a file.
    case file(String)
}
