import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// An HTTP answer, read whole (bounded).
public struct HTTPAnswer: Sendable {
    /// The status code.
    public let status: Int
    /// `Cache-Control: max-age`, when the answer carries one.
    public let maxAge: Int?
    /// The body.
    public let body: [UInt8]

    /// Creates an answer.
    public init(status: Int, maxAge: Int?, body: [UInt8]) {
        self.status = status
        self.maxAge = maxAge
        self.body = body
    }
}

/// Makes the few HTTP calls Gatehouse needs of a provider. A protocol, so tests can count calls
/// or fail them on purpose; ``NetworkFetcher`` is the real one.
public protocol HTTPFetching: Sendable {
    /// `GET url` with `headers`, within `timeout`.
    func get(_ url: String, headers: [(String, String)], timeout: Duration) async throws -> HTTPAnswer
    /// `POST url` with a form body, within `timeout`.
    func post(_ url: String, form: [(String, String)], headers: [(String, String)], timeout: Duration) async throws
        -> HTTPAnswer
}
