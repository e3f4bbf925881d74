package storage

import (
	"errors"
	"slices"
)

// errCopyOntoItself is CopyKey asked to copy a key onto itself: the server answers that
// case before it gets here.
var errCopyOntoItself = errors.New("storage: a key copied onto itself")

// copyChunk is how many elements a copy reads before it writes them: a copy inside one
// transaction never writes the bucket it is walking, and never holds a big value whole.
const copyChunk = 1024

// CopyKey copies the key from of src into dst as to, with its TTL: COPY, and MOVE's
// first half. src and dst may be the same transaction (then from and to must differ) or
// transactions of two databases (UpdateAcross): every record is opened under the
// source's keys and sealed afresh under the destination's, for the new key's identity.
// False when from is absent, or to exists and replace is false.
func CopyKey(src, dst *Tx, from, to []byte, replace bool) (bool, error) {
	if !dst.writable {
		return false, ErrReadOnlyTx
	}
	if src == dst && string(from) == string(to) {
		return false, errCopyOntoItself
	}
	m, err := src.lookup(from)
	if err != nil || m == nil {
		return false, err
	}
	old, err := dst.lookup(to)
	if err != nil {
		return false, err
	}
	if old != nil {
		if !replace {
			return false, nil
		}
		if err := dst.deleteKey(old); err != nil {
			return false, err
		}
	}
	n, err := dst.newMeta(to, m.typ)
	if err != nil {
		return false, err
	}
	switch m.typ {
	case TypeString:
		v, err := src.stringValue(m)
		if err == nil {
			err = dst.storeString(n, v)
		}
		if err != nil {
			return false, err
		}
	case TypeHash:
		err = copyChunks(func(from []byte, fn func(k []byte, add func() error) bool) error {
			return src.forEachField(m, from, func(k, f, v []byte) bool {
				f, v = slices.Clone(f), slices.Clone(v)
				return fn(k, func() error { n.count++; return dst.putField(n, f, v) })
			})
		})
	case TypeSet:
		err = copyChunks(func(from []byte, fn func(k []byte, add func() error) bool) error {
			return src.forEachMember(m, from, func(k, member []byte) bool {
				member = slices.Clone(member)
				return fn(k, func() error { _, err := dst.addMember(n, member); return err })
			})
		})
	case TypeZSet:
		err = copyChunks(func(from []byte, fn func(k []byte, add func() error) bool) error {
			return src.forEachZMember(m, from, func(k []byte, e ZMember) bool {
				e.Member = slices.Clone(e.Member)
				return fn(k, func() error { n.count++; return dst.zPut(n, e.Member, nil, e.Score) })
			})
		})
	case TypeStream:
		err = copyStream(src, dst, m, n)
	case TypeList:
		for i := int64(0); i < m.count && err == nil; i += copyChunk {
			var elems [][]byte
			if elems, err = src.readElems(m, i, min(i+copyChunk, m.count)-1); err != nil {
				break
			}
			for _, e := range elems {
				if err = dst.pushElem(n, false, e); err != nil {
					break
				}
			}
		}
	}
	if err != nil {
		return false, err
	}
	if n.count != m.count {
		return false, src.corrupt(m, "copying a %s read %d elements; its key record counts %d", m.typ, n.count, m.count)
	}
	if err := dst.setExpiryEntry(n, m.expireAt); err != nil {
		return false, err
	}
	return true, dst.putMeta(n)
}

// copyChunks drives a walk of a key's records copyChunk at a time: walk(from, fn) calls
// fn with each record's bbolt key and the write that copies it; the writes of a chunk run
// once the walk has stopped, then the walk resumes after the chunk's last record.
func copyChunks(walk func(from []byte, fn func(k []byte, add func() error) bool) error) error {
	var from []byte
	for {
		var adds []func() error
		var last []byte
		err := walk(from, func(k []byte, add func() error) bool {
			adds = append(adds, add)
			if len(adds) == copyChunk {
				last = slices.Clone(k)
			}
			return len(adds) < copyChunk
		})
		if err != nil {
			return err
		}
		if len(adds) == copyChunk {
			// The next chunk starts just after the last record read: its digest (the
			// bbolt key past the identity and the slot's tag) with a zero byte appended.
			// Taken before the writes, which may reuse the cursor's buffers.
			from = append(slices.Clone(last[9:]), 0)
		}
		for _, add := range adds {
			if err := add(); err != nil {
				return err
			}
		}
		if len(adds) < copyChunk {
			return nil
		}
	}
}
