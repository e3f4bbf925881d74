package storage

import "errors"

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
	ErrDBInUse    = errors.New("database file is in use by another process")
	ErrDBFull     = errors.New("database has reached its max_size")
	ErrFormat     = errors.New("unsupported file format")
	ErrCorrupt    = errors.New("record failed to open: tampered, moved or sealed under another key")
	ErrReadOnlyTx = errors.New("write in a read-only transaction")
)
