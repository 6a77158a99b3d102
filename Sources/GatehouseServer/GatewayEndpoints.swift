import Gatehouse
import HTTPTypes
import Hummingbird

/// Answers the gateway endpoints before routing, so that no router normalizes the paths Envoy
/// sends under its prefix. A check request the fast path began arrives with its pending check
/// (``HandedOff/current``), which is finished, not begun again; one it refused outright arrives
/// with its answer.
struct GatewayEndpoints: RouterMiddleware {
    typealias Context = BasicRequestContext

    let decisions: Decisions

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let target = request.head.path ?? ""
        guard let convention = GatewayConvention.serving(target) else { return try await next(request, context) }
        switch HandedOff.current {
        case .answered(let answer)?: return answer.response
        case .pending(let handed)? where handed.target == target && handed.asked.door == .gateway(convention):
            return await decisions.finish(handed).response
        default: break
        }
        let check = CheckRequest(
            method: request.method.rawValue, target: target, authority: request.head.authority,
            headers: request.headers.map { (name: $0.name.canonicalName, value: $0.value) })
        return await decisions.answer(check, convention).response
    }
}

extension Answer {
    /// The answer as Hummingbird sends it.
    var response: Response {
        var fields = HTTPFields()
        fields.reserveCapacity(headers.count)
        for (name, value) in headers {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        return Response(
            status: HTTPResponse.Status(code: status), headers: fields,
            body: body.map { ResponseBody(byteBuffer: ByteBuffer(string: $0)) } ?? .init())
    }
}
