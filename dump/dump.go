// Package dump reads and writes single values in the serialization format of Redis's
// DUMP and RESTORE, so values move between redis-server 7.0 and herodb.
//
// A payload is an RDB object type byte, the object, the RDB version (2 bytes, little
// endian) and a CRC-64 of everything before it (8 bytes, little endian). RESTORE's input
// is a tenant's and Redis has had memory-safety bugs exactly here, so Decode checks the
// whole payload before it returns anything: every length against the bytes that remain
// (nothing is allocated by a length that was not first checked against the input),
// every listpack, ziplist and intset entry with its back-length and terminator,
// decompressed lengths, integer encodings, element counts, duplicate members, fields
// and sorted-set members, NaN scores and trailing bytes. Decode never panics on any
// input (FuzzDecode), and allocates no more than the caller's limit and no more than
// about 2,500 bytes per input byte (LZF's 88-fold expansion into the smallest entries).
//
// This package imports nothing of herodb's: it knows only bytes and values.
package dump

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Version is the RDB version of Redis 7.0, which Encode writes and the highest that
// Decode accepts: Redis 7.0 refuses a payload of a later version (it cannot know that
// version's encodings), and so does herodb.
const Version = 10

// Type is the kind of a Value.
type Type uint8

const (
	String Type = iota + 1
	List
	Set
	ZSet
	Hash
)

func (t Type) String() string {
	switch t {
	case String:
		return "string"
	case List:
		return "list"
	case Set:
		return "set"
	case ZSet:
		return "zset"
	case Hash:
		return "hash"
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// Value is one decoded value, plain: no encoding of Redis's survives in it. Byte slices
// may alias the payload given to Decode.
type Value struct {
	Type   Type
	Str    []byte    // String
	Elems  [][]byte  // List: elements in order; Set and ZSet: members; Hash: field, value, field, value…
	Scores []float64 // ZSet: Scores[i] is Elems[i]'s
}

// Len is the number of elements (pairs for a hash); 1 for a string.
func (v Value) Len() int {
	switch v.Type {
	case String:
		return 1
	case Hash:
		return len(v.Elems) / 2
	}
	return len(v.Elems)
}

var (
	// ErrChecksum is a payload whose footer is missing, whose version is later than
	// Version, or whose checksum does not match (Redis: "DUMP payload version or
	// checksum are wrong").
	ErrChecksum = errors.New("dump: payload version or checksum are wrong")
	// ErrFormat is a payload that passed its checksum but is not a valid object
	// (Redis: "Bad data format"); the error wrapping it says what was wrong.
	ErrFormat = errors.New("dump: bad data format")
	// ErrTooLarge is a payload whose value would decode past the caller's limit.
	ErrTooLarge = errors.New("dump: value exceeds the decode limit")
)

// DefaultLimit is Decode's bound on a decoded value: 512 MiB, Redis's largest bulk
// argument (proto-max-bulk-len).
const DefaultLimit = 512 << 20

// ElemOverhead is what each element is counted for against the limit beyond its bytes:
// the slice header that holds it, its score and its places in the duplicate check.
const ElemOverhead = 80

// Decode checks payload in full and returns its value, with DefaultLimit.
func Decode(payload []byte) (Value, error) { return DecodeLimit(payload, DefaultLimit) }

// DecodeLimit is Decode with a bound on the decoded value: its bytes plus ElemOverhead
// per element, decompressed buffers included. A payload past it fails with ErrTooLarge
// before the memory is taken, so an LZF bomb costs at most limit.
func DecodeLimit(payload []byte, limit int) (Value, error) {
	body, err := checkFooter(payload)
	if err != nil {
		return Value{}, err
	}
	if len(body) < 1 {
		return Value{}, formatErr("no object type")
	}
	r := &reader{b: body[1:], budget: limit}
	v, err := r.object(body[0])
	if err != nil {
		return Value{}, err
	}
	if len(r.b) != 0 {
		return Value{}, formatErr("%d trailing bytes after the object", len(r.b))
	}
	return v, nil
}

// checkFooter verifies the version and checksum and returns what they cover, less the
// version.
func checkFooter(p []byte) ([]byte, error) {
	if len(p) < 10 {
		return nil, ErrChecksum
	}
	body, footer := p[:len(p)-10], p[len(p)-10:]
	if binary.LittleEndian.Uint16(footer) > Version {
		return nil, ErrChecksum
	}
	if binary.LittleEndian.Uint64(footer[2:]) != Checksum(p[:len(p)-8]) {
		return nil, ErrChecksum
	}
	return body, nil
}

func formatErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrFormat, fmt.Sprintf(format, args...))
}

