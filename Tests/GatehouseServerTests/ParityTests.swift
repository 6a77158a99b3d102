import Foundation
import Gatehouse
import GatehouseBundle
import GatehouseGRPCAPI
import GatehouseIdentity
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GatehouseServer

/// One table of gateway check requests (Tests/parity/cases.json), answered four ways, each
/// compared with the table's exact answer (status, every header, the body): the server `serve`
/// runs, over TCP, through its fast path and the router it hands waiting checks to; the router
/// alone; `gatehouse evaluate --gateway`; and, for Envoy's cases, the gRPC door, asked the same
/// request in a `CheckRequest`.
@Suite struct ParityTests {
    struct Case: Decodable, Sendable, CustomStringConvertible {
        let name: String
        let gateway: String
        let method: String
        let target: String
        let headers: [[String]]
        let status: Int
        let headersSent: [String: String]
        let code: String
        let reason: String?
        /// Whether the server's HTTP/1.1 parser refuses the check request itself (400, before any
        /// decision: llhttp reads only uppercase methods), so only the router, `evaluate` and the
        /// gRPC door decide it.
        let parserRefuses: Bool?

        var description: String { name }

        enum CodingKeys: String, CodingKey {
            case name, gateway, method, target, headers, status, code, reason
            case headersSent = "headers_sent"
            case parserRefuses = "parser_refuses"
        }

        /// The answer the table expects.
        var expected: Received {
            Received(
                status: status,
                headers: Dictionary(uniqueKeysWithValues: headersSent.map { ($0.key.lowercased(), $0.value) }),
                body: reason.map { ["code": code, "reason": $0] })
        }

        var fields: HTTPFields {
            var fields = HTTPFields()
            for pair in headers { fields.append(HTTPField(name: HTTPField.Name(pair[0])!, value: pair[1])) }
            return fields
        }
    }

    struct Table: Decodable {
        let policy: String
        let cases: [Case]
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let table: Table = {
        let data = FileManager.default.contents(atPath: root.appendingPathComponent("Tests/parity/cases.json").path)
        return try! JSONDecoder().decode(Table.self, from: data ?? Data())
    }()

    /// The revision every answer names: the digest of the table's policy file.
    static let revision = PolicyRevision.of(
        PolicyLoader.load(root.appendingPathComponent(table.policy).path, files: LocalFiles()).sources)

    static func policy() throws -> ActivePolicy {
        let path = root.appendingPathComponent(table.policy).path
        return ActivePolicy(try ActivePolicy.load(path, files: LocalFiles()).get())
    }

    /// What a gateway received, in the terms the table compares: the status, the header fields
    /// (names lowercased) but the transport's own and the decision id, and the refusal body
    /// without its decision id.
    struct Received: Equatable, CustomStringConvertible {
        let status: Int
        let headers: [String: String]
        let body: [String: String]?

        var description: String { "\(status) \(headers.sorted { $0.key < $1.key }) \(body ?? [:])" }

        /// Reads an answer; records an issue when its decision id is malformed or differs from
        /// the body's.
        init(status: Int, fields: [(String, String)], body: String) {
            var headers: [String: String] = [:]
            for (name, value) in fields
            where !["date", "server", "content-length", "connection"].contains(name.lowercased()) {
                headers[name.lowercased()] = value
            }
            let id = headers.removeValue(forKey: "x-gatehouse-decision")
            #expect(id?.wholeMatch(of: /[0-9a-f]{16}/) != nil, "decision id \(id ?? "(none)")")
            #expect(headers.removeValue(forKey: "x-gatehouse-revision") == ParityTests.revision)
            var object: [String: String]?
            if !body.isEmpty, var parsed = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: String]
            {
                #expect(parsed.removeValue(forKey: "decision_id") == id, "the body names the header's decision id")
                object = parsed
            } else {
                #expect(body.isEmpty, "a body that is not a refusal: \(body)")
            }
            self.init(status: status, headers: headers, body: object)
        }

        init(status: Int, headers: [String: String], body: [String: String]?) {
            self.status = status
            self.headers = headers
            self.body = body
        }
    }

    /// `serve`'s own server over TCP: answered on the event loop, or begun there and finished by
    /// the router (Basic). One server at a time.
    @Test(.serialized, arguments: table.cases)
    func theServerAnswers(_ testCase: Case) async throws {
        let app = DecisionServer.application(policy: try Self.policy(), address: .hostname("127.0.0.1", port: 0))
        try await app.test(.live) { client in
            if testCase.parserRefuses == true {
                let response = try await client.execute(
                    uri: testCase.target, method: HTTPRequest.Method(testCase.method)!, headers: testCase.fields)
                #expect(response.status.code == 400)
                #expect(response.headers[HTTPField.Name("X-Gatehouse-Decision")!] == nil)
                return
            }
            let received = try await Self.ask(client, testCase)
            #expect(received == testCase.expected)
        }
    }

    /// The router alone, as Hummingbird routes a check request the fast path did not begin.
    @Test(arguments: table.cases)
    func theRouterAnswers(_ testCase: Case) async throws {
        let app = Application(router: DecisionServer.router(policy: try Self.policy()))
        try await app.test(.router) { client in
            let received = try await Self.ask(client, testCase)
            #expect(received == testCase.expected)
        }
    }

