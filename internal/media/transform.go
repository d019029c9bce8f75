package media

import (
	"image"

	"golang.org/x/image/draw"
)

// fit returns w×h scaled down, keeping the aspect ratio, so that the long
// edge is at most long. Images already within it are not upscaled.
func fit(w, h, long int) (int, int) {
	if w <= long && h <= long {
		return w, h
	}
	if w >= h {
		return long, max(1, (h*long+w/2)/w)
	}
	return max(1, (w*long+h/2)/h), long
}

// flattenResize draws src onto an opaque white canvas whose long edge is at
// most long. JPEG has no alpha: without the white backdrop transparent pixels
// would come out as whatever colour they happen to hold, usually black.
func flattenResize(src image.Image, long int, scaler draw.Scaler) *image.RGBA {
	sb := src.Bounds()
	w, h := fit(sb.Dx(), sb.Dy(), long)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))

	op := draw.Src
	switch src.(type) {
	case *image.YCbCr, *image.Gray, *image.Gray16, *image.CMYK:
		// Opaque by type: no backdrop needed, and Src is the fast path.
	default:
		for i := range dst.Pix {
			dst.Pix[i] = 0xFF
		}
		op = draw.Over
	}

	if w == sb.Dx() && h == sb.Dy() {
		draw.Draw(dst, dst.Bounds(), src, sb.Min, op)
	} else {
		scaler.Scale(dst, dst.Bounds(), src, sb, op, nil)
	}
	return dst
}

// orient returns m turned so that it displays upright, given the EXIF
// orientation o (1–8). For each output pixel it reads the source pixel that
// the orientation maps there; 5–8 swap width and height.
func orient(m *image.RGBA, o int) *image.RGBA {
	if o < 2 || o > 8 {
		return m
	}
	w, h := m.Rect.Dx(), m.Rect.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < dh; y++ {
		for x := 0; x < dw; x++ {
			var sx, sy int
			switch o {
			case 2: // mirrored horizontally
				sx, sy = w-1-x, y
			case 3: // rotated 180°
				sx, sy = w-1-x, h-1-y
			case 4: // mirrored vertically
				sx, sy = x, h-1-y
			case 5: // transposed (mirror along the top-left diagonal)
				sx, sy = y, x
			case 6: // needs 90° clockwise
				sx, sy = y, h-1-x
			case 7: // transversed (mirror along the top-right diagonal)
				sx, sy = w-1-y, h-1-x
			case 8: // needs 90° counter-clockwise
				sx, sy = w-1-y, x
			}
			si := m.PixOffset(m.Rect.Min.X+sx, m.Rect.Min.Y+sy)
			di := dst.PixOffset(x, y)
			copy(dst.Pix[di:di+4], m.Pix[si:si+4])
		}
	}
	return dst
}
