package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"camaug/internal/media"
	"camaug/internal/store/sqlite"
)

// backupFormat is the version of the archive's layout, in its manifest.
const backupFormat = 1

// manifest is manifest.json, the last entry of a backup archive.
type manifest struct {
	Format        int               `json:"format"`
	CreatedAt     time.Time         `json:"created_at"`
	SchemaVersion int               `json:"schema_version"` // last SQLite migration in the copy
	Counts        map[string]int64  `json:"counts"`         // rows per table
	Photos        int               `json:"photos"`         // photos (each with its thumbnail)
	Files         map[string]string `json:"files"`          // archive path → SHA-256, hex
}

// archiveName are the only paths an archive may hold besides manifest.json.
var archiveName = regexp.MustCompile(`^(camaug\.db|media/[0-9A-Za-z]{2}/[0-9A-Za-z]+(\.thumb)?\.jpg)$`)

func dbPath(dataDir string) string { return filepath.Join(dataDir, "camaug.db") }

// photoBlobs is where the photo bytes of the embedded store live: the S3
// bucket when one is configured, else the media folder in dataDir.
func photoBlobs(ctx context.Context, cfg config, dataDir string) (media.Store, error) {
	if cfg.MediaS3 != nil {
		s, err := media.OpenS3(ctx, *cfg.MediaS3)
		if err != nil {
			return nil, fmt.Errorf("CAMAUG_MEDIA_S3_*: %w", err)
		}
		return s, nil
	}
	return media.Dir(filepath.Join(dataDir, "media")), nil
}

