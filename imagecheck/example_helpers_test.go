package imagecheck_test

import (
	"encoding/binary"
	"hash/crc32"
)

// fixIHDRCRC recomputes the CRC of the IHDR chunk of a PNG stream.
func fixIHDRCRC(p []byte) {
	binary.BigEndian.PutUint32(p[29:33], crc32.ChecksumIEEE(p[12:29]))
}
