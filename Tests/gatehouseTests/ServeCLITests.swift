import Foundation
import Testing

/// `gatehouse serve` as a process: it answers a gateway endpoint and stops cleanly on SIGTERM.
@Suite struct ServeCLITests {
    static func curl(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "--max-time", "5"] + arguments
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test func servesReloadsOnSighupAndStopsOnSigterm() async throws {
        let port = 20_000 + Int(getpid() % 20_000)
        let policy = NSTemporaryDirectory() + "gatehouse-serve-\(getpid()).yaml"
        // No providers: readiness then asks nobody (the shipped examples name hosts off this machine).
        let original = """
            version: 1
            name: serve-cli
            api_tokens:
              - { id: ci, sha256: 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8, username: ci-bot }
            schemes: [api_token]
            rules:
              - id: rest
                match: { path: /v1/** }
                require: authenticated
            """
        try original.write(toFile: policy, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["serve", policy, "--listen", "127.0.0.1:\(port)"]
        process.currentDirectoryURL = CLI.root
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var ready = false
        for _ in 0..<100 where !ready {
            ready = (try? Self.curl(["http://127.0.0.1:\(port)/healthz"])) == "ok\n"
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(ready)
        let status = try Self.curl([
            "-o", "/dev/null", "-w", "%{http_code}", "-H", "X-Original-URI: /v1/things", "-H", "X-Original-Method: GET",
            "http://127.0.0.1:\(port)/v1/auth/nginx",
        ])
        #expect(status == "401")
        let before = try Self.curl(["http://127.0.0.1:\(port)/readyz"])
        try (original + "\n# changed\n").write(toFile: policy, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        var after = before
        for _ in 0..<50 where after == before {
            try await Task.sleep(for: .milliseconds(100))
            after = try Self.curl(["http://127.0.0.1:\(port)/readyz"])
        }
        #expect(after != before)
        #expect(after.contains("policy_sha256"))
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
    }

    /// `--listen unix:PATH`: served on the socket, a second server on it is refused while the
    /// first runs, and the socket file is removed on SIGTERM.
    @Test func servesOnAUnixSocket() async throws {
        let socket = NSTemporaryDirectory() + "gatehouse-\(getpid()).sock"
        func serve() throws -> Process {
            let process = Process()
            process.executableURL = CLI.binary
            process.arguments = ["serve", "Tests/gateways/policy.yaml", "--listen", "unix:\(socket)"]
            process.currentDirectoryURL = CLI.root
            process.standardError = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            return process
        }
        let first = try serve()
        var ready = false
        for _ in 0..<100 where !ready {
            ready = (try? Self.curl(["--unix-socket", socket, "http://gatehouse/healthz"])) == "ok\n"
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(ready)
        let status = try Self.curl([
            "--unix-socket", socket, "-o", "/dev/null", "-w", "%{http_code}", "-H", "X-Original-URI: /rest/things",
            "-H", "X-Original-Method: GET", "http://gatehouse/v1/auth/nginx",
        ])
        #expect(status == "401")
        let second = try serve()
        second.waitUntilExit()
        #expect(second.terminationStatus == 64)
        #expect(try Self.curl(["--unix-socket", socket, "http://gatehouse/healthz"]) == "ok\n")
        first.terminate()
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: socket))
    }
}
