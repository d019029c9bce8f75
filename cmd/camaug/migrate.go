package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strings"
	"time"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/identity"
	"camaug/internal/media"
	"camaug/internal/store/mongo"
	"camaug/internal/store/sqlite"
	"camaug/internal/store/transfer"
	"camaug/survey"
)

// migration copies an embedded store into MongoDB; it counts what changed.
type migration struct {
	src      *sqlite.DB
	dst      *mongo.DB
	srcBlobs media.Store
	dstBlobs media.Store
	out      io.Writer
	changed  int
}

// parseMigrateTarget returns the URI and the database it names (its path,
// else def).
func parseMigrateTarget(to, def string) (string, string, error) {
	if !strings.HasPrefix(to, "mongodb://") && !strings.HasPrefix(to, "mongodb+srv://") {
		return "", "", fmt.Errorf("--to: want mongodb://HOST[:PORT][,HOST...]/DATABASE, got %q", mongo.Redact(to))
	}
	db, err := mongo.DatabaseFromURI(to)
	if err != nil {
		return "", "", fmt.Errorf("--to: %q: %v", mongo.Redact(to), err)
	}
	if db == "" {
		db = def
	}
	return to, db, nil
}

// migrate copies every record of the embedded store in --from into the
// MongoDB database in --to, then checks counts and figures on both sides.
// Run with the service stopped. Rerunning it changes nothing.
func migrate(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	from := fs.String("from", "", "sqlite:DIR, the embedded store's data folder")
	to := fs.String("to", "", "mongodb://HOST[:PORT]/DATABASE")
	force := fs.Bool("force", false, "write into a MongoDB database that holds data not from this source")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir, ok := strings.CutPrefix(*from, "sqlite:")
	if !ok || dir == "" || *to == "" || fs.NArg() != 0 {
		return errors.New("usage: camaug migrate --from sqlite:DIR --to mongodb://HOST[:PORT]/DATABASE [--force]")
	}
	uri, dbName, err := parseMigrateTarget(*to, cfg.MongoDatabase)
	if err != nil {
		return err
	}
	if _, err := os.Stat(dbPath(dir)); err != nil {
		return fmt.Errorf("--from: no embedded database in %s: %w", dir, err)
	}
	if cfg.KeySecret == "" {
		return errors.New("set CAMAUG_KEY_SECRET: the signing keys are copied sealed, and the instances on MongoDB must open them with the same secret")
	}
	started := time.Now()
	src, err := sqlite.Open(ctx, mustAbs(dbPath(dir)))
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := mongo.Open(ctx, uri, mongo.Options{Database: dbName, WriteConcern: cfg.MongoWriteConcern})
	if err != nil {
		return err
	}
	defer dst.Close()
	m := &migration{src: src, dst: dst, srcBlobs: src.MediaDir(), dstBlobs: dst.GridFS(), out: stdout}
	if cfg.MediaS3 != nil {
		if m.dstBlobs, err = media.OpenS3(ctx, *cfg.MediaS3); err != nil {
			return fmt.Errorf("CAMAUG_MEDIA_S3_*: %w", err)
		}
	}

	// The keys must open with the secret the MongoDB instances will use.
	if keys, err := src.Identity().SigningKeys(ctx); err != nil {
		return err
	} else if len(keys) > 0 {
		if _, err := identity.NewKeyring(ctx, src.Identity(), []byte(cfg.KeySecret)); err != nil {
			return fmt.Errorf("CAMAUG_KEY_SECRET does not open the signing keys of %s (%v): set it to the secret that service used; nothing was copied", dir, err)
		}
	}
	if foreign, err := m.foreignData(ctx); err != nil {
		return err
	} else if foreign != "" && !*force {
		return fmt.Errorf("%s on %s holds data that is not from %s (%s); nothing was copied. Migrate into an empty database, or add --force to copy over it (its other data stays)",
			dbName, mongo.Redact(uri), dir, foreign)
	}
	fmt.Fprintf(stdout, "migrating %s into %s on %s\n", dir, dbName, mongo.Redact(uri))
	steps := []func(context.Context) error{m.reference, m.users, m.integrations, m.keys, m.surveys}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	for _, kind := range transfer.Kinds {
		if err := m.records(ctx, kind); err != nil {
			return err
		}
	}
	if err := m.rebuild(ctx); err != nil {
		return err
	}
	if err := m.verify(ctx); err != nil {
		return err
	}
	if m.changed == 0 {
		fmt.Fprintf(stdout, "nothing to do: %s already holds everything in %s (checked in %s)\n", dbName, dir, time.Since(started).Round(time.Millisecond))
	} else {
		fmt.Fprintf(stdout, "migrated %d records in %s; counts and figures match\n", m.changed, time.Since(started).Round(time.Millisecond))
	}
	return nil
}