// backup writes one tar.gz with a consistent copy of the embedded database,
// every photo that copy refers to, and a manifest, while the service may
// keep serving.
func backup(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	out := fs.String("out", "", "archive to write (.tar.gz)")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "data folder of the embedded store")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() != 0 {
		return errors.New("usage: camaug backup --out FILE.tar.gz [--data-dir DIR]")
	}
	if cfg.MongoURI != "" {
		return errors.New("backup copies the embedded (SQLite) store; for MongoDB use mongodump and mongorestore (see README.md, Backups)")
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("%s already exists; choose a new name", *out)
	}
	if _, err := os.Stat(dbPath(cfg.DataDir)); err != nil {
		return fmt.Errorf("no database to back up in %s: %w", cfg.DataDir, err)
	}
	db, err := sqlite.Open(ctx, mustAbs(dbPath(cfg.DataDir)))
	if err != nil {
		return err
	}
	defer db.Close()
	blobs, err := photoBlobs(ctx, cfg, cfg.DataDir)
	if err != nil {
		return err
	}

	work, err := os.MkdirTemp(filepath.Dir(mustAbs(*out)), ".camaug-backup-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	started := time.Now()
	copyPath := filepath.Join(work, "camaug.db")
	if err := db.BackupTo(ctx, copyPath); err != nil {
		return err
	}
	snap, err := sqlite.Inspect(ctx, copyPath)
	if err != nil {
		return err
	}
	m := manifest{Format: backupFormat, CreatedAt: started.UTC().Truncate(time.Second), SchemaVersion: snap.SchemaVersion,
		Counts: snap.Counts, Photos: len(snap.MediaIDs), Files: map[string]string{}}

	tmp := *out + ".partial"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	defer f.Close()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	add := func(name string, data []byte) error {
		sum := sha256.Sum256(data)
		m.Files[name] = hex.EncodeToString(sum[:])
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(data)), ModTime: m.CreatedAt, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	dbBytes, err := os.ReadFile(copyPath)
	if err != nil {
		return err
	}
	if err := add("camaug.db", dbBytes); err != nil {
		return err
	}
	dbBytes = nil
	// Photos are stored before their row: every photo the copy lists is
	// there, whatever was uploaded since.
	for _, id := range snap.MediaIDs {
		photo, thumb := media.Keys(id)
		for _, key := range []string{photo, thumb} {
			data, err := blobs.Get(ctx, key)
			if err != nil {
				return fmt.Errorf("photo %s: %w", key, err)
			}
			if err := add("media/"+id[len(id)-2:]+"/"+key, data); err != nil {
				return err
			}
		}
	}
	mj, _ := json.MarshalIndent(m, "", "  ")
	if err := tw.WriteHeader(&tar.Header{Name: "manifest.json", Mode: 0o600, Size: int64(len(mj)), ModTime: m.CreatedAt, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	if _, err := tw.Write(mj); err != nil {
		return err
	}
	if err := errors.Join(tw.Close(), gz.Close(), f.Sync(), f.Close()); err != nil {
		return err
	}
	if err := os.Rename(tmp, *out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s in %s: %d reports, %d photos, %d users, %d survey responses (schema %d)\n",
		cfg.DataDir, *out, time.Since(started).Round(time.Millisecond), m.Counts["reports"], m.Photos, m.Counts["users"],
		m.Counts["survey_responses"], m.SchemaVersion)
	return nil
}

func mustAbs(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// restore unpacks a backup into an empty data folder (or, with --force,
// replaces the database and photos of a non-empty one), after checking
// every file against the manifest and the restored database's counts.
func restore(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	from := fs.String("from", "", "backup archive (.tar.gz) written by camaug backup")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "data folder to restore into")
	force := fs.Bool("force", false, "replace the database and photos of a data folder that is not empty")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" || fs.NArg() != 0 {
		return errors.New("usage: camaug restore --from FILE.tar.gz --data-dir DIR [--force]")
	}
	dir := mustAbs(cfg.DataDir)
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 && !*force {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return fmt.Errorf("%s is not empty (%s): restore refuses to overwrite it; stop the service and add --force to replace its database and photos", dir, strings.Join(names, ", "))
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o750); err != nil {
		return err
	}
	work, err := os.MkdirTemp(filepath.Dir(dir), ".camaug-restore-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	m, err := unpack(*from, work)
	if err != nil {
		return fmt.Errorf("%s: %w; nothing was changed", *from, err)
	}
	snap, err := sqlite.Inspect(ctx, filepath.Join(work, "camaug.db"))
	if err != nil {
		return fmt.Errorf("%s: %w; nothing was changed", *from, err)
	}
	for table, n := range m.Counts {
		if snap.Counts[table] != n {
			return fmt.Errorf("%s: table %s holds %d rows, the manifest says %d; nothing was changed", *from, table, snap.Counts[table], n)
		}
	}
	if len(snap.MediaIDs) != m.Photos {
		return fmt.Errorf("%s: %d photos in the database, the manifest says %d; nothing was changed", *from, len(snap.MediaIDs), m.Photos)
	}

	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	blobs, err := photoBlobs(ctx, cfg, dir)
	if err != nil {
		return err
	}
	if *force {
		for _, name := range []string{"camaug.db-wal", "camaug.db-shm"} {
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	// Photos first, then the database that refers to them.
	for _, id := range snap.MediaIDs {
		photo, thumb := media.Keys(id)
		for _, key := range []string{photo, thumb} {
			data, err := os.ReadFile(filepath.Join(work, "media", id[len(id)-2:], key))
			if err != nil {
				return err
			}
			if err := blobs.Put(ctx, key, data); err != nil {
				return err
			}
		}
	}
	if err := os.Rename(filepath.Join(work, "camaug.db"), dbPath(dir)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s into %s: %d reports, %d photos, %d users, %d survey responses (schema %d, backed up %s)\n",
		*from, dir, m.Counts["reports"], m.Photos, m.Counts["users"], m.Counts["survey_responses"], m.SchemaVersion, m.CreatedAt.Format(time.RFC3339))
	return nil
}

// unpack extracts an archive into dir, refusing any unexpected path, and
// checks every file against the manifest's checksums.
func unpack(file, dir string) (manifest, error) {
	var m manifest
	f, err := os.Open(file)
	if err != nil {
		return m, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return m, fmt.Errorf("not a camaug backup (gzip): %w", err)
	}
	tr := tar.NewReader(gz)
	sums := map[string]string{}
	var manifestSeen bool
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return m, fmt.Errorf("reading the archive: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			return m, fmt.Errorf("unexpected entry %q in the archive", h.Name)
		}
		if h.Name == "manifest.json" {
			if err := json.NewDecoder(io.LimitReader(tr, 16<<20)).Decode(&m); err != nil {
				return m, fmt.Errorf("manifest: %w", err)
			}
			manifestSeen = true
			continue
		}
		if !archiveName.MatchString(h.Name) {
			return m, fmt.Errorf("unexpected entry %q in the archive", h.Name)
		}
		dst := filepath.Join(dir, filepath.FromSlash(path.Clean(h.Name)))
		if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
			return m, err
		}
		out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return m, err
		}
		sum := sha256.New()
		_, err = io.Copy(io.MultiWriter(out, sum), tr)
		if err = errors.Join(err, out.Close()); err != nil {
			return m, fmt.Errorf("reading %s: %w", h.Name, err)
		}
		sums[h.Name] = hex.EncodeToString(sum.Sum(nil))
	}
	switch {
	case !manifestSeen:
		return m, errors.New("the archive has no manifest.json (incomplete or not a camaug backup)")
	case m.Format != backupFormat:
		return m, fmt.Errorf("backup format %d; this camaug reads format %d", m.Format, backupFormat)
	}
	names := make([]string, 0, len(m.Files))
	for name := range m.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if sums[name] != m.Files[name] {
			return m, fmt.Errorf("%s is missing or its checksum differs from the manifest's", name)
		}
	}
	if len(sums) != len(m.Files) {
		return m, errors.New("the archive holds files the manifest does not list")
	}
	return m, nil
}
