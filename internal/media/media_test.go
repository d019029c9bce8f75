package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"testing"

	"camaug/internal/apperr"
)

// ---- helpers -------------------------------------------------------------

var (
	red   = color.RGBA{255, 0, 0, 255}
	green = color.RGBA{0, 255, 0, 255}
	grey  = color.RGBA{128, 128, 128, 255}
)

// marked returns a w×h grey image with a red block in the top-left corner
// and a green block in the top-right one: where the two land after Process
// tells every one of the 8 orientations apart.
func marked(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	b := min(w, h) / 2
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := grey
			switch {
			case x < b && y < b:
				c = red
			case x >= w-b && y < b:
				c = green
			}
			m.SetRGBA(x, y, c)
		}
	}
	return m
}

func encodeTestJPEG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatalf("encoding test jpeg: %v", err)
	}
	return buf.Bytes()
}

func encodeTestPNG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatalf("encoding test png: %v", err)
	}
	return buf.Bytes()
}

// spliceSegment inserts a marker segment right after the JPEG's SOI, where
// cameras put their APP segments.
func spliceSegment(j []byte, marker byte, payload []byte) []byte {
	seg := []byte{0xFF, marker, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	seg = append(seg, payload...)
	out := append([]byte{}, j[:2]...)
	out = append(out, seg...)
	return append(out, j[2:]...)
}

func withExif(j, tiff []byte) []byte {
	return spliceSegment(j, 0xE1, append([]byte("Exif\x00\x00"), tiff...))
}

// byteOrder is what binary.LittleEndian and binary.BigEndian both are.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

type tiffEntry struct {
	tag, typ uint16
	count    uint32
	value    []byte // already in the file's byte order
}

// ifd lays out one IFD starting at offset start: the entries, the next-IFD
// offset, then the values that do not fit in 4 bytes.
func ifd(order byteOrder, start uint32, entries []tiffEntry, next uint32) []byte {
	head := make([]byte, 2, 2+12*len(entries)+4)
	order.PutUint16(head, uint16(len(entries)))
	var extra []byte
	dataOff := start + uint32(2+12*len(entries)+4)
	for _, e := range entries {
		var ent [12]byte
		order.PutUint16(ent[0:], e.tag)
		order.PutUint16(ent[2:], e.typ)
		order.PutUint32(ent[4:], e.count)
		if len(e.value) <= 4 {
			copy(ent[8:], e.value)
		} else {
			order.PutUint32(ent[8:], dataOff+uint32(len(extra)))
			extra = append(extra, e.value...)
			if len(extra)%2 == 1 {
				extra = append(extra, 0)
			}
		}
		head = append(head, ent[:]...)
	}
	head = order.AppendUint32(head, next)
	return append(head, extra...)
}

func tiffHeader(order byteOrder) []byte {
	if order == binary.LittleEndian {
		return []byte("II*\x00\x08\x00\x00\x00")
	}
	return []byte("MM\x00*\x00\x00\x00\x08")
}

func short(order byteOrder, v uint16) []byte { return order.AppendUint16(nil, v) }

func long(order byteOrder, v uint32) []byte { return order.AppendUint32(nil, v) }

func rationals(order byteOrder, v ...uint32) []byte {
	var b []byte
	for _, x := range v {
		b = order.AppendUint32(b, x)
	}
	return b
}

const cameraModel = "CaMauPhone"

// gpsLatitude is 9°10'43.21" N (Cà Mau) as three EXIF rationals: finding
// these bytes in the output would mean the location leaked.
func gpsLatitude(order byteOrder) []byte {
	return rationals(order, 9, 1, 10, 1, 4321, 100)
}

func gpsLongitude(order byteOrder) []byte {
	return rationals(order, 105, 1, 9, 1, 8765, 100)
}

// cameraTIFF builds what a phone writes: IFD0 with the model, the
// orientation and a pointer to a GPS IFD holding the position.
func cameraTIFF(order byteOrder, orientation uint16) []byte {
	ifd0 := func(gpsOff uint32) []byte {
		return ifd(order, 8, []tiffEntry{
			{0x0110, 2, uint32(len(cameraModel) + 1), []byte(cameraModel + "\x00")},
			{tagOrientation, typeShort, 1, short(order, orientation)},
			{0x8825, 4, 1, long(order, gpsOff)},
		}, 0)
	}
	gpsOff := uint32(8 + len(ifd0(0)))
	gps := ifd(order, gpsOff, []tiffEntry{
		{0x0001, 2, 2, []byte("N\x00")},
		{0x0002, 5, 3, gpsLatitude(order)},
		{0x0003, 2, 2, []byte("E\x00")},
		{0x0004, 5, 3, gpsLongitude(order)},
	}, 0)
	out := tiffHeader(order)
	out = append(out, ifd0(gpsOff)...)
	return append(out, gps...)
}

// orientationTIFF is the smallest EXIF that carries an orientation.
func orientationTIFF(order byteOrder, orientation uint16) []byte {
	return append(tiffHeader(order), ifd(order, 8, []tiffEntry{{tagOrientation, typeShort, 1, short(order, orientation)}}, 0)...)
}

func mustProcess(t testing.TB, data []byte, lim Limits) *Processed {
	t.Helper()
	p, err := Process(bytes.NewReader(data), lim)
	if err != nil {
		t.Fatalf("Process: got error %v, want nil", err)
	}
	return p
}

// decodeOutput checks that b is a bare JPEG and decodes it.
func decodeOutput(t testing.TB, name string, b []byte, wantW, wantH int) image.Image {
	t.Helper()
	if !bytes.HasPrefix(b, []byte{0xFF, 0xD8}) {
		t.Fatalf("%s starts with % x, want ff d8", name, b[:min(4, len(b))])
	}
	m, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: jpeg.Decode: got %v, want nil", name, err)
	}
	if got := m.Bounds().Size(); got.X != wantW || got.Y != wantH {
		t.Fatalf("%s size: got %dx%d, want %dx%d", name, got.X, got.Y, wantW, wantH)
	}
	return m
}

