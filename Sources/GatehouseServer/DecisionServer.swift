import Foundation
import Gatehouse
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// The HTTP adapter: one endpoint per gateway convention, `/v1/decide`, `/healthz`, `/readyz`,
/// `/metrics`. Every decision is made by the same evaluator as `gatehouse evaluate` and answered
/// through one ``Ledger``.
public enum DecisionServer {
    /// The router of the decision service for `policy`; `clock` gives the time of each decision.
    public static func router(
        policy: ActivePolicy, log: DecisionLog? = nil, metrics: ServerMetrics = ServerMetrics(),
        clock: @escaping @Sendable () -> Date = { Date() }
    ) -> Router<BasicRequestContext> {
        router(ServerSetup(policy: policy, log: log, metrics: metrics), clock: clock)
    }

    /// The router of the decision service `setup` describes.
    public static func router(_ setup: ServerSetup, clock: @escaping @Sendable () -> Date = { Date() })
        -> Router<BasicRequestContext>
    {
        router(Decisions(policy: setup.policy, ledger: setup.ledger, clock: clock), setup)
    }

    static func router(_ decisions: Decisions, _ setup: ServerSetup) -> Router<BasicRequestContext> {
        let router = Router()
        router.middlewares.add(GatewayEndpoints(decisions: decisions))
        addOperations(to: router, setup)
        router.post("/v1/decide") { request, _ in
            let body = try await request.body.collect(upTo: maxDocument)
            return await decisions.decide(document: String(buffer: body)).response
        }
        return router
    }

