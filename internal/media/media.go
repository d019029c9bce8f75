// Package media turns an uploaded photo into images that are safe to store
// and serve: the format is recognised from the bytes, the size is checked
// from the header before any pixel is decoded (so a small file declaring a
// huge image cannot exhaust memory), the EXIF orientation is applied to the
// pixels, and the result is re-encoded as a JPEG that carries no metadata at
// all, because a phone photo's EXIF holds the GPS position of the person who
// took it.
package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"golang.org/x/image/draw"
	"image"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/webp"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// The defaults of Limits, used for every field left at zero (or negative).
const (
	DefaultMaxBytes     int64 = 10 << 20
	DefaultMaxPixels          = 40_000_000
	DefaultMaxDimension       = 12000
)

// Output sizes and qualities. 2560 px keeps a photo readable on any screen
// while bounding storage; 320 px is enough for a list thumbnail.
const (
	maxLongEdge   = 2560
	thumbLongEdge = 320
	photoQuality  = 85
	thumbQuality  = 80
)

// Limits bound what Process accepts. A zero field takes its default.
type Limits struct {
	MaxBytes     int64 // 10 << 20 by default (when zero)
	MaxPixels    int   // 40_000_000 by default: width*height, checked from the header BEFORE decoding (decompression bombs)
	MaxDimension int   // 12000 by default: longest side, also checked from the header
	// MaxDecodeBytes caps the memory one photo may cost to decode and
	// process, estimated from its header (pixels × bytes per pixel of
	// what the decoder allocates): DefaultMaxDecodeBytes by default.
	MaxDecodeBytes int64
	// Budget, when set, is shared by every photo processed at once: each
	// reserves its cost before decoding.
	Budget *Budget
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = DefaultMaxPixels
	}
	if l.MaxDimension <= 0 {
		l.MaxDimension = DefaultMaxDimension
	}
	if l.MaxDecodeBytes <= 0 {
		l.MaxDecodeBytes = DefaultMaxDecodeBytes
	}
	if l.Budget != nil && l.Budget.size < l.MaxDecodeBytes {
		l.MaxDecodeBytes = l.Budget.size // more could never be reserved
	}
	return l
}

// Processed is a photo re-encoded with no metadata.
type Processed struct {
	SourceFormat string // "jpeg", "png", "webp"
	ContentType  string // always "image/jpeg"
	// Data is a JPEG (quality 85) with the orientation applied and no
	// metadata at all: no EXIF, GPS, XMP, ICC profile or comment.
	Data []byte
	// Width and Height are those of Data; the long edge is at most 2560 px.
	Width, Height int
	// Thumb is a JPEG (quality 80) whose long edge is 320 px, or less when
	// the photo itself is smaller (it is never upscaled).
	Thumb                   []byte
	ThumbWidth, ThumbHeight int
}

// Process reads at most lim.MaxBytes+1 bytes from r (the extra byte tells an
// upload at the limit from one over it), detects the format from the bytes
// (never from a client's content type), checks the dimensions from the header
// before decoding, decodes, applies the EXIF orientation, flattens
// transparency onto white, downsizes and re-encodes as JPEG.
//
// Errors are *apperr.Error: ETOOLARGE over lim.MaxBytes, EINVALID for
// anything that is not a readable JPEG, PNG or WebP or whose dimensions are
// over the limits, EINTERNAL only if encoding fails.
func Process(r io.Reader, lim Limits) (*Processed, error) {
	return ProcessContext(context.Background(), r, lim)
}

