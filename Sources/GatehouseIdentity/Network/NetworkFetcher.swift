import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Calls providers with async-http-client: no redirects followed (a provider's endpoints are
/// configured, never discovered from a redirect), bodies capped at 1 MiB.
public struct NetworkFetcher: HTTPFetching {
    static let client = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))
    static let maxBody = 1 << 20

    /// Creates the fetcher.
    public init() {}

    public func get(_ url: String, headers: [(String, String)], timeout: Duration) async throws -> HTTPAnswer {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        return try await execute(request, timeout: timeout)
    }

    public func post(_ url: String, form: [(String, String)], headers: [(String, String)], timeout: Duration)
        async throws
        -> HTTPAnswer
    {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let body = form.map { "\(Self.formEncode($0))=\(Self.formEncode($1))" }.joined(separator: "&")
        request.body = .bytes(ByteBuffer(string: body))
        return try await execute(request, timeout: timeout)
    }

    private func execute(_ request: HTTPClientRequest, timeout: Duration) async throws -> HTTPAnswer {
        let deadline = TimeAmount.nanoseconds(
            Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
        let response = try await Self.client.execute(request, timeout: deadline)
        let body = try await response.body.collect(upTo: Self.maxBody)
        return HTTPAnswer(
            status: Int(response.status.code), maxAge: Self.maxAge(response.headers["Cache-Control"]),
            body: Array(buffer: body))
    }

    /// `max-age` of a `Cache-Control` value, unless `no-store`/`no-cache` say not to keep it.
    static func maxAge(_ values: [String]) -> Int? {
        let directives = values.flatMap { $0.split(separator: ",") }.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }
        if directives.contains("no-store") || directives.contains("no-cache") { return 0 }
        return directives.lazy.compactMap { directive -> Int? in
            guard directive.hasPrefix("max-age=") else { return nil }
            return Int(directive.dropFirst("max-age=".count))
        }.first
    }

    static func formEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
