/// Every code a decision or a refusal of credentials can carry, each declared once with its HTTP
/// status and its meaning. The codes are public contract: test files, metrics, decision logs and
/// gateways' bodies name them; `schemas/decision.schema.json` and docs/policy.md list exactly these
/// (a test compares both with this declaration).
public enum DecisionCode: String, Sendable, Hashable, CaseIterable, Encodable, CustomStringConvertible {
    case ruleAllow = "rule.allow"
    case defaultAllow = "default.allow"
    case ruleDeny = "rule.deny"
    case defaultDeny = "default.deny"

    case requestInvalidTarget = "request.invalid-target"
    case requestInvalidMethod = "request.invalid-method"
    case requestMissingOriginal = "request.missing-original"
    case requestDuplicateHeader = "request.duplicate-header"
    case requestOverrideHeader = "request.override-header"
    case requestMalformed = "request.malformed"

    case credentialsMissing = "credentials.missing"
    case credentialsAmbiguous = "credentials.ambiguous"
    case credentialsMalformed = "credentials.malformed"
    case credentialsInvalid = "credentials.invalid"
    case credentialsUnverified = "credentials.unverified"
    case credentialsBusy = "credentials.busy"
    case schemeDisabled = "scheme.disabled"

    case tokenTooLarge = "token.too-large"
    case tokenMalformed = "token.malformed"
    case tokenAlgorithm = "token.algorithm"
    case tokenCritical = "token.critical"
    case tokenType = "token.type"
    case tokenUnknownKey = "token.unknown-key"
    case tokenKeyMismatch = "token.key-mismatch"
    case tokenSignature = "token.signature"
    case tokenIssuer = "token.issuer"
    case tokenAudience = "token.audience"
    case tokenNoExpiry = "token.no-expiry"
    case tokenExpired = "token.expired"
    case tokenNotYetValid = "token.not-yet-valid"
    case tokenIssuedInFuture = "token.issued-in-future"
    case tokenNoUsername = "token.no-username"
    case tokenBadUsername = "token.bad-username"
    case tokenUnknown = "token.unknown"
    case tokenInvalid = "token.invalid"

    case requireProvider = "require.provider"
    case requireScope = "require.scope"
    case requireGroup = "require.group"
    case requireClaim = "require.claim"
    case requireUsername = "require.username"

    case providerUnavailable = "provider.unavailable"
    case policyUnavailable = "policy.unavailable"

    case simulationUnknownProvider = "simulation.unknown-provider"
    case simulationUnknownAPIToken = "simulation.unknown-api-token"

    /// The code as written: `token.expired`.
    public var description: String { rawValue }

    /// Whether a decision with this code lets the request pass.
    public var outcome: Decision.Outcome {
        switch self {
        case .ruleAllow, .defaultAllow: .allow
        default: .deny
        }
    }

    /// The HTTP status the engine decides for this code (a gateway may be sent another; see
    /// ``GatewayConvention/status(for:)``).
    public var status: Int {
        switch self {
        case .ruleAllow, .defaultAllow: 200
        case .requestInvalidTarget, .requestInvalidMethod, .requestMissingOriginal, .requestDuplicateHeader,
            .requestOverrideHeader, .requestMalformed, .credentialsAmbiguous:
            400
        case .ruleDeny, .defaultDeny, .requireProvider, .requireScope, .requireGroup, .requireClaim,
            .requireUsername:
            403
        case .providerUnavailable, .credentialsBusy, .policyUnavailable: 503
        default: 401
        }
    }

    /// Whether this refusal says the bearer token itself is bad, so that its challenge carries
    /// RFC 6750's `error="invalid_token"`.
    public var isInvalidToken: Bool {
        switch self {
        case .tokenTooLarge, .tokenMalformed, .tokenAlgorithm, .tokenCritical, .tokenType, .tokenUnknownKey,
            .tokenKeyMismatch, .tokenSignature, .tokenIssuer, .tokenAudience, .tokenNoExpiry, .tokenExpired,
            .tokenNotYetValid, .tokenIssuedInFuture, .tokenNoUsername, .tokenBadUsername, .tokenUnknown,
            .tokenInvalid:
            true
        default: false
        }
    }

