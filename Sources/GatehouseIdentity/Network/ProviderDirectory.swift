import Foundation
import Gatehouse

/// The providers of one policy as reachable services: their discovery documents and signing keys,
/// fetched on demand and cached. Create one per policy and share it; it is safe to use from many
/// tasks at once.
public final class ProviderDirectory: SigningKeySource {
    let fetcher: any HTTPFetching
    let timeout: Duration
    private let states: [String: ProviderState]

    /// - Parameters:
    ///   - providers: the policy's providers.
    ///   - fetcher: how HTTP calls are made.
    ///   - timeout: how long one call may take (2 s by default).
    ///   - clock: the current time; injected so cache expiry can be tested.
    public init(
        providers: [Provider], fetcher: any HTTPFetching = NetworkFetcher(), timeout: Duration = .seconds(2),
        clock: @escaping @Sendable () -> Date = { Date() }, events: VerificationEvents = .none
    ) {
        self.fetcher = fetcher
        self.timeout = timeout
        states = Dictionary(
            providers.map {
                ($0.id, ProviderState(provider: $0, fetcher: fetcher, timeout: timeout, clock: clock, events: events))
            },
            uniquingKeysWith: { first, _ in first })
    }

    public func keys(for provider: Provider, refresh: Bool) async -> Result<SigningKeySet, ProviderUnavailable> {
        guard let state = states[provider.id] else { return .failure(ProviderUnavailable(reason: "unknown provider")) }
        return await state.keys(refresh: refresh)
    }

    /// The provider's endpoints: the policy's, completed from its discovery document when needed.
    public func endpoints(for provider: Provider, needing: (any KeyPath<ProviderEndpoints, String?> & Sendable)? = nil)
        async
        -> Result<ProviderEndpoints, ProviderUnavailable>
    {
        guard let state = states[provider.id] else { return .failure(ProviderUnavailable(reason: "unknown provider")) }
        return await state.endpoints(needing: needing)
    }
}

