package media

import (
	"bytes"
	"encoding/binary"
)

// Only the EXIF orientation is read, and only from IFD0, so the parser never
// follows an IFD chain or a sub-IFD pointer: a malicious offset loop has
// nothing to loop through. Anything malformed gives 1 (leave the pixels as
// they are): a wrong orientation is a nuisance, a rejected photo of a
// flooded road is a lost report.

const (
	tagOrientation = 0x0112
	typeShort      = 3
	ifdEntrySize   = 12
)

var exifHeader = []byte("Exif\x00\x00")

// jpegOrientation walks the JPEG marker segments up to the start of scan and
// returns the orientation from the first APP1 "Exif" segment, 1 if there is
// none or it is malformed.
func jpegOrientation(data []byte) int {
	if len(data) < 2 || data[0] != 0xFF || data[1] != 0xD8 {
		return 1
	}
	i := 2
	for i+4 <= len(data) {
		if data[i] != 0xFF {
			return 1 // not a marker where one must be: give up
		}
		marker := data[i+1]
		switch {
		case marker == 0xFF: // fill byte before a marker
			i++
			continue
		case marker == 0x01 || marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7):
			i += 2 // markers without a length
			continue
		case marker == 0xDA || marker == 0xD9: // start of scan, end of image
			return 1
		}
		n := int(binary.BigEndian.Uint16(data[i+2 : i+4])) // includes its own 2 bytes
		if n < 2 || i+2+n > len(data) {
			return 1
		}
		payload := data[i+4 : i+2+n]
		if marker == 0xE1 && bytes.HasPrefix(payload, exifHeader) {
			return tiffOrientation(payload[len(exifHeader):])
		}
		i += 2 + n // at least 4: the loop always moves on
	}
	return 1
}

// webpOrientation walks the RIFF chunks of a WebP file and returns the
// orientation from its "EXIF" chunk, 1 if there is none or it is malformed.
func webpOrientation(data []byte) int {
	if len(data) < 12 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WEBP" {
		return 1
	}
	i := 12
	for i+8 <= len(data) {
		id := string(data[i : i+4])
		n := uint64(binary.LittleEndian.Uint32(data[i+4 : i+8]))
		if n > uint64(len(data)-i-8) {
			return 1
		}
		payload := data[i+8 : i+8+int(n)]
		if id == "EXIF" {
			// The WebP container spec says the chunk holds the TIFF data
			// itself, but some writers keep JPEG's "Exif\0\0" prefix.
			return tiffOrientation(bytes.TrimPrefix(payload, exifHeader))
		}
		i += 8 + int(n) + int(n&1) // chunks are padded to an even size
	}
	return 1
}

// tiffOrientation reads the Orientation tag (SHORT, count 1) from IFD0 of a
// TIFF structure in either byte order. It returns 1 unless it finds a value
// from 1 to 8 in a well-formed IFD0.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var order binary.ByteOrder
	switch string(t[0:4]) {
	case "II*\x00":
		order = binary.LittleEndian
	case "MM\x00*":
		order = binary.BigEndian
	default:
		return 1
	}
	off := uint64(order.Uint32(t[4:8]))
	if off < 8 || off+2 > uint64(len(t)) {
		return 1
	}
	count := uint64(order.Uint16(t[off : off+2]))
	start := off + 2
	if start+count*ifdEntrySize > uint64(len(t)) {
		return 1 // truncated IFD
	}
	for k := uint64(0); k < count; k++ {
		e := t[start+k*ifdEntrySize : start+(k+1)*ifdEntrySize]
		if order.Uint16(e[0:2]) != tagOrientation {
			continue
		}
		if order.Uint16(e[2:4]) != typeShort || order.Uint32(e[4:8]) != 1 {
			return 1
		}
		// A SHORT fits in the value field, left-justified in either order.
		if v := int(order.Uint16(e[8:10])); v >= 1 && v <= 8 {
			return v
		}
		return 1
	}
	return 1
}
