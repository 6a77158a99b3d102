import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// What asking a bundle server gave: a bundle with what identifies its version, `304 Not
/// Modified`, or why there is none (a 404, a 5xx, a network error: the running policy stays).
enum BundleFetch: Sendable, Equatable {
    case bundle([UInt8], BundleVersion)
    case notModified
    case failed(reason: String, message: String)
}

/// How a bundle server names the version of a bundle it sent: its `ETag`, and its
/// `Last-Modified` (what a static server without entity tags, Python's among them, sends).
struct BundleVersion: Sendable, Equatable {
    var etag: String?
    var lastModified: String?

    static let none = BundleVersion()
}

/// Where bundles come from. ``HTTPBundleSource`` is the real one; tests give others.
protocol BundleSource: Sendable {
    /// The bundle, unless the version `current` is still the server's.
    func fetch(since current: BundleVersion) async -> BundleFetch
    /// Where the bundles come from, for diagnostics: the URL without credentials.
    var location: String { get }
}

/// A bundle server over HTTP or HTTPS: `GET URL` with `If-None-Match` (or `If-Modified-Since`,
/// when the server gave no entity tag) and, when given, `Authorization: Bearer TOKEN`. Redirects are not followed (a bundle server that moves must be
/// reconfigured, not trusted to say where); a body over ``maxBundle`` is refused.
struct HTTPBundleSource: BundleSource {
    let url: String
    let token: String?
    let timeout: Duration

    /// Connecting is given up after ``connectTimeout`` (the client retries a refused connection
    /// until then), so a replica whose bundle server is down starts from its cache in seconds;
    /// a download may take the whole `timeout`.
    static let client = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(connectTimeout))))
    static let connectTimeout: Int64 = 3
    /// The largest bundle taken: 16 MiB.
    static let maxBundle = 16 << 20

    var location: String { url }

    func fetch(since current: BundleVersion) async -> BundleFetch {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        if let etag = current.etag {
            request.headers.add(name: "If-None-Match", value: etag)
        } else if let lastModified = current.lastModified {
            request.headers.add(name: "If-Modified-Since", value: lastModified)
        }
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let deadline = TimeAmount.nanoseconds(
            Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
        let response: HTTPClientResponse
        do {
            response = try await Self.client.execute(request, timeout: deadline)
        } catch {
            return .failed(
                reason: "unreachable", message: "the bundle server cannot be reached (\(Self.describe(error)))")
        }
        switch response.status.code {
        case 200:
            do {
                let body = try await response.body.collect(upTo: Self.maxBundle)
                let version = BundleVersion(
                    etag: response.headers.first(name: "ETag"),
                    lastModified: response.headers.first(name: "Last-Modified"))
                return .bundle(Array(buffer: body), version)
            } catch is NIOTooManyBytesError {
                return .failed(reason: "too-large", message: "the bundle is larger than 16 MiB")
            } catch {
                return .failed(reason: "unreachable", message: "the bundle could not be read (\(Self.describe(error)))")
            }
        case 304:
            return .notModified
        case 404:
            return .failed(reason: "not-found", message: "the bundle server has no bundle at this URL (404)")
        case 500...599:
            return .failed(reason: "server-error", message: "the bundle server failed (\(response.status.code))")
        default:
            return .failed(
                reason: "bad-status", message: "the bundle server answered \(response.status.code), not a bundle")
        }
    }

    /// An error in a few words (the client's errors name the address, never a header we sent).
    private static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError, error == .deadlineExceeded { return "timed out" }
        return String("\(error)".prefix(200))
    }
}
