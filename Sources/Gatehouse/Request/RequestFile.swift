/// The request format of `gatehouse evaluate --request` and of test cases, in JSON or YAML:
/// `{method, path, host?, headers?, identity?}`.
public enum RequestFile {
    /// A request and the simulated caller it names, if any.
    public struct Parsed: Sendable {
        public let request: APIRequest
        public let caller: SimulatedCaller?
    }

    /// Reads a request document.
    public static func parse(_ source: SourceFile) -> Result<Parsed, DiagnosticList> {
        switch YAMLReader.read(source) {
        case .failure(let list): return .failure(list)
        case .success(let root):
            let context = CheckContext()
            let parsed = parse(root, context: context)
            guard let parsed, !context.diagnostics.hasErrors else {
                return .failure(DiagnosticList(context.diagnostics))
            }
            return .success(parsed)
        }
    }

    /// Reads a request from an already parsed node, reporting problems into `context`.
    package static func parse(_ node: YAMLNode, context: CheckContext) -> Parsed? {
        guard
            let fields = context.mapping(
                node, "the request", allowed: ["method", "path", "host", "headers", "identity"],
                required: ["method", "path"]),
            let method = fields["method"].flatMap({ context.string($0, "`method`") }),
            let path = fields["path"].flatMap({ context.string($0, "`path`") })
        else { return nil }
        let host = fields["host"].flatMap { context.string($0, "`host`")?.value }
        let headers = fields["headers"].flatMap { readHeaders($0, context) } ?? []
        let caller = fields["identity"].flatMap { readCaller($0, context) }
        if fields.has("identity") && caller == nil { return nil }
        return Parsed(
            request: APIRequest(method: method.value, target: path.value, host: host, headers: headers),
            caller: caller)
    }

    private static func readHeaders(_ node: YAMLNode, _ context: CheckContext) -> [(name: String, value: String)]? {
        guard case .mapping(let entries, _) = node else {
            context.wrongType(node, "`headers`", expected: "a mapping of header names to values")
            return nil
        }
        var headers: [(name: String, value: String)] = []
        for entry in entries {
            if case .sequence(let items, _) = entry.value {
                for item in items {
                    if let value = context.string(item, "header `\(entry.key.value)`") {
                        headers.append((entry.key.value, value.value))
                    }
                }
            } else if let value = context.string(entry.value, "header `\(entry.key.value)`") {
                headers.append((entry.key.value, value.value))
            }
        }
        return headers
    }

    /// `{provider, claims}` or `{api_token}`.
    package static func readCaller(_ node: YAMLNode, _ context: CheckContext) -> SimulatedCaller? {
        guard let fields = context.mapping(node, "`identity`", allowed: ["provider", "claims", "api_token"]) else {
            return nil
        }
        if let token = fields["api_token"] {
            if fields.has("provider") || fields.has("claims") {
                context.error(
                    "check.invalid-value", "`identity` has either `api_token` or `provider` and `claims`",
                    at: fields.location)
                return nil
            }
            return context.string(token, "`api_token`").map { .apiToken($0.value) }
        }
        guard let provider = fields["provider"].flatMap({ context.string($0, "`provider`") }) else {
            if !fields.has("provider") {
                context.error(
                    "check.missing-key", "`identity` is missing `provider` (or `api_token`)", at: fields.location)
            }
            return nil
        }
        guard let claimsNode = fields["claims"] else { return .provider(provider.value, claims: [:]) }
        guard case .object(let claims) = JSONValue(yaml: claimsNode) else {
            context.wrongType(claimsNode, "`claims`", expected: "a mapping")
            return nil
        }
        return .provider(provider.value, claims: claims)
    }
}
