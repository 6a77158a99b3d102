import CYAML

/// A streaming pass over libyaml's events that refuses what Gatehouse never accepts in a policy,
/// before anything builds a tree: anchors and aliases (billion laughs), explicit tags, merge keys,
/// keys that are not scalars, duplicate keys, more than one document, nesting deeper than
/// ``maxDepth``. The first anchor and the first alias are reported, not every one. It holds one
/// frame per open collection, so time and memory stay linear in the input even for hostile
/// documents. The same pass builds the located tree, which is returned only when nothing was
/// refused (composing a YAML library's own tree as well cost a second, heavier tree: more time and
/// more memory left fragmented after a large policy was read). libyaml is the system's (Debian
/// `libyaml-dev`), reached through the `CYAML` system-library target.
struct YAMLGate {
    /// The deepest nesting accepted.
    static let maxDepth = 64
    /// Stop collecting after this many problems.
    static let maxDiagnostics = 50

    private struct Frame {
        let isMapping: Bool
        let location: SourceLocation
        var expectingKey = true
        /// The keys of a mapping with many, by name; a small mapping's keys are found in `entries`
        /// (a dictionary for every mapping was a tenth of checking a large policy).
        var keys: [String: SourceLocation]?
        /// What has been read into it: a sequence's items, a mapping's entries and its pending key.
        var items: [YAMLNode] = []
        var entries: [YAMLEntry] = []
        var key: Located<String>?

        var node: YAMLNode { isMapping ? .mapping(entries, location) : .sequence(items, location) }

        /// Where `key` was first written in this mapping, or nil; then remembers it at `location`.
        mutating func firstUse(of key: String, at location: SourceLocation) -> SourceLocation? {
            if keys == nil && entries.count >= 16 {
                keys = Dictionary(
                    entries.map { ($0.key.value, $0.key.location) }, uniquingKeysWith: { first, _ in first })
            }
            guard keys != nil else { return entries.first { $0.key.value == key }?.key.location }
            if let first = keys?[key] { return first }
            keys?[key] = location
            return nil
        }
    }

    /// What a pass found: the problems, and the document's root when there were none.
    struct Outcome {
        var problems: [Diagnostic] = []
        var root: YAMLNode?
    }

    let source: SourceFile

