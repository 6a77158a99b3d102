/// A value together with where it was written. Equality and hashing ignore the location.
public struct Located<Value>: CustomStringConvertible {
    /// The value.
    public let value: Value
    /// Where the value was written.
    public let location: SourceLocation

    /// Wraps a value with its location.
    public init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }

    /// The value's own description.
    public var description: String { "\(value)" }
}

extension Located: Sendable where Value: Sendable {}

extension Located: Equatable where Value: Equatable {
    public static func == (lhs: Located, rhs: Located) -> Bool { lhs.value == rhs.value }
}

extension Located: Hashable where Value: Hashable {
    public func hash(into hasher: inout Hasher) { hasher.combine(value) }
}
