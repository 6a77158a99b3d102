/// A one-line JSON object with keys in the order added (sorted by the caller) and absent values
/// left out, as `JSONEncoder` would write it with sorted keys and unescaped slashes.
package struct JSONLine {
    private var text = "{"

    /// An empty object.
    package init() {}

    package mutating func add(_ key: String, _ value: String?) {
        guard let value else { return }
        start(key)
        quote(value)
    }

    package mutating func add(_ key: String, _ values: [String]?) {
        guard let values else { return }
        start(key)
        text += "["
        for (index, value) in values.enumerated() {
            if index > 0 { text += "," }
            quote(value)
        }
        text += "]"
    }

    private mutating func quote(_ value: String) {
        text += "\""
        // Most values need no escape: they are appended whole.
        guard value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
            text += value
            text += "\""
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }

    package mutating func add(_ key: String, _ value: Int?) {
        guard let value else { return }
        start(key)
        text += String(value)
    }

    private mutating func start(_ key: String) {
        if text.utf8.count > 1 { text += "," }
        text += "\"" + key + "\":"
    }

    package mutating func add(_ key: String, _ value: Bool?) {
        guard let value else { return }
        start(key)
        text += value ? "true" : "false"
    }

    package func finished() -> String { text + "}\n" }

    /// The object alone, without the line's newline.
    package func object() -> String { text + "}" }
}
