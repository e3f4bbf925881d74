package storage

// Writing what memory holds into the files on demand. Every acknowledged write is
// durable already (in the log, or in the file for a database without one), so nothing
// here is needed for durability: it serves an operator who wants the files themselves
// current now (SAVE), and a rewrite of DB 0's keys that must be on disk before it is
// reported done whatever the sync mode (rekey).

// Flush writes the database's unflushed changes into its file in one bbolt
// transaction, fsynced when the database has a log, and returns once that is done (at
// once when there is nothing to write). Writes keep going meanwhile; those that land
// after Flush began may wait for the next flush.
func (db *DB) Flush() error { return db.flushNow() }

// Sync fsyncs the database's file. A database without a log and with a sync mode other
// than always commits without fsync (its file is the durability, as Redis's appendfsync
// trades it); Sync makes the last commit durable now.
func (db *DB) Sync() error {
	if db.bolt == nil {
		return nil
	}
	return db.mapErr(db.bolt.Sync())
}

// FlushAll flushes every open database (Flush) and then lets the log drop every frame
// that the files now hold. It returns the first error, after trying every database.
func (m *Manager) FlushAll() error {
	var first error
	m.Each(func(_ uint64, db *DB) {
		if err := db.Flush(); err != nil && first == nil {
			first = err
		}
	})
	m.truncateLog()
	return first
}
