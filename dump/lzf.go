package dump

import "errors"

// LZF is the compression Redis applies to strings of more than 20 bytes in RDB and DUMP
// output. No well-kept Go module implements it, so this is a small decompressor of our
// own, written for hostile input: every read is checked against the input, every write
// and back-reference against the output, and the output length is fixed in advance.
//
// The stream is a run of items, each led by a control byte c:
//   - c < 32: a literal of c+1 bytes follows;
//   - otherwise a back-reference: length c>>5 (7: add the next byte), plus 2; offset
//     (c&31)<<8 | the next byte, plus 1, counted back from the end of the output.

var (
	errLZFInput  = errors.New("LZF data ends inside an item")
	errLZFOutput = errors.New("LZF data decompresses past its declared length")
	errLZFRef    = errors.New("LZF back-reference before the start of the output")
	errLZFShort  = errors.New("LZF data decompresses short of its declared length")
)

// lzfMaxOut bounds what n compressed bytes can decompress to: the longest item is a
// back-reference of 264 bytes in 3 input bytes. A declared length beyond it is refused
// before anything is allocated.
func lzfMaxOut(n int) uint64 { return uint64(n)/3*264 + 264 }

// lzfDecompress decompresses in to exactly n bytes.
func lzfDecompress(in []byte, n int) ([]byte, error) {
	out := make([]byte, 0, n)
	for i := 0; i < len(in); {
		c := int(in[i])
		i++
		if c < 32 {
			l := c + 1
			if i+l > len(in) {
				return nil, errLZFInput
			}
			if len(out)+l > n {
				return nil, errLZFOutput
			}
			out = append(out, in[i:i+l]...)
			i += l
			continue
		}
		l := c >> 5
		if l == 7 {
			if i >= len(in) {
				return nil, errLZFInput
			}
			l += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, errLZFInput
		}
		ref := len(out) - (c&31)<<8 - int(in[i]) - 1
		i++
		l += 2
		if len(out)+l > n {
			return nil, errLZFOutput
		}
		if ref < 0 {
			return nil, errLZFRef
		}
		// Byte by byte: the reference may overlap what it writes (a run).
		for k := range l {
			out = append(out, out[ref+k])
		}
	}
	if len(out) != n {
		return nil, errLZFShort
	}
	return out, nil
}