/// One provider's cached discovery document and key set.
actor ProviderState {
    /// JWKS lifetime bounds and default, from `Cache-Control: max-age`.
    static let minimumLifetime: TimeInterval = 60
    static let maximumLifetime: TimeInterval = 24 * 3600
    static let defaultLifetime: TimeInterval = 600
    /// How long cached keys keep working while the provider cannot be reached.
    static let staleLimit: TimeInterval = 24 * 3600
    /// At most one refresh per this interval for tokens with an unknown `kid`.
    static let unknownKeyInterval: TimeInterval = 30

    let provider: Provider
    let fetcher: any HTTPFetching
    let timeout: Duration
    let clock: @Sendable () -> Date
    let events: VerificationEvents

    private var discovered: (endpoints: ProviderEndpoints, fetched: Date)?
    private var cached: (keys: SigningKeySet, fetched: Date, lifetime: TimeInterval)?
    private var lastForcedRefresh: Date?
    private var inFlight: Task<Result<(SigningKeySet, TimeInterval), ProviderUnavailable>, Never>?

    init(
        provider: Provider, fetcher: any HTTPFetching, timeout: Duration, clock: @escaping @Sendable () -> Date,
        events: VerificationEvents
    ) {
        self.provider = provider
        self.fetcher = fetcher
        self.timeout = timeout
        self.clock = clock
        self.events = events
    }

    func keys(refresh: Bool) async -> Result<SigningKeySet, ProviderUnavailable> {
        let now = clock()
        if let cached, !refresh, now < cached.fetched.addingTimeInterval(cached.lifetime) {
            if now > cached.fetched.addingTimeInterval(cached.lifetime * 0.8) { startFetch() }
            return .success(cached.keys)
        }
        if refresh, let cached {
            if let last = lastForcedRefresh, now.timeIntervalSince(last) < Self.unknownKeyInterval {
                return .success(cached.keys)
            }
            lastForcedRefresh = now
        }
        let result = await startFetch().value
        switch result {
        case .success(let (keys, _)):
            return .success(keys)
        case .failure(let failure):
            if let cached, clock().timeIntervalSince(cached.fetched) < Self.staleLimit { return .success(cached.keys) }
            return .failure(failure)
        }
    }

    /// The fetch in flight, or a new one: concurrent callers share one request.
    @discardableResult
    private func startFetch() -> Task<Result<(SigningKeySet, TimeInterval), ProviderUnavailable>, Never> {
        if let inFlight { return inFlight }
        let task = Task { await self.fetchKeys() }
        inFlight = task
        return task
    }

    private func fetchKeys() async -> Result<(SigningKeySet, TimeInterval), ProviderUnavailable> {
        defer { inFlight = nil }
        let result: Result<(SigningKeySet, TimeInterval), ProviderUnavailable>
        switch await endpoints() {
        case .failure(let failure): result = .failure(failure)
        case .success(let endpoints):
            guard let url = endpoints.jwks else {
                return .failure(ProviderUnavailable(reason: "no JWKS endpoint is known"))
            }
            result = await download(url)
        }
        if case .success(let (keys, lifetime)) = result { cached = (keys, clock(), lifetime) }
        events.keysFetched(provider.id, (try? result.get()) != nil)
        return result
    }

    private func download(_ url: String) async -> Result<(SigningKeySet, TimeInterval), ProviderUnavailable> {
        do {
            let answer = try await fetcher.get(url, headers: [("Accept", "application/json")], timeout: timeout)
            guard answer.status == 200 else {
                return .failure(ProviderUnavailable(reason: "the JWKS endpoint answered \(answer.status)"))
            }
            let keys = try await SigningKeySet.load(jwks: answer.body, allowed: provider.algorithms)
            let lifetime = min(
                Self.maximumLifetime,
                max(Self.minimumLifetime, answer.maxAge.map(TimeInterval.init) ?? Self.defaultLifetime))
            return .success((keys, lifetime))
        } catch let error as JWKSError {
            return .failure(ProviderUnavailable(reason: "the JWKS cannot be used: \(error.reason)"))
        } catch {
            return .failure(
                ProviderUnavailable(reason: "the JWKS endpoint cannot be reached (\(Self.describe(error)))"))
        }
    }

    /// The endpoints the verify mode needs (or `needing`, when given): the policy's, else the
    /// discovery document's, whose `issuer` must equal the configured issuer exactly.
    func endpoints(needing: (any KeyPath<ProviderEndpoints, String?> & Sendable)? = nil) async
        -> Result<ProviderEndpoints, ProviderUnavailable>
    {
        let configured = provider.endpoints
        let needed: String? =
            if let needing { configured[keyPath: needing] } else {
                switch provider.verify {
                case .jwt: configured.jwks
                case .userinfo: configured.userinfo
                case .introspection: configured.introspection
                }
            }
        if needed != nil { return .success(configured) }
        if let discovered, clock().timeIntervalSince(discovered.fetched) < Self.defaultLifetime {
            return .success(discovered.endpoints)
        }
        guard let url = configured.discovery else {
            return .failure(
                ProviderUnavailable(reason: "no discovery URL and no endpoint for `\(provider.verify.rawValue)`"))
        }
        do {
            let answer = try await fetcher.get(url, headers: [("Accept", "application/json")], timeout: timeout)
            guard answer.status == 200 else {
                return .failure(ProviderUnavailable(reason: "discovery answered \(answer.status)"))
            }
            let document = try StrictJSON.object(answer.body)
            guard document["issuer"]?.stringValue?.isExactly(provider.issuer) == true else {
                let said = document["issuer"]?.stringValue.map { "`\(StrictJSON.printable($0))`" } ?? "no issuer"
                return .failure(
                    ProviderUnavailable(
                        reason: "discovery names \(said), not the configured issuer `\(provider.issuer)`"))
            }
            var endpoints = configured
            endpoints.jwks = endpoints.jwks ?? document["jwks_uri"]?.stringValue
            endpoints.token = endpoints.token ?? document["token_endpoint"]?.stringValue
            endpoints.userinfo = endpoints.userinfo ?? document["userinfo_endpoint"]?.stringValue
            endpoints.introspection = endpoints.introspection ?? document["introspection_endpoint"]?.stringValue
            endpoints.deviceAuthorization = document["device_authorization_endpoint"]?.stringValue
            endpoints.authorization = document["authorization_endpoint"]?.stringValue
            endpoints.namesIssuerInResponse =
                document["authorization_response_iss_parameter_supported"] == .bool(true)
            discovered = (endpoints, clock())
            return .success(endpoints)
        } catch let error as StrictJSON.Failure {
            return .failure(ProviderUnavailable(reason: "the discovery document is not valid JSON: \(error.reason)"))
        } catch {
            return .failure(ProviderUnavailable(reason: "discovery cannot be reached (\(Self.describe(error)))"))
        }
    }

    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        return text.count > 120 ? String(text.prefix(120)) + "…" : text
    }
}