func classify(c color.Color) string {
	r, g, b, _ := c.RGBA()
	r, g, b = r>>8, g>>8, b>>8
	switch {
	case r > 180 && g < 90 && b < 90:
		return "red"
	case g > 180 && r < 90 && b < 90:
		return "green"
	case r > 230 && g > 230 && b > 230:
		return "white"
	case r > 90 && r < 170 && g > 90 && g < 170 && b > 90 && b < 170:
		return "grey"
	}
	return "other"
}

// corners reports the colour near each corner, a few pixels in so that
// JPEG's chroma subsampling at the very edge does not matter.
func corners(m image.Image) map[string]string {
	b := m.Bounds()
	in := max(1, min(b.Dx(), b.Dy())/8)
	return map[string]string{
		"TL": classify(m.At(b.Min.X+in, b.Min.Y+in)),
		"TR": classify(m.At(b.Max.X-1-in, b.Min.Y+in)),
		"BL": classify(m.At(b.Min.X+in, b.Max.Y-1-in)),
		"BR": classify(m.At(b.Max.X-1-in, b.Max.Y-1-in)),
	}
}

func cornerOf(cs map[string]string, colour string) string {
	var found []string
	for _, k := range []string{"TL", "TR", "BL", "BR"} {
		if cs[k] == colour {
			found = append(found, k)
		}
	}
	return strings.Join(found, ",")
}

func appErr(t testing.TB, err error) *apperr.Error {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error: got %T (%v), want *apperr.Error", err, err)
	}
	if ae.Message.Vi == "" || ae.Message.En == "" {
		t.Fatalf("message: got %+v, want both Vietnamese and English", ae.Message)
	}
	return ae
}

var byteOrders = []struct {
	name  string
	order byteOrder
}{{"II", binary.LittleEndian}, {"MM", binary.BigEndian}}

// ---- tests ---------------------------------------------------------------

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		head string
		want string
	}{
		{"jpeg", "\xFF\xD8\xFF\xE0\x00\x10JFIF", "jpeg"},
		{"png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "png"},
		{"webp", "RIFF\x24\x00\x00\x00WEBPVP8 ", "webp"},
		{"heic", "\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "heic"},
		{"heif mif1 with heic brand", "\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic", "heic"},
		{"avif", "\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", ""},
		{"mp4", "\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", ""},
		{"riff avi", "RIFF\x24\x00\x00\x00AVI LIST", ""},
		{"gif", "GIF89a\x01\x00\x01\x00", ""},
		{"pdf", "%PDF-1.7\n", ""},
		{"html", "<!DOCTYPE html><html>", ""},
		{"empty", "", ""},
		{"short jpeg", "\xFF\xD8", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Detect([]byte(tt.head)); got != tt.want {
				t.Errorf("Detect(%q): got %q, want %q", tt.head, got, tt.want)
			}
		})
	}
}

