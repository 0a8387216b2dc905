extension Collection {
    /// The collection in consecutive slices of at most `size` elements, in order (none when it
    /// is empty): how the stores split many rows over statements.
    ///
    /// ```swift
    /// [1, 2, 3, 4, 5].slices(of: 2)  // [[1, 2], [3, 4], [5]]
    /// ```
    func slices(of size: Int) -> [SubSequence] {
        precondition(size > 0, "a slice holds at least one element")
        var slices: [SubSequence] = []
        slices.reserveCapacity(count / size + (count % size == 0 ? 0 : 1))
        var start = startIndex
        while start != endIndex {
            let end = index(start, offsetBy: size, limitedBy: endIndex) ?? endIndex
            slices.append(self[start..<end])
            start = end
        }
        return slices
    }
}
