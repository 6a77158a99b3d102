/// How one gateway tells Gatehouse which request it is asking about, and which statuses it
/// understands. Each endpoint reads the original request only from its own gateway's headers,
/// never from another convention's (a client can send those through every gateway). Pure rules:
/// `gatehouse serve` and `gatehouse evaluate --gateway` both follow them.
public enum GatewayConvention: String, Sendable, CaseIterable {
    /// nginx `auth_request`: `X-Original-URI` and `X-Original-Method`, set by the config.
    case nginx
    /// Envoy `ext_authz` (HTTP service): the check request's own method, and its path after the
    /// `/v1/auth/envoy` prefix.
    case envoy
    /// Traefik `forwardAuth` and Caddy `forward_auth`: `X-Forwarded-Method`, `-Uri`, `-Host`.
    case forward
    /// ingress-nginx's `auth-url`: `X-Original-URL` (the whole URL, which ingress-nginx sets) and
    /// `X-Original-Method`. `X-Original-URI` is nginx's convention, not read here.
    case ingressNginx = "ingress-nginx"

    /// The endpoint's path prefix (literals: it is read for every request).
    public var prefix: String {
        switch self {
        case .nginx: "/v1/auth/nginx"
        case .envoy: "/v1/auth/envoy"
        case .forward: "/v1/auth/forward"
        case .ingressNginx: "/v1/auth/ingress-nginx"
        }
    }

    /// The convention whose endpoint `path` (a check request's target) is: its prefix and nothing
    /// more than a query, except Envoy's, which carries the original path after it.
    public static func serving(_ path: String) -> GatewayConvention? {
        guard path.utf8.starts(with: "/v1/auth/".utf8) else { return nil }
        return allCases.first { convention in
            guard path.utf8.starts(with: convention.prefix.utf8) else { return false }
            let rest = path.utf8.dropFirst(convention.prefix.utf8.count)
            let slash = UInt8(ascii: "/"), question = UInt8(ascii: "?")
            return rest.first == nil || rest.first == question || (convention == .envoy && rest.first == slash)
        }
    }

    /// The original request, or why it cannot be known (a refusal, never a guess): its headers
    /// missing, or sent twice.
    public func originalRequest(of check: CheckRequest) -> Result<APIRequest, MissingOriginal> {
        switch self {
        case .nginx:
            switch (check.only("x-original-uri"), check.only("x-original-method")) {
            case (.once(let uri), .once(let method)):
                return .success(APIRequest(method: method, target: uri, host: check.authority, headers: check.headers))
            case (.twice, _), (_, .twice):
                return .failure(.duplicate("the nginx request carries X-Original-URI or X-Original-Method twice"))
            default:
                return .failure(.missing("the nginx request carries no X-Original-URI or X-Original-Method"))
            }
        case .envoy:
            let rest = check.target.dropFirst(prefix.count)
            guard check.target.hasPrefix(prefix), rest.isEmpty || rest.hasPrefix("/") || rest.hasPrefix("?") else {
                return .failure(.missing("the Envoy check request's path is not under \(prefix)"))
            }
            let original = rest.isEmpty || rest.hasPrefix("?") ? "/" + rest : String(rest)
            return .success(
                APIRequest(method: check.method, target: original, host: check.authority, headers: check.headers))
        case .forward:
            let host: String?
            switch check.only("x-forwarded-host") {
            case .twice: return .failure(.duplicate("the forward-auth request carries X-Forwarded-Host twice"))
            case .once(let value): host = value
            case .none: host = nil
            }
            switch (check.only("x-forwarded-uri"), check.only("x-forwarded-method")) {
            case (.once(let uri), .once(let method)):
                return .success(APIRequest(method: method, target: uri, host: host, headers: check.headers))
            case (.twice, _), (_, .twice):
                return .failure(
                    .duplicate("the forward-auth request carries X-Forwarded-Uri or X-Forwarded-Method twice"))
            default:
                return .failure(
                    .missing("the forward-auth request carries no X-Forwarded-Uri or X-Forwarded-Method"))
            }
        case .ingressNginx:
            return Self.ingressNginxRequest(of: check)
        }
    }

    /// ingress-nginx's original request: the authority and target of `X-Original-URL`, its method
    /// from `X-Original-Method`. The URL is this door's own header, so it is not an override
    /// header here, and it is not passed on with the request's headers. ingress-nginx sets it on
    /// every check, replacing any copy a client sent.
    private static func ingressNginxRequest(of check: CheckRequest) -> Result<APIRequest, MissingOriginal> {
        let url: String
        let method: String
        switch (check.only("x-original-url"), check.only("x-original-method")) {
        case (.once(let original), .once(let verb)): (url, method) = (original, verb)
        case (.twice, _), (_, .twice):
            return .failure(.duplicate("the ingress-nginx request carries X-Original-URL or X-Original-Method twice"))
        default:
            return .failure(.missing("the ingress-nginx request carries no X-Original-URL or X-Original-Method"))
        }
        guard let (authority, target) = absoluteURL(url) else {
            return .failure(
                .missing("the ingress-nginx request's X-Original-URL is not an http(s) URL with a host and a path"))
        }
        let headers = check.headers.filter { !$0.name.equalsIgnoringCase("x-original-url") }
        return .success(APIRequest(method: method, target: target, host: authority, headers: headers))
    }

    /// The authority and the target (from its first `/`) of an `http://` or `https://` URL, when
    /// both are there.
    static func absoluteURL(_ url: String) -> (authority: String, target: String)? {
        let lowered = url.prefix(8).lowercased()
        let rest: Substring
        if lowered.hasPrefix("http://") {
            rest = url.dropFirst(7)
        } else if lowered.hasPrefix("https://") {
            rest = url.dropFirst(8)
        } else {
            return nil
        }
        guard let slash = rest.firstIndex(of: "/"), slash != rest.startIndex else { return nil }
        let authority = rest[..<slash]
        guard !authority.contains(where: { $0 == "?" || $0 == "#" || $0 == "@" }) else { return nil }
        return (String(authority), String(rest[slash...]))
    }

    /// The status this gateway is sent for `decision`. nginx (and so ingress-nginx) turns anything
    /// but 2xx/401/403 into 500, so 400 and 503 become 403 there; Envoy, Traefik and Caddy pass the status on to the
    /// client, so it stays as decided.
    public func status(for decision: Decision) -> Int {
        switch (self, decision.status) {
        case (.nginx, 400), (.nginx, 503), (.ingressNginx, 400), (.ingressNginx, 503): 403
        case (_, let status): status
        }
    }
}

/// Why a check request's original request cannot be known.
public struct MissingOriginal: Error, Sendable {
    /// The refusal's code: the original-request headers are missing, or sent twice, or the check
    /// request is malformed.
    public let code: DecisionCode
    /// One line, naming what is missing or doubled.
    public let reason: String

    /// The headers that name the original request are missing.
    public static func missing(_ reason: String) -> MissingOriginal {
        MissingOriginal(code: .requestMissingOriginal, reason: reason)
    }

    /// One of them is sent twice.
    public static func duplicate(_ reason: String) -> MissingOriginal {
        MissingOriginal(code: .requestDuplicateHeader, reason: reason)
    }

    /// The check request itself cannot be read as one.
    public static func malformed(_ reason: String) -> MissingOriginal {
        MissingOriginal(code: .requestMalformed, reason: reason)
    }

    /// The refusal: 400.
    public var decision: Decision { .refusal(code, reason: reason) }
}
