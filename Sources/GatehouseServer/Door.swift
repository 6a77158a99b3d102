import Gatehouse

/// A door a decision is asked for by.
enum Door: Sendable, Equatable {
    /// A gateway's check request, in its convention.
    case gateway(GatewayConvention)
    /// `POST /v1/decide`: a request document in, a decision out.
    case decide

    /// Its name in logs and metrics: the convention's, or `decide`.
    var name: String {
        switch self {
        case .gateway(let convention): convention.rawValue
        case .decide: "decide"
        }
    }
}
