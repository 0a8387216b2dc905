/// The ordinary least-squares line y = slope · x + intercept through a set of points.
public struct LeastSquaresLine: Sendable, Equatable, Codable {
    /// dy/dx.
    public var slope: Double
    /// y at x = 0.
    public var intercept: Double

    /// Creates a line.
    public init(slope: Double, intercept: Double) {
        self.slope = slope
        self.intercept = intercept
    }

    /// The line fitted to the points (`x[i]`, `y[i]`) (two passes: the means, then the
    /// centred sums). When every x is the same the slope is 0 and the intercept the mean of y.
    public init(x: [Double], y: [Double]) {
        let n = Double(min(x.count, y.count))
        guard n > 0 else {
            self.init(slope: 0, intercept: 0)
            return
        }
        var sx = 0.0
        var sy = 0.0
        for i in 0..<Int(n) {
            sx += x[i]
            sy += y[i]
        }
        let mx = sx / n
        let my = sy / n
        var sxx = 0.0
        var sxy = 0.0
        for i in 0..<Int(n) {
            let dx = x[i] - mx
            sxx += dx * dx
            sxy += dx * (y[i] - my)
        }
        let slope = sxx > 0 ? sxy / sxx : 0
        self.init(slope: slope, intercept: my - slope * mx)
    }
}
