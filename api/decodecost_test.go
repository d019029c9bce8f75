package api_test

import (
	"encoding/binary"
	"hash/crc32"
	"net/http"
	"strings"
	"testing"
)

// TestPhotoTooCostlyToDecode: a 16-bit interlaced PNG within the pixel
// limit is refused with 413 from its header, in the caller's language.
func TestPhotoTooCostlyToDecode(t *testing.T) {
	env := newEnv(t, "sqlite")
	cit := registerCitizen(t, env, "0912345671", "bao-cao-2026")
	var rep reportResp
	do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, validReport())).json(t, &rep)

	ihdr := []byte("IHDR")
	ihdr = binary.BigEndian.AppendUint32(ihdr, 5000)
	ihdr = binary.BigEndian.AppendUint32(ihdr, 4000)
	ihdr = append(ihdr, 16, 6, 0, 0, 1) // 16-bit RGBA, Adam7 interlaced: 20 MP × 8 bytes × 2
	png := []byte("\x89PNG\r\n\x1a\n")
	png = binary.BigEndian.AppendUint32(png, 13)
	png = append(png, ihdr...)
	png = binary.BigEndian.AppendUint32(png, crc32.ChecksumIEEE(ihdr))

	for lang, want := range map[string]string{"vi": "bộ nhớ", "en": "too much memory"} {
		r := multipartPhoto(t, "/v1/reports/"+rep.ID+"/media", cit.AccessToken, png)
		r.Header.Set("Accept-Language", lang)
		p := wantProblem(t, do(t, env.app, r), http.StatusRequestEntityTooLarge)
		if !strings.Contains(p.Detail, want) {
			t.Errorf("%s: detail %q, want it to say %q", lang, p.Detail, want)
		}
	}
}
