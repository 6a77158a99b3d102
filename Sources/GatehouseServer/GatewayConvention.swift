import Gatehouse
import HTTPTypes

/// How one gateway tells Gatehouse which request it is asking about, and which statuses it
/// understands. Each endpoint reads the original request only from its own gateway's headers,
/// never from another convention's (a client can send those through every gateway).
public enum GatewayConvention: String, Sendable, CaseIterable {
    /// nginx `auth_request`: `X-Original-URI` and `X-Original-Method`, set by the config.
    case nginx
    /// Envoy `ext_authz` (HTTP service): the check request's own method, and its path after the
    /// `/v1/auth/envoy` prefix.
    case envoy
    /// Traefik `forwardAuth` and Caddy `forward_auth`: `X-Forwarded-Method`, `-Uri`, `-Host`.
    case forward

    /// The endpoint's path prefix (literals: it is read for every request).
    public var prefix: String {
        switch self {
        case .nginx: "/v1/auth/nginx"
        case .envoy: "/v1/auth/envoy"
        case .forward: "/v1/auth/forward"
        }
    }

    /// The original request, or why it cannot be known (a refusal, never a guess).
    func originalRequest(_ request: GatewayRequest) -> Result<HTTPRequest_, MissingOriginal> {
        switch self {
        case .nginx:
            guard let uri = request.first("x-original-uri"), let method = request.first("x-original-method") else {
                return .failure(
                    MissingOriginal(reason: "the nginx request carries no X-Original-URI or X-Original-Method"))
            }
            return .success(
                HTTPRequest_(method: method, target: uri, host: request.authority, headers: request.headers))
        case .envoy:
            let rest = request.target.dropFirst(prefix.count)
            guard rest.isEmpty || rest.hasPrefix("/") || rest.hasPrefix("?") else {
                return .failure(MissingOriginal(reason: "the Envoy check request's path is not under \(prefix)"))
            }
            let original = rest.isEmpty || rest.hasPrefix("?") ? "/" + rest : String(rest)
            return .success(
                HTTPRequest_(
                    method: request.method, target: original, host: request.authority, headers: request.headers))
        case .forward:
            guard let uri = request.first("x-forwarded-uri"), let method = request.first("x-forwarded-method") else {
                return .failure(
                    MissingOriginal(reason: "the forward-auth request carries no X-Forwarded-Uri or X-Forwarded-Method")
                )
            }
            return .success(
                HTTPRequest_(
                    method: method, target: uri, host: request.first("x-forwarded-host"), headers: request.headers))
        }
    }

    /// The status this gateway should see for a decision's status. nginx turns anything but
    /// 2xx/401/403 into 500, so 400 and 503 become 403 there; Envoy, Traefik and Caddy pass the
    /// status on to the client, so it stays as decided.
    public func status(for decided: Int) -> Int {
        switch (self, decided) {
        case (.nginx, 400), (.nginx, 503): return 403
        default: return decided
        }
    }
}

/// Why the original request cannot be known.
struct MissingOriginal: Error {
    let reason: String
}

/// The engine's request type, named apart from HTTPTypes'.
typealias HTTPRequest_ = Gatehouse.HTTPRequest

extension HTTPField.Name {
    static let decisionID = HTTPField.Name("X-Gatehouse-Decision")!
}
