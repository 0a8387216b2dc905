import BacktestEngine
import BacktestJSON

extension ParameterValue: Codable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let d = try? c.decode(Double.self) {
            self = .number(d)
        } else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected a number or a boolean")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .bool(let b): try c.encode(b)
        case .number(let v):
            if WireDouble.isWrittenWhole(v) { try c.encode(Int64(v)) } else { try WireDouble.encode(v, in: &c) }
        }
    }
}