func TestProcess_StripsMetadata(t *testing.T) {
	for _, bo := range byteOrders {
		t.Run(bo.name, func(t *testing.T) {
			src := encodeTestJPEG(t, marked(60, 40))
			src = withExif(src, cameraTIFF(bo.order, 6))
			// The other places a photo carries metadata: XMP, an ICC
			// profile and a comment.
			src = spliceSegment(src, 0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>CaMauXMP</x:xmpmeta>"))
			src = spliceSegment(src, 0xE2, []byte("ICC_PROFILE\x00\x01\x01CaMauICC"))
			src = spliceSegment(src, 0xFE, []byte("CaMauComment"))
			if !bytes.Contains(src, gpsLatitude(bo.order)) || !bytes.Contains(src, []byte(cameraModel)) {
				t.Fatal("test input: got no GPS or model bytes, want both")
			}

			p := mustProcess(t, src, Limits{})
			if p.SourceFormat != "jpeg" || p.ContentType != "image/jpeg" {
				t.Errorf("format: got %q → %q, want jpeg → image/jpeg", p.SourceFormat, p.ContentType)
			}
			// Orientation 6 turns 60×40 into 40×60.
			if p.Width != 40 || p.Height != 60 || p.ThumbWidth != 40 || p.ThumbHeight != 60 {
				t.Errorf("size: got %dx%d thumb %dx%d, want 40x60 thumb 40x60", p.Width, p.Height, p.ThumbWidth, p.ThumbHeight)
			}
			for _, out := range []struct {
				name string
				data []byte
			}{{"Data", p.Data}, {"Thumb", p.Thumb}} {
				for _, leak := range [][]byte{
					[]byte("Exif"), []byte(cameraModel), gpsLatitude(bo.order), gpsLongitude(bo.order),
					[]byte("CaMauXMP"), []byte("xmpmeta"), []byte("ICC_PROFILE"), []byte("CaMauComment"), []byte("JFIF"),
				} {
					if bytes.Contains(out.data, leak) {
						t.Errorf("%s contains %q, want no metadata", out.name, leak)
					}
				}
				m := decodeOutput(t, out.name, out.data, 40, 60)
				// Rotating 90° clockwise takes the top-left corner to the
				// top-right and the top-right one to the bottom-right.
				cs := corners(m)
				if got := cornerOf(cs, "red"); got != "TR" {
					t.Errorf("%s red corner: got %q, want TR (corners %v)", out.name, got, cs)
				}
				if got := cornerOf(cs, "green"); got != "BR" {
					t.Errorf("%s green corner: got %q, want BR (corners %v)", out.name, got, cs)
				}
			}
		})
	}
}

func TestProcess_Orientations(t *testing.T) {
	// Where the source's top-left (red) and top-right (green) corners must
	// be once the orientation is applied, from the EXIF 2.3 definitions.
	tests := []struct {
		orientation uint16
		w, h        int
		red, green  string
	}{
		{1, 40, 20, "TL", "TR"},
		{2, 40, 20, "TR", "TL"}, // mirrored horizontally
		{3, 40, 20, "BR", "BL"}, // rotated 180°
		{4, 40, 20, "BL", "BR"}, // mirrored vertically
		{5, 20, 40, "TL", "BL"}, // transposed
		{6, 20, 40, "TR", "BR"}, // rotate 90° clockwise
		{7, 20, 40, "BR", "TR"}, // transversed
		{8, 20, 40, "BL", "TL"}, // rotate 90° counter-clockwise
	}
	src := encodeTestJPEG(t, marked(40, 20))
	for _, bo := range byteOrders {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/%d", bo.name, tt.orientation), func(t *testing.T) {
				p := mustProcess(t, withExif(src, orientationTIFF(bo.order, tt.orientation)), Limits{})
				if p.Width != tt.w || p.Height != tt.h {
					t.Errorf("size: got %dx%d, want %dx%d", p.Width, p.Height, tt.w, tt.h)
				}
				cs := corners(decodeOutput(t, "Data", p.Data, tt.w, tt.h))
				if got := cornerOf(cs, "red"); got != tt.red {
					t.Errorf("red corner: got %q, want %q (corners %v)", got, tt.red, cs)
				}
				if got := cornerOf(cs, "green"); got != tt.green {
					t.Errorf("green corner: got %q, want %q (corners %v)", got, tt.green, cs)
				}
			})
		}
	}
}

