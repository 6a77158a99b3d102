/// Why a request target is refused. Each case is a class of target that a backend could read
/// differently from Gatehouse.
public enum TargetError: Error, Sendable, Hashable, CaseIterable {
    case empty, tooLong, notOriginForm, absoluteForm, asteriskForm, fragment
    case controlCharacter, backslash, semicolon, encodedSlash, encodedBackslash, doubleEncoding
    case badEscape, invalidUTF8, dotSegment, emptySegment
    case nonASCII, compatibilityForm, unicodeSeparator, invisibleCharacter, notNFC

    /// A one-line explanation for the decision's reason.
    public var reason: String {
        switch self {
        case .empty: return "the request target is empty"
        case .tooLong: return "the request target is longer than \(RequestTarget.maxLength) bytes"
        case .notOriginForm: return "the request target does not start with `/`"
        case .absoluteForm: return "absolute-form request targets (`scheme://host/path`) are refused"
        case .asteriskForm: return "the asterisk-form request target (`*`) is refused"
        case .fragment: return "the request target has a fragment (`#`)"
        default: return "the request target \(segmentProblem)"
        }
    }

    /// What is wrong with a path segment, as a predicate: "has a backslash". Shared by request
    /// targets and the literal segments of path patterns.
    var segmentProblem: String {
        switch self {
        case .controlCharacter: return "has a space, NUL or control character"
        case .backslash: return "has a backslash"
        case .semicolon: return "has a `;` path parameter"
        case .encodedSlash: return "has an encoded slash (`%2F`) in its path"
        case .encodedBackslash: return "has an encoded backslash (`%5C`)"
        case .doubleEncoding: return "has an encoded percent sign (`%25`): double encoding"
        case .badEscape: return "has a malformed percent-escape"
        case .invalidUTF8: return "is not valid UTF-8 once decoded"
        case .dotSegment: return "has a dot segment (`.` or `..`)"
        case .emptySegment: return "has an empty path segment (`//`)"
        case .nonASCII: return "has a byte that is not ASCII; send it percent-encoded"
        case .compatibilityForm:
            return "has an encoded character that Unicode compatibility normalization (NFKC) turns into ASCII"
        case .unicodeSeparator: return "has an encoded Unicode space or line separator"
        case .invisibleCharacter: return "has an encoded invisible formatting character"
        case .notNFC: return "has encoded text that is not in Unicode normalization form C"
        default: return "is malformed"
        }
    }
}