// The RDB object types this package reads (Redis's rdb.h numbers them).
const (
	rdbString        = 0
	rdbList          = 1 // a count, then the elements as strings
	rdbSet           = 2
	rdbZSet          = 3 // scores as strings (before RDB 8)
	rdbHash          = 4
	rdbZSet2         = 5 // scores as binary doubles
	rdbListZiplist   = 10
	rdbSetIntset     = 11
	rdbZSetZiplist   = 12
	rdbHashZiplist   = 13
	rdbListQuicklist = 14 // nodes are ziplists
	rdbHashListpack  = 16
	rdbZSetListpack  = 17
	rdbListQuick2    = 18 // nodes are listpacks or plain elements
)

// object reads one object of RDB type t.
func (r *reader) object(t byte) (Value, error) {
	switch t {
	case rdbString:
		s, err := r.elem()
		return Value{Type: String, Str: s}, err
	case rdbList:
		return r.strings(List, 1)
	case rdbSet:
		return r.strings(Set, 1)
	case rdbHash:
		return r.strings(Hash, 2)
	case rdbZSet, rdbZSet2:
		return r.zset(t == rdbZSet2)
	case rdbListQuick2, rdbListQuicklist:
		return r.quicklist(t == rdbListQuick2)
	case rdbListZiplist, rdbZSetZiplist, rdbHashZiplist, rdbSetIntset, rdbHashListpack, rdbZSetListpack:
		blob, err := r.str()
		if err != nil {
			return Value{}, err
		}
		return r.packed(t, blob)
	}
	return Value{}, formatErr("object type %d is not supported (modules, streams, zipmaps and later encodings are not)", t)
}

// strings reads a count and count×per strings: a list, set or hash.
func (r *reader) strings(t Type, per int) (Value, error) {
	n, err := r.count(per)
	if err != nil {
		return Value{}, err
	}
	if err := r.charge(uint64(n*per) * ElemOverhead); err != nil {
		return Value{}, err
	}
	elems := make([][]byte, 0, n*per)
	for range n * per {
		s, err := r.elem()
		if err != nil {
			return Value{}, err
		}
		elems = append(elems, s)
	}
	return finish(Value{Type: t, Elems: elems})
}

// zset reads a sorted set with scores as binary doubles (ZSET_2) or as strings.
func (r *reader) zset(binaryScores bool) (Value, error) {
	n, err := r.count(1)
	if err != nil {
		return Value{}, err
	}
	if err := r.charge(uint64(n) * ElemOverhead); err != nil {
		return Value{}, err
	}
	v := Value{Type: ZSet, Elems: make([][]byte, 0, n), Scores: make([]float64, 0, n)}
	for range n {
		m, err := r.elem()
		if err != nil {
			return Value{}, err
		}
		var f float64
		if binaryScores {
			b, err := r.take(8)
			if err != nil {
				return Value{}, err
			}
			f = math.Float64frombits(binary.LittleEndian.Uint64(b))
		} else if f, err = r.textScore(); err != nil {
			return Value{}, err
		}
		v.Elems, v.Scores = append(v.Elems, m), append(v.Scores, f)
	}
	return finish(v)
}