func TestProcess_PNGAlphaOnWhite(t *testing.T) {
	// Left half fully transparent (with black colour underneath, which is
	// what a naive conversion shows), right half opaque red.
	m := image.NewNRGBA(image.Rect(0, 0, 32, 16))
	for y := 0; y < 16; y++ {
		for x := 16; x < 32; x++ {
			m.SetNRGBA(x, y, color.NRGBA{255, 0, 0, 255})
		}
	}
	p := mustProcess(t, encodeTestPNG(t, m), Limits{})
	if p.SourceFormat != "png" {
		t.Errorf("SourceFormat: got %q, want png", p.SourceFormat)
	}
	out := decodeOutput(t, "Data", p.Data, 32, 16)
	if got := classify(out.At(4, 8)); got != "white" {
		t.Errorf("transparent pixel: got %s %v, want white", got, out.At(4, 8))
	}
	if got := classify(out.At(27, 8)); got != "red" {
		t.Errorf("opaque pixel: got %s %v, want red", got, out.At(27, 8))
	}
	decodeOutput(t, "Thumb", p.Thumb, 32, 16)
}

func TestProcess_PNGHalfTransparentBlendsWithWhite(t *testing.T) {
	m := image.NewNRGBA(image.Rect(0, 0, 16, 16))
	for i := 0; i < len(m.Pix); i += 4 {
		copy(m.Pix[i:], []byte{255, 0, 0, 128}) // 50% red
	}
	out := decodeOutput(t, "Data", mustProcess(t, encodeTestPNG(t, m), Limits{}).Data, 16, 16)
	r, g, b, _ := out.At(8, 8).RGBA()
	r, g, b = r>>8, g>>8, b>>8
	// 50% red over white is (255, 127, 127); allow for JPEG.
	if r < 240 || g < 105 || g > 150 || b < 105 || b > 150 {
		t.Errorf("50%% red on white: got (%d,%d,%d), want about (255,127,127)", r, g, b)
	}
}

func readFixture(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/small.webp")
	if err != nil {
		t.Fatalf("reading fixture: %v", err)
	}
	return b
}

func TestProcess_WebP(t *testing.T) {
	// testdata/small.webp: 64×48 lossy, red top-left quadrant, green
	// top-right, blue bottom half (see testdata/README.md).
	p := mustProcess(t, readFixture(t), Limits{})
	if p.SourceFormat != "webp" || p.ContentType != "image/jpeg" {
		t.Errorf("format: got %q → %q, want webp → image/jpeg", p.SourceFormat, p.ContentType)
	}
	cs := corners(decodeOutput(t, "Data", p.Data, 64, 48))
	if cs["TL"] != "red" || cs["TR"] != "green" {
		t.Errorf("corners: got %v, want red TL and green TR", cs)
	}
	decodeOutput(t, "Thumb", p.Thumb, 64, 48)
}

// webpWithExif rewraps the fixture's VP8 chunk in the extended format
// (VP8X) with an EXIF chunk after the image data, as cameras write it.
func webpWithExif(t testing.TB, exif []byte) []byte {
	src := readFixture(t)
	if string(src[12:16]) != "VP8 " {
		t.Fatalf("fixture chunk: got %q, want \"VP8 \"", src[12:16])
	}
	vp8x := []byte("VP8X\x0a\x00\x00\x00\x08\x00\x00\x00")
	vp8x = append(vp8x, 63, 0, 0, 47, 0, 0) // canvas 64×48, minus one
	body := append([]byte("WEBP"), vp8x...)
	body = append(body, src[12:]...)
	body = append(body, "EXIF"...)
	body = binary.LittleEndian.AppendUint32(body, uint32(len(exif)))
	body = append(body, exif...)
	if len(exif)%2 == 1 {
		body = append(body, 0)
	}
	out := []byte("RIFF")
	out = binary.LittleEndian.AppendUint32(out, uint32(len(body)))
	return append(out, body...)
}

