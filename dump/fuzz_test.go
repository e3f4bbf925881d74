package dump

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// fuzzLimit keeps each fuzzed decode small: the bound is what is checked, not its size.
const fuzzLimit = 4 << 20

// FuzzDecode feeds Decode arbitrary payloads, as they are and signed again (so the
// mutations reach past the checksum): it never panics, never allocates beyond a bound
// set by the limit and the input's size, and whatever it accepts survives Encode.
// Seeds: every payload redis-server DUMPed into testdata/, and the hostile ones.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.dump"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) < 4096 {
			f.Add(b)
			f.Add(body(b))
		}
	}
	f.Add(obj(rdbListZiplist, rdbStr(string(ziplistOf("a", "1", "-70000", "b")))))
	f.Add(obj(rdbZSetListpack, rdbStr(string(listpackOf("m", "1.5", "n", "-3")))))
	f.Add(obj(rdbSetIntset, rdbStr(string(intsetOf(2, 1, 2, 3)))))
	f.Add(obj(rdbString, lzfString(lzfRun('x', 1000), 1000)))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range [][]byte{data, sign(data, Version)} {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			v, err := DecodeLimit(p, fuzzLimit)
			runtime.ReadMemStats(&after)
			// LZF expands at most 88 times, into listpack entries as small as 2 bytes
			// that take about 55 bytes each of slices and digits: about 2500 bytes per
			// input byte at worst (a 2-byte-integer listpack in LZF measures 2400).
			if grew := after.TotalAlloc - before.TotalAlloc; grew > min(3*fuzzLimit, 4000*uint64(len(p)))+1<<16 {
				t.Fatalf("decoding %d bytes allocated %d", len(p), grew)
			}
			if err != nil {
				continue
			}
			again, err := DecodeLimit(Encode(v), 2*fuzzLimit)
			if err != nil || !equal(again, v) {
				t.Fatalf("Decode(Encode(v)): %v", err)
			}
		}
	})
}
