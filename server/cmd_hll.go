package server

// HyperLogLog: https://redis.io/docs/latest/commands/?group=hyperloglog. Redis's
// estimator exactly (MurmurHash64A with Redis's seed, 16,384 six-bit registers, the
// Ertl estimator of Redis 4 and later), so PFADD and PFCOUNT answer what redis-server
// answers for the same elements. A HyperLogLog is a string holding Redis's dense
// encoding ("HYLL", encoding 0, then the packed registers: 12,304 bytes); Redis's sparse
// encoding of small sets is not used, so each one costs its 12 KiB from the first
// element, and a sparse value copied from Redis is refused as not a HyperLogLog.

import (
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/seed6aa118f9/herodb/storage"
)

const (
	hllP         = 14
	hllRegisters = 1 << hllP
	hllQ         = 64 - hllP
	hllBits      = 6
	hllHeader    = 16
	hllSize      = hllHeader + (hllRegisters*hllBits+7)/8
	hllAlphaInf  = 0.721347520444481703680
)

func hllCommands() {
	register("hyperloglog",
		k1(&command{name: "pfadd", arity: -2, flags: flagWrite | flagFast, run: pfaddCmd,
			syntax: "PFADD key [element ...]", summary: "Adds elements to a HyperLogLog; answers 1 if its estimate may have changed."}),
		kAll(&command{name: "pfcount", arity: -2, flags: flagRead, run: pfcountCmd,
			syntax: "PFCOUNT key [key ...]", summary: "The estimated number of distinct elements (of the union, for several keys).",
			differs: "Never writes: Redis caches the estimate inside the value (PFCOUNT is a write there); herodb computes it each time."}),
		kAll(&command{name: "pfmerge", arity: -2, flags: flagWrite, run: pfmergeCmd,
			syntax: "PFMERGE destkey [sourcekey ...]", summary: "Stores the union of HyperLogLogs in destkey."}),
	)
}

// murmur64A is Redis's MurmurHash64A (little-endian reads), which PFADD hashes with.
func murmur64A(key []byte, seed uint64) uint64 {
	const m, r = 0xc6a4a7935bd1e995, 47
	h := seed ^ (uint64(len(key)) * m)
	n := len(key) &^ 7
	for i := 0; i < n; i += 8 {
		k := binary.LittleEndian.Uint64(key[i:])
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
	}
	if rest := key[n:]; len(rest) > 0 {
		for i := len(rest) - 1; i >= 0; i-- {
			h ^= uint64(rest[i]) << (8 * i)
		}
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// hllPattern is the register an element falls in and the length of its run of zero
// bits plus one, as Redis's hllPatLen computes them.
func hllPattern(ele []byte) (int, uint8) {
	h := murmur64A(ele, 0xadc83b19)
	reg := int(h & (hllRegisters - 1))
	h >>= hllP
	h |= 1 << hllQ
	return reg, uint8(bits.TrailingZeros64(h) + 1)
}

// hll is the registers of one HyperLogLog, unpacked.
type hll [hllRegisters]uint8

// decodeHLL reads a stored value; ok is false for anything but herodb's (Redis's
// dense) encoding.
func decodeHLL(v []byte) (*hll, bool) {
	if len(v) != hllSize || string(v[:4]) != "HYLL" || v[4] != 0 {
		return nil, false
	}
	var h hll
	p := v[hllHeader:]
	for i := range h {
		bit := i * hllBits
		x := uint16(p[bit/8]) >> (bit % 8)
		if bit/8+1 < len(p) {
			x |= uint16(p[bit/8+1]) << (8 - bit%8)
		}
		h[i] = uint8(x & 63)
	}
	return &h, true
}

func (h *hll) encode() []byte {
	out := make([]byte, hllSize)
	copy(out, "HYLL")
	p := out[hllHeader:]
	for i, r := range h {
		bit := i * hllBits
		p[bit/8] |= r << (bit % 8)
		if bit/8+1 < len(p) {
			p[bit/8+1] |= r >> (8 - bit%8)
		}
	}
	return out
}

// count is Redis's estimate (hllCount): the register histogram into Ertl's estimator.
func (h *hll) count() int64 {
	var hist [64]int
	for _, r := range h {
		hist[r]++
	}
	m := float64(hllRegisters)
	z := m * hllTau((m-float64(hist[hllQ+1]))/m)
	for j := hllQ; j >= 1; j-- {
		z += float64(hist[j])
		z *= 0.5
	}
	z += m * hllSigma(float64(hist[0])/m)
	return int64(math.Round(hllAlphaInf * m * m / z))
}

func hllSigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		prev := z
		z += x * y
		y += y
		if prev == z {
			return z
		}
	}
}

func hllTau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		prev := z
		y *= 0.5
		z -= (1 - x) * (1 - x) * y
		if prev == z {
			return z / 3
		}
	}
}

// loadHLL reads the HyperLogLog at key: nil when the key is absent, an error reply when
// it is not one.
func loadHLL(c *call, key []byte) (*hll, bool, error) {
	v, ok, err := c.tx.Get(key)
	if err != nil {
		return nil, false, err
	}
	if !ok {
		return nil, true, nil
	}
	h, valid := decodeHLL(v)
	if !valid {
		c.r.err(errNotHLL)
		return nil, false, nil
	}
	return h, true, nil
}

// PFADD key [element ...]
func pfaddCmd(c *call) error {
	h, ok, err := loadHLL(c, c.args[1])
	if err != nil {
		return c.fail(err)
	}
	if !ok {
		return nil
	}
	changed := h == nil
	if h == nil {
		h = new(hll)
	}
	for _, e := range c.args[2:] {
		reg, n := hllPattern(e)
		if n > h[reg] {
			h[reg], changed = n, true
		}
	}
	if changed {
		if _, err := c.tx.Set(c.args[1], h.encode(), storage.SetOptions{KeepTTL: true}); err != nil {
			return c.fail(err)
		}
		c.notify(nfString, "pfadd", c.args[1])
	}
	c.r.bool(changed)
	return nil
}

// PFCOUNT key [key ...]
func pfcountCmd(c *call) error {
	var union hll
	for _, k := range c.args[1:] {
		h, ok, err := loadHLL(c, k)
		if err != nil {
			return c.fail(err)
		}
		if !ok {
			return nil
		}
		if h != nil {
			for i, r := range h {
				union[i] = max(union[i], r)
			}
		}
	}
	c.r.int(union.count())
	return nil
}

// PFMERGE destkey [sourcekey ...]
func pfmergeCmd(c *call) error {
	var union hll
	for _, k := range c.args[1:] { // destkey's own registers count too
		h, ok, err := loadHLL(c, k)
		if err != nil {
			return c.fail(err)
		}
		if !ok {
			return nil
		}
		if h != nil {
			for i, r := range h {
				union[i] = max(union[i], r)
			}
		}
	}
	if _, err := c.tx.Set(c.args[1], union.encode(), storage.SetOptions{KeepTTL: true}); err != nil {
		return c.fail(err)
	}
	c.notify(nfString, "pfadd", c.args[1])
	c.r.ok()
	return nil
}
