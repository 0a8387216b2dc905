import Foundation

/// Compiled programs kept by their canonical text (and limits): a source that differs from
/// a cached one only in layout or comments is not analysed again. Thread-safe and bounded:
/// beyond ``capacity`` programs the least recently used one is dropped.
///
/// A lookup still parses the source (that gives the canonical text and this source's line
/// numbers); an identical source is found without parsing.
///
/// ```swift
/// let program = try RulesProgramCache.shared.program(for: request.rules)
/// ```
public final class RulesProgramCache: @unchecked Sendable {
    /// A cache shared by the process (256 programs).
    public static let shared = RulesProgramCache()

    /// The most programs kept.
    public let capacity: Int

    private struct Key: Hashable {
        var text: String
        var limits: RulesLimits
    }

    private struct Entry {
        var value: RulesProgram
        var used: UInt64
    }

    private let lock = NSLock()
    private var bySource: [Key: Entry] = [:]
    private var byCanonical: [Key: Entry] = [:]
    private var clock: UInt64 = 0
    private var statistics = (hits: 0, misses: 0)

    /// Creates an empty cache of at most `capacity` programs (at least 1).
    public init(capacity: Int = 256) {
        self.capacity = max(1, capacity)
    }

    /// Programs cached now (by canonical text).
    public var count: Int { lock.withLock { byCanonical.count } }

    /// Lookups answered from the cache, and lookups that compiled.
    public var counts: (hits: Int, misses: Int) { lock.withLock { statistics } }

    /// The program of `source`, compiled on first use of its canonical text.
    ///
    /// - Throws: ``RulesError`` as ``RulesProgram/compile(_:limits:)`` (errors are not cached).
    public func program(for source: String, limits: RulesLimits = RulesLimits()) throws(RulesError) -> RulesProgram {
        let sourceKey = Key(text: source, limits: limits)
        if let hit = lookup(sourceKey, canonical: false) { return hit }
        let syntax = try RulesParser.parse(source, limits: limits)
        let canonicalKey = Key(text: syntax.canonicalText, limits: limits)
        let program: RulesProgram
        if let hit = lookup(canonicalKey, canonical: true) {
            // The same program written differently: this source's positions and comments.
            program = RulesProgram(core: hit.core, syntax: syntax)
        } else {
            program = try RulesProgram.compile(syntax, limits: limits)
            lock.withLock { statistics.misses += 1 }
        }
        store(program, sourceKey: sourceKey, canonicalKey: canonicalKey)
        return program
    }

    /// Drops every program.
    public func removeAll() {
        lock.withLock {
            bySource.removeAll()
            byCanonical.removeAll()
        }
    }

    private func lookup(_ key: Key, canonical: Bool) -> RulesProgram? {
        lock.withLock {
            clock += 1
            if canonical {
                guard byCanonical[key] != nil else { return nil }
                byCanonical[key]?.used = clock
                statistics.hits += 1
                return byCanonical[key]?.value
            }
            guard bySource[key] != nil else { return nil }
            bySource[key]?.used = clock
            statistics.hits += 1
            return bySource[key]?.value
        }
    }

    private func store(_ program: RulesProgram, sourceKey: Key, canonicalKey: Key) {
        lock.withLock {
            clock += 1
            Self.insert(&byCanonical, canonicalKey, Entry(value: program, used: clock), capacity: capacity)
            Self.insert(&bySource, sourceKey, Entry(value: program, used: clock), capacity: capacity)
        }
    }

    private static func insert(_ table: inout [Key: Entry], _ key: Key, _ entry: Entry, capacity: Int) {
        if table[key] == nil && table.count >= capacity,
            let oldest = table.min(by: { $0.value.used < $1.value.used })?.key
        {
            table.removeValue(forKey: oldest)
        }
        table[key] = entry
    }
}
