import Foundation
import Gatehouse

/// One request being decided: by which door, under which policy, at what time, since when.
struct Asked: Sendable {
    let door: Door
    /// The original request's method, when known.
    let method: String?
    /// The request's header fields, whose `Authorization` the log names when the decision did
    /// not look at it.
    let headers: [(name: String, value: String)]
    let policy: ActivePolicy.Loaded
    let now: Date
    let started: ContinuousClock.Instant

    /// The first `Authorization` value.
    var authorization: String? { headers.first { $0.name.equalsIgnoringCase("authorization") }?.value }
}
