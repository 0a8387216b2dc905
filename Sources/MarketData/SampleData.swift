import Foundation

/// The sample data set bundled with the package: daily bars of a few large US stocks
/// (Yahoo layout, one `TICKER.csv` each). It is what a fresh install serves.
public enum SampleData {
    /// The folder holding the bundled CSV files, if the resource bundle is present.
    public static var directory: URL? {
        Bundle.module.url(forResource: "sample", withExtension: nil)
    }
}
