import Foundation

/// A JSON value: token claims, userinfo and introspection answers.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The string, if this is one.
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The value as text for comparisons: strings as they are, numbers without a needless `.0`.
    public var scalarText: String? {
        switch self {
        case .string(let text): return text
        case .bool(let value): return value ? "true" : "false"
        case .number(let value):
            return value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        default: return nil
        }
    }

    /// Parses JSON text.
    public static func parse(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    /// Converts a YAML node: plain `true`/`false`/`null` and numbers keep their JSON types.
    public init(yaml node: YAMLNode) {
        switch node {
        case .scalar(let scalar):
            if scalar.isNull {
                self = .null
            } else if scalar.isPlain && (scalar.text == "true" || scalar.text == "false") {
                self = .bool(scalar.text == "true")
            } else if scalar.isPlain, let number = Double(scalar.text), number.isFinite,
                scalar.text.first.map({ $0 == "-" || $0.isASCII && $0.isNumber }) == true
            {
                self = .number(number)
            } else {
                self = .string(scalar.text)
            }
        case .sequence(let items, _): self = .array(items.map(JSONValue.init(yaml:)))
        case .mapping(let entries, _):
            self = .object(
                Dictionary(entries.map { ($0.key.value, JSONValue(yaml: $0.value)) }, uniquingKeysWith: { a, _ in a }))
        }
    }
}

extension JSONValue: Decodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }
}

extension JSONValue: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if value.rounded() == value && abs(value) < 1e15 {
                try container.encode(Int64(value))
            } else {
                try container.encode(value)
            }
        case .string(let value): try container.encode(value)
        case .array(let values): try container.encode(values)
        case .object(let values): try container.encode(values)
        }
    }
}

extension ClaimPath {
    /// The claim's value: the whole name as one key first, then the dotted path.
    public func lookup(in claims: [String: JSONValue]) -> JSONValue? {
        if let value = Self.exactly(text, in: claims) { return value }
        guard parts.count > 1 else { return nil }
        var current: JSONValue = .object(claims)
        for part in parts {
            guard case .object(let object) = current, let next = Self.exactly(part, in: object) else { return nil }
            current = next
        }
        return current
    }

    /// The value under the key that is `name` byte for byte. A dictionary finds keys by Unicode
    /// canonical equivalence, and holds at most one of a set of equivalent keys, so the key it
    /// finds is the only candidate.
    private static func exactly(_ name: String, in object: [String: JSONValue]) -> JSONValue? {
        guard let index = object.index(forKey: name), object[index].key.isExactly(name) else { return nil }
        return object[index].value
    }
}