// foreignData names what the target holds that the source does not:
// accounts, signing keys or surveys by ID, and more records of a kind than
// the source has. "" when none.
func (m *migration) foreignData(ctx context.Context) (string, error) {
	var found []string
	err := eachUser(ctx, m.dst.Identity(), func(u identity.User) error {
		if _, err := m.src.Identity().GetUser(ctx, u.ID); apperr.CodeOf(err) == apperr.ENOTFOUND {
			found = append(found, "account "+u.ID)
		} else if err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	srcKeys, err := m.src.Identity().SigningKeys(ctx)
	if err != nil {
		return "", err
	}
	dstKeys, err := m.dst.Identity().SigningKeys(ctx)
	if err != nil {
		return "", err
	}
	for _, k := range dstKeys {
		if !hasKey(srcKeys, k.KID) {
			found = append(found, "signing key "+k.KID)
		}
	}
	err = eachSurvey(ctx, m.dst.Surveys(), func(sv survey.Survey) error {
		if _, err := m.src.Surveys().GetSurvey(ctx, sv.ID); apperr.CodeOf(err) == apperr.ENOTFOUND {
			found = append(found, "survey "+sv.ID)
		} else if err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	for _, kind := range transfer.Kinds {
		a, err := m.src.Count(ctx, kind)
		if err != nil {
			return "", err
		}
		b, err := m.dst.Count(ctx, kind)
		if err != nil {
			return "", err
		}
		if b > a {
			found = append(found, fmt.Sprintf("%d %s against %d", b, kind, a))
		}
	}
	if len(found) > 3 {
		found = append(found[:3], fmt.Sprintf("and %d more", len(found)-3))
	}
	return strings.Join(found, ", "), nil
}

func hasKey(keys []identity.SigningKey, kid string) bool {
	for _, k := range keys {
		if k.KID == kid {
			return true
		}
	}
	return false
}

func eachUser(ctx context.Context, st identity.Store, fn func(identity.User) error) error {
	after := ""
	for {
		page, err := st.ListUsers(ctx, identity.UserFilter{After: after, Limit: 200})
		if err != nil {
			return err
		}
		for _, u := range page {
			if err := fn(u); err != nil {
				return err
			}
		}
		if len(page) < 200 {
			return nil
		}
		after = page[len(page)-1].ID
	}
}

func eachSurvey(ctx context.Context, st survey.Store, fn func(survey.Survey) error) error {
	before := ""
	for {
		page, err := st.ListSurveys(ctx, before, 100)
		if err != nil {
			return err
		}
		for _, sv := range page {
			if err := fn(sv); err != nil {
				return err
			}
		}
		if len(page) < 100 {
			return nil
		}
		before = page[len(page)-1].ID
	}
}

func (m *migration) report(what string, total, changed int) {
	m.changed += changed
	fmt.Fprintf(m.out, "  %-20s %6d copied, %d new or changed\n", what, total, changed)
}

func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// reference replaces the target's reference data with the source's when
// they differ, and copies the audit trail entry by entry.
func (m *migration) reference(ctx context.Context) error {
	ref, err := m.src.Reference().Load(ctx)
	if err != nil {
		return err
	}
	changed := 0
	cur, err := m.dst.Reference().Load(ctx)
	if err != nil || !sameJSON(cur, ref) {
		if err := m.dst.Reference().Replace(ctx, ref); err != nil {
			return fmt.Errorf("reference data: %s", describe(err))
		}
		changed = 1
	}
	m.report("reference data", 1, changed)

	srcAudit, dstAudit := m.src.Reference().Audit(), m.dst.Reference().Audit()
	total, added, before := 0, 0, ""
	for {
		page, err := srcAudit.ListAudit(ctx, before, 200)
		if err != nil {
			return err
		}
		for _, e := range page {
			total++
			err := dstAudit.AppendAudit(ctx, e)
			switch apperr.CodeOf(err) {
			case "":
				added++
			case apperr.ECONFLICT: // there already
			default:
				return err
			}
		}
		if len(page) < 200 {
			break
		}
		before = page[len(page)-1].ID
	}
	m.report("reference audit", total, added)
	return nil
}

// users copies the accounts (password hashes included) as they are.
func (m *migration) users(ctx context.Context) error {
	total, changed := 0, 0
	err := eachUser(ctx, m.src.Identity(), func(u identity.User) error {
		total++
		cur, err := m.dst.Identity().GetUser(ctx, u.ID)
		if apperr.CodeOf(err) == apperr.ENOTFOUND {
			changed++
			return m.dst.Identity().CreateUser(ctx, &u)
		}
		if err != nil {
			return err
		}
		// The target's copy is as new (or, once it serves, newer): kept.
		if !u.UpdatedAt.Truncate(time.Millisecond).After(cur.UpdatedAt) {
			return nil
		}
		u.Version = cur.Version // the target's own compare-and-swap counter
		changed++
		return m.dst.Identity().UpdateUser(ctx, &u)
	})
	if err != nil {
		return fmt.Errorf("accounts: %s", describe(err))
	}
	m.report("accounts", total, changed)
	return nil
}

// keys copies the signing keys, still sealed.
func (m *migration) keys(ctx context.Context) error {
	src, err := m.src.Identity().SigningKeys(ctx)
	if err != nil {
		return err
	}
	dst, err := m.dst.Identity().SigningKeys(ctx)
	if err != nil {
		return err
	}
	added := 0
	for i := len(src) - 1; i >= 0; i-- { // oldest first
		if !hasKey(dst, src[i].KID) {
			if err := m.dst.Identity().AddSigningKey(ctx, src[i]); err != nil {
				return err
			}
			added++
		}
	}
	m.report("signing keys", len(src), added)
	return nil
}

// surveys copies the surveys and every version of their questionnaires.
func (m *migration) surveys(ctx context.Context) error {
	total, changed, versions, newVersions := 0, 0, 0, 0
	err := eachSurvey(ctx, m.src.Surveys(), func(sv survey.Survey) error {
		total++
		full, err := m.src.Surveys().GetSurvey(ctx, sv.ID)
		if err != nil {
			return err
		}
		cur, err := m.dst.Surveys().GetSurvey(ctx, sv.ID)
		switch {
		case apperr.CodeOf(err) == apperr.ENOTFOUND:
			changed++
			if err := m.dst.Surveys().CreateSurvey(ctx, full); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			want := *full
			want.Revision = cur.Revision
			if want.UpdatedAt.Truncate(time.Millisecond).After(cur.UpdatedAt) {
				changed++
				if err := m.dst.Surveys().UpdateSurvey(ctx, &want); err != nil {
					return err
				}
			}
		}
		for n := 1; ; n++ {
			v, err := m.src.Surveys().GetVersion(ctx, sv.ID, n)
			if apperr.CodeOf(err) == apperr.ENOTFOUND {
				return nil
			}
			if err != nil {
				return err
			}
			versions++
			if _, err := m.dst.Surveys().GetVersion(ctx, sv.ID, n); apperr.CodeOf(err) == apperr.ENOTFOUND {
				newVersions++
				if err := m.dst.Surveys().PutVersion(ctx, *v); err != nil {
					return err
				}
			} else if err != nil {
				return err
			}
		}
	})
	if err != nil {
		return fmt.Errorf("surveys: %s", describe(err))
	}
	m.report("surveys", total, changed)
	m.report("survey versions", versions, newVersions)
	return nil
}

// records streams one kind from the source into the target; for photos,
// their bytes go into the target's media store.
func (m *migration) records(ctx context.Context, kind string) error {
	total, changed := 0, 0
	err := m.src.Export(ctx, kind, func(rec any) error {
		total++
		ch, err := m.dst.Import(ctx, kind, rec)
		if err != nil {
			return err
		}
		if ph, ok := rec.(feedback.Media); ok {
			photo, thumb := media.Keys(ph.ID)
			for _, key := range []string{photo, thumb} {
				c, err := copyBlob(ctx, m.srcBlobs, m.dstBlobs, key)
				if err != nil {
					return err
				}
				ch = ch || c
			}
		}
		if ch {
			changed++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", kind, err)
	}
	m.report(kind, total, changed)
	return nil
}

// copyBlob copies one photo file unless the target has the same bytes.
// A photo the source folder lacks is fine when the target has it (both
// used the same bucket).
func copyBlob(ctx context.Context, src, dst media.Store, key string) (bool, error) {
	cur, curErr := dst.Get(ctx, key)
	data, err := src.Get(ctx, key)
	switch {
	case errors.Is(err, media.ErrNotFound) && curErr == nil:
		return false, nil
	case err != nil:
		return false, fmt.Errorf("photo %s: %w", key, err)
	case curErr == nil && bytes.Equal(cur, data):
		return false, nil
	case curErr != nil && !errors.Is(curErr, media.ErrNotFound):
		return false, curErr
	}
	return true, dst.Put(ctx, key, data)
}

// rebuild recomputes on the target what is derived from the copied
// records: the survey counters and the rating tally.
func (m *migration) rebuild(ctx context.Context) error {
	ref := feedback.NewReferenceService(m.dst.Reference())
	if _, _, err := survey.NewService(m.dst.Surveys(), m.dst.Ratings(), ref, nil).Reindex(ctx); err != nil {
		return fmt.Errorf("rebuilding survey counters: %s", describe(err))
	}
	if r, ok := m.dst.Ratings().(interface{ RebuildTally(context.Context) error }); ok {
		if err := r.RebuildTally(ctx); err != nil {
			return fmt.Errorf("rebuilding the rating tally: %s", describe(err))
		}
	}
	return nil
}

// verify compares per-kind counts and the figures indicators are computed
// from: every survey's counters and the rating tally.
func (m *migration) verify(ctx context.Context) error {
	var bad []string
	for _, kind := range transfer.Kinds {
		a, err := m.src.Count(ctx, kind)
		if err != nil {
			return err
		}
		b, err := m.dst.Count(ctx, kind)
		if err != nil {
			return err
		}
		if a != b {
			bad = append(bad, fmt.Sprintf("%s: %d in the source, %d in the target", kind, a, b))
		}
	}
	figures := 0
	err := eachSurvey(ctx, m.src.Surveys(), func(sv survey.Survey) error {
		q := survey.CountQuery{SurveyID: sv.ID}
		a, err := m.src.Surveys().Counts(ctx, q)
		if err != nil {
			return err
		}
		b, err := m.dst.Surveys().Counts(ctx, q)
		if err != nil {
			return err
		}
		figures += len(a)
		if !sameSurveyCounts(a, b) {
			bad = append(bad, "the counters of survey "+sv.ID+" differ")
		}
		return nil
	})
	if err != nil {
		return err
	}
	ra, err := m.src.Ratings().RatingCounts(ctx, "0000-01", "9999-12")
	if err != nil {
		return err
	}
	rb, err := m.dst.Ratings().RatingCounts(ctx, "0000-01", "9999-12")
	if err != nil {
		return err
	}
	figures += len(ra)
	if !sameRatingCounts(ra, rb) {
		bad = append(bad, "the rating tally differs")
	}
	if len(bad) > 0 {
		return fmt.Errorf("verification failed after copying:\n  %s", strings.Join(bad, "\n  "))
	}
	fmt.Fprintf(m.out, "verified: record counts of %d kinds and %d indicator counters are the same on both sides\n", len(transfer.Kinds), figures)
	return nil
}

func sameSurveyCounts(a, b []survey.Count) bool {
	key := func(cs []survey.Count) []string {
		out := make([]string, len(cs))
		for i, c := range cs {
			j, _ := json.Marshal(c)
			out[i] = string(j)
		}
		sort.Strings(out)
		return out
	}
	return reflect.DeepEqual(key(a), key(b))
}

func sameRatingCounts(a, b []feedback.RatingCount) bool {
	key := func(cs []feedback.RatingCount) []string {
		out := make([]string, len(cs))
		for i, c := range cs {
			j, _ := json.Marshal(c)
			out[i] = string(j)
		}
		sort.Strings(out)
		return out
	}
	return reflect.DeepEqual(key(a), key(b))
}