    /// `/healthz`, `/metrics`, `/readyz` and `/.well-known/jwks.json` on `router`.
    static func addOperations(to router: Router<BasicRequestContext>, _ setup: ServerSetup) {
        let metrics = setup.metrics
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/.well-known/jwks.json") { _, _ in jwks(setup.policy.loaded) }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        router.get("/readyz") { request, context in
            let readiness = await readiness(setup)
            return try JSONResponse(readiness, status: readiness.status == "ready" ? .ok : .serviceUnavailable)
                .response(from: request, context: context)
        }
    }

    /// The public keys of the policy in force's assertions: 503 while no policy is, 404 when it
    /// signs none. Upstreams may keep it a minute.
    static func jwks(_ loaded: ActivePolicy.Loaded?) -> Response {
        let (status, body): (HTTPResponse.Status, String) =
            switch loaded.map({ $0.signer?.jwks }) {
            case .none: (.serviceUnavailable, #"{"error":"no policy is active yet"}"# + "\n")
            case .some(.none): (.notFound, #"{"error":"the policy in force signs no assertions"}"# + "\n")
            case .some(.some(let jwks)): (.ok, jwks)
            }
        var headers: HTTPFields = [.contentType: "application/json"]
        if status == .ok { headers[.cacheControl] = "max-age=60" }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// The router of `--health-listen`: only `/healthz`, `/readyz`, `/metrics` and the assertion
    /// keys, for probes, scrapers and upstreams that hold no client certificate.
    static func operationsRouter(_ setup: ServerSetup) -> Router<BasicRequestContext> {
        let router = Router()
        addOperations(to: router, setup)
        return router
    }

    /// What `/readyz` says of `setup`: ready when a policy is in force and every provider it
    /// names can be used, and the server is not draining.
    static func readiness(_ setup: ServerSetup) async -> Readiness {
        let loaded = setup.policy.loaded
        var providers: [String: String] = [:]
        if let loaded {
            let states = await loaded.verifier.readiness(of: loaded.evaluator.policy.policy.providers)
            providers = states.mapValues { $0 ?? "ready" }
        }
        let draining = setup.drain.isDraining
        let usable = loaded != nil && providers.values.allSatisfy { $0 == "ready" }
        let shadow = setup.shadow.map { shadow in
            Readiness.ShadowStatus(
                policy: shadow.loaded?.file, revision: shadow.loaded?.revision, bundle: setup.shadowBundle?.status)
        }
        let status = draining ? "draining" : usable ? "ready" : "not ready"
        let reason = draining ? "draining: the server is stopping" : loaded == nil ? "no policy is in force yet" : nil
        return Readiness(
            status: status, reason: reason,
            policy: loaded?.file, policySHA256: loaded?.sha256, revision: loaded?.revision,
            builtAt: loaded?.builtAt.map(RFC3339.format), unsignedBundles: setup.unsignedBundles ? true : nil,
            bundle: setup.bundle?.status, shadow: shadow, providers: providers)
    }

    /// An application listening on `address` (a host and port, or a unix socket). Gateway check
    /// requests whose credentials need no I/O are answered on the event loop that read them
    /// (``ImmediateDecisions``); the rest go through the router. `clock` gives the time of each
    /// decision, read once when it begins.
    public static func application(
        policy: ActivePolicy, log: DecisionLog? = nil, metrics: ServerMetrics = ServerMetrics(), address: BindAddress,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) -> some ApplicationProtocol {
        application(ServerSetup(policy: policy, log: log, metrics: metrics), address: address, clock: clock)
    }

    /// An application serving `setup` on `address`, over TLS with `tls`.
    public static func application(
        _ setup: ServerSetup, address: BindAddress, tls: ServerTLS? = nil,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) -> some ApplicationProtocol {
        application(
            Decisions(policy: setup.policy, ledger: setup.ledger, clock: clock), setup, address: address, tls: tls)
    }

    /// An application answering with `decisions` (shared with the gRPC door, so one ledger and
    /// one shadow count every answer).
    static func application(
        _ decisions: Decisions, _ setup: ServerSetup, address: BindAddress, tls: ServerTLS?
    ) -> some ApplicationProtocol {
        Application(
            router: router(decisions, setup),
            server: HTTPServerBuilder { responder in
                GatehouseHTTP1Channel(responder: responder, decisions: decisions, configuration: http1, tls: tls)
            },
            configuration: .init(address: address, serverName: "gatehouse"),
            logger: Logger(label: "gatehouse") { StandardErrorLogHandler(label: $0) })
    }

    /// Serves `setup` on `address` (and `/healthz`, `/readyz` and `/metrics` alone, over plain
    /// HTTP, on `health` when given; Envoy's gRPC door on `grpc` when given) until SIGINT, or
    /// SIGTERM and the drain (``Drain``) after it; a second SIGTERM ends the drain at once. Then
    /// the listeners close, the requests in flight are answered (for at most ``shutdownLimit``)
    /// and this returns.
    public static func run(
        _ setup: ServerSetup, address: BindAddress, tls: ServerTLS? = nil, health: BindAddress? = nil,
        grpc: GRPCListener? = nil, report: @escaping @Sendable (String) -> Void
    ) async throws {
        let decisions = Decisions(policy: setup.policy, ledger: setup.ledger, clock: { Date() })
        let application = application(decisions, setup, address: address, tls: tls)
        let door: [any Service] = try grpc.map { [GRPCService(server: try $0.server(decisions, setup))] } ?? []
        let operations: [any Service] =
            health.map { health in
                [
                    Application(
                        router: operationsRouter(setup), configuration: .init(address: health, serverName: "gatehouse"),
                        logger: application.logger)
                ]
            } ?? []
        var configuration = ServiceGroupConfiguration(
            services: [TogetherServices(services: [application] + door)] + operations,
            gracefulShutdownSignals: [.sigint], logger: application.logger)
        configuration.maximumGracefulShutdownDuration = shutdownLimit
        let group = ServiceGroup(configuration: configuration)
        signal(SIGTERM, SIG_IGN)
        let terminate = DispatchSource.makeSignalSource(signal: SIGTERM)
        let drain = setup.drain
        terminate.setEventHandler {
            guard drain.begin() else {
                report("a second SIGTERM: stopping now\n")
                Task { await group.triggerGracefulShutdown() }
                return
            }
            setup.metrics.draining()
            report("SIGTERM: draining for \(drain.period) (/readyz answers 503), then stopping\n")
            Task {
                try? await Task.sleep(for: drain.period)
                await group.triggerGracefulShutdown()
            }
        }
        terminate.resume()
        defer { terminate.cancel() }
        try await group.run()
    }

    /// How long the requests in flight are waited for once the listener has closed.
    static let shutdownLimit = Duration.seconds(10)

    /// The largest `/v1/decide` document read.
    static let maxDocument = 1 << 20

    /// Limits on what a client may send: a header field of 32 KiB (a 16 KiB token fits), 64 KiB
    /// of headers, 100 fields; idle connections close after 60 s.
    package static let http1 = HTTP1Channel.Configuration(
        idleTimeout: .seconds(60),
        httpDecoderConfiguration: .init(
            maxHeaderFieldSize: maxHeaderField, maxHeaderListSize: maxHeaderList, maxHeaderFieldCount: maxHeaderFields))

    /// The largest header field a check request may carry, by any door.
    static let maxHeaderField = 32 * 1024
    /// The most header bytes a check request may carry.
    static let maxHeaderList = 64 * 1024
    /// The most header fields a check request may carry.
    static let maxHeaderFields = 100
}
