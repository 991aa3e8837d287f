/// A reusable buffer that holds the text of one multi-row insert while SQLite reads it, so
/// binding a row costs one copy instead of an allocation and a copy per text value.
final class TextArena {
    private var storage: UnsafeMutableRawPointer
    private var capacity: Int
    private var used = 0

    init(capacity: Int = 64 << 10) {
        self.capacity = capacity
        storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
    }

    deinit {
        storage.deallocate()
        for old in retired { old.deallocate() }
    }

    /// Forgets everything appended; call only after the statement using it was reset.
    func reset() {
        used = 0
        for old in retired { old.deallocate() }
        retired.removeAll()
    }

    /// Copies `text`'s UTF-8 bytes in and returns where they are. When the arena is full a
    /// larger buffer replaces it; earlier pointers stay valid because the old one is kept until ``reset()``.
    func append(_ text: String) -> UnsafeRawBufferPointer {
        var t = text
        return t.withUTF8 { bytes in
            if used + bytes.count > capacity { grow(to: max(capacity * 2, used + bytes.count)) }
            let at = storage + used
            if let base = bytes.baseAddress { at.copyMemory(from: base, byteCount: bytes.count) }
            used += bytes.count
            return UnsafeRawBufferPointer(start: at, count: bytes.count)
        }
    }

    private var retired: [UnsafeMutableRawPointer] = []

    private func grow(to size: Int) {
        retired.append(storage)
        storage = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        capacity = size
        used = 0
    }
}
