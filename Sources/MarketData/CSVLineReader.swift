/// Splits CSV bytes into lines, and each line into its fields: LF or CRLF endings, blank
/// lines skipped, a UTF-8 byte order mark before the first line skipped, spaces and tabs
/// around a field trimmed and one pair of double quotes around it removed. (Market-data files
/// quote no commas, so a quoted comma still separates fields.)
///
/// ```swift
/// var reader = CSVLineReader(bytes)
/// while reader.next() { print(reader.lineNumber, reader.fields.map(reader.text)) }
/// ```
struct CSVLineReader {
    /// The whole input.
    let bytes: UnsafeBufferPointer<UInt8>
    /// The first byte not read yet.
    private var position: Int
    /// The 1-based number of the line last read (blank lines count).
    private(set) var lineNumber = 0
    /// The byte ranges of the fields of the line last read.
    private(set) var fields: [Range<Int>] = []

    /// A reader at the start of `bytes`, past a byte order mark.
    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        let bom = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
        position = bom ? 3 : 0
    }

    /// Reads the next line that is not blank into ``fields``; `false` at the end of the input.
    mutating func next() -> Bool {
        while position < bytes.count {
            lineNumber += 1
            let start = position
            while position < bytes.count, bytes[position] != 0x0A { position += 1 }
            var end = position
            if position < bytes.count { position += 1 }
            if end > start, bytes[end - 1] == 0x0D { end -= 1 }
            if end == start { continue }
            split(start..<end)
            return true
        }
        return false
    }

    /// The line `line`'s fields into ``fields``, trimmed and unquoted.
    private mutating func split(_ line: Range<Int>) {
        fields.removeAll(keepingCapacity: true)
        var fieldStart = line.lowerBound
        var k = line.lowerBound
        while k <= line.upperBound {
            if k == line.upperBound || bytes[k] == 0x2C {
                var lo = fieldStart
                var hi = k
                while lo < hi, bytes[lo] == 0x20 || bytes[lo] == 0x09 { lo += 1 }
                while hi > lo, bytes[hi - 1] == 0x20 || bytes[hi - 1] == 0x09 { hi -= 1 }
                if hi - lo >= 2, bytes[lo] == 0x22, bytes[hi - 1] == 0x22 {
                    lo += 1
                    hi -= 1
                }
                fields.append(lo..<hi)
                fieldStart = k + 1
            }
            k += 1
        }
    }

    /// The bytes of field `index` of the line last read.
    func field(_ index: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[fields[index]])
    }

    /// The text of a byte range of the input (invalid UTF-8 repaired).
    func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// The text of field `index` of the line last read.
    func text(ofField index: Int) -> String {
        text(fields[index])
    }
}
