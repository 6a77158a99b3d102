import Foundation
import GRPCCore
import Gatehouse
import GatehouseGRPCAPI
import SwiftProtobuf

/// Envoy's gRPC door, `envoy.service.auth.v3.Authorization/Check`: the original request read
/// from the check request's HTTP attributes alone, decided and answered through the one
/// ``Ledger`` like every other door, and the answer rendered as a `CheckResponse`.
struct EnvoyAuthorization: Envoy_Service_Auth_V3_Authorization.SimpleServiceProtocol {
    let decisions: Decisions

    func check(request: Envoy_Service_Auth_V3_CheckRequest, context: ServerContext) async throws
        -> Envoy_Service_Auth_V3_CheckResponse
    {
        await EnvoyGRPC.response(to: request, decisions)
    }
}

/// How the gRPC door maps a `CheckRequest` to the original request and an ``Answer`` to a
/// `CheckResponse`. Pure but for the decision itself, so it is tested without a transport.
enum EnvoyGRPC {
    /// The answer to `request`, decided by `decisions`.
    static func response(to request: Envoy_Service_Auth_V3_CheckRequest, _ decisions: Decisions) async
        -> Envoy_Service_Auth_V3_CheckResponse
    {
        let started = ContinuousClock.now
        switch original(of: request) {
        case .failure(let refusal):
            let headers = (try? headers(of: request.attributes.request.http)) ?? []
            return response(decisions.refuse(refusal.decision, door: .envoyGRPC, headers: headers, since: started))
        case .success(let original):
            let step = decisions.begin(
                original, door: .envoyGRPC, headers: original.headers, target: original.target, since: started)
            return response(await decisions.answer(step))
        }
    }

    /// The original request of `request`: its HTTP attributes' method, path (with the query, and
    /// the fragment when Envoy sent one, which the engine refuses), host and headers, and the
    /// peer Envoy saw. Nothing in a header overrides them. A refusal when the attributes are
    /// missing or the headers break the HTTP endpoints' limits.
    static func original(of request: Envoy_Service_Auth_V3_CheckRequest) -> Result<APIRequest, MissingOriginal> {
        let attributes = request.attributes
        guard request.hasAttributes, attributes.hasRequest, attributes.request.hasHTTP else {
            return .failure(.missing("the gRPC check request carries no HTTP request attributes"))
        }
        let http = attributes.request.http
        guard !http.method.isEmpty, !http.path.isEmpty else {
            return .failure(.missing("the gRPC check request's HTTP attributes have no method or no path"))
        }
        let headers: [(name: String, value: String)]
        do {
            headers = try Self.headers(of: http)
        } catch {
            return .failure(error)
        }
        let target = http.fragment.isEmpty ? http.path : http.path + "#" + http.fragment
        var original = APIRequest(
            method: http.method, target: target, host: http.host.isEmpty ? nil : http.host, headers: headers)
        if attributes.hasSource {
            original.peer = APIRequest.Peer(
                address: address(of: attributes.source.address),
                certificate: attributes.source.certificate.isEmpty ? nil : attributes.source.certificate)
        }
        return .success(original)
    }

    /// The header fields of `http`, but HTTP/2's pseudo-headers (`:path` and the rest, which the
    /// attributes already say): from `header_map` in order when Envoy sends it
    /// (`encode_raw_headers`), else from `headers` by name. Held to the HTTP endpoints' limits:
    /// 100 fields, 32 KiB a field, 64 KiB in all.
    static func headers(of http: Envoy_Service_Auth_V3_AttributeContext.HttpRequest) throws(MissingOriginal)
        -> [(name: String, value: String)]
    {
        var fields: [(name: String, value: String)]
        if http.hasHeaderMap {
            fields = []
            for header in http.headerMap.headers {
                if header.rawValue.isEmpty {
                    fields.append((header.key, header.value))
                } else if let value = String(validating: header.rawValue, as: UTF8.self) {
                    fields.append((header.key, value))
                } else {
                    throw .malformed("the gRPC check request's header `\(header.key)` is not UTF-8")
                }
            }
        } else {
            fields = http.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        }
        fields.removeAll { $0.name.hasPrefix(":") }
        let sizes = fields.map { $0.name.utf8.count + $0.value.utf8.count }
        guard fields.count <= DecisionServer.maxHeaderFields, sizes.allSatisfy({ $0 <= DecisionServer.maxHeaderField }),
            sizes.reduce(0, +) <= DecisionServer.maxHeaderList
        else {
            throw .malformed(
                "the gRPC check request's headers are larger than a check request may be "
                    + "(100 fields, 32 KiB a field, 64 KiB in all)")
        }
        return fields
    }

