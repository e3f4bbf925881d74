package storage

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestOverlayModel drives the overlay's layers and flushes with random puts, deletes and
// range deletes of keys that share prefixes, and checks every read (point reads, full
// walks and walks from a random key) against a plain map, with the layers in every
// state a database passes through: a pending layer over the current one, a layer being
// flushed under both, and the file below all three.
func TestOverlayModel(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { overlayModel(t, seed) })
	}
}

func overlayModel(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	db, err := Open(filepath.Join(t.TempDir(), "1.db"), 1, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	model := map[string]string{}
	var pend *layer
	key := func() []byte {
		const alpha = "abc"
		n := 1 + rng.IntN(4)
		b := make([]byte, n)
		for i := range b {
			b[i] = alpha[rng.IntN(len(alpha))]
		}
		return b
	}
	check := func(step int, what string) {
		t.Helper()
		btx, err := db.bolt.Begin(false)
		if err != nil {
			t.Fatal(err)
		}
		defer btx.Rollback()
		v := &view{btx: btx, pend: pend}
		if pend != nil {
			v.layers = append(v.layers, pend)
		}
		v.layers = db.layersLocked(v.layers)
		for i := 0; i < 8; i++ {
			k := key()
			got := v.get(bData, k)
			want, ok := model[string(k)]
			if (got != nil) != ok || string(got) != want {
				t.Fatalf("step %d (%s): get %q = %q, want %q (present %v)", step, what, k, got, want, ok)
			}
		}
		var keys []string
		for k := range model {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		from := key()
		if rng.IntN(3) == 0 {
			from = nil
		}
		var got []string
		c := bkt{v, bData}.Cursor()
		for k, val := c.Seek(from); k != nil; k, val = c.Next() {
			got = append(got, string(k)+"="+string(val))
		}
		var want []string
		for _, k := range keys {
			if k >= string(from) {
				want = append(want, k+"="+model[k])
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("step %d (%s): walk from %q:\n got %v\nwant %v", step, what, from, got, want)
		}
	}
	for step := 0; step < 2500; step++ {
		if pend == nil {
			pend = newLayer()
		}
		var what string
		switch r := rng.IntN(100); {
		case r < 45:
			k, v := key(), fmt.Sprint(step)
			pend.put(bData, k, []byte(v), false)
			model[string(k)] = v
			what = "put " + string(k)
		case r < 70:
			k := key()
			pend.put(bData, k, nil, true)
			delete(model, string(k))
			what = "delete " + string(k)
		case r < 77:
			k := key()
			p := k[:1+rng.IntN(len(k))]
			if rng.IntN(10) == 0 {
				p = nil
			}
			pend.deletePrefix(bData, p)
			for k := range model {
				if bytes.HasPrefix([]byte(k), p) {
					delete(model, k)
				}
			}
			what = fmt.Sprintf("delete prefix %q", p)
		case r < 88:
			// The pending layer, encoded as a frame and decoded, is absorbed.
			l, err := decodeLayer(pend.encode(nil))
			if err != nil {
				t.Fatal(err)
			}
			db.viewMu.Lock()
			db.cur.absorb(l)
			db.viewMu.Unlock()
			pend = nil
			what = "absorb"
		case r < 94:
			if db.flushing == nil && !db.cur.empty() {
				db.flushing, db.cur = db.cur, newLayer()
			}
			what = "swap"
		default:
			if f := db.flushing; f != nil {
				if err := db.bolt.Update(func(btx *bolt.Tx) error { return db.writeLayer(btx, f) }); err != nil {
					t.Fatal(err)
				}
				check(step, "flushed, not yet swapped")
				db.flushing = nil
			}
			what = "flush"
		}
		check(step, what)
	}
}

// TestLayerDecodeRejects: a frame part that is cut or padded is refused, never half
// applied.
func TestLayerDecodeRejects(t *testing.T) {
	l := newLayer()
	l.put(bData, []byte("k1"), []byte("v1"), false)
	l.put(bKeys, []byte("k2"), nil, true)
	l.deletePrefix(bExpires, []byte{1, 2})
	l.seq, l.hasSeq = 9, true
	enc := l.encode(nil)
	if _, err := decodeLayer(enc); err != nil {
		t.Fatalf("decode: %v", err)
	}
	for n := 0; n < len(enc); n++ {
		if _, err := decodeLayer(enc[:n]); err == nil {
			t.Fatalf("decode of %d of %d bytes succeeded", n, len(enc))
		}
	}
	if _, err := decodeLayer(append(enc, 0)); err == nil {
		t.Fatal("decode with a trailing byte succeeded")
	}
}

// FuzzLayerDecode: a frame part from the log is never trusted to be well formed (a bug
// or a key compromise could write anything): decoding never panics, and what decodes
// encodes back to the same bytes, so replay applies exactly what was logged.
func FuzzLayerDecode(f *testing.F) {
	l := newLayer()
	l.put(bData, []byte("k1"), []byte("v1"), false)
	l.put(bKeys, []byte("k2"), nil, true)
	l.deletePrefix(bExpires, []byte{1, 2})
	l.seq, l.hasSeq = 9, true
	f.Add(l.encode(nil))
	f.Add(newLayer().encode(nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := decodeLayer(data)
		if err != nil {
			return
		}
		if again := d.encode(nil); !bytes.Equal(again, data) {
			// Two encodings of one layer can differ only by items a span of the same
			// layer dropped, or a repeated key: decode again and compare those.
			d2, err := decodeLayer(again)
			if err != nil || !bytes.Equal(d2.encode(nil), again) {
				t.Fatalf("re-encoding is not stable: %x -> %x", data, again)
			}
		}
	})
}

// prefix8 orders keys as bytes.Compare does wherever two prefixes differ, and the tree's
// order (two words, then the keys) is bytes.Compare's: short keys, keys that are prefixes
// of others, zero bytes and high bytes included.
func TestPrefixOrder(t *testing.T) {
	keys := [][]byte{nil, {0}, {0, 0}, {1}, {0, 1}, []byte("a"), []byte("a\x00"), []byte("a\x00b"),
		[]byte("abcdefgh"), []byte("abcdefgh\x00"), []byte("abcdefghi"), []byte("abcdefgi"), {0xff},
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0}, []byte("b"),
		// the second word: ties in the first 8 bytes, differences within the next 8 and after
		[]byte("abcdefghijklmnop"), []byte("abcdefghijklmnoq"), []byte("abcdefghijklmnop\x00"),
		[]byte("abcdefghijklmnopq"), []byte("abcdefghijklmnopr"), []byte("abcdefgh\x00\x00\x00\x00\x00\x00\x00\x00"),
		[]byte("abcdefgh\xff"), []byte("abcdefghij")}
	for _, x := range keys {
		for _, y := range keys {
			px, py := prefix8(x), prefix8(y)
			want := bytes.Compare(x, y)
			switch {
			case px < py && want >= 0, px > py && want <= 0:
				t.Errorf("prefix8(%q) = %x, prefix8(%q) = %x, but bytes.Compare = %d", x, px, y, py, want)
			}
			if got := itemLess(keyItem(bKeys, x), keyItem(bKeys, y)); got != (want < 0) {
				t.Errorf("itemLess(%q, %q) = %v, want %v", x, y, got, want < 0)
			}
		}
	}
}
