import Foundation

/// A caller assumed verified, for dry runs and policy tests. Decisions made with one say
/// `"simulated": true`.
public enum SimulatedCaller: Sendable, Hashable {
    /// A token from `provider` carrying `claims`, mapped by that provider's claim mapping.
    case provider(String, claims: [String: JSONValue])
    /// One of the policy's API tokens, by id.
    case apiToken(String)
}

extension CompiledPolicy {
    /// The identity a simulated caller stands for, or why it cannot be used with this policy.
    public func identity(for caller: SimulatedCaller, now: Date) -> Result<Identity, Rejection> {
        switch caller {
        case .provider(let id, let claims):
            guard let provider = provider(id) else {
                return .failure(
                    Rejection(code: .simulationUnknownProvider, reason: "the policy has no provider `\(id)`"))
            }
            return provider.identity(from: claims)
        case .apiToken(let id):
            guard let token = apiToken(id) else {
                return .failure(
                    Rejection(code: .simulationUnknownAPIToken, reason: "the policy has no API token `\(id)`"))
            }
            return token.identity(at: now)
        }
    }
}
