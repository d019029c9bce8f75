package feedback

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"time"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
)

// PhotoInFlight is how long a photo upload's Idempotency-Key counts as
// taken by a request still at work: a retry within it, when that request
// has stored nothing yet, is told to wait; after it, the first request is
// taken to have failed and the retry stores the photo under the ID it
// claimed. Longer than an upload's processing may take (a minute).
const PhotoInFlight = 2 * time.Minute

// AddPhotoOnce is AddPhoto made safe to retry with an Idempotency-Key: the
// same key and the same photo bytes on the same report return the photo
// the first request stored (replayed true) and store nothing; the same key
// with other bytes is ECONFLICT, as for report submission. Keys are per
// account and per report. An empty key is AddPhoto.
func (s *ReportService) AddPhotoOnce(ctx context.Context, p identity.Principal, reportID string, photo io.ReadSeeker, key string) (Media, bool, error) {
	if key == "" {
		return s.addPhoto(ctx, p, reportID, photo, nil)
	}
	h := sha256.New()
	io.WriteString(h, "POST /v1/reports/"+reportID+"/media\x00")
	if _, err := io.Copy(h, photo); err != nil {
		return Media{}, false, apperr.Internal(err)
	}
	if _, err := photo.Seek(0, io.SeekStart); err != nil {
		return Media{}, false, apperr.Internal(err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	// The photo is processed (and refused, if it must be) before the key is
	// claimed, so a refused upload leaves the key free for its retry.
	return s.addPhoto(ctx, p, reportID, photo, func(m Media) (Media, bool, error) {
		claim, err := s.store.ClaimIdempotency(ctx, Idempotency{Scope: p.UserID, Key: "media/" + reportID + "/" + key,
			RequestHash: sum, ResourceID: m.ID, CreatedAt: s.now().UTC()})
		switch apperr.CodeOf(err) {
		case "":
			return m, false, nil
		case apperr.ECONFLICT:
		default:
			return Media{}, false, err
		}
		if claim.RequestHash != sum {
			return Media{}, false, apperr.ConflictOf(apperr.KindIdempotencyKey, i18n.T("Idempotency-Key này đã dùng cho một yêu cầu khác",
				"this Idempotency-Key was used for a different request"))
		}
		prev, err := s.media.GetMedia(ctx, claim.ResourceID)
		switch {
		case err == nil && prev.ReportID == reportID:
			return prev, true, nil
		case err != nil && apperr.CodeOf(err) != apperr.ENOTFOUND:
			return Media{}, false, err
		case s.now().Sub(claim.CreatedAt) < PhotoInFlight:
			return Media{}, false, apperr.ConflictOf(apperr.KindConcurrent, i18n.T("Ảnh với Idempotency-Key này đang được xử lý; hãy thử lại sau một phút",
				"a photo with this Idempotency-Key is still being processed; retry in a minute"))
		}
		m.ID = claim.ResourceID
		return m, false, nil
	})
}
