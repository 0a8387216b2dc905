extension BlockLayout {
    /// The most CSCV work a search's robustness block may take, in trial-splits (trials ×
    /// C(S, S/2)). CSCV measured 0.414 s for 12,870 splits × 10,000 trials (1.3·10⁸
    /// trial-splits) on the 2-core VM with both cores, about 3.2 ns per trial-split (6.4 CPU-ns),
    /// so 2,500,000 is at most about 8 ms: 175 combinations keep S = 16 (2.25·10⁶), and the
    /// 10,000-combination grid takes S = 8 (0.7·10⁶). With 4,000,000 (S = 10 there) the whole
    /// robustness block measured +10 to +13 % of that search's CPU time, over the goal of
    /// +10 %; with 2,500,000, +6 to +10 % (BENCHMARKS.md, "Overhead on a search").
    public static let searchBudget = 2_500_000

    /// The fewest blocks a search chooses by itself: C(4, 2) = 6 splits.
    public static let minimumSearchBlocks = 4

    /// S for a search of `trials` combinations when the user did not choose one: the largest
    /// even S from ``defaultBlocks`` (16) down to ``minimumSearchBlocks`` (4) with
    /// C(S, S/2) · trials ≤ ``searchBudget`` (4 when none fits). Up to 194 trials keep 16
    /// (175: 2.25·10⁶ trial-splits); up to 728 take 14; up to 2,705, 12; up to 9,920, 10; up to
    /// 35,714, 8 (10,000 and 20,000 among them); up to 125,000, 6. When `periods` is given, S is also at most the largest even count
    /// that leaves each block 2 periods.
    public static func searchBlocks(trials: Int, periods: Int? = nil) -> Int {
        var blocks = defaultBlocks
        if let periods { blocks = min(blocks, max(minimumSearchBlocks, (periods / 2) & ~1)) }
        while blocks > minimumSearchBlocks, combinations(blocks: blocks) * max(1, trials) > searchBudget {
            blocks -= 2
        }
        return blocks
    }

    /// The rule of ``searchBlocks(trials:periods:)`` in words, for the CLI's help and the API
    /// document: "the largest even S <= 16 with C(S, S/2) x combinations <= 2,500,000", with
    /// `atMost` and `times` as each spells them.
    public static func searchRule(atMost: String = "<=", times: String = "x") -> String {
        let digits = Array(String(searchBudget))
        var budget = ""
        for (i, digit) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { budget += "," }
            budget.append(digit)
        }
        return "the largest even S \(atMost) \(defaultBlocks) with C(S, S/2) \(times) combinations \(atMost) \(budget)"
    }

    /// Why a search's S is below ``defaultBlocks``, in a sentence, or `nil` when it is not
    /// below it or the default would have fitted ``searchBudget`` (the user chose it then).
    public static func reduction(blocks: Int, trials: Int) -> String? {
        guard blocks < defaultBlocks else { return nil }
        let full = combinations(blocks: defaultBlocks)
        guard full * trials > searchBudget else { return nil }
        return "CSCV used \(blocks) blocks (\(combinations(blocks: blocks)) splits) rather than \(defaultBlocks): "
            + "\(defaultBlocks) blocks would be \(full) splits × \(trials) combinations, over the search's budget of "
            + "\(searchBudget) trial-splits (ask for more with --robustness-blocks or robustness_blocks)."
    }

    /// C(S, S/2).
    static func combinations(blocks: Int) -> Int {
        var result = 1
        for i in 0..<(blocks / 2) { result = result * (blocks - i) / (i + 1) }
        return result
    }
}
