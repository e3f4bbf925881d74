package storage

// Bitmaps are strings (Redis's model): SETBIT rewrites the string, growing it with zero
// bytes; the reads (GETBIT, BITCOUNT, BITPOS) and BITOP work on the value GET returns.

// MaxBitOffset is the largest bit offset SETBIT accepts: the last bit of a string of
// MaxStringSize bytes.
const MaxBitOffset = MaxStringSize*8 - 1

// SetBit sets the bit at offset (0 is the most significant bit of the first byte) of the
// string at name to bit (0 or 1), growing the string with zero bytes as needed and
// keeping its TTL; it returns the bit's previous value.
func (tx *Tx) SetBit(name []byte, offset int64, bit byte) (byte, error) {
	if offset < 0 || offset > MaxBitOffset {
		return 0, ErrOutOfRange
	}
	m, v, err := tx.getString(name)
	if err != nil {
		return 0, err
	}
	i, mask := int(offset/8), byte(0x80)>>(offset%8)
	if i >= len(v) {
		v = append(v, make([]byte, i+1-len(v))...)
	}
	old := byte(0)
	if v[i]&mask != 0 {
		old = 1
	}
	if bit != 0 {
		v[i] |= mask
	} else {
		v[i] &^= mask
	}
	return old, tx.rewrite(m, name, v)
}