func TestProcess_WebPExifOrientation(t *testing.T) {
	tiff := cameraTIFF(binary.BigEndian, 6)
	tests := []struct {
		name string
		exif []byte
	}{
		{"bare TIFF", tiff},
		{"with Exif prefix", append([]byte("Exif\x00\x00"), tiff...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := webpWithExif(t, tt.exif)
			p := mustProcess(t, src, Limits{})
			if bytes.Contains(p.Data, []byte(cameraModel)) || bytes.Contains(p.Data, gpsLatitude(binary.BigEndian)) {
				t.Error("Data contains the camera's EXIF, want none")
			}
			cs := corners(decodeOutput(t, "Data", p.Data, 48, 64))
			if cs["TR"] != "red" || cs["BR"] != "green" {
				t.Errorf("corners: got %v, want red TR and green BR", cs)
			}
		})
	}
}

// pngHeader is a PNG signature and a valid IHDR declaring w×h RGBA, and
// nothing else: a few bytes that would decode to w*h*4 bytes of pixels.
func pngHeader(w, h uint32) []byte {
	ihdr := []byte("IHDR")
	ihdr = binary.BigEndian.AppendUint32(ihdr, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0) // 8-bit RGBA, no interlace
	out := []byte("\x89PNG\r\n\x1a\n")
	out = binary.BigEndian.AppendUint32(out, 13)
	out = append(out, ihdr...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(ihdr))
}

// jpegWithSize patches the SOF0 of a real JPEG to declare w×h.
func jpegWithSize(t testing.TB, w, h uint16) []byte {
	b := encodeTestJPEG(t, marked(16, 16))
	i := bytes.Index(b, []byte{0xFF, 0xC0})
	if i < 0 {
		t.Fatal("no SOF0 in test jpeg")
	}
	binary.BigEndian.PutUint16(b[i+5:], h)
	binary.BigEndian.PutUint16(b[i+7:], w)
	return b
}

func TestProcess_DecompressionBomb(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		lim  Limits
		want string // in the English message
	}{
		{"png 50000x50000", pngHeader(50000, 50000), Limits{}, "longest side"},
		{"png 8000x8000 over 40 MP", pngHeader(8000, 8000), Limits{}, "resolution"},
		{"png 13000x10 over 12000 px side", pngHeader(13000, 10), Limits{}, "longest side"},
		{"png tall over custom side", pngHeader(10, 101), Limits{MaxDimension: 100}, "longest side"},
		{"png over custom pixels", pngHeader(100, 100), Limits{MaxPixels: 9999}, "resolution"},
		{"jpeg 65000x65000", jpegWithSize(t, 65000, 65000), Limits{}, "longest side"},
		{"jpeg 9000x9000", jpegWithSize(t, 9000, 9000), Limits{}, "resolution"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.data) > 1000 {
				t.Fatalf("bomb size: got %d bytes, want a tiny file", len(tt.data))
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Process(bytes.NewReader(tt.data), tt.lim)
			runtime.ReadMemStats(&after)
			ae := appErr(t, err)
			if ae.Code != apperr.EINVALID {
				t.Errorf("code: got %s, want EINVALID", ae.Code)
			}
			if !strings.Contains(ae.Message.En, tt.want) {
				t.Errorf("message: got %q, want it to mention %q", ae.Message.En, tt.want)
			}
			// Refused from the header: nothing near the image's size was
			// allocated (50000² RGBA would be 10 GB).
			if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
				t.Errorf("allocated: got %d bytes, want under 1 MiB", got)
			}
		})
	}
}

func TestProcess_TooLarge(t *testing.T) {
	src := encodeTestJPEG(t, marked(40, 20))
	n := int64(len(src))

	_, err := Process(bytes.NewReader(src), Limits{MaxBytes: n - 1})
	if ae := appErr(t, err); ae.Code != apperr.ETOOLARGE {
		t.Errorf("one byte over: got %s, want ETOOLARGE", ae.Code)
	}
	if _, err := Process(bytes.NewReader(src), Limits{MaxBytes: n}); err != nil {
		t.Errorf("exactly at the limit: got %v, want nil", err)
	}
}

// countingReader is an endless stream that counts what was read from it.
type countingReader struct{ n int64 }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'A'
	}
	r.n += int64(len(p))
	return len(p), nil
}