// ProcessContext is Process that stops when ctx is done: while waiting for
// its share of lim.Budget (EUNAVAILABLE), and while decoding (the decoder's
// reads fail). A photo whose estimated cost is over lim.MaxDecodeBytes is
// refused with ETOOLARGE before any pixel is decoded.
func ProcessContext(ctx context.Context, r io.Reader, lim Limits) (*Processed, error) {
	lim = lim.withDefaults()
	data, err := io.ReadAll(io.LimitReader(r, lim.MaxBytes+1))
	if err != nil {
		return nil, &apperr.Error{Code: apperr.EINVALID, Message: msgUnreadable, Err: fmt.Errorf("media: reading upload: %w", err)}
	}
	if int64(len(data)) > lim.MaxBytes {
		return nil, &apperr.Error{
			Code: apperr.ETOOLARGE,
			Message: i18n.T(
				fmt.Sprintf("Ảnh quá lớn: tối đa %s", sizeLabel(lim.MaxBytes)),
				fmt.Sprintf("The photo is too large: at most %s", sizeLabel(lim.MaxBytes))),
		}
	}

	format := Detect(data)
	dec, ok := decoders[format]
	switch {
	case format == "heic":
		return nil, apperr.New(apperr.EINVALID, msgHEIC)
	case !ok:
		return nil, apperr.New(apperr.EINVALID, msgUnsupported)
	}

	// The header alone says how big the decoded image will be; refusing here
	// is what stops a 100 KB file from asking for gigabytes of pixels.
	cfg, err := safeDecodeConfig(dec, data)
	if err != nil {
		return nil, corrupt(format, err)
	}
	if err := checkSize(cfg.Width, cfg.Height, lim); err != nil {
		return nil, err
	}

	cost := decodeCost(format, data, cfg)
	if cost > lim.MaxDecodeBytes {
		return nil, tooCostly(cost, lim.MaxDecodeBytes)
	}
	if lim.Budget != nil {
		if err := lim.Budget.acquire(ctx, cost); err != nil {
			return nil, err
		}
		defer lim.Budget.sem.Release(cost)
	}

	src, err := safeDecode(ctx, dec, data)
	if ctx.Err() != nil {
		return nil, apperr.Unavailable(ctx.Err())
	}
	if err != nil {
		return nil, corrupt(format, err)
	}
	// The decoders already check this; a mismatch would mean the header check
	// above did not bound what was allocated, so refuse rather than trust it.
	if b := src.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, corrupt(format, fmt.Errorf("decoded %dx%d, header said %dx%d", b.Dx(), b.Dy(), cfg.Width, cfg.Height))
	}

	var orientation int
	switch format {
	case "jpeg":
		orientation = jpegOrientation(data)
	case "webp":
		orientation = webpOrientation(data)
	default:
		orientation = 1
	}

	// Scale before rotating: the long edge does not change with the
	// orientation, and rotating the small image is far cheaper.
	// The photo shrinks at most a few times: approximate bilinear is fast
	// and needs no big temporary buffer (Catmull-Rom took 1.6 s and 314 MB
	// for a 12 MP photo). The thumbnail shrinks eightfold from the small
	// photo, where Catmull-Rom is cheap and avoids aliasing.
	photo := orient(flattenResize(src, maxLongEdge, draw.ApproxBiLinear), orientation)
	thumb := flattenResize(photo, thumbLongEdge, draw.CatmullRom)

	out := &Processed{SourceFormat: format, ContentType: "image/jpeg"}
	if out.Data, err = encodeJPEG(photo, photoQuality); err != nil {
		return nil, apperr.Internal(err)
	}
	if out.Thumb, err = encodeJPEG(thumb, thumbQuality); err != nil {
		return nil, apperr.Internal(err)
	}
	out.Width, out.Height = photo.Bounds().Dx(), photo.Bounds().Dy()
	out.ThumbWidth, out.ThumbHeight = thumb.Bounds().Dx(), thumb.Bounds().Dy()
	return out, nil
}

// Detect returns the format of an image from its first bytes: "jpeg",
// "png", "webp", "heic" (recognised so that the user can be told what to do,
// but not supported) or "" when the bytes are not one of these.
func Detect(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return "jpeg"
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case len(head) >= 12 && string(head[0:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return "webp"
	case isHEIC(head):
		return "heic"
	}
	return ""
}

// heicBrands are the ISO BMFF brands of HEIF images coded with HEVC, which is
// what iPhones and many Android phones save by default.
var heicBrands = map[string]bool{
	"heic": true, "heix": true, "hevc": true, "hevx": true,
	"heim": true, "heis": true, "hevm": true, "hevs": true,
}

// isHEIC reads the leading "ftyp" box: its major brand, or for the generic
// HEIF brands (mif1, msf1) one of its compatible brands, must be HEVC's. An
// AVIF file is also "mif1" but lists "avif" instead, and is left unknown.
func isHEIC(head []byte) bool {
	if len(head) < 12 || string(head[4:8]) != "ftyp" {
		return false
	}
	major := string(head[8:12])
	if heicBrands[major] {
		return true
	}
	if major != "mif1" && major != "msf1" {
		return false
	}
	size := int(uint32(head[0])<<24 | uint32(head[1])<<16 | uint32(head[2])<<8 | uint32(head[3]))
	if size > len(head) {
		size = len(head)
	}
	// Compatible brands follow the major brand and the 4-byte minor version.
	for i := 16; i+4 <= size; i += 4 {
		if heicBrands[string(head[i:i+4])] {
			return true
		}
	}
	return false
}

// decoder is one format's pair of functions from the standard library or
// golang.org/x/image.
type decoder struct {
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}

// decoders are called by format directly, not through image.Decode, so that
// no other registered format can be reached with bytes Detect did not vouch for.
var decoders = map[string]decoder{
	"jpeg": {jpeg.DecodeConfig, jpeg.Decode},
	"png":  {png.DecodeConfig, png.Decode},
	"webp": {webp.DecodeConfig, webp.Decode},
}

// safeDecodeConfig and safeDecode turn a panic in a decoder into an error:
// the bytes come from anyone on the internet, and a decoder bug must give the
// user a 4xx rather than take the request (or the process) down.
func safeDecodeConfig(d decoder, data []byte) (cfg image.Config, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("decoder panic: %v", p)
		}
	}()
	return d.config(bytes.NewReader(data))
}

