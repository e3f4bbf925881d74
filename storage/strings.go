package storage

import (
	"math"
	"strconv"
)

// MaxStringSize is Redis's proto-max-bulk-len default: 512 MiB.
const MaxStringSize = 512 << 20

// A string's value is one record in the key's only slot.
var stringSlot = []byte(nil)

// Get returns the string at name; ok is false when absent. ErrWrongType when name holds
// another type.
func (tx *Tx) Get(name []byte) (value []byte, ok bool, err error) {
	m, err := tx.lookupType(name, TypeString)
	if err != nil || m == nil {
		return nil, false, err
	}
	v, err := tx.stringValue(m)
	return v, err == nil, err
}

// stringValue reads the value of string key m. Every string has its record (an empty
// value is an empty plaintext), so a missing one is corruption, never "".
func (tx *Tx) stringValue(m *meta) ([]byte, error) {
	if m.inline {
		return m.value, nil
	}
	v, err := tx.getData(m, stringSlot)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, tx.corrupt(m, "string value record is missing")
	}
	return v, nil
}

// SetOptions are SET's options, already parsed.
type SetOptions struct {
	ExpireAt int64 // unix ms; 0: no expiry
	KeepTTL  bool
	NX, XX   bool
	Get      bool // return the old value; a non-string old value is then ErrWrongType
}

// SetResult says what SET did.
type SetResult struct {
	Done      bool   // false when NX or XX stopped it
	Old       []byte // with Get: the old value
	OldExists bool
}

// Set stores value at name, replacing a value of any type (unless opt.Get).
func (tx *Tx) Set(name, value []byte, opt SetOptions) (SetResult, error) {
	var res SetResult
	if len(value) > MaxStringSize {
		return res, ErrTooLarge
	}
	m, err := tx.lookup(name)
	if err != nil {
		return res, err
	}
	if m != nil && opt.Get {
		if m.typ != TypeString {
			return res, ErrWrongType
		}
		if res.Old, err = tx.stringValue(m); err != nil {
			return res, err
		}
		res.OldExists = true
	}
	if (opt.NX && m != nil) || (opt.XX && m == nil) {
		return res, nil
	}
	res.Done = true
	keptExpiry := int64(0)
	if m != nil && m.typ != TypeString {
		keptExpiry = m.expireAt // KEEPTTL keeps it whatever the old type was, as Redis does
		if err := tx.deleteKey(m); err != nil {
			return res, err
		}
		m = nil
	}
	if opt.ExpireAt != 0 && opt.ExpireAt <= tx.now {
		if m != nil {
			return res, tx.deleteKey(m)
		}
		return res, nil
	}
	if m == nil {
		if m, err = tx.newMeta(name, TypeString); err != nil {
			return res, err
		}
	}
	switch {
	case !opt.KeepTTL:
		if err := tx.setExpiryEntry(m, opt.ExpireAt); err != nil {
			return res, err
		}
	case keptExpiry != 0 && m.expireAt == 0:
		if err := tx.setExpiryEntry(m, keptExpiry); err != nil {
			return res, err
		}
	}
	if err := tx.storeString(m, value); err != nil {
		return res, err
	}
	return res, tx.putMeta(m)
}

// storeString puts value into string key m: into its key record when small (the caller
// stores m), else into its value record; the record it no longer uses is deleted.
func (tx *Tx) storeString(m *meta, value []byte) error {
	if len(value) <= inlineMax {
		if !m.inline && !m.fresh {
			// An existing key whose value had a record of its own.
			if err := tx.dataB.Delete(dataKey(m.id, stringSlot)); err != nil {
				return err
			}
		}
		if value == nil {
			value = []byte{} // never nil: "" is a value
		}
		// Not copied: every caller stores m (putMeta, which seals a copy) before value
		// can change, and keeps m no longer than its command.
		m.inline, m.value = true, value
		return nil
	}
	m.inline, m.value = false, nil
	return tx.putData(m, stringSlot, value)
}

// getString is Get that also returns the key record, for the commands that read a
// string and write it back (INCR, APPEND, SETRANGE): they look the key up once.
func (tx *Tx) getString(name []byte) (*meta, []byte, error) {
	m, err := tx.lookupType(name, TypeString)
	if err != nil || m == nil {
		return nil, nil, err
	}
	v, err := tx.stringValue(m)
	return m, v, err
}

