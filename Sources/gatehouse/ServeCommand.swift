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
            -Uri, -Host; Traefik and Caddy), POST /v1/decide, /healthz, /readyz, /metrics. SIGHUP (or \
            --watch) reloads the policy; a broken file keeps the running one. Stops on SIGTERM \
            or SIGINT after the requests in flight are answered.
            """
    )

    @Argument(help: "The policy file.")
    var policy: String

    @Option(help: "Address to listen on: host:port (loopback by default), or unix:PATH for a unix socket.")
    var listen = "127.0.0.1:9000"

    @Option(help: "Append one JSON line per decision to this file, or - for standard output.")
    var decisionLog: String?

    @Flag(help: "Reload the policy when the file changes (SIGHUP always reloads).")
    var watch = false

    func validate() throws {
        guard address != nil else {
            throw ValidationError("--listen takes host:port (e.g. 127.0.0.1:9000) or unix:PATH")
        }
    }

    /// `--listen` as an address: `unix:PATH`, or `host:port`.
    var address: BindAddress? {
        if listen.hasPrefix("unix:") {
            let path = String(listen.dropFirst(5))
            return path.isEmpty ? nil : .unixDomainSocket(path: path)
        }
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
            (0...65535).contains(port), colon > listen.startIndex
        else { return nil }
        return .hostname(String(listen[..<colon]), port: port)
    }

    func run() async throws {
        let metrics = ServerMetrics()
        let loaded: ActivePolicy.Loaded
        switch ActivePolicy.load(policy, files: Loading.files, events: metrics.events) {
        case .success(let ready): loaded = ready
        case .failure(let unusable):
            Standard.error(unusable.description)
            throw Exit.unreadable
        }
        let log: DecisionLog?
        do {
            log = try decisionLog.map(DecisionLog.init(path:))
        } catch {
            throw Loading.usage("the decision log `\(decisionLog ?? "")` cannot be opened")
        }
        let active = ActivePolicy(loaded)
        let reloader = PolicyReloader(path: policy, files: Loading.files, active: active, metrics: metrics) {
            Standard.error("gatehouse: " + $0)
        }
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP)
        hangup.setEventHandler { reloader.reload() }
        hangup.resume()
        let watcher = watch ? Task { await reloader.watch() } : nil
        let socket = listen.hasPrefix("unix:") ? String(listen.dropFirst(5)) : nil
        if let socket, Self.isListening(socket) {
            throw Loading.usage("`\(socket)` is the socket of a running server; stop it or choose another path")
        }
        let place = listen.hasPrefix("unix:") ? listen : "http://\(listen)"
        Standard.error("gatehouse: serving \(policy) (sha256 \(loaded.shortSHA256)) on \(place)\n")
        try await DecisionServer.application(policy: active, log: log, metrics: metrics, address: address!)
            .runService()
        watcher?.cancel()
        hangup.cancel()
        if let socket { unlink(socket) }
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