    /// Envoy's gRPC door, asked each of Envoy's cases as Envoy asks it in gRPC mode: the method,
    /// the path after the endpoint's prefix, the headers by lowercase name (with `header_map`,
    /// as `encode_raw_headers` sends them, when a name is repeated). A header it removes is
    /// compared as the empty value the HTTP door sends.
    @Test(arguments: table.cases.filter { $0.gateway == "envoy" })
    func theGRPCDoorAnswers(_ testCase: Case) async throws {
        let decisions = Decisions(
            policy: try Self.policy(), ledger: Ledger(log: nil, metrics: ServerMetrics()), clock: { Date() })
        var request = Envoy_Service_Auth_V3_CheckRequest()
        request.attributes.request.http.method = testCase.method
        request.attributes.request.http.path = String(testCase.target.dropFirst(GatewayConvention.envoy.prefix.count))
        let names = testCase.headers.map { $0[0].lowercased() }
        if Set(names).count == names.count {
            for pair in testCase.headers { request.attributes.request.http.headers[pair[0].lowercased()] = pair[1] }
        } else {
            request.attributes.request.http.headerMap.headers = testCase.headers.map { pair in
                var header = Envoy_Config_Core_V3_HeaderValue()
                (header.key, header.rawValue) = (pair[0].lowercased(), Data(pair[1].utf8))
                return header
            }
        }
        let received = Self.received(await EnvoyGRPC.response(to: request, decisions))
        // On allow, the door also removes every standard identity header the policy does not send.
        var expected = testCase.expected.headers
        if testCase.status == 200 {
            for field in IdentityField.allCases where expected[field.standardHeader.lowercased()] == nil {
                expected[field.standardHeader.lowercased()] = ""
            }
        }
        #expect(received == Received(status: testCase.status, headers: expected, body: testCase.expected.body))
    }

    /// A `CheckResponse` in the table's terms.
    static func received(_ response: Envoy_Service_Auth_V3_CheckResponse) -> Received {
        switch response.httpResponse {
        case .okResponse(let ok)?:
            #expect(response.status.code == 0)
            let set = ok.headers.map { ($0.header.key, $0.header.value) }
            #expect(ok.headers.allSatisfy { $0.appendAction == .overwriteIfExistsOrAdd })
            #expect(Set(ok.headersToRemove).isDisjoint(with: set.map { $0.0.lowercased() }), "never set and removed")
            return Received(status: 200, fields: set + ok.headersToRemove.map { ($0, "") }, body: "")
        case .deniedResponse(let denied)?:
            #expect(response.status.code == (denied.status.code == .unauthorized ? 16 : 7))
            return Received(
                status: denied.status.code.rawValue, fields: denied.headers.map { ($0.header.key, $0.header.value) },
                body: denied.body)
        default:
            Issue.record("neither an OK nor a denied response")
            return Received(status: 0, headers: [:], body: nil)
        }
    }

    /// The case's check request, sent by `client`, and what came back.
    static func ask(_ client: some TestClientProtocol, _ testCase: Case) async throws -> Received {
        let response = try await client.execute(
            uri: testCase.target, method: HTTPRequest.Method(testCase.method)!, headers: testCase.fields)
        return Received(
            status: response.status.code, fields: response.headers.map { ($0.name.rawName, $0.value) },
            body: String(buffer: response.body))
    }

    /// `gatehouse evaluate --gateway` prints the decision and the same answer. One process at a
    /// time: sixteen debug binaries starting at once would starve the suite's other tests.
    @Test(.serialized, arguments: table.cases)
    func evaluateGatewayPrintsTheSameAnswer(_ testCase: Case) async throws {
        var arguments = [
            "evaluate", Self.table.policy, "--gateway", testCase.gateway, "--method", testCase.method, "--path",
            testCase.target, "--format", "json",
        ]
        for pair in testCase.headers { arguments += ["--header", "\(pair[0]): \(pair[1])"] }
        let output = try await Self.runGatehouse(arguments)
        #expect(output.status == (testCase.status == 200 ? 0 : 1))
        let printed = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        #expect(printed["code"] as? String == testCase.code)
        let answer = try #require(printed["answer"] as? [String: Any])
        #expect(answer["gateway"] as? String == testCase.gateway)
        let headers = try #require(answer["headers"] as? [String: String])
        let received = Received(
            status: answer["status"] as? Int ?? 0, fields: headers.map { ($0.key, $0.value) },
            body: answer["body"] as? String ?? "")
        #expect(received == testCase.expected)
        #expect(printed["decision_id"] as? String == headers["X-Gatehouse-Decision"])
    }

    /// The built binary, run from the package root, waited for on a dispatch thread (never on one
    /// of the task pool the other tests run on).
    static func runGatehouse(_ arguments: [String]) async throws -> (status: Int32, stdout: String) {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try runBlocking(arguments) }) }
        }
    }

    private static func runBlocking(_ arguments: [String]) throws -> (status: Int32, stdout: String) {
        let process = Process()
        process.executableURL = root.appendingPathComponent(".build/debug/gatehouse")
        process.arguments = arguments
        process.currentDirectoryURL = root
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self))
    }
}
