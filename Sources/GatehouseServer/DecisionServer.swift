import Foundation
import Gatehouse
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// The HTTP adapter: one endpoint per gateway convention, `/v1/decide`, `/healthz`, `/readyz`,
/// `/metrics`. Every decision is made by the same evaluator as `gatehouse evaluate` and answered
/// through one ``Ledger``.
public enum DecisionServer {
    /// The router of the decision service for `policy`; `clock` gives the time of each decision.
    public static func router(
        policy: ActivePolicy, log: DecisionLog? = nil, metrics: ServerMetrics = ServerMetrics(),
        clock: @escaping @Sendable () -> Date = { Date() }
    ) -> Router<BasicRequestContext> {
        router(Decisions(policy: policy, ledger: Ledger(log: log, metrics: metrics), clock: clock))
    }

    static func router(_ decisions: Decisions) -> Router<BasicRequestContext> {
        let (policy, metrics) = (decisions.policy, decisions.ledger.metrics)
        let router = Router()
        router.middlewares.add(GatewayEndpoints(decisions: decisions))
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
        router.post("/v1/decide") { request, _ in
            let body = try await request.body.collect(upTo: maxDocument)
            return await decisions.decide(document: String(buffer: body)).response
        }
        return router
    }

    /// An application listening on `address` (a host and port, or a unix socket). Gateway check
    /// requests whose credentials need no I/O are answered on the event loop that read them
    /// (``ImmediateDecisions``); the rest go through the router. `clock` gives the time of each
    /// decision, read once when it begins.
    public static func application(
        policy: ActivePolicy, log: DecisionLog? = nil, metrics: ServerMetrics = ServerMetrics(), address: BindAddress,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) -> some ApplicationProtocol {
        let decisions = Decisions(policy: policy, ledger: Ledger(log: log, metrics: metrics), clock: clock)
        return Application(
            router: router(decisions),
            server: HTTPServerBuilder { responder in
                GatehouseHTTP1Channel(responder: responder, decisions: decisions, configuration: http1)
            },
            configuration: .init(address: address, serverName: "gatehouse"),
            logger: Logger(label: "gatehouse") { StandardErrorLogHandler(label: $0) })
    }

    /// The largest `/v1/decide` document read.
    static let maxDocument = 1 << 20

    /// Limits on what a client may send: a header field of 32 KiB (a 16 KiB token fits), 64 KiB
    /// of headers, 100 fields; idle connections close after 60 s.
    package static let http1 = HTTP1Channel.Configuration(
        idleTimeout: .seconds(60),
        httpDecoderConfiguration: .init(
            maxHeaderFieldSize: 32 * 1024, maxHeaderListSize: 64 * 1024, maxHeaderFieldCount: 100))
}