func safeDecode(ctx context.Context, d decoder, data []byte) (m image.Image, err error) {
	defer func() {
		if p := recover(); p != nil {
			m, err = nil, fmt.Errorf("decoder panic: %v", p)
		}
	}()
	m, err = d.decode(ctxReader{ctx, bytes.NewReader(data)})
	if err == nil && m == nil {
		err = errors.New("decoder returned no image")
	}
	return m, err
}

// checkSize enforces the limits on what the header declares. The side is
// checked first so that the product below cannot overflow.
func checkSize(w, h int, lim Limits) error {
	if w <= 0 || h <= 0 {
		return &apperr.Error{Code: apperr.EINVALID, Message: msgCorrupt, Err: fmt.Errorf("media: header declares %dx%d", w, h)}
	}
	if w > lim.MaxDimension || h > lim.MaxDimension {
		return &apperr.Error{
			Code: apperr.EINVALID,
			Message: i18n.T(
				fmt.Sprintf("Ảnh quá lớn: cạnh dài nhất tối đa %d điểm ảnh", lim.MaxDimension),
				fmt.Sprintf("The photo is too large: its longest side may be at most %d pixels", lim.MaxDimension)),
			Err: fmt.Errorf("media: %dx%d over %d px per side", w, h, lim.MaxDimension),
		}
	}
	if int64(w)*int64(h) > int64(lim.MaxPixels) {
		vi, en := pixelsLabel(lim.MaxPixels)
		return &apperr.Error{
			Code: apperr.EINVALID,
			Message: i18n.T(
				"Ảnh có độ phân giải quá cao: tối đa "+vi,
				"The photo's resolution is too high: at most "+en),
			Err: fmt.Errorf("media: %dx%d over %d pixels", w, h, lim.MaxPixels),
		}
	}
	return nil
}

func encodeJPEG(m image.Image, quality int) ([]byte, error) {
	var buf bytes.Buffer
	// image/jpeg writes only what decoding needs (no JFIF, EXIF or comment
	// segment), which is what makes the output free of metadata.
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("media: encoding jpeg: %w", err)
	}
	return buf.Bytes(), nil
}

var (
	msgUnsupported = i18n.T(
		"Tệp không phải là ảnh được hỗ trợ: chỉ nhận ảnh JPEG, PNG hoặc WebP",
		"The file is not a supported image: only JPEG, PNG or WebP photos are accepted")
	msgHEIC = i18n.T(
		"Chưa hỗ trợ ảnh HEIC, vui lòng gửi ảnh JPEG. Nhiều điện thoại có thể chuyển sang định dạng JPEG bằng cách chọn “Tương thích nhất” trong phần cài đặt máy ảnh",
		"HEIC photos are not supported yet, please send a JPEG. Many phones can be switched to JPEG by choosing “Most Compatible” in the camera settings")
	msgCorrupt = i18n.T(
		"Ảnh bị hỏng hoặc không đọc được",
		"The photo is corrupt or cannot be read")
	msgUnreadable = i18n.T(
		"Không đọc được tệp ảnh đã gửi",
		"The uploaded photo could not be read")
)

func corrupt(format string, err error) error {
	return &apperr.Error{Code: apperr.EINVALID, Message: msgCorrupt, Err: fmt.Errorf("media: %s: %w", format, err)}
}

// sizeLabel writes a byte limit the way a user thinks of it.
func sizeLabel(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d byte", n)
}

// pixelsLabel writes a pixel limit in megapixels when it is a whole number
// of them, as phone camera settings do, in Vietnamese and English.
func pixelsLabel(n int) (vi, en string) {
	if n >= 1_000_000 && n%1_000_000 == 0 {
		return fmt.Sprintf("%d megapixel", n/1_000_000), fmt.Sprintf("%d megapixels", n/1_000_000)
	}
	return fmt.Sprintf("%d điểm ảnh", n), fmt.Sprintf("%d pixels", n)
}
