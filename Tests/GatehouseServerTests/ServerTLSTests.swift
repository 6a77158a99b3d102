import Foundation
import Gatehouse
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GatehouseServer

/// The TLS files `serve` is given, with certificates made by openssl: what cannot be used is
/// refused with the file named and no key material; a reload that fails keeps the running
/// context; both are counted. And `/readyz` while the server drains.
@Suite struct ServerTLSTests {
    /// A folder with a CA, a server certificate and key it signed, and a second key.
    static func certificates() throws -> String {
        let folder = OperationsTests.temporary("tls")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1"]
        try run(
            ["openssl", "req", "-x509"] + curve + ["-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=ca"], folder)
        try run(
            ["openssl", "req"] + curve + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=g"], folder)
        try run(
            [
                "openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "1", "-out", "server.pem",
            ], folder)
        try run(
            ["openssl", "genpkey", "-algorithm", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "other.key"],
            folder)
        return folder
    }

    static func run(_ arguments: [String], _ folder: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(arguments.joined(separator: " "))")
    }

    @Test func usableFilesServeAndUnusableOnesAreNamed() throws {
        let folder = try Self.certificates()
        let metrics = ServerMetrics()
        let tls = try ServerTLS(
            files: .init(
                certificate: "\(folder)/server.pem", key: "\(folder)/server.key", clientCA: "\(folder)/ca.pem"),
            metrics: metrics)
        #expect(metrics.render().contains("gatehouse_tls_certificate_expiry_seconds "))
        _ = tls.context

        let secret = try String(contentsOfFile: "\(folder)/other.key", encoding: .utf8).split(separator: "\n")[1]
        let cases: [(ServerTLS.Files, String)] = [
            (
                .init(certificate: "\(folder)/absent.pem", key: "\(folder)/server.key"),
                "the TLS certificate `\(folder)/absent.pem` cannot be read"
            ),
            (
                .init(certificate: "\(folder)/server.key", key: "\(folder)/server.key"),
                "the TLS certificate `\(folder)/server.key` holds no PEM certificate"
            ),
            (
                .init(certificate: "\(folder)/server.pem", key: "\(folder)/server.csr"),
                "the TLS key `\(folder)/server.csr` holds no PEM private key"
            ),
            (
                .init(certificate: "\(folder)/server.pem", key: "\(folder)/other.key"),
                "the TLS key `\(folder)/other.key` does not belong to the certificate"
            ),
            (
                .init(
                    certificate: "\(folder)/server.pem", key: "\(folder)/server.key", clientCA: "\(folder)/server.key"),
                "the client CA `\(folder)/server.key` holds no PEM certificate"
            ),
        ]
        for (files, message) in cases {
            #expect {
                try ServerTLS(files: files, metrics: ServerMetrics())
            } throws: { error in
                let text = "\(error)"
                return text.hasPrefix(message) && !text.contains(secret)
            }
        }
    }

    @Test func aReloadThatFailsKeepsTheRunningContext() throws {
        let folder = try Self.certificates()
        let metrics = ServerMetrics()
        let tls = try ServerTLS(
            files: .init(certificate: "\(folder)/server.pem", key: "\(folder)/server.key"), metrics: metrics)
        let running = tls.context
        #expect(tls.reload() == nil)
        let reloaded = tls.context
        #expect(reloaded !== running)

        try FileManager.default.removeItem(atPath: "\(folder)/server.key")
        try FileManager.default.copyItem(atPath: "\(folder)/other.key", toPath: "\(folder)/server.key")
        let failure = try #require(tls.reload())
        #expect(failure.description.contains("does not belong to the certificate"))
        #expect(tls.context === reloaded)
        let text = metrics.render()
        #expect(text.contains(#"gatehouse_tls_reloads_total{result="ok"} 1"#))
        #expect(text.contains(#"gatehouse_tls_reloads_total{result="failed"} 1"#))
    }

    @Test func aDrainingServerIsNotReady() async throws {
        let loaded = try ActivePolicy.load(
            SourceFile(
                name: "open.yaml",
                text: "version: 1\nrules:\n  - id: all\n    match: { path: /** }\n    allow: anyone\n")
        ).get()
        let drain = Drain(period: .seconds(5))
        let setup = ServerSetup(policy: ActivePolicy(loaded), drain: drain)
        let app = Application(router: DecisionServer.router(setup))
        try await app.test(.router) { client in
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .ok)
            #expect(drain.begin())
            #expect(!drain.begin())
            let response = try await client.execute(uri: "/readyz", method: .get)
            #expect(response.status == .serviceUnavailable)
            let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
            #expect(body?["status"] as? String == "draining")
            #expect(body?["reason"] as? String == "draining: the server is stopping")
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
        }
    }
}