// rewrite stores value as the string at name, whose key record getString returned (nil:
// absent, created without an expiry), keeping its TTL.
func (tx *Tx) rewrite(m *meta, name, value []byte) error {
	if len(value) > MaxStringSize {
		return ErrTooLarge
	}
	if m == nil {
		var err error
		if m, err = tx.newMeta(name, TypeString); err != nil {
			return err
		}
	}
	if err := tx.storeString(m, value); err != nil {
		return err
	}
	return tx.putMeta(m)
}

// IncrBy adds delta to the integer at name (absent counts as 0).
func (tx *Tx) IncrBy(name []byte, delta int64) (int64, error) {
	m, v, err := tx.getString(name)
	if err != nil {
		return 0, err
	}
	n, out, err := addInt(v, m != nil, delta)
	if err != nil {
		return 0, err
	}
	return n, tx.rewrite(m, name, out)
}

// IncrByFloat adds delta to the number at name and returns the new value as stored.
func (tx *Tx) IncrByFloat(name []byte, delta float64) ([]byte, error) {
	m, v, err := tx.getString(name)
	if err != nil {
		return nil, err
	}
	out, err := addFloat(v, m != nil, delta)
	if err != nil {
		return nil, err
	}
	return out, tx.rewrite(m, name, out)
}

// addInt is INCRBY's arithmetic on a stored value (absent: 0): the sum, and how it is
// stored. ErrNotInteger, ErrOverflow.
func addInt(v []byte, present bool, delta int64) (int64, []byte, error) {
	var n int64
	if present {
		var err error
		if n, err = decodeInt(v); err != nil {
			return 0, nil, err
		}
	}
	if (delta > 0 && n > math.MaxInt64-delta) || (delta < 0 && n < math.MinInt64-delta) {
		return 0, nil, ErrOverflow
	}
	n += delta
	return n, strconv.AppendInt(nil, n, 10), nil
}

// addFloat is INCRBYFLOAT's arithmetic on a stored value (absent: 0). ErrNotFloat, ErrNaN.
func addFloat(v []byte, present bool, delta float64) ([]byte, error) {
	var f float64
	if present {
		var err error
		if f, err = decodeFloat(v); err != nil {
			return nil, err
		}
	}
	f += delta
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, ErrNaN
	}
	return FormatFloat(f), nil
}

// Append adds suffix to the string at name and returns the new length.
func (tx *Tx) Append(name, suffix []byte) (int64, error) {
	m, v, err := tx.getString(name)
	if err != nil {
		return 0, err
	}
	if len(v)+len(suffix) > MaxStringSize {
		return 0, ErrTooLarge
	}
	v = append(v, suffix...)
	return int64(len(v)), tx.rewrite(m, name, v)
}

// SetRange overwrites the string at name from offset, padding with zero bytes, and
// returns the new length. An empty value changes nothing (and creates nothing).
func (tx *Tx) SetRange(name []byte, offset int64, value []byte) (int64, error) {
	m, v, err := tx.getString(name)
	if err != nil {
		return 0, err
	}
	if offset+int64(len(value)) > MaxStringSize {
		return 0, ErrTooLarge
	}
	if len(value) == 0 {
		return int64(len(v)), nil
	}
	end := int(offset) + len(value)
	if end > len(v) {
		v = append(v, make([]byte, end-len(v))...)
	}
	copy(v[offset:], value)
	return int64(len(v)), tx.rewrite(m, name, v)
}

// decodeInt reads a stored value as an integer (INCR and HINCRBY on what is stored).
// Stored values and command arguments share Redis's integer syntax, but they belong to
// different layers: the server parses arguments (server/args.go), storage decodes only
// what it stores, so the two copies may change apart.
func decodeInt(b []byte) (int64, error) {
	if len(b) == 0 || len(b) > 20 || (len(b) > 1 && b[0] == '0') || (len(b) > 1 && b[0] == '-' && b[1] == '0') || b[0] == '+' {
		return 0, ErrNotInteger
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, ErrNotInteger
	}
	return n, nil
}

// decodeFloat reads a stored value as a float (INCRBYFLOAT, HINCRBYFLOAT), with Redis's
// syntax: no spaces, no NaN. As decodeInt, it is storage's own copy of an argument rule.
func decodeFloat(b []byte) (float64, error) {
	if len(b) == 0 || b[0] == ' ' || b[len(b)-1] == ' ' {
		return 0, ErrNotFloat
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) {
		return 0, ErrNotFloat
	}
	return f, nil
}

// FormatFloat writes f as INCRBYFLOAT replies it: the shortest exact form, no exponent.
func FormatFloat(f float64) []byte {
	return strconv.AppendFloat(nil, f, 'f', -1, 64)
}
