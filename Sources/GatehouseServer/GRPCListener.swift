import GRPCCore
import GRPCNIOTransportHTTP2
import GatehouseGRPCAPI
import ServiceLifecycle

/// `serve --grpc-listen HOST:PORT`: Envoy's gRPC door (``EnvoyAuthorization``) and the standard
/// health service, over HTTP/2, plaintext or TLS (with client certificates when the TLS files
/// name a client CA), beside the HTTP listener on the same policy, ledger and drain.
public struct GRPCListener: Sendable {
    public let host: String
    public let port: Int
    /// The certificate and key, re-read on SIGHUP with the HTTP listener's.
    public let tls: ServerTLS?

    public init(host: String, port: Int, tls: ServerTLS?) {
        self.host = host
        self.port = port
        self.tls = tls
    }

    /// The server answering with `decisions` and reporting `setup`'s readiness.
    func server(_ decisions: Decisions, _ setup: ServerSetup) throws -> GRPCServer<HTTP2ServerTransport.Posix> {
        let address: GRPCNIOTransportCore.SocketAddress =
            host.contains(":") ? .ipv6(host: host, port: port) : .ipv4(host: host, port: port)
        let transport = HTTP2ServerTransport.Posix(
            address: address, transportSecurity: try security(), config: .defaults)
        return GRPCServer(
            transport: transport, services: [EnvoyAuthorization(decisions: decisions), GRPCHealth(setup: setup)])
    }

    /// Plaintext without TLS files; with them, the current certificate and key for every
    /// handshake, and with a client CA a client certificate that CA signed required.
    private func security() throws -> HTTP2ServerTransport.Posix.TransportSecurity {
        guard let tls else { return .plaintext }
        let configure = { (config: inout HTTP2ServerTransport.Posix.TransportSecurity.TLS) in
            if let clientCA = tls.files.clientCA {
                config.trustRoots = .certificates([.file(path: clientCA, format: .pem)])
                config.clientCertificateVerification = .noHostnameVerification
            } else {
                config.clientCertificateVerification = .noVerification
            }
        }
        return tls.files.clientCA == nil
            ? try .tls(certificateReloader: tls, configure: configure)
            : try .mTLS(certificateReloader: tls, configure: configure)
    }
}

/// Services whose graceful shutdown begins at once (a group shuts its services down one after
/// another): the HTTP and gRPC listeners close together when the drain ends.
struct TogetherServices: Service {
    let services: [any Service]

    func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            for service in services { group.addTask { try await service.run() } }
        }
    }
}

/// The gRPC server as a service of the group `serve` runs: it serves until the group's graceful
/// shutdown (after the drain), then finishes the calls in flight.
struct GRPCService: Service {
    let server: GRPCServer<HTTP2ServerTransport.Posix>

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await server.serve()
        } onGracefulShutdown: {
            server.beginGracefulShutdown()
        }
    }
}

/// `grpc.health.v1.Health`: the server (`""`) and the authorization service report what
/// `/readyz` says, SERVING only when it is ready (so not while draining); other names are not
/// found.
struct GRPCHealth: Grpc_Health_V1_Health.SimpleServiceProtocol {
    let setup: ServerSetup

    static let services = ["", Envoy_Service_Auth_V3_Authorization.descriptor.fullyQualifiedService]

    func check(request: Grpc_Health_V1_HealthCheckRequest, context: ServerContext) async throws
        -> Grpc_Health_V1_HealthCheckResponse
    {
        guard Self.services.contains(request.service) else {
            throw RPCError(code: .notFound, message: "no service `\(request.service)` here")
        }
        return await response()
    }

    func list(request: Grpc_Health_V1_HealthListRequest, context: ServerContext) async throws
        -> Grpc_Health_V1_HealthListResponse
    {
        var list = Grpc_Health_V1_HealthListResponse()
        let status = await response()
        for service in Self.services { list.statuses[service] = status }
        return list
    }

    /// The status now, then each change, checked every second until the client goes or the
    /// server stops (after the drain, so the stop does not wait for a watcher).
    func watch(
        request: Grpc_Health_V1_HealthCheckRequest, response writer: RPCWriter<Grpc_Health_V1_HealthCheckResponse>,
        context: ServerContext
    ) async throws {
        var last: Grpc_Health_V1_HealthCheckResponse?
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let status =
                Self.services.contains(request.service) ? await response() : Self.status(.serviceUnknown)
            if status != last {
                try await writer.write(status)
                last = status
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
        }
    }

    private func response() async -> Grpc_Health_V1_HealthCheckResponse {
        Self.status(await DecisionServer.readiness(setup).status == "ready" ? .serving : .notServing)
    }

    private static func status(_ status: Grpc_Health_V1_HealthCheckResponse.ServingStatus)
        -> Grpc_Health_V1_HealthCheckResponse
    {
        var response = Grpc_Health_V1_HealthCheckResponse()
        response.status = status
        return response
    }
}
