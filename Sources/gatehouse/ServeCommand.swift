import ArgumentParser
import Foundation
import Gatehouse
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

            Endpoints: /v1/auth/nginx (X-Original-URI, X-Original-Method), /v1/auth/envoy/... \\
            (the check request's own method and path), /v1/auth/forward (X-Forwarded-Method, \\
            -Uri, -Host; Traefik and Caddy), POST /v1/decide, /healthz, /readyz. Stops on SIGTERM \\
            or SIGINT after the requests in flight are answered.
            """
    )

    @Argument(help: "The policy file.")
    var policy: String

    @Option(help: "Address to listen on, host:port (loopback by default).")
    var listen = "127.0.0.1:9000"

    func validate() throws {
        guard let colon = listen.lastIndex(of: ":"), Int(listen[listen.index(after: colon)...]) != nil else {
            throw ValidationError("--listen takes host:port, e.g. 127.0.0.1:9000")
        }
    }

    func run() async throws {
        let source = try Loading.source(policy)
        let loaded: ActivePolicy.Loaded
        switch ActivePolicy.load(source) {
        case .success(let ready): loaded = ready
        case .failure(let list):
            Standard.error(DiagnosticRenderer(sources: [source]).render(list.diagnostics, as: .text))
            throw Exit.unreadable
        }
        let colon = listen.lastIndex(of: ":")!
        let host = String(listen[..<colon])
        let port = Int(listen[listen.index(after: colon)...])!
        Standard.error("gatehouse: serving \(policy) (sha256 \(loaded.sha256.prefix(12))) on http://\(listen)\n")
        try await GatehouseServer.application(policy: ActivePolicy(loaded), host: host, port: port).runService()
    }
}