    /// Reads the document: every problem found, or its root (nil for an empty document).
    func read() -> Outcome {
        var bytes = Array(source.text.utf8)
        bytes.append(0)
        return bytes.withUnsafeBufferPointer { buffer in
            var parser = yaml_parser_t()
            yaml_parser_initialize(&parser)
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count - 1)
            return walk(&parser)
        }
    }

    private func walk(_ parser: inout yaml_parser_t) -> Outcome {
        var problems: [Diagnostic] = []
        var stack: [Frame] = []
        var root: YAMLNode?
        var finished: Outcome { problems.isEmpty ? Outcome(root: root) : Outcome(problems: problems) }
        var documents = 0
        var sawAlias = false
        var sawAnchor = false
        var event = yaml_event_t()
        while problems.count < Self.maxDiagnostics {
            guard yaml_parser_parse(&parser, &event) == 1 else {
                problems.append(syntaxError(parser))
                return Outcome(problems: problems)
            }
            defer { yaml_event_delete(&event) }
            let location = source.location(
                line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return finished
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                if documents > 1 {
                    problems.append(
                        .error(
                            "yaml.multiple-documents", "a policy file holds exactly one YAML document",
                            at: location, help: "remove the `---` line and everything after it"))
                    return Outcome(problems: problems)
                }
            case YAML_ALIAS_EVENT:
                defer { sawAlias = true }
                if !sawAlias {
                    problems.append(
                        .error(
                            "yaml.alias", "YAML aliases are not allowed in a policy", at: location,
                            help: "write the value out in full; aliases make a policy hard to review"))
                }
                noteValue(&stack, problems: &problems, key: nil, at: location)
            case YAML_SCALAR_EVENT:
                let scalar = event.data.scalar
                refuseAnchorAndTag(anchor: scalar.anchor, tag: scalar.tag, at: location, into: &problems, &sawAnchor)
                let text = String(
                    decoding: UnsafeBufferPointer(start: scalar.value, count: Int(scalar.length)),
                    as: UTF8.self)
                let plain = scalar.style == YAML_PLAIN_SCALAR_STYLE
                if let frame = stack.last, frame.isMapping, frame.expectingKey {
                    stack[stack.count - 1].key = Located(text, at: location)
                } else {
                    add(.scalar(YAMLScalar(text: text, isPlain: plain, location: location)), to: &stack, root: &root)
                }
                noteValue(&stack, problems: &problems, key: (text, plain), at: location)
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                let isMapping = event.type == YAML_MAPPING_START_EVENT
                let anchor = isMapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor
                let tag = isMapping ? event.data.mapping_start.tag : event.data.sequence_start.tag
                refuseAnchorAndTag(anchor: anchor, tag: tag, at: location, into: &problems, &sawAnchor)
                if stack.last.map({ $0.isMapping && $0.expectingKey }) == true {
                    problems.append(
                        .error(
                            "yaml.complex-key", "a mapping key must be a plain string", at: location))
                }
                noteValue(&stack, problems: &problems, key: nil, at: location)
                stack.append(Frame(isMapping: isMapping, location: location))
                if stack.count > Self.maxDepth {
                    problems.append(
                        .error(
                            "yaml.too-deep", "the document is nested deeper than \(Self.maxDepth) levels",
                            at: location))
                    return Outcome(problems: problems)
                }
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                let frame = stack.removeLast()
                add(frame.node, to: &stack, root: &root)
            default:
                break
            }
        }
        return Outcome(problems: problems)
    }

    /// Puts a finished value into the innermost collection, under its pending key in a mapping,
    /// or makes it the root.
    private func add(_ node: YAMLNode, to stack: inout [Frame], root: inout YAMLNode?) {
        guard !stack.isEmpty else {
            root = node
            return
        }
        if stack[stack.count - 1].isMapping {
            guard let key = stack[stack.count - 1].key else { return }  // a refused complex key
            stack[stack.count - 1].entries.append(YAMLEntry(key: key, value: node))
            stack[stack.count - 1].key = nil
        } else {
            stack[stack.count - 1].items.append(node)
        }
    }

    /// Records that a value (or a key) was read in the innermost collection.
    private func noteValue(
        _ stack: inout [Frame], problems: inout [Diagnostic], key: (String, Bool)?, at location: SourceLocation
    ) {
        guard var frame = stack.popLast() else { return }
        defer { stack.append(frame) }
        guard frame.isMapping else { return }
        defer { frame.expectingKey.toggle() }
        guard frame.expectingKey, let (text, plain) = key else { return }
        if plain && text == "<<" {
            problems.append(
                .error(
                    "yaml.merge-key", "YAML merge keys (`<<`) are not allowed in a policy", at: location,
                    help: "write the merged keys out in full"))
        } else if let first = frame.firstUse(of: text, at: location) {
            problems.append(
                .error(
                    "yaml.duplicate-key", "duplicate key `\(text)`", at: location,
                    help: "`\(text)` is already set at line \(first.line); each key may appear once"))
        }
    }

    private func refuseAnchorAndTag(
        anchor: UnsafeMutablePointer<yaml_char_t>?, tag: UnsafeMutablePointer<yaml_char_t>?,
        at location: SourceLocation, into problems: inout [Diagnostic], _ sawAnchor: inout Bool
    ) {
        if let anchor, !sawAnchor {
            sawAnchor = true
            problems.append(
                .error(
                    "yaml.anchor", "YAML anchors are not allowed in a policy (found `&\(String(cString: anchor))`)",
                    at: location, help: "write the value out in full; anchors make a policy hard to review"))
        }
        if let tag {
            problems.append(
                .error(
                    "yaml.tag", "explicit YAML tags are not allowed in a policy (found `\(String(cString: tag))`)",
                    at: location, help: "remove the tag; quote the value if it must be a string"))
        }
    }

    private func syntaxError(_ parser: yaml_parser_t) -> Diagnostic {
        let problem = parser.problem.map { String(cString: $0) } ?? "the YAML cannot be parsed"
        let mark = parser.problem_mark
        let location = source.location(line: Int(mark.line) + 1, column: Int(mark.column) + 1)
        var help: String?
        if let context = parser.context.map({ String(cString: $0) }) {
            let at = parser.context_mark
            help = "\(context) at line \(Int(at.line) + 1), column \(Int(at.column) + 1)"
        }
        if problem.hasPrefix("Maximum nesting level") {
            return .error("yaml.too-deep", "the document is nested deeper than \(Self.maxDepth) levels", at: location)
        }
        return .error("yaml.syntax", problem, at: location, help: help)
    }
}
