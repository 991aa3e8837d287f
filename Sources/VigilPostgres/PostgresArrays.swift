import NIOCore
import PostgresNIO

/// One-dimensional `float8[]` and `int8[]` values of a row's column, decoded straight
/// from their binary form (postgres-nio's generic decoder slices a buffer per element).
enum PostgresArrays {
    struct Malformed: Error, CustomStringConvertible {
        var description: String { "PostgreSQL sent an array this reader does not expect (not one-dimensional 8-byte values without NULLs)" }
    }

    /// A `float8[]` column as `[Double]` (a NULL array is empty).
    static func doubles(_ row: PostgresRow, column: Int = 0) throws -> [Double] {
        try elements(row, column: column, type: .float8) { Double(bitPattern: $0) }
    }

    /// An `int8[]` column as `[Int64]` (a NULL array is empty).
    static func integers(_ row: PostgresRow, column: Int = 0) throws -> [Int64] {
        try elements(row, column: column, type: .int8) { Int64(bitPattern: $0) }
    }

    private static func elements<T>(_ row: PostgresRow, column: Int, type: PostgresDataType, _ make: (UInt64) -> T) throws -> [T] {
        guard let cell = row.dropFirst(column).first else { throw Malformed() }
        guard var bytes = cell.bytes else { return [] }
        guard cell.format == .binary,
              let (dimensions, _, element) = bytes.readMultipleIntegers(endianness: .big, as: (Int32, Int32, UInt32).self),
              PostgresDataType(element) == type
        else { throw Malformed() }
        if dimensions == 0 { return [] }
        guard dimensions == 1, let (count, _) = bytes.readMultipleIntegers(endianness: .big, as: (Int32, Int32).self), count >= 0,
              bytes.readableBytes == Int(count) * 12
        else { throw Malformed() }
        return try bytes.withUnsafeReadableBytes { raw in
            var out: [T] = []
            out.reserveCapacity(Int(count))
            var offset = 0
            for _ in 0..<Int(count) {
                // Each element: its length (8; -1 would be a NULL) and 8 bytes, big-endian.
                guard UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) == 8 else { throw Malformed() }
                out.append(make(UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt64.self))))
                offset += 12
            }
            return out
        }
    }
}
