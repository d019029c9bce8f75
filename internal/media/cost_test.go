package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"runtime"
	"strings"
	"testing"
	"time"

	"camaug/internal/apperr"
)

// pngHeaderOf is a PNG signature and IHDR declaring w×h at bitDepth and
// colorType, interlaced (Adam7) or not: all the decoder's cost is decided
// by these 33 bytes.
func pngHeaderOf(w, h uint32, bitDepth, colorType byte, interlaced bool) []byte {
	ihdr := []byte("IHDR")
	ihdr = binary.BigEndian.AppendUint32(ihdr, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	il := byte(0)
	if interlaced {
		il = 1
	}
	ihdr = append(ihdr, bitDepth, colorType, 0, 0, il)
	out := []byte("\x89PNG\r\n\x1a\n")
	out = binary.BigEndian.AppendUint32(out, 13)
	out = append(out, ihdr...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(ihdr))
}

// jpegFrame turns a real baseline JPEG into one declaring w×h, progressive
// (SOF2) or not, with every component at full resolution (4:4:4) or as
// the encoder wrote it (4:2:0).
func jpegFrame(t testing.TB, w, h uint16, progressive, full bool) []byte {
	b := encodeTestJPEG(t, marked(16, 16))
	i := bytes.Index(b, []byte{0xFF, 0xC0})
	if i < 0 {
		t.Fatal("no SOF0 in test jpeg")
	}
	binary.BigEndian.PutUint16(b[i+5:], h)
	binary.BigEndian.PutUint16(b[i+7:], w)
	if progressive {
		b[i+1] = 0xC2
	}
	if full {
		for c := range int(b[i+9]) {
			b[i+10+3*c+1] = 0x11
		}
	}
	return b
}

func TestJPEGSampling(t *testing.T) {
	tests := []struct {
		name        string
		data        []byte
		samples     float64
		progressive bool
	}{
		{"encoder's 4:2:0 baseline", jpegFrame(t, 16, 16, false, false), 1.5, false},
		{"4:4:4 progressive", jpegFrame(t, 16, 16, true, true), 3, true},
		{"garbage", []byte{0xFF, 0xD8, 0x00, 0x01}, 4, true},
	}
	for _, tt := range tests {
		s, p := jpegSampling(tt.data)
		if s != tt.samples || p != tt.progressive {
			t.Errorf("%s: got %v samples, progressive %v; want %v, %v", tt.name, s, p, tt.samples, tt.progressive)
		}
	}
}

// TestProcess_DecodeCost: a photo within the pixel limit whose decoding
// would cost too much memory (16-bit, interlaced, progressive) is refused
// from its header with ETOOLARGE, before any pixel is decoded; an ordinary
// photo of the same size is not.
func TestProcess_DecodeCost(t *testing.T) {
	tests := []struct {
		name    string
		data    []byte
		refused bool
	}{
		// 12 MP, 8 bytes a pixel, every Adam7 pass held apart: ~230 MiB.
		{"16-bit interlaced PNG 4000x3000", pngHeaderOf(4000, 3000, 16, 6, true), true},
		{"16-bit interlaced PNG 6000x5000", pngHeaderOf(6000, 5000, 16, 6, true), true},
		// 30 MP, 15 bytes a pixel (image and int32 coefficients): ~470 MiB.
		{"progressive 4:4:4 JPEG 6000x5000", jpegFrame(t, 6000, 5000, true, true), true},
		{"progressive 4:4:4 JPEG 4000x3000", jpegFrame(t, 4000, 3000, true, true), true},
		// What phones send: fine.
		{"16-bit PNG 4000x3000, not interlaced", pngHeaderOf(4000, 3000, 16, 6, false), false},
		{"progressive 4:2:0 JPEG 4000x3000", jpegFrame(t, 4000, 3000, true, false), false},
		{"baseline 4:2:0 JPEG 6000x5000", jpegFrame(t, 6000, 5000, false, false), false},
		{"8-bit PNG 5000x4000", pngHeaderOf(5000, 4000, 8, 6, false), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Process(bytes.NewReader(tt.data), Limits{})
			runtime.ReadMemStats(&after)
			ae := appErr(t, err) // the others fail later: the files hold no pixels
			if !tt.refused {
				if ae.Code == apperr.ETOOLARGE {
					t.Fatalf("refused as too costly: %v", err)
				}
				return
			}
			if ae.Code != apperr.ETOOLARGE {
				t.Fatalf("code: got %s (%v), want ETOOLARGE", ae.Code, err)
			}
			if !strings.Contains(ae.Message.En, "too much memory") || !strings.Contains(ae.Message.Vi, "bộ nhớ") {
				t.Errorf("message: got %q / %q, want it to say the photo needs too much memory", ae.Message.Vi, ae.Message.En)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
				t.Errorf("allocated %d bytes, want under 1 MiB: refused from the header", got)
			}
		})
	}
}

// TestProcess_SharedBudget: photos reserve their cost from one budget; a
// photo that cannot get its share in time is refused with EUNAVAILABLE and
// Retry-After, and goes through once the budget is free.
func TestProcess_SharedBudget(t *testing.T) {
	photo := encodeTestJPEG(t, marked(640, 480))
	b := NewBudget(100<<20, 20*time.Millisecond)
	if err := b.sem.Acquire(context.Background(), 90<<20); err != nil { // another upload in progress
		t.Fatal(err)
	}
	_, err := ProcessContext(context.Background(), bytes.NewReader(photo), Limits{Budget: b})
	if ae := appErr(t, err); ae.Code != apperr.EUNAVAILABLE || ae.RetryAfter <= 0 {
		t.Fatalf("with the budget taken: got %s, retry after %v; want EUNAVAILABLE with a delay", ae.Code, ae.RetryAfter)
	}
	b.sem.Release(90 << 20)
	if _, err := ProcessContext(context.Background(), bytes.NewReader(photo), Limits{Budget: b}); err != nil {
		t.Fatalf("with the budget free: %v", err)
	}
	// The budget is whole again: all of it can be reserved.
	if !b.sem.TryAcquire(100 << 20) {
		t.Fatal("the photo's share was not given back")
	}
}

// TestProcess_Cancelled: decoding stops when the request's context ends.
func TestProcess_Cancelled(t *testing.T) {
	photo := encodeTestJPEG(t, marked(2000, 1500))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out, err := ProcessContext(ctx, bytes.NewReader(photo), Limits{})
	if out != nil {
		t.Fatal("a photo was produced for a cancelled request")
	}
	if ae := appErr(t, err); ae.Code != apperr.EUNAVAILABLE {
		t.Fatalf("got %s, want EUNAVAILABLE", ae.Code)
	}
}
