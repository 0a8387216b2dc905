import Foundation

/// The bundled pages (built by `Tools/report/build_template.py` from `Tools/report/src`):
/// each one self-contained, with its Content-Security-Policy in a `<meta>` element.
public enum ReportTemplate: String, Sendable, CaseIterable {
    /// One backtest (`report.html`).
    case backtest = "report"
    /// A parameter search (`optimize.html`).
    case optimization = "optimize"
    /// A batch: one row per ticker (`batch.html`).
    case batch
    /// A portfolio backtest (`portfolio.html`).
    case portfolio
    /// The server's live dashboard (`dashboard.html`; no data: it calls the API).
    case dashboard

    /// The page's text.
    ///
    /// - Throws: ``ReportError`` `missing_template` when it is not installed.
    public func text() throws(ReportError) -> String {
        guard let url = Bundle.module.url(forResource: rawValue, withExtension: "html"), let data = try? Data(contentsOf: url) else {
            throw ReportError(
                code: .missingTemplate,
                message: "the \(rawValue) page template is missing from the installation (\(rawValue).html beside the binary)"
            )
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The page filled with `data` (JSON; see ``HTMLReport/fill(_:with:)``).
    public func page(data: String) throws(ReportError) -> String {
        HTMLReport.fill(try text(), with: data)
    }

    /// The Content-Security-Policy a page declares in its `<meta http-equiv>` element, for the
    /// header of a server reply that carries it (`nil` when it declares none).
    public static func contentSecurityPolicy(of page: String) -> String? {
        guard let meta = page.range(of: "http-equiv=\"Content-Security-Policy\"") else { return nil }
        let rest = page[meta.upperBound...]
        guard let open = rest.range(of: "content=\""), let close = rest[open.upperBound...].firstIndex(of: "\"") else { return nil }
        return String(rest[open.upperBound..<close]).replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&quot;", with: "\"")
    }
}
