import ArgumentParser
import Foundation
import Gatehouse
import GatehouseIdentity
import GatehouseServer

/// `gatehouse evaluate`: a dry run of one request against a policy, no server.
struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Decide one request against a policy and print the decision.",
        discussion: """
            Example:
              gatehouse evaluate policies/confluence-okta.yaml \\
                --method GET --path /confluence/rest/api/content/123 \\
                --provider okta --claims '{"preferred_username":"alice","scp":["content:read"]}'
              gatehouse evaluate policies/confluence-okta.yaml --request request.json --explain

              gatehouse evaluate policies/confluence-okta.yaml --gateway nginx \\
                --header 'X-Original-URI: /confluence/rest/api/content/123' --header 'X-Original-Method: GET'

            A request file (JSON or YAML) holds {method, path, host?, headers?, identity?}. \
            Credentials in an Authorization header are verified as the server would: JWTs \
            against the provider's keys (or --jwks FILE, offline), other tokens as API tokens or \
            by the provider's userinfo or introspection endpoint, Basic by bcrypt. Or simulate \
            the caller with --provider and --claims, or --api-token. With --gateway, the flags \
            describe the check request exactly as that gateway sends it (--path is the check \
            request's own path, the endpoint's by default; for Envoy the original path follows \
            it), and the answer `gatehouse serve` would send is printed too. Exits 0 on allow, \
            1 on deny.
            """
    )

    @Argument(help: "The policy file.")
    var policy: String

    @Option(help: "A request file (JSON or YAML), or - for standard input.")
    var request: String?

    @Option(help: "The request method (default GET).")
    var method: String?

    @Option(help: "The raw request target: path and query, as sent.")
    var path: String?

    @Option(name: .customLong("header"), help: "A request header, 'Name: value'. Repeatable.")
    var headers: [String] = []

    @Option(help: "The request's Host.")
    var host: String?

    @Option(help: "Simulate a caller verified by this provider.")
    var provider: String?

    @Option(help: "The simulated caller's claims, as a JSON object.")
    var claims: String?

    @Option(help: "Simulate a caller presenting this API token (by id).")
    var apiToken: String?

    @Option(
        help: ArgumentHelp(
            "Read the flags as this gateway's check request (nginx, envoy, forward or ingress-nginx) and print serve's answer.",
            valueName: "gateway"))
    var gateway: GatewayConvention?

    @Option(help: "Verify JWTs offline against this saved key set (JWKS) instead of fetching the providers' keys.")
    var jwks: String?

    @Flag(help: "List every rule tried and why it matched or not.")
    var explain = false

    @Option(help: "Output format: text or json.")
    var format: DecisionFormat = .text

    @Option(help: "Evaluate at this instant (RFC 3339) instead of now.")
    var now: String?

    func validate() throws {
        if request != nil && (method != nil || path != nil || !headers.isEmpty || host != nil) {
            throw ValidationError("give either --request or --method/--path/--header/--host, not both")
        }
        if let gateway {
            if request != nil {
                throw ValidationError("--gateway takes the check request from the flags, not --request")
            }
            if provider != nil || apiToken != nil {
                throw ValidationError("--gateway verifies credentials as serve does; a caller cannot be simulated")
            }
            if gateway == .envoy && path == nil {
                throw ValidationError("--gateway envoy needs --path \(gateway.prefix)/ORIGINAL-PATH")
            }
        } else if request == nil && path == nil {
            throw ValidationError("give --request FILE or --path TARGET")
        }
        if claims != nil && provider == nil { throw ValidationError("--claims needs --provider") }
        if apiToken != nil && provider != nil {
            throw ValidationError("give either --provider or --api-token, not both")
        }
        if let now, RFC3339.parse(now) == nil { throw ValidationError("--now `\(now)` is not an RFC 3339 instant") }
        for header in headers where !header.contains(":") {
            throw ValidationError("--header `\(header)` is not of the form 'Name: value'")
        }
    }

    func run() async throws {
        let loaded = try Loading.load(policy)
        let compiled = loaded.compiled!
        let instant = now.flatMap(RFC3339.parse) ?? Date()
        let verifier = try Loading.verifier(for: compiled.policy, jwks: jwks)
        let revision = Loading.revision(of: policy, loaded)
        if let gateway {
            return try await answer(as: gateway, compiled, revision: revision, verifier: verifier, now: instant)
        }
        var (request, caller) = try readRequest()
        if let simulated = try flagCaller() {
            guard caller == nil else {
                throw Loading.usage("the request file has an identity already; drop --provider/--claims/--api-token")
            }
            caller = simulated
        }
        if case .failure(let rejection)? = caller.map({ compiled.identity(for: $0, now: instant) }),
            [.simulationUnknownProvider, .simulationUnknownAPIToken].contains(rejection.code)
        {
            throw Loading.usage(rejection.reason)
        }
        var decision = await Evaluator(policy: compiled).evaluate(
            request, caller: caller, verifier: verifier, now: instant, explain: explain)
        _ = Self.attachAssertion(to: &decision, compiled.policy, revision: revision, now: instant)
        Standard.out(format == .json ? JSONText.encode(decision) : DecisionText.render(decision))
        if !decision.isAllowed { throw Exit.findings }
    }

    /// `--gateway`: the check request from the flags, decided and answered as `serve` would.
    private func answer(
        as gateway: GatewayConvention, _ compiled: CompiledPolicy, revision: String, verifier: TokenVerifier,
        now: Date
    ) async throws {
        let check = CheckRequest(
            method: method ?? "GET", target: path ?? gateway.prefix, authority: host, headers: headerPairs)
        var decision: Decision
        switch gateway.originalRequest(of: check) {
        case .failure(let missing): decision = missing.decision
        case .success(let original):
            decision = await Evaluator(policy: compiled).evaluate(
                original, verifier: verifier, now: now, explain: explain)
        }
        let id = DecisionID.next()
        decision.decisionID = id
        let assertion = Self.attachAssertion(to: &decision, compiled.policy, revision: revision, now: now).map {
            (name: $0, value: decision.assertion == nil ? "" : "(a JWT of these claims, signed by serve)")
        }
        let answer = GatewayAnswer(decision, for: gateway, decisionID: id, revision: revision, assertion: assertion)
        switch format {
        case .json: Standard.out(JSONText.encode(AnsweredDecision(decision: decision, answer: answer)))
        case .text: Standard.out(DecisionText.render(decision) + DecisionText.render(answer))
        }
        if !decision.isAllowed { throw Exit.findings }
    }

    /// With the policy's `assertion`, an allowed `decision` gets the claims `serve` would sign,
    /// under its decision id (a new one as `serve` makes them, when it has none); returns the
    /// assertion's header, or nil.
    private static func attachAssertion(to decision: inout Decision, _ policy: Policy, revision: String, now: Date)
        -> String?
    {
        guard let settings = policy.assertion, decision.isAllowed else { return nil }
        let id = decision.decisionID ?? DecisionID.next()
        decision.decisionID = id
        decision.assertion = AssertionClaims(decision, settings, id: id, revision: revision, now: now)
        return settings.header
    }

    /// `--header` values as name and value, trimmed.
    private var headerPairs: [(name: String, value: String)] {
        headers.map { header in
            let colon = header.firstIndex(of: ":")!
            return (
                name: String(header[..<colon]).trimmingCharacters(in: .whitespaces),
                value: String(header[header.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            )
        }
    }

    private func readRequest() throws -> (APIRequest, SimulatedCaller?) {
        guard let file = request else {
            return (APIRequest(method: method ?? "GET", target: path ?? "/", host: host, headers: headerPairs), nil)
        }
        let source = try Loading.source(file)
        switch RequestFile.parse(source) {
        case .success(let parsed): return (parsed.request, parsed.caller)
        case .failure(let list):
            Standard.error(DiagnosticRenderer(sources: [source]).render(list.diagnostics, as: .text))
            throw Exit.unreadable
        }
    }

    private func flagCaller() throws -> SimulatedCaller? {
        if let apiToken { return .apiToken(apiToken) }
        guard let provider else { return nil }
        guard let claims else { return .provider(provider, claims: [:]) }
        guard case .object(let object)? = try? JSONValue.parse(claims) else {
            throw Loading.usage("--claims must be a JSON object")
        }
        return .provider(provider, claims: object)
    }
}

extension GatewayConvention: ExpressibleByArgument {}

/// `evaluate --gateway --format json`: the decision, and the answer its gateway is sent.
struct AnsweredDecision: Encodable {
    let decision: Decision
    let answer: GatewayAnswer

    enum CodingKeys: String, CodingKey { case answer }

    /// The decision's own fields, and `answer` beside them.
    func encode(to encoder: any Encoder) throws {
        try decision.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(answer, forKey: .answer)
    }
}