// quicklist reads a list of nodes: ziplists (v1), or listpacks and plain elements (v2).
// Every node is read and checked first, so the list is sized once.
func (r *reader) quicklist(v2 bool) (Value, error) {
	count, err := r.count(1)
	if err != nil {
		return Value{}, err
	}
	type node struct {
		walk walker // nil: a plain node, one element
		b    []byte
	}
	nodes := make([]node, 0, count)
	total := 0
	for range count {
		container := uint64(quickPacked)
		if v2 {
			if container, err = r.length(); err != nil {
				return Value{}, err
			}
			if container != quickPlain && container != quickPacked {
				return Value{}, formatErr("quicklist node container %d", container)
			}
		}
		b, err := r.str()
		if err != nil {
			return Value{}, err
		}
		if len(b) == 0 {
			return Value{}, formatErr("empty quicklist node")
		}
		n := node{b: b}
		switch {
		case container == quickPlain:
			total++
			nodes = append(nodes, n)
			continue
		case v2:
			n.walk = func(fn func(entry) error) (int, error) { return listpack(b, fn) }
		default:
			n.walk = func(fn func(entry) error) (int, error) { return ziplist(b, fn) }
		}
		k, err := n.walk(nil)
		if err != nil {
			return Value{}, err
		}
		total += k
		nodes = append(nodes, n)
	}
	if err := r.charge(uint64(total) * ElemOverhead); err != nil {
		return Value{}, err
	}
	v := Value{Type: List, Elems: make([][]byte, 0, total)}
	for _, n := range nodes {
		if n.walk == nil {
			if err := r.charge(uint64(len(n.b))); err != nil {
				return Value{}, err
			}
			v.Elems = append(v.Elems, n.b)
		} else if err := r.appendEntries(&v.Elems, n.walk); err != nil {
			return Value{}, err
		}
	}
	// Empty packed nodes are allowed, as Redis allows them; an empty list is not.
	return finish(v)
}

// Quicklist node containers.
const (
	quickPlain  = 1 // one element, as a string
	quickPacked = 2 // a listpack
)

// packed reads the single-blob encodings: ziplists, listpacks and intsets.
func (r *reader) packed(t byte, blob []byte) (Value, error) {
	walk := walker(func(fn func(entry) error) (int, error) { return ziplist(blob, fn) })
	switch t {
	case rdbSetIntset:
		walk = func(fn func(entry) error) (int, error) { return intset(blob, fn) }
	case rdbHashListpack, rdbZSetListpack:
		walk = func(fn func(entry) error) (int, error) { return listpack(blob, fn) }
	}
	var elems [][]byte
	if err := r.fill(&elems, walk); err != nil {
		return Value{}, err
	}
	switch t {
	case rdbListZiplist:
		return finish(Value{Type: List, Elems: elems})
	case rdbSetIntset:
		return finish(Value{Type: Set, Elems: elems})
	case rdbHashListpack, rdbHashZiplist:
		return finish(Value{Type: Hash, Elems: elems})
	}
	// A sorted set: member, score, member, score…
	if len(elems)%2 != 0 {
		return Value{}, formatErr("sorted set with an odd number of entries")
	}
	v := Value{Type: ZSet, Elems: make([][]byte, 0, len(elems)/2), Scores: make([]float64, 0, len(elems)/2)}
	for i := 0; i < len(elems); i += 2 {
		f, err := parseScore(elems[i+1])
		if err != nil {
			return Value{}, err
		}
		v.Elems, v.Scores = append(v.Elems, elems[i]), append(v.Scores, f)
	}
	return finish(v)
}

// finish checks what every decoded collection must be: not empty, a hash in pairs, no
// member (field) twice, no NaN score.
func finish(v Value) (Value, error) {
	if len(v.Elems) == 0 {
		return Value{}, formatErr("empty %s", v.Type)
	}
	keys := v.Elems
	switch v.Type {
	case List:
		return v, nil
	case Hash:
		if len(v.Elems)%2 != 0 {
			return Value{}, formatErr("hash with an odd number of entries")
		}
		keys = make([][]byte, 0, len(v.Elems)/2)
		for i := 0; i < len(v.Elems); i += 2 {
			keys = append(keys, v.Elems[i])
		}
	case ZSet:
		for _, f := range v.Scores {
			if math.IsNaN(f) {
				return Value{}, formatErr("NaN score")
			}
		}
	}
	sorted := slices.Clone(keys)
	slices.SortFunc(sorted, bytes.Compare)
	for i := 1; i < len(sorted); i++ {
		if bytes.Equal(sorted[i-1], sorted[i]) {
			return Value{}, formatErr("duplicate %s member or field", v.Type)
		}
	}
	return v, nil
}
