import BacktestJSON

/// The body of `POST /v1/jobs`: a batch of backtests (``BatchBody``: `requests`, or `tickers`
/// with shared fields) or a list of portfolios (``PortfolioJobBody``: `portfolios`), told apart
/// by the `portfolios` member in one pass over the body.
enum JobBody: PlainJSONReadable {
    /// Backtests, each an item.
    case backtests(BatchBody)
    /// Portfolio backtests, each an item.
    case portfolios(PortfolioJobBody)

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// A plain batch (``BatchBody/init(plainJSON:)``); `nil` for anything else.
    init?(plainJSON json: JSONValue) {
        guard let batch = BatchBody(plainJSON: json) else { return nil }
        self = .backtests(batch)
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        if container.contains(Key(stringValue: PortfolioJobBody.key)) {
            self = .portfolios(try PortfolioJobBody(from: decoder))
        } else {
            self = .backtests(try BatchBody(from: decoder))
        }
    }
}
