package storage

import (
	"errors"
	"fmt"
)

// Sentinel errors. Command-level errors (wrong type, not an integer) are results the
// server turns into Redis's reply strings; the others are failures of the file itself.
var (
	ErrWrongType  = errors.New("wrong type")
	ErrNotInteger = errors.New("value is not an integer or out of range")
	ErrNotFloat   = errors.New("value is not a valid float")
	ErrOverflow   = errors.New("increment or decrement would overflow")
	ErrNaN        = errors.New("increment would produce NaN or Infinity")
	ErrNoSuchKey  = errors.New("no such key")
	ErrOutOfRange = errors.New("index out of range")
	ErrTooLarge   = errors.New("string exceeds maximum allowed size")
	ErrLocked     = errors.New("database is locked: no key installed")
	ErrClosed     = errors.New("database is closed")
	// ErrMissingFile: a database that was written to has no file (deleted or moved
	// outside herodb); it is never served as an empty database.
	ErrMissingFile = errors.New("database file is missing")
	ErrDBInUse     = errors.New("database file is in use by another process")
	ErrDBFull      = errors.New("database has reached its max_size")
	ErrFormat      = errors.New("unsupported file format")
	ErrCorrupt     = errors.New("record failed to open: tampered, moved or sealed under another key")
	ErrReadOnlyTx  = errors.New("write in a read-only transaction")
	// ErrGone is what an UnlockFunc's error wraps for a database that is not registered
	// or was deleted: recovery skips its log frames, which then never pin the log.
	ErrGone = errors.New("database does not exist")
	// ErrUnflushed is a database closed with changes its file could not take (a flush
	// that failed at shutdown or in recovery): they are kept in the log, and the database
	// opens again only once a restart has replayed them.
	ErrUnflushed = errors.New("its file could not take changes that are kept in the log; it opens again once herodb restarts and replays them")
	// ErrWrongFile is a file whose binding to its database does not check: copied or
	// swapped into another database's place, or its format record edited. Every such
	// error is a *WrongFileError, and errors.Is(err, ErrCorrupt) holds for it too.
	ErrWrongFile = errors.New("file belongs to another database or was tampered with")
)

// CorruptError is data of one database that is not what herodb wrote: a record that
// fails to open, or records that do not agree with each other (a count that does not
// match the records, a missing field or element). It names the database and the key by
// its identity, never by its name (the name is tenant data, and errors reach logs).
// errors.Is(err, ErrCorrupt) holds for it.
type CorruptError struct {
	DB   uint64 // database id
	Path string // the database file
	Key  string // the key: "id 17", or "index 3f2a…" when its key record itself is bad
	What string // what does not hold
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("storage: data corruption in database %d (%s), key %s: %s", e.DB, e.Path, e.Key, e.What)
}

func (e *CorruptError) Unwrap() error { return ErrCorrupt }

// WrongFileError refuses a file that is not the one its database wrote (see
// ErrWrongFile). A refused file is never written to, and no command reads it.
type WrongFileError struct {
	Path   string
	Detail string // which check failed
}

func (e *WrongFileError) Error() string {
	return fmt.Sprintf("storage: %s belongs to another database or was tampered with (%s)", e.Path, e.Detail)
}

// Is makes a refused file both ErrWrongFile and ErrCorrupt.
func (e *WrongFileError) Is(target error) bool { return target == ErrWrongFile || target == ErrCorrupt }
