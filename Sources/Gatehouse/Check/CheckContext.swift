import Foundation

/// Collects diagnostics while reading typed values out of located YAML nodes.
///
/// Each reader returns nil after reporting why, so callers continue and every problem is found.
package final class CheckContext {
    package init() {}

    package private(set) var diagnostics: [Diagnostic] = []

    package func report(_ diagnostic: Diagnostic) { diagnostics.append(diagnostic) }

    package func error(_ code: String, _ message: String, at location: SourceLocation?, help: String? = nil) {
        report(.error(code, message, at: location, help: help))
    }

    package func warning(_ code: String, _ message: String, at location: SourceLocation?, help: String? = nil) {
        report(.warning(code, message, at: location, help: help))
    }

    /// Reads a mapping, reporting keys outside `allowed` and missing `required` keys.
    package func mapping(
        _ node: YAMLNode, _ what: @autoclosure () -> String, allowed: [String], required: [String] = [],
        specialKeys: [String: (code: String, message: String, help: String)] = [:]
    ) -> Fields? {
        guard case .mapping(let entries, let location) = node else {
            wrongType(node, what(), expected: "a mapping")
            return nil
        }
        for entry in entries where !allowed.contains(entry.key.value) {
            if let special = specialKeys[entry.key.value] {
                // A special key names a value that must not be written here, such as a password:
                // excerpts never show it.
                report(
                    .error(special.code, special.message, at: entry.key.location, help: special.help)
                        .hidingSecret(from: entry.value.location.column))
            } else {
                error(
                    "check.unknown-key", "unknown key `\(entry.key.value)` in \(what())", at: entry.key.location,
                    help: Suggestion.help(for: entry.key.value, in: allowed))
            }
        }
        let fields = Fields(entries: entries, location: location)
        for key in required where !fields.has(key) {
            error("check.missing-key", "\(what()) is missing `\(key)`", at: location)
        }
        return fields
    }

    package func wrongType(_ node: YAMLNode, _ what: @autoclosure () -> String, expected: String) {
        error("check.wrong-type", "\(what()) must be \(expected), not \(node.kindDescription)", at: node.location)
    }

    /// A string as written; `no`, `on` and `0123` stay strings.
    package func string(_ node: YAMLNode, _ what: @autoclosure () -> String) -> Located<String>? {
        guard case .scalar(let scalar) = node, !scalar.isNull else {
            wrongType(node, what(), expected: "a string")
            return nil
        }
        return Located(scalar.text, at: scalar.location)
    }

    /// A non-empty list of strings; nil after reporting.
    package func strings(
        _ node: YAMLNode, _ what: @autoclosure () -> String, allowEmpty: Bool = false
    ) -> [Located<String>]? {
        guard case .sequence(let items, let location) = node else {
            wrongType(node, what(), expected: "a list of strings")
            return nil
        }
        if items.isEmpty && !allowEmpty {
            error("check.invalid-value", "\(what()) is an empty list", at: location)
            return nil
        }
        let values = items.map { string($0, "each entry of \(what())") }
        return values.contains { $0 == nil } ? nil : values.compactMap { $0 }
    }

    /// One of a fixed set of words.
    package func word<T: RawRepresentable & CaseIterable>(
        _ node: YAMLNode, _ what: @autoclosure () -> String, as: T.Type
    ) -> T?
    where T.RawValue == String {
        guard let text = string(node, what()) else { return nil }
        if let value = T(rawValue: text.value) { return value }
        let names = T.allCases.map(\.rawValue)
        error(
            "check.invalid-value", "`\(text.value)` is not a valid \(what())", at: text.location,
            help: Suggestion.help(for: text.value, in: names))
        return nil
    }

    /// `true` or `false`, plain; YAML 1.1 spellings such as `yes` are refused.
    package func bool(_ node: YAMLNode, _ what: @autoclosure () -> String) -> Bool? {
        if case .scalar(let scalar) = node, scalar.isPlain, scalar.text == "true" || scalar.text == "false" {
            return scalar.text == "true"
        }
        wrongType(node, what(), expected: "`true` or `false`")
        return nil
    }

    /// A duration such as `60s`, `5m`, `1h30m`, `500ms`.
    package func duration(_ node: YAMLNode, _ what: @autoclosure () -> String) -> Duration? {
        guard let text = string(node, what()) else { return nil }
        if let value = Self.parseDuration(text.value) { return value }
        error(
            "check.invalid-duration", "`\(text.value)` is not a valid duration for \(what())", at: text.location,
            help: "write a number with a unit: `ms`, `s`, `m`, `h` or `d`, e.g. `60s` or `1h30m`")
        return nil
    }

    /// A date (`2027-06-30`, the start of that day in UTC) or an RFC 3339 instant.
    package func date(_ node: YAMLNode, _ what: @autoclosure () -> String) -> Date? {
        guard let text = string(node, what()) else { return nil }
        if let date = Self.parseDate(text.value) { return date }
        error(
            "check.invalid-date", "`\(text.value)` is not a valid date for \(what())", at: text.location,
            help: "write `2027-06-30` or `2027-06-30T12:00:00Z`")
        return nil
    }

    package static func parseDuration(_ text: String) -> Duration? {
        var total: Duration = .zero
        var rest = Substring(text)
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, digits.count <= 9, let number = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unit = rest.prefix { $0.isASCII && $0.isLetter }
            rest = rest.dropFirst(unit.count)
            switch unit {
            case "ms": total += .milliseconds(number)
            case "s": total += .seconds(number)
            case "m": total += .seconds(number * 60)
            case "h": total += .seconds(number * 3600)
            case "d": total += .seconds(number * 86400)
            default: return nil
            }
        }
        return total
    }

    package static func parseDate(_ text: String) -> Date? {
        if text.count == 10, let day = try? Date("\(text)T00:00:00Z", strategy: .iso8601) { return day }
        return RFC3339.parse(text)
    }
}
