// Package wal is the node's write-ahead log. Every write batch of every database is
// appended as one frame; one write(2) and one fdatasync cover every frame appended
// meanwhile (group commit across all tenants), and a write is acknowledged once its frame
// is durable. Database files are flushed later and record the sequence number they have
// applied; recovery replays the log from there, and the log is truncated past what every
// database has flushed.
//
// # On-disk format
//
// The log is a directory of segment files. A segment is named %016x.wal after the
// sequence number of its first frame and begins with a 32-byte header:
//
//	magic     8  "HDBWAL01"
//	first     8  big-endian sequence number of the segment's first frame
//	mac      16  HMAC-SHA256(Kseg, magic||first)[:16]
//
// A new segment is fsynced, and then its directory, before any frame in it is
// acknowledged, and the segment before it is fsynced before the new one is created. So
// the newest header is a durable high-water mark (the next sequence number never goes back,
// even when the active segment is empty and all older ones are gone), and the existence
// of a later segment proves every frame of the earlier ones was durable.
//
// After the header come frames, back to back, none spanning two segments:
//
//	magic     4  "HWF1"
//	length    4  big-endian body length, at most 1 GiB
//	seq       8  big-endian; each frame's seq is the previous frame's + 1, across segments
//	durable   8  big-endian; the highest seq known fsynced when this frame was encoded
//	hmac     16  HMAC-SHA256(Khdr, magic||length||seq||durable)[:16]
//	body     length bytes
//	bmac     32  HMAC-SHA256(Kbody, the 40 header bytes||body)
//
// The body is a uvarint count of parts, then per part: uvarint database id, uvarint data
// length, data. The data is already sealed by the caller; the log only frames it.
//
// Kseg, Khdr and Kbody are HMAC-SHA256(Key, label) for three distinct labels, so a MAC
// of one kind can never be passed off as another. The MACs are keyed rather than
// checksums because whoever can write these files must not be able to forge a frame (a
// tombstone, say); a checksum only catches accidents. The header carries its own MAC so
// recovery can tell where a frame starts, and trust its length and durable fields, without
// reading a body that may be torn.
//
// # Recovery
//
// Open validates every frame. Damage that nothing durable follows is a torn tail (a crash
// mid-write) and is cut off. Damage followed by proof that the damaged frame had been
// durable (a later authentic header whose durable field reaches it, or a later segment)
// is corruption: Open fails naming the file and offset, unless Options.Recover says to
// keep the frames before it.
package wal

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"slices"
)

const (
	frameMagic      = "HWF1"
	frameHeaderSize = 40
	headerMACSize   = 16
	bodyMACSize     = sha256.Size
	frameOverhead   = frameHeaderSize + bodyMACSize

	// maxBody caps one frame's body: a length above it is damage, never an allocation.
	maxBody = 1 << 30

	// Labels that derive one MAC key per purpose from Options.Key (domain separation).
	labelSegment = "herodb wal v1 segment header"
	labelHeader  = "herodb wal v1 frame header"
	labelBody    = "herodb wal v1 frame body"
)

// ErrFrameTooLarge is returned for an Append whose body would exceed 1 GiB.
var ErrFrameTooLarge = errors.New("wal: frame body exceeds 1 GiB")

// Part is one database's share of a frame: opaque bytes (already sealed by the caller).
type Part struct {
	DB   uint64
	Data []byte
}

// macKeys are the per-purpose keys derived from Options.Key. Only these are kept, so the
// caller's key itself is not held by the log.
type macKeys struct{ seg, hdr, body []byte }

func deriveKeys(key []byte) macKeys {
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(label))
		return m.Sum(nil)
	}
	return macKeys{seg: derive(labelSegment), hdr: derive(labelHeader), body: derive(labelBody)}
}

// macer holds reusable HMAC states so that computing a MAC allocates nothing. It is not
// safe for concurrent use: the log keeps one under its mutex, and each scan or replay
// makes its own.
type macer struct {
	seg, hdr, body hash.Hash
	sum            []byte
}

func newMacer(k macKeys) *macer {
	return &macer{
		seg:  hmac.New(sha256.New, k.seg),
		hdr:  hmac.New(sha256.New, k.hdr),
		body: hmac.New(sha256.New, k.body),
		sum:  make([]byte, 0, sha256.Size),
	}
}

// tag returns h's MAC of data in m's scratch buffer (valid until the next call).
func (m *macer) tag(h hash.Hash, data []byte) []byte {
	h.Reset()
	h.Write(data)
	m.sum = h.Sum(m.sum[:0])
	return m.sum
}

