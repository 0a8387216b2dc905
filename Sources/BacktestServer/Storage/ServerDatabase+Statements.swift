extension ServerDatabase {
    /// The most rows one multi-row statement of the SQLite store writes or names. Each binds at
    /// most 3 parameters a row and a few more (600-something in all): under the 999 bound
    /// parameters of SQLite builds before 3.32, so the store works with any SQLite it is built with.
    static let rowsPerStatement = 200
}
