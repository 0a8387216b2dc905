/// Walk-forward efficiency (Pardo): how much of its in-sample performance a walk-forward
/// analysis keeps out of sample, by annualised return (`return_ann_pct`).
///
/// - A fold's: the out-of-sample annualised return of the fold's winner (on its test window)
///   over its in-sample annualised return (on its training window). Undefined (`nil`) when
///   either is not finite or the in-sample one is not above 0 (a ratio to a loss or to
///   nothing says nothing).
/// - The analysis's: the mean out-of-sample annualised return over the folds divided by the
///   mean in-sample one, over the folds where both are finite; undefined when that in-sample
///   mean is not above 0 or no fold has both. A ratio of means, so that one fold with an
///   in-sample return near 0 does not swamp the others.
///
/// 1 keeps everything the training windows promised; 0.5, half; below 0, the winners lost
/// money out of sample.
public enum WalkForwardEfficiency {
    /// One fold's efficiency.
    public static func fold(inSample: Double, outOfSample: Double) -> Double? {
        guard inSample.isFinite, outOfSample.isFinite, inSample > 0 else { return nil }
        return outOfSample / inSample
    }

    /// The analysis's efficiency from each fold's in-sample and out-of-sample annualised
    /// returns (in fold order).
    public static func overall(inSample: [Double], outOfSample: [Double]) -> Double? {
        var sumIn = 0.0
        var sumOut = 0.0
        var count = 0
        for (i, o) in zip(inSample, outOfSample) where i.isFinite && o.isFinite {
            sumIn += i
            sumOut += o
            count += 1
        }
        guard count > 0, sumIn > 0 else { return nil }
        return (sumOut / Double(count)) / (sumIn / Double(count))
    }
}
