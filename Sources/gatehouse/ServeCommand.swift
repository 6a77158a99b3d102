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

    @Option(help: "Address to listen on, host:port (loopback by default).")
    var listen = "127.0.0.1:9000"

    @Option(help: "Append one JSON line per decision to this file, or - for standard output.")
    var decisionLog: String?

    @Flag(help: "Reload the policy when the file changes (SIGHUP always reloads).")
    var watch = false

    func validate() throws {
        guard let colon = listen.lastIndex(of: ":"), Int(listen[listen.index(after: colon)...]) != nil else {
            throw ValidationError("--listen takes host:port, e.g. 127.0.0.1:9000")
        }
    }

    func run() async throws {
        let source = try Loading.source(policy)
        let metrics = ServerMetrics()
        let loaded: ActivePolicy.Loaded
        switch ActivePolicy.load(source, events: metrics.events) {
        case .success(let ready): loaded = ready
        case .failure(let list):
            Standard.error(DiagnosticRenderer(sources: [source]).render(list.diagnostics, as: .text))
            throw Exit.unreadable
        }
        let colon = listen.lastIndex(of: ":")!
        let host = String(listen[..<colon])
        let port = Int(listen[listen.index(after: colon)...])!
        let log: DecisionLog?
        do {
            log = try decisionLog.map(DecisionLog.init(path:))
        } catch {
            throw Loading.usage("the decision log `\(decisionLog ?? "")` cannot be opened")
        }
        let active = ActivePolicy(loaded)
        let reloader = PolicyReloader(path: policy, active: active, metrics: metrics) {
            Standard.error("gatehouse: " + $0)
        }
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP)
        hangup.setEventHandler { reloader.reload() }
        hangup.resume()
        let watcher = watch ? Task { await reloader.watch() } : nil
        Standard.error("gatehouse: serving \(policy) (sha256 \(loaded.sha256.prefix(12))) on http://\(listen)\n")
        try await GatehouseServer.application(policy: active, log: log, metrics: metrics, host: host, port: port)
            .runService()
        watcher?.cancel()
        hangup.cancel()
    }
}
