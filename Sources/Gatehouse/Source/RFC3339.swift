import Foundation

/// RFC 3339 timestamps, with or without fractional seconds.
public enum RFC3339 {
    /// Parses `2026-11-29T08:00:00Z` or `2026-11-29T08:00:00.5+01:00`.
    public static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// Formats `date` in UTC with whole seconds.
    public static func format(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
