package admin

import (
	"fmt"
	"testing"
)

// BenchmarkDeleteDatabase measures a deletion (two small DB 0 transactions and one
// fsynced 32-byte overwrite of the slot) beside 100 and 10,000 other databases: it costs
// the same, since no other key is touched.
func BenchmarkDeleteDatabase(b *testing.B) {
	for _, others := range []int{100, 10000} {
		b.Run(fmt.Sprintf("others=%d", others), func(b *testing.B) {
			a := openAdmin(b, Config{Secret: []byte(shredSecret)})
			defer a.Close()
			if _, err := a.CreateDatabases(others, CreateOptions{}); err != nil {
				b.Fatal(err)
			}
			ds, err := a.CreateDatabases(b.N, CreateOptions{})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for _, d := range ds {
				if err := a.DeleteDatabase(d.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