func TestProcess_ReadsAtMostMaxBytesPlusOne(t *testing.T) {
	r := &countingReader{}
	_, err := Process(r, Limits{MaxBytes: 4096})
	if ae := appErr(t, err); ae.Code != apperr.ETOOLARGE {
		t.Errorf("code: got %s, want ETOOLARGE", ae.Code)
	}
	if r.n != 4097 {
		t.Errorf("bytes read: got %d, want 4097", r.n)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestProcess_RejectsNonImages(t *testing.T) {
	goodJPEG := encodeTestJPEG(t, marked(64, 64))
	goodPNG := encodeTestPNG(t, marked(64, 64))
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"pdf", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")},
		{"text", []byte("Đường bị ngập, xin xem ảnh.\n")},
		{"html", []byte("<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>")},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")},
		{"jpeg magic then html", []byte("\xFF\xD8\xFF<html></html>")},
		{"png signature then garbage", []byte("\x89PNG\r\n\x1a\nnot really a png at all")},
		{"webp riff then garbage", []byte("RIFF\x10\x00\x00\x00WEBPVP8 \x04\x00\x00\x00abcd")},
		{"truncated jpeg", goodJPEG[:len(goodJPEG)/2]},
		{"jpeg header only", goodJPEG[:200]},
		{"truncated png", goodPNG[:len(goodPNG)/2]},
		{"png with bad IHDR crc", append(pngHeader(10, 10)[:29], 0, 0, 0, 0)},
		{"png zero width", pngHeader(0, 10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Process(bytes.NewReader(tt.data), Limits{})
			if err == nil {
				t.Fatalf("got %dx%d image, want EINVALID", p.Width, p.Height)
			}
			if ae := appErr(t, err); ae.Code != apperr.EINVALID {
				t.Errorf("code: got %s, want EINVALID", ae.Code)
			}
		})
	}

	_, err := Process(failingReader{}, Limits{})
	if ae := appErr(t, err); ae.Code != apperr.EINVALID {
		t.Errorf("failing reader: got %s, want EINVALID", ae.Code)
	}
}

func TestProcess_HEIC(t *testing.T) {
	src := append([]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), make([]byte, 64)...)
	_, err := Process(bytes.NewReader(src), Limits{})
	ae := appErr(t, err)
	if ae.Code != apperr.EINVALID {
		t.Errorf("code: got %s, want EINVALID", ae.Code)
	}
	for _, msg := range []string{ae.Message.Vi, ae.Message.En} {
		if !strings.Contains(msg, "HEIC") || !strings.Contains(msg, "JPEG") {
			t.Errorf("message: got %q, want it to name HEIC and JPEG", msg)
		}
	}
}

// gradient is a w×h image with some detail, so that scaling has work to do.
func gradient(w, h int) *image.YCbCr {
	m := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.Y[m.YOffset(x, y)] = uint8((x*255/w + y*255/h + (x^y)&31) / 2)
		}
	}
	for i := range m.Cb {
		m.Cb[i], m.Cr[i] = uint8(i), uint8(i>>8)
	}
	return m
}

func TestProcess_Downscales(t *testing.T) {
	if testing.Short() {
		t.Skip("encodes a 12 MP image")
	}
	tests := []struct {
		name         string
		data         []byte
		w, h, tw, th int
	}{
		{"4000x3000 landscape", encodeTestJPEG(t, gradient(4000, 3000)), 2560, 1920, 320, 240},
		{"1000x3000 portrait", encodeTestJPEG(t, gradient(1000, 3000)), 853, 2560, 107, 320},
		{"3000x1000 rotated by exif", withExif(encodeTestJPEG(t, gradient(3000, 1000)), orientationTIFF(binary.LittleEndian, 8)), 853, 2560, 107, 320},
		{"2560x100 already at the cap", encodeTestPNG(t, marked(2560, 100)), 2560, 100, 320, 13},
		{"200x100 not upscaled", encodeTestPNG(t, marked(200, 100)), 200, 100, 200, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustProcess(t, tt.data, Limits{})
			if p.Width != tt.w || p.Height != tt.h {
				t.Errorf("size: got %dx%d, want %dx%d", p.Width, p.Height, tt.w, tt.h)
			}
			if p.ThumbWidth != tt.tw || p.ThumbHeight != tt.th {
				t.Errorf("thumb size: got %dx%d, want %dx%d", p.ThumbWidth, p.ThumbHeight, tt.tw, tt.th)
			}
			decodeOutput(t, "Data", p.Data, tt.w, tt.h)
			decodeOutput(t, "Thumb", p.Thumb, tt.tw, tt.th)
		})
	}
}

