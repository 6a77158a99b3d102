/// The lines of a gateway's configuration that carry a policy's identity headers: each one
/// replaces any copy a client sent, whatever the policy sends. The shipped configurations in
/// `gateways/` hold these lines for the standard headers (``IdentityField/standardHeader``);
/// `gatehouse check --gateway-config GATEWAY` prints them for a policy's own.
public enum GatewayConfiguration: String, Sendable, CaseIterable {
    case nginx, envoy, traefik, caddy
    case ingressNginx = "ingress-nginx"

    /// The lines for `policy`'s identity headers and its assertion header, with a comment saying
    /// where they go.
    public func lines(for policy: Policy) -> String {
        lines(for: policy.upstreamHeaders.map(\.name) + (policy.assertion.map { [$0.header] } ?? []))
    }

    /// The lines for the headers `names`, with a comment saying where they go.
    public func lines(for names: [String]) -> String {
        switch self {
        case .nginx:
            let variables = names.map { "$gatehouse_" + $0.lowercased().replacingOccurrences(of: "-", with: "_") }
            let width = names.map(\.count).max() ?? 0
            return
                "# In the location that has `auth_request`: each header set from Gatehouse's answer, an empty one not sent.\n"
                + zip(names, variables).map { name, variable in
                    "auth_request_set \(variable) $upstream_http_\(name.lowercased().replacingOccurrences(of: "-", with: "_"));\n"
                }.joined()
                + zip(names, variables).map { name, variable in
                    "proxy_set_header \(name.padding(toLength: width, withPad: " ", startingAt: 0)) \(variable);\n"
                }.joined()
        case .envoy:
            return "# header_mutation before ext_authz removes the clients' copies; ext_authz copies Gatehouse's.\n"
                + "request_mutations:\n"
                + names.map { "- remove: \($0.lowercased())\n" }.joined()
                + "authorization_response:\n  allowed_upstream_headers:\n    patterns:\n"
                + names.map { "    - exact: \($0.lowercased())\n" }.joined()
        case .traefik:
            return "# forwardAuth drops the clients' copies of these and copies Gatehouse's.\n"
                + "authResponseHeaders: [\(names.map { "\"\($0)\"" }.joined(separator: ", "))]\n"
        case .ingressNginx:
            return
                "# The Ingress's annotation: ingress-nginx sets each from Gatehouse's answer, replacing a client's copy.\n"
                + "nginx.ingress.kubernetes.io/auth-response-headers: \"\(names.joined(separator: ", "))\"\n"
        case .caddy:
            return "# In a `route`, before forward_auth: drop the clients' copies; forward_auth copies Gatehouse's.\n"
                + names.map { "request_header -\($0)\n" }.joined()
                + "copy_headers \(names.joined(separator: " "))\n"
        }
    }
}
