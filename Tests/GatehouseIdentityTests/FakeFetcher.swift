import Foundation
import Synchronization

@testable import GatehouseIdentity

/// An in-process stand-in for a provider's HTTP endpoints, for unit tests of caching and failure
/// handling (the real providers are exercised by `IdentityProviderTests`).
final class FakeFetcher: HTTPFetching {
    struct State {
        var answers: [String: HTTPAnswer] = [:]
        var calls: [String: Int] = [:]
        var failing = false
        var delay: Duration = .zero
    }

    let state = Mutex(State())

    func set(_ url: String, status: Int = 200, maxAge: Int? = nil, body: String) {
        state.withLock { $0.answers[url] = HTTPAnswer(status: status, maxAge: maxAge, body: Array(body.utf8)) }
    }

    func calls(_ url: String) -> Int { state.withLock { $0.calls[url] ?? 0 } }

    var failing: Bool {
        get { state.withLock { $0.failing } }
        set { state.withLock { $0.failing = newValue } }
    }

    var delay: Duration {
        get { state.withLock { $0.delay } }
        set { state.withLock { $0.delay = newValue } }
    }

    func get(_ url: String, headers: [(String, String)], timeout: Duration) async throws -> HTTPAnswer {
        try await answer(url)
    }

    func post(_ url: String, form: [(String, String)], headers: [(String, String)], timeout: Duration) async throws
        -> HTTPAnswer
    {
        try await answer(url)
    }

    private func answer(_ url: String) async throws -> HTTPAnswer {
        let (answer, failing, delay) = state.withLock { state -> (HTTPAnswer?, Bool, Duration) in
            state.calls[url, default: 0] += 1
            return (state.answers[url], state.failing, state.delay)
        }
        if delay > .zero { try await Task.sleep(for: delay) }
        if failing { throw URLError(.cannotConnectToHost) }
        return answer ?? HTTPAnswer(status: 404, maxAge: nil, body: [])
    }
}

/// A clock the tests move by hand.
final class TestClock: Sendable {
    let now = Mutex(TokenMinter.now)
    func advance(_ seconds: TimeInterval) { now.withLock { $0 = $0.addingTimeInterval(seconds) } }
    var read: @Sendable () -> Date { { [self] in now.withLock { $0 } } }
}