func TestFit(t *testing.T) {
	tests := []struct{ w, h, long, ww, wh int }{
		{4000, 3000, 2560, 2560, 1920},
		{3000, 4000, 2560, 1920, 2560},
		{2560, 2560, 2560, 2560, 2560},
		{2561, 10, 2560, 2560, 10},
		{100000, 1, 320, 320, 1}, // never rounds down to 0
		{1, 100000, 320, 1, 320},
		{40, 20, 320, 40, 20},
	}
	for _, tt := range tests {
		if w, h := fit(tt.w, tt.h, tt.long); w != tt.ww || h != tt.wh {
			t.Errorf("fit(%d, %d, %d): got %dx%d, want %dx%d", tt.w, tt.h, tt.long, w, h, tt.ww, tt.wh)
		}
	}
}

// malformedTIFFs are EXIF payloads that a careless parser would crash or
// spin on; each must give orientation 1.
func malformedTIFFs() map[string][]byte {
	le := binary.LittleEndian
	good := orientationTIFF(le, 6)
	loop := append(tiffHeader(le), ifd(le, 8, []tiffEntry{
		{0x8769, 4, 1, long(le, 8)}, // Exif IFD pointer back at IFD0
		{0x8825, 4, 1, long(le, 8)}, // GPS IFD pointer too
	}, 8)...) // and IFD0's next IFD is itself
	bigCount := append([]byte{}, good...)
	le.PutUint16(bigCount[8:], 0xFFFF)
	return map[string][]byte{
		"empty":                    {},
		"header only":              []byte("II*\x00"),
		"bad byte order":           append([]byte("XX*\x00"), good[4:]...),
		"ifd offset outside":       append([]byte("II*\x00\xf0\xff\xff\xff"), good[8:]...),
		"ifd offset inside header": append([]byte("II*\x00\x02\x00\x00\x00"), good[8:]...),
		"ifd offset at the end":    append([]byte("II*\x00\x0e\x00\x00\x00"), good[8:14]...),
		"truncated ifd":            good[:len(good)-8],
		"entry count 65535":        bigCount,
		"ifd loop":                 loop,
		"orientation 0":            orientationTIFF(le, 0),
		"orientation 9":            orientationTIFF(le, 9),
		"orientation 65535":        orientationTIFF(le, 0xFFFF),
		"orientation as LONG":      append(tiffHeader(le), ifd(le, 8, []tiffEntry{{tagOrientation, 4, 1, long(le, 6)}}, 0)...),
		"orientation count 2":      append(tiffHeader(le), ifd(le, 8, []tiffEntry{{tagOrientation, typeShort, 2, rationals(le, 6)}}, 0)...),
	}
}

func TestTIFFOrientation_Malformed(t *testing.T) {
	for name, tiff := range malformedTIFFs() {
		t.Run(name, func(t *testing.T) {
			if got := tiffOrientation(tiff); got != 1 {
				t.Errorf("tiffOrientation: got %d, want 1", got)
			}
		})
	}
}

func TestProcess_MalformedExif(t *testing.T) {
	src := encodeTestJPEG(t, marked(40, 20))
	inputs := map[string][]byte{
		// Well framed for the JPEG decoder, but not even "Exif\0\0".
		"exif header cut": spliceSegment(src, 0xE1, []byte("Exi")),
	}
	for name, tiff := range malformedTIFFs() {
		inputs[name] = withExif(src, tiff)
	}
	for name, data := range inputs {
		t.Run(name, func(t *testing.T) {
			p := mustProcess(t, data, Limits{})
			cs := corners(decodeOutput(t, "Data", p.Data, 40, 20))
			if cs["TL"] != "red" || cs["TR"] != "green" {
				t.Errorf("corners: got %v, want the image unrotated", cs)
			}
		})
	}
}

