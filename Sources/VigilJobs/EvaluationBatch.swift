import Foundation
import VigilCore

/// Several models' reports together (`vigil evaluate` without `--model`).
public struct EvaluationBatch: Sendable, Codable {
    public var schema = "vigil.evaluations/v1"
    public var status: EvaluationStatus
    public var exitCode: Int32
    public var evaluations: [EvaluationReport]

    enum CodingKeys: String, CodingKey {
        case schema, status, evaluations
        case exitCode = "exit_code"
    }

    /// The batch; its status is the worst: critical, then warning, then unknown, then ok.
    public init(reports: [EvaluationReport]) {
        evaluations = reports
        let order: [EvaluationStatus] = [.critical, .warning, .unknown, .ok]
        status = order.first { s in reports.contains { $0.status == s } } ?? .unknown
        exitCode = status.exitCode
    }

    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
