import ArgumentParser
import Foundation
import Gatehouse
import GatehouseIdentity
import GatehouseServer
import Hummingbird

/// `gatehouse serve`: the decision endpoint gateways call before passing a request upstream.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve decisions to nginx, Envoy, Traefik and Caddy.",
        discussion: """
            Example:
              gatehouse serve policies/confluence-okta.yaml --listen 127.0.0.1:9000

            Endpoints: /v1/auth/nginx (X-Original-URI, X-Original-Method), /v1/auth/envoy/... \
            (the check request's own method and path), /v1/auth/forward (X-Forwarded-Method, \
            -Uri, -Host; Traefik and Caddy), /v1/auth/ingress-nginx (X-Original-URL, \
            X-Original-Method), POST /v1/decide, /healthz, /readyz, /metrics; with --grpc-listen, \
            Envoy's gRPC ext_authz and grpc.health.v1. SIGHUP (or \
            --watch) reloads the policy, and SIGHUP the TLS certificate and key; a broken file keeps \
            the running one. SIGTERM drains (--drain-seconds), then stops after the requests in \
            flight are answered; SIGINT stops without draining.
            """
    )

    @Argument(help: "The policy file (omit with --bundle).")
    var policy: String?

    @Option(help: "Address to listen on: host:port (loopback by default), or unix:PATH for a unix socket.")
    var listen = "127.0.0.1:9000"

    @Option(help: "Append one JSON line per decision to this file, or - for standard output.")
    var decisionLog: String?

    @Flag(help: "Reload the policy (and a --shadow policy) when a file changes (SIGHUP always reloads).")
    var watch = false

    @OptionGroup(title: "TLS and shutdown")
    var listener: ListenerServeOptions

    @OptionGroup(title: "Bundles and shadow rollout")
    var bundles: BundleServeOptions

    func validate() throws {
        guard address != nil else {
            throw ValidationError("--listen takes host:port (e.g. 127.0.0.1:9000) or unix:PATH")
        }
        try bundles.validate(policy: policy)
    }

    /// `--listen` as an address.
    var address: BindAddress? { Self.address(listen) }

    /// An address: `unix:PATH`, or `host:port`.
    static func address(_ listen: String) -> BindAddress? {
        if listen.hasPrefix("unix:") {
            let path = String(listen.dropFirst(5))
            return path.isEmpty ? nil : .unixDomainSocket(path: path)
        }
        return hostAndPort(listen).map { .hostname($0.host, port: $0.port) }
    }

    /// `host:port` split, the port 0 to 65535.
    static func hostAndPort(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port), colon > text.startIndex
        else { return nil }
        return (String(text[..<colon]), port)
    }

    func run() async throws {
        let metrics = ServerMetrics()
        let log: DecisionLog?
        do {
            log = try decisionLog.map(DecisionLog.init(path:))
        } catch {
            throw Loading.usage("the decision log `\(decisionLog ?? "")` cannot be opened")
        }
        let socket = listen.hasPrefix("unix:") ? String(listen.dropFirst(5)) : nil
        if let socket, Self.isListening(socket) {
            throw Loading.usage("`\(socket)` is the socket of a running server; stop it or choose another path")
        }
        let report: @Sendable (String) -> Void = { Standard.error("gatehouse: " + $0) }
        let tls: ServerTLS?
        do {
            tls = try listener.tlsFiles.map { try ServerTLS(files: $0, metrics: metrics) }
        } catch {
            Standard.error("gatehouse: \(error)")
            throw Exit.unreadable
        }
        let settings = bundles.polls ? try bundles.settings() : nil
        let token = try bundles.token()
        let (active, reloader) = try Self.policy(policy, shadow: false, metrics: metrics, report: report)
        let bundle = bundles.bundle.map {
            BundlePoller(url: $0, token: token, settings: settings!, active: active, metrics: metrics, report: report)
        }
        let (shadow, shadowReloader) =
            try bundles.shadow.map {
                try Self.policy($0, shadow: true, metrics: metrics, report: report)
            } ?? (bundles.shadowBundle.map { _ in ActivePolicy(nil, metrics: metrics, shadow: true) }, nil)
        let shadowBundle = bundles.shadowBundle.map {
            BundlePoller(url: $0, token: token, settings: settings!, active: shadow!, metrics: metrics, report: report)
        }
        for poller in [bundle, shadowBundle].compactMap({ $0 }) { await poller.start() }
        if active.loaded == nil {
            report("no policy is in force yet: every check is refused (policy.unavailable) until a good bundle comes\n")
        }
        let reloaders = [reloader, shadowReloader].compactMap { $0 }
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP)
        hangup.setEventHandler {
            for reloader in reloaders { reloader.reload() }
            if let failure = tls?.reload() {
                report("the TLS certificate and key were not reloaded; the running ones stay: \(failure)\n")
            }
        }
        hangup.resume()
        let background =
            (watch ? reloaders.map { reloader in Task { await reloader.watch() } } : [])
            + [bundle, shadowBundle].compactMap { $0 }.map { poller in Task { await poller.run() } }
        let place = listen.hasPrefix("unix:") ? listen : "\(tls == nil ? "http" : "https")://\(listen)"
        let serving = bundles.bundle ?? policy ?? ""
        report("serving \(serving) (revision \(active.loaded?.revision ?? "none")) on \(place)\n")
        let setup = ServerSetup(
            policy: active, log: log, metrics: metrics, bundle: bundle, shadow: shadow, shadowBundle: shadowBundle,
            drain: Drain(period: .seconds(listener.drainSeconds)))
        let grpc = listener.grpcAddress.map { GRPCListener(host: $0.host, port: $0.port, tls: tls) }
        if let grpc {
            report("serving Envoy's gRPC ext_authz on \(grpc.host):\(grpc.port)\(tls == nil ? "" : " over TLS")\n")
        }
        try await DecisionServer.run(
            setup, address: address!, tls: tls, health: listener.healthAddress, grpc: grpc, report: report)
        for task in background { task.cancel() }
        hangup.cancel()
        if let socket { unlink(socket) }
    }

    /// The policy file at `path` in force, with its reloader; none (kept by a bundle server) when
    /// `path` is nil. A policy that cannot be used exits 65.
    private static func policy(
        _ path: String?, shadow: Bool, metrics: ServerMetrics, report: @escaping @Sendable (String) -> Void
    ) throws -> (ActivePolicy, PolicyReloader?) {
        guard let path else { return (ActivePolicy(nil, metrics: metrics, shadow: shadow), nil) }
        switch ActivePolicy.load(path, files: Loading.files, events: metrics.events) {
        case .success(let loaded):
            let active = ActivePolicy(loaded, metrics: metrics, shadow: shadow)
            return (
                active,
                PolicyReloader(path: path, files: Loading.files, active: active, metrics: metrics, report: report)
            )
        case .failure(let unusable):
            Standard.error(unusable.description)
            throw Exit.unreadable
        }
    }

    /// Whether a server accepts connections on the unix socket at `path` (a stale file left by a
    /// process that died does not; Hummingbird replaces it).
    static func isListening(_ path: String) -> Bool {
        let descriptor = Foundation.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
    }
}
