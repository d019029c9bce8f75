package media

import (
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"io"
	"time"

	"golang.org/x/sync/semaphore"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// DefaultMaxDecodeBytes is both the most memory one photo may cost to
// process and, by default, the budget shared by all photos processed at
// once. A 12 MP phone photo (baseline JPEG, 4:2:0) costs about 70 MiB; a
// 16-bit interlaced PNG or a progressive 4:4:4 JPEG of the same size costs
// over 200 MiB and is refused.
const DefaultMaxDecodeBytes = 160 << 20

// processOverhead is what processing costs besides the decoded image: the
// downsized photo (at most 2560 px, RGBA), its rotation, the thumbnail and
// the JPEG encoders' buffers.
const processOverhead = 48 << 20

// Budget is the memory that photo decoding may hold at once, shared by all
// uploads: each photo reserves its estimated cost before decoding and
// releases it after.
type Budget struct {
	sem  *semaphore.Weighted
	size int64
	wait time.Duration
}

// NewBudget returns a budget of bytes; a photo waits at most wait for its
// share, then is refused with EUNAVAILABLE.
func NewBudget(bytes int64, wait time.Duration) *Budget {
	return &Budget{sem: semaphore.NewWeighted(bytes), size: bytes, wait: wait}
}

func (b *Budget) acquire(ctx context.Context, n int64) error {
	ctx, cancel := context.WithTimeout(ctx, b.wait)
	defer cancel()
	if err := b.sem.Acquire(ctx, n); err != nil {
		e := apperr.New(apperr.EUNAVAILABLE, i18n.T("Máy chủ đang bận xử lý ảnh khác; hãy gửi lại sau giây lát",
			"The server is busy processing other photos; send it again in a moment"))
		e.RetryAfter = 5 * time.Second
		e.Err = err
		return e
	}
	return nil
}

// decodeCost estimates the memory that decoding data (whose header gave
// cfg) holds at its peak, in bytes: pixels × bytes per pixel of what the
// decoder allocates, which the header alone says. The estimates follow the
// Go decoders: image/png keeps every interlace pass as an image of its own
// before merging them; image/jpeg keeps a progressive image's coefficients
// as int32 per sample until the last scan; x/image/webp's lossless decoder
// holds its pixels twice.
func decodeCost(format string, data []byte, cfg image.Config) int64 {
	px := int64(cfg.Width) * int64(cfg.Height)
	var perPixel float64
	switch format {
	case "png":
		perPixel = bytesPerPixel(cfg.ColorModel)
		if len(data) > 28 && data[28] == 1 { // IHDR interlace method: Adam7
			perPixel *= 2
		}
	case "jpeg":
		samples, progressive := jpegSampling(data)
		perPixel = samples // the planes of the image
		if progressive {
			perPixel += 4 * samples // int32 coefficients for every sample
		}
	case "webp":
		perPixel = bytesPerPixel(cfg.ColorModel)
		if cfg.ColorModel == color.NRGBAModel { // lossless
			perPixel *= 2
		}
	default:
		perPixel = 8
	}
	return int64(float64(px)*perPixel) + int64(len(data)) + processOverhead
}

// bytesPerPixel is the size of a pixel of the image a decoder returns for
// this color model.
func bytesPerPixel(m color.Model) float64 {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	case color.YCbCrModel:
		return 3 // 4:4:4 at worst
	case color.NYCbCrAModel:
		return 4
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 4
}

// jpegSampling reads the frame header (SOFn) of a JPEG: the samples stored
// per pixel (1.5 for 4:2:0 colour, 3 for 4:4:4, 1 for grey...) and whether
// it is progressive. Unreadable headers are taken at the worst: 4 samples
// (CMYK at full resolution), progressive.
func jpegSampling(data []byte) (samples float64, progressive bool) {
	const worstSamples = 4
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xFF {
			return worstSamples, true
		}
		marker := data[i+1]
		if marker == 0xFF { // fill byte
			i++
			continue
		}
		if marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01 {
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		seg := data[i+4:]
		if n < 2 || len(seg) < n-2 {
			return worstSamples, true
		}
		seg = seg[:n-2]
		if marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC {
			// precision, height, width, components, then 3 bytes each.
			if len(seg) < 6 {
				return worstSamples, true
			}
			nc := int(seg[5])
			if nc < 1 || len(seg) < 6+3*nc {
				return worstSamples, true
			}
			var hmax, vmax int
			for c := range nc {
				hv := seg[6+3*c+1]
				hmax, vmax = max(hmax, int(hv>>4)), max(vmax, int(hv&0x0F))
			}
			if hmax == 0 || vmax == 0 {
				return worstSamples, true
			}
			for c := range nc {
				hv := seg[6+3*c+1]
				samples += float64(int(hv>>4)*int(hv&0x0F)) / float64(hmax*vmax)
			}
			return samples, marker == 0xC2 || marker == 0xC6 || marker == 0xCA || marker == 0xCE
		}
		i += 2 + n
	}
	return worstSamples, true
}

// tooCostly refuses a photo whose decoding would cost more than allowed.
func tooCostly(cost, limit int64) error {
	return &apperr.Error{
		Code: apperr.ETOOLARGE,
		Message: i18n.T(
			"Ảnh này cần quá nhiều bộ nhớ để xử lý (ảnh 16-bit, xen kẽ hoặc lũy tiến có độ phân giải cao); hãy gửi ảnh JPEG thông thường hoặc ảnh nhỏ hơn",
			"This photo needs too much memory to process (a high-resolution 16-bit, interlaced or progressive image); send a regular JPEG or a smaller photo"),
		Err: fmt.Errorf("media: decoding would cost %d MiB, over %d MiB", cost>>20, limit>>20),
	}
}

// ctxReader fails its reads once ctx is done: decoders read their input as
// they go, so a cancelled request stops the decoding at its next read.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