func TestJPEGOrientation_Framing(t *testing.T) {
	le := binary.LittleEndian
	exif := append([]byte("Exif\x00\x00"), orientationTIFF(le, 6)...)
	seg := func(marker byte, payload []byte) []byte {
		return spliceSegment([]byte{0xFF, 0xD8}, marker, payload)
	}
	tests := []struct {
		name string
		data []byte
		want int
	}{
		{"exif after other segments", append(seg(0xE0, []byte("JFIF\x00\x01\x01")), seg(0xE1, exif)[2:]...), 6},
		{"fill bytes before marker", append([]byte{0xFF, 0xD8, 0xFF, 0xFF}, seg(0xE1, exif)[2:]...), 6},
		{"xmp app1 is not exif", seg(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00")), 1},
		{"exif after start of scan is ignored", append([]byte{0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02}, seg(0xE1, exif)[2:]...), 1},
		{"segment length past the end", []byte{0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 'E', 'x'}, 1},
		{"segment length 0", []byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x00, 0xFF, 0xD9}, 1},
		{"segment length 1", []byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01, 0xFF, 0xD9}, 1},
		{"garbage instead of marker", []byte{0xFF, 0xD8, 0x00, 0x00, 0x00, 0x00}, 1},
		{"only fill bytes", bytes.Repeat([]byte{0xFF}, 64), 1},
		{"soi only", []byte{0xFF, 0xD8}, 1},
		{"not a jpeg", []byte("hello"), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := jpegOrientation(tt.data); got != tt.want {
				t.Errorf("jpegOrientation: got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestWebPOrientation_Framing(t *testing.T) {
	tiff := orientationTIFF(binary.BigEndian, 3)
	riff := func(chunks ...[]byte) []byte {
		out := []byte("RIFF\x00\x00\x00\x00WEBP")
		for _, c := range chunks {
			out = append(out, c...)
		}
		return out
	}
	chunk := func(id string, payload []byte) []byte {
		c := binary.LittleEndian.AppendUint32([]byte(id), uint32(len(payload)))
		c = append(c, payload...)
		if len(payload)%2 == 1 {
			c = append(c, 0)
		}
		return c
	}
	tests := []struct {
		name string
		data []byte
		want int
	}{
		{"exif after odd-sized chunk", riff(chunk("ICCP", []byte("abc")), chunk("EXIF", tiff)), 3},
		{"no exif", riff(chunk("VP8 ", []byte("abcd"))), 1},
		{"chunk size past the end", riff([]byte("ICCP\xff\xff\xff\xff"), chunk("EXIF", tiff)), 1},
		{"chunk size 4 GiB - 1 on exif", riff([]byte("EXIF\xff\xff\xff\xffMM")), 1},
		{"truncated chunk header", riff([]byte("EXI")), 1},
		{"not webp", []byte("RIFF\x00\x00\x00\x00AVI EXIF"), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := webpOrientation(tt.data); got != tt.want {
				t.Errorf("webpOrientation: got %d, want %d", got, tt.want)
			}
		})
	}
}

// TestExifParsers_RandomCorruption flips, cuts and overwrites bytes of real
// camera EXIF many times over: the parsers must neither panic nor return an
// orientation outside 1–8.
func TestExifParsers_RandomCorruption(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	jpegSrc := withExif([]byte{0xFF, 0xD8}, cameraTIFF(binary.BigEndian, 6))
	webpSrc := webpWithExif(t, cameraTIFF(binary.LittleEndian, 6))
	for i := 0; i < 20000; i++ {
		for _, src := range [][]byte{jpegSrc, webpSrc} {
			b := append([]byte{}, src...)
			for k := rng.IntN(6); k >= 0; k-- {
				b[rng.IntN(len(b))] = byte(rng.IntN(256))
			}
			b = b[:rng.IntN(len(b)+1)]
			for _, got := range []int{jpegOrientation(b), webpOrientation(b), tiffOrientation(b)} {
				if got < 1 || got > 8 {
					t.Fatalf("orientation of % x: got %d, want 1..8", b, got)
				}
			}
		}
	}
}

// FuzzOrientation runs its seeds with go test; `go test -fuzz` explores more.
func FuzzOrientation(f *testing.F) {
	f.Add(withExif([]byte{0xFF, 0xD8}, cameraTIFF(binary.BigEndian, 6)))
	f.Add(cameraTIFF(binary.LittleEndian, 8))
	for _, tiff := range malformedTIFFs() {
		f.Add(tiff)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, got := range []int{jpegOrientation(b), webpOrientation(b), tiffOrientation(b)} {
			if got < 1 || got > 8 {
				t.Fatalf("got %d, want 1..8", got)
			}
		}
	})
}

func BenchmarkProcess_12MP(b *testing.B) {
	src := encodeTestJPEG(b, gradient(4000, 3000))
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Process(bytes.NewReader(src), Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
