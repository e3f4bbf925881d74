package dump

import "hash/crc64"

// Redis checksums DUMP payloads with CRC-64/Jones: the reflected polynomial
// 0x95ac9329ac4bc9b5, starting from 0, with no final inversion. hash/crc64 computes
// reflected CRCs but inverts before and after, so Checksum undoes both inversions.
var jones = crc64.MakeTable(0x95ac9329ac4bc9b5)

// Checksum is Redis's CRC-64 of b.
func Checksum(b []byte) uint64 { return ^crc64.Update(^uint64(0), jones, b) }
