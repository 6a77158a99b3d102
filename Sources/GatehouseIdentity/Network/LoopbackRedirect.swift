import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// RFC 8252's loopback redirect: a listener on 127.0.0.1 at a port the system picks (or `port`,
/// for a provider that only takes the exact redirect URI registered), for the one request the
/// browser is sent back with after the person signs in.
final class LoopbackRedirect: Sendable {
    let port: Int
    private let descriptor: Int32

    init(port wanted: UInt16 = 0) throws(ProviderUnavailable) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ProviderUnavailable(reason: "no socket for the loopback redirect") }
        // A fixed port is taken again at once, though the last sign-in's connection is in TIME_WAIT.
        var reuse: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = wanted.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && listen(descriptor, 8) == 0
                    && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard bound else {
            close(descriptor)
            throw ProviderUnavailable(
                reason: "cannot listen on 127.0.0.1\(wanted == 0 ? "" : ":\(wanted)") for the loopback redirect")
        }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }

    /// The redirect URI to register with the provider.
    var uri: String { "http://127.0.0.1:\(port)/callback" }

    /// The query of the first `GET /callback` within `timeout`, answered with a page that tells
    /// the person to go back to the terminal; any other request gets 404 and the wait goes on.
    func wait(timeout: Duration) async throws(ProviderUnavailable) -> [String: String] {
        let descriptor = descriptor
        let result: Result<[String: String], ProviderUnavailable> = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: Self.serve(descriptor, until: .now + timeout))
            }
        }
        return try result.get()
    }

    private static func serve(_ listener: Int32, until deadline: ContinuousClock.Instant) -> Result<
        [String: String], ProviderUnavailable
    > {
        while ContinuousClock.now < deadline {
            var wanted = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            let left = deadline - ContinuousClock.now
            let milliseconds = Int32(
                clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)
            guard poll(&wanted, 1, max(1, milliseconds)) > 0 else { continue }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            defer { close(connection) }
            guard let target = requestTarget(connection) else { continue }
            guard target.hasPrefix("/callback?") || target == "/callback",
                let items = URLComponents(string: "http://127.0.0.1" + target)?.queryItems
            else {
                respond(connection, status: "404 Not Found", body: "not here\n")
                continue
            }
            respond(
                connection, status: "200 OK",
                body:
                    "<!doctype html><title>Gatehouse</title><p>Signed in: you can close this page and go back to the terminal.</p>\n"
            )
            return .success(Dictionary(items.map { ($0.name, $0.value ?? "") }) { first, _ in first })
        }
        return .failure(ProviderUnavailable(reason: "no one came back from the provider's sign-in page in time"))
    }

    /// The target of a `GET` request read from `connection` (its head only, at most 16 KiB).
    private static func requestTarget(_ connection: Int32) -> String? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        while bytes.count < 16384, bytes.firstRange(of: [13, 10, 13, 10]) == nil {
            let count = read(connection, &buffer, buffer.count)
            guard count > 0 else { break }
            bytes += buffer[0..<count]
        }
        let line = String(decoding: bytes.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).split(separator: " ")
        guard line.count == 3, line[0] == "GET" else { return nil }
        return String(line[1])
    }

    private static func respond(_ connection: Int32, status: String, body: String) {
        let text =
            "HTTP/1.1 \(status)\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Connection: close\r\n\r\n" + body
        _ = text.withCString { send(connection, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
    }
}
