package server

import (
	"strconv"

	"github.com/tidwall/redcon"
)

// reply is where a command writes its answer. Answers are built in memory and sent only
// after the transaction they came from has committed, so no client ever sees a reply to
// a write that did not happen, and EXEC never sends half an array.
type reply struct{ b []byte }

func (r *reply) reset()              { r.b = r.b[:0] }
func (r *reply) simple(s string)     { r.b = redcon.AppendString(r.b, s) }
func (r *reply) ok()                 { r.b = append(r.b, "+OK\r\n"...) }
func (r *reply) err(s string)        { r.b = redcon.AppendError(r.b, s) }
func (r *reply) bulk(b []byte)       { r.b = redcon.AppendBulk(r.b, b) }
func (r *reply) bulkString(s string) { r.b = redcon.AppendBulkString(r.b, s) }
func (r *reply) int(n int64)         { r.b = redcon.AppendInt(r.b, n) }
func (r *reply) null()               { r.b = redcon.AppendNull(r.b) }
func (r *reply) nullArray()          { r.b = append(r.b, "*-1\r\n"...) }
func (r *reply) array(n int)         { r.b = redcon.AppendArray(r.b, n) }
func (r *reply) bool(v bool) {
	if v {
		r.int(1)
	} else {
		r.int(0)
	}
}
func (r *reply) bulkInt(n int64) { r.bulk(strconv.AppendInt(nil, n, 10)) }
func (r *reply) bulks(items [][]byte) {
	r.array(len(items))
	for _, it := range items {
		r.bulk(it)
	}
}

// bulkOrNull writes v, or a null bulk when !ok.
func (r *reply) bulkOrNull(v []byte, ok bool) {
	if !ok {
		r.null()
		return
	}
	r.bulk(v)
}
