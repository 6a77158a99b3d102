import Foundation
import Gatehouse
import GatehouseIdentity
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Synchronization

/// The HTTP adapter: one endpoint per gateway convention, `/v1/decide`, `/healthz`, `/readyz`.
/// Every endpoint calls the same evaluator as `gatehouse evaluate`.
public enum GatehouseServer {
    /// The router of the decision service for `policy`; `clock` gives the time of each decision.
    public static func router(
        policy: ActivePolicy, log: DecisionLog? = nil, metrics: ServerMetrics = ServerMetrics(),
        clock: @escaping @Sendable () -> Date = { Date() }
    ) -> Router<BasicRequestContext> {
        router(GatewayEndpoints(policy: policy, log: log, metrics: metrics, clock: clock))
    }

    static func router(_ endpoints: GatewayEndpoints) -> Router<BasicRequestContext> {
        let (policy, metrics, clock) = (endpoints.policy, endpoints.metrics, endpoints.clock)
        let router = Router()
        router.middlewares.add(endpoints)
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        router.get("/readyz") { request, context in
            let loaded = policy.loaded
            let states = await loaded.verifier.readiness(of: loaded.evaluator.policy.policy.providers)
            let unready = states.compactMapValues { $0 }
            let readiness = Readiness(
                status: unready.isEmpty ? "ready" : "not ready", policy: loaded.file, policySHA256: loaded.sha256,
                providers: states.mapValues { $0 ?? "ready" })
            return try JSONResponse(readiness, status: unready.isEmpty ? .ok : .serviceUnavailable)
                .response(from: request, context: context)
        }
        router.post("/v1/decide") { request, context in
            try await decide(request, context: context, policy: policy, clock: clock)
        }
        return router
    }

    /// An application listening on `address` (a host and port, or a unix socket). Gateway check
    /// requests whose credentials need no I/O are answered on the event loop that read them
    /// (``ImmediateDecisions``); the rest go through the router.
    public static func application(
        policy: ActivePolicy, log: DecisionLog? = nil, metrics: ServerMetrics = ServerMetrics(), address: BindAddress
    ) -> some ApplicationProtocol {
        let endpoints = GatewayEndpoints(policy: policy, log: log, metrics: metrics, clock: { Date() })
        return Application(
            router: router(endpoints),
            server: HTTPServerBuilder { responder in
                GatehouseHTTP1Channel(responder: responder, endpoints: endpoints, configuration: http1)
            },
            configuration: .init(address: address, serverName: "gatehouse"),
            logger: Logger(label: "gatehouse") { StandardErrorLogHandler(label: $0) })
    }

    /// Limits on what a client may send: a header field of 32 KiB (a 16 KiB token fits), 64 KiB
    /// of headers, 100 fields; idle connections close after 60 s.
    static let http1 = HTTP1Channel.Configuration(
        idleTimeout: .seconds(60),
        httpDecoderConfiguration: .init(
            maxHeaderFieldSize: 32 * 1024, maxHeaderListSize: 64 * 1024, maxHeaderFieldCount: 100))

    /// `POST /v1/decide`: a request document in, a decision out. A caller cannot be simulated here:
    /// credentials travel in the request's headers and are verified.
    static func decide(
        _ request: Request, context: BasicRequestContext, policy: ActivePolicy, clock: @Sendable () -> Date
    ) async throws -> Response {
        let body = try await request.body.collect(upTo: 1 << 20)
        let source = SourceFile(name: "request", text: String(buffer: body))
        switch RequestFile.parse(source) {
        case .failure(let list):
            let message = list.diagnostics.first.map {
                "\($0.location.map { "\($0.line):\($0.column): " } ?? "")\($0.message)"
            }
            return try JSONResponse(
                Refusal(code: "request.malformed", reason: message ?? "the request document is malformed"),
                status: .badRequest
            ).response(from: request, context: context)
        case .success(let parsed):
            guard parsed.caller == nil else {
                return try JSONResponse(
                    Refusal(
                        code: "request.malformed",
                        reason: "`identity` cannot be simulated here; send credentials in `headers`"),
                    status: .badRequest
                ).response(from: request, context: context)
            }
            let loaded = policy.loaded
            let decision = await loaded.evaluator.evaluate(parsed.request, verifier: loaded.verifier, now: clock())
            return try JSONResponse(decision).response(from: request, context: context)
        }
    }
}

