import BacktestAPI
import BacktestEngine
import BacktestJSON

/// The body of `POST /v1/backtests/batch` and `POST /v1/jobs`, decoded so that one bad
/// item becomes that item's error instead of failing the whole batch.
///
/// Same shapes as ``BatchRequest``: `{"requests": [...]}` or `{"tickers": [...], ...shared}`.
struct BatchBody: PlainJSONReadable {
    /// Each item: a request, or why it could not be read.
    var entries: [Result<BacktestRequest, BacktestError>]

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// One item of `requests`, decoded on its own.
    private struct LenientItem: Decodable {
        var result: Result<BacktestRequest, BacktestError>
        init(from decoder: any Decoder) throws {
            do {
                result = .success(try BacktestRequest(from: decoder))
            } catch let error as BacktestError {
                result = .failure(error)
            } catch {
                result = .failure(BacktestError(code: .invalidField, message: "expected a backtest request object", field: "requests"))
            }
        }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        // Portfolios run as a job (POST /v1/jobs decodes them as PortfolioJobBody): here, say where.
        if container.contains(Key(stringValue: PortfolioJobBody.key)) {
            throw BacktestError.invalid(
                PortfolioJobBody.key,
                "portfolios run as a job: POST /v1/jobs with {\"portfolios\": [...]} (one at a time: POST /v1/portfolios)"
            )
        }
        let requestsKey = Key(stringValue: "requests")
        if container.contains(requestsKey) {
            for key in container.allKeys where key.stringValue != "requests" {
                throw BacktestError(code: .unknownField, message: "unknown field '\(key.stringValue)' next to 'requests'", field: key.stringValue)
            }
            let items: [LenientItem]
            do {
                items = try container.decode([LenientItem].self, forKey: requestsKey)
            } catch {
                throw BacktestError.invalid("requests", "expected a list of backtest request objects")
            }
            entries = items.map(\.result)
        } else {
            entries = try BatchRequest(from: decoder).requests.map { .success($0) }
        }
    }

    /// `{"requests": [...]}` whose items all read as plain requests
    /// (``BacktestAPI/BacktestRequest/init(plainJSON:)``); `nil` for anything else.
    init?(plainJSON json: JSONValue) {
        guard case .object(let members) = json, members.count == 1, case .array(let items)? = members["requests"] else { return nil }
        var entries: [Result<BacktestRequest, BacktestError>] = []
        entries.reserveCapacity(items.count)
        for item in items {
            guard let request = BacktestRequest(plainJSON: item) else { return nil }
            entries.append(.success(request))
        }
        self.entries = entries
    }

    /// Checks the item count: 1 to `limit` (``BatchRequest/maxItems`` for a batch,
    /// ``BatchRequest/maxJobItems`` for a job).
    func checkSize(limit: Int = BatchRequest.maxItems) throws {
        guard !entries.isEmpty else {
            throw Problem(BacktestError.invalid("requests", "the batch is empty; send 1 to \(limit) items"))
        }
        guard entries.count <= limit else {
            throw Problem(BacktestError.invalid("requests", "\(entries.count) items; at most \(limit) here"))
        }
    }
}
