import ArgumentParser
import Foundation
import GatehouseServer
import Hummingbird

/// `serve`'s options for its listener: TLS, client certificates, and the drain on SIGTERM.
struct ListenerServeOptions: ParsableArguments {
    @Option(help: "Serve HTTPS with this PEM certificate (chain); re-read on SIGHUP.")
    var tlsCert: String?

    @Option(help: "The PEM private key of --tls-cert; re-read on SIGHUP.")
    var tlsKey: String?

    @Option(help: "Require a client certificate signed by a CA in this PEM file (only the gateways ask).")
    var tlsClientCa: String?

    @Option(
        help:
            "Also serve /healthz, /readyz and /metrics alone over plain HTTP here (host:port), for probes and scrapers."
    )
    var healthListen: String?

    @Option(
        help:
            "Also serve Envoy's gRPC ext_authz (envoy.service.auth.v3.Authorization) and grpc.health.v1 here (host:port), over TLS when --tls-cert is given."
    )
    var grpcListen: String?

    @Option(help: "On SIGTERM, answer 503 at /readyz and keep serving this many seconds before stopping.")
    var drainSeconds = 0

    func validate() throws {
        guard (tlsCert == nil) == (tlsKey == nil) else {
            throw ValidationError("give --tls-cert and --tls-key together")
        }
        guard tlsClientCa == nil || tlsCert != nil else {
            throw ValidationError("--tls-client-ca needs --tls-cert and --tls-key")
        }
        guard healthListen == nil || healthAddress != nil else {
            throw ValidationError("--health-listen takes host:port (e.g. 0.0.0.0:9001)")
        }
        guard grpcListen == nil || grpcAddress != nil else {
            throw ValidationError("--grpc-listen takes host:port (e.g. 0.0.0.0:9002)")
        }
        guard (0...3600).contains(drainSeconds) else {
            throw ValidationError("--drain-seconds takes 0 to 3600")
        }
    }

    /// `--health-listen` as an address.
    var healthAddress: BindAddress? {
        guard let healthListen, !healthListen.hasPrefix("unix:") else { return nil }
        return ServeCommand.address(healthListen)
    }

    /// `--grpc-listen` as a host and port.
    var grpcAddress: (host: String, port: Int)? {
        guard let (host, port) = grpcListen.flatMap(ServeCommand.hostAndPort) else { return nil }
        return (host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port)
    }

    /// The TLS files given, if any.
    var tlsFiles: ServerTLS.Files? {
        guard let tlsCert, let tlsKey else { return nil }
        return ServerTLS.Files(certificate: tlsCert, key: tlsKey, clientCA: tlsClientCa)
    }
}
