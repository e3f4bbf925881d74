package server

import (
	"strings"
)

// maxLCSTable bounds LCS's transient table ((len(a)+1) × (len(b)+1) cells of 4 bytes):
// one tenant's LCS of two large strings must not take the node's memory. Redis bounds it
// by proto-max-bulk-len (512 MB); herodb by this.
const maxLCSTable = 64 << 20

// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]
func lcsCmd(c *call) error {
	var getLen, getIdx, withLen bool
	minLen := int64(0)
	for i := 3; i < len(c.args); i++ {
		switch strings.ToLower(string(c.args[i])) {
		case "len":
			getLen = true
		case "idx":
			getIdx = true
		case "withmatchlen":
			withLen = true
		case "minmatchlen":
			if i+1 >= len(c.args) {
				c.r.err(errSyntax)
				return nil
			}
			n, err := parseInt(c.args[i+1])
			if err != nil {
				c.r.err(errNotInteger)
				return nil
			}
			minLen, i = max(n, 0), i+1
		default:
			c.r.err(errSyntax)
			return nil
		}
	}
	a, _, err := c.tx.Get(c.args[1])
	if err == nil {
		var b []byte
		if b, _, err = c.tx.Get(c.args[2]); err == nil {
			return lcsReply(c, a, b, getLen, getIdx, withLen, minLen)
		}
	}
	if msg, _ := commandError(err); msg == errWrongType {
		c.r.err(errLCSType)
		return nil
	}
	return c.fail(err)
}

func lcsReply(c *call, a, b []byte, getLen, getIdx, withLen bool, minLen int64) error {
	if getLen && getIdx {
		c.r.err(errLCSLenIdx)
		return nil
	}
	if (int64(len(a))+1)*(int64(len(b))+1)*4 > maxLCSTable {
		c.r.err(errLCSTooLarge)
		return nil
	}
	// table[i*(bl+1)+j] is the length of the LCS of a[:i] and b[:j].
	al, bl := len(a), len(b)
	table := make([]uint32, (al+1)*(bl+1))
	at := func(i, j int) uint32 { return table[i*(bl+1)+j] }
	for i := 1; i <= al; i++ {
		for j := 1; j <= bl; j++ {
			if a[i-1] == b[j-1] {
				table[i*(bl+1)+j] = at(i-1, j-1) + 1
			} else {
				table[i*(bl+1)+j] = max(at(i-1, j), at(i, j-1))
			}
		}
	}
	n := int(at(al, bl))
	if getLen {
		c.r.int(int64(n))
		return nil
	}
	// Walk back from the end, as Redis does, collecting the LCS and the ranges of
	// contiguous matches (latest first).
	out := make([]byte, n)
	var ranges [][5]int64
	idx := n
	aStart, aEnd, bStart, bEnd := al, 0, 0, 0 // aStart == al: no range under way
	for i, j := al, bl; i > 0 && j > 0; {
		emit := false
		if a[i-1] == b[j-1] {
			out[idx-1] = a[i-1]
			switch {
			case aStart == al:
				aStart, aEnd, bStart, bEnd = i-1, i-1, j-1, j-1
			case aStart == i && bStart == j:
				aStart, bStart = aStart-1, bStart-1
			default:
				emit = true
			}
			if aStart == 0 || bStart == 0 {
				emit = true
			}
			idx, i, j = idx-1, i-1, j-1
		} else {
			if at(i-1, j) > at(i, j-1) {
				i--
			} else {
				j--
			}
			if aStart != al {
				emit = true
			}
		}
		if emit {
			if l := int64(aEnd - aStart + 1); minLen == 0 || l >= minLen {
				ranges = append(ranges, [5]int64{int64(aStart), int64(aEnd), int64(bStart), int64(bEnd), l})
			}
			aStart = al
		}
	}
	if !getIdx {
		c.r.bulk(out)
		return nil
	}
	c.r.array(4)
	c.r.bulkString("matches")
	c.r.array(len(ranges))
	for _, r := range ranges {
		if withLen {
			c.r.array(3)
		} else {
			c.r.array(2)
		}
		c.r.array(2)
		c.r.int(r[0])
		c.r.int(r[1])
		c.r.array(2)
		c.r.int(r[2])
		c.r.int(r[3])
		if withLen {
			c.r.int(r[4])
		}
	}
	c.r.bulkString("len")
	c.r.int(int64(n))
	return nil
}
