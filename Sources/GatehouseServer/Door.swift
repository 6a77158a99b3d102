import Gatehouse

/// A door a decision is asked for by.
enum Door: Sendable, Equatable {
    /// A gateway's check request, in its convention.
    case gateway(GatewayConvention)
    /// `POST /v1/decide`: a request document in, a decision out.
    case decide
    /// Envoy's gRPC `ext_authz` (`envoy.service.auth.v3.Authorization/Check`): answered like
    /// Envoy's HTTP convention (the statuses passed on), in a `CheckResponse`.
    case envoyGRPC

    /// Its name in logs and metrics: the convention's, or `decide`.
    var name: String {
        switch self {
        case .gateway(let convention): convention.rawValue
        case .decide: "decide"
        case .envoyGRPC: "envoy-grpc"
        }
    }

    /// The convention its answers are rendered in: a gateway's own, Envoy's for its gRPC door,
    /// none for `/v1/decide`.
    var convention: GatewayConvention? {
        switch self {
        case .gateway(let convention): convention
        case .envoyGRPC: .envoy
        case .decide: nil
        }
    }
}
