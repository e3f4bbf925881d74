//go:build dumpgen

package dump

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestGenerate writes testdata/<case>.dump from a redis-server 7.0 listening on
// $REDIS_ADDR, started with --enable-debug-command yes:
//
//	go test -tags dumpgen -run TestGenerate ./dump
func TestGenerate(t *testing.T) {
	for _, c := range redisCases {
		conn, err := net.Dial("tcp", os.Getenv("REDIS_ADDR"))
		if err != nil {
			t.Fatal(err)
		}
		rd := bufio.NewReader(conn)
		do := func(args ...string) []byte {
			fmt.Fprintf(conn, "*%d\r\n", len(args))
			for _, a := range args {
				fmt.Fprintf(conn, "$%d\r\n%s\r\n", len(a), a)
			}
			line, err := rd.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			switch line[0] {
			case '-':
				t.Fatalf("%s: %v: %s", c.name, args[:min(len(args), 3)], line)
			case '$':
				n, _ := strconv.Atoi(line[1 : len(line)-2])
				b := make([]byte, n+2)
				if _, err := io.ReadFull(rd, b); err != nil {
					t.Fatal(err)
				}
				return b[:n]
			}
			return nil
		}
		do("flushall")
		do("config", "set", "list-compress-depth", "0")
		do("debug", "quicklist-packed-threshold", "1073741824")
		for _, s := range c.setup {
			do(s...)
		}
		v := c.want
		switch v.Type {
		case String:
			do("set", "k", string(v.Str))
		case List, Set, Hash:
			cmd := map[Type]string{List: "rpush", Set: "sadd", Hash: "hset"}[v.Type]
			for i := 0; i < len(v.Elems); i += 100 {
				args := []string{cmd, "k"}
				for _, e := range v.Elems[i:min(i+100, len(v.Elems))] {
					args = append(args, string(e))
				}
				do(args...)
			}
		case ZSet:
			for i, e := range v.Elems {
				do("zadd", "k", strconv.FormatFloat(v.Scores[i], 'g', 17, 64), string(e))
			}
		}
		p := do("dump", "k")
		if err := os.WriteFile(filepath.Join("testdata", c.name+".dump"), p, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d bytes, RDB type %d", c.name, len(p), p[0])
		conn.Close()
	}
}
