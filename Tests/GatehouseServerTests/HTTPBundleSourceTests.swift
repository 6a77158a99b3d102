import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

@testable import GatehouseServer

/// The bundle source over real HTTP, against a server on this machine: what it asks with, and
/// what each answer becomes.
struct HTTPBundleSourceTests {
    /// The request headers the server saw, by lowercase name.
    final class Seen: Sendable {
        private let requests = Mutex<[[String: String]]>([])
        func add(_ request: Request) {
            var fields: [String: String] = [:]
            for field in request.headers { fields[field.name.canonicalName] = field.value }
            requests.withLock { $0.append(fields) }
        }
        var all: [[String: String]] { requests.withLock { $0 } }
    }

    static func router(_ seen: Seen) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/tagged.tar") { request, _ in
            seen.add(request)
            if request.headers[.ifNoneMatch] == #""v1""# { return Response(status: .notModified) }
            return Response(
                status: .ok, headers: [.eTag: #""v1""#, .lastModified: "Tue, 01 Dec 2026 10:00:00 GMT"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "bundle")))
        }
        router.get("/dated.tar") { request, _ in
            seen.add(request)
            if request.headers[.ifModifiedSince] == "Tue, 01 Dec 2026 10:00:00 GMT" {
                return Response(status: .notModified)
            }
            return Response(
                status: .ok, headers: [.lastModified: "Tue, 01 Dec 2026 10:00:00 GMT"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "bundle")))
        }
        router.get("/moved.tar") { _, _ in Response(status: .found, headers: [.location: "/tagged.tar"]) }
        router.get("/failing.tar") { _, _ in Response(status: .serviceUnavailable) }
        router.get("/forbidden.tar") { _, _ in Response(status: .forbidden) }
        router.get("/huge.tar") { _, _ in
            Response(
                status: .ok,
                body: ResponseBody(byteBuffer: ByteBuffer(repeating: 0, count: HTTPBundleSource.maxBundle + 1)))
        }
        return router
    }

    @Test func itAsksWithTheVersionItHasAndItsToken() async throws {
        let seen = Seen()
        try await Application(router: Self.router(seen)).test(.live) { client in
            let base = "http://127.0.0.1:\(try #require(client.port))"
            let tagged = HTTPBundleSource(url: base + "/tagged.tar", token: "s3cret", timeout: .seconds(10))
            let first = await tagged.fetch(since: .none)
            let version = BundleVersion(etag: #""v1""#, lastModified: "Tue, 01 Dec 2026 10:00:00 GMT")
            #expect(first == .bundle(Array("bundle".utf8), version))
            #expect(await tagged.fetch(since: version) == .notModified)

            let dated = HTTPBundleSource(url: base + "/dated.tar", token: nil, timeout: .seconds(10))
            guard case .bundle(_, let datedVersion) = await dated.fetch(since: .none) else {
                Issue.record("no bundle")
                return
            }
            #expect(datedVersion == BundleVersion(etag: nil, lastModified: "Tue, 01 Dec 2026 10:00:00 GMT"))
            #expect(await dated.fetch(since: datedVersion) == .notModified)
        }
        let requests = seen.all
        #expect(requests.count == 4)
        #expect(requests[0]["authorization"] == "Bearer s3cret" && requests[0]["if-none-match"] == nil)
        // With an entity tag, only it is sent; without one, the date.
        #expect(requests[1]["if-none-match"] == #""v1""# && requests[1]["if-modified-since"] == nil)
        #expect(requests[2]["authorization"] == nil)
        #expect(requests[3]["if-modified-since"] == "Tue, 01 Dec 2026 10:00:00 GMT")
    }

    @Test func whatIsNotABundleSaysWhy() async throws {
        try await Application(router: Self.router(Seen())).test(.live) { client in
            let base = "http://127.0.0.1:\(try #require(client.port))"
            func fetch(_ path: String) async -> BundleFetch {
                await HTTPBundleSource(url: base + path, token: nil, timeout: .seconds(10)).fetch(since: .none)
            }
            #expect(
                await fetch("/nothing.tar")
                    == .failed(reason: "not-found", message: "the bundle server has no bundle at this URL (404)"))
            #expect(
                await fetch("/failing.tar")
                    == .failed(reason: "server-error", message: "the bundle server failed (503)"))
            #expect(
                await fetch("/moved.tar")
                    == .failed(reason: "bad-status", message: "the bundle server answered 302, not a bundle"))
            #expect(
                await fetch("/forbidden.tar")
                    == .failed(reason: "bad-status", message: "the bundle server answered 403, not a bundle"))
            #expect(
                await fetch("/huge.tar") == .failed(reason: "too-large", message: "the bundle is larger than 16 MiB"))
        }
        // A closed port: given up when connecting times out, long before the download's deadline.
        let started = ContinuousClock.now
        let closed = await HTTPBundleSource(url: "http://127.0.0.1:1/b.tar", token: "s3cret", timeout: .seconds(60))
            .fetch(since: .none)
        #expect(ContinuousClock.now - started < .seconds(30))
        guard case .failed(let reason, let message) = closed else {
            Issue.record("a closed port gave \(closed)")
            return
        }
        #expect(reason == "unreachable")
        #expect(message.hasPrefix("the bundle server cannot be reached ("))
        #expect(!message.contains("s3cret"))
    }
}
