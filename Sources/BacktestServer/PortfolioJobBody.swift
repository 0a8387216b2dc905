import BacktestAPI
import BacktestEngine

/// The portfolio form of `POST /v1/jobs`: `{"portfolios": [...]}`, each entry the body of
/// `POST /v1/portfolios`, decoded so that one bad entry becomes that item's error (naming its
/// field) instead of failing the whole job, as a batch's entries do.
///
/// The body as a whole is checked here: a member other than `portfolios`, `portfolios` that
/// is not a list, or a list of 0 or more than ``BatchRequest/maxJobItems`` entries is a 422
/// naming the field, and nothing is queued.
struct PortfolioJobBody: Decodable {
    /// Each entry: a request that decoded and passed the checks that need no data, or why not.
    var entries: [Result<PortfolioRequest, BacktestError>]

    /// The member that marks this form.
    static let key = "portfolios"

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// One entry of `portfolios`, decoded and checked on its own.
    private struct LenientEntry: Decodable {
        var result: Result<PortfolioRequest, BacktestError>
        init(from decoder: any Decoder) throws {
            do {
                let request = try PortfolioRequest(from: decoder)
                try request.validate()
                result = .success(request)
            } catch let error as BacktestError {
                result = .failure(error)
            } catch {
                result = .failure(BacktestError(code: .invalidField, message: "expected a portfolio request object", field: "portfolios"))
            }
        }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        for key in container.allKeys where key.stringValue != Self.key {
            throw BacktestError(code: .unknownField, message: "unknown field '\(key.stringValue)' next to 'portfolios'", field: key.stringValue)
        }
        do {
            entries = try container.decode([LenientEntry].self, forKey: Key(stringValue: Self.key)).map(\.result)
        } catch {
            throw BacktestError.invalid(Self.key, "expected a list of portfolio request objects (each the body of POST /v1/portfolios)")
        }
    }

    /// Checks the entry count: 1 to `limit`.
    func checkSize(limit: Int = BatchRequest.maxJobItems) throws {
        guard !entries.isEmpty else {
            throw Problem(BacktestError.invalid(Self.key, "the job is empty; send 1 to \(limit) portfolios"))
        }
        guard entries.count <= limit else {
            throw Problem(BacktestError.invalid(Self.key, "\(entries.count) portfolios; at most \(limit) in a job"))
        }
    }
}
