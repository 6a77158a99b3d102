import Foundation

/// The `Date` header's value (RFC 9110 §5.6.7), made once a second per connection, so no lock is
/// shared between event loops.
struct HTTPDate {
    private var second = Int.min
    private var text = ""

    mutating func now() -> String {
        var clock = time(nil)
        guard Int(clock) != second else { return text }
        second = Int(clock)
        var parts = tm()
        gmtime_r(&clock, &parts)
        var buffer = [Int8](repeating: 0, count: 40)
        // strftime in the C locale, which a Swift process keeps: English day and month names.
        let count = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        text = String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text
    }
}
