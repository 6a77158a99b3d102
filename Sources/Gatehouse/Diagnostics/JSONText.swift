import Foundation

/// Stable, human-readable JSON: pretty-printed, sorted keys, unescaped slashes, trailing newline.
public enum JSONText {
    /// Encodes `value`; our own output types always encode, so a failure is a programming error.
    public static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
        } catch {
            preconditionFailure("cannot encode \(type(of: value)): \(error)")
        }
    }
}
