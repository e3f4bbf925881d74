package server

import (
	"math"
	"strconv"
	"strings"

	"github.com/seed6aa118f9/herodb/storage"
)

// Argument parsing: Redis's syntax for integers, floats, cursors and the small option
// words several commands share. Storage knows none of it (it decodes only what it
// stores); each parser here answers with a reply text, or with storage's error that
// commandError maps, as its callers need.

// parseInt reads an integer argument as Redis does: a canonical base-10 int64, nothing
// else (storage.ErrNotInteger otherwise).
func parseInt(b []byte) (int64, error) {
	if len(b) == 0 || len(b) > 20 || (len(b) > 1 && b[0] == '0') || (len(b) > 1 && b[0] == '-' && b[1] == '0') || b[0] == '+' {
		return 0, storage.ErrNotInteger
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, storage.ErrNotInteger
	}
	return n, nil
}

// parseFloat reads a float argument as Redis does: no spaces, no NaN
// (storage.ErrNotFloat otherwise).
func parseFloat(b []byte) (float64, error) {
	if len(b) == 0 || b[0] == ' ' || b[len(b)-1] == ' ' {
		return 0, storage.ErrNotFloat
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) {
		return 0, storage.ErrNotFloat
	}
	return f, nil
}

// rangeLong is Redis's getRangeLongFromObjectOrReply with no message of its own.
func rangeLong(b []byte) (int64, string) {
	n, err := parseInt(b)
	if err != nil {
		return 0, errNotInteger
	}
	if n == math.MinInt64 {
		return 0, errLongRange
	}
	return n, ""
}

// positiveLong is Redis's getPositiveLongFromObjectOrReply: msg for a bad or negative value.
func positiveLong(b []byte, msg string) (int64, string) {
	n, err := parseInt(b)
	if err != nil || n < 0 {
		return 0, msg
	}
	return n, ""
}

// parseInts reads integer arguments, Redis-strict; ok is false after an error reply.
func parseInts(c *call, args ...[]byte) ([]int64, bool) {
	out := make([]int64, len(args))
	for i, a := range args {
		n, err := parseInt(a)
		if err != nil {
			c.r.err(errNotInteger)
			return nil, false
		}
		out[i] = n
	}
	return out, true
}

// parseEnd reads LEFT or RIGHT.
func parseEnd(b []byte) (left bool, ok bool) {
	switch strings.ToLower(string(b)) {
	case "left":
		return true, true
	case "right":
		return false, true
	}
	return false, false
}

// parseCursor reads a SCAN or HSCAN cursor: an unsigned 64-bit decimal.
func parseCursor(b []byte) (uint64, bool) {
	n, err := strconv.ParseUint(string(b), 10, 64)
	return n, err == nil
}

// flushArgsOK checks FLUSHDB's and FLUSHALL's one optional argument, ASYNC or SYNC
// (both flush synchronously here).
func flushArgsOK(args [][]byte) bool {
	switch len(args) {
	case 1:
		return true
	case 2:
		return strings.EqualFold(string(args[1]), "async") || strings.EqualFold(string(args[1]), "sync")
	}
	return false
}

// parseExpiryOption reads the value val of option opt (ex, px, exat or pxat) of command
// cmd; it returns the absolute unix ms or an error reply naming cmd.
func parseExpiryOption(cmd string, opt string, val []byte, now int64) (int64, string) {
	n, err := parseInt(val)
	if err != nil {
		return 0, errNotInteger
	}
	if n <= 0 {
		return 0, errInvalidExpire(cmd)
	}
	at, ok := absoluteExpiry(opt, n, now)
	if !ok {
		return 0, errInvalidExpire(cmd)
	}
	return at, ""
}

// absoluteExpiry turns a relative or absolute time in s or ms into unix ms, refusing
// values that overflow (Redis's "invalid expire time").
func absoluteExpiry(cmd string, n, now int64) (int64, bool) {
	ms := n
	seconds := cmd == "expire" || cmd == "expireat" || cmd == "ex" || cmd == "exat" || cmd == "setex"
	if seconds {
		if n > math.MaxInt64/1000 || n < math.MinInt64/1000 {
			return 0, false
		}
		ms = n * 1000
	}
	relative := !strings.HasSuffix(cmd, "at")
	if relative {
		if ms > 0 && now > math.MaxInt64-ms {
			return 0, false
		}
		ms += now
	}
	if ms <= 0 {
		// Redis still applies it (deleting the key); keep the sign for ExpireAt.
		return min(ms, 1), true
	}
	return ms, true
}