/// Answers the gateway endpoints before routing, so that no router normalizes the paths Envoy
/// sends under its prefix.
struct GatewayEndpoints: RouterMiddleware {
    typealias Context = BasicRequestContext

    private static let nextID = Atomic<UInt64>(.random(in: .min ... .max))

    let policy: ActivePolicy
    let log: DecisionLog?
    let metrics: ServerMetrics
    let clock: @Sendable () -> Date

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard let convention = Self.convention(serving: request.head.path ?? "") else {
            return try await next(request, context)
        }
        let gateway = GatewayRequest(
            method: request.method.rawValue, target: request.head.path ?? "", authority: request.head.authority,
            headers: request.headers.map { (name: $0.name.canonicalName, value: $0.value) })
        return await answer(gateway, convention).response
    }

    /// The gateway convention whose endpoint `path` is, if any.
    static func convention(serving path: String) -> GatewayConvention? {
        guard path.utf8.starts(with: "/v1/auth/".utf8) else { return nil }
        return GatewayConvention.allCases.first { convention in
            guard path.utf8.starts(with: convention.prefix.utf8) else { return false }
            let rest = path.utf8.dropFirst(convention.prefix.utf8.count)
            let slash = UInt8(ascii: "/"), question = UInt8(ascii: "?")
            return rest.first == nil || rest.first == question || (convention == .envoy && rest.first == slash)
        }
    }

    /// Decides a gateway's check request, verifying its credentials however long that takes.
    func answer(_ request: GatewayRequest, _ convention: GatewayConvention) async -> GatewayAnswer {
        switch begin(request, convention) {
        case .failure(let refusal): return refusal
        case .success(let check):
            let loaded = check.loaded
            return finish(
                await loaded.evaluator.evaluate(check.original, verifier: loaded.verifier, now: check.now), check,
                convention)
        }
    }

    /// The same answer when it needs no I/O (no credentials, or credentials already verified);
    /// nil when verification must wait. Called on the event loop that read the request.
    func answerImmediately(_ request: GatewayRequest, _ convention: GatewayConvention) -> GatewayAnswer? {
        switch begin(request, convention) {
        case .failure(let refusal): return refusal
        case .success(let check):
            let loaded = check.loaded
            return loaded.evaluator.evaluateImmediately(check.original, verifier: loaded.verifier, now: check.now)
                .map { finish($0, check, convention) }
        }
    }

    /// A check request being decided: the original request, and the policy, time and start it is
    /// decided with.
    struct Check {
        let original: Gatehouse.HTTPRequest
        let loaded: ActivePolicy.Loaded
        let now: Date
        let started: ContinuousClock.Instant
    }

    /// The original request under the policy in force now, or the refusal when the gateway did not
    /// send it.
    private func begin(_ request: GatewayRequest, _ convention: GatewayConvention) -> Result<Check, GatewayAnswer> {
        let started = ContinuousClock.now
        return convention.originalRequest(request)
            .map { Check(original: $0, loaded: policy.loaded, now: clock(), started: started) }
            .mapError {
                Self.refusal(
                    convention, status: 400, code: "request.missing-original", reason: $0.reason, id: Self.decisionID())
            }
    }

    /// Counts, logs and renders a decision.
    private func finish(_ decision: Decision, _ check: Check, _ convention: GatewayConvention) -> GatewayAnswer {
        let (original, loaded, now) = (check.original, check.loaded, check.now)
        let id = Self.decisionID()
        let elapsed = ContinuousClock.now - check.started
        metrics.decided(decision, gateway: convention.rawValue, duration: elapsed)
        log?.record(
            DecisionLog.Entry(
                time: now, decisionID: id, gateway: convention.rawValue,
                policy: String(loaded.sha256.prefix(12)), method: original.method,
                path: decision.path, rule: decision.rule, code: decision.code, status: decision.status,
                username: decision.identity?.username, provider: decision.identity?.provider,
                scheme: decision.identity?.scheme.rawValue, groups: decision.identity?.groups,
                scopes: decision.identity?.scopes,
                token: Digest.fingerprint(authorization: original.values(of: "Authorization").first),
                latencyMicroseconds: Int(elapsed.components.attoseconds / 1_000_000_000_000)
                    + Int(elapsed.components.seconds) * 1_000_000))
        return Self.answer(decision, convention, id: id)
    }

    static func answer(_ decision: Decision, _ convention: GatewayConvention, id: String) -> GatewayAnswer {
        guard decision.isAllowed else {
            var answer = refusal(
                convention, status: decision.status, code: decision.code, reason: decision.reason, id: id)
            if let challenge = decision.challenge { answer.headers[.wwwAuthenticate] = challenge }
            return answer
        }
        var headers = HTTPFields()
        headers[.decisionID] = id
        for (name, value) in decision.headers.sorted(by: { $0.key < $1.key }) {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        return GatewayAnswer(status: .ok, headers: headers, body: nil)
    }

    static func refusal(_ convention: GatewayConvention, status: Int, code: String, reason: String, id: String)
        -> GatewayAnswer
    {
        var headers = HTTPFields()
        headers[.decisionID] = id
        headers[.contentType] = "application/json"
        return GatewayAnswer(
            status: HTTPResponse.Status(code: convention.status(for: status)), headers: headers,
            body: JSONText.encode(Refusal(code: code, reason: reason, decisionID: id)))
    }

    /// A 16-hex-digit id, logged with the decision and sent to the gateway: a random start plus a
    /// count, each passed through the SplitMix64 finalizer, a bijection, so ids never repeat within a
    /// process, do not reveal the count, and cost no random-number system call per request.
    static func decisionID() -> String {
        var value = nextID.wrappingAdd(1, ordering: .relaxed).newValue
        value = (value ^ (value >> 30)) &* 0xbf58_476d_1ce4_e5b9
        value = (value ^ (value >> 27)) &* 0x94d0_49bb_1331_11eb
        value ^= value >> 31
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// What a gateway's check request carries that Gatehouse reads: its own method, target, authority
/// (its first `Host`) and its other header fields, in order.
struct GatewayRequest {
    let method: String
    let target: String
    let authority: String?
    let headers: [(name: String, value: String)]

    /// The first value of the header `name`.
    func first(_ name: String) -> String? {
        headers.first { $0.name.equalsIgnoringCase(name) }?.value
    }
}

/// The answer to a gateway: a status, headers, and a JSON body for refusals.
struct GatewayAnswer: Error {
    let status: HTTPResponse.Status
    var headers: HTTPFields
    let body: String?

    var response: Response {
        Response(
            status: status, headers: headers,
            body: body.map { ResponseBody(byteBuffer: ByteBuffer(string: $0)) } ?? .init())
    }
}

/// A refusal's body: a code, a reason, the decision id; never a token or secret.
struct Refusal: Encodable {
    let code: String
    let reason: String
    var decisionID: String?

    enum CodingKeys: String, CodingKey {
        case code, reason
        case decisionID = "decision_id"
    }
}

/// `/readyz`: the policy in force and whether each provider can be used (a reason when not).
struct Readiness: Encodable {
    let status: String
    let policy: String
    let policySHA256: String
    let providers: [String: String]

    enum CodingKeys: String, CodingKey {
        case status, policy, providers
        case policySHA256 = "policy_sha256"
    }
}

/// A JSON response body.
struct JSONResponse<Value: Encodable & Sendable>: ResponseGenerator {
    let value: Value
    var status: HTTPResponse.Status = .ok

    init(_ value: Value, status: HTTPResponse.Status = .ok) {
        self.value = value
        self.status = status
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: JSONText.encode(value))))
    }
}