// bodySize is the encoded body length of parts, or ErrFrameTooLarge.
func bodySize(parts []Part) (int, error) {
	n := uvarintLen(uint64(len(parts)))
	for _, p := range parts {
		n += uvarintLen(p.DB) + uvarintLen(uint64(len(p.Data))) + len(p.Data)
		if n > maxBody {
			return 0, ErrFrameTooLarge
		}
	}
	return n, nil
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// appendFrame appends the frame for parts (whose body is bodyLen bytes, from bodySize)
// to dst. It grows dst once and allocates nothing else.
func (m *macer) appendFrame(dst []byte, seq, durable uint64, parts []Part, bodyLen int) []byte {
	start := len(dst)
	dst = slices.Grow(dst, frameOverhead+bodyLen)
	dst = append(dst, frameMagic...)
	dst = binary.BigEndian.AppendUint32(dst, uint32(bodyLen))
	dst = binary.BigEndian.AppendUint64(dst, seq)
	dst = binary.BigEndian.AppendUint64(dst, durable)
	dst = append(dst, m.tag(m.hdr, dst[start:])[:headerMACSize]...)
	dst = binary.AppendUvarint(dst, uint64(len(parts)))
	for _, p := range parts {
		dst = binary.AppendUvarint(dst, p.DB)
		dst = binary.AppendUvarint(dst, uint64(len(p.Data)))
		dst = append(dst, p.Data...)
	}
	return append(dst, m.tag(m.body, dst[start:])...)
}

// frameHeader is a decoded frame header.
type frameHeader struct {
	bodyLen uint32
	seq     uint64
	durable uint64
}

// header decodes b's first frameHeaderSize bytes if they are an authentic frame header
// (authentic: its MAC verifies). problem is empty when the header is also usable, and says
// why not otherwise.
func (m *macer) header(b []byte) (h frameHeader, authentic bool, problem string) {
	if len(b) < frameHeaderSize {
		return h, false, "frame is incomplete"
	}
	if string(b[:4]) != frameMagic {
		return h, false, "frame has no frame magic"
	}
	if !hmac.Equal(m.tag(m.hdr, b[:24])[:headerMACSize], b[24:frameHeaderSize]) {
		return h, false, "frame header fails its MAC"
	}
	h = frameHeader{
		bodyLen: binary.BigEndian.Uint32(b[4:]),
		seq:     binary.BigEndian.Uint64(b[8:]),
		durable: binary.BigEndian.Uint64(b[16:]),
	}
	if h.bodyLen > maxBody {
		return h, true, fmt.Sprintf("frame length %d exceeds 1 GiB", h.bodyLen)
	}
	return h, true, ""
}

// A frameProblem says what is wrong with a frame and whether a crash mid-write could
// explain it. Only damage a torn write can leave behind may be cut off as a torn tail; a
// frame that authenticates but is out of place (a repeated or skipped seq, a malformed
// body) was written whole and is corruption whatever follows it.
type frameProblem struct {
	reason  string
	tearing bool
}

// frame checks the frame at the start of b, which must have sequence number expect. It
// returns the frame's size and its body (aliasing b), or a problem.
func (m *macer) frame(b []byte, expect uint64) (n int, body []byte, p *frameProblem) {
	h, authentic, problem := m.header(b)
	if problem != "" {
		// A header whose MAC verifies was written whole, so an absurd length in it is a
		// writer's bug, not a tear.
		return 0, nil, &frameProblem{reason: problem, tearing: !authentic}
	}
	n = frameOverhead + int(h.bodyLen)
	if len(b) < n {
		return 0, nil, &frameProblem{reason: "frame is incomplete", tearing: true}
	}
	if !hmac.Equal(m.tag(m.body, b[:n-bodyMACSize]), b[n-bodyMACSize:n]) {
		return 0, nil, &frameProblem{reason: "frame fails its MAC", tearing: true}
	}
	if h.seq != expect {
		return 0, nil, &frameProblem{reason: fmt.Sprintf("frame has seq %d, expected %d", h.seq, expect)}
	}
	body = b[frameHeaderSize : n-bodyMACSize]
	if _, err := decodeBody(body, false); err != nil {
		return 0, nil, &frameProblem{reason: err.Error()}
	}
	return n, body, nil
}

var errBody = errors.New("frame body is malformed")

// decodeBody parses a frame body. With collect false it only validates; otherwise it
// returns the parts, whose Data alias body.
func decodeBody(body []byte, collect bool) ([]Part, error) {
	count, k := binary.Uvarint(body)
	if k <= 0 {
		return nil, errBody
	}
	body = body[k:]
	// Every part takes at least two bytes (id and length), so a larger count is a lie;
	// checking it first keeps a forged count from sizing an allocation.
	if count > uint64(len(body))/2 {
		return nil, errBody
	}
	var parts []Part
	if collect {
		parts = make([]Part, 0, count)
	}
	for range count {
		db, k := binary.Uvarint(body)
		if k <= 0 {
			return nil, errBody
		}
		body = body[k:]
		size, k := binary.Uvarint(body)
		if k <= 0 || size > uint64(len(body)-k) {
			return nil, errBody
		}
		body = body[k:]
		if collect {
			parts = append(parts, Part{DB: db, Data: body[:size:size]})
		}
		body = body[size:]
	}
	if len(body) != 0 {
		return nil, errBody
	}
	return parts, nil
}
