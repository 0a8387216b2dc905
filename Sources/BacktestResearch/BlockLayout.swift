/// How CSCV cuts `periods` returns into `blocks` equal contiguous blocks: the first
/// `periods mod blocks` periods are dropped, and block b holds the `blockLength` periods from
/// `dropped + b · blockLength`.
public struct BlockLayout: Sendable, Hashable, Codable {
    /// The number of periods (returns) of every trial.
    public let periods: Int
    /// S: the number of blocks (even, at least 2).
    public let blocks: Int

    /// The default block count, as in the paper and pypbo's examples.
    public static let defaultBlocks = 16

    /// A layout; throws `invalid_blocks` when `blocks` is odd or below 2, or when a block
    /// would hold fewer than 2 periods.
    public init(periods: Int, blocks: Int = BlockLayout.defaultBlocks) throws(ResearchError) {
        guard blocks >= 2, blocks % 2 == 0 else {
            throw ResearchError(code: .invalidBlocks, message: "blocks must be an even number of at least 2, not \(blocks)")
        }
        guard periods >= 2 * blocks else {
            throw ResearchError(
                code: .invalidBlocks,
                message: "\(blocks) blocks need at least \(2 * blocks) periods (2 per block); there are \(periods)"
            )
        }
        self.periods = periods
        self.blocks = blocks
    }

    /// Periods dropped at the start: `periods mod blocks`.
    public var dropped: Int { periods % blocks }
    /// Periods per block.
    public var blockLength: Int { periods / blocks }
    /// The periods of block `b`.
    public func range(ofBlock b: Int) -> Range<Int> {
        let start = dropped + b * blockLength
        return start..<(start + blockLength)
    }
    /// The dropped head (`0..<dropped`, empty when nothing is dropped), then every block, in
    /// time order: consecutive ranges that cover all the periods.
    public var ranges: [Range<Int>] {
        [0..<dropped] + (0..<blocks).map { range(ofBlock: $0) }
    }
    /// The number of CSCV splits: C(S, S/2).
    public var combinations: Int { Self.combinations(blocks: blocks) }
}
