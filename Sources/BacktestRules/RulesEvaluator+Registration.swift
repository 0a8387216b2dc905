import BacktestEngine

extension RulesEvaluator {
    /// Registers the plan's indicators with the engine (for the warm-up rule and for
    /// reports), as the built-in strategies do: names like `SMA(10)` or `RSI(14)`,
    /// price-scale ones over the prices, oscillators in their own panel with the constants
    /// they are compared with as levels.
    mutating func register(_ setup: inout StrategySetup) {
        let (labels, panels) = describe()
        let levels = self.levels()
        var histogramDone = Set<Int>()
        for r in plan.registered {
            let values: [Double]
            if case .sma(let running, _) = self.values[r] { values = running.values } else { values = numbers(r) }
            if case .field(let record, "hist") = plan.nodes[r].op {
                setup.indicator(values)
                setup.plot(IndicatorPlot(name: labels[r], panel: panels[r], values: values, style: .histogram))
                histogramDone.insert(record)
                continue
            }
            setup.indicator(values, name: labels[r], panel: panels[r], levels: levels[r] ?? [])
        }
        // A MACD's histogram is drawn with it, as the built-in does.
        for r in plan.registered {
            guard case .field(let record, _) = plan.nodes[r].op, case .indicator(.macd, _, _, _) = plan.nodes[record].op,
                histogramDone.insert(record).inserted, case .record(let columns) = self.values[record], columns.count == 3
            else { continue }
            setup.plot(IndicatorPlot(name: "histogram", panel: panels[r], values: columns[2], style: .histogram))
        }
    }

    /// Constants each node is compared with (or crossed with), in order.
    private func levels() -> [Int: [Double]] {
        var out: [Int: [Double]] = [:]
        for node in plan.nodes where node.live {
            let pair: (Int, Int)
            switch node.op {
            case .compare(_, let a, let b), .cross(let a, let b): pair = (a, b)
            default: continue
            }
            for (x, y) in [pair, (pair.1, pair.0)] {
                if case .constant(let c) = plan.nodes[y].op, !(out[x]?.contains(c) ?? false) { out[x, default: []].append(c) }
            }
        }
        return out
    }

    /// A name and a panel for every node, in one pass (children first).
    private func describe() -> (labels: [String], panels: [String]) {
        var labels = [String](repeating: "", count: plan.nodes.count)
        var panels = [String](repeating: IndicatorPlot.pricePanel, count: plan.nodes.count)
        func cut(_ s: String) -> String { s.utf8.count > 80 ? String(s.prefix(77)) + "..." : s }
        for (i, node) in plan.nodes.enumerated() where node.live {
            let label: String
            var panel: String?
            switch node.op {
            case .constant(let v): label = RulesFormat.number(v)
            case .flag(let b): label = b ? "true" : "false"
            case .series(let f):
                label = f.rawValue
                panel = f == .volume ? "Volume" : IndicatorPlot.pricePanel
            case .negate(let a): label = "-(\(labels[a]))"
            case .arithmetic(let op, let a, let b): label = "(\(labels[a]) \(op.rawValue) \(labels[b]))"
            case .compare, .logic, .not, .cross: continue  // conditions are not drawn
            case .shift(let a, let n):
                label = "\(labels[a])[\(n)]"
                panel = panels[a]
            case .indicator(let f, let source, let p, let k):
                let prefix = source >= 0 && plan.nodes[source].op != .series(.close) ? labels[source] + ", " : ""
                let args = p.map(String.init) + (f == .bbands ? [RulesFormat.float(k)] : [])
                label = "\(f.rawValue.uppercased())(\(prefix)\(args.joined(separator: ", ")))"
                panel = Self.panel(f, source >= 0 ? panels[source] : IndicatorPlot.pricePanel, label)
            case .field(let r, let name):
                (label, panel) = fieldLabel(r, name, labels, panels)
            }
            labels[i] = cut(label)
            panels[i] = panel ?? labels[i]
        }
        return (labels, panels)
    }

    private static func panel(_ f: RulesFunction, _ sourcePanel: String, _ label: String) -> String {
        switch f {
        case .donchian: return IndicatorPlot.pricePanel
        case .macd: return "MACD"
        case .rsi, .atr, .stdev, .roc, .change: return f.rawValue.uppercased()
        default: return f.keepsScale ? sourcePanel : label
        }
    }

    /// The built-ins' names: `MACD(12, 26)`, `signal(9)`, `BB upper(20, 2.0)`,
    /// `Donchian lower(10)`.
    private func fieldLabel(_ r: Int, _ name: String, _ labels: [String], _ panels: [String]) -> (String, String) {
        guard case .indicator(let f, let source, let p, let k) = plan.nodes[r].op else { return ("\(labels[r]).\(name)", labels[r]) }
        let prefix = source >= 0 && plan.nodes[source].op != .series(.close) ? labels[source] + ", " : ""
        switch (f, name) {
        case (.macd, "line"): return ("MACD(\(prefix)\(p[0]), \(p[1]))", panels[r])
        case (.macd, "signal"): return ("signal(\(p[2]))", panels[r])
        case (.macd, _): return ("histogram", panels[r])
        case (.bbands, "mid"): return ("BB mid(\(prefix)\(p[0]))", panels[r])
        case (.bbands, _): return ("BB \(name)(\(prefix)\(p[0]), \(RulesFormat.float(k)))", panels[r])
        default: return ("Donchian \(name)(\(p[0]))", panels[r])
        }
    }

    /// One bit per action (bit `k` for the `k`th action of the plan) on every bar: set
    /// where the action's condition holds.
    func masks() -> [UInt64] {
        var out = [UInt64](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { out in
            for (k, action) in plan.actions.enumerated() {
                let bit = UInt64(1) << UInt64(k)
                if action.condition < 0 {
                    for i in 0..<count { out[i] |= bit }
                    continue
                }
                flags(action.condition).withUnsafeBufferPointer { x in
                    for i in 0..<count where x[i] { out[i] |= bit }
                }
            }
        }
        return out
    }
}