    /// An address as `host:port`, or a pipe's path.
    static func address(of address: Envoy_Config_Core_V3_Address) -> String? {
        switch address.address {
        case .socketAddress(let socket)?:
            if case .portValue(let port)? = socket.portSpecifier { return "\(socket.address):\(port)" }
            return socket.address
        case .pipe(let pipe)?: return pipe.path
        default: return nil
        }
    }

    /// `answer` as Envoy reads it. On allow, OK: each header with a value is set, replacing the
    /// client's copy, and each empty one (an identity the decision does not have) is removed, as
    /// is every standard identity header (`X-Auth-*`) the policy does not send, so no client's
    /// copy survives without a filter of the gateway's own; never both for one header. On deny,
    /// the gRPC status (UNAUTHENTICATED for 401, else PERMISSION_DENIED) and a denied response
    /// with the status, the headers (the challenge among them) and the JSON body. Either way, the
    /// decision's dynamic metadata.
    static func response(_ answer: Answer) -> Envoy_Service_Auth_V3_CheckResponse {
        var response = Envoy_Service_Auth_V3_CheckResponse()
        response.dynamicMetadata = metadata(answer)
        if answer.decision.isAllowed {
            var ok = Envoy_Service_Auth_V3_OkHttpResponse()
            for (name, value) in answer.headers {
                if value.isEmpty {
                    ok.headersToRemove.append(name.lowercased())
                } else {
                    ok.headers.append(option(name, value))
                }
            }
            for field in IdentityField.allCases
            where !answer.headers.contains(where: { $0.name.equalsIgnoringCase(field.standardHeader) }) {
                ok.headersToRemove.append(field.standardHeader.lowercased())
            }
            response.okResponse = ok
            response.status = Google_Rpc_Status()
            return response
        }
        var denied = Envoy_Service_Auth_V3_DeniedHttpResponse()
        denied.status.code = Envoy_Type_V3_StatusCode(rawValue: answer.status) ?? .forbidden
        denied.headers = answer.headers.map { option($0.name, $0.value) }
        denied.body = answer.body ?? ""
        response.deniedResponse = denied
        response.status.code = Int32(
            answer.status == 401 ? RPCError.Code.unauthenticated.rawValue : RPCError.Code.permissionDenied.rawValue)
        response.status.message = answer.decision.code.rawValue
        return response
    }

    /// A header set on the request or the denied response, replacing any copy already there.
    static func option(_ name: String, _ value: String) -> Envoy_Config_Core_V3_HeaderValueOption {
        var option = Envoy_Config_Core_V3_HeaderValueOption()
        option.header.key = name
        option.header.value = value
        option.appendAction = .overwriteIfExistsOrAdd
        return option
    }

    /// What later filters read under `envoy.filters.http.ext_authz`: the decision id, the code,
    /// the rule and the policy revision; on allow the username, provider, groups and scopes.
    static func metadata(_ answer: Answer) -> Google_Protobuf_Struct {
        let decision = answer.decision
        var fields: [String: Google_Protobuf_Value] = [
            "decision_id": Google_Protobuf_Value(stringValue: answer.id),
            "code": Google_Protobuf_Value(stringValue: decision.code.rawValue),
        ]
        if let rule = decision.rule { fields["rule"] = Google_Protobuf_Value(stringValue: rule) }
        if let revision = answer.revision { fields["revision"] = Google_Protobuf_Value(stringValue: revision) }
        if decision.isAllowed, let identity = decision.identity {
            fields["username"] = Google_Protobuf_Value(stringValue: identity.username)
            if let provider = identity.provider { fields["provider"] = Google_Protobuf_Value(stringValue: provider) }
            fields["groups"] = Google_Protobuf_Value(
                listValue: Google_Protobuf_ListValue(
                    values: identity.groups.map(Google_Protobuf_Value.init(stringValue:))))
            fields["scopes"] = Google_Protobuf_Value(
                listValue: Google_Protobuf_ListValue(
                    values: identity.scopes.map(Google_Protobuf_Value.init(stringValue:))))
        }
        return Google_Protobuf_Struct(fields: fields)
    }
}
