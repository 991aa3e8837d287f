import Foundation
import VigilCore

/// The report-link secret (table `store_secrets`, row `report-links`), written once over the driver.
extension SQLStore {
    public func reportLinkSecret(candidate: [UInt8]) throws -> [UInt8] {
        let name = "report-links"
        // Read first: the secret exists on every call but the first, and a read needs no write lock.
        if let stored = try driver.read({ c in try c.one("SELECT secret FROM store_secrets WHERE name = $1", [name]) }) {
            return [UInt8](try stored.data("secret"))
        }
        return try driver.write { c in
            _ = try c.execute("INSERT INTO store_secrets(name, secret) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", [name, Data(candidate)])
            guard let row = try c.one("SELECT secret FROM store_secrets WHERE name = $1", [name]) else {
                throw StoreError("the report-link secret was not stored; check that the store is writable")
            }
            return [UInt8](try row.data("secret"))
        }
    }
}
