/// A YAML value with its location, built from libyaml's events; `Sendable`, so it can cross task boundaries.
public indirect enum YAMLNode: Sendable {
    /// A scalar: its text exactly as written (never a resolved boolean or number).
    case scalar(YAMLScalar)
    /// A sequence and where it starts.
    case sequence([YAMLNode], SourceLocation)
    /// A mapping, in written order, and where it starts.
    case mapping([YAMLEntry], SourceLocation)

    /// Where the node starts.
    public var location: SourceLocation {
        switch self {
        case .scalar(let scalar): return scalar.location
        case .sequence(_, let location), .mapping(_, let location): return location
        }
    }

    /// What the node is, in the words of an error message.
    public var kindDescription: String {
        switch self {
        case .scalar(let scalar): return scalar.isNull ? "an empty value" : "a scalar"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}

/// A scalar's text and style.
public struct YAMLScalar: Sendable {
    /// The text as written, after YAML's own unquoting and folding.
    public let text: String
    /// True for plain (unquoted) scalars: only these can mean null or a boolean.
    public let isPlain: Bool
    /// Where the scalar starts.
    public let location: SourceLocation

    /// True for a plain empty value, `~` or `null`.
    public var isNull: Bool { isPlain && ["", "~", "null", "Null", "NULL"].contains(text) }
}

/// One key and value of a mapping. Keys are always scalars (the gate refuses others).
public struct YAMLEntry: Sendable {
    /// The key's text and location.
    public let key: Located<String>
    /// The value.
    public let value: YAMLNode
}