    /// What the code means, in a line.
    public var meaning: String {
        switch self {
        case .ruleAllow: "the matched rule allows anyone, or the caller meets its requirements"
        case .defaultAllow: "no rule matches and the default allows (anyone, or any verified caller)"
        case .ruleDeny: "the matched rule denies outright"
        case .defaultDeny: "no rule matches and the default is `deny`"
        case .requestInvalidTarget: "the request target is not canonical (see Request targets)"
        case .requestInvalidMethod: "the method is not an HTTP token, or has lowercase letters"
        case .requestMissingOriginal: "the gateway's check request does not say which request it asks about"
        case .requestDuplicateHeader: "the check request carries one of its original-request headers twice"
        case .requestOverrideHeader:
            "the request carries a header that makes backends route or dispatch differently (`X-HTTP-Method-Override`, …)"
        case .requestMalformed: "a `/v1/decide` request document cannot be read"
        case .credentialsMissing: "credentials are needed and none were sent"
        case .credentialsAmbiguous: "more than one `Authorization` header, or a token in the query (`access_token`)"
        case .credentialsMalformed: "the Basic credentials are not base64 of `user:password`"
        case .credentialsInvalid: "the Basic username or password is wrong"
        case .credentialsUnverified: "credentials that this run cannot verify (a dry run or test without a verifier)"
        case .credentialsBusy:
            "too many Basic credentials are being checked at once (bcrypt's queue is full; fail closed)"
        case .schemeDisabled: "the scheme is not allowed here (Basic off, an unknown scheme)"
        case .tokenTooLarge: "the token or the `Authorization` header is larger than 16 KiB"
        case .tokenMalformed: "the bearer token is missing, not a compact JWS, or not canonical"
        case .tokenAlgorithm: "the token's algorithm is not one the provider accepts, or does not fit the key"
        case .tokenCritical: "the token has a `crit` header"
        case .tokenType: "the token's `typ` is not a JWT type"
        case .tokenUnknownKey: "no key of the provider has the token's `kid`, even after fetching the keys again"
        case .tokenKeyMismatch: "the token names no `kid` and several keys could verify it"
        case .tokenSignature: "the signature does not verify"
        case .tokenIssuer: "no provider of the policy issues the token's `iss`, or an answer names another issuer"
        case .tokenAudience: "the token's `aud` is none of the provider's `audiences`"
        case .tokenNoExpiry: "the token has no `exp`"
        case .tokenExpired: "the token, or the API token, has expired"
        case .tokenNotYetValid: "the token's `nbf` is in the future"
        case .tokenIssuedInFuture: "the token's `iat` is in the future"
        case .tokenNoUsername: "the token has no string claim to use as the username"
        case .tokenBadUsername: "the username claim has control characters"
        case .tokenUnknown: "neither a JWT of a known issuer nor a known API token"
        case .tokenInvalid: "refused by the provider's userinfo or introspection endpoint"
        case .requireProvider: "the caller is from none of the rule's providers"
        case .requireScope: "the caller lacks a scope the rule needs"
        case .requireGroup: "the caller is in none of the rule's groups"
        case .requireClaim: "a claim does not have the value the rule needs"
        case .requireUsername: "the path belongs to another user"
        case .providerUnavailable: "the identity provider cannot be asked and nothing is cached (fail closed)"
        case .policyUnavailable: "no policy is active yet: the bundle server has given none that verifies (fail closed)"
        case .simulationUnknownProvider: "a simulated caller names a provider the policy does not have"
        case .simulationUnknownAPIToken: "a simulated caller names an API token the policy does not have"
        }
    }
}
