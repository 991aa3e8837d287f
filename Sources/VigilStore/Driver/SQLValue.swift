import Foundation

/// One value bound to a statement's parameter (`$1`, `$2`, …), whatever the backend.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)
    case boolean(Bool)
    /// An array of integers: PostgreSQL `bigint[]`; on SQLite a JSON array, as text. Read it
    /// in a statement through ``SQLDialect/integerList``.
    case integers([Int64])
}

/// A Swift value that can be bound to a statement's parameter.
public protocol SQLValueConvertible {
    /// The value as bound.
    var sqlValue: SQLValue { get }
}

extension Int64: SQLValueConvertible { public var sqlValue: SQLValue { .integer(self) } }
extension Int: SQLValueConvertible { public var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Int32: SQLValueConvertible { public var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Double: SQLValueConvertible { public var sqlValue: SQLValue { .real(self) } }
extension String: SQLValueConvertible { public var sqlValue: SQLValue { .text(self) } }
extension Bool: SQLValueConvertible { public var sqlValue: SQLValue { .boolean(self) } }
extension Data: SQLValueConvertible { public var sqlValue: SQLValue { .blob(self) } }
extension SQLValue: SQLValueConvertible { public var sqlValue: SQLValue { self } }
extension Array: SQLValueConvertible where Element == Int64 { public var sqlValue: SQLValue { .integers(self) } }
extension Optional: SQLValueConvertible where Wrapped: SQLValueConvertible {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}
